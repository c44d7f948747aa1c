#!/usr/bin/env bash
# Installs the Debian packages HERMES builds or runs with, when any is
# missing: a quick dpkg check when everything is there, apt-get otherwise.
# Each package says below why it is needed.
set -euo pipefail

PACKAGES=(
  unzip          # models.sh unpacks model wheels
  cmake          # hermes-speech --features whisper: ct2rs builds CTranslate2 from source
  g++            # ... and compiles it and its cxx bridge (C++17)
  espeak-ng      # hermes-speech's Whisper tests synthesise the sentences they transcribe
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} == 0 ]] && exit 0

SUDO=()
[[ $(id -u) != 0 ]] && SUDO=(sudo)
echo "debian.sh: installing ${missing[*]}" >&2
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
