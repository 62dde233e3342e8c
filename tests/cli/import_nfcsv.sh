#!/bin/sh
# import_nfcsv.sh - `mamori import nfcsv` against the real nfdump: `mamori
# lab isp` sends NetFlow v9 to nfcapd on loopback, `nfdump -o csv` exports
# the capture (plain and gzip'd), mamori imports the CSV; flow, packet
# and byte totals must equal nfdump's own (its -I statistics and the CSV
# summary trailer, which the importer must skip).
# Only 127.0.0.1 is used. Skips (77) without nfcapd/nfdump or python3.
#
# usage: sh import_nfcsv.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"
for t in nfcapd nfdump gzip; do
	command -v $t >/dev/null 2>&1 || t_skip "$t not installed"
done
t_skip_unless_help "$MAMORI" lab isp
t_init import-nfcsv

t_nfcapd $((20000 + ($$ * 7) % 20000)) 13
PORT=$NPORT
"$MAMORI" lab isp --seed 11 --format v9 --flows 3000 --rate 50000 \
    --send "127.0.0.1:$PORT" >/dev/null || t_fail "lab isp"
sleep 1
t_stop "$NPID" nfcapd

TZ=UTC nfdump -R "$TMP/nf" -o csv >"$TMP/all.csv" 2>"$TMP/nfdump.err" ||
    t_fail "nfdump -o csv: $(cat "$TMP/nfdump.err")"
gzip -c "$TMP/all.csv" >"$TMP/all.csv.gz"
nfdump -R "$TMP/nf" -I >"$TMP/stat.out" 2>&1 || t_fail "nfdump -I"
n="$(sed -n 's/^Flows: *\([0-9]*\)$/\1/p' "$TMP/stat.out") $(sed -n 's/^Packets: *\([0-9]*\)$/\1/p' "$TMP/stat.out") $(sed -n 's/^Bytes: *\([0-9]*\)$/\1/p' "$TMP/stat.out")"
# the CSV summary trailer: flows,bytes,packets,...
trailer=$(tail -1 "$TMP/all.csv" | awk -F, '{ print $1, $3, $2 }')
[ "$trailer" = "$n" ] || t_fail "nfdump trailer '$trailer' vs -I '$n'"

"$MAMORI" import nfcsv --data "$TMP/m" -o json "$TMP/all.csv" "$TMP/all.csv.gz" \
    >"$TMP/imp.json" 2>"$TMP/imp.err" || t_fail "import nfcsv: $(cat "$TMP/imp.err")"
[ -s "$TMP/imp.err" ] && t_fail "messages on a clean import: $(cat "$TMP/imp.err")"
python3 - "$TMP/imp.json" "${n%% *}" <<'PY' || t_fail "rows"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
want = int(sys.argv[2])
for x in r:
    assert x["status"] == "ok" and x["flows"] == want and x["malformed"] == 0, x
    assert x["skipped"] == 4, x	# header + 3 trailer lines
PY
m=$(t_totals "$TMP/m")
set -- $n
want="$(($1 * 2)) $(($2 * 2)) $(($3 * 2))"
echo "nfdump (x2, plain + gzip): $want / mamori: $m"
[ "$m" = "$want" ] || t_fail "totals differ"
echo "PASS"
exit 0
