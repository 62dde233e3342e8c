#!/bin/sh
# import_text.sh - `mamori import zeek|binetflow|nfcsv` end to end: per-file
# rows (table, CSV, JSON), the stored flows matching the rows and the
# samples' known totals, --bidir, binetflow --labels, gzip input, malformed lines reported
# with file:line and field while the import goes on (exit 0), a truncated
# gzip and a missing file reported (exit 1) without stopping the run,
# the message cap, and usage errors. Samples: tests/import/data/.
# Skips (77) without python3.
#
# usage: sh import_text.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"
t_need python3
t_init import-text
D="$SRC/tests/import/data"
[ -f "$D/conn.log" ] || t_skip "no samples in $D"

# ---- usage ----
for f in zeek binetflow nfcsv; do
	"$MAMORI" import $f --data "$TMP/u" 2>/dev/null
	[ $? -eq 2 ] || t_fail "$f without FILE: not a usage error"
	"$MAMORI" import $f --bogus x 2>/dev/null
	[ $? -eq 2 ] || t_fail "$f --bogus: not a usage error"
done
"$MAMORI" import binetflow --bidir x 2>/dev/null
[ $? -eq 2 ] || t_fail "binetflow --bidir: not a usage error"
"$MAMORI" import zeek --help | grep -q -- '--bidir' || t_fail "zeek --help"

# ---- zeek: TSV, JSON, gzip: the same 11 flows each ----
"$MAMORI" import zeek --data "$TMP/z" -o json "$D/conn.log" "$D/conn.log.gz" \
    "$D/conn.json" "$D/conn.json.gz" >"$TMP/z.json" 2>"$TMP/z.err" ||
    t_fail "import zeek: $(cat "$TMP/z.err")"
python3 - "$TMP/z.json" <<'PY' || t_fail "zeek rows"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert len(r) == 4, r
for x in r:
    assert x["status"] == "ok" and x["records"] == 6 and x["flows"] == 11 \
        and x["malformed"] == 0, x
PY
# per file: 11 flows, 39 packets, 9213 bytes (see tests/import/data/conn.golden)
[ "$(t_totals "$TMP/z")" = "44 156 36852" ] || t_fail "zeek store totals: $(t_totals "$TMP/z")"
"$MAMORI" import zeek --bidir --data "$TMP/zb" "$D/conn.log" >/dev/null ||
    t_fail "zeek --bidir"
[ "$(t_totals "$TMP/zb")" = "6 39 9213" ] || t_fail "zeek --bidir totals: $(t_totals "$TMP/zb")"

# ---- binetflow and nfcsv ----
"$MAMORI" import binetflow --data "$TMP/b" "$D/ctu13.binetflow" >"$TMP/b.txt" ||
    t_fail "import binetflow"
grep -q 'ctu13.binetflow *ok *10 *9 *9 *0 *1' "$TMP/b.txt" || t_fail "binetflow row: $(cat "$TMP/b.txt")"
[ "$(t_totals "$TMP/b")" = "9 50 6602" ] || t_fail "binetflow totals: $(t_totals "$TMP/b")"
"$MAMORI" import binetflow --data "$TMP/b2" --labels "$TMP/labels.csv" \
    "$D/ctu13.binetflow" >/dev/null || t_fail "binetflow --labels"
[ "$(wc -l <"$TMP/labels.csv")" -eq 10 ] || t_fail "labels: $(cat "$TMP/labels.csv")"
grep -q '^2011-08-10T09:46:54.185Z,147.32.84.165,0,147.32.80.9,771,1,flow=From-Botnet-V42-ICMP$' \
    "$TMP/labels.csv" || t_fail "label row: $(cat "$TMP/labels.csv")"
"$MAMORI" import zeek --labels x "$D/conn.log" 2>/dev/null
[ $? -eq 2 ] || t_fail "zeek --labels: not a usage error"
"$MAMORI" import nfcsv --data "$TMP/n" -o csv "$D/nfdump.csv" >"$TMP/n.csv" ||
    t_fail "import nfcsv"
grep -q '^file,status,lines,records,flows,malformed,skipped$' "$TMP/n.csv" || t_fail "csv header"
grep -q 'nfdump.csv,ok,44,40,40,0,4$' "$TMP/n.csv" || t_fail "nfcsv row: $(cat "$TMP/n.csv")"

# ---- broken input: reported, counted, the run goes on ----
{
	printf '#separator \\x09\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_pkts\torig_ip_bytes\n'
	printf '1700000000\t10.0.0.1\t1\t10.0.0.2\t2\tudp\t1\t50\n'
	i=0
	while [ $i -lt 15 ]; do
		printf '1700000000\t10.0.0.1\tBAD\t10.0.0.2\t2\tudp\t1\t50\n'
		i=$((i + 1))
	done
	printf '1700000000\t10.0.0.1\t1\t10.0.0.2\n'
} >"$TMP/bad.log"
head -c 300 "$D/conn.log.gz" >"$TMP/cut.log.gz"
"$MAMORI" import zeek --data "$TMP/x" -o json "$TMP/bad.log" "$TMP/cut.log.gz" \
    "$TMP/missing.log" "$D/conn.log" >"$TMP/x.json" 2>"$TMP/x.err"
rc=$?
[ $rc -eq 1 ] || t_fail "exit $rc with a truncated/missing file, want 1"
grep -q 'bad.log:4: id.orig_p: bad port' "$TMP/x.err" || t_fail "no file:line:field message: $(cat "$TMP/x.err")"
grep -q 'bad.log: 6 more malformed lines not shown' "$TMP/x.err" || t_fail "message cap: $(cat "$TMP/x.err")"
grep -q 'bad.log:19: 4 fields, #fields declares 8' "$TMP/x.err" && t_fail "message cap not applied"
grep -q 'cut.log.gz: gzip stream truncated' "$TMP/x.err" || t_fail "truncated gzip not reported"
grep -q 'missing.log' "$TMP/x.err" || t_fail "missing file not named"
python3 - "$TMP/x.json" <<'PY' || t_fail "broken-file rows"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert [x["status"] for x in r] == ["ok", "error", "error", "ok"], r
assert r[0]["records"] == 1 and r[0]["malformed"] == 16, r[0]
assert r[3]["flows"] == 11, r[3]
PY
echo "PASS"
exit 0
