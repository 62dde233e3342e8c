#!/bin/sh
# survey_sshkex.sh - the survey reads each SSH server's KEXINIT (RFC 4253
# 7.1) and reports its host key types, checked against OpenSSH's
# ssh-keyscan and the lab's truth:
#   1. a fleet on 127.28.0.0/22 (10 % live, seed 5) with a real dropbear
#      beside the emulated SSH servers (banner + KEXINIT) and the libssh
#      servers of the devices with SSH logins;
#   2. `mamori survey` of the truth's SSH ports: every SSH service has an
#      "ssh" object with hostkey, kex, ciphers, macs and no anomaly;
#   3. for the servers that complete a key exchange (real dropbear, the
#      libssh servers) the host key types equal the set ssh-keyscan gets
#      with -t rsa,ecdsa,ed25519,dsa (one key exchange per type); for the
#      emulated ones they equal the truth's "hostkey";
#   4. the survey's client identification carries its user agent: the
#      lab records nothing of it, so this is checked with a one-shot
#      python3 listener on 127.28.3.250 that prints what it receives.
# Only 127.28.0.0/22 is used; waits are bounded, nothing is timed.
#
# usage: sh survey_sshkex.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"

t_skip_unless_help "$MAMORI" survey
t_need python3
command -v ssh-keyscan >/dev/null 2>&1 ||
    t_skip "no ssh-keyscan (openssh-client, scripts/install-deps)"
[ -x /usr/sbin/dropbear ] ||
    t_skip "no /usr/sbin/dropbear (scripts/install-deps)"
t_init survey-sshkex

# 1. fleet
t_fleet DPID 127.28.0.0/22 --live-pct 10 --seed 5 --real dropbear \
    --duration 300s
python3 - "$TMP/truth.json" >"$TMP/ssh.list" <<'PY' || t_fail "truth"
import json, sys
t = json.load(open(sys.argv[1]))
for s in t["services"]:
    if s["service"] == "ssh" and not s.get("hostile"):
        print(s["addr"], s["port"], "real" if s.get("real") else
              "libssh" if s.get("auth") == "ssh-password" else "emu",
              s.get("hostkey", ""))
PY
[ -s "$TMP/ssh.list" ] || t_fail "no SSH service in the fleet"
awk '{ print $1 }' "$TMP/ssh.list" | sort -u >"$TMP/scope"
ports=$(awk '{ print $2 }' "$TMP/ssh.list" | sort -un | paste -sd, -)

# 2. survey
"$MAMORI" survey --lab --scope "$TMP/scope" -p "$ports" --seed 1 \
    --rate 500 --timeout 3000 --banner-wait 3000 \
    --rules "$SRC/data/fingerprints" --vulns "$SRC/data/vulns" \
    --user-agent "mamori-test (survey_sshkex.sh)" \
    --data "$TMP/data" -o json >"$TMP/out.json" 2>"$TMP/survey.err" ||
    t_fail "survey exit $?"

# 3. compare with ssh-keyscan and the truth
while read -r addr port kind want; do
	[ "$kind" = emu ] && continue
	ssh-keyscan -T 5 -p "$port" -t rsa,ecdsa,ed25519,dsa "$addr" \
	    >"$TMP/ks-$addr-$port" 2>/dev/null
done <"$TMP/ssh.list"
python3 - "$TMP/ssh.list" "$TMP/out.json" "$TMP" <<'PY' || t_fail "host keys"
import json, os, sys
ktype = {"ssh-rsa": "rsa", "ssh-dss": "dsa", "ssh-ed25519": "ed25519",
         "ecdsa-sha2-nistp256": "ecdsa-p256",
         "ecdsa-sha2-nistp384": "ecdsa-p384",
         "ecdsa-sha2-nistp521": "ecdsa-p521"}
got = {}
for line in open(sys.argv[2]):
    o = json.loads(line)
    if o.get("type") == "service":
        got[(o["target"], str(o["port"]))] = o
bad = n = nks = 0
for line in open(sys.argv[1]):
    f = line.split()
    addr, port, kind = f[0], f[1], f[2]
    want = f[3] if len(f) > 3 else ""
    r = got.get((addr, port))
    n += 1
    if r is None or "ssh" not in r:
        print("no ssh object for", addr, port, kind, r and r.get("anomaly"))
        bad = 1
        continue
    s = r["ssh"]
    for k in ("hostkey", "hostkey_algs", "kex", "ciphers", "macs"):
        if not s.get(k):
            print("ssh object lacks", k, addr, port); bad = 1
    if r.get("anomaly"):
        print("anomaly", addr, port, r["anomaly"]); bad = 1
    mine = set(s["hostkey"].split(","))
    if kind == "emu":
        if mine != set(want.split(",")):
            print("emulated", addr, port, "hostkey", sorted(mine), "truth",
                  want); bad = 1
        continue
    ks = set()
    for l in open(os.path.join(sys.argv[3], "ks-%s-%s" % (addr, port))):
        if l.startswith("#"):
            continue
        w = l.split()
        if len(w) >= 3:
            ks.add(ktype.get(w[1], w[1]))
    nks += 1
    if mine != ks:
        print(kind, addr, port, "survey", sorted(mine), "ssh-keyscan",
              sorted(ks)); bad = 1
print("survey_sshkex: %d SSH services, %d checked against ssh-keyscan"
      % (n, nks))
if nks == 0:
    print("no server checked against ssh-keyscan"); bad = 1
sys.exit(bad)
PY

# 4. the client identification line carries the user agent
cat >"$TMP/listen.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.28.3.250", 2222))
s.listen(1)
print("ready", flush=True)
s.settimeout(20)
c, _ = s.accept()
c.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
c.settimeout(10)
data = b""
while b"\n" not in data:
    d = c.recv(512)
    if not d:
        break
    data += d
open(sys.argv[1], "wb").write(data)
# no KEXINIT: hold the connection until the survey gives up
try:
    while c.recv(512):
        pass
except OSError:
    pass
PY
python3 "$TMP/listen.py" "$TMP/ident" >"$TMP/listen.out" 2>"$TMP/listen.err" &
LPID=$!
t_bg "$LPID"
t_wait_ready $LPID "$TMP/listen.out" ready listener
echo 127.28.3.250 >"$TMP/scope1"
"$MAMORI" survey --lab --scope "$TMP/scope1" -p 2222 --seed 1 \
    --timeout 1500 --banner-wait 1500 \
    --rules "$SRC/data/fingerprints" --vulns "$SRC/data/vulns" \
    --user-agent "mamori-test (survey_sshkex.sh)" \
    --data "$TMP/data1" -o json >"$TMP/one.json" 2>"$TMP/one.err" ||
    t_fail "survey of the listener: exit $?"
wait "$LPID"
t_unbg "$LPID"
grep -q '^SSH-2.0-mamori_survey mamori-test (survey_sshkex.sh)' \
    "$TMP/ident" || t_fail "client identification: $(cat "$TMP/ident")"
grep -q '"anomaly":"ssh: no KEXINIT before the timeout"' "$TMP/one.json" ||
    t_fail "a server without KEXINIT: no anomaly in $(cat "$TMP/one.json")"
echo "survey_sshkex: client identification '$(tr -d '\r\n' <"$TMP/ident")'"
echo "PASS"
