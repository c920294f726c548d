# Sourced by the other scripts: one target directory for scripts, CI and developers, so that
# every build after the first is incremental.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/incentive-chain/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Every test and script uses the release profile: one build of polkadot-sdk, not two.
TENSOR_NODE="$CARGO_TARGET_DIR/release/tensor-node"
export TENSOR_NODE
