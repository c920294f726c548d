//! Genesis presets: `development` (one authority, Alice, for `--dev`) and `local_testnet`
//! (Alice, Bob, Charlie and Dave as authorities). Both endow the well-known dev accounts and
//! make Alice sudo.

use crate::{AccountId, BalancesConfig, RuntimeGenesisConfig, SudoConfig, TAO};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::{json, Value};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// Free balance given to each endowed dev account: 1,000,000 TAO.
pub const DEV_ENDOWMENT: crate::Balance = 1_000_000 * TAO;

/// Incentive parameters for development networks: payouts every 10 blocks (one minute) and
/// weights settable every block, so that ranks and emission move while you watch; removed
/// stake unbonds for two payouts, and registering costs 1 TAO, doubling with each registration
/// and halving back every 100 blocks (up to 1000 TAO).
fn dev_incentive_params() -> Value {
	json!({
		"emissionPerBlock": TAO,
		"tempo": 10,
		"emissionDestination": "stake",
		"maxRankingPasses": 100,
		"maxNeurons": 256,
		"maxEdges": 64,
		"minStake": TAO,
		"weightsRateLimit": 1,
		"immunityPeriod": 100,
		"unbondingPeriod": 20,
		"registrationFeeFloor": TAO,
		"registrationFeeCeiling": 1_000 * TAO,
		"registrationFeeGrowthPercent": 200,
		"registrationFeeHalfLife": 100,
	})
}

/// Builds the genesis JSON patch shared by the presets.
fn testnet_genesis(
	initial_authorities: Vec<(AuraId, GrandpaId)>,
	endowed_accounts: Vec<AccountId>,
	root: AccountId,
) -> Value {
	let mut patch = build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts
				.iter()
				.cloned()
				.map(|k| (k, DEV_ENDOWMENT))
				.collect::<Vec<_>>(),
		},
		aura: pallet_aura::GenesisConfig {
			authorities: initial_authorities.iter().map(|x| x.0.clone()).collect::<Vec<_>>(),
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: initial_authorities.iter().map(|x| (x.1.clone(), 1)).collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root) },
	});
	if let Some(patch) = patch.as_object_mut() {
		patch.insert("incentive".into(), json!({ "params": dev_incentive_params() }));
	}
	patch
}

/// Aura (sr25519) and GRANDPA (ed25519) keys of a dev authority such as Alice, derived from
/// the same `//Name` URI, as `tensor-node key insert --suri //Name` derives them.
fn authority_keys((aura, grandpa): (Sr25519Keyring, Ed25519Keyring)) -> (AuraId, GrandpaId) {
	(aura.public().into(), grandpa.public().into())
}

/// The `development` preset: Alice authors and finalizes alone.
pub fn development_config_genesis() -> Value {
	testnet_genesis(
		vec![authority_keys((Sr25519Keyring::Alice, Ed25519Keyring::Alice))],
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// The `local_testnet` preset: four authorities, Alice to Dave.
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		[
			(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		]
		.into_iter()
		.map(authority_keys)
		.collect(),
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// The JSON of the named preset, or `None` if there is no such preset.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	Some(serde_json::to_string(&patch).unwrap_or_default().into_bytes())
}

/// The names of the presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
