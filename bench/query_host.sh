#!/bin/sh
# query_host.sh - one host's flows out of the whole store:
#   nfdump -R DIR 'host HOST'
#   mamori flows -R DIR 'host HOST'
# over the bench dataset (see query_topn.sh), output to a file; the fastest
# of REPEAT warm runs counts. Prints wall time, flows scanned per second,
# peak RSS, the ratio, and both match counts (which should be equal).
#
# Env: HOST (default 100.64.10.10, a middling subscriber: a needle query;
# 100.64.0.1 is the heaviest), DATASET_FLOWS, DATASET_FORMAT, DATASET_RATE,
# REPEAT (3), THREADS, SEED, MAMORI, BENCH_WORK.
. "$(dirname "$0")/lib.sh"

REPEAT=${REPEAT:-3}
HOST=${HOST:-100.64.10.10}
need_tools nfcapd nfdump python3 ss /usr/bin/time
ensure_dataset
Q=$WORK/query_host
rm -rf "$Q"
mkdir -p "$Q"
jopt=""
[ -n "${THREADS:-}" ] && jopt="-j $THREADS"

best_of "$REPEAT" "$Q/nfdump.out" "$Q/nfdump.time" \
    nfdump -R "$NFDIR" -q -o csv "host $HOST" || die "nfdump failed: $(cat "$Q/nfdump.time.err")"
# shellcheck disable=SC2086
best_of "$REPEAT" "$Q/mamori.out" "$Q/mamori.time" \
    "$MAMORI" flows -R "$MMDIR" $jopt -q -o csv "host $HOST" || die "mamori flows failed: $(cat "$Q/mamori.time.err")"

# flow lines: CSV rows naming the host
re="(^|[ ,])$(echo "$HOST" | sed 's/\./\\./g')([ ,]|\$)"
nn=$(grep -cE "$re" "$Q/nfdump.out")
mn=$(grep -cE "$re" "$Q/mamori.out")
nw=$(tv_wall "$Q/nfdump.time"); mw=$(tv_wall "$Q/mamori.time")
nr=$(tv_rss "$Q/nfdump.time"); mr=$(tv_rss "$Q/mamori.time")
echo "filter: host $HOST"
printf '%-8s %12s %10s %10s %14s %10s\n' tool scanned matched wall_s flows/s rss_MiB
printf '%-8s %12s %10s %10s %14.0f %10s\n' nfdump "$DS_NF" "$nn" "$nw" "$(python3 -c "print($DS_NF / max($nw, 0.001))")" "$nr"
printf '%-8s %12s %10s %10s %14.0f %10s\n' mamori "$DS_MM" "$mn" "$mw" "$(python3 -c "print($DS_MM / max($mw, 0.001))")" "$mr"
echo "speed-up (nfdump wall / mamori wall): $(ratio "$nw" "$mw")x; RSS nfdump/mamori: $(ratio "$nr" "$mr")x"
[ "$nn" -eq "$mn" ] && echo "same match count: yes" || echo "same match count: NO ($nn vs $mn)"
