#!/bin/sh
# lab_flows.sh - end to end for `mamori lab flows`:
#   1. a small labelled day straight into a store: `mamori flows` counts as
#      many flows as --stats reports, finds the flows of a planted C&C
#      server of the truth file, and the same seed gives the same truth;
#   2. the same day exported over IPFIX, with 1-in-10 packet sampling, to
#      `mamori collect` on 127.0.0.1 at a modest rate: the collector stores
#      exactly --stats' flow count (no loss) and every flow says sampling 10.
# Only 127.0.0.1 is used; no timing assertions (waits are bounded).
#
# usage: sh lab_flows.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"

t_skip_unless_help "$MAMORI" lab flows
t_init lab-flows

# json_num FILE KEY: the number after "KEY": in a one-line JSON file
json_num() {
	sed -n "s/.*\"$2\":\([0-9][0-9]*\).*/\1/p" "$1"
}

# store_flows DIR [FILTER]: total flows `mamori flows` reports
store_flows() {
	"$MAMORI" flows --data "$1" -N -s proto -n 1 "$2" >"$TMP/flows.out" \
	    2>"$TMP/flows.err" || t_fail "mamori flows: $(cat "$TMP/flows.err")"
	sed -n 's/.*total flows: \([0-9]*\).*/\1/p' "$TMP/flows.out"
}

DAY="--seed 5 --subscribers 300 --duration 3h --start 2026-03-01T00:00:00Z"

# ---- 1. into the store ----
"$MAMORI" lab flows $DAY --data "$TMP/d1" --truth "$TMP/t1.json" --stats \
    >"$TMP/s1.json" 2>"$TMP/s1.err" || t_fail "lab flows: $(cat "$TMP/s1.err")"
n=$(json_num "$TMP/s1.json" flows)
bn=$(json_num "$TMP/s1.json" botnet)
[ -n "$n" ] && [ "$n" -gt 1000 ] || t_fail "stats: flows '$n'"
[ -n "$bn" ] && [ "$bn" -gt 0 ] || t_fail "stats: botnet flows '$bn'"
got=$(store_flows "$TMP/d1")
[ "$got" = "$n" ] || t_fail "store holds $got flows, --stats says $n"
echo "store: $got flows ($bn botnet)"

srv=$(grep -o '"servers":\[{"addr":"[^"]*"' "$TMP/t1.json" | head -1 |
    sed 's/.*"addr":"//; s/"$//')
[ -n "$srv" ] || t_fail "no C&C server in the truth"
c=$(store_flows "$TMP/d1" "host $srv")
[ -n "$c" ] && [ "$c" -gt 0 ] || t_fail "no flows of C&C server $srv"
echo "C&C server $srv: $c flows"
cli=$(grep -o '"clients":\["[^"]*"' "$TMP/t1.json" | head -1 |
    sed 's/.*\["//; s/"$//')
c=$(store_flows "$TMP/d1" "src host $cli and dst host $srv")
[ -n "$c" ] && [ "$c" -gt 0 ] || t_fail "no flows of client $cli to $srv"
if command -v python3 >/dev/null 2>&1; then
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); \
assert d['generator']=='mamori lab flows' and len(d['botnets'])==12; \
assert all(b['servers'] and b['clients'] for b in d['botnets'])" \
	    "$TMP/t1.json" || t_fail "truth is not the documented JSON"
fi

"$MAMORI" lab flows $DAY --truth "$TMP/t2.json" ||
    t_fail "lab flows --truth"
cmp -s "$TMP/t1.json" "$TMP/t2.json" || t_fail "same seed, different truth"

# ---- 2. IPFIX to mamori collect, sampled ----
t_collect 3 "$TMP/collect.err" --data "$TMP/d2" \
    --stats "$TMP/collect.stats.json" || t_fail "mamori collect did not start"

"$MAMORI" lab flows $DAY --sampling 10 --send 127.0.0.1:$PORT \
    --format ipfix --rate 20000 --stats >"$TMP/s2.json" 2>"$TMP/s2.err" ||
    t_fail "lab flows --send: $(cat "$TMP/s2.err")"
n2=$(json_num "$TMP/s2.json" flows)
out=$(json_num "$TMP/s2.json" sampled_out)
[ -n "$n2" ] && [ "$n2" -gt 0 ] && [ "$n2" -lt "$n" ] ||
    t_fail "sampled day: flows '$n2' (unsampled $n)"
[ $((n2 + out)) -eq "$n" ] || t_fail "sampled $n2 + dropped $out != $n"
# bounded wait until the collector has taken every flow off the socket
# (SIGHUP rewrites its stats file), then stop it
collected() {
	kill -HUP $MPID 2>/dev/null
	sleep 0.1
	c=$(sed -n 's/.*"flows_written":\([0-9]*\).*/\1/p' \
	    "$TMP/collect.stats.json" 2>/dev/null)
	[ -n "$c" ] && [ "$c" -ge "$n2" ]
}
t_wait_for collected || echo "note: collector counters did not reach $n2"
t_stop "$MPID" "mamori collect"
[ $T_RC -eq 0 ] || t_fail "mamori collect exited $T_RC"
got=$(store_flows "$TMP/d2")
[ "$got" = "$n2" ] || t_fail "collector stored $got flows, lab flows sent $n2"
"$MAMORI" flows --data "$TMP/d2" -o json -q >"$TMP/d2.json" 2>&1 ||
    t_fail "mamori flows -o json"
lines=$(grep -c '"sampling":' "$TMP/d2.json")
[ "$lines" -eq "$n2" ] || t_fail "mamori flows -o json printed $lines flows, not $n2"
bad=$(grep -vc '"sampling":10,' "$TMP/d2.json")
[ "$bad" -eq 0 ] || t_fail "$bad collected flows without sampling 10"
echo "collect (IPFIX, 1-in-10): $got flows of $n, sampling announced"
echo "ok"
