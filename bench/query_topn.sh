#!/bin/sh
# query_topn.sh - top-10 source addresses by bytes over the whole store:
#   nfdump -R DIR -s srcip/bytes -n 10
#   mamori flows -R DIR -s srcip/bytes -n 10
# over the same flows (bench/lib.sh ensure_dataset: generated once through
# nfcapd and `mamori collect` over 127.0.0.1, then reused). Each query runs
# once to warm the page cache, then REPEAT times; the fastest run counts.
# Prints wall time, flows/s, peak RSS (/usr/bin/time -v), the ratio, and
# whether both returned the same ten addresses and byte counts.
#
# Env: DATASET_FLOWS (default 2000000; reference run 50000000),
# DATASET_FORMAT, DATASET_RATE, REPEAT (3), THREADS (mamori -j; default all
# CPUs), SEED, MAMORI, BENCH_WORK.
. "$(dirname "$0")/lib.sh"

REPEAT=${REPEAT:-3}
need_tools nfcapd nfdump python3 ss /usr/bin/time
ensure_dataset
Q=$WORK/query_topn
rm -rf "$Q"
mkdir -p "$Q"
jopt=""
[ -n "${THREADS:-}" ] && jopt="-j $THREADS"

best_of "$REPEAT" "$Q/nfdump.out" "$Q/nfdump.time" \
    nfdump -R "$NFDIR" -s srcip/bytes -n 10 -o csv || die "nfdump failed: $(cat "$Q/nfdump.time.err")"
# shellcheck disable=SC2086
best_of "$REPEAT" "$Q/mamori.out" "$Q/mamori.time" \
    "$MAMORI" flows -R "$MMDIR" $jopt -s srcip/bytes -n 10 -o csv || die "mamori flows failed: $(cat "$Q/mamori.time.err")"

nw=$(tv_wall "$Q/nfdump.time"); mw=$(tv_wall "$Q/mamori.time")
nr=$(tv_rss "$Q/nfdump.time"); mr=$(tv_rss "$Q/mamori.time")
printf '%-8s %12s %10s %14s %10s\n' tool flows wall_s flows/s rss_MiB
printf '%-8s %12s %10s %14.0f %10s\n' nfdump "$DS_NF" "$nw" "$(python3 -c "print($DS_NF / max($nw, 0.001))")" "$nr"
printf '%-8s %12s %10s %14.0f %10s\n' mamori "$DS_MM" "$mw" "$(python3 -c "print($DS_MM / max($mw, 0.001))")" "$mr"
echo "speed-up (nfdump wall / mamori wall): $(ratio "$nw" "$mw")x; RSS nfdump/mamori: $(ratio "$nr" "$mr")x"

# same answer? (address and bytes of each row, in order)
python3 - "$Q/nfdump.out" "$Q/mamori.out" <<'PY'
import csv, sys
def rows(path, key, byt):
    out = []
    with open(path) as f:
        r = csv.reader(f)
        head = None
        for row in r:
            if head is None:
                if key in row and byt in row:
                    head = row
                continue
            if len(row) != len(head):
                break
            out.append((row[head.index(key)].strip(), int(row[head.index(byt)])))
    return out
n = rows(sys.argv[1], "val", "byt")
m = rows(sys.argv[2], "srcip", "bytes")
print("same top-10: %s" % ("yes" if n == m and n else "NO"))
if n != m:
    for a, b in zip(n, m):
        print("  nfdump %-40s %14d   mamori %-40s %14d" % (a + b))
PY
