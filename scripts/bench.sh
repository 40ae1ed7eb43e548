#!/usr/bin/env bash
# The benchmark command: builds release artifacts, then prints one table and writes bench/out/ (results.json,
# chart.svg). Options: --compare OLD.json (change per row), --save-reference (also writes bench/reference/).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build.sh"
source "$ROOT/scripts/env.sh"
cd "$ROOT"
cargo run --release -q -p slotbook-bench -- "$@"
