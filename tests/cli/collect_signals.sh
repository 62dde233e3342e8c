#!/bin/sh
# collect_signals.sh - `mamori collect` signal handling: SIGUSR1 prints the
# counters to stderr, SIGHUP rewrites the stats file at once, SIGTERM
# flushes and exits 0 leaving a valid JSON stats file whose counts match
# what was sent (over 127.0.0.1 and, where the host has it, ::1). Also: a
# bad -l is a usage error (exit 2); --pidfile is written and removed.
# Loopback only. Needs python3 (JSON check) and `mamori lab isp` as the
# sender, else skips (77).
#
# usage: sh collect_signals.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"
t_need python3
t_skip_unless_help "$MAMORI" lab isp
t_init collect-signals

# usage errors
"$MAMORI" collect -l 127.0.0.1:99999 --data "$TMP/x" 2>/dev/null
[ $? -eq 2 ] || t_fail "bad port not a usage error"
"$MAMORI" collect -l ::1:2055 --data "$TMP/x" 2>/dev/null
[ $? -eq 2 ] || t_fail "unbracketed IPv6 not a usage error"
"$MAMORI" collect --bogus 2>/dev/null
[ $? -eq 2 ] || t_fail "unknown option not a usage error"

# IPv6 loopback too, where the host has it
V6=
python3 -c "import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(('::1', 0))" \
    2>/dev/null && V6=1
for try in 0 1 2 3 4 5 6 7 8 9; do
	PORT=$((20000 + ($$ * 5 + try * 13) % 20000))
	"$MAMORI" collect -l 127.0.0.1:$PORT ${V6:+-l [::1]:$PORT} --data "$TMP/data" \
	    --pidfile "$TMP/pid" -t 60 2>"$TMP/collect.err" &
	MPID=$!
	t_bg "$MPID"
	t_wait_for "grep -qs 'listening on' '$TMP/collect.err' || ! kill -0 $MPID 2>/dev/null"
	kill -0 $MPID 2>/dev/null && break
	wait $MPID 2>/dev/null
	t_unbg "$MPID"
	MPID=
done
[ -n "$MPID" ] || t_fail "collector did not start"
[ "$(cat "$TMP/pid")" = "$MPID" ] || t_fail "pid file holds $(cat "$TMP/pid"), not $MPID"
[ $(wc -l <"$TMP/collect.err") -eq 1 ] || t_fail "more than one startup line"
[ -z "$V6" ] || grep -q "\[::1\]:$PORT" "$TMP/collect.err" || t_fail "[::1] not in the startup line"

"$MAMORI" lab isp --seed 3 --format v9 --flows 5000 --rate 50000 \
    --send 127.0.0.1:$PORT >/dev/null || t_fail "lab isp"
"$MAMORI" lab isp --seed 4 --format v5 --flows 3000 --rate 50000 \
    --v6 0 --send 127.0.0.1:$PORT >/dev/null || t_fail "lab isp v5"
TOTAL=8000
if [ -n "$V6" ]; then
	"$MAMORI" lab isp --seed 5 --format ipfix --flows 2000 --rate 50000 \
	    --send "[::1]:$PORT" >/dev/null || t_fail "lab isp ipfix over ::1"
	TOTAL=10000
fi

STATS="$TMP/data/collect.stats.json"
written() {
	python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['flows_written'])" \
	    "$STATS" 2>/dev/null
}
# SIGHUP rewrites the stats file now; repeat until all flows are counted.
t_wait_for "kill -HUP $MPID; sleep 0.2; [ \"\$(written)\" = $TOTAL ]" ||
    t_fail "stats file never showed $TOTAL flows written (last: $(written))"

# SIGUSR1: counters on stderr (exporter tables refresh within a second)
t_wait_for "kill -USR1 $MPID; sleep 0.3; grep -q 'exporter   127.0.0.1 port [0-9]* netflow-v5' '$TMP/collect.err' && grep -q 'exporter   127.0.0.1 port [0-9]* netflow-v9' '$TMP/collect.err'" ||
    t_fail "SIGUSR1 report lacks the v5 and v9 exporters"
grep -q 'flows written' "$TMP/collect.err" || t_fail "no store counters after SIGUSR1"
grep -q '^received   [0-9]* datagrams' "$TMP/collect.err" || t_fail "SIGUSR1 report lacks datagrams"

# SIGTERM: exit 0, final stats valid JSON, pid file removed
t_stop "$MPID" "the collector"
[ $T_RC -eq 0 ] || t_fail "exit status $T_RC after SIGTERM"
[ ! -e "$TMP/pid" ] || t_fail "pid file left behind"
python3 - "$STATS" $TOTAL <<'PY' || t_fail "final stats file"
import json, sys
d = json.load(open(sys.argv[1]))
total = int(sys.argv[2])
for k in ("datagrams", "flows", "flows_written", "kernel_drops",
          "queue_drops", "truncated", "decode_errors", "exporters"):
    assert k in d, k
assert d["flows"] == total and d["flows_written"] == total, d
assert d["kernel_drops"] == 0 and d["queue_drops"] == 0, d
assert d["decode_errors"] == 0, d
vers = sorted(e["version"] for e in d["exporters"])
want = ["netflow-v5", "netflow-v9"]
if total == 10000:
    want = ["ipfix"] + want
    assert [e["address"] for e in d["exporters"] if e["version"] == "ipfix"] == ["::1"], d
assert vers == want, vers
assert sum(e["flows"] for e in d["exporters"]) == total
PY
ls "$STATS".tmp.* >/dev/null 2>&1 && t_fail "temporary stats file left behind"
"$MAMORI" flows --data "$TMP/data" -N -s proto -n 1 2>"$TMP/flows.err" |
    grep -q "total flows: $TOTAL," || t_fail "store does not hold $TOTAL flows: $(cat "$TMP/flows.err")"
echo "PASS"
exit 0
