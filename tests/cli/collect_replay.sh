#!/bin/sh
# collect_replay.sh - end to end: real exporters send the same streams to
# `mamori collect` and to nfdump's nfcapd on loopback; the flow, packet and
# byte totals of `mamori flows` must equal those of `nfdump -I`.
#
# Leg 1, the same datagrams to both collectors:
#   - softflowd (a real v5/v9/IPFIX exporter) meters testdata/pcap/*.pcap
#     and exports to each (one run per collector: softflowd 1.1.0 keeps
#     only its last -n; -r is deterministic). softflowd in -r mode
#     waits on its control socket before reading the file, so it is driven
#     with softflowctl (statistics, then shutdown) and bounded by a timeout;
#   - `mamori lab isp` v5, v9 and IPFIX, seeded (two runs send identical
#     flows), paced so nothing is lost.
# Leg 2: nfreplay re-exports nfcapd's files as NetFlow v9 to a second
#   `mamori collect` (two SO_REUSEPORT receive threads), whose totals must
#   again equal nfdump's.
# Only 127.0.0.1 is used. Skips (77) without nfcapd/nfdump or test data.
#
# usage: sh collect_replay.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
TESTDATA=${MAMORI_TESTDATA:-$(dirname "$0")/../../../shared/testdata}

for t in nfcapd nfdump nfreplay; do
	command -v $t >/dev/null 2>&1 || { echo "skip: $t not installed"; exit 77; }
done

