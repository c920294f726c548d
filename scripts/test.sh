#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test: unit and property tests,
# the pallet's benchmark tests, the chain-spec staleness check and the end-to-end tests
# against the real node binary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

step() { printf '\n==> %s\n' "$*"; }

step "workspace tests (release profile: unit, property, end-to-end)"
cargo test --release --locked --workspace

step "pallet benchmarks as tests (feature runtime-benchmarks)"
cargo test --release --locked -p pallet-incentive --features runtime-benchmarks benchmarking

step "all tests passed"
