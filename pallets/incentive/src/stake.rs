//! Stake: the balance a neuron's account holds for the pallet under [`HoldReason::Stake`].
//!
//! The pallet mirrors the held amount in [`NeuronInfo::stake`](crate::NeuronInfo) so that the
//! ranking reads stake from one storage item per neuron; every change goes through here and
//! keeps the two equal.

use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, MutateHold},
		tokens::{Fortitude, Precision, Preservation},
	},
};
use sp_runtime::traits::{CheckedAdd, CheckedSub, Zero};

use crate::{BalanceOf, Config, Error, Event, HoldReason, Neurons, Pallet, Params};

impl<T: Config> Pallet<T> {
	/// `who` can put `amount` on hold: it is free and spending it leaves the existential deposit
	/// (the same test the currency's `hold` applies, surfaced as this pallet's error).
	pub(crate) fn ensure_can_hold(
		who: &T::AccountId,
		amount: BalanceOf<T>,
	) -> Result<(), Error<T>> {
		let available =
			T::Currency::reducible_balance(who, Preservation::Protect, Fortitude::Force);
		ensure!(amount <= available, Error::<T>::InsufficientBalance);
		Ok(())
	}

	/// Holds `amount` of `who`'s free balance as stake.
	pub(crate) fn hold_stake(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		T::Currency::hold(&HoldReason::Stake.into(), who, amount)
	}

	/// Adds `amount` of `who`'s free balance to its neuron's stake.
	pub(crate) fn do_add_stake(who: T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let uid = Self::uid_of(&who)?;
		let mut info = Neurons::<T>::get(uid).ok_or(Error::<T>::NotRegistered)?;
		let stake = info.stake.checked_add(&amount).ok_or(Error::<T>::StakeOverflow)?;
		Self::ensure_can_hold(&who, amount)?;
		Self::hold_stake(&who, amount)?;
		info.stake = stake;
		Neurons::<T>::insert(uid, info);
		Self::deposit_event(Event::StakeAdded { uid, amount, stake });
		Ok(())
	}

	/// Releases `amount` of `who`'s neuron's stake; at least `min_stake` must stay.
	pub(crate) fn do_remove_stake(who: T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let uid = Self::uid_of(&who)?;
		let mut info = Neurons::<T>::get(uid).ok_or(Error::<T>::NotRegistered)?;
		let stake = info.stake.checked_sub(&amount).ok_or(Error::<T>::InsufficientStake)?;
		ensure!(stake >= Params::<T>::get().min_stake, Error::<T>::StakeBelowMinimum);
		T::Currency::release(&HoldReason::Stake.into(), &who, amount, Precision::Exact)?;
		info.stake = stake;
		Neurons::<T>::insert(uid, info);
		Self::deposit_event(Event::StakeRemoved { uid, amount, stake });
		Ok(())
	}
}
