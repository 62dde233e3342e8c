#!/bin/sh
# findings.sh - end-to-end test of `mamori findings`: adds findings through
# the CLI into a temporary data dir, then checks list/show/export in table,
# csv and json, the filters, set-status and the exit codes.
# Usage: sh tests/cli/findings.sh /path/to/mamori
set -u
M=${1:?usage: findings.sh /path/to/mamori}
[ -x "$M" ] || { echo "findings.sh: $M not executable"; exit 77; }
T=$(mktemp -d /tmp/mamori-findings-sh.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
D="$T/data"
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# check DESC CMD...: command must exit 0
check() { d=$1; shift; if "$@" >"$T/out" 2>"$T/err"; then ok; else bad "$d (rc=$?)"; cat "$T/err"; fi; }
# rc WANT DESC CMD...: command must exit WANT
rc() { w=$1; d=$2; shift 2; "$@" >"$T/out" 2>"$T/err"; r=$?
	if [ "$r" -eq "$w" ]; then ok; else bad "$d: rc=$r want $w"; cat "$T/err"; fi; }
# has DESC PATTERN: $T/out matches PATTERN (grep -E)
has() { if grep -Eq -- "$2" "$T/out"; then ok; else bad "$1: no /$2/ in:"; cat "$T/out"; fi; }
hasnt() { if grep -Eq -- "$2" "$T/out"; then bad "$1: unexpected /$2/"; else ok; fi; }
lines() { n=$(wc -l <"$T/out" | tr -d ' '); if [ "$n" -eq "$2" ]; then ok; else bad "$1: $n lines, want $2"; cat "$T/out"; fi; }
json_ok() { # every line of $T/out is a JSON object (python3 if present)
	if command -v python3 >/dev/null 2>&1; then
		if python3 -c 'import json,sys
for l in sys.stdin:
    o = json.loads(l)
    assert isinstance(o, dict) and "id" in o and "kind" in o' <"$T/out"; then ok
		else bad "$1: not JSON lines"; cat "$T/out"; fi
	else has "$1" '^\{"id":'; fi
}

F="$M findings"
# --- add (creates the data dir and the database) ---
check "add c2-client" $F add --data "$D" --kind c2-client --detector c2watch \
    --subject 10.1.2.3 --port 443 --proto 6 --score 7.5 --severity high \
    --summary 'beacons to "C2", every 60s' \
    --evidence '{"server":"198.51.100.7","beacons":12}' --dedup 198.51.100.7 \
    --first-seen 2024-05-01T12:00:00Z --last-seen 2024-05-01T13:00:00Z
has "add prints id" '^1 added$'
check "add again (dedup)" $F add --data "$D" --kind c2-client \
    --detector c2watch --subject 10.1.2.3 --port 443 --proto 6 --score 8 \
    --severity critical --summary 'beacons to "C2", every 60s' \
    --evidence '{"server":"198.51.100.7","beacons":20}' --dedup 198.51.100.7 \
    --first-seen 2024-05-01T11:00:00Z --last-seen 2024-05-01T12:30:00Z
has "re-add updates" '^1 updated$'
check "add device v6" $F add --data "$D" --kind device --detector fingerprint \
    --subject 2001:db8::1 --severity info --summary 'router' \
    --first-seen 2024/05/02.08:00:00
has "add 2" '^2 added$'
check "add telnet" $F add --data "$D" --kind open-telnet --detector scan \
    --subject 192.0.2.10 --port 23 --proto 6 --severity medium --score 5 \
    --first-seen 2024-05-03T00:00:00Z
has "add 3" '^3 added$'
rc 2 "add without subject" $F add --data "$D" --kind x --detector y
rc 2 "add bad evidence" $F add --data "$D" --kind x --detector y \
    --subject 192.0.2.1 --evidence '{"a":'
rc 2 "add array evidence" $F add --data "$D" --kind x --detector y \
    --subject 192.0.2.1 --evidence '[1]'
rc 2 "add bad subject" $F add --data "$D" --kind x --detector y \
    --subject 300.1.1.1
rc 2 "add bad severity" $F add --data "$D" --kind x --detector y \
    --subject 192.0.2.1 --severity urgent

# --- list: table ---
check "list table" $F list --data "$D"
lines "list table rows" 4
has "table header" '^ *ID +SEVERITY +STATUS +KIND +DETECTOR +SUBJECT'
has "table c2 row" '^ *1 +critical +open +c2-client +c2watch +10\.1\.2\.3:443/6 +2 +8\.00'
has "table v6 row" '2001:db8::1'
# MAMORI_DATA is honoured
check "list via env" env MAMORI_DATA="$D" $F list
lines "env rows" 4

# --- list: csv ---
check "list csv" $F list --data "$D" -o csv
lines "csv rows" 4
has "csv header" '^id,kind,detector,subject,port,proto,dedup,first_seen,last_seen,count,score,severity,status,summary,evidence,note$'
has "csv quoting" '^1,c2-client,c2watch,10\.1\.2\.3,443,6,198\.51\.100\.7,2024-05-01T11:00:00Z,2024-05-01T13:00:00Z,2,8,critical,open,"beacons to ""C2"", every 60s","\{""server"":""198\.51\.100\.7"",""beacons"":20\}",$'

# --- list: json ---
check "list json" $F list --data "$D" -o json
lines "json rows" 3
json_ok "list json"
has "json evidence inline" '"evidence":\{"server":"198\.51\.100\.7","beacons":20\}'
has "json times" '"first_seen":"2024-05-01T11:00:00Z","last_seen":"2024-05-01T13:00:00Z"'

# --- filters ---
check "kind" $F list --data "$D" -o json --kind device
lines "kind rows" 1
has "kind" '"kind":"device"'
check "detector" $F list --data "$D" -o json --detector scan
lines "detector rows" 1
check "severity min" $F list --data "$D" -o json --severity medium
lines "severity rows" 2
hasnt "severity excludes info" '"severity":"info"'
check "subject v4" $F list --data "$D" -o json --subject 10.0.0.0/8
lines "subject v4 rows" 1
check "subject v6" $F list --data "$D" -o json --subject 2001:db8::/32
lines "subject v6 rows" 1
check "subject all v4" $F list --data "$D" -o json --subject 0.0.0.0/0
lines "subject all v4 rows" 2
check "since" $F list --data "$D" -o json --since 2024-05-02T00:00:00Z
lines "since rows" 2
check "until" $F list --data "$D" -o json --until 2024-05-02T00:00:00Z
lines "until rows" 1
check "since/until" $F list --data "$D" -o json \
    --since 2024-05-01T12:45:00Z --until 2024/05/02.09:00
lines "since/until rows" 2
check "min-score" $F list --data "$D" -o json --min-score 6
lines "min-score rows" 1
check "limit" $F list --data "$D" -o json -n 2
lines "limit rows" 2
check "sort score" $F list --data "$D" -o csv --sort score
has "sort score first" '^1,'
check "sort -id" $F list --data "$D" -o csv --sort -id -n 1
lines "sort -id rows" 2
has "sort -id first" '^3,'
rc 2 "bad sort" $F list --data "$D" --sort colour
rc 2 "bad severity" $F list --data "$D" --severity urgent
rc 2 "bad subject" $F list --data "$D" --subject 10.0.0.0/40
rc 2 "bad since" $F list --data "$D" --since yesterday
rc 2 "bad output" $F list --data "$D" -o xml
rc 2 "bad option" $F list --data "$D" --colour
rc 2 "bad subcommand" $F frobnicate

# --- show ---
check "show json" $F show 1 --data "$D"
has "show pretty" '^  "id": 1,$'
has "show evidence" '"beacons": 20'
if command -v python3 >/dev/null 2>&1; then
	if python3 -c 'import json,sys; o=json.load(sys.stdin); assert o["count"]==2 and o["evidence"]["server"]=="198.51.100.7"' <"$T/out"
	then ok; else bad "show json parse"; fi
fi
check "show table" $F show 1 --data "$D" -o table
has "show table kind" '^kind: +c2-client$'
has "show table evidence" '^evidence: +\{'
check "show csv" $F show 2 --data "$D" -o csv
lines "show csv rows" 2
rc 1 "show missing" $F show 99 --data "$D"
rc 2 "show bad id" $F show abc --data "$D"
rc 2 "show no id" $F show --data "$D"

# --- set-status ---
check "set-status" $F set-status 3 false-positive --note "lab host" --data "$D"
check "status filter" $F list --data "$D" -o json --status false-positive
lines "status rows" 1
has "status note" '"note":"lab host"'
check "re-add keeps fp" $F add --data "$D" --kind open-telnet \
    --detector scan --subject 192.0.2.10 --port 23 --proto 6 \
    --severity medium
has "re-add updated" '^3 updated$'
check "still fp" $F show 3 --data "$D" -o json
has "still fp" '"status": "false-positive"'
has "count 2" '"count": 2'
check "reopen" $F add --data "$D" --kind open-telnet --detector scan \
    --subject 192.0.2.10 --port 23 --proto 6 --reopen --count 7 \
    --replace-count
check "reopened" $F show 3 --data "$D"
has "reopened" '"status": "open"'
has "count replaced" '"count": 7'
rc 1 "set-status missing" $F set-status 99 closed --data "$D"
rc 2 "set-status bad" $F set-status 1 done --data "$D"

# --- export ---
check "export default json" $F export --data "$D"
lines "export rows" 3
json_ok "export json"
check "export csv" $F export --data "$D" -o csv --kind device
lines "export csv rows" 2
check "export table" $F export --data "$D" -o table
lines "export table rows" 4

# --- no database: empty, not an error; nothing created ---
check "empty list" $F list --data "$T/none" -o json
lines "empty rows" 0
if [ -e "$T/none" ]; then bad "read-only list created a data dir"; else ok; fi
rc 1 "show without db" $F show 1 --data "$T/none"

# --- control characters never reach the terminal in table output ---
check "add escape" $F add --data "$T/esc" --kind x --detector y \
    --subject 192.0.2.1 --summary "$(printf 'a\033[2Jb')"
check "list escape" $F list --data "$T/esc"
if grep -q "$(printf '\033')" "$T/out"; then bad "ESC in table"; else ok; fi
has "escape replaced" 'a\?\[2Jb'
check "json escape" $F list --data "$T/esc" -o json
has "json escapes ESC" 'a\\u001[Bb]\[2Jb'

# --- help ---
check "help" $F --help
has "help" 'mamori findings list'
rc 2 "no subcommand" $F

echo "findings.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
