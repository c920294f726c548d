//! The committed chain specs in `chain-specs/` must match what `build-spec` produces from the
//! current runtime presets. Regenerate them with `scripts/gen-chain-specs.sh`.
//!
//! The runtime's wasm (`genesis.runtimeGenesis.code`) is left out of the comparison: its bytes
//! embed the build's absolute paths, so they differ between checkouts of the same commit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::process::Command;

fn without_code(mut spec: Value) -> Value {
	if let Some(genesis) =
		spec.pointer_mut("/genesis/runtimeGenesis").and_then(Value::as_object_mut)
	{
		genesis.remove("code");
	}
	spec
}

fn check(chain: &str, file: &str) {
	let output = Command::new(env!("CARGO_BIN_EXE_tensor-node"))
		.args(["build-spec", "--chain", chain, "--disable-default-bootnode"])
		.output()
		.expect("tensor-node runs");
	assert!(
		output.status.success(),
		"build-spec failed: {}",
		String::from_utf8_lossy(&output.stderr)
	);
	let fresh: Value = serde_json::from_slice(&output.stdout).expect("build-spec prints JSON");

	let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../chain-specs").join(file);
	let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
	let committed: Value = serde_json::from_slice(&committed).expect("committed spec is JSON");

	assert!(
		without_code(fresh) == without_code(committed),
		"{} is stale: run scripts/gen-chain-specs.sh and commit the result",
		path.display()
	);
}

#[test]
fn local_testnet_spec_is_fresh() {
	check("local", "local.json");
}
