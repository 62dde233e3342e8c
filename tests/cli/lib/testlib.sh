# testlib.sh - shared helpers of the shell tests in tests/cli (POSIX sh,
# runs under dash). Sourced, never run: it lives in lib/ so that CMake's
# glob tests/cli/*.sh does not make a test of it.
#
# Use, at the top of a test (after its header comment):
#   MAMORI=${1:?usage: $0 path/to/mamori}
#   # shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
#   . "$(dirname "$0")/lib/testlib.sh"
#   t_skip_unless_help "$MAMORI" survey
#   t_need python3
#   t_init survey-lab
#
# Exit codes, as ctest reads them: 0 pass, 1 fail, 77 skip.
#
# Sourcing sets SRC (MAMORI_SRCDIR, else the tree above tests/cli). Safe
# under `set -u`.
#
# t_init NAME          TMP (a fresh /tmp/mamori-NAME.XXXXXX, removed at exit
#                      unless KEEP is set), the EXIT/INT/TERM traps.
# t_bg PID, t_unbg PID register a background process to end at exit / forget
#                      it (once waited for). At exit every registered
#                      process gets SIGTERM (a fleet then stops the real
#                      servers it started), then SIGKILL after at most 1 s.
# t_fail MSG...        prints "FAIL: MSG" and every non-empty $TMP/*.err,
#                      each line prefixed with the file's name; exits 1.
# t_skip MSG...        prints "skip: MSG"; exits 77.
# t_need CMD...        skips unless every CMD is in PATH ("skip: no CMD").
# t_skip_unless_help "$MAMORI" SUBCMD...
#                      skips unless `mamori SUBCMD... --help` succeeds
#                      ("skip: no SUBCMD...").
# t_skip_unless_opt OPTION MSG "$MAMORI" SUBCMD...
#                      skips with MSG unless that --help mentions OPTION.
# t_wait_for CMD [TENTHS]
#                      evals CMD every 0.1 s until it succeeds; returns 1
#                      after TENTHS tries (default 200). A bound, no timing
#                      assertion.
# t_wait_ready PID FILE PATTERN WHAT
#                      waits (at most 30 s) for PATTERN in FILE; fails with
#                      "no ready line from WHAT" or, when PID is gone,
#                      "WHAT exited".
# t_fleet OUTVAR RANGE [ARG...]
#                      starts `mamori lab devices --range RANGE ARG...
#                      --truth $TMP/truth.json` in the background, stderr to
#                      $TMP/dev.err (both removed first, so that a former
#                      fleet's ready line does not count), waits for its
#                      "listening on" line, registers its pid and stores it
#                      in the variable OUTVAR.
# t_collect SALT ERR [ARG...]
#                      starts `mamori collect -l 127.0.0.1:PORT ARG...`,
#                      stderr to ERR, on a loopback port near
#                      20000 + $$ % 20000 (ten tries; SALT spreads the
#                      choices of the tests), waits for its "listening on"
#                      line; sets PORT and MPID (registered). Returns 1 if
#                      it did not start.
# t_softflowd PCAP VERSION PORT
#                      meters PCAP with softflowd -r and exports NetFlow
#                      VERSION to 127.0.0.1:PORT. softflowd 1.1.0 in -r mode
#                      waits on its control socket before reading the file:
#                      it is driven with softflowctl (statistics, then
#                      shutdown), each bounded by `timeout 10` where there
#                      is one. Uses $TMP/sf.*; sets and clears SPID.
# t_nfcapd FIRST STEP [ARG...]
#                      starts nfcapd -w $TMP/nf -b 127.0.0.1 ARG... (output to
#                      $TMP/nfcapd.log) on port FIRST + STEP * TRY, TRY 1 to
#                      5, until one starts; sets NPID (registered) and
#                      NPORT; skips (77) if none does.
# t_skip_unless_clickhouse
#                      skips unless tests/clickhouse-server.sh finds a
#                      clickhouse-server and curl is installed.
# t_clickhouse MULT STEP
#                      starts a throw-away clickhouse-server in $TMP/srv
#                      (tests/clickhouse-server.sh; $TMP made world-readable
#                      for its user) on a loopback port pair nobody answers
#                      on (HTTP PORT, native PORT+1), tried from
#                      20000 + ($$ * MULT) % 20000 in steps of STEP (8
#                      tries); sets PORT and URL; stops it at exit. Fails
#                      when no pair is free or the server does not start.
# t_stop PID WHAT      SIGTERM, waits (at most 30 s, else fails with "WHAT
#                      did not exit"), forgets PID; its exit status in T_RC.
# t_totals DATADIR     prints "FLOWS PACKETS BYTES", the totals `mamori flows`
#                      gives for the store DATADIR (fails if it fails).
# t_summary FILE KEY   prints KEY of the "summary" line of a survey's JSON
#                      output (python3).

