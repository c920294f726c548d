#!/usr/bin/env bash
# Regenerates pallets/incentive/src/weights.rs from the pallet's benchmarks, run in the runtime's
# wasm on this machine by `tensor-node benchmark pallet`. Needs the node built with the
# `runtime-benchmarks` feature: a second full build of polkadot-sdk (see docs/build.md), which
# leaves a node with benchmarking in $TENSOR_NODE; `cargo build --release -p tensor-node`
# afterwards puts the normal one back (its crates stay cached).
#
# Usage: scripts/bench-weights.sh [STEPS] [REPEAT]     (defaults 10 and 3: the payout
# benchmarks set up to 4,096 neurons and 1,048,576 edges per run, so more takes long here)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
steps=${1:-10}
repeat=${2:-3}

# frame-benchmarking-cli depends on a test runtime whose wasm build cannot find its package while
# WASM_BUILD_WORKSPACE_HINT (.cargo/config.toml) points at this workspace; `benchmark pallet`
# does not use that runtime, so skip building its wasm.
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1
cargo build --release --locked -p tensor-node --features runtime-benchmarks
"$TENSOR_NODE" benchmark pallet \
	--chain dev \
	--pallet pallet_incentive \
	--extrinsic '*' \
	--steps "$steps" \
	--repeat "$repeat" \
	--wasm-execution compiled \
	--heap-pages 4096 \
	--template pallets/incentive/src/weight-template.hbs \
	--output pallets/incentive/src/weights.rs
echo "weights written to pallets/incentive/src/weights.rs; rebuild the runtime to use them"
