#!/bin/sh
# lpm_bench.sh - longest-prefix-match micro benchmark (src/core/lpm.c).
#
# Compiles bench/lpm_bench.c with cc -O2 against src/core/lpm.c (and, when
# OLD_LPM names another lpm.c, e.g. one from `git show REV:src/core/lpm.c`,
# against that one too), then runs each table in its own process, the old
# and the new build alternately ROUNDS times, so that both see the same
# machine load. Prints inserts/s, bytes per prefix and ns per lookup; the
# "check" figures of old and new must agree (same answers). No network.
#
# Knobs: TABLES (default "v4-500k bgp-1m sparse"), LOOKUPS (2000000),
# ROUNDS (3 processes per table and build; each times LOOKUPS lookups 3
# times), SEED (1), CC (cc), OLD_LPM (unset), BENCH_WORK (/tmp/mamori-bench).

set -u

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
SRC_DIR=$(cd "$BENCH_DIR/.." && pwd)
WORK=${BENCH_WORK:-/tmp/mamori-bench}/lpm
CC=${CC:-cc}
TABLES=${TABLES:-v4-500k bgp-1m sparse}
LOOKUPS=${LOOKUPS:-2000000}
ROUNDS=${ROUNDS:-3}
SEED=${SEED:-1}
OLD_LPM=${OLD_LPM:-}
CFLAGS="-O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I$SRC_DIR/src"

die() { echo "lpm_bench.sh: $*" >&2; exit 1; }

mkdir -p "$WORK" || die "cannot create $WORK"
$CC $CFLAGS -o "$WORK/lpm_bench_new" "$BENCH_DIR/lpm_bench.c" \
    "$SRC_DIR/src/core/lpm.c" "$SRC_DIR/src/core/addr.c" ||
    die "cannot compile against src/core/lpm.c"
BUILDS=new
if [ -n "$OLD_LPM" ]; then
	[ -f "$OLD_LPM" ] || die "OLD_LPM=$OLD_LPM: no such file"
	$CC $CFLAGS -o "$WORK/lpm_bench_old" "$BENCH_DIR/lpm_bench.c" \
	    "$OLD_LPM" "$SRC_DIR/src/core/addr.c" ||
	    die "cannot compile against $OLD_LPM"
	BUILDS="old new"
fi

echo "# lpm_bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# tables: $TABLES; lookups $LOOKUPS x 3 per process; $ROUNDS processes per build and table; seed $SEED"
for tb in $TABLES; do
	r=0
	while [ "$r" -lt "$ROUNDS" ]; do
		for b in $BUILDS; do
			"$WORK/lpm_bench_$b" "$tb" "$LOOKUPS" 3 "$SEED" |
			    sed "s/^/$b /" || die "lpm_bench_$b $tb failed"
		done
		r=$((r + 1))
	done
done
