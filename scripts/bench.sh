#!/usr/bin/env bash
# The load benchmark in one command: builds the release binaries, then
# measures authenticated GET /api/v1/me (and login cost) on SQLite and on
# the machine's PostgreSQL. Results go to stdout as Markdown; copy them into
# docs/BENCHMARKS.md with the machine and the date.
#
#   scripts/bench.sh [extra hermes-bench arguments, e.g. --concurrency 64]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p hermes -p hermes-bench
for backend in sqlite postgres; do
  ./target/release/hermes-bench --backend "$backend" "$@"
  echo
done
