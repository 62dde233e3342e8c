#!/bin/sh
# notify_smtp.sh - `mamori notify` end to end against a loopback SMTP server
# (tests/notify/smtpd.py, aiosmtpd; only 127.0.0.1 is used):
#   1. findings for a test customer file + contacts (a Japanese ISP with
#      CSV, an English one with CSV and X-ARF, and one address nobody
#      covers) are added with `mamori findings add`;
#   2. `notify run --smtp` with the server in accept mode: one message per
#      recipient; each received message parses with Python's email package
#      (From/To/Subject decoded, multipart, the text part in the recipient's
#      language, CSV attachments with the Shadowserver header, X-ARF JSON
#      for the English ISP), the envelope matches To:, the findings become
#      notified, the unattributed one stays open and lands in the bucket;
#   3. failures: with no server (connection refused) and with the server
#      dropping the connection at the end of DATA, new messages stay
#      pending and their findings open; with the server refusing the
#      recipient (550) the message is failed (a permanent reply is not
#      retried) and its finding stays open, its notification pending (as
#      the run's summary, `notify list' and `notify stats' say), so the
#      next run renders it into a new message (which the drop then leaves
#      pending);
#   4. accept again: `notify deliver --now` sends the pending messages and
#      every attributed finding is notified; a further run sends nothing;
#      `notify list` and `notify stats` show the queue and the figures.
# Needs /usr/bin/python3 with aiosmtpd (else exit 77). No timing asserts.
#
# usage: sh notify_smtp.sh path/to/mamori
M=${1:?usage: $0 path/to/mamori}
MAMORI=$M
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || t_skip "no /usr/bin/python3"
"$PY" -c 'import aiosmtpd' 2>/dev/null || t_skip "python3-aiosmtpd missing"
t_skip_unless_help "$M" notify run
t_init notify-smtp
T=$TMP
D=$T/data

# start_server MODE: starts smtpd.py, sets SPID, PORT and MAIL (a new
# directory per start: the server numbers its files from 0001 each time)
NSTART=0
start_server() {
	NSTART=$((NSTART + 1))
	MAIL=$T/mail$NSTART
	mkdir -p "$MAIL"
	"$PY" "$SRC/tests/notify/smtpd.py" --mode "$1" --dir "$MAIL" \
	    --lifetime 300 >"$T/port" 2>"$T/smtpd.err" &
	SPID=$!
	t_bg "$SPID"
	t_wait_for "[ -s '$T/port' ] || ! kill -0 $SPID 2>/dev/null" 300 ||
	    t_fail "smtpd.py ($1) did not start"
	[ -s "$T/port" ] || t_fail "smtpd.py ($1) exited"
	PORT=$(head -n 1 "$T/port")
}
stop_server() {
	kill "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	t_unbg "$SPID"
	: >"$T/port"
}

cat >"$T/customers" <<'EOF'
# test customer prefixes
192.0.2.0/25        isp-ja   AS64496
2001:db8:10::/48    isp-ja   AS64496
198.51.100.0/24     isp-en   AS64510
EOF
cat >"$T/contacts" <<'EOF'
[customer:isp-ja]
id     = isp-ja
org    = テスト回線株式会社
isp    = Test Kaisen
email  = abuse@kaisen.example.jp
lang   = ja
format = csv

[customer:isp-en]
id     = isp-en
org    = Test Transit Ltd.
isp    = Test Transit
email  = abuse@transit.example.net
lang   = en
format = both
EOF

add() { # add ID-NAME KIND ADDR PORT [extra args]
	name=$1; shift
	"$M" findings add --data "$D" --detector survey --proto 6 \
	    --severity high --summary "test $name" "$@" >"$T/add.out" 2>&1 ||
	    t_fail "findings add $name: $(cat "$T/add.out")"
}
TEL='{"service":"telnet","banner":"login:"}'
VULN='{"service":"https","cve":"CVE-2024-21762","cvss":9.8,"kev":true,"vendor":"Fortinet","product":"FortiOS","version":"7.2.0"}'
add ja-telnet --kind open-telnet --subject 192.0.2.10 --port 23 --evidence "$TEL"
add ja-vuln --kind vulnerable-version --subject 192.0.2.11 --port 443 \
    --dedup CVE-2024-21762 --evidence "$VULN"
