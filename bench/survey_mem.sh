#!/bin/sh
# survey_mem.sh - memory of `mamori survey` per connection in flight, and
# the O(1) memory of its target permutation.
#
# 1. Connections in flight. A survey keeps a target in flight while its
#    connect is pending or while it waits for an answer; on loopback a
#    closed port answers RST at once, so to hold >= 20,000 targets in
#    flight this script starts a "tarpit" (python3, below) that listens on
#    TARPIT_ADDRS addresses x TARPIT_PORTS ports of 127.31.0.0/16 with a
#    listen backlog of 0 and never accepts:
#      MODE=pending  the tarpit first connects once to each of its own
#                    listeners, which fills each accept queue; the survey's
#                    SYNs are then dropped by the kernel and its connects
#                    stay pending until --timeout (the common case of a
#                    real survey: filtered or silent hosts);
#      MODE=open     the survey's connect completes (the connection waits
#                    in the accept queue) and the survey waits for a
#                    banner until --banner-wait: the port is open, so the
#                    per-target observation state is allocated as well
#                    (the worst case for memory).
#    The ports (40000 and up) have no fingerprint rule, so each target is
#    one connection. The survey runs at full speed (--rate 0) with
#    --max-concurrent above the number of targets, --retries 0 and a
#    timeout of HOLD_MS, so nearly every target is in flight at once.
#    One process holds at most its RLIMIT_NOFILE hard limit minus 64
#    connections (the survey tries to raise the hard limit; that needs
#    CAP_SYS_RESOURCE); above that the survey splits itself over worker
#    processes (--workers, chosen automatically from the limit unless
#    WORKERS is set). The tarpit is split over processes of at most
#    ~16,000 descriptors. While the survey runs, a sampler (python3,
#    below) reads every 100 ms the proportional set size (Pss of
#    /proc/PID/smaps_rollup, so pages the workers share with the parent
#    are counted once) summed over the survey's processes, and counts the
#    survey's sockets to the tarpit in /proc/net/tcp (SYN-SENT in pending
#    mode, ESTABLISHED in open mode): "ss_peak" is that count at its
#    highest, an outside view of the connections in flight at one time.
#    A second run on the same scope with --max-concurrent equal to the
#    number of workers (one target in flight per worker) gives the
#    baseline, sampled the same way for BASE_SECS, then stopped with
#    SIGTERM. Memory per connection in flight = (peak Pss - baseline peak
#    Pss) / inflight_max. Kernel socket memory is not in the Pss and not
#    counted.
# 2. O(1) permutation. The survey is run over scopes of a /24, a /16 and
#    127.0.0.0/8 (minus 127.0.0.0/10 and 127.192.0.0/10, where the tests'
#    fleets live) with --shard 0/N so that each run visits 1,024 to 2,048
#    targets: the permutation of the /8 is built over its 67 M (address,
#    port) targets, the /24's over 2,048. Peak RSS should not grow with
#    the scope. Nothing listens on those addresses: every connect gets a
#    RST from the local kernel.
#
# Everything goes to 127.0.0.0/8 only (the survey runs with --lab).
#
# usage: sh bench/survey_mem.sh   (>= 20,000 in flight needs a hard
#        RLIMIT_NOFILE above TARPIT_ADDRS x TARPIT_PORTS + 64)
. "$(dirname "$0")/lib.sh"

MODES=${MODES:-pending open}
TARPIT_ADDRS=${TARPIT_ADDRS:-1024}	# 127.31.0.0 + i
TARPIT_PORTS=${TARPIT_PORTS:-24}	# 40000 + j
HOLD_MS=${HOLD_MS:-15000}
BASE_SECS=${BASE_SECS:-3}
WORKERS=${WORKERS:-}	# empty: the survey's own choice
PERM_PORTS=22,23,80,443,2323,8080,8443,10443
RULES=${RULES:-$SRC_DIR/data/fingerprints}
VULNS=${VULNS:-$SRC_DIR/data/vulns}

need_tools python3 /usr/bin/time
W=$WORK/survey-mem
rm -rf "$W"
mkdir -p "$W" || die "cannot create $W"

ntargets=$((TARPIT_ADDRS * TARPIT_PORTS))
# the survey needs one descriptor per target in flight (it raises its soft
# limit to the hard one and keeps 64 spare); raising the hard limit needs
# CAP_SYS_RESOURCE, which containers often lack
ulimit -n $((ntargets + 1000)) 2>/dev/null
[ "$(ulimit -n)" -ge $((ntargets + 1000)) ] 2>/dev/null ||
    echo "note: RLIMIT_NOFILE hard limit $(ulimit -Hn): the survey holds at most $(( $(ulimit -Hn) - 64 )) targets in flight" >&2
