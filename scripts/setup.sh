#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine with rustup lacks to build and test the project.
# It is the single place that installs toolchain pieces and system packages; every other script
# calls it. Safe to run repeatedly: it only installs what is missing.
set -euo pipefail

log() { printf '[setup] %s\n' "$*" >&2; }

# System packages: protoc for libp2p's protobuf code, clang/libclang for bindgen users,
# OpenSSL headers and pkg-config for litep2p's WebRTC transport, cmake for some -sys crates.
apt_packages=(protobuf-compiler clang libclang-dev libssl-dev pkg-config make cmake curl)
missing=()
for pkg in "${apt_packages[@]}"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
	log "installing apt packages: ${missing[*]}"
	sudo_cmd=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || { log "need root or sudo to install: ${missing[*]}"; exit 1; }
		sudo_cmd=(sudo)
	fi
	"${sudo_cmd[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Rust: the runtime is compiled to wasm by substrate-wasm-builder, which needs these targets
# and the standard library's source.
command -v rustup >/dev/null || { log "rustup not found: install it from https://rustup.rs and re-run"; exit 1; }
installed_targets=$(rustup target list --installed)
for target in wasm32v1-none wasm32-unknown-unknown; do
	grep -qx "$target" <<<"$installed_targets" || { log "adding rust target $target"; rustup target add "$target"; }
done
rustup component list --installed | grep -q '^rust-src' || { log "adding rust-src"; rustup component add rust-src; }

# Node.js (>= 18) and npm for the polkadot.js compatibility test in scripts/test.sh.
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
	log "installing nodejs and npm"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi
log "ready"
