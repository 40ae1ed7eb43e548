#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine, idempotently.
# Cargo tools go to a per-user cache outside the repo, one folder per tool and version, so a fresh clone
# (CI) reuses them; npm tools come from the committed package-lock.json. Nothing is fetched from github.com.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

log() { printf '[setup] %s\n' "$*" >&2; }

# Debian packages: the browser and driver for widget tests, and what worker-build's build needs.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v pkg-config >/dev/null || missing+=(pkg-config)
dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}" >/dev/null
fi

# The wasm32 standard library.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
# Its source: the release builds compile std for wasm32 themselves (see wasm_release_build in env.sh).
if ! rustup component list --installed | grep -qx rust-src; then
  log "rustup component add rust-src"
  rustup component add rust-src
fi

# Cargo tools, each in its own versioned root. A shared target dir lets the three builds reuse crates.
install_tool() { # name version binary [cargo install flags…]
  local name=$1 version=$2 bin=$3; shift 3
  local root="$SLOTBOOK_TOOLS/$name-$version"
  if [ -x "$root/bin/$bin" ]; then return; fi
  log "cargo install $name $version (one-time, several minutes)"
  CARGO_TARGET_DIR="$SLOTBOOK_CACHE/cargo-install-target" \
    cargo install "$name" --version "$version" --root "$root" "$@"
}
install_tool wasm-bindgen-cli "$WASM_BINDGEN_VERSION" wasm-bindgen   # no --locked: its lockfile names a yanked crate
install_tool worker-build "$WORKER_BUILD_VERSION" worker-build --locked
install_tool trunk "$TRUNK_VERSION" trunk --locked

# The OpenAPI fuzzer, in a virtualenv in the cache (one per pinned requirements file).
if [ ! -x "$SCHEMATHESIS_BIN" ]; then
  venv=$(dirname "$(dirname "$SCHEMATHESIS_BIN")")
  log "python venv with schemathesis $SCHEMATHESIS_VERSION"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/scripts/fuzz/requirements.txt"
fi

# npm tools (wrangler, esbuild, binaryen), pinned by package-lock.json.
if ! cmp -s "$ROOT/package-lock.json" "$ROOT/node_modules/.slotbook-lock" 2>/dev/null; then
  log "npm ci"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$ROOT/package-lock.json" "$ROOT/node_modules/.slotbook-lock"
fi
log "ready"
