#!/usr/bin/env bash
# The miner's training step on Burn's Flex and LibTorch backends beside PyTorch, one process per
# preset and thread count (docs/benchmarks.md, "Burn's LibTorch backend").
#
# Needs PyTorch 2.9.0 (tch 0.22's pin) in a virtualenv: the default $TORCH_VENV is made with
# `pip install torch==2.9.0` when missing (about 3.5 GB with its CUDA libraries, which `import
# torch` loads even on a CPU). torch-sys links against that install (LIBTORCH_USE_PYTORCH=1).
#
# Usage: scripts/bench-libtorch.sh [ROUNDS]   (default 3; presets tiny and small, 1 and all threads)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-3}"
TORCH_VENV="${TORCH_VENV:-$HOME/.cache/incentive-chain/torch-2.9}"
TARGET="${LIBTORCH_BENCH_TARGET:-$HOME/.cache/incentive-chain/libtorch-bench-target}"
if ! "$TORCH_VENV/bin/python" -c 'import torch; assert torch.__version__.startswith("2.9.0")' 2>/dev/null; then
	python3 -m venv "$TORCH_VENV"
	"$TORCH_VENV/bin/pip" install -q torch==2.9.0
fi
export VIRTUAL_ENV="$TORCH_VENV" PATH="$TORCH_VENV/bin:$PATH" LIBTORCH_USE_PYTORCH=1
TORCH_LIB="$("$TORCH_VENV/bin/python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null)"
export LD_LIBRARY_PATH="$TORCH_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
start=$(date +%s)
cargo build --release --locked --manifest-path miner/libtorch-bench/Cargo.toml --target-dir "$TARGET"
echo "build: $(( $(date +%s) - start )) s"
for preset in tiny small; do
	for threads in 1 "$(nproc)"; do
		"$TARGET/release/libtorch-bench" "$preset" "$threads" "$ROUNDS" "$TORCH_VENV/bin/python" scripts/bench_torch.py
	done
done
