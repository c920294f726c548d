#!/usr/bin/env bash
# Regenerates chain-specs/ from the runtime's genesis presets with the node's `build-spec`.
# Run it after changing the runtime or a preset; node/tests/chain_specs.rs fails while the
# committed specs are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
[ -x "$TENSOR_NODE" ] || cargo build --release --locked -p tensor-node
mkdir -p chain-specs
"$TENSOR_NODE" build-spec --chain local --disable-default-bootnode > chain-specs/local.json 2>/dev/null
echo "wrote chain-specs/local.json"