# tarpit addresses per process: 2 descriptors per target, <= 16,000 each
per_proc=$((8000 / TARPIT_PORTS))
[ $per_proc -ge 1 ] || die "TARPIT_PORTS too large"

# scope: TARPIT_ADDRS addresses from 127.31.0.0
python3 - "$TARPIT_ADDRS" >"$W/scope" <<'PY'
import ipaddress, sys
base = int(ipaddress.IPv4Address("127.31.0.0"))
for i in range(int(sys.argv[1])):
    print(ipaddress.IPv4Address(base + i))
PY
PORTS=40000-$((40000 + TARPIT_PORTS - 1))

# the tarpit: python3 $W/tarpit.py MODE; prints "ready N", then sleeps
# until SIGTERM
cat >"$W/tarpit.py" <<'PY'
import ipaddress, resource, signal, socket, sys, time
mode, a0, a1, npt = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
base = int(ipaddress.IPv4Address("127.31.0.0"))
ls, fill = [], []
for i in range(a0, a1):
    a = ipaddress.IPv4Address(base + i)
    assert a in ipaddress.IPv4Network("127.0.0.0/8")
    for j in range(npt):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((str(a), 40000 + j))
        s.listen(0)
        ls.append(s)
        if mode == "pending":
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setblocking(False)
            c.connect_ex((str(a), 40000 + j))
            fill.append(c)
if fill:
    time.sleep(1)		# let the handshakes complete
print("ready", len(ls), flush=True)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(3600)
PY

# the sampler: python3 $W/sample.py PID STATE OUT [SECS]; until PID ends
# (or SECS pass) samples the process tree's summed Pss and the sockets in
# /proc/net/tcp to 127.31.0.0/16 in STATE (hex: 01 established, 02
# syn-sent); writes "peak_pss_kib peak_sockets" to OUT
cat >"$W/sample.py" <<'PY'
import os, sys, time
root, state, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
secs = float(sys.argv[4]) if len(sys.argv) > 4 else 1e9
def tree():
    kids = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            st = open("/proc/%s/stat" % p).read()
        except OSError:
            continue
        ppid = int(st.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(p))
    todo, seen = [root], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(kids.get(p, []))
    return seen
def pss(p):
    try:
        for l in open("/proc/%d/smaps_rollup" % p):
            if l.startswith("Pss:"):
                return int(l.split()[1])
    except OSError:
        pass
    return 0
def socks():
    n = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for l in f:
            v = l.split()
            ra = v[2].split(":")[0]
            # 127.31.0.0/16: the two low bytes of the little-endian hex
            if v[3] == state and ra[4:8] == "1F7F":
                n += 1
    return n
t0, mp, ms = time.time(), 0, 0
while os.path.exists("/proc/%d" % root) and time.time() - t0 < secs:
    try:
        if open("/proc/%d/stat" % root).read().rsplit(")", 1)[1].split()[0] == "Z":
            break
    except OSError:
        break
    mp = max(mp, sum(pss(p) for p in tree()))
    ms = max(ms, socks())
    time.sleep(0.1)
open(out, "w").write("%d %d\n" % (mp, ms))
PY

# jsum FILE KEY: a field of the survey's summary line
jsum() {
	python3 -c 'import json,sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o.get("type") == "summary": print(o[sys.argv[2]])' "$1" "$2"
}

