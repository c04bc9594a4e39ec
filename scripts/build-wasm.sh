#!/usr/bin/env bash
# Builds the wasm modules from the same sources and generates their wasm-bindgen glue:
#   packages/recurrent/wasm/simd/      SIMD128, single thread, plain memory: runs anywhere
#   packages/recurrent/wasm/threads/   SIMD128 + atomics + shared memory: worker pool
#   packages/recurrent/wasm/relaxed/, relaxed-threads/   the same two with relaxed SIMD
#     (`f32x4.relaxed_madd`: FMA in the kernels). A module that uses relaxed instructions
#     fails validation where relaxed SIMD is off (Node 20 without a flag, older browsers), so
#     they are separate builds; the loader picks them where `WebAssembly.validate` accepts them.
# and, for the tests, the same two with the exports only tests call (cargo feature
# `test-exports`, crates/recurrent-wasm/src/test_exports.rs):
#   packages/recurrent/wasm/{simd,threads,relaxed,relaxed-threads}-test/
# RECURRENT_WASM_BUILDS="relaxed relaxed-test" builds only the builds named (default: all eight).
# The package ships only the four release builds; the loader takes a test build only when asked
# (RECURRENT_WASM_VARIANT=test, which vitest.config.ts sets for the test suite). A test build shares its
# release build's target directory, so it costs a rebuild of recurrent-wasm and the link only.
# cargo and wasm-bindgen are called directly rather than through wasm-pack: wasm-pack looks
# for a prebuilt wasm32 std in the sysroot (there is none here; std is built from source with
# -Zbuild-std) and would try to download one.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_wasm_toolchain
ensure_wasm_bindgen

OUT="$ROOT/packages/recurrent/wasm"
# 4 GiB: the most wasm32 can address; memory grows on demand, this is only the ceiling.
MAX_MEMORY=4294967296

# The cell kind table for TypeScript, generated from the Rust table (kind.rs).
log "cell kinds -> packages/recurrent/src/core/cell-kinds.generated.ts"
(cd "$ROOT" && RECURRENT_UPDATE_GENERATED=1 "$(native_cargo)" test --quiet -p recurrent-core --test cell_kinds_ts >/dev/null)

wanted() { [ -z "${RECURRENT_WASM_BUILDS:-}" ] || [[ " $RECURRENT_WASM_BUILDS " == *" $1 "* ]]; }

build_one() {
  local name="$1" features="$2" extra="$3" cargo_features="${4:-}" target="${5:-$1}"
  wanted "$name" || return 0
  local target_dir="$ROOT/target/wasm-$target"
  local wasm="$target_dir/wasm32-unknown-unknown/release/recurrent_wasm.wasm"
  log "cargo build ($name: $features)"
  (cd "$ROOT" && PATH="$(dirname "$WASM_RUSTC"):$PATH" RUSTC="$WASM_RUSTC" RUSTC_BOOTSTRAP=1 \
    RUSTFLAGS="-C target-feature=$features $extra" \
    "$WASM_CARGO" build --quiet --release --target wasm32-unknown-unknown \
      -Zbuild-std=std,panic_abort --target-dir "$target_dir" -p recurrent-wasm ${cargo_features:+--features "$cargo_features"})
  # Always run: a test build and its release build leave their module at the same path, so
  # the artifact's age says nothing about which build it is.
  log "wasm-bindgen ($name)"
  mkdir -p "$OUT/$name"
  "$WASM_BINDGEN" --target web --out-dir "$OUT/$name" "$wasm"
  if [ "${RECURRENT_WASM_OPT:-0}" = 1 ]; then
    (cd "$ROOT" && pnpm exec wasm-opt -O3 --enable-simd --enable-threads --enable-bulk-memory \
      --enable-mutable-globals --enable-nontrapping-float-to-int --enable-sign-ext --enable-relaxed-simd \
      "$OUT/$name/recurrent_wasm_bg.wasm" -o "$OUT/$name/recurrent_wasm_bg.wasm")
  fi
}

build_one simd "+simd128" ""
build_one simd-test "+simd128" "" test-exports simd
# The linker only makes memory shared and imported, and exports the TLS hooks wasm-bindgen's
# thread support calls per thread, when asked to.
THREAD_LINK="-C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=$MAX_MEMORY"
for sym in __wasm_init_tls __tls_size __tls_align __tls_base; do
  THREAD_LINK="$THREAD_LINK -C link-arg=--export=$sym"
done
build_one threads "+simd128,+atomics,+bulk-memory,+mutable-globals" "$THREAD_LINK"
build_one threads-test "+simd128,+atomics,+bulk-memory,+mutable-globals" "$THREAD_LINK" test-exports threads
# Relaxed SIMD: the same sources; `crate::simd` compiles `mul_add` to `f32x4.relaxed_madd`.
build_one relaxed "+simd128,+relaxed-simd" ""
build_one relaxed-test "+simd128,+relaxed-simd" "" test-exports relaxed
build_one relaxed-threads "+simd128,+relaxed-simd,+atomics,+bulk-memory,+mutable-globals" "$THREAD_LINK"
build_one relaxed-threads-test "+simd128,+relaxed-simd,+atomics,+bulk-memory,+mutable-globals" "$THREAD_LINK" test-exports relaxed-threads
for name in simd threads relaxed relaxed-threads simd-test threads-test relaxed-test relaxed-threads-test; do
  if wanted "$name"; then log "$name: $(stat -c %s "$OUT/$name/recurrent_wasm_bg.wasm") bytes"; fi
done
