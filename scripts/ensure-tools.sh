#!/usr/bin/env bash
# Installs, only where missing, the tools ClusterLab's build and tests need.
# Everything comes from the package registries (crates.io, npm, Debian);
# nothing is downloaded from anywhere else. Usage:
#   scripts/ensure-tools.sh serve   # wasm target, trunk, wasm-bindgen, wasm-opt
#   scripts/ensure-tools.sh test    # the above plus wasm-pack, chromium, chromedriver, npm packages
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

TRUNK_VERSION=0.21.14
want=${1:-serve}

fail() { echo "ensure-tools: $*" >&2; exit 1; }
note() { echo "ensure-tools: $*"; }

# The wasm-bindgen CLI must equal the wasm-bindgen crate pinned in Cargo.lock.
bindgen_version() {
  awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    note "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown || fail "rustup could not add wasm32-unknown-unknown"
  fi
}

ensure_trunk() {
  if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
    note "installing trunk $TRUNK_VERSION (about 12 minutes cold)"
    cargo install --locked trunk --version "$TRUNK_VERSION" \
      || fail "cargo install trunk $TRUNK_VERSION failed (trunk 0.22 needs a newer rustc; 0.21.14 is pinned)"
  fi
}

ensure_wasm_bindgen() {
  local v; v=$(bindgen_version)
  [ -n "$v" ] || fail "no wasm-bindgen in Cargo.lock"
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $v\$"; then
    note "installing wasm-bindgen-cli $v (about 5 minutes cold)"
    # Not --locked: the CLI's own lockfile pins a crate the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$v" --force \
      || fail "cargo install wasm-bindgen-cli $v failed"
  fi
}

ensure_npm_packages() {
  if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] \
     || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    command -v npm >/dev/null || fail "npm is missing (Node.js 20 is expected on this machine)"
    note "installing npm packages (binaryen for wasm-opt, playwright-core)"
    npm ci --no-audit --no-fund || fail "npm ci failed"
  fi
}

ensure_wasm_pack() {
  if ! command -v wasm-pack >/dev/null; then
    note "installing wasm-pack (about 4 minutes cold)"
    cargo install --locked wasm-pack || fail "cargo install wasm-pack failed"
  fi
}

# Chromium for browser and end-to-end tests; a CJK font so that screenshots
# of the Chinese interface show characters, not boxes.
ensure_chromium() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
  [ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
  if [ ${#missing[@]} -gt 0 ]; then
    note "installing from Debian: ${missing[*]}"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -q || fail "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}" \
      || fail "apt-get install ${missing[*]} failed"
  fi
}

ensure_wasm_target
ensure_npm_packages
ensure_trunk
ensure_wasm_bindgen
if [ "$want" = test ] || [ "$want" = bench ]; then
  ensure_wasm_pack
  ensure_chromium
fi
note "tools ready"
