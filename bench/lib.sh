# lib.sh - shared helpers for the mamori-vs-nfdump benchmarks (sourced).
#
# Every benchmark sends only to 127.0.0.1. Sizes come from environment
# variables with small defaults; see bench/README.md.

set -u

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
SRC_DIR=$(cd "$BENCH_DIR/.." && pwd)
MAMORI=${MAMORI:-}
if [ -z "$MAMORI" ]; then
	for m in "$SRC_DIR/build/mamori" "$SRC_DIR/build-release/mamori"; do
		[ -x "$m" ] && { MAMORI=$m; break; }
	done
fi
WORK=${BENCH_WORK:-/tmp/mamori-bench}
SEED=${SEED:-1}
PIDS=""

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

need_tools() {
	[ -n "$MAMORI" ] && [ -x "$MAMORI" ] ||
	    die "no mamori binary: build it (make) or set MAMORI=/path/to/mamori"
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || die "$t not found (apt-get install nfdump / time / python3)"
	done
	if grep -q '__asan_init' "$MAMORI" 2>/dev/null; then
		echo "WARNING: $MAMORI is built with sanitizers; figures will be meaningless" >&2
	fi
}

# A UDP port free on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_udp PORT: until something listens on 127.0.0.1:PORT (max 10 s).
wait_udp() {
	i=0
	while [ $i -lt 100 ]; do
		if ss -Hlun "sport = :$1" 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	die "nothing listening on udp 127.0.0.1:$1"
}

# bg CMD...: start in the background, remember the pid in $BGPID.
bg() {
	"$@" &
	BGPID=$!
	PIDS="$PIDS $BGPID"
}

# stop PID: SIGTERM and wait (max 60 s), then forget it.
stop() {
	kill -TERM "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	np=""
	for p in $PIDS; do [ "$p" = "$1" ] || np="$np $p"; done
	PIDS=$np
}

cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
}
trap cleanup EXIT INT TERM

# jget FILE KEY: a top-level field of a JSON object file.
jget() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# nfdump_flows DIR: flows stored by nfcapd under DIR.
nfdump_flows() {
	nfdump -R "$1" -I 2>/dev/null | awk '/^Flows:/ { s += $2 } END { print s + 0 }'
}

# dir_bytes DIR: bytes of the regular files under DIR (apparent size).
dir_bytes() {
	find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'
}

# nfcapd's LZ4 switch: -z=lz4 (1.7.2+) or -y (1.7.0/1.7.1).
nfcapd_lz4() {
	if nfcapd -h 2>&1 | grep -q -- '-z=lz4\|-z\[=' ; then
		echo "-z=lz4"
	else
		echo "-y"
	fi
}

rmem_max() { cat /proc/sys/net/core/rmem_max 2>/dev/null || echo 0; }

# ratio A B: A/B with two decimals ("-" when B is 0).
ratio() {
	python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print("%.2f" % (a / b) if b else "-")' "$1" "$2"
}

# timed OUT TIMEFILE CMD...: run CMD with /usr/bin/time -v, stdout to OUT.
timed() {
	_t_out=$1 _t_tf=$2
	shift 2
	/usr/bin/time -v -o "$_t_tf" "$@" >"$_t_out" 2>"$_t_tf.err"
}

# tv_wall TIMEFILE: elapsed seconds; tv_rss TIMEFILE: peak RSS in MiB.
tv_wall() {
	awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0;
	    for (i = 1; i <= n; i++) s = s * 60 + a[i]; print s }' "$1"
}
tv_rss() {
	awk -F': ' '/Maximum resident set size/ { printf "%.1f\n", $2 / 1024 }' "$1"
}

# ensure_dataset: the query benchmarks' flows, generated once and reused.
# DATASET_FLOWS flows (default 2000000; the reference run uses 50000000),
# DATASET_FORMAT (ipfix), DATASET_RATE (500000 flows/s, lossless on 2
# cores), SEED. Sets DS (dataset dir), NFDIR (nfcapd files), MMDIR (mamori
# data dir), DS_NF / DS_MM (flows each stored).
ensure_dataset() {
	DATASET_FLOWS=${DATASET_FLOWS:-2000000}
	DATASET_FORMAT=${DATASET_FORMAT:-ipfix}
	DATASET_RATE=${DATASET_RATE:-500000}
	DS=$WORK/dataset-$DATASET_FORMAT-$DATASET_FLOWS-$SEED
	NFDIR=$DS/nfcapd
	MMDIR=$DS/mamori
	if [ ! -f "$DS/done" ]; then
		echo "generating dataset: $DATASET_FLOWS $DATASET_FORMAT flows at $DATASET_RATE flows/s into $DS"
		rm -rf "$DS"
		mkdir -p "$NFDIR" "$MMDIR" || die "cannot create $DS"
		lz4=$(nfcapd_lz4)
		port=$(free_port)
		bg nfcapd -w "$NFDIR" -p "$port" -b 127.0.0.1 -B 33554432 $lz4 \
		    >"$DS/nfcapd.log" 2>&1
		rpid=$BGPID
		wait_udp "$port"
		sleep 0.5
		"$MAMORI" lab isp --seed "$SEED" --format "$DATASET_FORMAT" \
		    --flows "$DATASET_FLOWS" --rate "$DATASET_RATE" \
		    --send 127.0.0.1:"$port" --stats >"$DS/nfcapd.sent.json" ||
		    die "lab isp failed"
		sleep 2
		stop "$rpid"
		port=$(free_port)
		bg "$MAMORI" collect -l 127.0.0.1:"$port" --data "$MMDIR" \
		    --stats "$DS/mamori.stats.json" >"$DS/mamori.log" 2>&1
		rpid=$BGPID
		wait_udp "$port"
		sleep 0.5
		"$MAMORI" lab isp --seed "$SEED" --format "$DATASET_FORMAT" \
		    --flows "$DATASET_FLOWS" --rate "$DATASET_RATE" \
		    --send 127.0.0.1:"$port" --stats >"$DS/mamori.sent.json" ||
		    die "lab isp failed"
		sleep 2
		stop "$rpid"
		nfdump_flows "$NFDIR" >"$DS/nfcapd.flows"
		jget "$DS/mamori.stats.json" flows_written >"$DS/mamori.flows"
		touch "$DS/done"
	fi
	DS_NF=$(cat "$DS/nfcapd.flows")
	DS_MM=$(cat "$DS/mamori.flows")
	echo "dataset $DS: nfcapd stored $DS_NF flows, mamori $DS_MM (of $DATASET_FLOWS sent)"
	[ "$DS_NF" -eq "$DS_MM" ] || echo "warning: the stores differ (loss while generating: lower DATASET_RATE)"
}

# best_of N OUT TIMEFILE CMD...: runs CMD once to warm the page cache, then
# N times; leaves the fastest run's /usr/bin/time -v report in TIMEFILE.
best_of() {
	_b_n=$1 _b_out=$2 _b_tf=$3
	shift 3
	timed "$_b_out" "$_b_tf" "$@" || return 1
	_b_best=""
	_b_k=0
	while [ $_b_k -lt "$_b_n" ]; do
		timed "$_b_out" "$_b_tf.run" "$@" || return 1
		_b_w=$(tv_wall "$_b_tf.run")
		if [ -z "$_b_best" ] || python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$_b_w" "$_b_best"; then
			_b_best=$_b_w
			cp "$_b_tf.run" "$_b_tf"
		fi
		_b_k=$((_b_k + 1))
	done
}
