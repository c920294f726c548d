//! Builds the runtime's wasm blob and exposes it to the crate as `WASM_BINARY`; in a plain
//! native build also the same runtime with `spec_version` one higher (the `upgrade-drill`
//! feature), as `upgrade_drill::WASM_BINARY`, which the runtime-upgrade drill hands to
//! `sudo(system.set_code)`. Only the runtime crate itself compiles twice: its dependencies'
//! features are the same.

#[cfg(feature = "std")]
fn builder() -> substrate_wasm_builder::WasmBuilder {
	let builder = substrate_wasm_builder::WasmBuilder::init_with_defaults();
	#[cfg(feature = "metadata-hash")]
	let builder = builder.enable_metadata_hash("TAO", 9);
	builder
}

fn main() {
	#[cfg(feature = "std")]
	builder().build();
	// Not for benchmark or try-runtime builds, which never run the drill.
	#[cfg(all(
		feature = "std",
		not(feature = "upgrade-drill"),
		not(feature = "runtime-benchmarks"),
		not(feature = "try-runtime")
	))]
	builder()
		.enable_feature("upgrade-drill")
		.set_file_name("wasm_binary_upgrade_drill.rs")
		.build();
	#[cfg(all(
		feature = "std",
		any(feature = "upgrade-drill", feature = "runtime-benchmarks", feature = "try-runtime")
	))]
	no_upgrade_drill();
}

/// The drill's blob is absent from this build: `upgrade_drill::WASM_BINARY` is `None`.
#[cfg(all(
	feature = "std",
	any(feature = "upgrade-drill", feature = "runtime-benchmarks", feature = "try-runtime")
))]
fn no_upgrade_drill() {
	let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
	let code = "pub const WASM_BINARY: Option<&[u8]> = None;\n\
	            pub const WASM_BINARY_BLOATY: Option<&[u8]> = None;\n";
	std::fs::write(out.join("wasm_binary_upgrade_drill.rs"), code).expect("OUT_DIR is writable");
}
