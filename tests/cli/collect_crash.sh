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
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"
t_need python3
t_skip_unless_help "$MAMORI" lab isp
t_init collect-crash

STATS="$TMP/stats.json"
# start_collector N SALT: a collector on $TMP/data, stderr to collectN.err
start_collector() {
	t_collect "$2" "$TMP/collect$1.err" --data "$TMP/data" --stats "$STATS" ||
	    t_fail "collector did not start"
}

written() {
	python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['flows_written'])" \
	    "$STATS" 2>/dev/null
}
# fresh_written: rewrites the stats file now (SIGHUP) and prints the count
fresh_written() {
	rm -f "$STATS"
	kill -HUP "$MPID"
	t_wait_for "[ -s '$STATS' ]" 300 || t_fail "no stats file after SIGHUP"
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
    --start 2026-01-01T00:00:00Z --send "127.0.0.1:$PORT" >/dev/null || t_fail "lab isp (1)"
t_wait_for "kill -HUP $MPID; sleep 0.2; [ \"\$(written)\" = 20000 ]" 300 ||
    t_fail "first stream not fully written (last: $(written))"

# 2. steady stream, then SIGKILL
"$MAMORI" lab isp --seed 12 --format v9 --flows 200000 --rate 20000 \
    --start 2026-02-01T00:00:00Z --send "127.0.0.1:$PORT" --stats \
    >"$TMP/sender2.json" 2>/dev/null &
SPID=$!
t_bg "$SPID"
sleep 1.5
W=$(fresh_written)
[ -n "$W" ] || t_fail "could not read flows_written"
sleep 2.5
kill -KILL "$MPID"
wait "$MPID" 2>/dev/null
t_unbg "$MPID"
kill -TERM $SPID 2>/dev/null
wait $SPID 2>/dev/null
t_unbg "$SPID"
echo "stream 2: $((W - 20000)) flows handed to the store 2.5 s before SIGKILL"

# 3. restart on the same data directory
start_collector 2 5
"$MAMORI" lab isp --seed 13 --format ipfix --flows 5000 --rate 40000 \
    --start 2026-03-01T00:00:00Z --send "127.0.0.1:$PORT" >/dev/null || t_fail "lab isp (3)"
t_wait_for "kill -HUP $MPID; sleep 0.2; [ \"\$(written)\" = 5000 ]" 300 ||
    t_fail "third stream not fully written (last: $(written))"
t_stop "$MPID" "the restarted collector"
[ $T_RC -eq 0 ] || t_fail "restarted collector exited $T_RC on SIGTERM"

# the store reads clean and holds what it must
"$MAMORI" flows --data "$TMP/data" -N -s proto -n 1 >"$TMP/all.out" 2>"$TMP/flows.err" ||
    t_fail "mamori flows over the crashed store exited non-zero: $(cat "$TMP/flows.err")"
[ -s "$TMP/flows.err" ] && echo "note: reader said: $(cat "$TMP/flows.err")"
"$MAMORI" flows --data "$TMP/data" -N -o csv >"$TMP/all.csv" 2>/dev/null ||
    t_fail "mamori flows -o csv failed"
c1=$(count 01)
c2=$(count 02)
c3=$(count 03)
echo "stored: stream 1 $c1, stream 2 $c2, stream 3 $c3"
[ "$c1" = 20000 ] || t_fail "stream 1: $c1 of 20000 flows survived"
[ "$c3" = 5000 ] || t_fail "stream 3: $c3 of 5000 flows stored after restart"
[ "$c2" -ge $((W - 20000)) ] || t_fail "stream 2: $c2 stored < $((W - 20000)) flushed before the kill"
[ "$c2" -le 200000 ] || t_fail "stream 2: $c2 stored > 200000 sent"
echo "PASS"
exit 0
