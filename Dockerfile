# Multi-stage build of tensor-node and tensor-miner (CPU) on the project's own setup script.
# The image runs the node; `docker run --entrypoint tensor-miner IMAGE run ...` runs a miner.
# Not built in CI (the development machines have no Docker engine); keep in step with scripts/.
FROM rust:1-bookworm AS builder
WORKDIR /src
COPY rust-toolchain.toml rust-toolchain.toml
COPY scripts/setup.sh scripts/setup.sh
RUN bash scripts/setup.sh
COPY . .
ENV CARGO_TARGET_DIR=/src/target
RUN cargo build --release --locked -p tensor-node -p tensor-miner

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libssl3 \
	&& rm -rf /var/lib/apt/lists/* \
	&& useradd -m -u 1000 -U -s /bin/sh -d /data tensor
COPY --from=builder /src/target/release/tensor-node /usr/local/bin/tensor-node
COPY --from=builder /src/target/release/tensor-miner /usr/local/bin/tensor-miner
COPY chain-specs /chain-specs
USER tensor
EXPOSE 30333 9944 9615
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/tensor-node", "--base-path", "/data"]
CMD ["--dev", "--rpc-external", "--rpc-cors", "all"]
