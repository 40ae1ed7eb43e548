#!/usr/bin/env bash
# What a shipped wasm file holds: builds it as scripts/build.sh does (release, wasm-bindgen, wasm-opt -Oz) but
# keeps the function names, then prints the bytes per crate and the largest items (twiggy).
#   scripts/wasm-top.sh widget|edge [N]     N largest items (default 25)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/env.sh"
cd "$ROOT"
# twiggy is for this diagnostic only, so it is installed on its first use rather than by setup.sh.
twiggy_root="$SLOTBOOK_TOOLS/twiggy-$TWIGGY_VERSION"
if [ ! -x "$twiggy_root/bin/twiggy" ]; then
  echo "[wasm-top] cargo install twiggy $TWIGGY_VERSION (first use only)" >&2
  CARGO_TARGET_DIR="$SLOTBOOK_CACHE/cargo-install-target" cargo install twiggy --version "$TWIGGY_VERSION" --root "$twiggy_root" --locked
fi
which=${1:?widget or edge}
top=${2:-25}
case $which in
  widget) crate=slotbook-widget; file=slotbook-widget; target=web ;;
  edge) crate=slotbook-edge; file=slotbook_edge; target=module ;;
  *) echo "widget or edge" >&2; exit 2 ;;
esac
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
wasm_release_build cargo build --release -q -p "$crate" --target wasm32-unknown-unknown
wasm-bindgen --target "$target" --out-dir "$out" "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/$file.wasm"
wasm-opt -Oz -g --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
  --enable-multivalue --enable-reference-types --enable-exception-handling "$out/${file}_bg.wasm" -o "$out/named.wasm"
twiggy top -n 1000000 -f csv "$out/named.wasm" > "$out/top.csv"
python3 - "$out/top.csv" "$top" <<'PY'
import csv, re, sys, collections
rows = [(int(r["ShallowSize"]), r["Name"]) for r in csv.DictReader(open(sys.argv[1]))
        if "names" not in r["Name"] and "custom section" not in r["Name"]]
def crate(name):
    if name.startswith("data"): return "(data: strings, tables, panic locations)"
    name = re.sub(r"\[[0-9a-f]+\]", "", name)
    if re.search(r"Deserializ|Visitor", name): return "(serde deserialize)"
    if "serde" in name: return "(serde)"
    found = re.findall(r"([a-z_][a-z0-9_]*)::", name)
    return found[0] if found else "(other)"
by = collections.Counter()
for size, name in rows: by[crate(name)] += size
total = sum(by.values())
print(f"{total:>9}  total (optimised, before compression; js_sys holds the bodies of async fns)")
for name, size in by.most_common(15): print(f"{size:>9}  {name}")
print()
for size, name in sorted(rows, reverse=True)[: int(sys.argv[2])]: print(f"{size:>9}  {name[:150]}")
PY
