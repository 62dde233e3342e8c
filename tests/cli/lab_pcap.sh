#!/bin/sh
# lab_pcap.sh - end-to-end test of `mamori lab isp`: writes NetFlow v5, v9
# and IPFIX exports as pcap, checks with tshark that every datagram decodes
# (no malformed/expert warnings) and that tshark's flow count and byte sum
# equal the generator's --stats, and that `mamori import pcap` finds every
# flow; checks `lab replay -o csv|json` and its refusals, determinism (same
# seed, same CSV),
# the loopback-only rule of --send, and a real send to a loopback UDP
# listener (python3). Skips (77) without tshark.
# Usage: sh tests/cli/lab_pcap.sh /path/to/mamori
set -u
M=${1:?usage: lab_pcap.sh /path/to/mamori}
[ -x "$M" ] || { echo "lab_pcap.sh: $M not executable"; exit 77; }
command -v tshark >/dev/null 2>&1 || { echo "lab_pcap.sh: no tshark, skipped"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "lab_pcap.sh: no python3, skipped"; exit 77; }
T=$(mktemp -d /tmp/mamori-lab-sh.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# json_get FILE KEY: a number from the one-line --stats JSON
json_get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

for fmt in v5 v9 ipfix; do
	if "$M" lab isp --seed 3 --flows 5000 --format $fmt \
	    --pcap "$T/$fmt.pcap" --stats >"$T/$fmt.json" 2>"$T/err"; then
		ok
	else
		bad "$fmt: lab isp failed"; cat "$T/err"; continue
	fi
	flows=$(json_get "$T/$fmt.json" flows)
	bytes=$(json_get "$T/$fmt.json" bytes)
	dgrams=$(json_get "$T/$fmt.json" datagrams)
	[ "$flows" -eq 5000 ] && ok || bad "$fmt: stats flows $flows"
	# every datagram is a CFLOW packet, none malformed
	tshark -r "$T/$fmt.pcap" -d udp.port==2055,cflow -d udp.port==4739,cflow \
	    -T fields -e frame.number -e cflow.octets \
	    >"$T/$fmt.fields" 2>"$T/tshark.err" || { bad "$fmt: tshark failed"; cat "$T/tshark.err"; continue; }
	n=$(wc -l <"$T/$fmt.fields" | tr -d ' ')
	[ "$n" -eq "$dgrams" ] && ok || bad "$fmt: tshark saw $n frames, want $dgrams"
	nbad=$(tshark -r "$T/$fmt.pcap" -d udp.port==2055,cflow -d udp.port==4739,cflow \
	    -Y '_ws.malformed || _ws.expert.severity >= warning || !cflow' 2>/dev/null | wc -l | tr -d ' ')
	[ "$nbad" -eq 0 ] && ok || bad "$fmt: $nbad malformed/unknown frames"
	got=$(python3 -c '
import sys
n = s = 0
for l in open(sys.argv[1]):
    f = l.rstrip("\n").split("\t")
    if len(f) > 1 and f[1]:
        v = [int(x) for x in f[1].split(",")]
        n += len(v); s += sum(v)
print(n, s)' "$T/$fmt.fields")
	[ "$got" = "$flows $bytes" ] && ok || bad "$fmt: tshark flows/bytes '$got', want '$flows $bytes'"
done

# `mamori import pcap` reads the same pcaps and finds every flow
for fmt in v5 v9 ipfix; do
	[ -s "$T/$fmt.pcap" ] || continue
	if "$M" import pcap --data "$T/data-$fmt" -o json "$T/$fmt.pcap" >"$T/imp" 2>"$T/err"; then
		got=$(python3 -c 'import json,sys; o=json.loads(open(sys.argv[1]).readline()); print(o["flows"], o["malformed"])' "$T/imp")
		[ "$got" = "$(json_get "$T/$fmt.json" flows) 0" ] && ok || bad "$fmt: import pcap says '$got'"
	else
		bad "$fmt: import pcap failed"; cat "$T/err"
	fi
done

# v5 never carries IPv6
"$M" lab isp --format v5 --v6 50 --stats >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "v5 with --v6 50 not refused"

# determinism: same seed -> same CSV; other seed -> different
"$M" lab isp --seed 9 --flows 2000 --csv >"$T/a.csv" 2>/dev/null
"$M" lab isp --seed 9 --flows 2000 --csv >"$T/b.csv" 2>/dev/null
"$M" lab isp --seed 10 --flows 2000 --csv >"$T/c.csv" 2>/dev/null
cmp -s "$T/a.csv" "$T/b.csv" && ok || bad "same seed, different CSV"
cmp -s "$T/a.csv" "$T/c.csv" && bad "different seeds, same CSV" || ok
n=$(wc -l <"$T/a.csv" | tr -d ' ')
[ "$n" -eq 2001 ] && ok || bad "CSV has $n lines, want 2001"

# lab replay: per-file counts as CSV and JSON, file names quoted/escaped
if [ -s "$T/v9.pcap" ]; then
	q="$T/a\"b,c.pcap"
	cp "$T/v9.pcap" "$q"
	dg=$(json_get "$T/v9.json" datagrams)
	"$M" lab replay --send 127.0.0.1:9 -o json "$q" >"$T/rp.json" 2>"$T/err" &&
	    got=$(python3 -c 'import json,sys; o=json.loads(open(sys.argv[1]).readline()); print(o["file"] == sys.argv[2], o["datagrams"])' "$T/rp.json" "$q") &&
	    [ "$got" = "True $dg" ] && ok || { bad "lab replay -o json: '${got:-}'"; cat "$T/err"; }
	"$M" lab replay --send 127.0.0.1:9 -o csv "$q" >"$T/rp.csv" 2>"$T/err" &&
	    got=$(python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1]))); print(r[0] == ["file","packets","datagrams","skipped"], r[1][0] == sys.argv[2], r[1][2])' "$T/rp.csv" "$q") &&
	    [ "$got" = "True True $dg" ] && ok || { bad "lab replay -o csv: '${got:-}'"; cat "$T/err"; }
	"$M" lab replay --send 127.0.0.1:9 --rate x "$q" >/dev/null 2>&1
	[ $? -eq 2 ] && ok || bad "lab replay --rate x not refused"
	"$M" lab replay --send 192.0.2.1:9 "$q" >/dev/null 2>&1
	[ $? -eq 2 ] && ok || bad "lab replay to 192.0.2.1 not refused"
