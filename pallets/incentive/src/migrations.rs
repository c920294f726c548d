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
		BalanceOf, Config, IncentiveParams, NeuronPayout, Pallet, Params, Payouts, PayoutsOf,
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
		pub type Params<T: Config> =
			StorageValue<Pallet<T>, OldParams<BalanceOf<T>, BlockNumberFor<T>>, OptionQuery>;

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
		fn params(
			old: v0::OldParams<BalanceOf<T>, BlockNumberFor<T>>,
		) -> crate::IncentiveParamsOf<T> {
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
					// Records are in the layout of versions 0 and 1 until `v2` runs.
					let held = u16::try_from(slot)
						.ok()
						.and_then(|uid| super::v2::v1::Neurons::<T>::get(uid))
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
			// The rest of the invariants hold once `v2` has run too.
			Pallet::<T>::validate_params(&Params::<T>::get())
				.map_err(|_| "migrated Params are invalid")
				.map_err(Into::into)
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

/// Version 1 to 2: operator keys, and stale edges ignored instead of deleted.
///
/// - Each [`Neurons`](crate::Neurons) record gains `operator`, set to its owner (`account`), and
///   [`Operators`](crate::Operators) gets the matching entry, so every neuron signs as before.
/// - The reverse edge index `Inbound` is removed: leaving no longer deletes the edges pointing
///   at the leaver, the ranking skips them instead. The edges stored at the upgrade were all
///   posted to the neuron that holds their target uid, as version 1 deleted the others.
///
/// One write per neuron and one deletion per stored edge: at the largest graph the runtime
/// admits (4,096 neurons with 256 edges) that is about a million deletions, more than a block
/// takes, so a chain that large needs this step as a multi-block migration. The networks this
/// runtime has run so far (the dev and local chains) are far below that.
pub mod v2 {
	use crate::{AxonInfo, Config, NeuronRecord, Neurons, Operators, Pallet};
	#[cfg(feature = "try-runtime")]
	use alloc::vec::Vec;
	use codec::{Decode, Encode, MaxEncodedLen};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use scale_info::TypeInfo;

	/// The layouts of version 1 (and 0, for these items).
	// `storage_alias` generates undocumented prefix types.
	#[allow(missing_docs)]
	pub mod v1 {
		use super::*;
		use crate::BalanceOf;

		/// [`NeuronRecord`] before `operator`.
		#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
		pub struct OldRecord<AccountId, Balance, BlockNumber> {
			/// As now.
			pub account: AccountId,
			/// As now.
			pub held_stake: Balance,
			/// As now.
			pub registered_at: BlockNumber,
			/// As now.
			pub last_weights_at: Option<BlockNumber>,
			/// As now.
			pub axon: Option<AxonInfo>,
		}

		/// [`OldRecord`] with the runtime's types.
		pub type OldRecordOf<T> =
			OldRecord<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

		/// Version 1's `Neurons`.
		#[frame_support::storage_alias]
		pub type Neurons<T: Config> =
			StorageMap<Pallet<T>, Twox64Concat, u16, OldRecordOf<T>, OptionQuery>;

		/// Version 1's reverse edge index, `(target, source) -> ()`.
		#[frame_support::storage_alias]
		pub type Inbound<T: Config> =
			StorageDoubleMap<Pallet<T>, Twox64Concat, u16, Twox64Concat, u16, (), OptionQuery>;
	}

	/// The step itself; use [`MigrateV1ToV2`], which runs it once.
	pub struct InnerMigrateV1ToV2<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV1ToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut neurons = 0u64;
			Neurons::<T>::translate::<v1::OldRecordOf<T>, _>(|uid, old| {
				neurons = neurons.saturating_add(1);
				Operators::<T>::insert(&old.account, uid);
				Some(NeuronRecord {
					operator: old.account.clone(),
					account: old.account,
					held_stake: old.held_stake,
					registered_at: old.registered_at,
					last_weights_at: old.last_weights_at,
					axon: old.axon,
				})
			});
			let cleared = v1::Inbound::<T>::clear(u32::MAX, None);
			let edges = u64::from(cleared.unique);
			T::DbWeight::get()
				.reads_writes(neurons.saturating_add(edges), neurons.saturating_mul(2))
				.saturating_add(T::DbWeight::get().writes(edges))
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			let count = crate::graph::len_u32(v1::Neurons::<T>::iter_keys().count());
			Ok(count.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let count = u32::decode(&mut state.as_slice()).map_err(|_| "pre_upgrade state")?;
			ensure!(
				crate::graph::len_u32(Neurons::<T>::iter().count()) == count,
				"a neuron record did not decode after the upgrade"
			);
			ensure!(v1::Inbound::<T>::iter_keys().next().is_none(), "Inbound is not empty");
			Pallet::<T>::do_try_state()
		}
	}

	/// Version 1 to 2, run once: see the module.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		InnerMigrateV1ToV2<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 2 to 3: the consensus mechanism and commit-reveal.
///
/// Only new items: [`MechanismConfig`](crate::MechanismConfig) is written with its default,
/// attribution, so that payouts go on exactly as before and the explorer shows the item;
/// [`Bonds`](crate::Bonds), [`ConsensusShares`](crate::ConsensusShares) and
/// [`WeightCommits`](crate::WeightCommits) start empty, their correct value. No stored layout
/// changes.
pub mod v3 {
	use crate::{Config, MechanismConfig, MechanismParams, Pallet};
	#[cfg(feature = "try-runtime")]
	use alloc::vec::Vec;
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};

	/// The step itself; use [`MigrateV2ToV3`], which runs it once.
	pub struct InnerMigrateV2ToV3<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV2ToV3<T> {
		fn on_runtime_upgrade() -> Weight {
			MechanismConfig::<T>::put(MechanismParams::default());
			T::DbWeight::get().writes(1)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			ensure!(!MechanismConfig::<T>::exists(), "MechanismConfig exists before version 3");
			Ok(Vec::new())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			ensure!(
				MechanismConfig::<T>::get().mechanism == crate::Mechanism::Attribution,
				"the mechanism is not attribution after the upgrade"
			);
			Pallet::<T>::do_try_state()
		}
	}

	/// Version 2 to 3, run once: see the module.
	pub type MigrateV2ToV3<T> = VersionedMigration<
		2,
		3,
		InnerMigrateV2ToV3<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
