#!/bin/sh
# lab_devices.sh - end to end for `mamori lab devices`:
#   1. ranges outside 127.0.0.0/8 are refused (exit 2, nothing bound);
#   2. a small fleet (127.10.0.0/24, 10 % live, 10 % of them hostile) prints
#      its ready line; python3 checks every telnet login dialogue (wrong
#      pair refused with "Login incorrect", the truth's default pair gives
#      "# ", any input then closes), SSH identification strings, SSH
#      password logins (dbclient, when present: the default pair is
#      accepted, a wrong one refused), VPN pages
#      revealing the truth's versions, over HTTP and HTTPS (certificate
#      subject as in the truth); curl checks a Basic auth realm and
#      the favicon; hostile services end without hanging the client;
#   3. SIGTERM exits 0 and the counts file shows connections exactly on the
#      addresses contacted, all inside the range.
# Only 127.10.0.0/24 is used; no timing assertions (waits are bounded).
#
# usage: sh lab_devices.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"

t_skip_unless_help "$MAMORI" lab devices
t_need python3
t_init lab-devices

# 1. scope
for r in 10.0.0.0/24 192.168.1.0/24 128.0.0.0/16 127.0.0.0/8 0.0.0.0/0; do
	"$MAMORI" lab devices --range "$r" --duration 1s 2>"$TMP/refuse.err"
	rc=$?
	[ "$rc" = 2 ] || t_fail "--range $r: exit $rc, want 2"
done
grep -q "127.0.0.0/8" "$TMP/refuse.err" || true

# 2. fleet
t_fleet DPID 127.10.0.0/24 --live-pct 10 --hostile 10 --seed 7 \
    --idle 5 --duration 300s --counts "$TMP/counts.json"
grep -Eq "listening on [0-9]+ ports across [0-9]+ addresses" "$TMP/dev.err" ||
    t_fail "bad ready line"

python3 - "$TMP/truth.json" "$TMP/contacted.txt" "$TMP/logins.txt" <<'PY' || t_fail "python probes"
import json, os, shutil, socket, ssl, subprocess, sys, time
logins_ok = nssh = 0
dbclient = shutil.which("dbclient")
nhttps = 0
truth = json.load(open(sys.argv[1]))
assert truth["generator"] == "devices" and truth["range"] == "127.10.0.0/24"
svcs = truth["services"]
assert len(svcs) == truth["ports"] and len(svcs) > 0
contacted = set()

def conn(a, p):
    contacted.add(a)
    return socket.create_connection((a, p), timeout=5)

def until(s, pat, limit=65536, secs=5.0):
    b, t0 = b"", time.time()
    while pat not in b and len(b) < limit and time.time() - t0 < secs:
        try:
            d = s.recv(4096)
        except socket.timeout:
            break
        if not d:
            break
        b += d
    return b

kinds = {}
for sv in svcs:
    a = sv["addr"]
    assert a.startswith("127.10.0."), a
    kinds.setdefault(sv["service"] if not sv["hostile"] else "hostile", []).append(sv)
    if sv["hostile"]:
        continue
    if sv["service"] == "telnet":
        s = conn(a, sv["port"])
        b = until(s, b"login: ")
        assert b.startswith(b"\xff\xfd\x01"), b[:8]      # IAC DO ECHO
        s.sendall(b"nobody\r\n"); until(s, b"Password: ")
        s.sendall(b"wrong\r\n")
        assert b"Login incorrect" in until(s, b"login: ")
        cs = sv["credential_secret"]
        s.sendall(cs["user"].encode() + b"\r\n"); until(s, b"Password: ")
        s.sendall(cs["password"].encode() + b"\r\n")
        assert until(s, b"# ").endswith(b"# "), a
        logins_ok += 1
        s.sendall(b"cat /etc/passwd\r\n")
        assert until(s, b"\x00") == b"", "shell answered"   # closed
        s.close()
    elif sv["service"] == "ssh":
        s = conn(a, sv["port"])
        line = until(s, b"\n")
        assert line.decode() == sv["banner"], (line, sv["banner"])
        s.close()
        cs = sv.get("credential_secret")
        assert (cs is not None) == (sv["auth"] == "ssh-password"), sv
        if cs and dbclient:
            # the default pair is taken (counted below), a wrong one not
            for pw, want in ((cs["password"] + "x", False),
                             (cs["password"], True)):
                r = subprocess.run([dbclient, "-y", "-y", "-p",
                    str(sv["port"]), "%s@%s" % (cs["user"], a), "true"],
                    env=dict(os.environ, DROPBEAR_PASSWORD=pw),
                    stdin=subprocess.DEVNULL, capture_output=True,
                    timeout=30)
                if not want:
                    assert r.returncode != 0, ("wrong pair taken", a)
            logins_ok += 1
            nssh += 1
    elif sv["device_type"] == "vpn":
        paths = {"Fortinet": "/remote/login", "Pulse Secure": "/dana-na/nc/nc_gina_ver.txt",
                 "Palo Alto Networks": "/global-protect/login.esp",
                 "SonicWall": "/cgi-bin/welcome", "Citrix": "/vpn/index.html"}
        s = conn(a, sv["port"])
        if sv["service"] == "https":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(s)
            der = s.getpeercert(binary_form=True)
            assert sv["tls_subject"]["CN"].encode() in der, "cert subject"
            nhttps += 1
        s.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (paths[sv["vendor"]], a)).encode())
        r = b""
        try:
            r = until(s, b"\x00")
        except ssl.SSLError:
            pass
        s.close()
        assert r.startswith(b"HTTP/1.1 200"), r[:40]
        v = sv["version"] if sv["vendor"] != "Pulse Secure" else sv["version"].replace("R", ".")
        if "etag_time" in sv:
            # FortiGate, GlobalProtect: the build time in the ETag
            assert ('%08x"' % sv["etag_time"]).encode() in r, (sv["template"], r)
        elif "build_hash" in sv:
            # FortiGate 7.x: the build hash in the login page
            assert sv["build_hash"].encode() in r, (sv["template"], r)
        elif sv["vendor"] != "Citrix":
            assert v.encode() in r, (sv["template"], r)
        if sv["vendor"] != "Pulse Secure":
            assert ("<title>%s</title>" % sv["title"]).encode() in r, r
