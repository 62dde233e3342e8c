#!/bin/sh
# mamori demonstration, all on loopback, no outside network:
#  1. start the collector on 127.0.0.1 and ::1;
#  2. replay the NetFlow/IPFIX/sFlow captures of ../shared/testdata (if present);
#  3. send a synthetic ISP's flows over NetFlow v9 and IPFIX;
#  4. print top talkers, a filtered query and the collector's counters;
#  5. C&C detection: a labelled lab day with botnets over IPFIX to a second
#     collector, `mamori c2`, its evaluation against the ground truth, and
#     the findings store;
#  6. survey (measure II-3(1)): an emulated IoT/VPN fleet on 127.40.0.0/22,
#     `mamori survey --lab` with the operator's metadata (and
#     --check-credentials when built in), the findings it recorded;
#  7. notification: the survey and C&C findings attributed to three
#     synthetic ISPs, mail delivered to a loopback SMTP server, the queue
#     and the monthly figures (scripts/demo_notify.sh).
# Environment: DEMO_FLOWS (default 200000 per format), DEMO_DIR (default
# build/demo), MAMORI (binary, default build/mamori).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${MAMORI:-$root/build/mamori}
dir=${DEMO_DIR:-$root/build/demo}
flows=${DEMO_FLOWS:-200000}
port=${DEMO_PORT:-$((20000 + $$ % 20000))}
testdata=$root/../shared/testdata

rm -rf "$dir"
mkdir -p "$dir"
data=$dir/data

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "starting the collector on 127.0.0.1:$port and [::1]:$port"
"$bin" collect --data "$data" -l "127.0.0.1:$port" -l "[::1]:$port" \
    --stats "$dir/collect.stats.json" >"$dir/collect.log" 2>&1 &
cpid=$!
trap 'kill $cpid 2>/dev/null || true' EXIT INT TERM
sleep 1
kill -0 $cpid 2>/dev/null || { cat "$dir/collect.log"; exit 1; }

