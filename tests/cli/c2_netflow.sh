#!/bin/sh
# c2_netflow.sh - end to end, as the C&C issue asks: a labelled lab day
# exported over NetFlow v9 to `mamori collect` on 127.0.0.1, then `mamori c2`
# on the collector's store finds the planted servers and clients
# (`mamori c2 eval` against the ground truth).
# Usage: sh c2_netflow.sh /path/to/mamori
set -u
M=${1:?usage: c2_netflow.sh MAMORI}
T=$(mktemp -d)
CPID=""
cleanup() { [ -n "$CPID" ] && kill "$CPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT INT TERM
fail() { echo "c2_netflow: FAIL: $*"; [ -f "$T/collect.err" ] && tail -5 "$T/collect.err"; exit 1; }

"$M" lab flows --help >/dev/null 2>&1 || { echo "c2_netflow: no lab flows"; exit 77; }
PORT=$((21000 + $$ % 20000))
"$M" collect -l 127.0.0.1:$PORT --data "$T/store" --stats "$T/stats.json" \
    >"$T/collect.out" 2>"$T/collect.err" &
CPID=$!
sleep 1
kill -0 $CPID 2>/dev/null || fail "collector did not start"
"$M" lab flows --seed 7 --subscribers 2000 --send 127.0.0.1:$PORT \
    --format v9 --rate 200000 --truth "$T/truth.json" --stats >"$T/gen.json" ||
    fail "lab flows --send"
sleep 2
kill -TERM $CPID
wait $CPID || fail "collector exit status"
CPID=""
sent=$(sed -n 's/.*"flows":\([0-9]*\).*/\1/p' "$T/gen.json" | head -1)
stored=$(sed -n 's/.*"flows_written":\([0-9]*\).*/\1/p' "$T/stats.json" | head -1)
[ -n "$sent" ] && [ "$sent" = "$stored" ] ||
    fail "collector stored $stored of $sent flows"
echo "c2_netflow: $sent flows over NetFlow v9, all stored"

"$M" c2 --data "$T/store" --internal 100.64.0.0/10,2001:db8:100::/40 \
    --no-default-lists -q -o json >"$T/c2.json" || fail "mamori c2"
"$M" c2 eval --data "$T/store" --truth "$T/truth.json" -o json >"$T/eval.json" ||
    fail "mamori c2 eval"
cat "$T/eval.json"
python3 - "$T/eval.json" <<'PY' || fail "detection quality"
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
