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
SRCDIR=${MAMORI_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CTL=$SRCDIR/tests/clickhouse-server.sh

[ -f "$CTL" ] && sh "$CTL" available || { echo "skip: no clickhouse-server"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "skip: curl missing"; exit 77; }
"$MAMORI" lab isp --help >/dev/null 2>&1 || { echo "skip: mamori lab isp missing"; exit 77; }

TMP=$(mktemp -d /tmp/mamori-collect-ch.XXXXXX) || exit 1
chmod 755 "$TMP"	# the server may run as the clickhouse user
MPID=
cleanup() {
	[ -n "$MPID" ] && kill -9 "$MPID" 2>/dev/null
	sh "$CTL" stop "$TMP/srv" >/dev/null 2>&1
	[ -n "$KEEP" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; sed 's/^/  collect: /' "$TMP/err" 2>/dev/null; exit 1; }

wait_for() {
	i=0
	while [ $i -lt "${2:-200}" ]; do
		if eval "$1"; then return 0; fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# HTTP port and port+1 (native) that nobody answers on
CH=""
base=$((20000 + ($$ * 7) % 20000))
for i in 0 2 4 6 8 10 12 14; do
	p=$((base + i))
	if ! curl -s --max-time 1 "http://127.0.0.1:$p/" >/dev/null 2>&1 &&
	    ! curl -s --max-time 1 "http://127.0.0.1:$((p + 1))/" >/dev/null 2>&1; then
		CH=$p
		break
	fi
done
[ -n "$CH" ] || fail "no free port for clickhouse"
sh "$CTL" start "$TMP/srv" "$CH" >/dev/null || fail "clickhouse-server did not start"
URL="http://127.0.0.1:$CH/"
q() { curl -s --data-binary "$1" "$URL"; }

for try in 0 1 2 3 4 5 6 7 8 9; do
	PORT=$((20000 + ($$ * 13 + try * 19) % 20000))
	[ $PORT -eq $CH ] || [ $PORT -eq $((CH + 1)) ] && continue
	"$MAMORI" collect -l 127.0.0.1:$PORT --data "$TMP/data" \
	    --clickhouse "$URL" 2>"$TMP/err" &
	MPID=$!
	wait_for "grep -qs 'listening on' '$TMP/err' || ! kill -0 $MPID 2>/dev/null"
	kill -0 $MPID 2>/dev/null && break
	wait $MPID 2>/dev/null
	MPID=
done
[ -n "$MPID" ] || fail "collector did not start"

"$MAMORI" lab isp --seed 21 --format v9 --flows 30000 --rate 100000 \
    --send 127.0.0.1:$PORT >/dev/null || fail "lab isp"
wait_for "[ \"\$(q 'SELECT count() FROM mamori.flows' 2>/dev/null)\" = 30000 ]" 600 ||
    fail "mamori.flows holds '$(q 'SELECT count() FROM mamori.flows')' rows, want 30000"
kill -TERM $MPID
wait $MPID
rc=$?
MPID=
[ $rc -eq 0 ] || fail "collector exited $rc"

ch=$(q 'SELECT count(), sum(packets), sum(bytes) FROM mamori.flows' | tr '\t' ' ')
sum=$("$MAMORI" flows --data "$TMP/data" -N -s proto -n 1 2>/dev/null | grep '^Summary:')
st="$(echo "$sum" | sed -n 's/.*total flows: \([0-9]*\).*/\1/p') $(echo "$sum" | sed -n 's/.*total packets: \([0-9]*\).*/\1/p') $(echo "$sum" | sed -n 's/.*total bytes: \([0-9]*\).*/\1/p')"
echo "clickhouse (flows packets bytes): $ch"
echo "store      (flows packets bytes): $st"
[ "$ch" = "$st" ] || fail "ClickHouse and the store disagree"
grep -q '"clickhouse":{"up":true,"rows_sent":30000,"rows_dropped":0,"backlog_rows":0}' \
    "$TMP/data/collect.stats.json" || fail "stats: $(grep -o '"clickhouse":{[^}]*}' "$TMP/data/collect.stats.json")"
echo "PASS"
exit 0
