#!/bin/sh
# collect_crash.sh - durability of `mamori collect` under SIGKILL.
#
#   1. a first stream (20000 v9 flows, January traffic times) is sent and
#      allowed to settle;
#   2. a steady second stream (February times) runs; while it runs, the
#      collector's stats (SIGHUP) give W = flows handed to the store so far;
#      after 2.5 s more (well past the 1 s flush guarantee) it is SIGKILLed;
#   3. a new collector is started on the same data directory and a third
#      stream (5000 IPFIX flows, March times) is sent; SIGTERM, exit 0.
# Then the store must read clean (`mamori flows` exits 0; a torn tail block
# of the killed file may be reported and skipped), hold all of streams 1
# and 3, and at least W - 20000 (at most what was sent) of stream 2.
# Loopback only; skips (77) without python3 or `mamori lab isp`.
#
# usage: sh collect_crash.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 missing"; exit 77; }
"$MAMORI" lab isp --help >/dev/null 2>&1 || { echo "skip: mamori lab isp missing"; exit 77; }

TMP=$(mktemp -d /tmp/mamori-collect-crash.XXXXXX)
MPID=
SPID=
cleanup() {
	for p in $MPID $SPID; do kill -9 "$p" 2>/dev/null; done
	[ -n "$KEEP" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*"; for f in "$TMP"/err*; do sed "s|^|  $(basename "$f"): |" "$f"; done 2>/dev/null; exit 1; }

wait_for() {
	i=0
	while [ $i -lt 300 ]; do
		if eval "$1"; then return 0; fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

STATS="$TMP/stats.json"
start_collector() {
	for try in 0 1 2 3 4 5 6 7 8 9; do
		PORT=$((20000 + ($$ * 11 + try * 17 + $2) % 20000))
		"$MAMORI" collect -l 127.0.0.1:$PORT --data "$TMP/data" \
		    --stats "$STATS" 2>"$TMP/err$1" &
		MPID=$!
		wait_for "grep -qs 'listening on' '$TMP/err$1' || ! kill -0 $MPID 2>/dev/null"
		kill -0 $MPID 2>/dev/null && return 0
		wait $MPID 2>/dev/null
		MPID=
	done
	fail "collector did not start"
}

written() {
	python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['flows_written'])" \
	    "$STATS" 2>/dev/null
}
# fresh_written: rewrites the stats file now (SIGHUP) and prints the count
fresh_written() {
	rm -f "$STATS"
	kill -HUP $MPID
	wait_for "[ -s '$STATS' ]" || fail "no stats file after SIGHUP"
	written
}

# count MONTH: stored flows whose first-seen time is in 2026-MONTH (the
# streams are told apart by their traffic times; store files are
# partitioned by receive time, so this reads every flow)
count() {
	awk -F, -v m="2026-$1" 'substr($1, 1, 7) == m { n++ } END { print n + 0 }' "$TMP/all.csv"
}

# 1. first stream
start_collector 1 0
"$MAMORI" lab isp --seed 11 --format v9 --flows 20000 --rate 40000 \
    --start 2026-01-01T00:00:00Z --send 127.0.0.1:$PORT >/dev/null || fail "lab isp (1)"
wait_for "kill -HUP $MPID; sleep 0.2; [ \"\$(written)\" = 20000 ]" ||
    fail "first stream not fully written (last: $(written))"

# 2. steady stream, then SIGKILL
"$MAMORI" lab isp --seed 12 --format v9 --flows 200000 --rate 20000 \
    --start 2026-02-01T00:00:00Z --send 127.0.0.1:$PORT --stats \
    >"$TMP/sender2.json" 2>/dev/null &
SPID=$!
sleep 1.5
W=$(fresh_written)
[ -n "$W" ] || fail "could not read flows_written"
sleep 2.5
kill -KILL $MPID
wait $MPID 2>/dev/null
MPID=
kill -TERM $SPID 2>/dev/null
wait $SPID 2>/dev/null
SPID=
echo "stream 2: $((W - 20000)) flows handed to the store 2.5 s before SIGKILL"

# 3. restart on the same data directory
start_collector 2 5
"$MAMORI" lab isp --seed 13 --format ipfix --flows 5000 --rate 40000 \
    --start 2026-03-01T00:00:00Z --send 127.0.0.1:$PORT >/dev/null || fail "lab isp (3)"
wait_for "kill -HUP $MPID; sleep 0.2; [ \"\$(written)\" = 5000 ]" ||
    fail "third stream not fully written (last: $(written))"
kill -TERM $MPID
wait $MPID
rc=$?
MPID=
[ $rc -eq 0 ] || fail "restarted collector exited $rc on SIGTERM"

# the store reads clean and holds what it must
"$MAMORI" flows --data "$TMP/data" -N -s proto -n 1 >"$TMP/all.out" 2>"$TMP/flows.err" ||
    fail "mamori flows over the crashed store exited non-zero: $(cat "$TMP/flows.err")"
[ -s "$TMP/flows.err" ] && echo "note: reader said: $(cat "$TMP/flows.err")"
"$MAMORI" flows --data "$TMP/data" -N -o csv >"$TMP/all.csv" 2>/dev/null ||
    fail "mamori flows -o csv failed"
c1=$(count 01)
c2=$(count 02)
c3=$(count 03)
echo "stored: stream 1 $c1, stream 2 $c2, stream 3 $c3"
[ "$c1" = 20000 ] || fail "stream 1: $c1 of 20000 flows survived"
[ "$c3" = 5000 ] || fail "stream 3: $c3 of 5000 flows stored after restart"
[ "$c2" -ge $((W - 20000)) ] || fail "stream 2: $c2 stored < $((W - 20000)) flushed before the kill"
[ "$c2" -le 200000 ] || fail "stream 2: $c2 stored > 200000 sent"
echo "PASS"
exit 0
