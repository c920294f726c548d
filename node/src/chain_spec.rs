//! Chain specifications built from the runtime's genesis presets.

use sc_service::{ChainType, Properties};
use tensor_runtime::{SS58_PREFIX, TOKEN_DECIMALS, TOKEN_SYMBOL, WASM_BINARY};

/// The chain spec type of this chain (no extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

/// Token symbol, decimals and address format, which explorers read from `system_properties`.
pub fn chain_properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), SS58_PREFIX.into());
	properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"The runtime's wasm binary is missing: it was built with SKIP_WASM_BUILD. \
		 Rebuild without SKIP_WASM_BUILD."
			.to_string()
	})
}

/// `--dev`: one validator (Alice), Alice sudo, dev accounts endowed.
pub fn development_config() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Tensor Development")
		.with_id("tensor_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(chain_properties())
		.build())
}

/// `--chain local`: four validators (Alice, Bob, Charlie, Dave).
pub fn local_testnet_config() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Tensor Local Testnet")
		.with_id("tensor_local_testnet")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(chain_properties())
		.build())
}
