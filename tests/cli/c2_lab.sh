#!/bin/sh
# c2_lab.sh - end-to-end test of `mamori c2`: a labelled lab day from
# `mamori lab flows` into a temporary store, detection with findings, a
# second run (no duplicate findings), `mamori c2 eval --truth` (recall of the
# planted servers with >= 5 clients >= 0.95, at most 1 false server per
# 10,000 external servers), output formats, usage errors and bad input.
# Usage: sh tests/cli/c2_lab.sh /path/to/mamori
set -u
M=${1:?usage: c2_lab.sh /path/to/mamori}
[ -x "$M" ] || { echo "c2_lab.sh: $M not executable"; exit 77; }
"$M" lab flows --help >/dev/null 2>&1 || { echo "c2_lab.sh: no lab flows"; exit 77; }
T=$(mktemp -d /tmp/mamori-c2-sh.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
D="$T/data"
pass=0
fail=0
NETS=100.64.0.0/10,2001:db8:100::/40

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { d=$1; shift; if "$@" >"$T/out" 2>"$T/err"; then ok; else bad "$d (rc=$?)"; cat "$T/err"; fi; }
rc() { w=$1; d=$2; shift 2; "$@" >"$T/out" 2>"$T/err"; r=$?
	if [ "$r" -eq "$w" ]; then ok; else bad "$d: rc=$r want $w"; cat "$T/err"; fi; }
has() { if grep -Eq -- "$2" "$T/out"; then ok; else bad "$1: no /$2/ in:"; cat "$T/out"; fi; }
has_err() { if grep -Eq -- "$2" "$T/err"; then ok; else bad "$1: no /$2/ in stderr:"; cat "$T/err"; fi; }
# jnum KEY: the number after "KEY": in $T/out (first match)
jnum() { sed -n "s/.*\"$1\":\([0-9.eE+-]*\).*/\1/p" "$T/out" | head -1; }
# ge A B: A >= B (floats)
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

# --- a lab day (smaller than the default for speed) ---
check "lab flows" "$M" lab flows --seed 7 --subscribers 2000 --data "$D" \
    --truth "$T/truth.json"
[ -s "$T/truth.json" ] || { echo "c2_lab.sh: no truth written"; exit 1; }

# --- usage errors ---
rc 2 "no --internal" "$M" c2 --data "$D"
rc 2 "bad prefix" "$M" c2 --data "$D" --internal 100.64.0.0/99
rc 2 "bad -o" "$M" c2 --data "$D" --internal "$NETS" -o xml
rc 2 "eval without truth" "$M" c2 eval --data "$D"
rc 1 "no data" "$M" c2 --data "$T/nothing" --internal "$NETS"

# --- detection, findings ---
check "c2" "$M" c2 --data "$D" --internal "$NETS" --no-default-lists -v
has "table header" '^rank +score +server'
has "a server row" '^1 +[01]\.[0-9]+ '
has "a client line" 'beacons to .* every .* connections'
has_err "summary" 'findings: [0-9]+ c2-server, [0-9]+ c2-client written'
n1=$("$M" findings list --data "$D" --detector c2 -o csv | wc -l)
# a second run of the same window updates, never duplicates
check "c2 again" "$M" c2 --data "$D" --internal "$NETS" --no-default-lists -q
n2=$("$M" findings list --data "$D" --detector c2 -o csv | wc -l)
if [ "$n1" -eq "$n2" ] && [ "$n1" -gt 1 ]; then ok; else
	bad "findings after re-run: $n1 then $n2"; fi

# --- evaluation ---
check "eval" "$M" c2 eval --data "$D" --truth "$T/truth.json" -o json
cat "$T/out"
echo
r5=$(jnum recall_5plus)
fp=$(jnum false_per_10k)
if ge "$r5" 0.95; then ok; else bad "server recall (>=5 clients) $r5 < 0.95"; fi
if ge 1 "$fp"; then ok; else bad "false servers per 10k: $fp > 1"; fi
check "eval table" "$M" c2 eval --data "$D" --truth "$T/truth.json"
has "eval table" '^servers +[0-9]+'

# --- formats, dry run ---
check "json" "$M" c2 --data "$D" --internal "$NETS" --no-default-lists \
    -o json -v --dry-run -q
has "json server" '^\{.*"kind":"c2-server"'
has "json client" '^\{.*"sample_flows".*"kind":"c2-client"'
if command -v python3 >/dev/null 2>&1; then
	if python3 -c 'import json,sys
for l in sys.stdin: json.loads(l)' <"$T/out"; then ok; else bad "json lines"; fi
fi
check "csv" "$M" c2 --data "$D" --internal "$NETS" --no-default-lists \
    -o csv --dry-run -q -n 3
has "csv header" '^kind,rank,score,server'
check "internal-file" sh -c "printf '# nets\n100.64.0.0/10\n2001:db8:100::/40\n' \
    >'$T/nets' && '$M' c2 --data '$D' --internal-file '$T/nets' --dry-run -q -n 1"
has "internal-file" '^1 '
check "window" "$M" c2 --data "$D" --internal "$NETS" --window 6h --dry-run
has_err "window 6h" 'window 2026-01-01T1[78]:'

# --- an allowlist suppresses, a feed raises ---
top=$("$M" c2 --data "$D" --internal "$NETS" --no-default-lists --dry-run -q \
    -o csv -n 1 | sed -n '2p' | cut -d, -f4)
if [ -n "$top" ]; then
	printf '%s  test  # top server\n' "$top" >"$T/allow.txt"
	check "allowlist" "$M" c2 --data "$D" --internal "$NETS" \
	    --no-default-lists --allowlist "$T/allow.txt" --dry-run -q -o csv -n 0
	if grep -q ",$top," "$T/out"; then bad "allowlisted $top still listed"; else ok; fi
else
	bad "no top server"
fi

# --- bad input: a broken store file is counted, not fatal ---
f=$(find "$D/flows" -name '*.mmf' | head -1)
dd if=/dev/urandom of="$f" bs=1 count=64 seek=200 conv=notrunc 2>/dev/null
check "corrupt file" "$M" c2 --data "$D" --internal "$NETS" --dry-run -q -n 1

echo "c2_lab.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
