#!/usr/bin/env bash
# Supply-chain checks with cargo-deny against deny.toml: the licenses of
# every crate in the graph, banned crates (OpenSSL, a second crypto
# provider), duplicate versions and wildcard requirements, and that crates
# come only from crates.io. Run by .ci/run; see docs/SUPPLY_CHAIN.md.
#
# Security advisories need the RustSec database, a git repository on
# GitHub. HERMES_ADVISORIES says what to do about it:
#   auto (default)  fetch it; if it cannot be fetched (no network, or only
#                   the package registries, as on the CI machine), say so
#                   and go on: being offline must not fail CI
#   require         fetch it and check; failing to fetch fails (the GitHub
#                   workflow, which can always reach GitHub)
#   off             do not check advisories
#
# cargo-deny is installed, at the pinned version, only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DENY_VERSION=0.20.2

mode=${HERMES_ADVISORIES:-auto}
case "$mode" in
  auto | require | off) ;;
  *)
    echo "supply-chain.sh: HERMES_ADVISORIES must be auto, require or off, not '$mode'" >&2
    exit 2
    ;;
esac

if [[ "$(cargo deny --version 2>/dev/null)" != "cargo-deny $DENY_VERSION" ]]; then
  echo "supply-chain.sh: installing cargo-deny $DENY_VERSION" >&2
  cargo install --locked "cargo-deny@$DENY_VERSION"
fi

cargo deny --locked check licenses bans sources

if [[ $mode == off ]]; then
  echo "supply-chain.sh: advisories not checked (HERMES_ADVISORIES=off)" >&2
# `fetch db` clones or updates the database under $CARGO_HOME/advisory-dbs;
# the check then reads that copy (`--offline`: no second fetch).
elif timeout 300 cargo deny --locked fetch db; then
  cargo deny --locked --offline check advisories
elif [[ $mode == require ]]; then
  echo "supply-chain.sh: the advisory database cannot be fetched (HERMES_ADVISORIES=require)" >&2
  exit 1
else
  echo "supply-chain.sh: advisories NOT checked: the RustSec database" \
    "(github.com/rustsec/advisory-db) cannot be fetched from this machine;" \
    "HERMES_ADVISORIES=require makes that an error" >&2
fi
