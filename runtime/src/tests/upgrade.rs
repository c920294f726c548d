//! The runtime's upgrade path under `try-runtime`: `Executive::try_runtime_upgrade` runs the
//! `Migrations` tuple with each migration's `pre_upgrade`/`post_upgrade` and every pallet's
//! `try_state`, as `try-runtime-cli on-runtime-upgrade` does against a live chain's state.
//! Run with `cargo test --release -p tensor-runtime --features try-runtime upgrade`.

use frame_support::traits::{GetStorageVersion, StorageVersion, UpgradeCheckSelect};
use pallet_incentive::migrations::v2::v1;
use serde_json::Value;
use sp_keyring::Sr25519Keyring;
use sp_runtime::BuildStorage;

use crate::{Executive, Incentive, Runtime, RuntimeGenesisConfig, RuntimeOrigin, TAO};

/// `patch` laid over `base`, as the node applies a preset to the default genesis config.
fn merge(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(base), Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(Value::Null), value);
			}
		}
		(base, patch) => *base = patch,
	}
}

/// The `development` preset's genesis state.
fn dev_genesis() -> sp_io::TestExternalities {
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	merge(&mut config, crate::genesis_config_presets::development_config_genesis());
	let config: RuntimeGenesisConfig = serde_json::from_value(config).unwrap();
	config.build_storage().unwrap().into()
}

/// Bob, Charlie and Dave register; Bob and Charlie weight each other.
fn register_three() {
	let axon = pallet_incentive::AxonInfo::ipv4([10, 0, 0, 1], 8091, 1);
	frame_system::Pallet::<Runtime>::set_block_number(1);
	let keys = [Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Dave];
	for key in keys {
		let origin = RuntimeOrigin::signed(key.to_account_id());
		Incentive::register(origin, 10 * TAO, Some(axon), 1_000 * TAO).unwrap();
	}
	frame_system::Pallet::<Runtime>::set_block_number(2);
	for (key, weights) in
		[(Sr25519Keyring::Bob, [(0, 1), (1, 3)]), (Sr25519Keyring::Charlie, [(0, 3), (1, 1)])]
	{
		let origin = RuntimeOrigin::signed(key.to_account_id());
		Incentive::set_weights(origin, weights.to_vec()).unwrap();
	}
}

/// Rewrites the pallet's state into version 1's layout: records without `operator`, no
/// `Operators` map, the reverse edge index `Inbound`, no `MechanismConfig` (version 3's),
/// storage version 1.
fn downgrade_to_v1() {
	let records: Vec<_> = pallet_incentive::Neurons::<Runtime>::iter().collect();
	for (uid, record) in records {
		pallet_incentive::Operators::<Runtime>::remove(&record.operator);
		pallet_incentive::Neurons::<Runtime>::remove(uid);
		v1::Neurons::<Runtime>::insert(
			uid,
			v1::OldRecord {
				account: record.account,
				held_stake: record.held_stake,
				registered_at: record.registered_at,
				last_weights_at: record.last_weights_at,
				axon: record.axon,
			},
		);
	}
	for (source, edges) in pallet_incentive::Weights::<Runtime>::iter() {
		for (target, _) in edges {
			v1::Inbound::<Runtime>::insert(target, source, ());
		}
	}
	pallet_incentive::MechanismConfig::<Runtime>::kill();
	StorageVersion::new(1).put::<Incentive>();
}

#[test]
fn upgrade_from_v1_passes_every_migration_check_and_try_state() {
	dev_genesis().execute_with(|| {
		register_three();
		downgrade_to_v1();
		assert_eq!(Incentive::on_chain_storage_version(), 1);
		assert!(v1::Inbound::<Runtime>::iter_keys().next().is_some());

		Executive::try_runtime_upgrade(UpgradeCheckSelect::All).unwrap();

		assert_eq!(Incentive::on_chain_storage_version(), Incentive::in_code_storage_version());
		assert_eq!(pallet_incentive::Neurons::<Runtime>::iter().count(), 3);
		for (uid, record) in pallet_incentive::Neurons::<Runtime>::iter() {
			assert_eq!(record.operator, record.account);
			assert_eq!(pallet_incentive::Operators::<Runtime>::get(&record.operator), Some(uid));
		}
		assert!(v1::Inbound::<Runtime>::iter_keys().next().is_none());
		assert!(pallet_incentive::MechanismConfig::<Runtime>::exists(), "v3 wrote the mechanism");
		// Run again, as try-runtime-cli does to check idempotency: every migration is a no-op.
		Executive::try_runtime_upgrade(UpgradeCheckSelect::All).unwrap();
	});
}

#[test]
fn the_checks_catch_a_broken_state() {
	dev_genesis().execute_with(|| {
		register_three();
		Executive::try_runtime_upgrade(UpgradeCheckSelect::All).unwrap();
		// An operator index entry no record backs: `try_state` must refuse the upgrade.
		pallet_incentive::Operators::<Runtime>::insert(Sr25519Keyring::Ferdie.to_account_id(), 0);
		let refused = Executive::try_runtime_upgrade(UpgradeCheckSelect::All);
		assert!(refused.is_err(), "a broken operator index passed the checks");
		// Without `try_state` the same upgrade goes through.
		Executive::try_runtime_upgrade(UpgradeCheckSelect::PreAndPost).unwrap();
	});
}