for sv in kinds.get("hostile", []):
    try:
        s = conn(sv["addr"], sv["port"])
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        until(s, b"\x00", limit=1 << 20, secs=2.0)
        s.close()
    except OSError:
        pass
assert "telnet" in kinds, "no telnet device in the fleet"
open(sys.argv[2], "w").write("\n".join(sorted(contacted)) + "\n")
open(sys.argv[3], "w").write("%d\n" % logins_ok)
print("probed %d services (%d over TLS, %d SSH logins) on %d addresses" % (len(svcs), nhttps, nssh, len(contacted)))
PY

# curl: a Basic auth realm and the favicon
if command -v curl >/dev/null 2>&1; then
	set -- $(python3 -c '
import json, sys
for s in json.load(open(sys.argv[1]))["services"]:
    if s.get("auth") == "basic" and s.get("credential_secret"):
        c = s["credential_secret"]
        print(s["addr"], s["port"], c["user"] + ":" + c["password"]); break
' "$TMP/truth.json")
	if [ $# -eq 3 ]; then
		echo "$1" >>"$TMP/contacted.txt"
		curl -s -o /dev/null -D "$TMP/h401" "http://$1:$2/" ||
		    t_fail "curl $1:$2"
		grep -q "^HTTP/1.1 401" "$TMP/h401" || t_fail "no 401"
		grep -q "^WWW-Authenticate: Basic realm=" "$TMP/h401" ||
		    t_fail "no realm"
		code=$(curl -s -o /dev/null -w '%{http_code}' -u "$3" \
		    "http://$1:$2/")
		[ "$code" = 200 ] || t_fail "Basic auth with the default: $code"
		echo $(($(cat "$TMP/logins.txt") + 1)) >"$TMP/logins.txt"
		code=$(curl -s -o /dev/null -w '%{http_code}' -u "x:y" \
		    "http://$1:$2/")
		[ "$code" = 401 ] || t_fail "Basic auth with a wrong pair: $code"
		curl -s "http://$1:$2/favicon.ico" -o "$TMP/fav" ||
		    t_fail "favicon"
		[ -s "$TMP/fav" ] || t_fail "empty favicon"
	fi
fi

# 3. SIGTERM, exit 0, counts
t_stop "$DPID" "lab devices"
[ "$T_RC" = 0 ] || t_fail "exit $T_RC after SIGTERM"
# every default-pair login made above (telnet, HTTP Basic, SSH) and no
# other was accepted
want=$(cat "$TMP/logins.txt")
grep -q " connections, $want logins accepted," "$TMP/dev.err" ||
    t_fail "want $want logins accepted"
python3 - "$TMP/counts.json" "$TMP/contacted.txt" "$TMP/truth.json" <<'PY' || t_fail "counts"
import json, sys
c = json.load(open(sys.argv[1]))
contacted = set(l.strip() for l in open(sys.argv[2]) if l.strip())
live = set(s["addr"] for s in json.load(open(sys.argv[3]))["services"])
assert set(c["counts"]) == live, "counts cover the live addresses"
for a, n in c["counts"].items():
    assert a.startswith("127.10.0."), a
    assert (n > 0) == (a in contacted), (a, n)
assert c["addresses_contacted"] == len(contacted & live)
assert c["accepted"] == sum(c["counts"].values())
assert c["accepts"] == c["accepted"]
assert c["first_accept_ms"] > 1.5e12 and \
    c["first_accept_ms"] <= c["last_accept_ms"], c
print("counts: %d connections on %d addresses" % (c["accepted"], c["addresses_contacted"]))
PY
echo "ok"
exit 0
