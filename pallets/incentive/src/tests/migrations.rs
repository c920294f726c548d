//! The storage migrations: build the old layout, migrate, check every item.

use super::*;
use crate::{
	migrations::{
		v1::{v0, MigrateV0ToV1},
		v2::{v1, MigrateV1ToV2},
		v3::MigrateV2ToV3,
	},
	IncentiveParams, LastRegistrationPrice, NeuronPayout, Neurons, Operators, Params, Payouts,
	TotalBurned, Unbonding, Weights,
};
use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
use sp_arithmetic::Perquintill;

/// Version 0's parameters, as the test parameters were before version 1.
fn old_params(tempo: BlockNumber) -> v0::OldParams<Balance, BlockNumber> {
	let p = test_params();
	v0::OldParams {
		emission_per_block: p.emission_per_block,
		tempo,
		emission_destination: p.emission_destination,
		max_ranking_passes: p.max_ranking_passes,
		max_neurons: p.max_neurons,
		max_edges: p.max_edges,
		min_stake: p.min_stake,
		weights_rate_limit: p.weights_rate_limit,
		immunity_period: p.immunity_period,
	}
}

/// Rewrites the neuron records and the edge index into the layout of versions 0 and 1: records
/// without an operator, no `Operators`, and `Inbound` for every stored edge.
fn write_v1_records() {
	let records: Vec<_> = Neurons::<Test>::iter().collect();
	for (uid, record) in records {
		Neurons::<Test>::remove(uid);
		v1::Neurons::<Test>::insert(
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
	let _ = Operators::<Test>::clear(u32::MAX, None);
	for (source, edges) in Weights::<Test>::iter() {
		for (target, _) in edges {
			v1::Inbound::<Test>::insert(target, source, ());
		}
	}
}

fn old_payout(rank: u64, unsettled: Balance) -> v0::OldPayout<Balance> {
	v0::OldPayout {
		rank: Perquintill::from_parts(rank),
		last_emission: 7 * rank as Balance,
		total_emission: 11 * rank as Balance,
		unsettled_stake: unsettled,
	}
}

#[test]
fn v0_to_v1_adds_the_new_params_and_ranked_stake() {
	// Two neurons (uids 0 and 2) with a hole at uid 1, written in version 0's layout.
	ExtBuilder::default()
		.neurons(vec![(1, 300, vec![]), (2, 200, vec![]), (3, 500, vec![])])
		.build()
		.execute_with(|| {
			frame_support::assert_ok!(Incentive::unregister(RuntimeOrigin::signed(2)));
			// Unregistering unbonds; version 0 had no unbonding, so give the money back.
			let _ = Unbonding::<Test>::take(2);
			frame_support::assert_ok!(<Balances as frame_support::traits::fungible::MutateHold<
				AccountId,
			>>::release_all(
				&RuntimeHoldReason::Incentive(crate::HoldReason::Unbonding),
				&2,
				frame_support::traits::tokens::Precision::Exact,
			));
			let long_tempo = 500;
			v0::Params::<Test>::put(old_params(long_tempo));
			let old = vec![old_payout(5, 40), old_payout(0, 0), old_payout(9, 0)];
			v0::Payouts::<Test>::put(frame_support::BoundedVec::truncate_from(old));
			write_v1_records();
			StorageVersion::new(0).put::<Incentive>();

			MigrateV0ToV1::<Test>::on_runtime_upgrade();

			assert_eq!(Incentive::on_chain_storage_version(), StorageVersion::new(1));
			let defaults = IncentiveParams::<Balance, BlockNumber>::default();
			assert_eq!(
				Params::<Test>::get(),
				IncentiveParams {
					tempo: long_tempo,
					// The default (200) is shorter than this tempo, so tempo it is.
					unbonding_period: long_tempo,
					registration_fee_floor: defaults.registration_fee_floor,
					registration_fee_ceiling: defaults.registration_fee_ceiling,
					registration_fee_growth_percent: defaults.registration_fee_growth_percent,
					registration_fee_half_life: defaults.registration_fee_half_life,
					..test_params()
				}
			);
			let expected = |old: v0::OldPayout<Balance>, ranked_stake| NeuronPayout {
				rank: old.rank,
				last_emission: old.last_emission,
				total_emission: old.total_emission,
				unsettled_stake: old.unsettled_stake,
				ranked_stake,
			};
			assert_eq!(
				Payouts::<Test>::get().into_inner(),
				vec![
					expected(old_payout(5, 40), 300 + 40),
					expected(old_payout(0, 0), 0),
					expected(old_payout(9, 0), 500),
				]
			);
			assert_eq!(Unbonding::<Test>::iter().count(), 0);
			assert_eq!(LastRegistrationPrice::<Test>::get(), Default::default());
			assert_eq!(TotalBurned::<Test>::get(), 0);

			// Once at version 1, it does nothing.
			let migrated = Payouts::<Test>::get();
			Params::<Test>::mutate(|p| p.min_stake = 1);
			MigrateV0ToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Payouts::<Test>::get(), migrated);
			assert_eq!(Params::<Test>::get().min_stake, 1);

			// The runtime's next step brings the records to version 2.
			MigrateV1ToV2::<Test>::on_runtime_upgrade();
			assert_eq!(Incentive::on_chain_storage_version(), StorageVersion::new(2));
			// (The forged unsettled stake was never minted, so `try_state` is not run here.)
			assert_eq!(neuron(0).operator, 1);
			assert_eq!(neuron(2).stake, 500);
			assert_eq!(Operators::<Test>::iter().count(), 2);
		});
}

#[test]
fn v1_to_v2_gives_each_neuron_its_owner_as_operator_and_drops_the_edge_index() {
	ExtBuilder::default()
		.neurons(vec![(1, 300, vec![(1, 2), (2, 1)]), (2, 200, vec![(0, 5)]), (3, 500, vec![])])
		.build()
		.execute_with(|| {
			let before: Vec<_> = Neurons::<Test>::iter().collect();
			let edges: Vec<_> = Weights::<Test>::iter().collect();
			write_v1_records();
			assert_eq!(v1::Inbound::<Test>::iter().count(), 3);
			StorageVersion::new(1).put::<Incentive>();

			MigrateV1ToV2::<Test>::on_runtime_upgrade();

			assert_eq!(Incentive::on_chain_storage_version(), StorageVersion::new(2));
			assert_eq!(Neurons::<Test>::iter().collect::<Vec<_>>(), before);
			for (uid, record) in &before {
				assert_eq!(record.operator, record.account);
				assert_eq!(Operators::<Test>::get(record.account), Some(*uid));
			}
			assert_eq!(Operators::<Test>::iter().count(), 3);
			assert_eq!(v1::Inbound::<Test>::iter().count(), 0);
			assert_eq!(Weights::<Test>::iter().collect::<Vec<_>>(), edges);
			frame_support::assert_ok!(Incentive::do_try_state());
			// The operator key signs as before.
			System::set_block_number(5);
			frame_support::assert_ok!(Incentive::set_weights(RuntimeOrigin::signed(3), vec![]));

			// Once at version 2, it does nothing.
			v1::Inbound::<Test>::insert(7, 7, ());
			MigrateV1ToV2::<Test>::on_runtime_upgrade();
			assert_eq!(v1::Inbound::<Test>::iter().count(), 1);
		});
}

#[test]
fn v0_to_v1_keeps_the_default_unbonding_for_a_short_tempo() {
	ExtBuilder::default().build().execute_with(|| {
		v0::Params::<Test>::put(old_params(TEMPO));
		StorageVersion::new(0).put::<Incentive>();
		MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(Params::<Test>::get().unbonding_period, 200);
		assert!(Incentive::validate_params(&Params::<Test>::get()).is_ok());
		assert!(Payouts::<Test>::get().is_empty());
	});
}

#[test]
fn v2_to_v3_starts_the_mechanism_config_at_attribution_and_changes_nothing_else() {
	ExtBuilder::default()
		.neurons(vec![(1, 300, vec![(1, 2)]), (2, 200, vec![(0, 5)])])
		.build()
		.execute_with(|| {
			let neurons: Vec<_> = Neurons::<Test>::iter().collect();
			let (params, payouts) = (Params::<Test>::get(), Payouts::<Test>::get());
			crate::MechanismConfig::<Test>::kill();
			StorageVersion::new(2).put::<Incentive>();

			MigrateV2ToV3::<Test>::on_runtime_upgrade();

			assert_eq!(Incentive::on_chain_storage_version(), StorageVersion::new(3));
			assert!(crate::MechanismConfig::<Test>::exists());
			assert_eq!(crate::MechanismConfig::<Test>::get().mechanism, crate::Mechanism::Attribution);
			assert_eq!(Neurons::<Test>::iter().collect::<Vec<_>>(), neurons);
			assert_eq!((Params::<Test>::get(), Payouts::<Test>::get()), (params, payouts));
			assert!(crate::Bonds::<Test>::iter().next().is_none());
			frame_support::assert_ok!(Incentive::do_try_state());

			// Once at version 3, it does nothing.
			crate::MechanismConfig::<Test>::mutate(|m| m.mechanism = crate::Mechanism::Consensus);
			MigrateV2ToV3::<Test>::on_runtime_upgrade();
			assert_eq!(crate::MechanismConfig::<Test>::get().mechanism, crate::Mechanism::Consensus);
		});
}
