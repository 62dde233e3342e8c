#!/bin/sh
# survey_ipv6.sh - `mamori survey --lab` over IPv6 end to end: a tiny
# python3 listener on [::1] (an SSH identification string on one port, an
# HTTP server on another; `mamori lab devices` binds 127/8 only), a scope
# of ::1, and:
#   1. both open ports are found and identified (service ssh with the
#      OpenSSH rule, service http with a status);
#   2. --source ::1 binds the connections (recorded in the summary);
#   3. --source 127.0.0.1 against a ::1 target connects nowhere (the
#      family differs) and says so in the summary;
#   4. --check-credentials over IPv6: the HTTP listener asks for Basic auth
#      and accepts one lab pair (mirai-03); the finding names the id.
# Skips (77) when ::1 cannot be bound. Only ::1 is contacted.
#
# usage: sh survey_ipv6.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"

t_skip_unless_help "$MAMORI" survey
t_need python3
python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' \
    2>/dev/null || t_skip "::1 unavailable"
t_init survey-v6

# the listener: writes "SSHPORT HTTPPORT" once both are bound (HTTP on
# the first free port of 8040-8099, which the shipped rules probe); exits
# after 120 s at most
python3 - "$TMP/ports" >/dev/null 2>"$TMP/listen.err" <<'PY' &
import base64, os, selectors, socket, sys, time
sel = selectors.DefaultSelector()
def listener(ports):
    for p in ports:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        try:
            s.bind(("::1", p))
        except OSError:
            s.close()
            continue
        s.listen(64)
        s.setblocking(False)
        return s
    sys.exit("no free port on ::1")
# SSH: any port (the banner step); HTTP: a port the rules probe over HTTP
ssh, web = listener([0]), listener(range(8040, 8100))
sel.register(ssh, selectors.EVENT_READ, "ssh")
sel.register(web, selectors.EVENT_READ, "web")
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
    f.write("%d %d\n" % (ssh.getsockname()[1], web.getsockname()[1]))
os.rename(tmp, sys.argv[1])
good = "Basic " + base64.b64encode(b"admin:admin").decode()
end = time.time() + 120
while time.time() < end:
    for key, _ in sel.select(timeout=0.5):
        c, _ = key.fileobj.accept()
        c.settimeout(3)
        try:
            if key.data == "ssh":
                c.sendall(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n")
            else:
                req = b""
                while b"\r\n\r\n" not in req and len(req) < 8192:
                    b = c.recv(4096)
                    if not b:
                        break
                    req += b
                auth = [l.split(b":", 1)[1].strip() for l in req.split(b"\r\n")
                        if l.lower().startswith(b"authorization:")]
                if auth and auth[0].decode() == good:
                    body = b"<html><title>cam</title></html>"
                    c.sendall(b"HTTP/1.1 200 OK\r\nServer: v6cam\r\n"
                              b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                              % len(body) + body)
                else:
                    c.sendall(b"HTTP/1.1 401 Unauthorized\r\nServer: v6cam\r\n"
                              b"WWW-Authenticate: Basic realm=\"v6cam\"\r\n"
                              b"Content-Length: 0\r\nConnection: close\r\n\r\n")
        except OSError:
            pass
        c.close()
PY
LPID=$!
t_bg "$LPID"
t_wait_for "[ -s '$TMP/ports' ] || ! kill -0 $LPID 2>/dev/null" 100 ||
    t_fail "listener did not start"
[ -s "$TMP/ports" ] || t_fail "listener exited"
read SSHP WEBP <"$TMP/ports"
printf '::1\n' >"$TMP/scope"
COMMON="--lab --scope $TMP/scope -p $SSHP,$WEBP --rate 200 --seed 1 --timeout 3000 --banner-wait 1000 --rules $SRC/data/fingerprints --vulns $SRC/data/vulns"

# 1 + 2
"$MAMORI" survey $COMMON --source ::1 --data "$TMP/data" -o json \
    >"$TMP/out.json" 2>"$TMP/survey.err" || t_fail "survey exit $?"
python3 - "$TMP/out.json" "$SSHP" "$WEBP" <<'PY' || t_fail "IPv6 results"
import json, sys
rows, summary = {}, None
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("type") == "service":
        rows[o["port"]] = o
    elif o.get("type") == "summary":
        summary = o
sshp, webp = int(sys.argv[2]), int(sys.argv[3])
bad = 0
s = rows.get(sshp)
if s is None or s["target"] != "::1" or s["service"] != "ssh" or not s["rule"] \
        or s["product"] != "OpenSSH":
    print("ssh on [::1]:%d not identified: %s" % (sshp, s)); bad = 1
w = rows.get(webp)
if w is None or w["service"] != "http":
    print("http on [::1]:%d not seen: %s" % (webp, w)); bad = 1
if summary is None or summary.get("source") != "::1" or summary["open"] != 2:
    print("summary:", summary); bad = 1
print("survey_ipv6: [::1] ssh %s, http %s" % (s and s["rule"], w and w["service"]))
sys.exit(bad)
PY

# 3. a source of the other family: nothing is contacted
"$MAMORI" survey $COMMON --source 127.0.0.1 --data "$TMP/data3" -o json \
    >"$TMP/out3.json" 2>"$TMP/survey.err" || t_fail "survey --source v4 exit $?"
python3 - "$TMP/out3.json" <<'PY' || t_fail "family mismatch"
import json, sys
s = [json.loads(l) for l in open(sys.argv[1])]
summ = [o for o in s if o.get("type") == "summary"][0]
assert summ["open"] == 0 and summ["connects"] == 0, summ
assert summ.get("source_skipped") == 2, summ
PY

# 4. the credential check over IPv6
"$MAMORI" survey $COMMON --check-credentials \
    --credentials "$SRC/data/credentials/mirai.creds" --data "$TMP/data4" \
    -o json >"$TMP/out4.json" 2>"$TMP/survey.err" || t_fail "survey creds exit $?"
"$MAMORI" findings list --data "$TMP/data4" --kind weak-credential -o csv \
    >"$TMP/weak.csv" 2>&1 || t_fail "findings list"
python3 - "$TMP/out4.json" "$WEBP" "$TMP/weak.csv" <<'PY' || t_fail "IPv6 credential check"
import csv, json, sys
rows = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("type") == "service":
        rows[o["port"]] = o
w = rows[int(sys.argv[2])]
assert w["credential_id"] == "mirai-03" and w["credential_attempts"] == 3, w
f = list(csv.DictReader(open(sys.argv[3])))
assert len(f) == 1 and f[0]["subject"] == "::1", f
print("survey_ipv6: weak-credential mirai-03 on [::1]:%s after %d attempts"
      % (sys.argv[2], w["credential_attempts"]))
PY
echo "survey_ipv6: ok"
exit 0