fi

# network rule: only loopback destinations
for d in 10.0.0.1:2055 192.0.2.1:2055 '[2001:db8::1]:2055' '[::2]:2055' 0.0.0.0:2055; do
	"$M" lab isp --flows 10 --send "$d" >/dev/null 2>"$T/err"
	[ $? -eq 2 ] && grep -q loopback "$T/err" && ok || bad "--send $d not refused"
done

# a real send to a loopback listener: all datagrams arrive.
# send_check NAME LAB-ISP-OPTIONS...
send_check() {
	name=$1
	shift
	rm -f "$T/port" "$T/recv"
	python3 - "$T/port" "$T/recv" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(5)
n = b = 0
try:
    while True:
        d = s.recv(65535)
        if d == b"END":
            break
        n += 1; b += len(d)
except socket.timeout:
    pass
open(sys.argv[2], "w").write("%d %d\n" % (n, b))
PY
	lpid=$!
	i=0
	while [ ! -s "$T/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	port=$(cat "$T/port" 2>/dev/null)
	if [ -z "$port" ]; then
		bad "$name: listener did not start"
		kill "$lpid" 2>/dev/null
		wait "$lpid" 2>/dev/null
		return
	fi
	"$M" lab isp "$@" --send 127.0.0.1:"$port" --stats >"$T/send.json" 2>"$T/err" && ok || { bad "$name: send failed"; cat "$T/err"; }
	python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"END", ("127.0.0.1", int(sys.argv[1])))' "$port"
	wait "$lpid"
	want="$(json_get "$T/send.json" sent_datagrams) $(json_get "$T/send.json" datagram_bytes)"
	got=$(cat "$T/recv" 2>/dev/null)
	[ "$got" = "$want" ] && ok || bad "$name: listener got '$got', want '$want'"
}
send_check paced --seed 4 --flows 3000 --format ipfix --rate 100000
send_check preload --seed 5 --flows 3000 --format v9 --preload
send_check gso --seed 6 --flows 5000 --format v5 --gso --rate 1000000

echo "lab_pcap.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
