#!/bin/sh
# collect_burst.sh - UDP burst loss: nfcapd (nfdump 1.7) vs `mamori collect`.
#
# For each export format, one burst of FLOWS flows is pre-encoded by
# `mamori lab isp --gso` (--preload, then equal-sized datagrams go out as
# UDP GSO super-datagrams, 64 sendmmsg(2) messages per call; v5 datagrams
# carry 30 records) and sent at RATE flows/s over loopback
# (127.0.0.1 only) to, in turn:
#   nfcapd -w DIR -p PORT -b 127.0.0.1            (default socket buffer)
#   nfcapd ... -B 33554432                        (32 MiB requested)
#   mamori collect -l 127.0.0.1:PORT --rcvbuf B   (B = what nfcapd -B
#                            got: min(32 MiB, net.core.rmem_max))
#   mamori collect -l 127.0.0.1:PORT              (its default buffer)
# then each receiver is given DRAIN seconds and stopped, and the flows it
# stored are counted (nfdump -I; mamori's stats file). Prints loss % per
# receiver and the stored-flows ratio mamori / nfcapd -B at the same
# socket buffer. sent_fps is the rate the sender achieved (on 2 cores the
# receiver competes with it for CPU, so it can fall short of RATE).
#
# Env: FLOWS (default 300000; the reference run uses 3000000), RATE
# (4600000), FORMATS ("v5 v9 ipfix"), DRAIN (3), SEND_OPTS ("--gso"; use
# "--preload" for plain sendmmsg), SEED (1), MAMORI (binary),
# BENCH_WORK (/tmp/mamori-bench). Needs nfcapd, nfdump, python3, ss.
. "$(dirname "$0")/lib.sh"

FLOWS=${FLOWS:-300000}
RATE=${RATE:-4600000}
FORMATS=${FORMATS:-"v5 v9 ipfix"}
DRAIN=${DRAIN:-3}
SEND_OPTS=${SEND_OPTS:---gso}
BUF=33554432
need_tools nfcapd nfdump python3 ss

D=$WORK/burst
rm -rf "$D"
mkdir -p "$D" || die "cannot create $D"
RMEM=$(rmem_max)
SAMEBUF=$BUF
[ "$RMEM" -lt $BUF ] && SAMEBUF=$RMEM
echo "collect_burst: $FLOWS flows per burst at $RATE flows/s, 127.0.0.1, seed $SEED"
echo "net.core.rmem_max=$RMEM: nfcapd -B $BUF gets $SAMEBUF (x2 by the kernel); mamori-samebuf asks --rcvbuf $SAMEBUF"
[ "$RMEM" -lt $BUF ] && echo "note: for equal buffers run: sysctl -w net.core.rmem_max=$BUF"
printf '%-6s %-22s %10s %12s %10s %8s\n' format receiver sent sent_fps stored loss%

# run_one FORMAT NAME KIND [ARGS...]: one burst into one receiver.
run_one() {
	fmt=$1 name=$2 kind=$3
	shift 3
	dir=$D/$fmt-$name
	mkdir -p "$dir"
	port=$(free_port)
	if [ "$kind" = nfcapd ]; then
		bg nfcapd -w "$dir" -p "$port" -b 127.0.0.1 "$@" \
		    >"$D/$fmt-$name.log" 2>&1
	else
		bg "$MAMORI" collect -l 127.0.0.1:"$port" --data "$dir" \
		    --stats "$dir/stats.json" "$@" >"$D/$fmt-$name.log" 2>&1
	fi
	rpid=$BGPID
	wait_udp "$port"
	sleep 0.5
	mtu=1400
	[ "$fmt" = v5 ] && mtu=1464	# 30 records, as v5 routers send
	# shellcheck disable=SC2086
	"$MAMORI" lab isp --seed "$SEED" --format "$fmt" --flows "$FLOWS" \
	    --mtu $mtu $SEND_OPTS --rate "$RATE" --send 127.0.0.1:"$port" --stats \
	    >"$dir/sent.json" 2>"$dir/sent.err" || die "lab isp failed: $(cat "$dir/sent.err")"
	sleep "$DRAIN"
	stop "$rpid"
	sent=$(jget "$dir/sent.json" flows)
	fps=$(jget "$dir/sent.json" send_flows_per_sec)
	if [ "$kind" = nfcapd ]; then
		stored=$(nfdump_flows "$dir")
	else
		stored=$(jget "$dir/stats.json" flows_written)
	fi
	loss=$(python3 -c 'import sys; s, k = int(sys.argv[1]), int(sys.argv[2]); print("%.2f" % (100.0 * (s - k) / s if s else 0))' "$sent" "$stored")
	printf '%-6s %-22s %10s %12s %10s %8s\n' "$fmt" "$name" "$sent" "$fps" "$stored" "$loss"
	echo "$fmt $name $sent $stored" >>"$D/results"
}

for fmt in $FORMATS; do
	run_one "$fmt" nfcapd nfcapd
	run_one "$fmt" nfcapd-B32M nfcapd -B $BUF
	run_one "$fmt" mamori-samebuf mamori --rcvbuf $SAMEBUF
	run_one "$fmt" mamori mamori
done

echo
echo "stored flows, mamori collect / nfcapd -B, same socket buffer:"
for fmt in $FORMATS; do
	n=$(awk -v f="$fmt" '$1 == f && $2 == "nfcapd-B32M" { print $4 }' "$D/results")
	m=$(awk -v f="$fmt" '$1 == f && $2 == "mamori-samebuf" { print $4 }' "$D/results")
	echo "  $fmt: $(ratio "$m" "$n")x  ($m vs $n)"
done
