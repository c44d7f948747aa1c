#!/usr/bin/env bash
# The soak test in one command (issue 8): builds hermes-voice-bench in
# release, then runs two HERMES nodes on a fresh PostgreSQL database and
# the machine's Redis under steady phone calls and API load, and prints a
# Markdown report (errors by kind, p50/p95/p99 per kind, memory and CPU per
# node per minute, the memory slope over the second half). Exits non-zero
# on any error or on memory growth past the threshold. Not part of CI.
#
#   scripts/soak.sh [--minutes 30] [--calls 50] [--api-rps 40]
#                   [--api-users 8] [--call-secs 45] [--out target/soak] ...
#   scripts/soak.sh --minutes 3       # a smoke run
#
# Needs PostgreSQL (HERMES_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test),
# Redis (HERMES_TEST_REDIS_URL, default redis://127.0.0.1:6379), espeak-ng
# and the Silero model (scripts/models.sh). See docs/BENCHMARKS.md, "Soak test".
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f models/silero-vad/silero_vad.onnx ]]; then
  echo "soak: models/silero-vad is missing; run scripts/models.sh first" >&2
  exit 1
fi
cargo build --release --locked -p hermes-bench --bin hermes-voice-bench
exec ./target/release/hermes-voice-bench soak "$@"
