#!/usr/bin/env bash
# Installs what the project needs (idempotent: a second run skips what is up to date) and
# builds everything: both wasm builds with their glue, then the TypeScript package.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_node_packages
bash "$ROOT/scripts/build-wasm.sh"
log "tsc (packages/recurrent)"
(cd "$ROOT/packages/recurrent" && pnpm exec tsc -p tsconfig.json)
