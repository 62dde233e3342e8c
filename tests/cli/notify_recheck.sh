#!/bin/sh
# notify_recheck.sh - `mamori notify recheck` against a lab fleet:
#   1. `mamori lab devices --range 127.24.0.0/24` (seed 7), `mamori survey
#      --lab` over it (with --check-credentials when the survey has it);
#   2. `mamori notify run --outbox`: every survey finding is attributed
#      (a customer file and contacts for 127.24.0.0/24) and notified;
#   3. one device is "fixed": an address with vulnerable-version findings
#      and no open telnet or weak login; the fleet is restarted with
#      `mamori lab devices --fixed FILE` naming it (its owner fixed it:
#      every exposed service of it is closed);
#   4. `mamori notify recheck --lab` with the fleet down is refused (no
#      target answered) and changes nothing;
#   5. `mamori notify recheck --lab`: the vulnerable-version findings of
#      the fixed address and its device findings on those ports are
#      remediated (findings.db status remediated, notify.db state), every
#      other finding persisting (still notified); `notify stats` counts
#      them;
#   6. with the fleet gone, `notify recheck --force` finds them remediated:
#      the month's persisting figure stays, the remediated one grows.
# Skips (77) when `mamori lab devices --help` does not mention --fixed.
# Only 127.24.0.0/24 is used; no timing assertions (waits are bounded).
#
# usage: sh notify_recheck.sh path/to/mamori
M=${1:?usage: $0 path/to/mamori}
MAMORI=$M
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"

t_skip_unless_help "$M" notify recheck
t_skip_unless_opt --fixed "mamori lab devices has no --fixed option yet" \
    "$M" lab devices
t_need python3
t_init notify-recheck
T=$TMP
D=$T/data

PORTS=22,23,80,443,2323,8080,8443,10443
RANGE=127.24.0.0/24
CREDS=
CREDFILE=
if "$M" survey --help 2>&1 | grep -q -- --check-credentials; then
	CREDS=--check-credentials
	CREDFILE="--credentials $SRC/data/credentials/mirai.creds"
fi

# fleet_start [extra args]: starts the fleet, waits for its ready line
fleet_start() {
	t_fleet DPID $RANGE --live-pct 12 --seed 7 --duration 300s "$@"
}
fleet_stop() {
	t_stop "$DPID" "lab devices"
}

# 1. fleet and survey
echo "$RANGE" >"$T/scope"
fleet_start
"$M" survey --lab --scope "$T/scope" -p $PORTS --rate 2000 --seed 1 \
    --timeout 5000 --banner-wait 2000 $CREDS $CREDFILE \
    --rules "$SRC/data/fingerprints" --vulns "$SRC/data/vulns" \
    --data "$D" -o json >"$T/survey.json" 2>"$T/survey.err" ||
    t_fail "survey exit $?"
fleet_stop

# 2. notify to the outbox
printf '%s lab-isp AS64496\n' "$RANGE" >"$T/customers"
cat >"$T/contacts" <<'EOF'
[customer:lab-isp]
id     = lab-isp
org    = ラボ回線株式会社
isp    = Lab ISP
email  = abuse@lab-isp.example.jp
lang   = ja
format = csv
EOF
"$M" notify run --data "$D" --customers "$T/customers" \
    --contacts "$T/contacts" --from noc@mamori.example.org \
    --org "Mamori Test" --templates "$SRC/data/notify/templates" \
    --outbox "$T/outbox" >"$T/run.out" 2>"$T/run.err" ||
    t_fail "notify run exit $?"
"$M" findings list --data "$D" --detector survey -o json >"$T/f1.json" ||
    t_fail "findings list"

# 3. the fixed device
python3 - "$T/f1.json" >"$T/fixed" <<'PY' || t_fail "choosing the fixed device"
import json, sys
by, ports, vports = {}, {}, {}
for line in open(sys.argv[1]):
    f = json.loads(line)
    assert f["status"] == "notified", ("not notified", f["id"], f["status"])
    by.setdefault(f["subject"], set()).add(f["kind"])
    ports.setdefault(f["subject"], set()).add(f["port"])
    if f["kind"] == "vulnerable-version":
        vports.setdefault(f["subject"], set()).add(f["port"])
# an address with vulnerable versions only, preferably on every port
c = sorted((ports[a] != vports[a], a) for a, k in by.items()
           if "vulnerable-version" in k and "open-telnet" not in k
           and "weak-credential" not in k)
assert c, "no address with only vulnerable versions"
assert len(by) > 3, "too few devices"
print(c[0][1])
PY
FIXED=$(cat "$T/fixed")

# with the fleet down the survey reaches nothing: refused, nothing changes
"$M" notify recheck --lab --data "$D" --timeout 2000 \
    --rules "$SRC/data/fingerprints" --vulns "$SRC/data/vulns" \
    >"$T/recheck0.out" 2>"$T/recheck0.err"
