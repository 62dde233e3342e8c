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
for t in nfcapd nfdump gzip; do
	command -v $t >/dev/null 2>&1 || { echo "skip: $t not installed"; exit 77; }
done
"$MAMORI" lab isp --help >/dev/null 2>&1 || { echo "skip: no mamori lab isp"; exit 77; }

TMP=$(mktemp -d /tmp/mamori-import-nfcsv.XXXXXX)
NPID=
cleanup() {
	[ -n "$NPID" ] && kill -9 "$NPID" 2>/dev/null
	[ -n "$KEEP" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; exit 1; }

wait_for() {
	i=0
	while [ $i -lt 200 ]; do
		if eval "$1"; then return 0; fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

totals() {
	"$MAMORI" flows --data "$1" -N -s proto -n 1 >"$TMP/flows.out" 2>&1 ||
	    fail "mamori flows: $(cat "$TMP/flows.out")"
	sum=$(grep '^Summary:' "$TMP/flows.out")
	echo "$(echo "$sum" | sed -n 's/.*total flows: \([0-9]*\).*/\1/p')" \
	    "$(echo "$sum" | sed -n 's/.*total packets: \([0-9]*\).*/\1/p')" \
	    "$(echo "$sum" | sed -n 's/.*total bytes: \([0-9]*\).*/\1/p')"
}

mkdir -p "$TMP/nf"
for try in 1 2 3 4 5; do
	PORT=$((20000 + ($$ * 7 + try * 13) % 20000))
	nfcapd -w "$TMP/nf" -p $PORT -b 127.0.0.1 >"$TMP/nfcapd.log" 2>&1 &
	NPID=$!
	wait_for "grep -qs 'Startup' '$TMP/nfcapd.log' 2>/dev/null || ! kill -0 $NPID 2>/dev/null"
	kill -0 $NPID 2>/dev/null && break
	NPID=
done
[ -n "$NPID" ] || { echo "skip: nfcapd did not start"; exit 77; }
sleep 0.3
"$MAMORI" lab isp --seed 11 --format v9 --flows 3000 --rate 50000 \
    --send 127.0.0.1:$PORT >/dev/null || fail "lab isp"
sleep 1
kill -TERM $NPID
wait $NPID 2>/dev/null
NPID=

TZ=UTC nfdump -R "$TMP/nf" -o csv >"$TMP/all.csv" 2>"$TMP/nfdump.err" ||
    fail "nfdump -o csv: $(cat "$TMP/nfdump.err")"
gzip -c "$TMP/all.csv" >"$TMP/all.csv.gz"
nfdump -R "$TMP/nf" -I >"$TMP/stat.out" 2>&1 || fail "nfdump -I"
n="$(sed -n 's/^Flows: *\([0-9]*\)$/\1/p' "$TMP/stat.out") $(sed -n 's/^Packets: *\([0-9]*\)$/\1/p' "$TMP/stat.out") $(sed -n 's/^Bytes: *\([0-9]*\)$/\1/p' "$TMP/stat.out")"
# the CSV summary trailer: flows,bytes,packets,...
trailer=$(tail -1 "$TMP/all.csv" | awk -F, '{ print $1, $3, $2 }')
[ "$trailer" = "$n" ] || fail "nfdump trailer '$trailer' vs -I '$n'"

"$MAMORI" import nfcsv --data "$TMP/m" -o json "$TMP/all.csv" "$TMP/all.csv.gz" \
    >"$TMP/imp.json" 2>"$TMP/imp.err" || fail "import nfcsv: $(cat "$TMP/imp.err")"
[ -s "$TMP/imp.err" ] && fail "messages on a clean import: $(cat "$TMP/imp.err")"
python3 - "$TMP/imp.json" "${n%% *}" <<'PY' || fail "rows"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
want = int(sys.argv[2])
for x in r:
    assert x["status"] == "ok" and x["flows"] == want and x["malformed"] == 0, x
    assert x["skipped"] == 4, x	# header + 3 trailer lines
PY
m=$(totals "$TMP/m")
set -- $n
want="$(($1 * 2)) $(($2 * 2)) $(($3 * 2))"
echo "nfdump (x2, plain + gzip): $want / mamori: $m"
[ "$m" = "$want" ] || fail "totals differ"
echo "PASS"
exit 0