add ja-v6 --kind open-telnet --subject 2001:db8:10::5 --port 23 --evidence "$TEL"
add en-telnet --kind open-telnet --subject 198.51.100.7 --port 23 --evidence "$TEL"
add nobody --kind open-telnet --subject 203.0.113.9 --port 23 --evidence "$TEL"

COMMON="--data $D --customers $T/customers --contacts $T/contacts
    --from noc@mamori.example.org --from-name Mamori-Test-CSIRT
    --org Mamori-Test-CSIRT --templates $SRC/data/notify/templates"

# usage errors
"$M" notify run --data "$D" >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || t_fail "run without sources: exit $rc, want 2"
"$M" notify bogus >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || t_fail "unknown subcommand: exit $rc, want 2"
for s in run deliver list recheck stats; do
	"$M" notify $s --help >"$T/help" 2>&1 || t_fail "notify $s --help"
	grep -q "usage: mamori notify" "$T/help" || t_fail "notify $s --help text"
done

# 2. accept
start_server accept
# shellcheck disable=SC2086
"$M" notify run $COMMON --smtp "smtp://127.0.0.1:$PORT" -o csv \
    >"$T/run1.out" 2>"$T/run1.err" || t_fail "notify run (accept): exit $?"
stop_server
[ "$(ls "$MAIL"/*.eml 2>/dev/null | wc -l)" -eq 2 ] ||
    t_fail "want 2 messages, got $(ls "$MAIL"/*.eml 2>/dev/null | wc -l)"
"$PY" - "$MAIL" <<'PY' || t_fail "received messages"
import email, glob, os, sys
from email import policy
SS = ("timestamp,severity,ip,protocol,port,hostname,tag,asn,geo,region,"
      "city,naics,hostname_source,sector")
seen = {}
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml"))):
    raw = open(path, "rb").read()
    env = open(path[:-4] + ".env").read().split("\n")
    m = email.message_from_bytes(raw, policy=policy.default)
    frm, to, subj = str(m["From"]), str(m["To"]), str(m["Subject"])
    assert "noc@mamori.example.org" in frm, frm
    assert "from noc@mamori.example.org" in env, env
    assert "rcpt " + to in env, (to, env)
    assert m.is_multipart() and m.get_content_type() == "multipart/mixed"
    assert m["Message-ID"] and m["Date"] and m["Auto-Submitted"]
    text = [p for p in m.iter_parts() if p.get_content_type() == "text/plain"
            and p.get_filename() is None]
    assert len(text) == 1, "one text part"
    body = text[0].get_content()
    csvs = {p.get_filename(): p.get_content() for p in m.iter_parts()
            if p.get_content_type() == "text/csv"}
    xarf = [p for p in m.iter_parts()
            if p.get_content_type() == "application/json"]
    assert csvs, "no CSV attachment"
    for name, c in csvs.items():
        first = c.split("\r\n")[0]
        assert first.startswith(SS), (name, first)
        assert name.endswith(".csv") and name[:4].isdigit(), name
    assert "203.0.113.9" not in raw.decode("ascii", "replace"), \
        "unattributed address mailed"
    seen[to] = (subj, body, sorted(csvs), len(xarf))
