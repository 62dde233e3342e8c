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
[ -f "$NF/nfv5.pcap" ] && [ -f "$NF/template.pcap" ] || { echo "skip: no test data"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 missing"; exit 77; }

TMP=$(mktemp -d /tmp/mamori-collect-import.XXXXXX)
trap '[ -n "$KEEP" ] || rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$MAMORI" import 2>/dev/null
[ $? -eq 2 ] || fail "no format: not a usage error"
"$MAMORI" import nosuchformat x.log 2>/dev/null
[ $? -eq 2 ] || fail "unknown format: not a usage error"
"$MAMORI" import pcap --data "$TMP/d0" 2>/dev/null
[ $? -eq 2 ] || fail "no file: not a usage error"

# data before its template: counted as no_template, no flows
"$MAMORI" import pcap --data "$TMP/d1" -o json "$NF/data.pcap" \
    >"$TMP/a.json" 2>"$TMP/a.err" || fail "import data.pcap"
python3 - "$TMP/a.json" <<'PY' || fail "data-only counts"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert len(r) == 1 and r[0]["status"] == "ok", r
assert r[0]["datagrams"] == 1 and r[0]["flows"] == 0 and r[0]["no_template"] == 1, r
PY
grep -q 'no template' "$TMP/a.err" || fail "no decoder message for the missing template"

# template first, then data, a missing file in between, v5 and sFlow
"$MAMORI" import pcap --data "$TMP/d2" -o json "$NF/template.pcap" \
    "$TMP/missing.pcap" "$NF/data.pcap" "$NF/nfv5.pcap" \
    "$TESTDATA/sflow/data-1140.pcap" >"$TMP/b.json" 2>"$TMP/b.err"
rc=$?
[ $rc -eq 1 ] || fail "exit $rc with an unreadable file, want 1"
grep -q 'missing.pcap' "$TMP/b.err" || fail "unreadable file not named"
total=$(python3 - "$TMP/b.json" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert [x["status"] for x in r] == ["ok", "error", "ok", "ok", "ok"], r
assert r[2]["flows"] > 0 and r[2]["no_template"] == 0, r[2]
assert r[3]["flows"] == 29, r[3]
print(sum(x["flows"] for x in r))
PY
) || fail "counts: $total"
"$MAMORI" flows --data "$TMP/d2" -N -s proto -n 1 2>/dev/null |
    grep -q "total flows: $total," || fail "store does not hold the $total imported flows"

# table output
"$MAMORI" import pcap --data "$TMP/d3" "$NF/nfv5.pcap" >"$TMP/c.txt" ||
    fail "table import"
grep -q 'nfv5.pcap *ok *1 *1 *29 ' "$TMP/c.txt" || fail "table row: $(cat "$TMP/c.txt")"
echo "PASS ($total flows)"
exit 0