echo "== survey memory per connection in flight =="
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), RLIMIT_NOFILE $(ulimit -n)"
echo "scope: $TARPIT_ADDRS addresses x $TARPIT_PORTS ports = $ntargets targets; hold $HOLD_MS ms"
printf '%-8s %8s %10s %9s %10s %10s %11s %8s\n' mode workers in_flight ss_peak peak_MiB base_MiB bytes/conn wall_s
for mode in $MODES; do
	# the tarpit, split over processes of at most ~16,000 descriptors
	TPIDS="" a0=0 k=0
	while [ $a0 -lt "$TARPIT_ADDRS" ]; do
		a1=$((a0 + per_proc))
		[ $a1 -gt "$TARPIT_ADDRS" ] && a1=$TARPIT_ADDRS
		bg python3 "$W/tarpit.py" "$mode" $a0 $a1 "$TARPIT_PORTS" \
		    >"$W/tarpit-$mode-$k.out" 2>&1
		TPIDS="$TPIDS $BGPID"
		a0=$a1 k=$((k + 1))
	done
	i=0
	while [ "$(cat "$W"/tarpit-$mode-*.out | grep -c '^ready')" -lt $k ]; do
		i=$((i + 1))
		[ $i -gt 1200 ] && die "tarpit not ready"
		for p in $TPIDS; do
			kill -0 "$p" 2>/dev/null ||
			    { cat "$W"/tarpit-$mode-*.out; die "tarpit died"; }
		done
		sleep 0.1
	done
	state=02
	[ "$mode" = open ] && state=01
	t0=$(date +%s.%N)
	"$MAMORI" survey --lab \
	    --scope "$W/scope" -p "$PORTS" --rate 0 \
	    --max-concurrent $((ntargets + 100)) --retries 0 \
	    ${WORKERS:+--workers $WORKERS} \
	    --timeout "$HOLD_MS" --banner-wait "$HOLD_MS" \
	    --rules "$RULES" --vulns "$VULNS" --seed 1 -o json \
	    --data "$W/data-$mode" >"$W/$mode.json" 2>"$W/$mode.err" &
	SPID=$!
	python3 "$W/sample.py" "$SPID" "$state" "$W/$mode.sample" &
	SAMPLER=$!
	wait "$SPID" || { cat "$W/$mode.err"; die "survey ($mode) failed"; }
	wait "$SAMPLER"
	wall=$(python3 -c 'import sys, time; print("%.2f" % (time.time() - float(sys.argv[1])))' "$t0")
	nw=$(sed -n 's/.*: \([0-9]*\) worker processes.*/\1/p' "$W/$mode.err")
	nw=${WORKERS:-${nw:-1}}
	# baseline: same scope, one target in flight per worker, sampled
	# for BASE_SECS, then stopped with SIGTERM
	"$MAMORI" survey --lab \
	    --scope "$W/scope" -p "$PORTS" --rate 0 --max-concurrent "$nw" \
	    --workers "$nw" --retries 0 --timeout 1000 --banner-wait 1000 \
	    --rules "$RULES" --vulns "$VULNS" --seed 1 -o json \
	    --data "$W/data-$mode-base" >"$W/$mode-base.json" \
	    2>"$W/$mode-base.err" &
	BPID=$!
	python3 "$W/sample.py" "$BPID" "$state" "$W/$mode-base.sample" \
	    "$BASE_SECS"
	kill -TERM "$BPID" 2>/dev/null
	wait "$BPID" 2>/dev/null
	for p in $TPIDS; do stop "$p"; done
	inflight=$(jsum "$W/$mode.json" inflight_max)
	read -r peak sspeak <"$W/$mode.sample"
	read -r base _ <"$W/$mode-base.sample"
	[ "${base:-0}" -gt 0 ] || die "baseline survey not sampled"
	per=$(python3 -c 'import sys; p, b, n = map(float, sys.argv[1:]); print("%.0f" % ((p - b) * 1024 / n) if n else "-")' "$peak" "$base" "$inflight")
	printf '%-8s %8s %10s %9s %10.1f %10.1f %11s %8s\n' "$mode" "$nw" \
	    "$inflight" "$sspeak" \
	    "$(echo "$peak" | awk '{ print $1 / 1024 }')" \
	    "$(echo "$base" | awk '{ print $1 / 1024 }')" "$per" "$wall"
	echo "  $mode summary: $(tail -n 1 "$W/$mode.json")"
done

echo
echo "== O(1) permutation: peak RSS against the size of the scope =="
printf '127.0.0.0/10\n127.192.0.0/10\n' >"$W/perm-exclude"
printf '%-30s %12s %8s %8s %10s %10s\n' scope perm_targets shard visited dry_MiB run_MiB
for spec in "127.100.1.0/24 1" "127.100.0.0/16 256" "127.0.0.0/8 65536"; do
	set -- $spec
	echo "$1" >"$W/perm-scope"
	ex=""
	[ "$1" = 127.0.0.0/8 ] && ex="--exclude $W/perm-exclude"
	/usr/bin/time -v -o "$W/perm-dry.time" "$MAMORI" survey --lab \
	    --scope "$W/perm-scope" $ex -p $PERM_PORTS --dry-run \
	    --shard "0/$2" --rules "$RULES" --vulns "$VULNS" \
	    >"$W/perm-dry.out" 2>&1 || die "dry run failed"
	n=$(sed -n 's/.* \([0-9]*\) targets;.*/\1/p' "$W/perm-dry.out")
	/usr/bin/time -v -o "$W/perm.time" "$MAMORI" survey --lab \
	    --scope "$W/perm-scope" $ex -p $PERM_PORTS --rate 20000 \
	    --shard "0/$2" --seed 1 --timeout 1000 --banner-wait 1000 \
	    --rules "$RULES" --vulns "$VULNS" -o json --data "$W/perm-data" \
	    >"$W/perm.json" 2>"$W/perm.err" || die "survey over $1 failed"
	printf '%-30s %12s %8s %8s %10s %10s\n' "$1${ex:+ minus 2 /10}" \
	    "$n" "0/$2" "$(jsum "$W/perm.json" targets)" \
	    "$(tv_rss "$W/perm-dry.time")" "$(tv_rss "$W/perm.time")"
	rm -rf "$W/perm-data"
done