TMP=$(mktemp -d /tmp/mamori-collect-replay.XXXXXX)
MPID=
NPID=
SPID=
cleanup() {
	for p in $MPID $NPID $SPID; do kill -9 "$p" 2>/dev/null; done
	[ -n "$KEEP" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	for f in "$TMP"/collect*.err; do
		[ -f "$f" ] && sed "s|^|  $(basename "$f"): |" "$f"
	done
	exit 1
}

# wait_for CMD: up to ~20 s for CMD to succeed (bounds how long a broken
# run hangs; no timing assertion).
wait_for() {
	i=0
	while [ $i -lt 200 ]; do
		if eval "$1"; then return 0; fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# start_collector NAME SALT [OPTION VALUE]: starts `mamori collect` on a free port near
# 20000 + $$ % 20000; sets MPID and PORT.
start_collector() {
	for try in 0 1 2 3 4 5 6 7 8 9; do
		PORT=$((20000 + ($$ * 3 + try * 7 + $2) % 20000))
		"$MAMORI" collect -l 127.0.0.1:$PORT --data "$TMP/$1" \
		    --stats "$TMP/$1.stats.json" $3 $4 2>"$TMP/collect-$1.err" &
		MPID=$!
		wait_for "grep -qs 'listening on' '$TMP/collect-$1.err' || ! kill -0 $MPID 2>/dev/null"
		if kill -0 $MPID 2>/dev/null; then return 0; fi
		wait $MPID 2>/dev/null
		MPID=
	done
	fail "mamori collect did not start"
}

stop_collector() {
	kill -TERM $MPID
	wait $MPID
	rc=$?
	MPID=
	[ $rc -eq 0 ] || fail "mamori collect exited $rc on SIGTERM"
}

# totals NAME -> "flows packets bytes" of the mamori store
mamori_totals() {
	"$MAMORI" flows --data "$TMP/$1" -N -s proto -n 1 >"$TMP/flows.out" 2>"$TMP/flows.err" ||
	    fail "mamori flows: $(cat "$TMP/flows.err")"
	sum=$(grep '^Summary:' "$TMP/flows.out")
	echo "$(echo "$sum" | sed -n 's/.*total flows: \([0-9]*\).*/\1/p')" \
	    "$(echo "$sum" | sed -n 's/.*total packets: \([0-9]*\).*/\1/p')" \
	    "$(echo "$sum" | sed -n 's/.*total bytes: \([0-9]*\).*/\1/p')"
}

nfdump_totals() {
	nfdump -R "$TMP/nf" -I >"$TMP/nfdump.out" 2>&1 ||
	    fail "nfdump -I: $(cat "$TMP/nfdump.out")"
	echo "$(sed -n 's/^Flows: *\([0-9]*\)$/\1/p' "$TMP/nfdump.out")" \
	    "$(sed -n 's/^Packets: *\([0-9]*\)$/\1/p' "$TMP/nfdump.out")" \
	    "$(sed -n 's/^Bytes: *\([0-9]*\)$/\1/p' "$TMP/nfdump.out")"
}

no_drops() {
	command -v python3 >/dev/null 2>&1 || return 0
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['kernel_drops']==0 and d['queue_drops']==0, d" \
	    "$TMP/$1.stats.json" || fail "$1: stats file reports drops or is not JSON"
}

# ---- leg 1 ----
start_collector m1 0
P1=$PORT
mkdir -p "$TMP/nf"
for try in 1 2 3 4 5; do
	P2=$((P1 + try))
	nfcapd -w "$TMP/nf" -p $P2 -b 127.0.0.1 -B 16777216 >"$TMP/nfcapd.log" 2>&1 &
	NPID=$!
	wait_for "grep -qs 'Startup' '$TMP/nfcapd.log' 2>/dev/null || ! kill -0 $NPID 2>/dev/null"
	kill -0 $NPID 2>/dev/null && break
	NPID=
done
[ -n "$NPID" ] || { echo "skip: nfcapd did not start: $(cat "$TMP/nfcapd.log")"; exit 77; }
sleep 0.3

TIMEOUT=
command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout 10"

# run_softflowd PCAP VERSION PORT (softflowd 1.1.0 keeps only the last -n)
run_softflowd() {
	rm -f "$TMP/sf.ctl"
	softflowd -d -r "$1" -v $2 -n 127.0.0.1:$3 -p "$TMP/sf.pid" \
	    -c "$TMP/sf.ctl" >"$TMP/sf.log" 2>&1 &
	SPID=$!
	wait_for "[ -S '$TMP/sf.ctl' ] || ! kill -0 $SPID 2>/dev/null"
	$TIMEOUT softflowctl -c "$TMP/sf.ctl" statistics >/dev/null 2>&1
	sleep 0.2
	$TIMEOUT softflowctl -c "$TMP/sf.ctl" shutdown >/dev/null 2>&1
	wait_for "! kill -0 $SPID 2>/dev/null" || kill -9 $SPID 2>/dev/null
	wait $SPID 2>/dev/null
	SPID=
}

sent=0
if command -v softflowd >/dev/null 2>&1 && command -v softflowctl >/dev/null 2>&1 &&
    ls "$TESTDATA"/pcap/*.pcap >/dev/null 2>&1; then
	for v in 5 9 10; do
		for f in "$TESTDATA"/pcap/*.pcap; do
			for p in $P1 $P2; do
				run_softflowd "$f" $v $p
			done
			sent=$((sent + 1))
		done
	done
	echo "softflowd runs: $sent"
else
	echo "note: softflowd or testdata/pcap missing, softflowd part skipped"
fi

if "$MAMORI" lab isp --help >/dev/null 2>&1; then
	for fmt in v5 v9 ipfix; do
		for p in $P1 $P2; do
			"$MAMORI" lab isp --seed 7 --format $fmt --flows 20000 \
			    --rate 100000 --send 127.0.0.1:$p >/dev/null ||
			    fail "lab isp --format $fmt"
		done
	done
else
	echo "note: mamori lab isp not available, lab part skipped"
fi

sleep 1
stop_collector
kill -TERM $NPID
wait $NPID 2>/dev/null
NPID=

m=$(mamori_totals m1)
n=$(nfdump_totals)
echo "leg 1 mamori (flows packets bytes): $m"
echo "leg 1 nfdump (flows packets bytes): $n"
[ "${m%% *}" -gt 0 ] 2>/dev/null || fail "leg 1: no flows stored"
[ "$m" = "$n" ] || fail "leg 1: totals differ"
no_drops m1

# ---- leg 2: nfreplay nfcapd's files to a fresh collector ----
start_collector m2 11 --threads 2
for f in "$TMP"/nf/nfcapd.*; do
	nfreplay -r "$f" -H 127.0.0.1 -p $PORT -v 9 -d 50 >"$TMP/nfreplay.log" 2>&1 ||
	    fail "nfreplay $f: $(cat "$TMP/nfreplay.log")"
done
sleep 1
stop_collector
m=$(mamori_totals m2)
echo "leg 2 mamori (flows packets bytes): $m"
[ "$m" = "$n" ] || fail "leg 2 (nfreplay): totals differ"
no_drops m2
echo "PASS"
exit 0
