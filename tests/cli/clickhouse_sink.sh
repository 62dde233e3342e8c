#!/bin/sh
# clickhouse_sink.sh - end-to-end ClickHouse sink test against a throw-away
# clickhouse-server on 127.0.0.1: rows pushed through the sink arrive with
# matching counts and sums; then the server is stopped, more rows are
# pushed, the server is restarted and the backlog must be delivered and
# counted (retries > 0, nothing dropped). The pushing and checking is done
# by the test_chsink cmocka binary (live part enabled by the environment
# set here). Exit 77 (skip) when clickhouse-server or the test binary is
# missing. Bounded: server start-up wait 60 s, delivery waits 60 + 90 s.
#
#   sh tests/cli/clickhouse_sink.sh path/to/mamori

MAMORI=${1:?usage: clickhouse_sink.sh path/to/mamori}
SRCDIR=${MAMORI_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CTL=$SRCDIR/tests/clickhouse-server.sh
BIN=$(dirname "$MAMORI")/test_chsink

if ! sh "$CTL" available; then
	echo "clickhouse-server not installed: skipped"
	exit 77
fi
if [ ! -x "$BIN" ]; then
	echo "$BIN not built: skipped"
	exit 77
fi
command -v curl >/dev/null 2>&1 || { echo "curl missing: skipped"; exit 77; }

DIR=$(mktemp -d /tmp/mamori-ch.XXXXXX) || exit 1
chmod 755 "$DIR"	# the server may run as the clickhouse user
cleanup() {
	sh "$CTL" stop "$DIR/srv" >/dev/null 2>&1
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

# A loopback port pair (HTTP, HTTP+1 native) nobody answers on.
PORT=""
base=$((20000 + $$ % 20000))
for i in 0 2 4 6 8 10 12 14; do
	p=$((base + i))
	if ! curl -s --max-time 1 "http://127.0.0.1:$p/" >/dev/null 2>&1 &&
	    ! curl -s --max-time 1 "http://127.0.0.1:$((p + 1))/" >/dev/null 2>&1; then
		PORT=$p
		break
	fi
done
[ -n "$PORT" ] || { echo "no free port"; exit 1; }

if ! sh "$CTL" start "$DIR/srv" "$PORT" >/dev/null; then
	echo "FAIL: clickhouse-server did not start"
	exit 1
fi
URL="http://127.0.0.1:$PORT/"
echo "clickhouse $(curl -s "${URL}?query=SELECT%20version()") on $URL"

MAMORI_CLICKHOUSE_URL=$URL MAMORI_CLICKHOUSE_CTL=$CTL \
MAMORI_CLICKHOUSE_DIR=$DIR/srv MAMORI_CLICKHOUSE_PORT=$PORT \
    "$BIN" > "$DIR/out.txt" 2>&1
rc=$?
cat "$DIR/out.txt"
if [ $rc -ne 0 ] || grep -q SKIPPED "$DIR/out.txt"; then
	echo "FAIL: test_chsink live run (rc=$rc)"
	exit 1
fi

# Independent check with curl: the test ends by dropping the table and
# pushing 10 rows, which the sink must have re-created and delivered.
n=$(curl -s "${URL}?query=SELECT%20count()%20FROM%20mamori.flows")
if [ "$n" != "10" ]; then
	echo "FAIL: mamori.flows has '$n' rows, want 10"
	exit 1
fi
echo "PASS"
exit 0
