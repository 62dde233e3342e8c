#!/bin/sh
# survey_creds.sh - end to end for the opt-in credential check of
# `mamori survey --check-credentials` against `mamori lab devices`:
#   1. a fleet on 127.21.0.0/22 (6 % live, seed 11, truth with secrets),
#      with the lab's real lighttpd (Basic and Digest) and dropbear when
#      it offers them (--real: on the top addresses of the range); the
#      survey's scope is 127.21.0.0/23 + 127.21.2.0/24 + 127.21.3.252/30
#      (the rest of 127.21.3.0/24 stays outside);
#   2. the set of (address, port, credential_id) of the weak-credential
#      findings equals EXACTLY the truth's in-scope services with a
#      non-null credential_id (both sets printed on a mismatch), and the
#      service rows carry the same ids;
#   3. no user or password of data/credentials/mirai.creds leaks: no JSON
#      value of the rows, the summary or the findings export (evidence
#      included) and no CSV field equals one; no "user:password" form,
#      its base64 (HTTP Basic) nor a distinctive password of the pairs the
#      lab accepts appears anywhere in stdout, stderr or the export;
#   4. --max-attempts 1 with a list whose first pair no device accepts
#      gives no weak-credential finding and at most one attempt per
#      service; without --check-credentials no credential field is
#      written; after SIGTERM the fleet's counts show no connection
#      outside the scope;
#   5. option errors: --credentials without --check-credentials, a bad
#      credentials file (file:line in the message, no secret), --source
#      outside loopback in --lab.
# Only 127.21.0.0/22 is used; no timing assertions (waits are bounded).
#
# usage: sh survey_creds.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"

t_skip_unless_opt check-credentials "no credential check" "$MAMORI" survey
t_skip_unless_help "$MAMORI" lab devices
t_need python3
t_init survey-creds
CREDS="$SRC/data/credentials/mirai.creds"

PORTS=22,23,80,443,2323,8080,8443,10443
printf '127.21.0.0/23\n127.21.2.0/24\n127.21.3.252/30\n' >"$TMP/scope"
REAL=
"$MAMORI" lab devices --help 2>&1 | grep -q -- '--real' && REAL="--real lighttpd,dropbear"
COMMON="--lab --scope $TMP/scope -p $PORTS --rate 2000 --seed 1 --timeout 5000 --banner-wait 2000 --rules $SRC/data/fingerprints --vulns $SRC/data/vulns"

# 5. option errors first (no fleet needed)
"$MAMORI" survey $COMMON --credentials "$CREDS" --data "$TMP/d0" \
    >/dev/null 2>"$TMP/e1"
[ $? = 2 ] || t_fail "--credentials without --check-credentials: want exit 2"
printf 'ok-1 root xc3511\nbad line here too many\n' >"$TMP/bad.creds"
"$MAMORI" survey $COMMON --check-credentials --credentials "$TMP/bad.creds" \
    --data "$TMP/d0" >/dev/null 2>"$TMP/e2"
[ $? = 2 ] || t_fail "bad credentials file: want exit 2"
grep -q 'bad.creds:2:' "$TMP/e2" || t_fail "no file:line in: $(cat "$TMP/e2")"
grep -q 'xc3511\|too many' "$TMP/e2" && t_fail "credentials error echoes a field: $(cat "$TMP/e2")"
"$MAMORI" survey $COMMON --check-credentials --source 10.1.2.3 \
    --data "$TMP/d0" >/dev/null 2>"$TMP/e3"
[ $? = 2 ] || t_fail "--source 10.1.2.3 with --lab: want exit 2"

# 1. fleet (truth with the secrets, for step 3)
t_fleet DPID 127.21.0.0/22 --live-pct 6 --seed 11 $REAL \
    --duration 300s --counts "$TMP/counts.json"

# 4b. without the option: no credential field
"$MAMORI" survey $COMMON --data "$TMP/d-off" -o json \
    >"$TMP/off.json" 2>"$TMP/survey.err" || t_fail "survey (check off)"
grep -q '"credential_id"' "$TMP/off.json" && t_fail "credential fields without --check-credentials"

# 2. the check, JSON rows, the source bound explicitly
"$MAMORI" survey $COMMON --check-credentials --credentials "$CREDS" \
    --source 127.0.0.1 --operator "mamori tests" --purpose survey_creds.sh \
    --data "$TMP/data" -o json >"$TMP/out.json" 2>"$TMP/survey.err"
