#!/bin/sh
# c2_netflow.sh - end to end, as the C&C issue asks: a labelled lab day
# exported over NetFlow v9 to `mamori collect` on 127.0.0.1, then `mamori c2`
# on the collector's store finds the planted servers and clients
# (`mamori c2 eval` against the ground truth).
# Usage: sh c2_netflow.sh /path/to/mamori
set -u
M=${1:?usage: c2_netflow.sh MAMORI}
MAMORI=$M
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"

t_skip_unless_help "$M" lab flows
t_init c2-netflow
T=$TMP
t_collect 0 "$T/collect.err" --data "$T/store" --stats "$T/stats.json" ||
    t_fail "collector did not start"
"$M" lab flows --seed 7 --subscribers 2000 --send "127.0.0.1:$PORT" \
    --format v9 --rate 200000 --truth "$T/truth.json" --stats >"$T/gen.json" ||
    t_fail "lab flows --send"
sleep 2
t_stop "$MPID" "the collector"
[ $T_RC -eq 0 ] || t_fail "collector exit status"
sent=$(sed -n 's/.*"flows":\([0-9]*\).*/\1/p' "$T/gen.json" | head -1)
stored=$(sed -n 's/.*"flows_written":\([0-9]*\).*/\1/p' "$T/stats.json" | head -1)
[ -n "$sent" ] && [ "$sent" = "$stored" ] ||
    t_fail "collector stored $stored of $sent flows"
echo "c2_netflow: $sent flows over NetFlow v9, all stored"

"$M" c2 --data "$T/store" --internal 100.64.0.0/10,2001:db8:100::/40 \
    --no-default-lists -q -o json >"$T/c2.json" || t_fail "mamori c2"
"$M" c2 eval --data "$T/store" --truth "$T/truth.json" -o json >"$T/eval.json" ||
    t_fail "mamori c2 eval"
cat "$T/eval.json"
python3 - "$T/eval.json" <<'PY' || t_fail "detection quality"
import json, sys
e = json.load(open(sys.argv[1]))
s, c = e["servers"], e["clients"]
ok = True
def need(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok = ok and cond
need(s["recall_5plus"] >= 0.95, "server recall (>= 5 clients) %.3f >= 0.95" % s["recall_5plus"])
need(s["false_per_10k"] <= 1.0, "false servers per 10k external %.2f <= 1" % s["false_per_10k"])
need(c["recall"] >= 0.9, "client recall %.3f >= 0.9" % c["recall"])
need(c["precision"] >= 0.95, "client precision %.3f >= 0.95" % c["precision"])
sys.exit(0 if ok else 1)
PY
echo "c2_netflow: passed"
