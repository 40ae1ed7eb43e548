#!/usr/bin/env bash
# Runs every test: core natively, then the end-to-end tests against the built widget and edge in the
# real Workers runtime (wrangler dev) and chromium. Installs what is missing first.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$ROOT/scripts/setup.sh"
source "$ROOT/scripts/env.sh"
cd "$ROOT"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "[test] formatting and lints (rustfmt; clippy natively and for wasm32)" >&2
cargo fmt --all -- --check
cargo clippy -q --all-targets -p slotbook-core -p slotbook-tests -p slotbook-bench -p slotbook-openapi-json \
  -p slotbook-wasm-imports -- -D warnings
cargo clippy -q --all-targets -p slotbook-core -p slotbook-edge -p slotbook-widget --target wasm32-unknown-unknown \
  -- -D warnings
echo "[test] core, the build tools and the bench (native)" >&2
cargo test -p slotbook-core --lib 2>&1 | tee -a "$log"
cargo test -p slotbook-wasm-imports -p slotbook-bench 2>&1 | tee -a "$log"
bash scripts/build.sh
echo "[test] end to end (wrangler dev, chromium)" >&2
cargo test -p slotbook-tests --tests 2>&1 | tee -a "$log"
awk '/^test result:/ { p += $4; f += $6 } END { printf "all tests: %d passed, %d failed\n", p, f }' "$log"
