#!/bin/sh
# survey_buildtable.sh - version leaks of the VPN portals, and an
# operator's build table loaded beside the shipped rules:
#   1. a fleet on 127.26.0.0/24 (every address live, seed 7: it holds
#      every FortiGate and SonicWall SMA 100 template of
#      src/lab/devices.c, which is checked); the survey's scope is one
#      address per such template;
#   2. survey with the shipped rules (--rules data/fingerprints): the
#      FortiGates 7.2.2/7.2.3 (build hash in the login page) and the SMA
#      100s (firmware in the welcome page's asset names) are identified
#      with their versions and exactly the truth's CVEs; the FortiGates
#      5.6.7/6.0.4/6.0.9/6.4.4, whose build shows only as an ETag time no
#      public table maps, equal the truth's "expected" generic result
#      (Fortinet, FortiGate SSL-VPN, no version) and carry no CVE: 6.0.4
#      is not reported as CVE-2018-13379;
#   3. survey with --rules data/fingerprints --rules
#      data/lab/fortigate-etag.rules (the lab's stand-in build table):
#      every one of them now has the truth's version and exactly the
#      truth's CVEs (6.0.4: CVE-2018-13379 among them).
# Only 127.26.0.0/24 is used; no timing assertions (waits are bounded).
#
# usage: sh survey_buildtable.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"

t_skip_unless_help "$MAMORI" survey
t_skip_unless_help "$MAMORI" lab devices
t_need python3
t_init survey-buildtable

# 1. fleet and scope
t_fleet DPID 127.26.0.0/24 --live-pct 100 --seed 7 --duration 300s

python3 - "$TMP/truth.json" "$SRC/src/lab/devices.c" >"$TMP/scope" <<'PY' || t_fail "truth"
import json, re, sys
t = json.load(open(sys.argv[1]))
src = open(sys.argv[2]).read()
want = set(n for n in re.findall(r'= (?:FGTE|FGTH|VPN)\("([^"]+)"', src)
           if n.startswith(("fgt-", "sonicwall-")))
pick = {}
for s in t["services"]:
    if s["template"] in want:
        pick.setdefault(s["template"], s["addr"])
missing = want - set(pick)
if not want or missing:
    sys.exit("templates not in the fleet (pick another seed): %s" %
             sorted(missing))
for a in sorted(set(pick.values())):
    print(a)
PY

survey() {
	# $1: output file; the rest: --rules arguments
	out=$1
	shift
	"$MAMORI" survey --lab --scope "$TMP/scope" -p 80,443,8080,10443 \
	    --rate 500 --seed 1 --timeout 2000 --banner-wait 1500 "$@" \
	    --vulns "$SRC/data/vulns" --operator "mamori tests" \
	    --purpose "survey_buildtable.sh" --contact "tests@example.invalid" \
	    --data "$TMP/data" -o json >"$out" 2>"$TMP/survey.err" ||
	    t_fail "survey exit $?"
}

# compare: $1 truth, $2 survey output, $3 "shipped" or "table"
check() {
	python3 - "$@" <<'PY'
import json, sys
truth = json.load(open(sys.argv[1]))
mode = sys.argv[3]
scope = set(open(sys.argv[4]).read().split())
got = {}
for line in open(sys.argv[2]):
    o = json.loads(line)
    if o.get("type") == "service":
        got[(o["target"], o["port"])] = o
bad = n = 0
for s in truth["services"]:
    if s["addr"] not in scope:
        continue
    n += 1
    r = got.get((s["addr"], s["port"]))
    if r is None:
        print(mode, "missing", s["addr"], s["port"], s["template"]); bad = 1
        continue
    e = s
    if mode == "shipped" and s.get("identifiable") is False:
        e = s["expected"]
    w = (e["service"], e["vendor"], e["product"], e["version"])
    g = (r["service"], r["vendor"], r["product"], r["version"])
    wc = sorted(s["cves"]) if e["version"] else []
    gc = sorted(r["cves"].split())
    if g != w or gc != wc:
        print(mode, "mismatch", s["addr"], s["port"], s["template"],
              "got", g, gc, "want", w, wc); bad = 1
    if s["template"] == "fgt-6.0.4":
        has = "CVE-2018-13379" in gc
        if has != (mode == "table"):
            print(mode, "fgt-6.0.4: CVE-2018-13379", "reported" if has
                  else "not reported"); bad = 1
print("survey_buildtable: %s rules: %d services, %s" % (mode, n,
      "all exact" if not bad else "MISMATCH"))
sys.exit(bad or n == 0)
PY
}

# 2. shipped rules only
survey "$TMP/out1.json" --rules "$SRC/data/fingerprints"
check "$TMP/truth.json" "$TMP/out1.json" shipped "$TMP/scope" ||
    t_fail "shipped rules"

# 3. shipped rules plus the lab's build table
survey "$TMP/out2.json" --rules "$SRC/data/fingerprints" \
    --rules "$SRC/data/lab/fortigate-etag.rules"
check "$TMP/truth.json" "$TMP/out2.json" table "$TMP/scope" ||
    t_fail "with data/lab/fortigate-etag.rules"

t_stop "$DPID" "lab devices"
echo "survey_buildtable: ok"
exit 0
