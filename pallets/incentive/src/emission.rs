//! Emission: the block hook, where FRAME meets the `incentive-ranking` crate.
//!
//! Every block adds `emission_per_block` to the pot ([`PendingEmission`]); nothing is minted
//! then. In every block whose number is a multiple of `tempo`, the neurons are ranked from their
//! current stake and weights, and the pot is split by rank: each share is minted into the
//! neuron's account (and put on hold as stake, or left free, per `emission_destination`). What
//! rounding leaves, and any share whose mint fails, stays in the pot. So at all times
//! `total issuance = genesis issuance + TotalPaid` and `TotalPaid + pot = sum of the per-block
//! emission so far`; the pot saturates at the balance type's maximum rather than wrapping,
//! which for a `u128` balance is out of reach.
//!
//! The hook's weight is computed from [`NeuronCount`], [`UidEnd`] and [`EdgeCount`] before any
//! work. The ranking's cost is `passes × (neurons + edges)`, a product the benchmark's linear
//! fit cannot express; so the payout is benchmarked with one ranking pass
//! (`on_initialize_payout(n, e)`, which includes normalizing the weights) and each further pass
//! is charged as `ranking_pass(n, e)`: one pass of the walk over the already normalized graph,
//! plus the walk's per-call set-up, which bounds a pass from above.

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	storage::with_storage_layer,
	traits::fungible::{Mutate, MutateHold},
};
use frame_system::pallet_prelude::BlockNumberFor;
use incentive_ranking::NeuronInput;
use sp_arithmetic::traits::CheckedRem;
use sp_runtime::traits::{CheckedAdd, Saturating, UniqueSaturatedInto, Zero};

use crate::{
	BalanceOf, Config, EdgeCount, EmissionDestination, Error, Event, HoldReason, IncentiveParamsOf,
	NeuronCount, NeuronInfoOf, Neurons, Pallet, Params, PendingEmission, TotalPaid, UidEnd,
	WeightInfo, Weights,
};

impl<T: Config> Pallet<T> {
	/// The hook: accrue, and pay on payout blocks. Returns the weight, known before the work.
	pub(crate) fn on_block(now: BlockNumberFor<T>) -> Weight {
		let params = Params::<T>::get();
		PendingEmission::<T>::mutate(|pot| *pot = pot.saturating_add(params.emission_per_block));
		if !Self::is_payout_block(now, params.tempo) {
			return T::WeightInfo::on_initialize_idle();
		}
		let neurons = NeuronCount::<T>::get();
		if neurons == 0 {
			return T::WeightInfo::on_initialize_idle();
		}
		let weight = Self::payout_weight(
			UidEnd::<T>::get().max(neurons),
			EdgeCount::<T>::get(),
			params.max_ranking_passes,
		);
		Self::payout(now, &params);
		weight
	}

	/// Whether `now` is a multiple of `tempo` (never, for a `tempo` of zero, which the
	/// parameter checks rule out).
	pub fn is_payout_block(now: BlockNumberFor<T>, tempo: BlockNumberFor<T>) -> bool {
		now.checked_rem(&tempo).is_some_and(|rest| rest.is_zero())
	}

	/// Weight of a payout over `slots` uid slots with `edges` edges in all and at most `passes`
	/// ranking passes.
	pub fn payout_weight(slots: u32, edges: u32, passes: u32) -> Weight {
		let extra_passes = u64::from(passes.saturating_sub(1));
		T::WeightInfo::on_initialize_payout(slots, edges)
			.saturating_add(T::WeightInfo::ranking_pass(slots, edges).saturating_mul(extra_passes))
	}

