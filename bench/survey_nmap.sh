#!/bin/sh
# survey_nmap.sh - `mamori survey` against `nmap -sV -T4` on the same lab
# fleet, the same addresses and the same ports, one after the other in one
# run: wall time, peak RSS, open ports found and correct identifications
# (product and version) of each against the fleet's ground truth, and the
# ratios.
#
# The fleet is `mamori lab devices --range $FLEET --live-pct $LIVE_PCT`
# (default 127.30.0.0/20: 4,096 addresses, 3 % live, about 216 open
# ports); both tools scan $RANGE (default: the whole fleet) on ports
# 22,23,80,443,2323,8080,8443,10443:
#   mamori survey --lab --scope RANGE -p PORTS --rate $SURVEY_RATE -o json
#   nmap -sV -T4 -Pn -n -sS|-sT -p PORTS -oX nmap.xml RANGE
# (-sS as root, else -sT). nmap is slow on these devices: every open port
# that none of its probes matches (telnet prompts, VPN portals) waits
# through its probe list: 49 min for the 4,096 addresses on 2 cores.
# NMAP_MAX (seconds, default 0 = no cap) stops it early; it is then
# reported as unfinished and only what its XML holds is scored. To compare
# on fewer addresses set RANGE (e.g. RANGE=127.30.0.0/22): both tools then
# scan the same sub-range.
#
# Correct identification: for each open port of the truth inside RANGE
# (the fleet is started without hostile services), the tool's product and
# version must equal the truth's. The survey's own names are compared as
# they are. nmap names products its own way, so its product goes through
# the table NMAP_PRODUCTS below (nmap product -> the truth's names for the
# same software or device; nothing is inferred that nmap did not print),
# and its version is reduced to its first word ("9.6p1 Ubuntu 3ubuntu13"
# -> "9.6p1"); a range ("1.14.0 or later") is not a version and counts as
# "" (no version claimed). Counts of correct products alone (any version)
# are printed too.
#
# Everything goes to 127.0.0.0/8 only. SCORE_ONLY=1 re-scores the outputs
# of the last run in $BENCH_WORK/survey-nmap without scanning again.
#
# usage: sh bench/survey_nmap.sh
. "$(dirname "$0")/lib.sh"

FLEET=${FLEET:-127.30.0.0/20}
LIVE_PCT=${LIVE_PCT:-3}
RANGE=${RANGE:-$FLEET}
PORTS=${PORTS:-22,23,80,443,2323,8080,8443,10443}
SURVEY_RATE=${SURVEY_RATE:-0}
SURVEY_OPTS=${SURVEY_OPTS:-}
NMAP_MAX=${NMAP_MAX:-0}
RULES=${RULES:-$SRC_DIR/data/fingerprints}
VULNS=${VULNS:-$SRC_DIR/data/vulns}
W=$WORK/survey-nmap

need_tools nmap python3 /usr/bin/time