ja = seen.get("abuse@kaisen.example.jp")
en = seen.get("abuse@transit.example.net")
assert ja and en, seen.keys()
# Japanese: subject and body in Japanese, three findings, two v4 reports
# and one v6 report
assert any("\u3040" <= ch <= "\u30ff" for ch in ja[0]), ja[0]
assert "ご担当者様" in ja[1] or any("\u3040" <= ch <= "\u30ff" for ch in ja[1])
assert "192.0.2.10" in ja[1] and "2001:db8:10::5" in ja[1]
assert any(n.endswith("scan_telnet.csv") for n in ja[2]), ja[2]
assert any(n.endswith("scan6_telnet.csv") for n in ja[2]), ja[2]
assert any(n.endswith("scan_http_vulnerable.csv") for n in ja[2]), ja[2]
assert ja[3] == 0, "X-ARF for a csv recipient"
# English: English text, CSV and one X-ARF document
assert en[0].isascii() and "198.51.100.7" in en[1], en[0]
assert "security" in en[1].lower()
assert en[3] == 1, "want one X-ARF part"
print("notify_smtp: 2 messages parsed (ja: %d CSVs, en: %d CSV + %d X-ARF)"
      % (len(ja[2]), len(en[2]), en[3]))
PY
"$M" findings list --data "$D" --status notified -o csv >"$T/notified" ||
    t_fail "findings list"
