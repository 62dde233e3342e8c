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

# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"
for t in nfcapd nfdump nfreplay; do
	command -v $t >/dev/null 2>&1 || t_skip "$t not installed"
done
t_init collect-replay

# start_collector NAME SALT [OPTION VALUE]: `mamori collect` on a free
# loopback port, storing into $TMP/NAME; sets MPID and PORT.
start_collector() {
	t_collect "$2" "$TMP/collect-$1.err" --data "$TMP/$1" \
	    --stats "$TMP/$1.stats.json" $3 $4 ||
	    t_fail "mamori collect did not start"
}

stop_collector() {
	t_stop "$MPID" "mamori collect"
	[ $T_RC -eq 0 ] || t_fail "mamori collect exited $T_RC on SIGTERM"
}

nfdump_totals() {
	nfdump -R "$TMP/nf" -I >"$TMP/nfdump.out" 2>&1 ||
	    t_fail "nfdump -I: $(cat "$TMP/nfdump.out")"
	echo "$(sed -n 's/^Flows: *\([0-9]*\)$/\1/p' "$TMP/nfdump.out")" \
	    "$(sed -n 's/^Packets: *\([0-9]*\)$/\1/p' "$TMP/nfdump.out")" \
	    "$(sed -n 's/^Bytes: *\([0-9]*\)$/\1/p' "$TMP/nfdump.out")"
}

no_drops() {
	command -v python3 >/dev/null 2>&1 || return 0
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['kernel_drops']==0 and d['queue_drops']==0, d" \
	    "$TMP/$1.stats.json" || t_fail "$1: stats file reports drops or is not JSON"
}

# ---- leg 1 ----
start_collector m1 0
P1=$PORT
t_nfcapd "$P1" 1 -B 16777216
P2=$NPORT

sent=0
if command -v softflowd >/dev/null 2>&1 && command -v softflowctl >/dev/null 2>&1 &&
    ls "$TESTDATA"/pcap/*.pcap >/dev/null 2>&1; then
	for v in 5 9 10; do
		for f in "$TESTDATA"/pcap/*.pcap; do
			for p in $P1 $P2; do
				t_softflowd "$f" $v $p
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
			    t_fail "lab isp --format $fmt"
		done
	done
else
	echo "note: mamori lab isp not available, lab part skipped"
fi

sleep 1
stop_collector
t_stop "$NPID" nfcapd

m=$(t_totals "$TMP/m1")
n=$(nfdump_totals)
echo "leg 1 mamori (flows packets bytes): $m"
echo "leg 1 nfdump (flows packets bytes): $n"
[ "${m%% *}" -gt 0 ] 2>/dev/null || t_fail "leg 1: no flows stored"
[ "$m" = "$n" ] || t_fail "leg 1: totals differ"
no_drops m1

# ---- leg 2: nfreplay nfcapd's files to a fresh collector ----
start_collector m2 11 --threads 2
for f in "$TMP"/nf/nfcapd.*; do
	nfreplay -r "$f" -H 127.0.0.1 -p $PORT -v 9 -d 50 >"$TMP/nfreplay.log" 2>&1 ||
	    t_fail "nfreplay $f: $(cat "$TMP/nfreplay.log")"
done
sleep 1
stop_collector
m=$(t_totals "$TMP/m2")
echo "leg 2 mamori (flows packets bytes): $m"
[ "$m" = "$n" ] || t_fail "leg 2 (nfreplay): totals differ"
no_drops m2
echo "PASS"
exit 0
