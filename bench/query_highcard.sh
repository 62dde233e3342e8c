#!/bin/sh
# query_highcard.sh - high-cardinality top-N: the top-10 source addresses by
# bytes over HC_FLOWS flows (default 50 M) with about HC_DISTINCT (default
# 10 M) distinct source addresses:
#   nfdump -R DIR -s srcip/bytes -n 10
#   mamori flows -R DIR -s srcip/bytes -n 10
#
# The dataset is built once and cached in $BENCH_WORK/highcard-N-D-SEED:
# bench/gen_highcard.c (compiled here with cc) sends the same NetFlow v5
# datagrams over 127.0.0.1 first to nfcapd (LZ4), then to `mamori collect`.
# Each query runs once to warm the page cache, then REPEAT times; the
# fastest run counts. Both tools run on the same cores (all CPUs, or
# taskset -c $CPUS). Prints wall time, flows/s, peak RSS (/usr/bin/time -v),
# the ratios, and whether both returned the same ten addresses and bytes.
# MAMORI_BEFORE=/path/to/older/mamori adds that binary as a third row.
#
# Env: HC_FLOWS (50000000), HC_DISTINCT (10000000), HC_RATE (flows/s while
# generating; default 600000, must be lossless), REPEAT (2), THREADS
# (mamori -j), CPUS (taskset list, e.g. 0,1), SEED, MAMORI, MAMORI_BEFORE,
# BENCH_WORK, CC.
. "$(dirname "$0")/lib.sh"

HC_FLOWS=${HC_FLOWS:-50000000}
HC_DISTINCT=${HC_DISTINCT:-10000000}
HC_RATE=${HC_RATE:-600000}
REPEAT=${REPEAT:-2}
CC=${CC:-cc}
need_tools nfcapd nfdump python3 ss /usr/bin/time "$CC"

DS=$WORK/highcard-$HC_FLOWS-$HC_DISTINCT-$SEED
NFDIR=$DS/nfcapd
MMDIR=$DS/mamori
if [ ! -f "$DS/done" ]; then
	echo "generating dataset: $HC_FLOWS v5 flows, ~$HC_DISTINCT sources, at $HC_RATE flows/s into $DS"
	rm -rf "$DS"
	mkdir -p "$NFDIR" "$MMDIR" || die "cannot create $DS"
	GEN=$DS/gen_highcard
	"$CC" -O2 -o "$GEN" "$BENCH_DIR/gen_highcard.c" -lm ||
	    die "cannot compile gen_highcard.c"
	port=$(free_port)
	bg nfcapd -w "$NFDIR" -p "$port" -b 127.0.0.1 -B 33554432 \
	    $(nfcapd_lz4) >"$DS/nfcapd.log" 2>&1
	rpid=$BGPID
	wait_udp "$port"
	sleep 0.5
	"$GEN" "$port" "$HC_FLOWS" "$HC_DISTINCT" "$HC_RATE" "$SEED" \
	    >"$DS/nfcapd.sent.json" || die "gen_highcard failed"
	sleep 2
	stop "$rpid"
	port=$(free_port)
	bg "$MAMORI" collect -l 127.0.0.1:"$port" --data "$MMDIR" \
	    --stats "$DS/mamori.stats.json" >"$DS/mamori.log" 2>&1
	rpid=$BGPID
	wait_udp "$port"
	sleep 0.5
	"$GEN" "$port" "$HC_FLOWS" "$HC_DISTINCT" "$HC_RATE" "$SEED" \
	    >"$DS/mamori.sent.json" || die "gen_highcard failed"
	sleep 2
	stop "$rpid"
	nfdump_flows "$NFDIR" >"$DS/nfcapd.flows"
	jget "$DS/mamori.stats.json" flows_written >"$DS/mamori.flows"
	touch "$DS/done"
fi
DS_NF=$(cat "$DS/nfcapd.flows")
DS_MM=$(cat "$DS/mamori.flows")
echo "dataset $DS: nfcapd stored $DS_NF flows, mamori $DS_MM (of $HC_FLOWS sent)"
[ "$DS_NF" -eq "$DS_MM" ] || echo "warning: the stores differ (loss while generating: lower HC_RATE)"

Q=$WORK/query_highcard
rm -rf "$Q"
mkdir -p "$Q"
jopt=""
[ -n "${THREADS:-}" ] && jopt="-j $THREADS"
pin=""
[ -n "${CPUS:-}" ] && pin="taskset -c $CPUS"

# shellcheck disable=SC2086
best_of "$REPEAT" "$Q/nfdump.out" "$Q/nfdump.time" \
    $pin nfdump -R "$NFDIR" -s srcip/bytes -n 10 -o csv ||
    die "nfdump failed: $(cat "$Q/nfdump.time.err")"
tools="nfdump mamori"
if [ -n "${MAMORI_BEFORE:-}" ]; then
	# shellcheck disable=SC2086
	best_of "$REPEAT" "$Q/before.out" "$Q/before.time" \
	    $pin "$MAMORI_BEFORE" flows -R "$MMDIR" $jopt -s srcip/bytes \
	    -n 10 -o csv || die "mamori (before) failed: $(cat "$Q/before.time.err")"
	tools="nfdump before mamori"
fi
# shellcheck disable=SC2086
best_of "$REPEAT" "$Q/mamori.out" "$Q/mamori.time" \
    $pin "$MAMORI" flows -R "$MMDIR" $jopt -s srcip/bytes -n 10 -o csv ||
    die "mamori flows failed: $(cat "$Q/mamori.time.err")"

# CPU seconds (user + system) of the fastest run: steadier than wall time
# when other processes compete for the cores
tv_cpu() {
	awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 }
	    END { printf "%.2f\n", u + s }' "$1"
}

nw=$(tv_wall "$Q/nfdump.time")
printf '%-8s %12s %10s %14s %8s %10s %10s\n' tool flows wall_s flows/s cpu_s rss_MiB vs_nfdump
for t in $tools; do
	w=$(tv_wall "$Q/$t.time"); r=$(tv_rss "$Q/$t.time")
	f=$DS_MM
	[ "$t" = nfdump ] && f=$DS_NF
	printf '%-8s %12s %10s %14.0f %8s %10s %9sx\n' "$t" "$f" "$w" \
	    "$(python3 -c "print($f / max($w, 0.001))")" "$(tv_cpu "$Q/$t.time")" \
	    "$r" "$(ratio "$nw" "$w")"
done
echo "speed-up (nfdump wall / mamori wall): $(ratio "$nw" "$(tv_wall "$Q/mamori.time")")x"

# same answer? (address and bytes of each row, in order)
python3 - "$Q" $tools <<'PY'
import csv, sys
def rows(path, key, byt):
    out = []
    with open(path) as f:
        head = None
        for row in csv.reader(f):
            if head is None:
                if key in row and byt in row:
                    head = row
                continue
            if len(row) != len(head):
                break
            out.append((row[head.index(key)].strip(), int(row[head.index(byt)])))
    return out
q = sys.argv[1]
n = rows(q + "/nfdump.out", "val", "byt")
for t in sys.argv[3:]:
    m = rows(q + "/" + t + ".out", "srcip", "bytes")
    print("same top-10 (nfdump, %s): %s" % (t, "yes" if n == m and n else "NO"))
    if n != m:
        for a, b in zip(n, m):
            print("  nfdump %-40s %14d   %s %-40s %14d" % (a + (t,) + b))
PY
