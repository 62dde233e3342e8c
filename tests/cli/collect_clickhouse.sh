#!/bin/sh
# collect_clickhouse.sh - `mamori collect --clickhouse URL` end to end: a
# throw-away clickhouse-server on 127.0.0.1 (tests/clickhouse-server.sh),
# a seeded v9 stream from `mamori lab isp`, and then mamori.flows in
# ClickHouse must hold the same flow count and packet and byte sums as the
# local store. Skips (77) without clickhouse-server, curl or lab isp.
# Bounded waits only (server start 60 s, delivery 60 s).
#
# usage: sh collect_clickhouse.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"

t_skip_unless_clickhouse
t_skip_unless_help "$MAMORI" lab isp

t_init collect-ch
t_clickhouse 7 2
q() { curl -s --data-binary "$1" "$URL"; }

t_collect 5 "$TMP/collect.err" --data "$TMP/data" --clickhouse "$URL" ||
    t_fail "collector did not start"

"$MAMORI" lab isp --seed 21 --format v9 --flows 30000 --rate 100000 \
    --send 127.0.0.1:$PORT >/dev/null || t_fail "lab isp"
t_wait_for "[ \"\$(q 'SELECT count() FROM mamori.flows' 2>/dev/null)\" = 30000 ]" 600 ||
    t_fail "mamori.flows holds '$(q 'SELECT count() FROM mamori.flows')' rows, want 30000"
t_stop "$MPID" "the collector"
[ $T_RC -eq 0 ] || t_fail "collector exited $T_RC"

ch=$(q 'SELECT count(), sum(packets), sum(bytes) FROM mamori.flows' | tr '\t' ' ')
st=$(t_totals "$TMP/data")
echo "clickhouse (flows packets bytes): $ch"
echo "store      (flows packets bytes): $st"
[ "$ch" = "$st" ] || t_fail "ClickHouse and the store disagree"
grep -q '"clickhouse":{"up":true,"rows_sent":30000,"rows_dropped":0,"backlog_rows":0}' \
    "$TMP/data/collect.stats.json" || t_fail "stats: $(grep -o '"clickhouse":{[^}]*}' "$TMP/data/collect.stats.json")"
echo "PASS"
exit 0
