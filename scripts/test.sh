#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test: unit and property tests,
# the pallet's benchmark tests, the runtime's try-runtime upgrade checks, the chain-spec
# staleness check, the end-to-end tests against the real node binary and the polkadot.js
# compatibility test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-node
source scripts/env.sh

step() { printf '\n==> %s\n' "$*"; }

step "workspace tests (release profile: unit, property, end-to-end)"
cargo test --release --locked --workspace

step "pallet benchmarks as tests (feature runtime-benchmarks)"
cargo test --release --locked -p pallet-incentive --features runtime-benchmarks benchmarking

step "runtime upgrade checks (feature try-runtime: each migration's pre/post checks, every pallet's try_state)"
# Native tests of the runtime's upgrade path; they never load the wasm, so its build is skipped.
SKIP_WASM_BUILD=1 cargo test --release --locked -p tensor-runtime --features try-runtime upgrade

step "polkadot.js compatibility (tests/polkadotjs, against a dev node)"
(cd tests/polkadotjs && npm ci --no-audit --no-fund --silent && TENSOR_NODE="$TENSOR_NODE" node test.mjs)

step "all tests passed"
