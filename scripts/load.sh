#!/usr/bin/env bash
# The load harness (make load): a private PostgreSQL cluster and a private redis-server on free
# loopback ports (unless LOAD_DATABASE_URL / LOAD_REDIS_URL name existing ones), migrate, seed the
# catalog, add the 10,000 generated instructors (seed-bench), start `instainstru all` (API, worker,
# scheduler) on a free loopback port, drive the realistic mix for LOAD_DURATION (60s), print the
# report and the database audit, then stop and remove everything it started.
#
# Nothing here touches the shared development services: faults and load never run against them.
set -euo pipefail

BIN=${BIN:-bin/instainstru}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
LOAD_INSTRUCTORS=${LOAD_INSTRUCTORS:-10000}
export LOAD_DURATION=${LOAD_DURATION:-60s}

say() { printf '[load] %s\n' "$*"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

T0=$(date +%s)
WORK=$(mktemp -d /tmp/instainstru-load.XXXXXX)
chmod 755 "$WORK"
PGDIR="$WORK/pg"
SERVER_PID="" REDIS_PID="" PG_STARTED=""

cleanup() {
	set +e
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID"
		for _ in $(seq 1 30); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 1; done
		kill -KILL "$SERVER_PID" 2>/dev/null
	fi
	[ -n "$REDIS_PID" ] && kill -TERM "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
	[ -n "$PG_STARTED" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR" -m fast -w stop >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "${LOAD_DATABASE_URL:-}" ]; then
	export DATABASE_URL=$LOAD_DATABASE_URL
	say "database: LOAD_DATABASE_URL"
else
	PGPORT=$(free_port)
	mkdir -p "$PGDIR" && chown postgres:postgres "$PGDIR"
	runuser -u postgres -- "$PGBIN/initdb" -D "$PGDIR" -A trust -U postgres >"$WORK/initdb.log" 2>&1
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR" -l "$PGDIR/server.log" -w \
		-o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
	PG_STARTED=1
	runuser -u postgres -- "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qc 'CREATE DATABASE instainstru' >/dev/null
	export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/instainstru?sslmode=disable"
	say "private PostgreSQL on 127.0.0.1:$PGPORT ($PGDIR)"
fi

if [ -n "${LOAD_REDIS_URL:-}" ]; then
	export REDIS_URL=$LOAD_REDIS_URL
	say "redis: LOAD_REDIS_URL"
else
	RPORT=$(free_port)
	redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
		--protected-mode no >"$WORK/redis.log" 2>&1 &
	REDIS_PID=$!
	for _ in $(seq 1 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
	export REDIS_URL="redis://127.0.0.1:$RPORT/0"
	say "private Redis on 127.0.0.1:$RPORT"
fi

export APP_ENV=test LOG_LEVEL=${LOG_LEVEL:-warn}
# One client IP sends everything: the per-IP budgets must not be what the run measures.
export RATE_LIMIT_GENERAL_PER_MINUTE=100000000 RATE_LIMIT_AUTH_PER_MINUTE=100000000

"$BIN" migrate
"$BIN" seed
say "generating $LOAD_INSTRUCTORS instructors"
"$BIN" seed-bench -n "$LOAD_INSTRUCTORS"

HPORT=$(free_port)
HTTP_ADDR="127.0.0.1:$HPORT" "$BIN" all >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
say "server (all: API, worker, scheduler) starting on 127.0.0.1:$HPORT (migrate, demo seed)"
for i in $(seq 1 240); do
	if curl -fsS "http://127.0.0.1:$HPORT/readyz" >/dev/null 2>&1; then break; fi
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then tail -40 "$WORK/server.log"; say "server died"; exit 1; fi
	[ "$i" = 240 ] && { tail -40 "$WORK/server.log"; say "server not ready after 120 s"; exit 1; }
	sleep 0.5
done
say "ready after $(( $(date +%s) - T0 )) s; load for $LOAD_DURATION"

rc=0
HTTP_ADDR="127.0.0.1:$HPORT" "$BIN" load -targets "http://127.0.0.1:$HPORT" || rc=$?
if grep -q 'level=ERROR' "$WORK/server.log"; then
	say "server errors logged during the run (last 10):"
	grep 'level=ERROR' "$WORK/server.log" | tail -10
fi
say "done in $(( $(date +%s) - T0 )) s (exit $rc)"
exit $rc
