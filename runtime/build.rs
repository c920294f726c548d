//! Builds the runtime's wasm blob and exposes it to the crate as `WASM_BINARY`. With the
//! `upgrade-drill-wasm` feature (which only the test crates turn on) it also builds the same
//! runtime with `spec_version` one higher (the `upgrade-drill` feature), as
//! `upgrade_drill::WASM_BINARY`, which the runtime-upgrade drill hands to
//! `sudo(system.set_code)`. Only the runtime crate itself compiles twice: its dependencies'
//! features are the same.

// `TOKEN_SYMBOL` and `TOKEN_DECIMALS`, the same as the runtime's.
#[cfg(all(feature = "std", feature = "metadata-hash"))]
include!("src/token.rs");

#[cfg(feature = "std")]
fn builder() -> substrate_wasm_builder::WasmBuilder {
	let builder = substrate_wasm_builder::WasmBuilder::init_with_defaults();
	#[cfg(feature = "metadata-hash")]
	let builder = builder.enable_metadata_hash(TOKEN_SYMBOL, TOKEN_DECIMALS);
	builder
}

fn main() {
	#[cfg(feature = "std")]
	{
		builder().build();
		upgrade_drill();
	}
}

/// The drill's runtime, or `None` for it: in builds without `upgrade-drill-wasm`, in release
/// builds (`metadata-hash`), and when `WASM_TARGET_DIRECTORY` asks for the wasm to be copied out
/// (wasm-builder names that copy after the crate, so the drill's would replace the real one).
#[cfg(feature = "std")]
fn upgrade_drill() {
	println!("cargo:rerun-if-env-changed=WASM_TARGET_DIRECTORY");
	let wanted = cfg!(feature = "upgrade-drill-wasm")
		&& !cfg!(feature = "metadata-hash")
		&& std::env::var_os("WASM_TARGET_DIRECTORY").is_none();
	if wanted {
		builder()
			.enable_feature("upgrade-drill")
			.set_file_name("wasm_binary_upgrade_drill.rs")
			.build();
		return;
	}
	let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
	let code = "pub const WASM_BINARY_PATH: Option<&str> = None;\n\
	            pub const WASM_BINARY: Option<&[u8]> = None;\n\
	            pub const WASM_BINARY_BLOATY: Option<&[u8]> = None;\n";
	let file = out.join("wasm_binary_upgrade_drill.rs");
	std::fs::write(&file, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
}
