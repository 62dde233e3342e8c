#!/bin/sh
# store_size.sh - bytes per flow on disk: nfcapd (nfdump 1.7) vs mamori.
#
# The same FLOWS flows (`mamori lab isp`, seeded, so every run sends the
# identical stream) are sent at a lossless pace RATE over 127.0.0.1 to:
#   nfcapd                 (uncompressed)
#   nfcapd -y / -z=lz4     (LZ4, the nfdump 1.7 default choice)
#   mamori collect         (its default codec)
#   mamori collect --codec lz4
# Each receiver is stopped (which closes its files), the flows it stored
# are counted and the bytes of its data files summed. Prints bytes/flow
# and the ratio nfcapd-LZ4 / mamori.
#
# Env: FLOWS (default 1000000), RATE (300000 flows/s), FORMAT (ipfix: a
# v4/v6 mix), SEED, MAMORI, BENCH_WORK. Needs nfcapd, nfdump, python3, ss.
. "$(dirname "$0")/lib.sh"

FLOWS=${FLOWS:-1000000}
RATE=${RATE:-300000}
FORMAT=${FORMAT:-ipfix}
need_tools nfcapd nfdump python3 ss

D=$WORK/store
rm -rf "$D"
mkdir -p "$D" || die "cannot create $D"
LZ4=$(nfcapd_lz4)
echo "store_size: $FLOWS $FORMAT flows at $RATE flows/s to 127.0.0.1, seed $SEED"
printf '%-20s %10s %10s %14s %10s\n' store sent stored bytes bytes/flow

run_one() {
	name=$1 kind=$2
	shift 2
	dir=$D/$name
	mkdir -p "$dir"
	port=$(free_port)
	if [ "$kind" = nfcapd ]; then
		bg nfcapd -w "$dir" -p "$port" -b 127.0.0.1 -B 4194304 "$@" \
		    >"$D/$name.log" 2>&1
	else
		bg "$MAMORI" collect -l 127.0.0.1:"$port" --data "$dir" \
		    --stats "$D/$name.stats.json" "$@" >"$D/$name.log" 2>&1
	fi
	rpid=$BGPID
	wait_udp "$port"
	sleep 0.5
	"$MAMORI" lab isp --seed "$SEED" --format "$FORMAT" --flows "$FLOWS" \
	    --rate "$RATE" --send 127.0.0.1:"$port" --stats \
	    >"$D/$name.sent.json" 2>"$D/$name.sent.err" || die "lab isp failed: $(cat "$D/$name.sent.err")"
	sleep 2
	stop "$rpid"
	sent=$(jget "$D/$name.sent.json" flows)
	if [ "$kind" = nfcapd ]; then
		stored=$(nfdump_flows "$dir")
		bytes=$(dir_bytes "$dir")
	else
		stored=$(jget "$D/$name.stats.json" flows_written)
		bytes=$(dir_bytes "$dir/flows")
	fi
	bpf=$(python3 -c 'import sys; b, n = int(sys.argv[1]), int(sys.argv[2]); print("%.2f" % (b / n) if n else "-")' "$bytes" "$stored")
	printf '%-20s %10s %10s %14s %10s\n' "$name" "$sent" "$stored" "$bytes" "$bpf"
	[ "$stored" -ne "$sent" ] && echo "  warning: $name stored $stored of $sent flows (lower RATE)"
	echo "$name $bpf" >>"$D/results"
}

run_one nfcapd nfcapd
run_one nfcapd-lz4 nfcapd $LZ4
run_one mamori mamori
run_one mamori-lz4 mamori --codec lz4

n=$(awk '$1 == "nfcapd-lz4" { print $2 }' "$D/results")
m=$(awk '$1 == "mamori" { print $2 }' "$D/results")
l=$(awk '$1 == "mamori-lz4" { print $2 }' "$D/results")
echo
echo "bytes/flow nfcapd-lz4 / mamori: $(ratio "$n" "$m")x   nfcapd-lz4 / mamori-lz4: $(ratio "$n" "$l")x"