if [ -d "$testdata/netflow" ]; then
	say "replaying the NetFlow/IPFIX/sFlow captures of shared/testdata"
	# templates first, then the data that needs them
	set --
	for f in "$testdata"/netflow/*template*.pcap; do set -- "$@" "$f"; done
	for f in "$testdata"/netflow/*.pcap; do
		case "$f" in *template*) ;; *) set -- "$@" "$f" ;; esac
	done
	for f in "$testdata"/sflow/*.pcap; do set -- "$@" "$f"; done
	"$bin" lab replay --send "127.0.0.1:$port" --rate 2000 "$@" | \
	    sed "s|$testdata/||"
else
	say "shared/testdata not found: skipping the capture replay"
fi

say "a synthetic ISP: $flows flows over NetFlow v9, $flows over IPFIX (to ::1)"
"$bin" lab isp --seed 1 --flows "$flows" --format v9 --rate 200000 \
    --send "127.0.0.1:$port" --stats
"$bin" lab isp --seed 2 --flows "$flows" --format ipfix --rate 200000 \
    --send "[::1]:$port" --stats
sleep 2	# the collector flushes at least once a second

say "collector counters (SIGUSR1)"
kill -USR1 $cpid
sleep 1
tail -n 20 "$dir/collect.log"

say "top 10 source addresses by bytes:  mamori flows -s srcip/bytes -n 10"
"$bin" flows --data "$data" -s srcip/bytes -n 10

say "top destination ports by flows:  mamori flows -s dstport/flows -n 5"
"$bin" flows --data "$data" -s dstport/flows -n 5

say "filtered:  mamori flows -c 10 'proto tcp and dst port 443 and bytes > 100k'"
"$bin" flows --data "$data" -c 10 'proto tcp and dst port 443 and bytes > 100k'

say "the same as JSON lines:  mamori flows -c 2 -o json 'proto udp and port 53'"
"$bin" flows --data "$data" -c 2 -o json 'proto udp and port 53'

say "stopping the collector (SIGTERM flushes and closes the store)"
kill -TERM $cpid
wait $cpid || true
trap - EXIT INT TERM
cat "$dir/collect.stats.json" 2>/dev/null | head -c 2000; echo

# ---- stage: C&C detection (measure II-1(2)) ----
c2data=$dir/c2data
port2=$((port + 1))
subs=${DEMO_SUBSCRIBERS:-2000}
say "C&C stage: collector on 127.0.0.1:$port2; a labelled lab day ($subs subscribers, 12 botnets) over IPFIX"
"$bin" collect --data "$c2data" -l "127.0.0.1:$port2" \
    --stats "$dir/collect2.stats.json" >"$dir/collect2.log" 2>&1 &
cpid=$!
trap 'kill $cpid 2>/dev/null || true' EXIT INT TERM
sleep 1
"$bin" lab flows --seed 1 --subscribers "$subs" --send "127.0.0.1:$port2" \
    --format ipfix --rate 300000 --truth "$dir/truth.json" --stats
sleep 2
kill -TERM $cpid
wait $cpid || true
trap - EXIT INT TERM

say "mamori c2 --internal 100.64.0.0/10,2001:db8:100::/40 -n 10"
"$bin" c2 --data "$c2data" --internal 100.64.0.0/10,2001:db8:100::/40 -n 10

say "mamori c2 eval --truth truth.json (precision and recall against the planted botnets)"
"$bin" c2 eval --data "$c2data" --truth "$dir/truth.json"

say "the findings store:  mamori findings list --kind c2-server -n 5"
"$bin" findings list --data "$c2data" --kind c2-server -n 5

# ---- stage: survey (measure II-3(1), NOTICE-style) ----
# An emulated device fleet on 127.40.0.0/22 (`mamori lab devices`), an
# authorised, rate-limited survey of it with the operator's metadata, and
# the findings it recorded. --check-credentials (the opt-in default-login
# check) is used when this build has it.
svdir=$dir/survey
svdata=$c2data	# one findings store: survey and C&C findings side by side
mkdir -p "$svdir"
cd "$root"	# the survey's default data files (data/...) are relative
say "survey stage (measure II-3(1), NOTICE-style): an emulated IoT/VPN fleet on 127.40.0.0/22"
"$bin" lab devices --range 127.40.0.0/22 --live-pct 5 --seed 3 \
    --duration 300s --truth "$svdir/truth.json" \
    --counts "$svdir/counts.json" 2>"$svdir/devices.log" &
dpid=$!
trap 'kill $dpid 2>/dev/null || true' EXIT INT TERM
i=0
until grep -q "listening on" "$svdir/devices.log" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 $dpid 2>/dev/null; then
		cat "$svdir/devices.log"
		exit 1
	fi
	sleep 0.1
done
cat "$svdir/devices.log"
echo 127.40.0.0/22 >"$svdir/scope"
ports=22,23,80,443,2323,8080,8443,10443
creds= credfile=
if "$bin" survey --help 2>&1 | grep -q -- --check-credentials &&
    "$bin" survey --lab --dry-run --scope "$svdir/scope" -p $ports \
    --rules "$root/data/fingerprints" --vulns "$root/data/vulns" \
    --check-credentials >/dev/null 2>&1; then
	creds=--check-credentials
	# the shipped pair list (publicly documented Mirai defaults)
	if "$bin" survey --help 2>&1 | grep -q -- '--credentials FILE' &&
	    [ -f "$root/data/credentials/mirai.creds" ]; then
		credfile=$root/data/credentials/mirai.creds
	fi
else
	echo "note: this build has no --check-credentials yet; surveying without the default-login check"
fi
# the shipped rules, plus an operator's own FortiGate build table (here
# the lab's stand-in ETag times) so that FortiOS 5.x/6.x get a version
buildtable=
[ -f "$root/data/lab/fortigate-etag.rules" ] &&
    buildtable=$root/data/lab/fortigate-etag.rules
say "mamori survey --lab --scope 127.40.0.0/22 -p $ports --rate 5000 $creds --rules data/fingerprints ${buildtable:+--rules data/lab/fortigate-etag.rules} --operator ... --purpose ... --contact ..."
"$bin" survey --lab --scope "$svdir/scope" -p $ports --rate 5000 --seed 1 \
    $creds ${credfile:+--credentials "$credfile"} \
    --timeout 2000 --banner-wait 1500 \
    --rules "$root/data/fingerprints" ${buildtable:+--rules "$buildtable"} \
    --vulns "$root/data/vulns" \
    --operator "mamori demo" \
    --purpose "measure II-3(1) demonstration on an emulated fleet" \
    --contact "demo@example.invalid" --data "$svdata" -o table \
    >"$svdir/survey.txt" 2>"$svdir/survey.err" || {
	cat "$svdir/survey.err"
	exit 1
}
rows=$(($(wc -l <"$svdir/survey.txt") - 1))
echo "$rows open services; the first 12:"
head -n 13 "$svdir/survey.txt"
echo "summary:"
cat "$svdir/survey.err"

for kind in device vulnerable-version weak-credential open-telnet; do
	say "mamori findings list --detector survey --kind $kind -n 4"
	"$bin" findings list --data "$svdata" --detector survey --kind "$kind" -n 4
done

say "stopping the fleet"
kill -TERM $dpid
wait $dpid || true
trap - EXIT INT TERM

# ---- stage: notification (measure II-3(1) alerts, II-1(2) C&C) ----
say "notification stage: survey and C&C findings attributed to three synthetic ISPs, mail to a loopback SMTP server"
sh "$root/scripts/demo_notify.sh" "$bin" "$c2data" "$dir/notify"

say "done; flow data in $data; C&C, survey findings and notification state in $c2data"