score() {
	python3 - "$W/truth.json" "$W/survey.json" "$W/nmap.xml" "$RANGE" <<'PY'
import ipaddress, json, re, sys
import xml.etree.ElementTree as ET

# nmap product (regular expression, whole string) -> the truth's product
# names for the same software or device. Only naming: a row never turns a
# web server name into a device model.
NMAP_PRODUCTS = [
    (r"Dropbear sshd", ["Dropbear sshd"]),
    (r"OpenSSH", ["OpenSSH"]),
    (r"lighttpd", ["lighttpd"]),
    (r"GoAhead[ -]Webs(erver)?|GoAhead WebServer", ["GoAhead"]),
    # BusyBox's telnetd: the truth calls it "BusyBox" (earlier "telnetd",
    # vendor BusyBox) when the banner shows BusyBox, "Linux telnetd" for
    # the generic prompt
    (r"BusyBox telnetd", ["BusyBox", "telnetd", "Linux telnetd"]),
    (r"Citrix NetScaler.*|Citrix (ADC|Gateway).*", ["NetScaler ADC/Gateway"]),
    (r"SonicWALL SSL-VPN.*|SonicWall SMA.*", ["SMA 100 SSL-VPN"]),
    (r"Fortinet FortiGate.*|FortiGate.*", ["FortiGate SSL-VPN"]),
    (r"Pulse (Connect )?Secure.*|Juniper.*SSL VPN.*", ["Pulse Connect Secure"]),
    (r"Palo Alto.*GlobalProtect.*|GlobalProtect.*", ["GlobalProtect (PAN-OS)"]),
    (r"TP-LINK (TL-)?WR740N.*", ["Wireless N Router WR740N", "TL-WR740N"]),
    (r"D-Link DCS-930L.*", ["DCS-930L"]),
]

def nmap_norm(prod, ver):
    names = []
    for rx, out in NMAP_PRODUCTS:
        if prod and re.fullmatch(rx, prod):
            names = out
            break
    v = (ver or "").strip()
    if "or later" in v or "or earlier" in v or " - " in v:
        v = ""
    v = v.split()[0] if v else ""
    return names, v

truth_path, survey_path, xml_path, rng = sys.argv[1:5]
net = ipaddress.ip_network(rng, strict=False)
truth = json.load(open(truth_path))
want = [s for s in truth["services"]
        if ipaddress.ip_address(s["addr"]) in net and not s.get("hostile")]

sv, summ = {}, {}
try:
    for line in open(survey_path):
        o = json.loads(line)
        if o.get("type") == "service":
            sv[(o["target"], o["port"])] = o
        elif o.get("type") == "summary":
            summ = o
except FileNotFoundError:
    pass

nm, nmap_done, nmap_hosts = {}, False, 0
try:
    root = ET.parse(xml_path).getroot()
    nmap_done = root.find("runstats/finished") is not None
except (ET.ParseError, FileNotFoundError):
    # an interrupted run: close the XML and read the finished hosts
    try:
        txt = open(xml_path).read()
        cut = txt.rfind("</host>")
        root = ET.fromstring(txt[:cut + 7] + "</nmaprun>") if cut >= 0 \
            else None
    except (ET.ParseError, FileNotFoundError):
        root = None
if root is not None:
    for h in root.findall("host"):
        nmap_hosts += 1
        a = h.find("address").get("addr")
        for p in h.findall("ports/port"):
            if p.find("state").get("state") != "open":
                continue
            s = p.find("service")
            nm[(a, int(p.get("portid")))] = {} if s is None else s.attrib

n = len(want)
s_open = s_prod = s_ok = n_open = n_prod = n_ok = 0
miss_s, miss_n = {}, {}
for t in want:
    k = (t["addr"], t["port"])
    r = sv.get(k)
    if r is not None:
        s_open += 1
        if r["product"] == t["product"]:
            s_prod += 1
        if (r["product"], r["version"]) == (t["product"], t["version"]):
            s_ok += 1
        else:
            key = (t["product"], t["version"], r["product"], r["version"])
            miss_s[key] = miss_s.get(key, 0) + 1
    x = nm.get(k)
    if x is not None:
        n_open += 1
        names, v = nmap_norm(x.get("product"), x.get("version"))
        if t["product"] in names:
            n_prod += 1
        if t["product"] in names and v == t["version"]:
            n_ok += 1
        else:
            key = (t["product"], t["version"], x.get("product", ""),
                   x.get("version", ""))
            miss_n[key] = miss_n.get(key, 0) + 1

print("truth: %d open ports (non-hostile) in %s" % (n, rng))
print("%-10s %8s %10s %12s" % ("tool", "open", "product", "product+ver"))
print("%-10s %8d %10d %12d" % ("survey", s_open, s_prod, s_ok))
print("%-10s %8d %10d %12d   (%s, %d hosts in its XML)" % ("nmap", n_open,
      n_prod, n_ok, "finished" if nmap_done else "NOT FINISHED", nmap_hosts))
print("survey misses (truth product/version -> survey's):")
for k, c in sorted(miss_s.items(), key=lambda i: -i[1]):
    print("  %3d  %s %s -> %s %s" % ((c,) + k))
print("nmap misses (truth product/version -> nmap's product/version):")
for k, c in sorted(miss_n.items(), key=lambda i: -i[1]):
    print("  %3d  %s %s -> %s %s" % ((c,) + k))
with open(sys.argv[1] + ".score", "w") as f:
    f.write("N=%d S_OK=%d N_OK=%d S_OPEN=%d N_OPEN=%d NMAP_DONE=%d "
            "INFLIGHT=%s\n" % (n, s_ok, n_ok, s_open, n_open,
            1 if nmap_done else 0, summ.get("inflight_max", "-")))
PY
}

