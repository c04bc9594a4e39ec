#!/usr/bin/env bash
# The main job: installs and builds what is needed, then runs the demo.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/build.sh"
cd "$ROOT" && node --import tsx scripts/demo.ts "$@"
