#!/bin/sh
# c2_lab.sh - C&C detection quality and cost on labelled lab days:
#   mamori lab flows --data DIR --truth T.json [--sampling N]
#   mamori c2 --internal ... --no-default-lists     (wall, CPU, peak RSS)
#   mamori c2 eval --truth T.json                   (precision, recall)
# No peer tool runs here: RITA is not packaged for Debian (see RESULTS.md).
# Env: C2_SUBSCRIBERS (default 5000), C2_FLOWS (default: the generator's
# default day, ~2 M flows at 5000 subscribers; set 100000000 for the scale
# run), C2_SAMPLINGS (default "1 10 100"), SEED (1), BENCH_WORK.
. "$(dirname "$0")/lib.sh"
need_tools /usr/bin/time
SUBS=${C2_SUBSCRIBERS:-5000}
SAMPLINGS=${C2_SAMPLINGS:-1 10 100}
INTERNAL=100.64.0.0/10,2001:db8:100::/40
Q=$WORK/c2_lab
rm -rf "$Q"
mkdir -p "$Q"

printf '%-9s %10s %8s %8s %9s %8s %8s %8s\n' sampling flows wall_s cpu_s rss_MiB srv_rec srv_prec cli_rec
for n in $SAMPLINGS; do
	d=$Q/s$n
	fl=""
	[ -n "${C2_FLOWS:-}" ] && fl="--flows $C2_FLOWS"
	# shellcheck disable=SC2086
	"$MAMORI" lab flows --seed "$SEED" --subscribers "$SUBS" --sampling "$n" \
	    $fl --data "$d/data" --truth "$d/truth.json" --stats >"$d.gen.json" ||
	    die "lab flows failed"
	flows=$(sed -n 's/.*"flows":\([0-9]*\).*/\1/p' "$d.gen.json" | head -1)
	/usr/bin/time -v "$MAMORI" c2 --data "$d/data" --internal "$INTERNAL" \
	    --no-default-lists -q -o json >"$d.c2.json" 2>"$d.time" ||
	    die "c2 failed: $(tail -3 "$d.time")"
	"$MAMORI" c2 eval --data "$d/data" --truth "$d/truth.json" -o json \
	    >"$d.eval.json" || die "c2 eval failed"
	wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$d.time" |
	    awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$d.time")
	rss=$(awk -F': ' '/Maximum resident/ { printf "%.0f", $2 / 1024 }' "$d.time")
	python3 - "$d.eval.json" "$n" "$flows" "$wall" "$cpu" "$rss" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
srv, cli = e.get("servers", {}), e.get("clients", {})
print("%-9s %10s %8.2f %8s %9s %8.3f %8.3f %8.3f" % (
    "1/" + sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5], sys.argv[6],
    srv.get("recall_5plus", float("nan")), srv.get("precision", float("nan")),
    cli.get("recall", float("nan"))))
PY
done
