#!/bin/sh
# demo_notify.sh - the notification stage of the mamori demo, all on
# loopback:
#  1. attributes the open findings of DATADIR (survey and C&C findings the
#     main demo produced) to three synthetic ISPs with the demo's
#     customer-prefix and contacts files (data/notify/demo/: Sakura Net and
#     Fuji Broadband in Japanese, Example Transit in English; parts of the
#     lab address space are left uncovered on purpose: the unattributed
#     bucket);
#  2. starts the loopback test SMTP server (tests/notify/smtpd.py, needs
#     /usr/bin/python3 with aiosmtpd; without it the messages go to an
#     outbox directory instead) and runs `mamori notify run`;
#  3. shows each received message: its decoded headers, the first lines
#     of the text and the attachments;
#  4. shows the queue (`notify list`), the unattributed bucket and the
#     figures of the current month (`notify stats`); stops the server.
#
# usage: scripts/demo_notify.sh BIN DATADIR WORKDIR [MOREDATA...]
# Findings of the optional MOREDATA directories (e.g. the C&C stage's data
# dir when it is not DATADIR) are first copied into DATADIR with
# `mamori findings add`. Environment: DEMO_SMTP_PORT (default: any free
# port).
set -eu
[ $# -ge 3 ] || { echo "usage: $0 BIN DATADIR WORKDIR [MOREDATA...]" >&2; exit 2; }
bin=$1
data=$2
work=$3
shift 3
root=$(cd "$(dirname "$0")/.." && pwd)
demo=$root/data/notify/demo
py=/usr/bin/python3
mkdir -p "$work"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# --- findings from other data directories ---
for more in "$@"; do
	[ -f "$more/findings.db" ] || continue
	say "copying the findings of $more into $data"
	"$bin" findings export --data "$more" -o json >"$work/more.json"
	python3 - "$bin" "$data" "$work/more.json" <<'PY'
import json, subprocess, sys
b, data, path = sys.argv[1:4]
n = 0
for line in open(path):
    f = json.loads(line)
    if f.get("status") != "open":
        continue
    cmd = [b, "findings", "add", "--data", data, "--kind", f["kind"],
           "--detector", f["detector"], "--subject", f["subject"],
           "--severity", f["severity"], "--score", str(f["score"]),
           "--count", str(f["count"]), "--first-seen", f["first_seen"],
           "--last-seen", f["last_seen"], "--summary", f["summary"] or ""]
    if f.get("port"):
        cmd += ["--port", str(f["port"])]
    if f.get("proto"):
        cmd += ["--proto", str(f["proto"])]
    if f.get("dedup"):
        cmd += ["--dedup", f["dedup"]]
    if f.get("evidence") is not None:
        cmd += ["--evidence", json.dumps(f["evidence"])]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    n += 1
print("copied %d open findings" % n)
PY
done

if [ ! -f "$data/findings.db" ]; then
	echo "demo_notify: $data has no findings.db (run the survey and C&C stages first)" >&2
	exit 1
fi

say "open findings to report (mamori findings list --status open)"
"$bin" findings list --data "$data" --status open -o csv | python3 -c '
import csv, sys, collections
c = collections.Counter(r["kind"] for r in csv.DictReader(sys.stdin))
for k, n in sorted(c.items()):
    print("  %-20s %d" % (k, n))
'

say "the demo ISPs: customer prefixes ($demo/customers.txt)"
grep -v '^#' "$demo/customers.txt" | grep -v '^$'

# --- the loopback SMTP server ---
spid=
stop_server() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	spid=
}
trap stop_server EXIT
trap 'exit 1' INT TERM
mail=$work/mail
rm -rf "$mail" "$work/outbox" "$work/smtpd.port"
mkdir -p "$mail"
if [ -x "$py" ] && "$py" -c 'import aiosmtpd' 2>/dev/null; then
	"$py" "$root/tests/notify/smtpd.py" --mode accept --dir "$mail" \
	    --port "${DEMO_SMTP_PORT:-0}" --lifetime 600 >"$work/smtpd.port" \
	    2>"$work/smtpd.err" &
	spid=$!
	i=0
	while [ ! -s "$work/smtpd.port" ]; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$spid" 2>/dev/null; then
			cat "$work/smtpd.err" >&2
			echo "demo_notify: the test SMTP server did not start" >&2
			exit 1
		fi
		sleep 0.1
	done
	port=$(head -n 1 "$work/smtpd.port")
	deliver="--smtp smtp://127.0.0.1:$port"
	say "test SMTP server (tests/notify/smtpd.py) on 127.0.0.1:$port"
else
	deliver="--outbox $work/outbox"
	mail=$work/outbox
	say "note: /usr/bin/python3 with aiosmtpd not found; writing the messages to $mail instead"
fi

# --- notify ---
say "mamori notify run --customers customers.txt --contacts contacts.txt $deliver"
# shellcheck disable=SC2086
"$bin" notify run --data "$data" \
    --customers "$demo/customers.txt" --contacts "$demo/contacts.txt" \
    --templates "$root/data/notify/templates" \
    --from noc@mamori-demo.example.org --from-name "Mamori Demo CSIRT" \
    --org "Mamori Demo CSIRT" --contact-email csirt@mamori-demo.example.org \
    --url https://mamori-demo.example.org/notice $deliver || true
stop_server

say "received messages (decoded headers, first lines of the text, attachments)"
python3 - "$mail" <<'PY'
import email, glob, os, sys
from email import policy
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml"))):
    m = email.message_from_binary_file(open(path, "rb"),
                                       policy=policy.default)
    print("-" * 72)
    print(os.path.basename(path))
    for h in ("From", "To", "Subject", "Date", "Message-ID"):
        print("%-11s %s" % (h + ":", m[h]))
    parts = list(m.iter_parts()) if m.is_multipart() else [m]
    for p in parts:
        if p.get_content_type() == "text/plain" and not p.get_filename():
            lines = p.get_content().splitlines()
            print()
            for l in lines[:12]:
                print("  | " + l)
            if len(lines) > 12:
                print("  | ... (%d more lines)" % (len(lines) - 12))
    print()
    nx = 0
    for p in parts:
        if not p.get_filename():
            continue
        if p.get_content_type() == "application/json":
            nx += 1
            continue
        c = p.get_content()
        print("  attachment %-40s %-10s %d rows" % (p.get_filename(),
              p.get_content_type(), c.count("\n") - 1))
    if nx:
        print("  attachment %-40s %-10s one per finding" %
              ("%d X-ARF reports (xarf-ID.json)" % nx, "JSON"))
PY

say "mamori notify list"
"$bin" notify list --data "$data"

say "the unattributed bucket ($data/notify/unattributed/): never mailed"
for f in "$data"/notify/unattributed/*.csv; do
	[ -f "$f" ] || continue
	printf '  %-50s %d rows\n' "$(basename "$f")" $(($(wc -l <"$f") - 1))
done

# "found" counts by the month a finding was first seen (the lab day's
# flows may carry an older date), "notified" by the month it was sent
month=$(date -u +%Y-%m)
say "mamori notify stats --from 2000-01 --to $month (NOTICE-style figures)"
"$bin" notify stats --data "$data" --from 2000-01 --to "$month"
