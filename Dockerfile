# syntax=docker/dockerfile:1
# Multi-stage build of tensor-node and tensor-miner (CPU) on the project's own setup script.
# The image runs the node; `-e TENSOR_BIN=tensor-miner IMAGE run ...` runs a miner instead.
# Not built in CI (the development machines have no Docker engine); keep in step with scripts/.
FROM rust:1-bookworm AS builder
WORKDIR /src
# Toolchain and system packages first: this layer is rebuilt only when these two files change.
COPY rust-toolchain.toml rust-toolchain.toml
COPY scripts/setup.sh scripts/setup.sh
RUN bash scripts/setup.sh
COPY . .
# The registry and the target dir live in cache mounts, so a rebuild after a source change is
# incremental (minutes, not the hour of a clean build); the binaries are copied out of the mount.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
	--mount=type=cache,target=/src/target \
	CARGO_TARGET_DIR=/src/target cargo build --release --locked -p tensor-node -p tensor-miner \
	&& mkdir -p /out && cp /src/target/release/tensor-node /src/target/release/tensor-miner /out/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libssl3 curl \
	&& rm -rf /var/lib/apt/lists/* \
	&& useradd -m -u 1000 -U -s /bin/sh -d /data tensor
COPY --from=builder /out/tensor-node /out/tensor-miner /usr/local/bin/
COPY scripts/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY chain-specs /chain-specs
# Smoke test: the binaries run in this image (their shared libraries are here).
RUN tensor-node --version && tensor-miner --version
EXPOSE 30333 9944 9615
VOLUME ["/data"]
# Ready once the node has peers (or is a dev chain) and is not major-syncing.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
	CMD curl -fsS http://127.0.0.1:9944/health/readiness || exit 1
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["--dev", "--rpc-external", "--rpc-cors", "all"]
