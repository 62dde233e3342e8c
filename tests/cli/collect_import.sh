#!/bin/sh
# collect_import.sh - `mamori import pcap`: per-file counts (table and
# JSON), templates carried from one file to the next, an unreadable file
# reported without stopping the run (exit 1), unknown formats and missing
# files as usage errors, and the stored flows matching the counts.
# Skips (77) without the shared test data or python3.
#
# usage: sh collect_import.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
TESTDATA=${MAMORI_TESTDATA:-$(dirname "$0")/../../../shared/testdata}
NF="$TESTDATA/netflow"
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"
[ -f "$NF/nfv5.pcap" ] && [ -f "$NF/template.pcap" ] || t_skip "no test data"
t_need python3
t_init collect-import

"$MAMORI" import 2>/dev/null
[ $? -eq 2 ] || t_fail "no format: not a usage error"
"$MAMORI" import nosuchformat x.log 2>/dev/null
[ $? -eq 2 ] || t_fail "unknown format: not a usage error"
"$MAMORI" import pcap --data "$TMP/d0" 2>/dev/null
[ $? -eq 2 ] || t_fail "no file: not a usage error"

# data before its template: counted as no_template, no flows
"$MAMORI" import pcap --data "$TMP/d1" -o json "$NF/data.pcap" \
    >"$TMP/a.json" 2>"$TMP/a.err" || t_fail "import data.pcap"
python3 - "$TMP/a.json" <<'PY' || t_fail "data-only counts"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert len(r) == 1 and r[0]["status"] == "ok", r
assert r[0]["datagrams"] == 1 and r[0]["flows"] == 0 and r[0]["no_template"] == 1, r
PY
grep -q 'no template' "$TMP/a.err" || t_fail "no decoder message for the missing template"

# template first, then data, a missing file in between, v5 and sFlow
"$MAMORI" import pcap --data "$TMP/d2" -o json "$NF/template.pcap" \
    "$TMP/missing.pcap" "$NF/data.pcap" "$NF/nfv5.pcap" \
    "$TESTDATA/sflow/data-1140.pcap" >"$TMP/b.json" 2>"$TMP/b.err"
rc=$?
[ $rc -eq 1 ] || t_fail "exit $rc with an unreadable file, want 1"
grep -q 'missing.pcap' "$TMP/b.err" || t_fail "unreadable file not named"
total=$(python3 - "$TMP/b.json" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert [x["status"] for x in r] == ["ok", "error", "ok", "ok", "ok"], r
assert r[2]["flows"] > 0 and r[2]["no_template"] == 0, r[2]
assert r[3]["flows"] == 29, r[3]
print(sum(x["flows"] for x in r))
PY
) || t_fail "counts: $total"
"$MAMORI" flows --data "$TMP/d2" -N -s proto -n 1 2>/dev/null |
    grep -q "total flows: $total," || t_fail "store does not hold the $total imported flows"

# table output
"$MAMORI" import pcap --data "$TMP/d3" "$NF/nfv5.pcap" >"$TMP/c.txt" ||
    t_fail "table import"
grep -q 'nfv5.pcap *ok *1 *1 *29 ' "$TMP/c.txt" || t_fail "table row: $(cat "$TMP/c.txt")"
echo "PASS ($total flows)"
exit 0
