#!/usr/bin/env bash
# The GPU side of docs/benchmarks.md: `tensor-miner bench --device cuda` against PyTorch CUDA
# (scripts/bench_torch.py) on the same model, batch, optimizer and data, for each binary named,
# then a short real training run on CUDA. Run it on the GPU machine from the repository root:
#
#   scripts/bench-gpu.sh BINARY [BINARY...]
#
# Each BINARY is a `cargo build --release -p tensor-miner --features cuda` build (gzip-compressed
# ones, ending in .gz, are unpacked first). Logs go to $OUT (the device tool's folder) or
# ./bench-gpu-out. Nothing in CI runs this: CI has no GPU.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-bench-gpu-out}"
mkdir -p "$out"
log="$out/bench-gpu.log"
batches="${BATCHES:-16 64 256}"
steps="${STEPS:-20}"
warmup="${WARMUP:-10}"

say() { echo "$@" | tee -a "$log"; }
run() { say "\$ $*"; "$@" 2>&1 | tee -a "$log"; say "(exit ${PIPESTATUS[0]})"; }

# cudarc loads NVRTC (Burn compiles its kernels at run time) by name; point the loader at the
# toolkit's copy if the system's cache lacks it.
if ! ldconfig -p | grep -q libnvrtc; then
	nvrtc="$(find /usr/local/cuda*/ /opt -name 'libnvrtc.so*' 2>/dev/null | head -1)"
	[[ -n "$nvrtc" ]] && export LD_LIBRARY_PATH="$(dirname "$nvrtc")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
say "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
run nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,memory.total,memory.used \
	--format=csv
run python3 -c "import torch; print('torch', torch.__version__, torch.version.cuda, torch.cuda.get_device_name())"

bins=()
for bin in "$@"; do
	if [[ "$bin" == *.gz ]]; then
		unpacked="/tmp/$(basename "${bin%.gz}")"
		gunzip -c "$bin" >"$unpacked" && chmod +x "$unpacked"
		bin="$unpacked"
	fi
	bins+=("$bin")
done

for bin in "${bins[@]}"; do
	# `auto` must choose CUDA here and say on which card.
	RUST_LOG=info run timeout 120 "$bin" bench --device auto --preset tiny --steps 2 --warmup 1
done
# Each batch size with every binary in turn, so that a run cut short still compares them.
for batch in $batches; do
	for bin in "${bins[@]}"; do
		say "=== $(basename "$bin"), batch $batch"
		run timeout 150 "$bin" bench --device cuda --preset gpu --batch-size "$batch" \
			--steps "$steps" --warmup "$warmup" --against-torch scripts/bench_torch.py
	done
done

# Real training on CUDA with the first binary, on real text: the log shows loss.csv's first and
# last rows, to see that the loss fell.
if [[ ${#bins[@]} -gt 0 && -z "${SKIP_TRAIN:-}" ]]; then
	say "=== training on CUDA ($(basename "${bins[0]}"))"
	rm -rf /tmp/gpu-train
	RUST_LOG=info run timeout 100 "${bins[0]}" train --device cuda --preset gpu --batch-size 64 \
		--corpus miner/tests/data/voyages.txt --data-dir /tmp/gpu-train --steps 300 --eval-every 100
	cp /tmp/gpu-train/*.csv /tmp/gpu-train/*.json "$out/" 2>/dev/null
	run sh -c "head -2 /tmp/gpu-train/loss.csv; tail -1 /tmp/gpu-train/loss.csv"
fi
say "=== summary"
grep -E "^(gpu:|device=|torch |===)" "$log" | tee "$out/summary.txt"