rc=$?
[ "$rc" = 0 ] || t_fail "survey exit $rc"
"$MAMORI" findings export --data "$TMP/data" --detector survey -o json \
    >"$TMP/findings.json" 2>"$TMP/fexp.err" || t_fail "findings export"
"$MAMORI" findings export --data "$TMP/data" --detector survey -o csv \
    >"$TMP/findings.csv" 2>>"$TMP/fexp.err" || t_fail "findings export csv"
# the same run as CSV rows (another data dir, same fleet; the real
# lighttpd, which delays every refused attempt by a second, left out)
printf '127.21.0.0/23\n127.21.2.0/24\n' >"$TMP/scope-csv"
"$MAMORI" survey $COMMON --scope "$TMP/scope-csv" --check-credentials \
    --credentials "$CREDS" --data "$TMP/data-csv" -o csv >"$TMP/out.csv" \
    2>"$TMP/survey-csv.err" || t_fail "survey -o csv"

python3 - "$TMP/truth.json" "$TMP/out.json" "$TMP/findings.json" "$TMP/scope" <<'PY' || t_fail "credential results"
import ipaddress, json, sys
truth = json.load(open(sys.argv[1]))
nets = [ipaddress.ip_network(l.strip()) for l in open(sys.argv[4]) if l.strip()]
def in_scope(a):
    return any(ipaddress.ip_address(a) in n for n in nets)
want = {(s["addr"], s["port"], s["credential_id"]) for s in truth["services"]
        if s.get("credential_id") and in_scope(s["addr"])}
rows, summary = set(), None
for line in open(sys.argv[2]):
    o = json.loads(line)
    if o.get("type") == "service" and o.get("credential_id"):
        rows.add((o["target"], o["port"], o["credential_id"]))
    elif o.get("type") == "summary":
        summary = o
got = set()
for line in open(sys.argv[3]):
    f = json.loads(line)
    if f["kind"] != "weak-credential":
        continue
    assert f["severity"] == "high", f
    ev = f["evidence"]
    for k in ("time", "source", "target", "port", "credential_id",
              "credential_attempts", "credential_protocol", "scan_id"):
        assert k in ev, "evidence lacks " + k
    assert ev["source"] == "127.0.0.1", ev["source"]
    got.add((f["subject"], f["port"], ev["credential_id"]))
by = {}
for s in truth["services"]:
    if s.get("credential_id") and in_scope(s["addr"]):
        by.setdefault(s["service"], 0)
        by[s["service"]] += 1
real = sorted("%s:%d %s" % (s["addr"], s["port"], s.get("credential_id"))
              for s in truth["services"] if s.get("template", "").startswith("real-"))
print("survey_creds: weak-credential findings %d, truth %d (%s); matched %d of %d; "
      "attempts %d over %d services; real servers: %s" % (len(got), len(want),
      ", ".join("%s %d" % kv for kv in sorted(by.items())),
      len(got & want), len(want), summary["credential_attempts"],
      summary["credential_services"], ", ".join(real) or "none"))
bad = 0
if got != want:
    print("findings set != truth set")
    print("  truth:   ", sorted(want))
    print("  findings:", sorted(got))
    print("  missing: ", sorted(want - got))
    print("  extra:   ", sorted(got - want))
    bad = 1
if rows != want:
    print("row ids != truth set: missing", sorted(want - rows), "extra", sorted(rows - want))
    bad = 1
if summary is None or summary.get("source") != "127.0.0.1" or not summary.get("credential_check"):
    print("summary lacks the source or the check flag"); bad = 1
sys.exit(bad)
PY

# 3. nothing secret in stdout, stderr, the export
python3 - "$CREDS" "$TMP/truth.json" "$TMP/out.json" "$TMP/findings.json" \
    "$TMP/findings.csv" "$TMP/out.csv" "$TMP/survey.err" "$TMP/fexp.err" \
    "$TMP/survey-csv.err" <<'PY' || t_fail "a secret leaked"
