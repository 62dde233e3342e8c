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
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"
CTL=$SRC/tests/clickhouse-server.sh
BIN=$(dirname "$MAMORI")/test_chsink

t_skip_unless_clickhouse
[ -x "$BIN" ] || t_skip "$BIN not built"

t_init ch
DIR=$TMP
t_clickhouse 1 2
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