# SRC, TMP, T_RC, PORT, URL, MPID, SPID, NPID and NPORT are for the sourcing test.
# shellcheck disable=SC2034
SRC=${MAMORI_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
T_PIDS='' T_RC='' T_CH=''

t_init() {
	TMP=$(mktemp -d "/tmp/mamori-$1.XXXXXX") || exit 1
	trap t_cleanup EXIT
	trap 'exit 1' INT TERM
}

t_cleanup() {
	if [ -n "$T_PIDS" ]; then
		for t_p in $T_PIDS; do kill -TERM "$t_p" 2>/dev/null; done
		t_i=0
		for t_p in $T_PIDS; do
			while kill -0 "$t_p" 2>/dev/null && [ $t_i -lt 10 ]; do
				sleep 0.1
				t_i=$((t_i + 1))
			done
			kill -9 "$t_p" 2>/dev/null
		done
	fi
	[ -z "$T_CH" ] || sh "$SRC/tests/clickhouse-server.sh" stop "$T_CH" \
	    >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$TMP"
}

t_bg() {
	T_PIDS="$T_PIDS $1"
}

t_unbg() {
	t_left=
	for t_p in $T_PIDS; do
		[ "$t_p" = "$1" ] || t_left="$t_left $t_p"
	done
	T_PIDS=$t_left
}

t_fail() {
	echo "FAIL: $*"
	for t_f in "$TMP"/*.err; do
		[ -s "$t_f" ] && sed "s|^|  $(basename "$t_f"): |" "$t_f"
	done
	exit 1
}

t_skip() {
	echo "skip: $*"
	exit 77
}

t_need() {
	for t_c in "$@"; do
		command -v "$t_c" >/dev/null 2>&1 || t_skip "no $t_c"
	done
}

t_skip_unless_help() {
	t_m=$1
	shift
	"$t_m" "$@" --help >/dev/null 2>&1 || t_skip "no $*"
}

t_skip_unless_opt() {
	t_o=$1 t_msg=$2
	shift 2
	"$@" --help 2>&1 | grep -q -- "$t_o" || t_skip "$t_msg"
}

t_wait_for() {
	t_i=0
	while [ $t_i -lt "${2:-200}" ]; do
		if eval "$1"; then return 0; fi
		sleep 0.1
		t_i=$((t_i + 1))
	done
	return 1
}

t_wait_ready() {
	t_i=0
	while ! grep -q "$3" "$2" 2>/dev/null; do
		t_i=$((t_i + 1))
		[ $t_i -gt 300 ] && t_fail "no ready line from $4"
		kill -0 "$1" 2>/dev/null || t_fail "$4 exited"
		sleep 0.1
	done
}

t_fleet() {
	t_var=$1 t_range=$2
	shift 2
	rm -f "$TMP/dev.err" "$TMP/truth.json"
	"$MAMORI" lab devices --range "$t_range" "$@" \
	    --truth "$TMP/truth.json" 2>"$TMP/dev.err" &
	t_pid=$!
	t_bg "$t_pid"
	eval "$t_var=\$t_pid"
	t_wait_ready "$t_pid" "$TMP/dev.err" "listening on" "lab devices"
}

t_collect() {
	t_salt=$1 t_err=$2
	shift 2
	for t_try in 0 1 2 3 4 5 6 7 8 9; do
		PORT=$((20000 + ($$ * 7 + t_try * 13 + t_salt) % 20000))
		"$MAMORI" collect -l 127.0.0.1:$PORT "$@" 2>"$t_err" &
		MPID=$!
		t_bg "$MPID"
		t_wait_for "grep -qs 'listening on' '$t_err' || ! kill -0 $MPID 2>/dev/null"
		kill -0 $MPID 2>/dev/null && return 0
		wait $MPID 2>/dev/null
		t_unbg "$MPID"
		MPID=
	done
	return 1
}

t_softflowd() {
	t_to=
	command -v timeout >/dev/null 2>&1 && t_to="timeout 10"
	rm -f "$TMP/sf.ctl"
	softflowd -d -r "$1" -v "$2" -n "127.0.0.1:$3" -p "$TMP/sf.pid" \
	    -c "$TMP/sf.ctl" >"$TMP/sf.log" 2>&1 &
	SPID=$!
	t_bg "$SPID"
	t_wait_for "[ -S '$TMP/sf.ctl' ] || ! kill -0 $SPID 2>/dev/null"
	$t_to softflowctl -c "$TMP/sf.ctl" statistics >/dev/null 2>&1
	sleep 0.2
	$t_to softflowctl -c "$TMP/sf.ctl" shutdown >/dev/null 2>&1
	t_wait_for "! kill -0 $SPID 2>/dev/null" || kill -9 $SPID 2>/dev/null
	wait $SPID 2>/dev/null
	t_unbg "$SPID"
	SPID=
}

t_nfcapd() {
	t_first=$1 t_step=$2
	shift 2
	mkdir -p "$TMP/nf"
	for t_try in 1 2 3 4 5; do
		NPORT=$((t_first + t_try * t_step))
		nfcapd -w "$TMP/nf" -p "$NPORT" -b 127.0.0.1 "$@" \
		    >"$TMP/nfcapd.log" 2>&1 &
		NPID=$!
		t_bg "$NPID"
		t_wait_for "grep -qs 'Startup' '$TMP/nfcapd.log' || ! kill -0 $NPID 2>/dev/null"
		kill -0 "$NPID" 2>/dev/null && break
		t_unbg "$NPID"
		NPID=
	done
	[ -n "$NPID" ] || t_skip "nfcapd did not start: $(cat "$TMP/nfcapd.log")"
	sleep 0.3
}

t_skip_unless_clickhouse() {
	if ! [ -f "$SRC/tests/clickhouse-server.sh" ] ||
	    ! sh "$SRC/tests/clickhouse-server.sh" available; then
		t_skip "no clickhouse-server"
	fi
	t_need curl
}

t_clickhouse() {
	PORT=''
	t_base=$((20000 + ($$ * $1) % 20000))
	for t_try in 0 1 2 3 4 5 6 7; do
		t_p=$((t_base + t_try * $2))
		if ! curl -s --max-time 1 "http://127.0.0.1:$t_p/" >/dev/null 2>&1 &&
		    ! curl -s --max-time 1 "http://127.0.0.1:$((t_p + 1))/" \
		    >/dev/null 2>&1; then
			PORT=$t_p
			break
		fi
	done
	[ -n "$PORT" ] || t_fail "no free port for clickhouse-server"
	chmod 755 "$TMP"
	T_CH=$TMP/srv
	sh "$SRC/tests/clickhouse-server.sh" start "$T_CH" "$PORT" >/dev/null ||
	    t_fail "clickhouse-server did not start"
	URL="http://127.0.0.1:$PORT/"
}

t_stop() {
	kill -TERM "$1" 2>/dev/null
	t_i=0
	while kill -0 "$1" 2>/dev/null; do
		t_i=$((t_i + 1))
		[ $t_i -gt 300 ] && t_fail "$2 did not exit"
		sleep 0.1
	done
	wait "$1"
	# shellcheck disable=SC2034
	T_RC=$?
	t_unbg "$1"
}

t_totals() {
	"$MAMORI" flows --data "$1" -N -s proto -n 1 >"$TMP/flows.out" \
	    2>"$TMP/flows.err" || t_fail "mamori flows: $(cat "$TMP/flows.err")"
	t_sum=$(grep '^Summary:' "$TMP/flows.out")
	echo "$(echo "$t_sum" | sed -n 's/.*total flows: \([0-9]*\).*/\1/p')" \
	    "$(echo "$t_sum" | sed -n 's/.*total packets: \([0-9]*\).*/\1/p')" \
	    "$(echo "$t_sum" | sed -n 's/.*total bytes: \([0-9]*\).*/\1/p')"
}

t_summary() {
	python3 -c 'import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o.get("type") == "summary": print(o[sys.argv[2]])' "$1" "$2"
}
