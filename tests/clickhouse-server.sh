#!/bin/sh
# clickhouse-server.sh - start/stop a throw-away ClickHouse for tests.
#
#   tests/clickhouse-server.sh start DIR PORT   prints the server pid
#   tests/clickhouse-server.sh stop DIR
#   tests/clickhouse-server.sh available        exit 0 if a server binary exists
#
# The server listens on 127.0.0.1 only (HTTP on PORT, native TCP on PORT+1),
# keeps data, tmp, user_files and logs under DIR, has no interserver port and
# one user `default` without password limited to 127.0.0.1. Written for
# Debian's clickhouse-server 18.16 (config root <yandex>); the same files work
# with newer servers, which still accept <yandex> as root element.
#
# Root: clickhouse-server 18.16 runs as root if asked to, but newer releases
# refuse to start when the data directory owner differs from the running
# user. When run as root and a `clickhouse` user exists, DIR is chowned to it
# and the server started through setpriv/runuser as that user; otherwise it
# runs as the caller. The wait for /ping is bounded (CH_WAIT seconds, 60).

CH_SERVER=${CH_SERVER:-}
if [ -z "$CH_SERVER" ]; then
	for c in /usr/sbin/clickhouse-server /usr/bin/clickhouse-server; do
		if [ -x "$c" ]; then CH_SERVER=$c; break; fi
	done
	if [ -z "$CH_SERVER" ] && command -v clickhouse-server >/dev/null 2>&1; then
		CH_SERVER=$(command -v clickhouse-server)
	fi
fi

die() { echo "clickhouse-server.sh: $*" >&2; exit 1; }

ch_start() {
	dir=$1; port=$2
	[ -n "$dir" ] && [ -n "$port" ] || die "usage: start DIR PORT"
	[ -n "$CH_SERVER" ] || die "clickhouse-server not installed"
	mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/log" \
	    "$dir/format_schemas" || die "cannot create $dir"
	dir=$(cd "$dir" && pwd)
	tport=$((port + 1))
	cat > "$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$dir/log/clickhouse-server.log</log>
        <errorlog>$dir/log/clickhouse-server.err.log</errorlog>
        <size>10M</size>
        <count>1</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$port</http_port>
    <tcp_port>$tport</tcp_port>
    <max_connections>64</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>16</max_concurrent_queries>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <mark_cache_size>67108864</mark_cache_size>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
</yandex>
XML
	cat > "$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>1000000000</max_memory_usage>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
XML
	runas=""
	if [ "$(id -u)" = 0 ] && id clickhouse >/dev/null 2>&1; then
		chown -R clickhouse "$dir" || die "cannot chown $dir"
		if command -v setpriv >/dev/null 2>&1; then
			runas="setpriv --reuid=clickhouse --regid=$(id -g clickhouse) --clear-groups"
		elif command -v runuser >/dev/null 2>&1; then
			runas="runuser -u clickhouse --"
		fi
	fi
	if [ -n "$runas" ] && ! $runas test -w "$dir/data"; then
		die "user clickhouse cannot write $dir (a parent directory is not searchable?)"
	fi
	# Start-up messages go to the log directory.
	$runas "$CH_SERVER" --config-file="$dir/config.xml" \
	    > "$dir/log/stdout.log" 2>&1 &
	pid=$!
	echo "$pid" > "$dir/pid"
	i=0
	wait_s=${CH_WAIT:-60}
	while [ $i -lt $((wait_s * 4)) ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -5 "$dir/log/stdout.log" "$dir/log/clickhouse-server.err.log" >&2 2>/dev/null
			die "server exited during start-up"
		fi
		if [ "$(curl -s --max-time 2 "http://127.0.0.1:$port/ping" 2>/dev/null)" = "Ok." ]; then
			echo "$pid"
			return 0
		fi
		sleep 0.25
		i=$((i + 1))
	done
	kill "$pid" 2>/dev/null
	die "server did not answer /ping within ${wait_s}s"
}

ch_stop() {
	dir=$1
	[ -n "$dir" ] || die "usage: stop DIR"
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	rm -f "$dir/pid"
	kill "$pid" 2>/dev/null || return 0
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 120 ]; do
		sleep 0.25
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null
		sleep 0.5
	fi
	return 0
}

case "$1" in
start)	ch_start "$2" "$3" ;;
stop)	ch_stop "$2" ;;
available) [ -n "$CH_SERVER" ] ;;
*)	die "usage: $0 start DIR PORT | stop DIR | available" ;;
esac
