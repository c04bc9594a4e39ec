# Shared helpers for the project scripts: logging and idempotent installs.
# Sourced, not run. Every step checks before it installs, so a second run is quick.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WASM_BINDGEN_VERSION="0.2.130"   # must equal the wasm-bindgen crate pinned in crates/recurrent-wasm
PNPM_VERSION="10.28.2"

log() { printf '\033[1m[recurrent]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[recurrent] error:\033[0m %s\n' "$*" >&2; exit 1; }

# The wasm toolchain: Debian's rustc-web (std built from rust-web-src) when present or
# installable with apt, otherwise a rustup nightly with rust-src. Sets WASM_CARGO, WASM_RUSTC.
ensure_wasm_toolchain() {
  if [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/src/rust/library ] && [ -x /usr/bin/rust-lld ]; then
    WASM_CARGO=/usr/bin/cargo WASM_RUSTC=/usr/bin/rustc
    return
  fi
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "installing the wasm toolchain with apt (rustc-web builds std for wasm32 from source)"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc-web cargo-web rust-web-src rust-web-llvm lld-22 >&2
    WASM_CARGO=/usr/bin/cargo WASM_RUSTC=/usr/bin/rustc
    return
  fi
  if command -v rustup >/dev/null 2>&1 && rustup run nightly rustc --version >/dev/null 2>&1 \
     && [ -d "$(rustup run nightly rustc --print sysroot)/lib/rustlib/src/rust/library" ]; then
    WASM_CARGO="$(rustup which --toolchain nightly cargo)" WASM_RUSTC="$(rustup which --toolchain nightly rustc)"
    return
  fi
  die "no compiler that can build std for wasm32. On Debian/Ubuntu as root this script installs
  rustc-web, cargo-web, rust-web-src, rust-web-llvm and lld-22 with apt. Elsewhere run:
    rustup toolchain install nightly --component rust-src --target wasm32-unknown-unknown
  and run this script again."
}

# Native cargo for `cargo test` of the core: rustup's if present, else Debian's.
native_cargo() {
  if command -v cargo >/dev/null 2>&1; then command -v cargo
  elif [ -x /usr/bin/cargo ]; then echo /usr/bin/cargo
  else ensure_wasm_toolchain; echo "$WASM_CARGO"; fi
}

# wasm-bindgen's CLI at exactly the crate's version, in the project-local .tools/. It takes a
# few minutes to build, so a copy is kept in ~/.cache/recurrent for other clones on this machine.
ensure_wasm_bindgen() {
  local dir="$ROOT/.tools/wasm-bindgen-$WASM_BINDGEN_VERSION"
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/recurrent/wasm-bindgen-$WASM_BINDGEN_VERSION"
  WASM_BINDGEN="$dir/bin/wasm-bindgen"
  [ -x "$WASM_BINDGEN" ] && return
  if [ -x "$cache/bin/wasm-bindgen" ]; then
    mkdir -p "$dir" && cp -r "$cache/bin" "$dir/"
    return
  fi
  log "building wasm-bindgen-cli $WASM_BINDGEN_VERSION into .tools/ (a few minutes, once per machine)"
  # Not --locked: the CLI's lockfile pins a webpki-roots release the registry no longer serves.
  "$(native_cargo)" install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --root "$dir" >&2
  mkdir -p "$cache" && cp -r "$dir/bin" "$cache/"
}

ensure_pnpm() {
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
    return
  fi
  log "installing pnpm $PNPM_VERSION from the npm registry"
  npm install -g --silent "pnpm@$PNPM_VERSION" >&2
}

ensure_node_packages() {
  ensure_pnpm
  # The lockfile decides; if it is behind a package.json, say so and resolve again.
  (cd "$ROOT" && CI=true pnpm install --frozen-lockfile --reporter=silent >&2) || {
    log "pnpm-lock.yaml does not match the package.json files: installing without the frozen lockfile"
    (cd "$ROOT" && CI=true pnpm install --no-frozen-lockfile >&2)
  }
}

# Debian's Chromium for the browser tests (never a browser download).
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "installing Debian's chromium for the browser tests"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    die "the browser tests need /usr/bin/chromium (Debian package chromium)"
  fi
}
