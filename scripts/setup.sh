#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine, idempotently.
# Cargo tools go to a per-user cache outside the repo, one folder per tool and version, so a fresh clone
# (CI) reuses them; npm tools come from the committed package-lock.json. Nothing is fetched from github.com.
# What does not depend on another step runs beside it: the browser, the npm tools and the fuzzer's virtualenv
# install while the cargo tools build. Tools only a diagnostic needs install on first use (twiggy:
# scripts/wasm-top.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

log() { printf '[setup] %s\n' "$*" >&2; }
sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
started=$(date +%s)

# Debian packages: what the cargo tools' builds need (first, as they wait for it), and the browser and
# driver for the widget tests (beside the builds).
apt_install() {
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$@" >/dev/null
}
build_deps=()
command -v pkg-config >/dev/null || build_deps+=(pkg-config)
dpkg -s libssl-dev >/dev/null 2>&1 || build_deps+=(libssl-dev)
command -v curl >/dev/null || build_deps+=(curl)
browser=()
command -v chromium >/dev/null || browser+=(chromium)
command -v chromedriver >/dev/null || browser+=(chromium-driver)
if ((${#build_deps[@]})); then
  log "apt-get install ${build_deps[*]}"
  apt_install "${build_deps[@]}"
fi
jobs_started=()
if ((${#browser[@]})); then
  log "apt-get install ${browser[*]} (in the background)"
  apt_install "${browser[@]}" & jobs_started+=($!)
fi

# The OpenAPI fuzzer, in a virtualenv in the cache (one per pinned requirements file).
if [ ! -x "$SCHEMATHESIS_BIN" ]; then
  venv=$(dirname "$(dirname "$SCHEMATHESIS_BIN")")
  log "python venv with schemathesis $SCHEMATHESIS_VERSION (in the background)"
  (
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/scripts/fuzz/requirements.txt"
  ) & jobs_started+=($!)
fi

# npm tools (wrangler, esbuild, binaryen), pinned by package-lock.json.
if ! cmp -s "$ROOT/package-lock.json" "$ROOT/node_modules/.slotbook-lock" 2>/dev/null; then
  log "npm ci (in the background)"
  (
    cd "$ROOT"
    npm ci --no-audit --no-fund --loglevel=error
    cp "$ROOT/package-lock.json" "$ROOT/node_modules/.slotbook-lock"
  ) & jobs_started+=($!)
fi

# The wasm32 standard library, and its source: the release builds compile std for wasm32 themselves (see
# wasm_release_build in env.sh).
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
if ! rustup component list --installed | grep -qx rust-src; then
  log "rustup component add rust-src"
  rustup component add rust-src
fi

# Cargo tools, each in its own versioned root. A shared target dir lets the builds reuse crates. They are
# built with a quick release profile (no LTO, many codegen units, light optimisation, no debug info): what a
# tool produces does not depend on how fast the tool itself runs, and the build takes a fraction of the time.
install_tool() { # name version binary [cargo install flags…]
  local name=$1 version=$2 bin=$3; shift 3
  local root="$SLOTBOOK_TOOLS/$name-$version"
  if [ -x "$root/bin/$bin" ]; then return; fi
  log "cargo install $name $version (one-time, several minutes)"
  CARGO_TARGET_DIR="$SLOTBOOK_CACHE/cargo-install-target" CARGO_PROFILE_RELEASE_LTO=false \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=0 \
    CARGO_PROFILE_RELEASE_INCREMENTAL=false \
    cargo install "$name" --version "$version" --root "$root" "$@"
}
install_tool wasm-bindgen-cli "$WASM_BINDGEN_VERSION" wasm-bindgen   # no --locked: its lockfile names a yanked crate
install_tool worker-build "$WORKER_BUILD_VERSION" worker-build --locked
install_tool trunk "$TRUNK_VERSION" trunk --locked

for job in "${jobs_started[@]}"; do
  wait "$job" || { log "a background install failed (see above)"; exit 1; }
done
log "ready ($(($(date +%s) - started)) s)"
