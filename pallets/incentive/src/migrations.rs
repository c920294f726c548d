//! Storage migrations, one module per version step. A runtime lists them in its `Migrations`;
//! each runs once, guarded by the pallet's on-chain storage version.

/// Version 0 to 1: stake at risk and the registration fee.
///
/// - [`Params`](crate::Params) gains `unbonding_period` (the default, 200 blocks, or `tempo` if
///   that is longer, so the new parameter check holds) and the registration fee parameters
///   (their defaults).
/// - Each [`Payouts`](crate::Payouts) entry gains `ranked_stake`: the neuron's whole stake at
///   the upgrade (held and unsettled), zero for uids without a neuron. Stake already held before
///   the upgrade so keeps ranking; only later changes follow the new rule.
///
/// The new items ([`Unbonding`](crate::Unbonding),
/// [`LastRegistrationPrice`](crate::LastRegistrationPrice), [`TotalBurned`](crate::TotalBurned))
/// start empty, which is their correct value.
pub mod v1 {
	use crate::{
		BalanceOf, Config, IncentiveParams, NeuronPayout, Neurons, Pallet, Params, Payouts,
		PayoutsOf,
	};
	use alloc::vec::Vec;
	use codec::{Decode, Encode, MaxEncodedLen};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use scale_info::TypeInfo;
	use sp_arithmetic::Perquintill;
	use sp_runtime::traits::Saturating;

	/// The layouts of version 0.
	// `storage_alias` generates undocumented prefix types.
	#[allow(missing_docs)]
	pub mod v0 {
		use super::*;

		/// [`IncentiveParams`] before the unbonding and fee parameters.
		#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
		pub struct OldParams<Balance, BlockNumber> {
			/// As now.
			pub emission_per_block: Balance,
			/// As now.
			pub tempo: BlockNumber,
			/// As now.
			pub emission_destination: crate::EmissionDestination,
			/// As now.
			pub max_ranking_passes: u32,
			/// As now.
			pub max_neurons: u32,
			/// As now.
			pub max_edges: u32,
			/// As now.
			pub min_stake: Balance,
			/// As now.
			pub weights_rate_limit: BlockNumber,
			/// As now.
			pub immunity_period: BlockNumber,
		}

		/// [`NeuronPayout`] before `ranked_stake`.
		#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
		pub struct OldPayout<Balance> {
			/// As now.
			pub rank: Perquintill,
			/// As now.
			pub last_emission: Balance,
			/// As now.
			pub total_emission: Balance,
			/// As now.
			pub unsettled_stake: Balance,
		}

		/// Version 0's `Params`.
		#[frame_support::storage_alias]
		pub type Params<T: Config> = StorageValue<
			Pallet<T>,
			OldParams<BalanceOf<T>, BlockNumberFor<T>>,
			OptionQuery,
		>;

		/// Version 0's `Payouts`.
		#[frame_support::storage_alias]
		pub type Payouts<T: Config> = StorageValue<
			Pallet<T>,
			BoundedVec<OldPayout<BalanceOf<T>>, <T as Config>::MaxNeuronsLimit>,
			OptionQuery,
		>;
	}

	/// The step itself; use [`MigrateV0ToV1`], which runs it once.
	pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

	impl<T: Config> InnerMigrateV0ToV1<T> {
		/// Version 1's parameters from version 0's.
		fn params(old: v0::OldParams<BalanceOf<T>, BlockNumberFor<T>>) -> crate::IncentiveParamsOf<T> {
			let defaults = IncentiveParams::<BalanceOf<T>, BlockNumberFor<T>>::default();
			IncentiveParams {
				emission_per_block: old.emission_per_block,
				tempo: old.tempo,
				emission_destination: old.emission_destination,
				max_ranking_passes: old.max_ranking_passes,
				max_neurons: old.max_neurons,
				max_edges: old.max_edges,
				min_stake: old.min_stake,
				weights_rate_limit: old.weights_rate_limit,
				immunity_period: old.immunity_period,
				unbonding_period: defaults.unbonding_period.max(old.tempo),
				..defaults
			}
		}

		/// Version 1's payouts from version 0's: every neuron ranks with its whole stake.
		fn payouts(
			old: BoundedVec<v0::OldPayout<BalanceOf<T>>, T::MaxNeuronsLimit>,
		) -> PayoutsOf<T> {
			let entries: Vec<NeuronPayout<BalanceOf<T>>> = old
				.into_iter()
				.enumerate()
				.map(|(slot, entry)| {
					let held = u16::try_from(slot)
						.ok()
						.and_then(|uid| Neurons::<T>::get(uid))
						.map(|record| record.held_stake);
					NeuronPayout {
						rank: entry.rank,
						last_emission: entry.last_emission,
						total_emission: entry.total_emission,
						unsettled_stake: entry.unsettled_stake,
						ranked_stake: held
							.map(|held| held.saturating_add(entry.unsettled_stake))
							.unwrap_or_default(),
					}
				})
				.collect();
			// Same length and bound as the old vector.
			BoundedVec::truncate_from(entries)
		}
	}

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut reads = 2u64;
			if let Some(old) = v0::Params::<T>::get() {
				Params::<T>::put(Self::params(old));
			}
			if let Some(old) = v0::Payouts::<T>::get() {
				reads = reads.saturating_add(crate::graph::len_u32(old.len()).into());
				Payouts::<T>::put(Self::payouts(old));
			}
			T::DbWeight::get().reads_writes(reads, 2)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			let count = v0::Payouts::<T>::get().map(|old| old.len()).unwrap_or_default();
			Ok((count as u32).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let count = u32::decode(&mut state.as_slice()).map_err(|_| "pre_upgrade state")?;
			ensure!(
				crate::graph::len_u32(Payouts::<T>::get().len()) == count,
				"Payouts changed length"
			);
			Pallet::<T>::validate_params(&Params::<T>::get())
				.map_err(|_| "migrated Params are invalid")?;
			Pallet::<T>::do_try_state()
		}
	}

	/// Version 0 to 1, run once: see the module.
	pub type MigrateV0ToV1<T> = VersionedMigration<
		0,
		1,
		InnerMigrateV0ToV1<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
