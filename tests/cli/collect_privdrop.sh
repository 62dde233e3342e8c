#!/bin/sh
# collect_privdrop.sh - `mamori collect -u USER`: started as root, the
# collector binds, hands the data directory (including files a previous
# root run left) to USER, drops root for good, and still writes the store.
# An unknown user is a usage error. Runs only as root with a `nobody`
# account; otherwise skips (77). Loopback only.
#
# usage: sh collect_privdrop.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
[ "$(id -u)" = 0 ] || { echo "skip: not root"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "skip: no user nobody"; exit 77; }
"$MAMORI" lab isp --help >/dev/null 2>&1 || { echo "skip: mamori lab isp missing"; exit 77; }

TMP=$(mktemp -d /tmp/mamori-collect-priv.XXXXXX)
chmod 755 "$TMP"
MPID=
cleanup() {
	[ -n "$MPID" ] && kill -9 "$MPID" 2>/dev/null
	[ -n "$KEEP" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; sed 's/^/  collect: /' "$TMP/err" 2>/dev/null; exit 1; }
wait_for() {
	i=0
	while [ $i -lt 200 ]; do
		if eval "$1"; then return 0; fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

"$MAMORI" collect -l 127.0.0.1:2055 --data "$TMP/x" -u no-such-user-here 2>/dev/null
[ $? -eq 2 ] || fail "unknown user is not a usage error"

NUID=$(id -u nobody)
mkdir -p "$TMP/data/flows/old"
echo leftover >"$TMP/data/flows/old/file"	# root-owned, as after a root run
for try in 0 1 2 3 4 5 6 7 8 9; do
	PORT=$((20000 + ($$ * 17 + try * 23) % 20000))
	"$MAMORI" collect -l 127.0.0.1:$PORT --data "$TMP/data" -u nobody \
	    2>"$TMP/err" &
	MPID=$!
	wait_for "grep -qs 'listening on' '$TMP/err' || ! kill -0 $MPID 2>/dev/null"
	kill -0 $MPID 2>/dev/null && break
	wait $MPID 2>/dev/null
	MPID=
done
[ -n "$MPID" ] || fail "collector did not start"
for f in Uid Gid; do
	set -- $(grep "^$f:" /proc/$MPID/status)
	[ "$2" != 0 ] && [ "$3" != 0 ] && [ "$4" != 0 ] && [ "$5" != 0 ] ||
	    fail "$f still root: $*"
done
set -- $(grep '^Uid:' /proc/$MPID/status)
[ "$2" = "$NUID" ] || fail "running as uid $2, not nobody ($NUID)"
[ "$(stat -c %u "$TMP/data/flows/old/file")" = "$NUID" ] ||
    fail "data directory contents not handed to nobody"

"$MAMORI" lab isp --seed 9 --flows 3000 --rate 50000 --send 127.0.0.1:$PORT \
    >/dev/null || fail "lab isp"
sleep 1
kill -TERM $MPID
wait $MPID
rc=$?
MPID=
[ $rc -eq 0 ] || fail "exit status $rc"
"$MAMORI" flows --data "$TMP/data" -N -s proto -n 1 2>/dev/null |
    grep -q 'total flows: 3000,' || fail "store does not hold 3000 flows"
n=$(find "$TMP/data/flows" -name '*.mmf' ! -user nobody | wc -l)
[ "$n" = 0 ] || fail "$n store files not owned by nobody"
echo "PASS"
exit 0
