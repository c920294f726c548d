#!/usr/bin/env bash
# Installs what is missing, builds the node and starts a development chain on
# ws://127.0.0.1:9944 (Alice authors and finalizes, dev accounts are endowed). Ctrl-C stops it.
# Extra arguments go to tensor-node, e.g. `scripts/dev.sh --sealing instant`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

# Before the first build: what it costs, and the free disk space where it goes.
first_build_gb=16 # a full target directory (node, miner, tests, benchmarks) is about 15 GiB
if [ ! -x "$TENSOR_NODE" ]; then
	dir="$CARGO_TARGET_DIR"
	while [ ! -d "$dir" ]; do dir=$(dirname "$dir"); done
	free_bytes=$(df -P -B1 "$dir" | awk 'NR == 2 { print $4 }')
	cat >&2 <<-EOF
		[dev] No node binary yet ($TENSOR_NODE).
		[dev] The first build compiles polkadot-sdk and takes most of an hour on a 2-core machine
		[dev] (docs/build.md: about 41 min for the node and all test binaries from a clean target
		[dev] directory); later builds are incremental.
		[dev] It needs about $first_build_gb GB of disk under $CARGO_TARGET_DIR, plus about 2 GB of
		[dev] crate sources under ${CARGO_HOME:-~/.cargo}. Free space there:
	EOF
	df -h "$dir" >&2
	if [[ $free_bytes =~ ^[0-9]+$ ]] && ((free_bytes < first_build_gb * 1000 * 1000 * 1000)); then
		printf '[dev] warning: less than %s GB free; set CARGO_TARGET_DIR to a larger disk\n' \
			"$first_build_gb" >&2
	fi
fi

cargo build --release --locked -p tensor-node
exec "$TENSOR_NODE" --dev --tmp --rpc-cors all "$@"
