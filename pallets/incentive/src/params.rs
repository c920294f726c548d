//! The root-settable parameters: reading, checking and changing them.

use frame_support::{pallet_prelude::*, traits::Get};
use sp_arithmetic::Perquintill;
use sp_runtime::traits::{Saturating, Zero};

use crate::{
	Config, EdgeCount, Error, Event, IncentiveParamsOf, IncentiveParamsUpdateOf, MechanismConfig,
	MechanismParamsOf, NeuronCount, Pallet, Params, UidEnd, MAX_ADDRESSABLE_NEURONS,
	MAX_RANKING_PASSES,
};

impl<T: Config> Pallet<T> {
	/// Checks the mechanism parameters against their ranges and against `params`: `kappa` at
	/// least 1/2 (below it a stake minority would set the consensus), `bond_alpha` above zero,
	/// a reveal delay and window of at least a block each, and a window that ends no earlier
	/// than the weights rate limit (else every reveal would be refused as too fast).
	pub fn validate_mechanism_params(
		mechanism: &MechanismParamsOf<T>,
		params: &IncentiveParamsOf<T>,
	) -> Result<(), Error<T>> {
		ensure!(mechanism.kappa >= Perquintill::from_percent(50), Error::<T>::InvalidKappa);
		ensure!(!mechanism.bond_alpha.is_zero(), Error::<T>::InvalidBondAlpha);
		ensure!(!mechanism.reveal_delay.is_zero(), Error::<T>::InvalidRevealDelay);
		ensure!(!mechanism.reveal_window.is_zero(), Error::<T>::InvalidRevealWindow);
		ensure!(
			mechanism.reveal_delay.saturating_add(mechanism.reveal_window)
				>= params.weights_rate_limit,
			Error::<T>::InvalidRevealWindow
		);
		Ok(())
	}

	/// Checks every parameter against its range; the first one out of range names the error.
	/// Last, the worst-case payout under them must fit half a block (`PayoutTooHeavy`), so that
	/// the hook can never crowd out the block.
	pub fn validate_params(params: &IncentiveParamsOf<T>) -> Result<(), Error<T>> {
		ensure!(!params.tempo.is_zero(), Error::<T>::InvalidTempo);
		ensure!(
			(1..=MAX_RANKING_PASSES).contains(&params.max_ranking_passes),
			Error::<T>::InvalidMaxPasses
		);
		let neurons_limit = T::MaxNeuronsLimit::get().min(MAX_ADDRESSABLE_NEURONS);
		ensure!((1..=neurons_limit).contains(&params.max_neurons), Error::<T>::InvalidMaxNeurons);
		ensure!(
			(1..=T::MaxEdgesLimit::get()).contains(&params.max_edges),
			Error::<T>::InvalidMaxEdges
		);
		ensure!(!params.min_stake.is_zero(), Error::<T>::InvalidMinStake);
		ensure!(params.unbonding_period >= params.tempo, Error::<T>::InvalidUnbondingPeriod);
		ensure!(
			params.registration_fee_floor <= params.registration_fee_ceiling,
			Error::<T>::InvalidFeeBounds
		);
		ensure!(
			(100..=1000).contains(&params.registration_fee_growth_percent),
			Error::<T>::InvalidFeeGrowth
		);
		ensure!(!params.registration_fee_half_life.is_zero(), Error::<T>::InvalidFeeHalfLife);
		Self::ensure_fits_half_a_block(Self::worst_payout_weight(params))
	}

	/// `PayoutTooHeavy` unless `payout` is at most half of the block's weight.
	fn ensure_fits_half_a_block(payout: Weight) -> Result<(), Error<T>> {
		let block = <T as frame_system::Config>::BlockWeights::get().max_block;
		ensure!(payout.all_lte(block.saturating_div(2)), Error::<T>::PayoutTooHeavy);
		Ok(())
	}

	/// Applies `update` to the parameters in force and stores the result if it is valid.
	///
	/// Nothing already registered or posted is touched: a lower `max_neurons` evicts nobody
	/// (while the count is at or over it, each registration replaces a neuron instead of adding
	/// one, and only `unregister` lowers the count), a lower `max_edges` keeps
	/// posted weights until they are posted again, and a higher `min_stake` only binds the next
	/// `register` and `remove_stake`. A new `unbonding_period` applies to stake removed from
	/// then on; chunks already unbonding keep their release block. New fee parameters apply to
	/// the next quote: the last registration's price decays toward the new floor. A new
	/// mechanism applies from the next payout; bonds are kept while attribution is in force and
	/// used again if consensus returns. A new reveal delay or window applies to pending commits
	/// too; requiring commit-reveal refuses `set_weights` from the next block on.
	pub(crate) fn do_set_params(update: IncentiveParamsUpdateOf<T>) -> DispatchResult {
		let mechanism = update.apply_to_mechanism(MechanismConfig::<T>::get());
		let params = update.apply_to(Params::<T>::get());
		Self::validate_params(&params)?;
		Self::validate_mechanism_params(&mechanism, &params)?;
		// Lowering `max_neurons` or `max_edges` keeps the neurons and edges already stored, and
		// the payout runs over those: price the worst case with them too.
		Self::ensure_fits_half_a_block(Self::payout_weight(
			mechanism.mechanism,
			UidEnd::<T>::get().max(NeuronCount::<T>::get()),
			EdgeCount::<T>::get(),
			params.max_ranking_passes,
			params.emission_destination,
		))?;
		Params::<T>::put(&params);
		MechanismConfig::<T>::put(mechanism);
		Self::deposit_event(Event::ParamsUpdated { params, mechanism });
		Ok(())
	}
}
