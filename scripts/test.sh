#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs and builds first (scripts/build.sh), then
# runs the native Rust tests of the core, the typechecks, and the TypeScript suites on vitest
# (vitest.config.ts): the unit tests in Node (the machine's Node, with coverage, and Node 24), in a
# Node worker_threads worker, in Chromium cross-origin isolated (threaded build) and not (SIMD
# build); every code block of README.md, once; the playground and worker pages in Chromium; and
# the PyTorch parity suite. Exits non-zero if any group fails, and ends with each vitest run's
# summary lines and the parity line.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
started=$SECONDS
bash "$ROOT/scripts/build.sh" || die "build failed"
ensure_chromium
ensure_node24

LOGS="$(mktemp -d)"
trap 'rm -rf "$LOGS"' EXIT
failed=()
summary=()
runs=()        # "label|log file" of each vitest run, for the closing lines
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
# One vitest run: `vitest_run <label> <node binary> <vitest arguments...>`, output kept for the end.
vitest_run() {
  local label="$1" node="$2"; shift 2
  local out="$LOGS/${#runs[@]}.log"
  runs+=("$label|$out")
  group "vitest: $label" bash -c '"$@" 2>&1 | tee "$0"; exit "${PIPESTATUS[0]}"' \
    "$out" "$node" "$ROOT/node_modules/vitest/vitest.mjs" run "$@"
}

cd "$ROOT"
lint fmt --all --check
lint clippy --quiet -p recurrent-core -p recurrent-wasm --all-targets -- -D warnings
group "rust: core tests" "$(native_cargo)" test --quiet -p recurrent-core
group "typescript: typecheck tests and examples" pnpm exec tsc -p test/tsconfig.json --noEmit
group "typescript: typecheck the playground" pnpm --filter recurrent-playground exec tsc -p tsconfig.json --noEmit

NODE_MACHINE="$(command -v node)"
MAJOR="$("$NODE_MACHINE" -p 'process.versions.node.split(".")[0]')"
RECURRENT_EXPECT_NODE="$MAJOR" vitest_run "unit tests, Node $MAJOR (project node, with coverage)" "$NODE_MACHINE" --project node --coverage
if [ "$MAJOR" != 24 ]; then
  RECURRENT_EXPECT_NODE=24 vitest_run "unit tests, Node 24 (project node)" "$NODE24" --project node
else
  summary+=("skip  unit tests, Node 24: the machine's Node is 24, which the run above used")
fi
RECURRENT_EXPECT_NODE="$MAJOR" vitest_run "unit tests in a Node worker_threads worker (project node-worker)" "$NODE_MACHINE" --project node-worker
vitest_run "README code blocks, run as written (project readme)" "$NODE_MACHINE" --project readme
vitest_run "unit tests in Chromium, cross-origin isolated: threaded build (project chromium-isolated)" "$NODE_MACHINE" --project chromium-isolated
vitest_run "unit tests in Chromium, not isolated: SIMD build (project chromium)" "$NODE_MACHINE" --project chromium
vitest_run "playground and worker pages in Chromium (project chromium-pages)" "$NODE_MACHINE" --project chromium-pages
# The families' cases (leaky and skip RNNs, attention encoder-decoder, tree networks: issues 15
# and 16) through the same runner; the cells' parity line stays the last line of the run.
PARITY_FIXTURES="${RECURRENT_FIXTURES:-$ROOT/../shared/fixtures}/families" \
  vitest_run "parity with PyTorch, families: leaky, skip, attention, trees (project parity)" "$NODE_MACHINE" --project parity
vitest_run "parity with PyTorch (project parity)" "$NODE_MACHINE" --project parity
# The same fixtures on the relaxed-SIMD builds (fused multiply-add): Node 24 loads them.
if [ "$MAJOR" != 24 ]; then
  RECURRENT_EXPECT_NODE=24 vitest_run "parity with PyTorch, Node 24: relaxed builds (project parity)" "$NODE24" --project parity
fi
vitest_run "ONNX and Keras interop fixtures (project interop)" "$NODE_MACHINE" --project interop

printf '%s\n' "${summary[@]}" >&2
if [ ${#failed[@]} -gt 0 ]; then log "FAILED groups: ${failed[*]}"
else log "all test groups passed"; fi
log "whole run: $((SECONDS - started)) s"

# The closing lines: each vitest run's own summary, the coverage figure, the parity line last.
strip() { sed -e 's/\x1b\[[0-9;]*m//g'; }
parity_lines=()
for run in "${runs[@]}"; do
  label="${run%%|*}"
  file="${run#*|}"
  echo "$label"
  if [ -s "$file" ]; then
    strip <"$file" | grep -E '^ +(Test Files|Tests) ' | sed 's/^ */    /'
    strip <"$file" | grep -E '^(Statements|Lines) +:' | sed 's/^/    coverage of packages\/recurrent: /'
    line="$(strip <"$file" | grep -E '^parity: [0-9]+ passed, [0-9]+ failed$' | tail -1)"
    suffix=""
    [[ "$label" == *"Node 24"* ]] && suffix=" (Node 24, relaxed builds)"
    [[ "$label" == *"families"* ]] && suffix=" (families: leaky, skip, attention, trees)"
    [ -n "$line" ] && parity_lines+=("$line$suffix")
  fi
done
if [ ${#parity_lines[@]} -eq 0 ]; then echo "parity: did not run"; else printf '%s\n' "${parity_lines[@]}"; fi
[ ${#failed[@]} -eq 0 ]