[ "$(grep -c ',notified,' "$T/notified")" -eq 4 ] || t_fail "want 4 notified findings"
grep -q 'notified .* in message <' "$T/notified" || t_fail "no note naming the message"
"$M" findings list --data "$D" --status open -o csv >"$T/open"
grep -q '203.0.113.9' "$T/open" || t_fail "unattributed finding not open"
ls "$D"/notify/unattributed/*scan_telnet.csv >/dev/null 2>&1 ||
    t_fail "no unattributed bucket CSV"
grep -q '203.0.113.9' "$D"/notify/unattributed/*scan_telnet.csv ||
    t_fail "bucket CSV lacks the address"

# 3a. no server at all: connection refused -> pending
add ja-new1 --kind open-telnet --subject 192.0.2.20 --port 23 --evidence "$TEL"
# shellcheck disable=SC2086
"$M" notify run $COMMON --smtp "smtp://127.0.0.1:$PORT" -o csv \
    >"$T/run2.out" 2>"$T/run2.err"
rc=$?
[ "$rc" = 1 ] || t_fail "run with no server: exit $rc, want 1"
grep -q '^deferred,' "$T/run2.out" || t_fail "no deferred event (refused)"
# 3b. refuse (550 at RCPT): permanent -> failed, finding open
add en-new --kind open-telnet --subject 198.51.100.8 --port 23 --evidence "$TEL"
start_server refuse
# shellcheck disable=SC2086
"$M" notify run $COMMON --smtp "smtp://127.0.0.1:$PORT" -o csv \
    >"$T/run3.out" 2>"$T/run3.err"
rc=$?
stop_server
[ "$rc" = 1 ] || t_fail "run against refuse: exit $rc, want 1"
grep -q '^failed,.*abuse@transit.example.net' "$T/run3.out" ||
    t_fail "no failed event for the refused recipient"
# 3c. drop (connection closed at the end of DATA) -> pending
add ja-new2 --kind open-telnet --subject 192.0.2.21 --port 23 --evidence "$TEL"
start_server drop
# shellcheck disable=SC2086
"$M" notify run $COMMON --smtp "smtp://127.0.0.1:$PORT" -o csv \
    >"$T/run4.out" 2>"$T/run4.err"
rc=$?
stop_server
[ "$rc" = 1 ] || t_fail "run against drop: exit $rc, want 1"
grep -q '^deferred,' "$T/run4.out" || t_fail "no deferred event (drop)"
"$M" notify list --data "$D" --state pending -o csv >"$T/pending" ||
    t_fail "notify list"
[ "$(grep -c ',pending,' "$T/pending")" -eq 3 ] ||
    t_fail "want 3 pending messages: $(cat "$T/pending")"
"$M" notify list --data "$D" --state failed -o csv >"$T/failed"
[ "$(grep -c ',failed,' "$T/failed")" -eq 1 ] || t_fail "want 1 failed message"
grep -q '550' "$T/failed" || t_fail "failed message lacks the 550 reply"
# a failed message is final, its notification is not: the wording says so
grep -q 'failed messages are not retried' "$T/run3.err" ||
    t_fail "run does not say a failed message is not retried: $(cat "$T/run3.err")"
"$M" notify list --data "$D" --state failed >"$T/failed.txt"
grep -q 'notifications are still pending' "$T/failed.txt" ||
    t_fail "list does not say the failed message's notifications are pending"
"$M" notify stats --data "$D" >"$T/stats0.txt" || t_fail "notify stats (3)"
grep -q 'notifications: [0-9]* pending (new, not told yet)' "$T/stats0.txt" ||
    t_fail "stats does not count pending notifications: $(cat "$T/stats0.txt")"
"$M" notify stats --data "$D" -o json >"$T/stats0.json" || t_fail "notify stats (3)"
"$PY" - "$T/stats0.json" <<'PY' || t_fail "stats after the failures"
import json, sys
s = json.load(open(sys.argv[1]))
# 192.0.2.20, 192.0.2.21 (pending messages), 198.51.100.8 (failed one)
assert s["states"]["new"] >= 3, s["states"]
assert s["queue"]["failed"] == 1 and s["queue"]["pending"] == 3, s["queue"]
PY
"$M" findings list --data "$D" --status open -o csv >"$T/open"
for a in 192.0.2.20 192.0.2.21 198.51.100.8; do
	grep -q "$a" "$T/open" || t_fail "$a not open after failed delivery"
done

# 4. accept again: deliver --now sends the three pending ones
start_server accept
"$M" notify deliver --data "$D" --smtp "smtp://127.0.0.1:$PORT" \
    --from noc@mamori.example.org --now -o csv >"$T/run5.out" \
    2>"$T/run5.err" || t_fail "notify deliver --now: exit $?"
[ "$(grep -c '^sent,' "$T/run5.out")" -eq 3 ] || t_fail "deliver sent $(grep -c '^sent,' "$T/run5.out"), want 3"
grep -q '^sent,.*abuse@transit.example.net' "$T/run5.out" ||
    t_fail "the refused recipient's finding was not sent again"
# shellcheck disable=SC2086
"$M" notify run $COMMON --smtp "smtp://127.0.0.1:$PORT" -o json \
    >"$T/run6.out" 2>"$T/run6.err" || t_fail "notify run (nothing new): exit $?"
stop_server
grep -q '"type":"summary".*"messages":0' "$T/run6.out" ||
    t_fail "a further run rendered messages: $(cat "$T/run6.out")"
n1=$(ls "$MAIL"/*.eml | wc -l)
[ "$n1" -eq 3 ] || t_fail "want 3 more messages, got $n1"
"$M" findings list --data "$D" --status open -o csv >"$T/open"
[ "$(grep -c ',open,' "$T/open")" -eq 1 ] || t_fail "only the unattributed finding may stay open"
"$M" notify stats --data "$D" -o json >"$T/stats.json" || t_fail "notify stats"
"$PY" - "$T/stats.json" <<'PY' || t_fail "stats"
import json, sys
s = json.load(open(sys.argv[1]))
t = s["totals"]
assert t["found"] >= 8 and t["notified"] == 7, t
assert s["queue"]["sent"] == 5 and s["queue"]["failed"] == 1, s["queue"]
assert s["queue"]["pending"] == 0, s["queue"]
isps = {r["isp"] for r in s["rows"]}
assert {"Test Kaisen", "Test Transit"} <= isps, isps
print("notify_smtp: stats", t, s["queue"])
PY
"$M" notify stats --data "$D" >"$T/stats.txt" || t_fail "notify stats table"
grep -q 'Test Kaisen' "$T/stats.txt" || t_fail "stats table lacks the ISP"
echo "notify_smtp: ok"
exit 0
