#!/bin/sh
# routes_bgpdump.sh - `mamori routes dump -o bgpdump` against `bgpdump -m`
# on every file of $MAMORI_TESTDATA/mrt, then `mamori routes lookup` on the
# RIB dumps (origin AS per prefix, recomputed from the dump lines), lookups
# over tests/attrib/data (pfx2as, customers; bad lines reported with
# file:line, exit 0) and over a MaxMind DB made by tests/attrib/mkmmdb.py
# (when python3 is there), plus usage and error exits.
#
# Compared per file: the set of (event, peer, prefix, path id, AS path,
# ORIGIN) over the route lines (B, A, W; bgpdump's STATE lines are counted
# but not compared). Counts per file are printed, and how many whole lines
# are byte-identical (informational). Fields that differ by design:
#  - files whose BGP4MP UPDATEs carry RFC 7911 ADD-PATH NLRI under the plain
#    MESSAGE_AS4 subtype (BIRD's bird_bgp, bird6_bgp): bgpdump reads them
#    as plain NLRI and prints garbage prefixes; mamori detects this and
#    reads them as ADD-PATH. For such files (mamori -v says "ADD-PATH
#    sections guessed") the reference is bgpdump on a copy whose BGP4MP
#    subtypes are relabelled to the RFC 8050 ADDPATH ones (needs python3).
#  - TABLE_DUMP AGGREGATOR of 8 bytes (OpenBGPD writes 4-byte ASes there):
#    bgpdump reads a 2-byte AS and a shifted address ("0 253.232.192.168"),
#    mamori goes by the attribute length ("65000 192.168.0.15", as the
#    TABLE_DUMP_V2 dump of the same table says). Not in the compared set.
#  - BGP4MP_ENTRY (obsolete draft subtype 2, openbgpd_rib_table-mp) and
#    RIB_GENERIC for SAFIs other than unicast are skipped by both.
#
# Skips (77) when the MRT folder or bgpdump is missing.
# usage: sh routes_bgpdump.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
TD=${MAMORI_TESTDATA:-$(dirname "$0")/../../../shared/testdata}
D="$TD/mrt"
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"
[ -d "$D" ] || t_skip "no $D"
t_need bgpdump
t_init routes

# project < bgpdump-lines > "EV|peer|prefix|pathid|aspath|origin" lines
project() {
	awk -F'|' '
	$3 == "B" || $3 == "A" || $3 == "W" {
		ap = ($1 ~ /_AP$/)
		if ($3 == "W") {
			print "W|" $4 "|" $6 "|" (ap ? $7 : "") "||"
			next
		}
		if (ap)
			print $3 "|" $4 "|" $6 "|" $7 "|" $8 "|" $9
		else
			print $3 "|" $4 "|" $6 "||" $7 "|" $8
	}'
}

# relabel IN OUT: BGP4MP subtypes 1/4/6/7 -> RFC 8050 8/9/10/11
relabel() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
o, m = 0, {1: 8, 4: 9, 6: 10, 7: 11}
while o + 12 <= len(d):
    t, st, n = struct.unpack('>HHI', d[o + 4:o + 12])
    if t in (16, 17) and st in m:
        struct.pack_into('>H', d, o + 6, m[st])
    o += 12 + n
open(sys.argv[2], 'wb').write(d)
EOF
}

# ---- usage and errors ----
"$MAMORI" routes >/dev/null 2>&1; [ $? -eq 2 ] || t_fail "no subcommand: not 2"
"$MAMORI" routes bogus >/dev/null 2>&1; [ $? -eq 2 ] || t_fail "bogus: not 2"
"$MAMORI" routes dump >/dev/null 2>&1; [ $? -eq 2 ] || t_fail "dump w/o --mrt"
"$MAMORI" routes dump --mrt x -o xml >/dev/null 2>&1
[ $? -eq 2 ] || t_fail "-o xml: not 2"
"$MAMORI" routes lookup 192.0.2.1 >/dev/null 2>&1
[ $? -eq 2 ] || t_fail "lookup without source: not 2"
"$MAMORI" routes lookup --mrt "$D/quagga_rib" not-an-addr >/dev/null 2>&1
[ $? -eq 2 ] || t_fail "bad address: not 2"
"$MAMORI" routes --help | grep -q -- '--customers' || t_fail "--help"
"$MAMORI" routes dump --mrt "$TMP/missing" >/dev/null 2>&1
[ $? -eq 1 ] || t_fail "missing file: not 1"
printf 'hello, this is not MRT\n' >"$TMP/text"
"$MAMORI" routes dump --mrt "$TMP/text" >/dev/null 2>"$TMP/err"
[ $? -eq 1 ] || t_fail "text file: not 1"
grep -q 'not an MRT file' "$TMP/err" || t_fail "text file: $(cat "$TMP/err")"

