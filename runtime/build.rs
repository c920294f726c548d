//! Builds the runtime's wasm blob and exposes it to the crate as `WASM_BINARY`.

fn main() {
	#[cfg(feature = "std")]
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}
