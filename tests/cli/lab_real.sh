#!/bin/sh
# lab_real.sh - `mamori lab devices --real lighttpd,dropbear`: real servers
# beside the emulated fleet, checked against the truth.
#   1. the fleet on 127.22.0.0/24 starts a real lighttpd with mod_auth
#      Basic, one with Digest, and a real dropbear, on free addresses of
#      the range; the truth's versions are what `lighttpd -v` and
#      `dropbear -V` print;
#   2. curl: Basic and Digest refuse without and with a wrong pair (401,
#      the truth's realm and Server header) and take the truth's pair
#      (200); a plain TCP read of dropbear's first line is the truth's
#      banner;
#   3. when `mamori survey` is built: a survey of the range (60 % live,
#      so every emulated template of src/lab/devices.c is in the fleet,
#      which is checked) identifies every non-hostile service exactly as
#      the truth says (real servers included; "identifiable": false
#      entries equal "expected");
#   4. SIGTERM: exit 0, the real servers are gone (their ports refuse),
#      their directory is removed, and the counts file has "accepts",
#      "first_accept_ms" and "last_accept_ms".
# Skips (77) without /usr/sbin/lighttpd, /usr/sbin/dropbear, curl or
# python3. Only 127.22.0.0/24 is used; waits are bounded, no timing
# assertions.
#
# usage: sh lab_real.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"

t_skip_unless_help "$MAMORI" lab devices
for b in /usr/sbin/lighttpd /usr/sbin/dropbear; do
	[ -x "$b" ] || t_skip "no $b (scripts/install-deps)"
done
t_need python3 curl
t_init lab-real

# 1. fleet with real servers
t_fleet DPID 127.22.0.0/24 --live-pct 60 --seed 11 \
    --real lighttpd,dropbear --duration 300s --counts "$TMP/counts.json"
for k in lighttpd-basic lighttpd-digest dropbear; do
	grep -q "real $k " "$TMP/dev.err" || t_fail "real $k not started"
done
ls -d "$TMP"/mamori-real.* >/dev/null 2>&1 || t_fail "no real servers' directory"

LV=$(/usr/sbin/lighttpd -v 2>&1 | sed -n 's|.*lighttpd/\([0-9.]*\).*|\1|p' | head -1)
DV=$(/usr/sbin/dropbear -V 2>&1 | sed -n 's|.*Dropbear v\([0-9.]*\).*|\1|p' | head -1)
[ -n "$LV" ] && [ -n "$DV" ] || t_fail "cannot read the real versions"

python3 - "$TMP/truth.json" "$LV" "$DV" >"$TMP/real.txt" <<'PY' || t_fail "truth of the real servers"
import json, sys
t = json.load(open(sys.argv[1]))
real = [s for s in t["services"] if s["real"]]
assert len(real) == 3, real
emu = set(s["addr"] for s in t["services"] if not s["real"])
assert t["ports"] == len(t["services"])
for s in real:
    assert s["addr"].startswith("127.22.0.") and s["addr"] not in emu, s
    if s["template"] == "real-lighttpd":
        assert (s["service"], s["vendor"], s["product"], s["version"]) == \
            ("http", "lighttpd", "lighttpd", sys.argv[2]), s
        assert s["cpe"] == "cpe:2.3:a:lighttpd:lighttpd:%s:*:*:*:*:*:*:*" % sys.argv[2]
        assert s["server"] == "lighttpd/" + sys.argv[2]
        c = s["credential_secret"]
        assert s["credential_id"].startswith("mirai-")
        print(s["auth"], s["addr"], s["port"], s["realm"].replace(" ", "_"),
              c["user"] + ":" + c["password"])
    else:
        assert (s["service"], s["vendor"], s["product"], s["version"]) == \
            ("ssh", "Dropbear SSH project", "Dropbear sshd", sys.argv[3]), s
        assert s["banner"] == "SSH-2.0-dropbear_%s\r\n" % sys.argv[3]
        assert s["credential_id"] is None and s["auth"] is None
        print("ssh", s["addr"], s["port"], "-", "-")
PY

