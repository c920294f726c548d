#!/usr/bin/env bash
# Installs what is missing, builds the node and starts a development chain on
# ws://127.0.0.1:9944 (Alice authors and finalizes, dev accounts are endowed). Ctrl-C stops it.
# Extra arguments go to tensor-node, e.g. `scripts/dev.sh --sealing instant`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
cargo build --release --locked -p tensor-node
exec "$TENSOR_NODE" --dev --tmp --rpc-cors all "$@"