rc=$?
[ "$rc" = 1 ] || t_fail "recheck with nothing answering: exit $rc, want 1"
grep -q 'no target answered' "$T/recheck0.err" || t_fail "no 'no target answered' message"
"$M" findings list --data "$D" --detector survey --status notified -o csv \
    >"$T/still" || t_fail "findings list"
[ "$(($(wc -l <"$T/still") - 1))" -eq "$(wc -l <"$T/f1.json")" ] ||
    t_fail "a failed recheck changed findings"
rm -f "$T/recheck0.err"

fleet_start --fixed "$T/fixed"

# 4. recheck
"$M" notify recheck --lab $CREDS $CREDFILE --data "$D" --timeout 5000 \
    --rules "$SRC/data/fingerprints" --vulns "$SRC/data/vulns" -o json \
    >"$T/recheck.json" 2>"$T/recheck.err" || t_fail "notify recheck exit $?"
fleet_stop
"$M" findings list --data "$D" --detector survey -o json >"$T/f2.json" ||
    t_fail "findings list"
python3 - "$T/recheck.json" "$T/f2.json" "$FIXED" "$T/f1.json" <<'PY' || t_fail "recheck results"
import json, sys
fixed = sys.argv[3]
res = [json.loads(l) for l in open(sys.argv[1])]
st = {}
for line in open(sys.argv[2]):
    f = json.loads(line)
    st[f["id"]] = (f["subject"], f["kind"], f["status"])
# ports of the fixed device that had a vulnerable version: their device
# findings go with it; a device finding on another port of it (a service
# without a problem) is persisting if that service still answers, and
# remediated if the fixed device is silent (the lab's --fixed closes
# every service of it)
vports = set()
for line in open(sys.argv[4]):
    f = json.loads(line)
    if f["subject"] == fixed and f["kind"] == "vulnerable-version":
        vports.add(f["port"])
bad = 0
rem = per = 0
for r in res:
    gone = r["address"] == fixed and (r["kind"] != "device" or
                                      r["port"] in vports)
    want = "remediated" if gone else "persisting"
    if (r["address"] == fixed and r["kind"] == "device" and
            r["result"] == "remediated"):
        want = "remediated"     # a silent fixed device: gone altogether
    if r["result"] != want:
        print("finding", r["finding"], r["kind"], r["address"], r["port"],
              "got", r["result"], "want", want); bad = 1
    s = st[r["finding"]][2]
    wst = "remediated" if want == "remediated" else "notified"
    if s != wst:
        print("finding", r["finding"], "status", s, "want", wst); bad = 1
    rem += r["result"] == "remediated"
    per += r["result"] == "persisting"
if rem == 0 or per == 0:
    print("want both remediated and persisting findings"); bad = 1
assert all(r["scan_id"] for r in res), "no scan id"
print("notify_recheck: fixed %s: %d remediated, %d persisting" % (fixed,
      rem, per))
sys.exit(bad)
PY
"$M" notify stats --data "$D" -o json >"$T/stats.json" || t_fail "notify stats"
python3 - "$T/stats.json" "$T/recheck.json" <<'PY' || t_fail "stats"
import json, sys
s = json.load(open(sys.argv[1]))
res = [json.loads(l) for l in open(sys.argv[2])]
rem = sum(r["result"] == "remediated" for r in res)
per = sum(r["result"] == "persisting" for r in res)
t = s["totals"]
assert t["remediated"] == rem and t["persisting"] == per, (t, rem, per)
assert s["states"]["remediated"] == rem, s["states"]
PY

# 6. the whole fleet is gone: a forced recheck finds every judged finding
# remediated; the month's persisting figure is not lowered by that (each
# recheck counts in its own month), the remediated one grows
"$M" notify recheck --lab $CREDS $CREDFILE --data "$D" --timeout 2000 \
    --rules "$SRC/data/fingerprints" --vulns "$SRC/data/vulns" --force \
    -o json >"$T/recheck2.json" 2>"$T/recheck2.err" ||
    t_fail "forced notify recheck exit $?"
"$M" notify stats --data "$D" -o json >"$T/stats2.json" || t_fail "notify stats"
python3 - "$T/stats2.json" "$T/recheck.json" "$T/recheck2.json" <<'PY' || t_fail "stats after remediation"
import json, sys
s = json.load(open(sys.argv[1]))
res = [json.loads(l) for l in open(sys.argv[2])]
res2 = [json.loads(l) for l in open(sys.argv[3])]
rem = sum(r["result"] == "remediated" for r in res)
per = sum(r["result"] == "persisting" for r in res)
rem2 = sum(r["result"] == "remediated" for r in res2)
assert rem2 > 0 and not any(r["result"] == "persisting" for r in res2), res2
t = s["totals"]
assert t["persisting"] == per, (t, per)
assert t["remediated"] == rem + rem2, (t, rem, rem2)
assert s["states"]["persisting"] == 0, s["states"]
PY
echo "notify_recheck: ok"
exit 0
