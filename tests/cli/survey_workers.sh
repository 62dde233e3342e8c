#!/bin/sh
# survey_workers.sh - `mamori survey --workers N` (one survey split over
# worker processes, src/survey/pool.c) against a `mamori lab devices` fleet
# on 127.27.0.0/22 (5 % live, seed 3):
#   1. --workers 1 and --workers 3 report the same services (address,
#      port, service, vendor, product, version, rule, CVEs) and store the
#      same number of findings; --workers 3's summary counts every target;
#   2. --resume with workers: a run stopped by SIGTERM part way (rate
#      capped so that it is still running) exits 0 and saves STATE.0 and
#      STATE.1; the resumed run finishes the survey; the two runs together
#      report the same services as the uninterrupted run; a third run with
#      the same states contacts nothing; --workers 3 with those states is
#      refused (exit 2, names the file and both shards);
#   3. a worker killed with SIGKILL: the survey exits 1 naming the worker
#      and the signal, and what the workers reported before is committed
#      to the findings store (nothing found is lost).
# Only 127.27.0.0/22 is used; waits are bounded, nothing is timed.
#
# usage: sh survey_workers.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"

t_skip_unless_opt --workers "no survey --workers" "$MAMORI" survey
t_need python3
t_init survey-workers

PORTS=22,23,80,443,2323,8080,8443,10443
echo 127.27.0.0/22 >"$TMP/scope"
t_fleet DPID 127.27.0.0/22 --live-pct 5 --seed 3 --duration 300s

# survey NAME [options]: one run into $TMP/NAME.json, exit code in $rc
survey() {
	name=$1
	shift
	"$MAMORI" survey --lab --scope "$TMP/scope" -p $PORTS --seed 7 \
	    --timeout 2000 --banner-wait 1500 \
	    --rules "$SRC/data/fingerprints" --vulns "$SRC/data/vulns" \
	    -o json "$@" >"$TMP/$name.json" 2>"$TMP/$name.err"
	rc=$?
	return $rc
}

# survey_bg NAME [options]: the same in the background, SPID its pid
survey_bg() {
	name=$1
	shift
	"$MAMORI" survey --lab --scope "$TMP/scope" -p $PORTS --seed 7 \
	    --timeout 2000 --banner-wait 1500 \
	    --rules "$SRC/data/fingerprints" --vulns "$SRC/data/vulns" \
	    -o json "$@" >"$TMP/$name.json" 2>"$TMP/$name.err" &
	SPID=$!
	t_bg "$SPID"
}

# services FILE...: the sorted service rows of the json outputs
services() {
	python3 - "$@" <<'PY'
import json, sys
rows = set()
for f in sys.argv[1:]:
    for line in open(f):
        o = json.loads(line)
        if o.get("type") == "service":
            rows.add(json.dumps([o[k] for k in ("target", "port", "service",
                "vendor", "product", "version", "rule", "cves")]))
for r in sorted(rows):
    print(r)
PY
}

nfindings() {
	"$MAMORI" findings list --data "$1" -o csv 2>/dev/null | tail -n +2 |
	    wc -l | tr -d ' '
}

# 1. one process and three workers agree
survey one --rate 0 --data "$TMP/d1" --workers 1
[ "$rc" = 0 ] || t_fail "--workers 1: exit $rc"
survey three --rate 0 --data "$TMP/d3" --workers 3
[ "$rc" = 0 ] || t_fail "--workers 3: exit $rc"
services "$TMP/one.json" >"$TMP/one.rows"
services "$TMP/three.json" >"$TMP/three.rows"
n1=$(wc -l <"$TMP/one.rows")
[ "$n1" -gt 50 ] || t_fail "only $n1 services found"
cmp -s "$TMP/one.rows" "$TMP/three.rows" ||
    { diff "$TMP/one.rows" "$TMP/three.rows" | head; t_fail "1 vs 3 workers differ"; }
f1=$(nfindings "$TMP/d1") f3=$(nfindings "$TMP/d3")
[ "$f1" = "$f3" ] && [ "$f1" -gt 0 ] ||
    t_fail "findings: $f1 with one process, $f3 with three workers"
t3=$(t_summary "$TMP/three.json" targets)
[ "$t3" -ge 8190 ] && [ "$t3" -le 8192 ] ||
    t_fail "three workers counted $t3 targets of 8192"
echo "survey_workers: 1 and 3 workers agree: $n1 services, $f1 findings"

# 2. stop part way, resume, nothing twice
STATE=$TMP/state
survey_bg part --rate 400 --data "$TMP/dr" --workers 2 --resume "$STATE"
sleep 3
kill -TERM "$SPID"
wait "$SPID"
rc=$?
t_unbg "$SPID"
[ "$rc" = 0 ] || t_fail "stopped run: exit $rc"
[ -f "$STATE.0" ] && [ -f "$STATE.1" ] || t_fail "no state files STATE.0/.1"
survey rest --rate 0 --data "$TMP/dr" --workers 2 --resume "$STATE"
[ "$rc" = 0 ] || t_fail "resumed run: exit $rc"
p=$(services "$TMP/part.json" | wc -l)
services "$TMP/part.json" "$TMP/rest.json" >"$TMP/resumed.rows"
cmp -s "$TMP/one.rows" "$TMP/resumed.rows" ||
    { diff "$TMP/one.rows" "$TMP/resumed.rows" | head; t_fail "stopped + resumed differs from one run"; }
[ "$p" -lt "$n1" ] || t_fail "the stopped run found all $p services: not stopped part way"
survey again --rate 0 --data "$TMP/dr" --workers 2 --resume "$STATE"
[ "$rc" = 0 ] || t_fail "third run: exit $rc"
c=$(t_summary "$TMP/again.json" connects)
[ "$c" = 0 ] || t_fail "third run on finished states made $c connects"
survey mismatch --rate 0 --data "$TMP/dr" --workers 3 --resume "$STATE"
[ "$rc" = 2 ] || t_fail "--workers 3 on 2-worker states: exit $rc, want 2"
grep -q "state.0: saved as shard 0/2, worker 0 of this run is 0/3" \
    "$TMP/mismatch.err" || t_fail "mismatch message: $(cat "$TMP/mismatch.err")"
echo "survey_workers: stopped after $p services, resumed to $n1; finished states contact nothing"

# 3. a worker killed: exit 1, what was found is kept
survey_bg killed --rate 300 --data "$TMP/dk" --workers 2
i=0 child=
while [ -z "$child" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && t_fail "no worker process seen"
	sleep 0.1
	child=$(python3 - "$SPID" <<'PY'
import os, sys
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            st = open("/proc/%s/stat" % p).read()
        except OSError:
            continue
        if int(st.rsplit(")", 1)[1].split()[1]) == int(sys.argv[1]):
            print(p)
            break
PY
)
done
sleep 2
kill -KILL "$child"
wait "$SPID"
rc=$?
t_unbg "$SPID"
[ "$rc" = 1 ] || t_fail "killed worker: exit $rc, want 1"
grep -q "ended by signal 9" "$TMP/killed.err" ||
    t_fail "no 'ended by signal 9' in: $(cat "$TMP/killed.err")"
k=$(services "$TMP/killed.json" | wc -l)
fk=$(nfindings "$TMP/dk")
[ "$k" -gt 0 ] && [ "$fk" -gt 0 ] ||
    t_fail "killed worker: $k services reported, $fk findings stored"
echo "survey_workers: a killed worker ends the survey with exit 1; $k services reported and $fk findings kept"
echo "PASS"
