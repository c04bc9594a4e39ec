#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs and builds first (scripts/build.sh),
# then runs the native Rust tests of the core, the JS tests of both wasm builds, and the
# PyTorch parity suite. Exits non-zero if any group fails; ends with one summary line.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/build.sh" || die "build failed"

failed=()
group() {
  local name="$1"; shift
  log "test group: $name"
  if ! "$@"; then failed+=("$name"); fi
}

cd "$ROOT"
group "rust: cargo fmt --check" "$(native_cargo)" fmt --all --check
group "rust: clippy" "$(native_cargo)" clippy --quiet -p recurrent-core -p recurrent-wasm --all-targets -- -D warnings
group "rust: core tests" "$(native_cargo)" test --quiet -p recurrent-core
group "typescript: typecheck tests" pnpm exec tsc -p test/tsconfig.json --noEmit
group "js: unit tests (node:test)" node --import tsx --test --test-reporter=spec test/unit/*.test.ts
group "js: parity with PyTorch" node --import tsx test/parity/run.ts

if [ ${#failed[@]} -gt 0 ]; then
  log "FAILED groups: ${failed[*]}"
  exit 1
fi
log "all test groups passed"
