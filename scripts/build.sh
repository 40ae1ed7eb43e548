#!/usr/bin/env bash
# Builds the widget (trunk, release) into dist/ with its loader, and the edge (worker-build, release)
# into edge/build/. Run scripts/setup.sh first (the run and test commands do).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/env.sh"
cd "$ROOT"

echo "[build] widget (trunk --release)" >&2
trunk build --release >/dev/null
glue=$(cd dist && ls slotbook-widget-*.js | head -n 1)
wasm=$(cd dist && ls slotbook-widget-*_bg.wasm | head -n 1)
[ -n "$glue" ] && [ -n "$wasm" ] || { echo "[build] trunk produced no widget files" >&2; exit 1; }
sed -e "s/__GLUE__/$glue/" -e "s/__WASM__/$wasm/" widget/loader/widget.js > dist/widget.js
cp widget/loader/_headers dist/_headers

echo "[build] edge (worker-build --release)" >&2
(cd edge && worker-build --release >/dev/null)
# The features workerd runs, named rather than --all-features so that no newer encoding is emitted.
wasm-opt -Oz --strip-debug --strip-producers --enable-mutable-globals --enable-sign-ext \
  --enable-nontrapping-float-to-int --enable-bulk-memory --enable-multivalue --enable-reference-types \
  --enable-exception-handling edge/build/index_bg.wasm -o edge/build/index_bg.wasm
echo "[build] done: dist/ and edge/build/" >&2
