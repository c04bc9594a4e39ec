#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs and builds first (scripts/build.sh),
# then runs the native Rust tests of the core, the JS tests of both wasm builds, the
# PyTorch parity suite and the browser tests. Exits non-zero if any group fails.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/build.sh" || die "build failed"
ensure_chromium

failed=()
summary=()
group() {
  local name="$1"; shift
  local start=$SECONDS
  log "test group: $name"
  if "$@"; then summary+=("ok    $name ($((SECONDS - start)) s)")
  else failed+=("$name"); summary+=("FAIL  $name ($((SECONDS - start)) s)"); fi
}
# Lints run where the toolchain has them (rustup's does; Debian's rustc-web has neither).
lint() {
  local tool="$1"; shift
  if "$(native_cargo)" "$tool" --version >/dev/null 2>&1; then group "rust: cargo $tool" "$(native_cargo)" "$tool" "$@"
  else summary+=("skip  rust: cargo $tool (not installed with this toolchain)"); fi
}

cd "$ROOT"
lint fmt --all --check
lint clippy --quiet -p recurrent-core -p recurrent-wasm --all-targets -- -D warnings
group "rust: core tests" "$(native_cargo)" test --quiet -p recurrent-core
group "typescript: typecheck tests and examples" pnpm exec tsc -p test/tsconfig.json --noEmit
group "typescript: typecheck the playground" pnpm --filter recurrent-playground exec tsc -p tsconfig.json --noEmit
group "js: unit tests, both wasm builds (node:test)" node --import tsx --test --test-reporter=spec test/unit/*.test.ts
group "js: parity with PyTorch" node --import tsx test/parity/run.ts
if compgen -G "test/browser/*.test.ts" >/dev/null; then
  group "browser: Chromium (playwright-core)" node --import tsx --test --test-reporter=spec test/browser/*.test.ts
fi

printf '%s\n' "${summary[@]}" >&2
if [ ${#failed[@]} -gt 0 ]; then
  log "FAILED groups: ${failed[*]}"
  exit 1
fi
log "all test groups passed"