import base64, csv, json, re, sys
secrets = set()
pairs = []
for line in open(sys.argv[1]):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    f = re.findall(r'"(?:[^"\\]|\\.)*"|\S+', line)
    u, p = [x[1:-1] if x.startswith('"') else x for x in f[1:3]]
    pairs.append((u, p))
    secrets.update(x for x in (u, p) if x)
truth = json.load(open(sys.argv[2]))
accepted = {(s["credential_secret"]["user"], s["credential_secret"]["password"])
            for s in truth["services"] if s.get("credential_secret")}
assert accepted, "truth without secrets"
outs, errs = sys.argv[3:7], sys.argv[7:]
bad = 0
def values(o, key=""):
    if isinstance(o, dict):
        for k, v in o.items():
            yield from values(v, k)
    elif isinstance(o, list):
        for v in o:
            yield from values(v, key)
    elif isinstance(o, str):
        yield key, o
        if o.startswith("{"):
            try:
                yield from values(json.loads(o), key)
            except ValueError:
                pass
for path in outs[:2]:
    for line in open(path):
        for k, v in values(json.loads(line)):
            # "type":"service" is the row type, not data
            if v in secrets and k != "type":
                print("%s: JSON value of %s equals a user or password" % (path, k)); bad = 1
for path in outs[2:]:
    rows = list(csv.reader(open(path)))
    for row in rows[1:]:	# the header names columns
        for i, v in enumerate(row):
            if v in secrets:
                print("%s: CSV column %s equals a user or password" % (path, rows[0][i])); bad = 1
blob = "".join(open(p, errors="replace").read() for p in outs + errs)
for u, p in pairs:
    for form in ("%s:%s" % (u, p), "%s/%s" % (u, p),
                 base64.b64encode(("%s:%s" % (u, p)).encode()).decode()):
        if p and form in blob:
            print("a user:password form of a pair appears in the output"); bad = 1
for u, p in accepted:
    if re.search(r"\d", p) or p not in ("admin", "support", "default", "user"):
        if p in blob:
            print("an accepted password appears in the output"); bad = 1
for path in errs:
    text = open(path, errors="replace").read()
    for s in secrets:
        if re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(s), text):
            print("%s: a user or password appears in stderr" % path); bad = 1
print("survey_creds: no secret in %d output files" % (len(outs) + len(errs)))
sys.exit(bad)
PY

# 4a. --max-attempts 1, the first pair accepted nowhere
printf '# first pair accepted by no lab device\nnope-01 nobody n0t-a-default\nmirai-01 root xc3511\n' \
    >"$TMP/short.creds"
"$MAMORI" survey $COMMON --check-credentials --credentials "$TMP/short.creds" \
    --max-attempts 1 --data "$TMP/data1" -o json >"$TMP/out1.json" \
    2>"$TMP/survey.err" || t_fail "survey --max-attempts 1"
"$MAMORI" findings list --data "$TMP/data1" --kind weak-credential -o csv \
    >"$TMP/weak1.csv" 2>&1 || t_fail "findings list"
python3 - "$TMP/out1.json" "$TMP/weak1.csv" <<'PY' || t_fail "--max-attempts 1"
import csv, json, sys
bad = 0
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("type") == "service":
        if o.get("credential_id"):
            print("weak credential with max 1 attempt:", o["target"], o["port"]); bad = 1
        if o.get("credential_attempts", 0) > 1:
            print("more than one attempt:", o["target"], o["port"]); bad = 1
        n += o.get("credential_checked") is True
rows = [r for r in csv.reader(open(sys.argv[2]))][1:]
if rows:
    print("weak-credential findings:", len(rows)); bad = 1
print("survey_creds: --max-attempts 1: %d services checked, no finding" % n)
if n == 0:
    print("nothing checked"); bad = 1
sys.exit(bad)
PY

# 4c. the fleet's counts: nothing outside the scope was contacted
t_stop "$DPID" "lab devices"
python3 - "$TMP/counts.json" "$TMP/scope" <<'PY' || t_fail "counts"
import ipaddress, json, sys
c = json.load(open(sys.argv[1]))
nets = [ipaddress.ip_network(l.strip()) for l in open(sys.argv[2]) if l.strip()]
for a, n in c["counts"].items():
    if not any(ipaddress.ip_address(a) in x for x in nets) and n != 0:
        print("contacted outside the scope:", a, n); sys.exit(1)
PY
echo "survey_creds: ok"
exit 0
