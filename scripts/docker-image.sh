#!/usr/bin/env bash
# Builds the Dockerfile's image without a Docker engine, with Debian's buildah, and checks that
# its binaries run in it. On a machine that reaches no image registry it first makes the two
# base images the Dockerfile names (debian:bookworm-slim by debootstrap, rust:1-bookworm on top
# of it with rustup), so the build needs only the Debian and Rust download sites.
#
#   scripts/docker-image.sh [TAG]       (default tag: tensor-chain:latest; run as root)
#
# RUN steps use `--isolation chroot` (no cgroups or user namespaces needed); the result is
# checked with `buildah from` + `buildah run`, as `podman run` needs cgroups. docs/build.md
# records the time this takes.
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-tensor-chain:latest}"
log() { echo "[docker-image] $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (buildah's chroot isolation and debootstrap need it)"
missing=()
for tool in buildah debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
	log "installing ${missing[*]}"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

has_image() { buildah images --quiet "$1" >/dev/null 2>&1; }

# debian:bookworm-slim: pulled if a registry answers, else a minbase debootstrap.
debian=docker.io/library/debian:bookworm-slim
if ! has_image "$debian" && ! timeout 60 buildah pull -q "$debian" >/dev/null 2>&1; then
	log "no registry: making $debian with debootstrap (about 3 minutes)"
	ctr=$(buildah from scratch)
	mnt=$(buildah mount "$ctr")
	debootstrap --variant=minbase bookworm "$mnt" http://deb.debian.org/debian >/dev/null
	buildah umount "$ctr" >/dev/null
	buildah config --cmd /bin/bash "$ctr"
	buildah commit -q "$ctr" "$debian" >/dev/null
	buildah rm "$ctr" >/dev/null
fi

# rust:1-bookworm: the official image's layout (rustup in /usr/local), without a toolchain:
# scripts/setup.sh installs the one rust-toolchain.toml pins.
rust=docker.io/library/rust:1-bookworm
if ! has_image "$rust" && ! timeout 60 buildah pull -q "$rust" >/dev/null 2>&1; then
	log "no registry: making $rust from $debian with rustup"
	context=$(mktemp -d)
	# This machine's own CAs (a network that inspects TLS has one) go into the builder base
	# only, so that rustup and cargo reach their sites from it as they do from here.
	mkdir -p "$context/local-ca"
	cp /usr/local/share/ca-certificates/*.crt "$context/local-ca/" 2>/dev/null || true
	touch "$context/local-ca/.keep"
	cat >"$context/Containerfile" <<-EOF
		FROM $debian
		COPY local-ca/ /usr/local/share/ca-certificates/
		ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo \\
		    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
		RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl gcc \\
		      libc6-dev git \\
		    && curl -sSfo /tmp/rustup-init \\
		      https://static.rust-lang.org/rustup/dist/x86_64-unknown-linux-gnu/rustup-init \\
		    && chmod +x /tmp/rustup-init \\
		    && /tmp/rustup-init -y --profile minimal --default-toolchain none && rm /tmp/rustup-init \\
		    && rustup --version \\
		    && rm -rf /var/lib/apt/lists/*
	EOF
	buildah bud --isolation chroot --pull=never -q -t "$rust" "$context" >/dev/null
	rm -rf "$context"
fi

log "building $tag (a clean build of the node and the miner: most of an hour on 2 cores)"
start=$(date +%s)
buildah bud --isolation chroot --pull=never --layers -t "$tag" .
log "built $tag in $(($(date +%s) - start)) s"

# The smoke test the Dockerfile runs at build time, again in a container of the final image.
ctr=$(buildah from --pull=never "$tag")
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
buildah run --isolation chroot "$ctr" -- tensor-node --version
buildah run --isolation chroot "$ctr" -- tensor-miner --version
buildah run --isolation chroot "$ctr" -- ls /chain-specs
# The entry point starts a dev node as the `tensor` user on /data, and the HEALTHCHECK's request
# answers (asked from the host: chroot isolation shares its network, hence a port outside the
# ephemeral range).
port=19944
buildah run --isolation chroot "$ctr" -- /usr/local/bin/docker-entrypoint.sh --dev \
	--rpc-port "$port" --port 30433 --no-prometheus >/tmp/docker-image-node.log 2>&1 &
node=$!
healthy=0
for _ in $(seq 60); do
	if curl -fsS "http://127.0.0.1:$port/health/readiness" >/dev/null 2>&1; then
		healthy=1
		break
	fi
	kill -0 "$node" 2>/dev/null || break
	sleep 1
done
pkill -f -- "--rpc-port $port" 2>/dev/null || true
wait "$node" 2>/dev/null || true
((healthy)) || die "the image's dev node did not answer /health/readiness (log: /tmp/docker-image-node.log)"
log "the image's dev node answered /health/readiness on port $port"
buildah images "$tag"
