# Sourced by the project's scripts: tool versions, the cache outside the repo, and PATH for the pinned tools.
# shellcheck shell=bash
WASM_BINDGEN_VERSION=0.2.130   # must equal wasm-bindgen in Cargo.lock
WORKER_BUILD_VERSION=0.8.7
TRUNK_VERSION=0.21.14
TWIGGY_VERSION=0.8.0
SCHEMATHESIS_VERSION=4.32.5   # the OpenAPI fuzzer; its whole tree is pinned in scripts/fuzz/requirements.txt
SLOTBOOK_ROOT=${SLOTBOOK_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SLOTBOOK_CACHE=${SLOTBOOK_CACHE:-$HOME/.cache/slotbook}
SLOTBOOK_TOOLS=$SLOTBOOK_CACHE/tools
# One target dir per checkout: cargo names workspace crates by their path relative to the workspace, so two
# checkouts sharing a target dir could each take the other's stale artifacts as fresh.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$SLOTBOOK_CACHE/target-$(printf '%s' "$SLOTBOOK_ROOT" | sha1sum | cut -c1-12)}
export PATH="$SLOTBOOK_TOOLS/wasm-bindgen-cli-$WASM_BINDGEN_VERSION/bin:$SLOTBOOK_TOOLS/trunk-$TRUNK_VERSION/bin:$SLOTBOOK_TOOLS/worker-build-$WORKER_BUILD_VERSION/bin:$SLOTBOOK_TOOLS/twiggy-$TWIGGY_VERSION/bin:$SLOTBOOK_ROOT/node_modules/.bin:$PATH"
export WASM_BINDGEN_BIN="$SLOTBOOK_TOOLS/wasm-bindgen-cli-$WASM_BINDGEN_VERSION/bin/wasm-bindgen"
export WASM_OPT_BIN="$SLOTBOOK_ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$SLOTBOOK_ROOT/node_modules/.bin/esbuild"
export SCHEMATHESIS_BIN="$SLOTBOOK_CACHE/venv-schemathesis-$SCHEMATHESIS_VERSION-$(sha1sum "$SLOTBOOK_ROOT/scripts/fuzz/requirements.txt" | cut -c1-8)/bin/schemathesis"
export SLOTBOOK_CACHE SLOTBOOK_TOOLS SLOTBOOK_ROOT

# The shipped wasm builds (widget and Worker) compile the standard library with the rest, sized like it, and
# with panics that abort at once: no panic messages, locations or formatting machinery in the files (−11 KB
# brotli widget, −24 KB gzip Worker; a panic is still a trap, as with panic = "abort"). Cargo's build-std is
# unstable, hence RUSTC_BOOTSTRAP on the pinned stable toolchain; only these builds set it:
#   wasm_release_build COMMAND…   runs COMMAND (trunk, worker-build, cargo) with these settings.
wasm_release_build() {
  RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size \
    CARGO_UNSTABLE_PANIC_IMMEDIATE_ABORT=true CARGO_PROFILE_RELEASE_PANIC=immediate-abort "$@"
}