	/// Ranks all neurons and pays the pot out by rank.
	///
	/// Does nothing (the pot keeps growing) when there is no stake. Otherwise every neuron's
	/// `rank`, `last_emission` and `total_emission` are updated and one `EmissionPaid` event
	/// tells the totals.
	pub(crate) fn payout(now: BlockNumberFor<T>, params: &IncentiveParamsOf<T>) {
		let mut neurons: Vec<(u16, NeuronInfoOf<T>)> = Neurons::<T>::iter().collect();
		neurons.sort_by_key(|&(uid, _)| uid);
		let Some(slots) = neurons.last().map(|&(uid, _)| usize::from(uid).saturating_add(1)) else {
			return;
		};

		// Inputs by uid; empty uids take part with no stake and no weights.
		let mut stakes = alloc::vec![0u128; slots];
		let mut edges: Vec<Vec<(u16, u16)>> = alloc::vec![Vec::new(); slots];
		for (uid, info) in &neurons {
			let slot = usize::from(*uid);
			if let Some(stake) = stakes.get_mut(slot) {
				*stake = info.stake.unique_saturated_into();
			}
			if let Some(neuron_edges) = edges.get_mut(slot) {
				*neuron_edges = Weights::<T>::get(uid).map(|e| e.into_inner()).unwrap_or_default();
			}
		}
		if stakes.iter().all(|stake| *stake == 0) {
			return;
		}
		let inputs: Vec<NeuronInput<'_>> = stakes
			.iter()
			.zip(edges.iter())
			.map(|(&stake, weights)| NeuronInput { stake, weights: weights.as_slice() })
			.collect();

		let ranking = incentive_ranking::rank(&inputs, params.max_ranking_passes);
		let pot = PendingEmission::<T>::get();
		let (shares, _) =
			incentive_ranking::split_emission(pot.unique_saturated_into(), &ranking.ranks);
		log::debug!(
			target: "runtime::incentive",
			"payout at {:?}: {} neurons, {} passes, {} base units of stake unabsorbed",
			now,
			neurons.len(),
			ranking.passes,
			ranking.in_flight,
		);

		let mut total_paid = BalanceOf::<T>::zero();
		let mut paid_neurons = 0u32;
		for (uid, mut info) in neurons {
			let slot = usize::from(uid);
			let share: BalanceOf<T> =
				shares.get(slot).copied().unwrap_or_default().unique_saturated_into();
			// Never pay more than the pot, whatever the split said.
			let affordable = total_paid.checked_add(&share).is_some_and(|after| after <= pot);
			let paid = if share.is_zero() || !affordable {
				Zero::zero()
			} else {
				match Self::pay(&mut info, share, params.emission_destination) {
					Ok(()) => share,
					Err(error) => {
						log::warn!(
							target: "runtime::incentive",
							"payout of {:?} to uid {} failed, kept in the pot: {:?}",
							share,
							uid,
							error,
						);
						Zero::zero()
					}
				}
			};
			if !paid.is_zero() {
				paid_neurons = paid_neurons.saturating_add(1);
			}
			total_paid = total_paid.saturating_add(paid);
			info.rank = ranking.ranks.get(slot).copied().unwrap_or_default();
			info.last_emission = paid;
			info.total_emission = info.total_emission.saturating_add(paid);
			Neurons::<T>::insert(uid, info);
		}

		let pot_left = pot.saturating_sub(total_paid);
		PendingEmission::<T>::put(pot_left);
		TotalPaid::<T>::mutate(|paid| *paid = paid.saturating_add(total_paid));
		Self::deposit_event(Event::EmissionPaid {
			block: now,
			total_paid,
			pot_left,
			neurons: paid_neurons,
		});
	}

	/// Mints `amount` to the neuron (and holds it as stake for [`EmissionDestination::Stake`]),
	/// all or nothing: on error no storage change survives and `info` is untouched.
	fn pay(
		info: &mut NeuronInfoOf<T>,
		amount: BalanceOf<T>,
		destination: EmissionDestination,
	) -> DispatchResult {
		with_storage_layer(|| -> DispatchResult {
			match destination {
				EmissionDestination::Stake => {
					let stake = info.stake.checked_add(&amount).ok_or(Error::<T>::StakeOverflow)?;
					T::Currency::mint_into(&info.account, amount)?;
					T::Currency::hold(&HoldReason::Stake.into(), &info.account, amount)?;
					info.stake = stake;
				}
				EmissionDestination::Free => {
					T::Currency::mint_into(&info.account, amount)?;
				}
			}
			Ok(())
		})
	}
}
