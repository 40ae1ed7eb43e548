#!/usr/bin/env bash
# Runs the whole product locally: installs what is missing, builds widget and edge, starts `wrangler dev`
# on http://localhost:8787 (built-in engine, state kept in .wrangler/state) and loads the demo organisation.
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

wrangler dev --port "$PORT" --ip localhost --persist-to .wrangler/state --var "PUBLIC_ORIGIN:http://localhost:$PORT" &
edge=$!
trap 'kill $edge 2>/dev/null; wait $edge 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null "http://localhost:$PORT/widget.js" 2>/dev/null && break
  kill -0 $edge 2>/dev/null || { echo "[run] wrangler dev exited" >&2; exit 1; }
  sleep 0.5
done
curl -fsS -X PUT -H "Authorization: Bearer $admin_token" -H "Content-Type: application/json" \
  --data-binary @edge/demo/acme-spa.json "http://localhost:$PORT/api/admin/organisations/acme-spa" >/dev/null
echo
echo "  Acme Spa demo page with the booking widget:  http://localhost:$PORT/"
echo "  Public API:  http://localhost:$PORT/api/public/booking/organisations/acme-spa"
echo "  Stop with Ctrl-C."
echo
wait $edge
