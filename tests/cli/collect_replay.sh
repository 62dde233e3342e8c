#!/bin/sh
# collect_replay.sh - end to end: real exporters send the same streams to
# `mamori collect` and to nfdump's nfcapd on loopback; the flow, packet and
# byte totals of `mamori flows` must equal those of `nfdump -I`.
#
# Senders: softflowd (a real NetFlow v5/v9/IPFIX exporter, metering the
# packet captures in testdata/pcap and exporting to both collectors at once)
# and `mamori lab isp` (seeded, so two runs send identical flows), paced so
# that nothing is lost. Only 127.0.0.1 is used. Skips (77) without nfcapd,
# nfdump, softflowd or the test data.
#
# usage: sh collect_replay.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
TESTDATA=${MAMORI_TESTDATA:-$(dirname "$0")/../../../shared/testdata}

for t in nfcapd nfdump softflowd; do
	command -v $t >/dev/null 2>&1 || { echo "skip: $t not installed"; exit 77; }
done
ls "$TESTDATA"/pcap/*.pcap >/dev/null 2>&1 || { echo "skip: no $TESTDATA/pcap"; exit 77; }

TMP=$(mktemp -d /tmp/mamori-collect-replay.XXXXXX)
MPID=
NPID=
cleanup() {
	[ -n "$MPID" ] && kill -9 "$MPID" 2>/dev/null
	[ -n "$NPID" ] && kill -9 "$NPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*"; [ -f "$TMP/collect.err" ] && sed 's/^/  collect: /' "$TMP/collect.err"; exit 1; }

# wait_for CMD: up to ~20 s for CMD to succeed (no timing assertion: this
# only bounds how long a broken run hangs).
wait_for() {
	i=0
	while [ $i -lt 200 ]; do
		if eval "$1"; then return 0; fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Start the collector on a free port near 20000 + $$ % 20000.
BASE=$((20000 + $$ % 20000))
for try in 0 1 2 3 4 5 6 7; do
	P1=$((BASE + try * 2))
	P2=$((P1 + 1))
	"$MAMORI" collect -l 127.0.0.1:$P1 --data "$TMP/data" \
	    --stats "$TMP/stats.json" 2>"$TMP/collect.err" &
	MPID=$!
	if wait_for "grep -q 'listening on' '$TMP/collect.err' || ! kill -0 $MPID 2>/dev/null" &&
	    kill -0 $MPID 2>/dev/null; then
		break
	fi
	wait $MPID 2>/dev/null
	MPID=
done
[ -n "$MPID" ] || fail "mamori collect did not start"
mkdir -p "$TMP/nf"
nfcapd -w "$TMP/nf" -p $P2 -b 127.0.0.1 -B 16777216 >"$TMP/nfcapd.log" 2>&1 &
NPID=$!
wait_for "grep -q 'Startup' '$TMP/nfcapd.log' || ! kill -0 $NPID 2>/dev/null"
kill -0 $NPID 2>/dev/null || { echo "skip: nfcapd did not start"; cat "$TMP/nfcapd.log"; exit 77; }
sleep 0.5

# softflowd: one run per capture and export version, to both collectors.
n=0
for v in 5 9 10; do
	for f in "$TESTDATA"/pcap/*.pcap; do
		n=$((n + 1))
		softflowd -d -r "$f" -v $v -n 127.0.0.1:$P1 -n 127.0.0.1:$P2 \
		    -p "$TMP/sf.pid" -c "$TMP/sf.ctl" -6 >"$TMP/sf.log" 2>&1 ||
		    fail "softflowd -v $v -r $f: $(cat "$TMP/sf.log")"
	done
done

# mamori lab isp (when built): the same seeded stream to each collector.
if "$MAMORI" lab isp --help >/dev/null 2>&1; then
	for fmt in v5 v9 ipfix; do
		for p in $P1 $P2; do
			"$MAMORI" lab isp --seed 7 --format $fmt --flows 20000 \
			    --rate 100000 --send 127.0.0.1:$p >/dev/null ||
			    fail "lab isp --format $fmt"
		done
	done
fi

# Let both drain, then stop them cleanly.
sleep 2
kill -TERM $MPID
wait $MPID
rc=$?
MPID=
[ $rc -eq 0 ] || fail "mamori collect exited $rc on SIGTERM"
kill -TERM $NPID
wait $NPID 2>/dev/null
NPID=

# Totals from both sides.
"$MAMORI" flows --data "$TMP/data" -N -c 1 >"$TMP/flows.out" 2>"$TMP/flows.err" ||
    fail "mamori flows: $(cat "$TMP/flows.err")"
sum=$(grep '^Summary:' "$TMP/flows.out")
m_flows=$(echo "$sum" | sed -n 's/.*total flows: \([0-9]*\).*/\1/p')
m_bytes=$(echo "$sum" | sed -n 's/.*total bytes: \([0-9]*\).*/\1/p')
m_pkts=$(echo "$sum" | sed -n 's/.*total packets: \([0-9]*\).*/\1/p')
nfdump -R "$TMP/nf" -I >"$TMP/nfdump.out" 2>&1 || fail "nfdump -I: $(cat "$TMP/nfdump.out")"
n_flows=$(sed -n 's/^Flows: *\([0-9]*\)$/\1/p' "$TMP/nfdump.out")
n_pkts=$(sed -n 's/^Packets: *\([0-9]*\)$/\1/p' "$TMP/nfdump.out")
n_bytes=$(sed -n 's/^Bytes: *\([0-9]*\)$/\1/p' "$TMP/nfdump.out")

echo "softflowd runs: $n"
echo "mamori: flows $m_flows packets $m_pkts bytes $m_bytes"
echo "nfdump: flows $n_flows packets $n_pkts bytes $n_bytes"
[ -n "$m_flows" ] && [ "$m_flows" -gt 0 ] || fail "no flows stored"
[ "$m_flows" = "$n_flows" ] || fail "flow count differs"
[ "$m_pkts" = "$n_pkts" ] || fail "packet count differs"
[ "$m_bytes" = "$n_bytes" ] || fail "byte count differs"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['kernel_drops']==0 and d['queue_drops']==0, d" \
    "$TMP/stats.json" 2>/dev/null || [ ! -x "$(command -v python3)" ] ||
    fail "stats file reports drops or is not JSON"
echo "PASS"
exit 0
