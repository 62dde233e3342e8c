#!/bin/sh
# collect_privdrop.sh - `mamori collect -u USER`: started as root, the
# collector binds, hands the data directory (including files a previous
# root run left) to USER, drops root for good, and still writes the store.
# An unknown user is a usage error. Runs only as root with a `nobody`
# account; otherwise skips (77). Loopback only.
#
# usage: sh collect_privdrop.sh path/to/mamori
MAMORI=${1:?usage: $0 path/to/mamori}
# shellcheck source-path=SCRIPTDIR source=lib/testlib.sh
. "$(dirname "$0")/lib/testlib.sh"
[ "$(id -u)" = 0 ] || t_skip "not root"
id nobody >/dev/null 2>&1 || t_skip "no user nobody"
t_skip_unless_help "$MAMORI" lab isp
t_init collect-priv
chmod 755 "$TMP"

"$MAMORI" collect -l 127.0.0.1:2055 --data "$TMP/x" -u no-such-user-here 2>/dev/null
[ $? -eq 2 ] || t_fail "unknown user is not a usage error"

NUID=$(id -u nobody)
mkdir -p "$TMP/data/flows/old"
echo leftover >"$TMP/data/flows/old/file"	# root-owned, as after a root run
t_collect 0 "$TMP/collect.err" --data "$TMP/data" -u nobody ||
    t_fail "collector did not start"
for f in Uid Gid; do
	set -- $(grep "^$f:" /proc/$MPID/status)
	[ "$2" != 0 ] && [ "$3" != 0 ] && [ "$4" != 0 ] && [ "$5" != 0 ] ||
	    t_fail "$f still root: $*"
done
set -- $(grep '^Uid:' /proc/$MPID/status)
[ "$2" = "$NUID" ] || t_fail "running as uid $2, not nobody ($NUID)"
[ "$(stat -c %u "$TMP/data/flows/old/file")" = "$NUID" ] ||
    t_fail "data directory contents not handed to nobody"

"$MAMORI" lab isp --seed 9 --flows 3000 --rate 50000 --send 127.0.0.1:$PORT \
    >/dev/null || t_fail "lab isp"
sleep 1
t_stop "$MPID" "the collector"
[ $T_RC -eq 0 ] || t_fail "exit status $T_RC"
"$MAMORI" flows --data "$TMP/data" -N -s proto -n 1 2>/dev/null |
    grep -q 'total flows: 3000,' || t_fail "store does not hold 3000 flows"
n=$(find "$TMP/data/flows" -name '*.mmf' ! -user nobody | wc -l)
[ "$n" = 0 ] || t_fail "$n store files not owned by nobody"
echo "PASS"
exit 0
