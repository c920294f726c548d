//! The committed chain specs in `chain-specs/` must match what `build-spec` produces from the
//! current runtime presets. Regenerate them with `scripts/gen-chain-specs.sh`.
//!
//! The runtime's wasm (`genesis.runtimeGenesis.code`) is not compared byte for byte: its bytes
//! embed the build's absolute paths, so they differ between checkouts of the same commit.
//! Instead the version embedded in the committed code (its `runtime_version` section: spec name
//! and version, impl and transaction versions, runtime APIs) must be the runtime's `VERSION`:
//! a runtime change that bumps a version, as every change of logic or storage must, makes a
//! spec whose code was not regenerated fail here. A change that bumps nothing is not caught.
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

	let code = comparable(committed_code_version(&committed));
	assert!(
		without_code(fresh) == without_code(committed),
		"{} is stale: run scripts/gen-chain-specs.sh and commit the result",
		path.display()
	);
	assert_eq!(
		code,
		comparable(tensor_runtime::VERSION),
		"{}'s runtime code is of another version than the runtime's: run \
		 scripts/gen-chain-specs.sh and commit the result",
		path.display()
	);
}

/// A version with its runtime APIs in one order (the wasm's section lists them in another order
/// than the native constant).
fn comparable(mut version: sc_executor::RuntimeVersion) -> sc_executor::RuntimeVersion {
	version.apis.to_mut().sort();
	version
}

/// The runtime version embedded in a spec's wasm (`genesis.runtimeGenesis.code`).
fn committed_code_version(spec: &Value) -> sc_executor::RuntimeVersion {
	let hex = spec.pointer("/genesis/runtimeGenesis/code").and_then(Value::as_str);
	embedded_version(
		&sp_core::bytes::from_hex(hex.expect("the spec has its runtime code")).unwrap(),
	)
}

/// The version in a runtime's `runtime_version` section.
fn embedded_version(code: &[u8]) -> sc_executor::RuntimeVersion {
	use sc_executor_common::runtime_blob::RuntimeBlob;
	let blob = RuntimeBlob::uncompress_if_needed(code).expect("the code is wasm");
	sc_executor::read_embedded_version(&blob)
		.expect("the version section decodes")
		.expect("the code embeds its version")
}

#[test]
fn local_testnet_spec_is_fresh() {
	check("local", "local.json");
}

/// The runtime the upgrade drill installs (`tensor_runtime::upgrade_drill`) is this one with
/// `spec_version` one higher and every other field the same: a bump of `VERSION` that forgets
/// the drill's copy fails here, in a second, rather than as a refused `set_code` in the drill.
#[test]
fn upgrade_drill_runtime_is_this_one_a_spec_version_up() {
	let code = tensor_runtime::upgrade_drill::WASM_BINARY
		.expect("tensor-runtime built without `upgrade-drill-wasm` or with SKIP_WASM_BUILD");
	let mut expected = tensor_runtime::VERSION;
	expected.spec_version = expected.spec_version.checked_add(1).unwrap();
	assert_eq!(
		comparable(embedded_version(code)),
		comparable(expected),
		"runtime/src/lib.rs: the upgrade-drill VERSION must be VERSION with spec_version + 1"
	);
}