# ---- dump vs bgpdump -m ----
nfiles=0
for f in "$D"/*; do
	[ -f "$f" ] || continue
	b=$(basename "$f")
	nfiles=$((nfiles + 1))
	"$MAMORI" routes dump -v -o bgpdump --mrt "$f" >"$TMP/$b.ours" \
	    2>"$TMP/$b.err" || t_fail "$b: mamori: $(cat "$TMP/$b.err")"
	ref="$f"
	note=""
	if grep -q ' [1-9][0-9]* ADD-PATH sections guessed' "$TMP/$b.err"; then
		command -v python3 >/dev/null 2>&1 ||
		    { echo "$b: ADD-PATH guessed, no python3: not compared"; continue; }
		relabel "$f" "$TMP/$b.relabelled" || t_fail "$b: relabel"
		ref="$TMP/$b.relabelled"
		note=" (reference: bgpdump on the ADDPATH-relabelled copy)"
	fi
	bgpdump -m "$ref" 2>/dev/null >"$TMP/$b.bgp"
	project <"$TMP/$b.ours" | sort -u >"$TMP/$b.po"
	project <"$TMP/$b.bgp" | sort -u >"$TMP/$b.pb"
	if ! cmp -s "$TMP/$b.po" "$TMP/$b.pb"; then
		diff "$TMP/$b.po" "$TMP/$b.pb" | head -20
		t_fail "$b: (event, peer, prefix, path id, AS path, origin) sets differ"
	fi
	nr=$(project <"$TMP/$b.ours" | wc -l)
	nb=$(project <"$TMP/$b.bgp" | wc -l)
	[ "$nr" -eq "$nb" ] || t_fail "$b: $nr route lines, bgpdump $nb"
	ns=$(grep -c '|STATE|' "$TMP/$b.ours")
	nbs=$(grep -c '|STATE|' "$TMP/$b.bgp")
	same=$(sort "$TMP/$b.ours" | comm -12 - "$(sort "$TMP/$b.bgp" >"$TMP/$b.bs"; echo "$TMP/$b.bs")" | wc -l)
	echo "$b: mamori $nr route lines ($(sort -u "$TMP/$b.po" | wc -l) distinct), bgpdump $nb; state $ns/$nbs; identical whole lines $same/$(wc -l <"$TMP/$b.bgp")$note"
done
[ "$nfiles" -gt 0 ] || { echo "skip: no files in $D"; exit 77; }

# ---- lookup: origin AS of RIB prefixes ----
# For each RIB dump: expected origin per prefix = the most frequent last AS
# of the AS paths (ties: lowest; empty paths count only when alone).
nchk=0
for f in "$D"/*; do
	b=$(basename "$f")
	grep -q '|B|' "$TMP/$b.ours" 2>/dev/null || continue
	awk -F'|' '$3 == "B" {
		p = $6; path = ($1 ~ /_AP$/) ? $8 : $7
		n = split(path, a, " "); o = (n > 0) ? a[n] : ""
		if (o !~ /^[0-9]+$/) o = ""
		if (o == "") { seen[p] = 1; next }
		cnt[p SUBSEP o]++; seen[p] = 1
	}
	END {
		for (k in cnt) {
			split(k, kk, SUBSEP); p = kk[1]; o = kk[2] + 0
			if (!(p in best) || cnt[k] > bn[p] || (cnt[k] == bn[p] && o < best[p])) {
				best[p] = o; bn[p] = cnt[k]
			}
		}
		for (p in seen) print p, ((p in best) ? best[p] : "")
	}' "$TMP/$b.ours" | sort >"$TMP/$b.want"
	# addresses: the network address of each prefix
	args=$(awk '{ sub(/\/.*/, "", $1); print $1 }' "$TMP/$b.want")
	# shellcheck disable=SC2086
	n0=$nchk
	"$MAMORI" routes lookup -o csv --mrt "$f" $args >"$TMP/$b.look" \
	    2>"$TMP/$b.lerr" || t_fail "$b: lookup: $(cat "$TMP/$b.lerr")"
	while read -r pfx want; do
		addr=${pfx%/*}
		line=$(grep "^$addr," "$TMP/$b.look" | head -1)
		got_pfx=$(echo "$line" | cut -d, -f2)
		got_as=$(echo "$line" | cut -d, -f3)
		src=$(echo "$line" | cut -d, -f5)
		# a more specific prefix may cover the network address
		[ "$got_pfx" = "$pfx" ] || continue
		[ "$src" = "mrt" ] || t_fail "$b: $addr: source '$src'"
		[ "$got_as" = "$want" ] ||
		    t_fail "$b: lookup $addr: origin '$got_as', want '$want' ($pfx)"
		nchk=$((nchk + 1))
	done <"$TMP/$b.want"
	echo "$b: lookup origin AS checked for $((nchk - n0)) of $(wc -l <"$TMP/$b.want") prefixes (the rest are covered by a more specific one)"
done
[ "$nchk" -gt 0 ] || t_fail "no lookup was checked"
echo "lookups checked: $nchk"

# ---- lookup over pfx2as, customers (and a generated mmdb) ----
SRC=${MAMORI_SRCDIR:-$(dirname "$0")/../..}
AD="$SRC/tests/attrib/data"
"$MAMORI" routes lookup -o csv --pfx2as "$AD/pfx2as.txt" \
    --customers "$AD/customers.txt" 10.1.2.3 10.9.1.1 192.0.2.200 \
    203.0.113.1 >"$TMP/pc.csv" 2>"$TMP/pc.err" ||
    t_fail "pfx2as/customers lookup: $(cat "$TMP/pc.err")"
grep -qx '10.1.2.3,10.1.2.0/24,64501,0,customer,cust-a,' "$TMP/pc.csv" ||
    t_fail "10.1.2.3: $(cat "$TMP/pc.csv")"
grep -qx '10.9.1.1,10.9.0.0/16,64500,0,customer,cust-b,' "$TMP/pc.csv" ||
    t_fail "10.9.1.1: $(cat "$TMP/pc.csv")"
grep -qx '192.0.2.200,192.0.2.128/25,64531,0,pfx2as,cust-c,' "$TMP/pc.csv" ||
    t_fail "192.0.2.200: $(cat "$TMP/pc.csv")"
grep -qx '203.0.113.1,,,0,none,,' "$TMP/pc.csv" ||
    t_fail "203.0.113.1: $(cat "$TMP/pc.csv")"
grep -q 'pfx2as.txt:7: field 2' "$TMP/pc.err" || t_fail "bad line not reported"
grep -q 'customers.txt:8: prefix 10.1.2.0/24 repeats line 2' "$TMP/pc.err" ||
    t_fail "duplicate not reported: $(cat "$TMP/pc.err")"
"$MAMORI" routes lookup -o json --customers "$AD/customers.txt" \
    2001:db8:1::1 2>/dev/null | grep -q '"customer":"isp-x"' ||
    t_fail "json lookup"
"$MAMORI" routes lookup --pfx2as "$D/quagga_rib" 10.0.0.1 >/dev/null 2>&1
[ $? -eq 1 ] || t_fail "MRT file as pfx2as: not 1"
if command -v python3 >/dev/null 2>&1; then
	python3 "$SRC/tests/attrib/mkmmdb.py" "$TMP/asn.mmdb" --check ||
	    t_fail "mkmmdb"
	"$MAMORI" routes lookup -o csv --mmdb "$TMP/asn.mmdb" 10.1.2.3 \
	    >"$TMP/mm.csv" 2>&1 || t_fail "mmdb lookup: $(cat "$TMP/mm.csv")"
	grep -qx '10.1.2.3,10.1.0.0/16,64501,0,mmdb,,Example Ten-One' \
	    "$TMP/mm.csv" || t_fail "mmdb: $(cat "$TMP/mm.csv")"
	echo "mmdb lookup ok"
fi
echo "ok: $nfiles files"
