#!/usr/bin/env bash
# The node's own benchmarks on this machine, with the node built with `runtime-benchmarks` (a
# second build of polkadot-sdk, see docs/build.md; `cargo build --release -p tensor-node`
# afterwards puts the normal node back):
#   machine    this machine against Substrate's reference hardware (CPU, memory, disk)
#   overhead   the base weight of an empty block and of one extrinsic, in the runtime's wasm
# Results (and the Rust weight files `overhead` writes) go to OUT. The node also has `benchmark
# extrinsic|block|storage`, which run on the node's own client; they fail today with "runtime
# requires function imports which are not present on the host: ext_benchmarking_*" until the
# service's executor takes frame-benchmarking's host functions under this feature.
#
# Usage: scripts/bench-node.sh [OUT]      (default $CARGO_TARGET_DIR/node-bench; REPEAT=20)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
out="${1:-$CARGO_TARGET_DIR/node-bench}"
repeat="${REPEAT:-20}"
# See scripts/bench-weights.sh: only `benchmark storage` in PoV-validation mode needs that wasm.
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1
cargo build --release --locked -p tensor-node --features runtime-benchmarks
node="$TENSOR_NODE"
rm -rf "$out"
mkdir -p "$out"
step() { printf '\n==> %s\n' "$*"; }

step "machine: this machine against the reference hardware"
"$node" benchmark machine --chain dev --base-path "$out/machine" --allow-fail 2>&1 |
	tee "$out/machine.txt"

step "overhead: base weights of a block and of an extrinsic ($out/*_weights.rs)"
"$node" benchmark overhead --chain dev --warmup 3 --repeat "$repeat" --weight-path "$out" 2>&1 |
	tee "$out/overhead.txt"

echo "results in $out"
