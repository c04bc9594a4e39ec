#!/usr/bin/env bash
# Installs the bench's system peers on Debian (as root): PyTorch (`python3-torch`, run by
# /usr/bin/python3) on OpenBLAS's OpenMP variant (`libopenblas0-openmp`), and points the
# system's libblas.so.3 and liblapack.so.3 alternatives at it.
#
# Why: Debian's torch does its GEMMs through libblas.so.3, which is the reference BLAS unless
# an optimised one is installed, about 10x slower (the PyTorch rows would mean nothing).
# Why the OpenMP variant: torch's own thread pool is OpenMP (libgomp), and that variant runs
# its GEMMs on the same pool, so 2 threads are 2 threads. The pthread variant keeps a pool of
# its own beside torch's, both spinning, and was slower at 2 threads, equal at 1 (figures:
# README.md, "Relaxed SIMD and PyTorch").
#
# Idempotent: installs only what is missing (one `apt-get update` first, only then), sets the
# alternatives only where they point elsewhere, and says what it did. Ends by checking which
# BLAS torch really loads. Usage: bash bench/setup-peers.sh  (or pnpm bench:setup)
set -euo pipefail

PACKAGES=(python3-torch libopenblas0-openmp)
VARIANT=openblas-openmp

say() { printf 'setup-peers: %s\n' "$*"; }
die() {
  say "$*" >&2
  exit 1
}

[[ -r /etc/debian_version ]] && command -v apt-get >/dev/null && command -v dpkg-query >/dev/null ||
  die "this script is for Debian (apt-get, dpkg); install PyTorch and an optimised BLAS (OpenBLAS) yourself"
[[ $(id -u) -eq 0 ]] || die "run as root (it installs packages and sets the libblas.so.3 alternative): sudo bash $0"

installed() { [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true) == installed ]]; }

missing=()
for p in "${PACKAGES[@]}"; do
  if installed "$p"; then say "$p is installed ($(dpkg-query -W -f='${Version}' "$p"))"; else missing+=("$p"); fi
done
if ((${#missing[@]} > 0)); then
  say "installing ${missing[*]} (apt-get update first)"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  say "installed ${missing[*]}"
fi

# The alternatives: libblas.so.3-<multiarch> and liblapack.so.3-<multiarch>, each set to the
# variant's file (OpenBLAS's LAPACK too, so that two OpenBLAS variants are never loaded
# together). `--set` puts the group in manual mode: installing the pthread variant later
# (priority 100 against 95) does not switch it back.
for lib in libblas.so.3 liblapack.so.3; do
  target=$(dpkg -L libopenblas0-openmp | grep -E "/${VARIANT}/${lib//./\\.}\$" | head -n 1 || true)
  [[ -n $target ]] || die "libopenblas0-openmp has no ${VARIANT}/${lib}"
  multiarch=$(basename "$(dirname "$(dirname "$target")")")
  name="${lib}-${multiarch}"
  query=$(update-alternatives --query "$name" 2>/dev/null || true)
  current=$(sed -n 's/^Value: //p' <<<"$query")
  status=$(sed -n 's/^Status: //p' <<<"$query")
  if [[ $current == "$target" && $status == manual ]]; then
    say "$name already points to $target (manual mode)"
  else
    update-alternatives --quiet --set "$name" "$target"
    say "$name now points to $target, manual mode (was ${current:-unset}, ${status:-no} mode)"
  fi
done

# What torch really loads (the bench's torch_rnn.py reports the same in its JSON).
python=${TORCH_PYTHON:-/usr/bin/python3}
say "checking with $python:"
"$python" - <<'EOF'
import torch
torch.mm(torch.ones(64, 64), torch.ones(64, 64))
libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l.split()[-1].rsplit("/", 1)[-1]})
print(f"setup-peers:   torch {torch.__version__}; BLAS mapped: {', '.join(libs) or 'none'}")
if not any("openblas" in l for l in libs):
    raise SystemExit("setup-peers: torch does not load OpenBLAS (LD_LIBRARY_PATH? another libblas.so.3 first?)")
EOF
say "done: PyTorch runs on OpenBLAS (OpenMP variant)"
