#!/usr/bin/env bash
# The node's own benchmarks on this machine, with the node built with `runtime-benchmarks` (a
# second build of polkadot-sdk, see docs/build.md; `cargo build --release -p tensor-node`
# afterwards puts the normal node back):
#   machine    this machine against Substrate's reference hardware (CPU, memory, disk)
#   overhead   the base weight of an empty block and of one extrinsic, in the runtime's wasm
#   extrinsic  one signed balances.transfer_keep_alive, executed in a full block
#   storage    reads and writes of the dev genesis state (rerun on a synced node's base path for a
#              grown chain's figures)
# Results (and the Rust weight files `overhead` and `storage` write) go to OUT. `benchmark block`
# re-executes blocks of an existing database (--from/--to) and is not run here.
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

step "extrinsic: balances.transfer_keep_alive"
"$node" benchmark extrinsic --chain dev --pallet balances --extrinsic transfer_keep_alive \
	--warmup 3 --repeat "$repeat" 2>&1 | tee "$out/extrinsic.txt"

# --batch-size 1: one commit a key (the dev state has 38 keys; a batch larger than that writes
# nothing and fails with "Empty input is invalid").
step "storage: reads and writes of the dev state ($out/*_weights.rs)"
"$node" benchmark storage --chain dev --base-path "$out/storage" --state-version 1 \
	--batch-size 1 --weight-path "$out" 2>&1 | tee "$out/storage.txt"

echo "results in $out"
