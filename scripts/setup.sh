#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine with rustup lacks to build the project:
#
#   scripts/setup.sh               apt packages, the Rust toolchain of rust-toolchain.toml, its
#                                  wasm targets and rust-src (scripts/dev.sh, the Dockerfile)
#   scripts/setup.sh --with-node   the same, and Node.js >= 18 with npm for the polkadot.js
#                                  test (scripts/test.sh)
#   scripts/setup.sh --with-corpus the same, and Debian's `fortunes` package: natural English
#                                  text the dev miners train on (scripts/dev.sh)
#
# It is the one place that installs toolchain pieces and system packages. Safe to run
# repeatedly: it installs only what is missing, and prints only "ready" when nothing is.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

with_node=0
with_corpus=0
for arg in "$@"; do
	case "$arg" in
	--with-node) with_node=1 ;;
	--with-corpus) with_corpus=1 ;;
	-h | --help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument: $arg (usage: scripts/setup.sh [--with-node] [--with-corpus])" ;;
	esac
done

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "need root or sudo to run: $*"
	fi
}

# apt-get install, after one apt-get update per run.
apt_updated=0
apt_install() {
	log "installing apt packages: $*"
	if ((!apt_updated)); then
		as_root apt-get update -qq
		apt_updated=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
	hash -r
}

# System packages: protoc for libp2p's protobuf code, clang/libclang for bindgen users,
# OpenSSL headers and pkg-config for litep2p's WebRTC transport, cmake for some -sys crates.
apt_packages=(protobuf-compiler clang libclang-dev libssl-dev pkg-config make cmake curl)
missing=()
for pkg in "${apt_packages[@]}"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((with_corpus)); then
	# About 2.5 MB of quotations, jokes, poems and definitions in topic files under
	# /usr/share/games/fortunes (entries separated by lines holding only `%`).
	dpkg-query -W -f='${Status}' fortunes 2>/dev/null | grep -q 'install ok installed' || missing+=(fortunes)
fi
if ((${#missing[@]})); then
	apt_install "${missing[@]}"
fi

# Rust: rust-toolchain.toml pins the toolchain; the runtime is compiled to wasm by
# substrate-wasm-builder, which needs the wasm targets and the standard library's source.
command -v rustup >/dev/null || die "rustup not found: install it from https://rustup.rs and re-run"
if [ -f rust-toolchain.toml ]; then
	channel=$(sed -n 's/^channel *= *"\([^"]*\)".*/\1/p' rust-toolchain.toml)
	toolchains=$(rustup toolchain list)
	if [ -n "$channel" ] && ! grep -q "^$channel-" <<<"$toolchains"; then
		log "installing Rust $channel (rust-toolchain.toml)"
		rustup toolchain install "$channel" --profile minimal
	fi
fi
installed_targets=$(rustup target list --installed)
for target in wasm32v1-none wasm32-unknown-unknown; do
	grep -qx "$target" <<<"$installed_targets" || { log "adding rust target $target"; rustup target add "$target"; }
done
installed_components=$(rustup component list --installed)
grep -q '^rust-src' <<<"$installed_components" || { log "adding rust-src"; rustup component add rust-src; }

# Node.js >= 18 and npm, only for the polkadot.js compatibility test in scripts/test.sh.
node_min=18
node_major() { # the major version of `node` on PATH, or nothing
	local v
	v=$(node --version 2>/dev/null) || return 0
	v=${v#v}
	v=${v%%.*}
	if [[ $v =~ ^[0-9]+$ ]]; then printf '%s' "$v"; fi
}
node_new_enough() { local m; m=$(node_major); [ -n "$m" ] && ((m >= node_min)); }
if ((with_node)); then
	# nodejs first: NodeSource's package ships npm and conflicts with Debian's separate one.
	node_new_enough || apt_install nodejs
	if ! node_new_enough; then
		found="none"
		command -v node >/dev/null && found="$(node --version 2>/dev/null || echo '?') at $(command -v node)"
		die "tests/polkadotjs needs Node.js >= $node_min; found: $found, after trying the distribution's nodejs.
  Install a newer one, e.g. from NodeSource, then re-run:
    curl -fsSL https://deb.nodesource.com/setup_22.x | sudo -E bash - && sudo apt-get install -y nodejs"
	fi
	command -v npm >/dev/null || apt_install npm
	command -v npm >/dev/null || die "npm not found after installing it; install npm and re-run"
fi
log "ready"