# 2. curl and a TCP read
while read -r kind addr port realm pair; do
	realm=$(echo "$realm" | tr _ ' ')
	case $kind in
	basic|digest)
		[ "$kind" = digest ] && opt=--digest || opt=--basic
		curl -s -o /dev/null -D "$TMP/h401" "http://$addr:$port/" ||
		    t_fail "curl $addr:$port"
		grep -q "^HTTP/1.1 401" "$TMP/h401" || t_fail "$kind: no 401"
		grep -qi "^Server: lighttpd/$LV" "$TMP/h401" ||
		    t_fail "$kind: Server header"
		if [ "$kind" = digest ]; then
			grep -q "^WWW-Authenticate: Digest realm=\"$realm\"" \
			    "$TMP/h401" || t_fail "digest: realm"
		else
			grep -q "^WWW-Authenticate: Basic realm=\"$realm\"" \
			    "$TMP/h401" || t_fail "basic: realm"
		fi
		code=$(curl -s -o /dev/null -w '%{http_code}' $opt -u "$pair" \
		    "http://$addr:$port/")
		[ "$code" = 200 ] || t_fail "$kind with the truth's pair: $code"
		code=$(curl -s -o /dev/null -w '%{http_code}' $opt \
		    -u "${pair}x" "http://$addr:$port/")
		[ "$code" = 401 ] || t_fail "$kind with a wrong pair: $code"
		;;
	ssh)
		python3 - "$TMP/truth.json" "$addr" "$port" <<'PY' || t_fail "dropbear banner"
import json, socket, sys
t = json.load(open(sys.argv[1]))
want = [s["banner"] for s in t["services"]
        if s["addr"] == sys.argv[2] and s["port"] == int(sys.argv[3])][0]
s = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=10)
b = b""
while not b.endswith(b"\n") and len(b) < 256:
    d = s.recv(1)
    if not d:
        break
    b += d
s.close()
assert b.decode() == want, (b, want)
PY
		;;
	esac
done <"$TMP/real.txt"
echo "lab_real: lighttpd $LV (Basic, Digest) and dropbear $DV match the truth"

# 3. the survey against the range, when built
if "$MAMORI" survey --help >/dev/null 2>&1; then
	printf '127.22.0.0/24\n' >"$TMP/scope"
	"$MAMORI" survey --lab --scope "$TMP/scope" \
	    -p 22,23,80,443,2323,8080,8443,10443 --rate 2000 --seed 1 \
	    --timeout 2000 --banner-wait 1500 \
	    --rules "$SRC/data/fingerprints" --vulns "$SRC/data/vulns" \
	    --data "$TMP/data" -o json >"$TMP/out.json" 2>"$TMP/survey.err" ||
	    t_fail "survey exit $?"
	python3 - "$TMP/truth.json" "$TMP/out.json" "$SRC/src/lab/devices.c" <<'PY' || t_fail "identification"
import json, re, sys
truth = json.load(open(sys.argv[1]))
# every non-hostile template of the emulator is in this fleet
tpls = set(re.findall(r'= (?:TEL|TELG|WEB|SSH|VPN|FGTE|FGTH)\("([^"]+)"',
                      open(sys.argv[3]).read()))
seen = set(s["template"] for s in truth["services"])
assert tpls and tpls <= seen, ("templates not in the fleet", tpls - seen)
got = {}
for line in open(sys.argv[2]):
    o = json.loads(line)
    if o.get("type") == "service":
        got[(o["target"], o["port"])] = o
plain = [s for s in truth["services"] if not s.get("hostile")]
ok = 0
for s in plain:
    r = got.get((s["addr"], s["port"]))
    e = s["expected"] if s.get("identifiable") is False else s
    w = (e["service"], e["vendor"], e["product"], e["version"])
    g = None if r is None else (r["service"], r["vendor"], r["product"], r["version"])
    if g == w:
        ok += 1
    else:
        print("mismatch", s["addr"], s["port"], s["template"], g, w)
print("lab_real: survey identification %d/%d exact (%d templates, %d real "
      "servers, %d generic by the truth)" % (ok, len(plain), len(tpls),
      sum(1 for s in plain if s["real"]),
      sum(1 for s in plain if s.get("identifiable") is False)))
sys.exit(0 if ok == len(plain) and plain else 1)
PY
fi

# 4. SIGTERM: exit 0, real servers gone, directory removed, counts
t_stop "$DPID" "lab devices"
[ "$T_RC" = 0 ] || t_fail "exit $T_RC after SIGTERM"
ls -d "$TMP"/mamori-real.* >/dev/null 2>&1 && t_fail "real servers' directory left"
python3 - "$TMP/real.txt" "$TMP/counts.json" <<'PY' || t_fail "after exit"
import json, socket, sys
for line in open(sys.argv[1]):
    kind, addr, port = line.split()[:3]
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect((addr, int(port)))
        print("still accepting:", kind, addr, port); sys.exit(1)
    except OSError:
        pass
    finally:
        s.close()
c = json.load(open(sys.argv[2]))
assert c["accepts"] == c["accepted"] == sum(c["counts"].values()), c
if c["accepts"] > 0:
    assert c["first_accept_ms"] <= c["last_accept_ms"], c
else:
    assert c["first_accept_ms"] is None and c["last_accept_ms"] is None, c
PY
echo "lab_real: ok"
exit 0