report() {
	score || die "scoring failed"
	. "$W/truth.json.score"
	sw=$(tv_wall "$W/survey.time")
	nw=$(tv_wall "$W/nmap.time")
	echo
	printf '%-8s %10s %10s %10s %14s\n' tool wall_s peak_MiB open correct_pv
	printf '%-8s %10s %10s %10s %14s\n' survey "$sw" \
	    "$(tv_rss "$W/survey.time")" "$S_OPEN/$N" "$S_OK/$N"
	printf '%-8s %10s %10s %10s %14s\n' nmap "$nw" \
	    "$(tv_rss "$W/nmap.time")" "$N_OPEN/$N" "$N_OK/$N"
	if [ "$NMAP_DONE" = 1 ]; then
		echo "speed (nmap wall / survey wall): $(ratio "$nw" "$sw")x"
	else
		echo "speed (nmap wall / survey wall): more than $(ratio "$nw" "$sw")x (nmap stopped unfinished)"
	fi
	echo "correct identifications (survey / nmap): $(ratio "$S_OK" "$N_OK")x ($S_OK vs $N_OK)"
	[ "$NMAP_DONE" = 1 ] || echo "NOTE: nmap did not finish (NMAP_MAX=$NMAP_MAX s); its figures cover the hosts it completed"
	echo "survey: peak in flight $INFLIGHT, peak RSS $(tv_rss "$W/survey.time") MiB"
}

if [ "${SCORE_ONLY:-0}" = 1 ]; then
	[ -f "$W/truth.json" ] || die "nothing to score in $W"
	report
	exit 0
fi

rm -rf "$W"
mkdir -p "$W" || die "cannot create $W"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "mamori: $MAMORI; $(nmap --version | head -n 1)"
echo "fleet $FLEET ($LIVE_PCT % live, seed $SEED); both scan $RANGE, ports $PORTS"

bg "$MAMORI" lab devices --range "$FLEET" --live-pct "$LIVE_PCT" \
    --seed "$SEED" --duration 4h --truth "$W/truth.json" \
    2>"$W/devices.err"
DPID=$BGPID
i=0
until grep -q "listening on" "$W/devices.err" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 600 ] && die "lab devices not ready"
	kill -0 "$DPID" 2>/dev/null || { cat "$W/devices.err"; die "lab devices exited"; }
	sleep 0.1
done
cat "$W/devices.err"
echo "$RANGE" >"$W/scope"

echo "-- mamori survey --lab --scope $RANGE -p $PORTS --rate $SURVEY_RATE $SURVEY_OPTS"
/usr/bin/time -v -o "$W/survey.time" "$MAMORI" survey --lab \
    --scope "$W/scope" -p "$PORTS" --rate "$SURVEY_RATE" --seed "$SEED" \
    --rules "$RULES" --vulns "$VULNS" $SURVEY_OPTS \
    --data "$W/data" -o json >"$W/survey.json" 2>"$W/survey.err" ||
    { cat "$W/survey.err"; die "survey failed"; }
tail -n 1 "$W/survey.json"

st=-sT
[ "$(id -u)" = 0 ] && st=-sS
echo "-- nmap -sV -T4 -Pn -n $st -p $PORTS -oX nmap.xml $RANGE   (started $(date -u +%H:%M:%S) UTC)"
/usr/bin/time -v -o "$W/nmap.time" nmap -sV -T4 -Pn -n $st -p "$PORTS" \
    -oX "$W/nmap.xml" "$RANGE" >"$W/nmap.out" 2>&1 &
NPID=$!
PIDS="$PIDS $NPID"
t0=$(date +%s)
while kill -0 "$NPID" 2>/dev/null; do
	if [ "$NMAP_MAX" -gt 0 ] && [ $(($(date +%s) - t0)) -ge "$NMAP_MAX" ]; then
		echo "nmap still running after $NMAP_MAX s: stopping it"
		# /usr/bin/time's child is nmap: stop nmap, time reports
		for c in $(cat /proc/"$NPID"/task/*/children 2>/dev/null); do
			kill -INT "$c" 2>/dev/null
		done
		break
	fi
	sleep 1
done
wait "$NPID" 2>/dev/null
tail -n 1 "$W/nmap.out"
stop "$DPID"
report
