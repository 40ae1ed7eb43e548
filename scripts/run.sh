#!/usr/bin/env bash
# Runs the whole product locally: installs what is missing, builds widget and edge, starts `wrangler dev`
# on http://localhost:8787 (built-in engine, state kept in .wrangler/state) and loads the demo organisation.
# Beside it, the Bardge reseller demo: a Bardge stand-in on :8788 and a reseller's site on :8789 (see
# tests/src/bardge_demo.rs), with the reseller organisation `wellcorp` loaded.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORT=${PORT:-8787}
bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build.sh"
source "$ROOT/scripts/env.sh"
cd "$ROOT"
[ -f .dev.vars ] || cp .dev.vars.example .dev.vars
# Local development pays through the edge's test checkout unless a Stripe key is configured.
if ! grep -q '^TEST_CHECKOUT=' .dev.vars && ! grep -q '^STRIPE_SECRET_KEY=' .dev.vars; then
  printf '\n# Local development only: the edge signs its own test payments. Never set this in production.\nTEST_CHECKOUT=true\n' >> .dev.vars
fi
admin_token=$(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars | head -n 1)
cargo build -q -p slotbook-tests --bin bardge-demo
"$CARGO_TARGET_DIR/debug/bardge-demo" 8788 8789 "http://localhost:$PORT" &
bardge=$!
trap 'kill $bardge 2>/dev/null' EXIT INT TERM

wrangler dev --port "$PORT" --ip localhost --persist-to .wrangler/state --var "PUBLIC_ORIGIN:http://localhost:$PORT" \
  --var "BARDGE_API_URL:http://127.0.0.1:8788/v3/api/business/reseller" &
edge=$!
trap 'kill $edge $bardge 2>/dev/null; wait $edge $bardge 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null "http://localhost:$PORT/widget.js" 2>/dev/null && break
  kill -0 $edge 2>/dev/null || { echo "[run] wrangler dev exited" >&2; exit 1; }
  sleep 0.5
done
curl -fsS -X PUT -H "Authorization: Bearer $admin_token" -H "Content-Type: application/json" \
  --data-binary @edge/demo/acme-spa.json "http://localhost:$PORT/api/admin/organisations/acme-spa" >/dev/null
curl -fsS -X PUT -H "Authorization: Bearer $admin_token" -H "Content-Type: application/json" \
  --data-binary @edge/demo/wellcorp.json "http://localhost:$PORT/api/admin/organisations/wellcorp" >/dev/null
echo
echo "  Acme Spa demo page with the booking widget:  http://localhost:$PORT/"
echo "  Public API:  http://localhost:$PORT/api/public/booking/organisations/acme-spa"
echo "  Bardge reseller demo (a signed-in member books classes, co-pays in the test checkout):  http://localhost:8789/"
echo "  Stop with Ctrl-C."
echo
wait $edge
