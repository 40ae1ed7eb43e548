#!/usr/bin/env bash
# Builds the widget (trunk, release) into dist/ with its loader, and the edge (worker-build, release)
# into edge/build/. Run scripts/setup.sh first (the run and test commands do).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/env.sh"
cd "$ROOT"

echo "[build] widget (trunk --release)" >&2
wasm_release_build trunk build --release >/dev/null
glue=$(cd dist && ls slotbook-widget-*.js | head -n 1)
wasm=$(cd dist && ls slotbook-widget-*_bg.wasm | head -n 1)
[ -n "$glue" ] && [ -n "$wasm" ] || { echo "[build] trunk produced no widget files" >&2; exit 1; }
# trunk leaves wasm-bindgen's glue as it is; it ships minified, and the wasm's imports get short names.
esbuild "dist/$glue" --minify --format=esm --log-level=warning --allow-overwrite --outfile="dist/$glue"
cargo build -q --release -p slotbook-wasm-imports
short_imports() { "$CARGO_TARGET_DIR/release/slotbook-wasm-imports" "$@"; }
short_imports "dist/$wasm" "dist/$glue"
# The manage view's wasm (loaded only for a manage link): trunk builds it as a second, unhashed target; it is
# named here by its content like the rest (served immutable).
[ -f dist/slotbook-manage.js ] && [ -f dist/slotbook-manage_bg.wasm ] || { echo "[build] trunk produced no manage files" >&2; exit 1; }
short_imports dist/slotbook-manage_bg.wasm dist/slotbook-manage.js
manage_wasm="slotbook-manage-$(sha256sum dist/slotbook-manage_bg.wasm | cut -c1-16)_bg.wasm"
mv dist/slotbook-manage_bg.wasm "dist/$manage_wasm"
esbuild dist/slotbook-manage.js --minify --format=esm --log-level=warning --outfile=dist/manage.tmp.js
rm dist/slotbook-manage.js
manage_glue="slotbook-manage-$(sha256sum dist/manage.tmp.js | cut -c1-16).js"
mv dist/manage.tmp.js "dist/$manage_glue"
# The loader and its on-demand modes, minified; the modes file is named by its content (served immutable).
esbuild widget/loader/modes.js --minify --format=esm --log-level=warning --outfile=dist/modes.tmp.js
modes="widget-modes-$(sha256sum dist/modes.tmp.js | cut -c1-16).js"
rm -f dist/widget-modes-*.js
mv dist/modes.tmp.js "dist/$modes"
sed -e "s/__GLUE__/$glue/" -e "s/__WASM__/$wasm/" -e "s/__MANAGE_GLUE__/$manage_glue/" -e "s/__MANAGE_WASM__/$manage_wasm/" \
  -e "s/__MODES__/$modes/" widget/loader/widget.js |
  esbuild --minify --log-level=warning > dist/widget.js
cp widget/loader/_headers dist/_headers
# The OpenAPI document as a static file: served by the platform, not carried in the Worker.
cargo run -q -p slotbook-openapi-json -- openapi.yaml dist/api/openapi.json

echo "[build] edge (worker-build --release)" >&2
(cd edge && wasm_release_build worker-build --release >/dev/null)
# The features workerd runs, named rather than --all-features so that no newer encoding is emitted.
wasm-opt -Oz --strip-debug --strip-producers --enable-mutable-globals --enable-sign-ext \
  --enable-nontrapping-float-to-int --enable-bulk-memory --enable-multivalue --enable-reference-types \
  --enable-exception-handling edge/build/index_bg.wasm -o edge/build/index_bg.wasm
short_imports edge/build/index_bg.wasm edge/build/index.js
echo "[build] done: dist/ and edge/build/" >&2
