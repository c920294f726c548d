//! The registration fee: a burned price that rises with each registration and decays back.
//!
//! [`LastRegistrationPrice`] keeps the price the last registration set and its block. The fee
//! in force at block `now` is `floor + excess`, where the excess over the floor halves every
//! `registration_fee_half_life` blocks, linearly between halvings (so it is exact at each
//! half-life and never rises), and the result is capped at the ceiling. A registration burns
//! that fee and sets the price to `fee × growth_percent / 100`, capped at the ceiling. Ten
//! registrations in one block so cost `floor × (1 + g + … + g⁹)` with `g = growth_percent /
//! 100`, until the ceiling, and a quiet network drifts back to the floor.
//!
//! The fee is burned, not staked or paid to anyone, so registering many identities costs real
//! tokens that no one gets back, and evicting a neuron costs at least the floor.

use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::Mutate,
		tokens::{Fortitude, Precision, Preservation},
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_arithmetic::Perbill;
use sp_runtime::traits::{CheckedDiv, Saturating, UniqueSaturatedInto, Zero};

use crate::{
	BalanceOf, Config, Error, Event, IncentiveParamsOf, LastRegistrationPrice, Pallet,
	RegistrationPrice, TotalBurned,
};

/// Halvings after which any `u128` excess is zero.
const MAX_HALVINGS: u64 = 128;

impl<T: Config> Pallet<T> {
	/// The fee in force at `now`, given the parameters and the last registration's price.
	pub(crate) fn fee_at(
		params: &IncentiveParamsOf<T>,
		last: RegistrationPrice<BalanceOf<T>, BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
	) -> BalanceOf<T> {
		let floor = params.registration_fee_floor;
		let half_life: u64 = params.registration_fee_half_life.unique_saturated_into();
		let half_life = half_life.max(1);
		let elapsed: u64 = now.saturating_sub(last.at).unique_saturated_into();
		let halvings = elapsed.checked_div(half_life).unwrap_or(MAX_HALVINGS);
		let within = elapsed.checked_rem(half_life).unwrap_or_default();

		let mut excess = last.price.saturating_sub(floor);
		if halvings >= MAX_HALVINGS {
			excess = Zero::zero();
		}
		let two = BalanceOf::<T>::from(2u32);
		for _ in 0..halvings.min(MAX_HALVINGS) {
			if excess.is_zero() {
				break;
			}
			excess = excess.checked_div(&two).unwrap_or_default();
		}
		// Between two halvings, the excess falls linearly from `excess` to `excess / 2`.
		let drop = Perbill::from_rational(within, half_life.saturating_mul(2)).mul_floor(excess);
		floor.saturating_add(excess.saturating_sub(drop)).min(params.registration_fee_ceiling)
	}

	/// The price after a registration that paid `fee`: grown by `growth_percent`, capped.
	fn next_price(params: &IncentiveParamsOf<T>, fee: BalanceOf<T>) -> BalanceOf<T> {
		let fee: u128 = fee.unique_saturated_into();
		let grown = fee
			.saturating_mul(u128::from(params.registration_fee_growth_percent))
			.checked_div(100)
			.unwrap_or_default();
		let grown: BalanceOf<T> = grown.unique_saturated_into();
		grown.min(params.registration_fee_ceiling)
	}

	/// The fee a registration pays now, if it is at most `max_fee`.
	pub(crate) fn quote_fee(
		params: &IncentiveParamsOf<T>,
		max_fee: BalanceOf<T>,
	) -> Result<BalanceOf<T>, Error<T>> {
		let now = frame_system::Pallet::<T>::block_number();
		let fee = Self::fee_at(params, LastRegistrationPrice::<T>::get(), now);
		ensure!(fee <= max_fee, Error::<T>::FeeAboveLimit);
		Ok(fee)
	}

	/// Burns `fee` from `who` (checked affordable by the caller) and raises the price.
	pub(crate) fn burn_fee(
		params: &IncentiveParamsOf<T>,
		who: &T::AccountId,
		fee: BalanceOf<T>,
	) -> DispatchResult {
		if !fee.is_zero() {
			T::Currency::burn_from(
				who,
				fee,
				Preservation::Preserve,
				Precision::Exact,
				Fortitude::Polite,
			)?;
			TotalBurned::<T>::mutate(|burned| *burned = burned.saturating_add(fee));
		}
		let next_price = Self::next_price(params, fee);
		let now = frame_system::Pallet::<T>::block_number();
		LastRegistrationPrice::<T>::put(RegistrationPrice { price: next_price, at: now });
		if !fee.is_zero() {
			Self::deposit_event(Event::RegistrationFeeBurned {
				account: who.clone(),
				fee,
				next_price,
			});
		}
		Ok(())
	}
}
