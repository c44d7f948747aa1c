#!/usr/bin/env bash
# Makes sure the PostgreSQL and Redis the test suite runs against are up
# (127.0.0.1:5432 with trust auth and database `test`; 127.0.0.1:6379).
# This machine kind starts both before each session and CI run; if one has
# stopped, it is started again with the machine's own commands. Fails, with
# the reason, when a service cannot be reached: the suite must not quietly
# skip its PostgreSQL and Redis halves.
#
# HERMES_TEST_PG_URL and HERMES_TEST_REDIS_URL (read by hermes-testkit too)
# point elsewhere, e.g. at the service containers of the GitHub workflow;
# services elsewhere are only checked, never started.
set -euo pipefail

PG_URL=${HERMES_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
REDIS_URL=${HERMES_TEST_REDIS_URL:-redis://127.0.0.1:6379}
local_url() { [[ $1 == *@127.0.0.1:* || $1 == *//127.0.0.1:* || $1 == *@localhost:* || $1 == *//localhost:* ]]; }

pg_up() { pg_isready -q -d "$PG_URL" >/dev/null 2>&1; }
redis_up() { [ "$(redis-cli -u "$REDIS_URL" ping 2>/dev/null)" = "PONG" ]; }

if ! pg_up && local_url "$PG_URL" && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  echo "PostgreSQL is not answering; starting it" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if ! redis_up && local_url "$REDIS_URL" && command -v redis-server >/dev/null 2>&1; then
  echo "Redis is not answering; starting it" >&2
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
fi

pg_up || { echo "PostgreSQL is not reachable at $PG_URL" >&2; exit 1; }
redis_up || { echo "Redis is not reachable at $REDIS_URL" >&2; exit 1; }
echo "PostgreSQL and Redis are up"
