#!/usr/bin/env bash
# The main job: installs and builds what is needed (scripts/build.sh), then, with the
# `recurrent` CLI, trains a character LSTM on The Time Machine for about two minutes and
# generates text after "time traveller". The checkpoint and an SVG chart of perplexity per
# epoch go to out/ (RECURRENT_OUT overrides). Extra arguments are passed to `recurrent train`
# and override the defaults below, e.g. `bash scripts/main.sh --cell gru --max-seconds 300`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/build.sh"

OUT="${RECURRENT_OUT:-$ROOT/out}"
MODEL="$OUT/timemachine-lstm.safetensors"
recurrent() { node "$ROOT/packages/recurrent/dist/cli/main.js" "$@"; }

log "recurrent train: a char LSTM on The Time Machine, for about 2 minutes"
recurrent train --cell lstm --hidden 256 --layers 1 --batch-size 32 --seq-len 35 --bptt truncated \
  --optimizer adam --lr 0.003 --clip-norm 1 --epochs 100 --max-seconds 120 --seed 0 \
  --out "$MODEL" "$@"

PREFIX="time traveller"
log "recurrent generate: 200 characters after \"$PREFIX\", greedy"
printf '%s' "$PREFIX"; recurrent generate --model "$MODEL" --prefix "$PREFIX" --length 200 --greedy --quiet
log "recurrent generate: 200 characters after \"$PREFIX\", sampled at temperature 0.6"
printf '%s' "$PREFIX"; recurrent generate --model "$MODEL" --prefix "$PREFIX" --length 200 --temperature 0.6 --seed 1 --quiet
log "recurrent info $MODEL"
recurrent info "$MODEL"
