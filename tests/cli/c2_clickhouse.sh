#!/bin/sh
# c2_clickhouse.sh - the C&C detector end to end through the real pipeline:
# a lab day exported over IPFIX to `mamori collect`, which writes its store
# and a throw-away clickhouse-server on 127.0.0.1; then `mamori c2` on the
# store and `mamori c2 --clickhouse URL` (per-pair aggregates by SQL) must
# rank the same servers, and both must find the planted servers with >= 5
# clients (recall >= 0.9: on this small day one server of a botnet that
# spreads its 6 clients over 3 servers has a single client). Exit 77 (skip) without clickhouse-server, curl
# or `mamori lab flows`.
#
#   sh tests/cli/c2_clickhouse.sh path/to/mamori
set -u
M=${1:?usage: c2_clickhouse.sh path/to/mamori}
MAMORI=$M
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"
NETS=100.64.0.0/10,2001:db8:100::/40

t_skip_unless_clickhouse
t_skip_unless_help "$M" lab flows

t_init c2ch
T=$TMP
fail=0
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# HTTP PORT, native PORT+1, the collector's UDP PORT+2
t_clickhouse 11 3
UDP=$((PORT + 2))

"$M" collect -l 127.0.0.1:$UDP --data "$T/store" --clickhouse "$URL" \
    >"$T/collect.out" 2>"$T/collect.err" &
CPID=$!
t_bg "$CPID"
sleep 1
"$M" lab flows --seed 3 --subscribers 1000 --send 127.0.0.1:$UDP \
    --rate 50000 --truth "$T/truth.json" >/dev/null 2>"$T/lab.err" ||
    bad "lab flows --send"
sleep 3
kill -TERM "$CPID"
wait "$CPID" 2>/dev/null
t_unbg "$CPID"
n=$(curl -s "$URL" --data-binary "SELECT count() FROM mamori.flows")
echo "flows in clickhouse: $n"
[ "${n:-0}" -gt 100000 ] || bad "too few flows in clickhouse: $n"

"$M" c2 --data "$T/store" --internal "$NETS" --no-default-lists -q -n 0 \
    -o csv >"$T/store.csv" || bad "c2 on the store"
"$M" c2 --data "$T/chf" --clickhouse "$URL" --internal "$NETS" \
    --no-default-lists -q -n 0 -o csv >"$T/ch.csv" || bad "c2 --clickhouse"
cut -d, -f4-6 "$T/store.csv" | sort >"$T/a"
cut -d, -f4-6 "$T/ch.csv" | sort >"$T/b"
if cmp -s "$T/a" "$T/b"; then :; else
	bad "store and clickhouse rank different servers"
	diff "$T/a" "$T/b" | head -20
fi
for d in store chf; do
	"$M" c2 eval --data "$T/$d" --truth "$T/truth.json" -o json >"$T/ev" ||
	    bad "eval $d"
	r5=$(sed -n 's/.*"recall_5plus":\([0-9.eE+-]*\).*/\1/p' "$T/ev")
	echo "$d: $(cat "$T/ev")"
	awk -v a="$r5" 'BEGIN { exit !(a + 0 >= 0.9) }' ||
	    bad "$d: recall (>=5 clients) $r5 < 0.9"
done
echo "c2_clickhouse.sh: $fail failed"
[ "$fail" -eq 0 ]
