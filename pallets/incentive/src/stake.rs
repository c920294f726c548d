//! Stake: what a neuron weighs in the ranking, in two parts.
//!
//! - `held_stake` ([`NeuronRecord`](crate::NeuronRecord)): balance the neuron's account holds for
//!   the pallet under [`HoldReason::Stake`]. The record mirrors the hold so that the ranking reads
//!   stake from the pallet's own storage; every change goes through here and keeps the two equal.
//! - `unsettled_stake` ([`NeuronPayout`](crate::NeuronPayout)): emission paid into stake, which
//!   the pallet's account keeps for the neuron. Paying it there is one mint per payout rather
//!   than a mint and a hold per neuron. Settling moves it onto the neuron's account, on
//!   hold, whenever the neuron changes its stake, and it goes to the neuron's free balance when
//!   the neuron leaves.
//!
//! The stake a neuron ranks with at a payout is `ranked_stake`
//! ([`NeuronPayout`](crate::NeuronPayout)): its least stake since the last payout. Stake added after a payout so counts from the next
//! period on, and stake removed leaves the ranking at once.
//!
//! Stake that leaves (`remove_stake`, `unregister`, replacement) unbonds: it moves from the
//! `Stake` hold to the `Unbonding` hold on the same account, as an [`UnbondingChunk`] in
//! [`Unbonding`], and `withdraw_unbonded` releases it from `release_at = now +
//! unbonding_period` on. While unbonding it is neither ranked nor spendable.

use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, Mutate, MutateHold},
		tokens::{Fortitude, Precision, Preservation},
	},
};
use sp_runtime::traits::{CheckedAdd, CheckedSub, Saturating, Zero};

use frame_system::pallet_prelude::BlockNumberFor;

use crate::{
	BalanceOf, Config, Error, Event, HoldReason, NeuronRecordOf, Neurons, Pallet, Params, Payouts,
	PayoutsOf, Unbonding, UnbondingChunk,
};

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

	/// Gives the pallet's account its existential deposit if it has less (at genesis), so that it
	/// never dies: see [`Self::take_unsettled`].
	pub(crate) fn endow_account() -> DispatchResult {
		let account = Self::account_id();
		let missing = T::Currency::minimum_balance().saturating_sub(T::Currency::balance(&account));
		if !missing.is_zero() {
			T::Currency::mint_into(&account, missing)?;
		}
		Ok(())
	}

	/// Takes neuron `uid`'s unsettled stake out of `payouts` and transfers it from the pallet's
	/// account to the neuron's; returns the amount (zero when there was none). The caller holds
	/// it as stake or leaves it free, and stores `payouts`.
	fn take_unsettled(
		payouts: &mut PayoutsOf<T>,
		uid: u16,
		account: &T::AccountId,
	) -> Result<BalanceOf<T>, DispatchError> {
		let Some(entry) = payouts.get_mut(usize::from(uid)) else { return Ok(Zero::zero()) };
		let amount = core::mem::take(&mut entry.unsettled_stake);
		if amount.is_zero() {
			return Ok(amount);
		}
		// The pallet's account holds its existential deposit (from genesis) plus at least every
		// neuron's unsettled stake, and the neuron's account exists (it holds stake), so this
		// fails only if that invariant is broken. `Preserve`: were the account allowed to die,
		// the currency would burn what is left below the deposit, other neurons' stake with it.
		T::Currency::transfer(&Self::account_id(), account, amount, Preservation::Preserve)?;
		Ok(amount)
	}

	/// Moves neuron `uid`'s unsettled stake (in `payouts`, which the caller stores when this
	/// returns a non-zero amount) onto its account, on hold, and into `record`'s `held_stake`.
	/// The neuron's stake is the same before and after.
	fn settle(
		payouts: &mut PayoutsOf<T>,
		uid: u16,
		record: &mut NeuronRecordOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		let amount = Self::take_unsettled(payouts, uid, &record.account)?;
		if amount.is_zero() {
			return Ok(amount);
		}
		let held = record.held_stake.checked_add(&amount).ok_or(Error::<T>::StakeOverflow)?;
		Self::hold_stake(&record.account, amount)?;
		record.held_stake = held;
		Ok(amount)
	}

	/// Settles neuron `uid`'s stake (see [`Self::settle`]), storing [`Payouts`] only if there
	/// was something to settle.
	fn settle_stored(
		mut payouts: PayoutsOf<T>,
		uid: u16,
		record: &mut NeuronRecordOf<T>,
	) -> DispatchResult {
		if !Self::settle(&mut payouts, uid, record)?.is_zero() {
			Payouts::<T>::put(payouts);
		}
		Ok(())
	}

	/// Puts a leaving neuron's whole stake into unbonding: the `Stake` hold is released and the
	/// unsettled part transferred (taken out of `payouts`, which the caller stores), and the
	/// total is held again as an unbonding chunk. Returns the total and its release block.
	pub(crate) fn unbond_all(
		payouts: &mut PayoutsOf<T>,
		uid: u16,
		account: &T::AccountId,
	) -> Result<(BalanceOf<T>, BlockNumberFor<T>), DispatchError> {
		let unsettled = Self::take_unsettled(payouts, uid, account)?;
		// Best effort: a hold that cannot be released in full must not pin the neuron forever.
		let released =
			T::Currency::release_all(&HoldReason::Stake.into(), account, Precision::BestEffort)?;
		let total = released.saturating_add(unsettled);
		let release_at = Self::start_unbonding(account, total)?;
		Ok((total, release_at))
	}

	/// Holds `amount` of `who`'s free balance (just released from its stake) as unbonding,
	/// releasable from `now + unbonding_period`; returns that block. A chunk releasing in the
	/// same block grows; when the account has [`MaxUnbondingChunks`](crate::MaxUnbondingChunks)
	/// the amount joins the latest chunk, so unbonding never fails for lack of room (at worst
	/// the latest chunk's earlier money waits until the new block).
	fn start_unbonding(
		who: &T::AccountId,
		amount: BalanceOf<T>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let now = frame_system::Pallet::<T>::block_number();
		let release_at = now.saturating_add(Params::<T>::get().unbonding_period);
		if amount.is_zero() {
			return Ok(release_at);
		}
		T::Currency::hold(&HoldReason::Unbonding.into(), who, amount)?;
		Unbonding::<T>::mutate(who, |chunks| {
			let joins_latest = chunks.is_full() ||
				chunks.last().is_some_and(|latest| latest.release_at == release_at);
			match chunks.last_mut() {
				Some(latest) if joins_latest => {
					latest.amount = latest.amount.saturating_add(amount);
					latest.release_at = latest.release_at.max(release_at);
				},
				_ => {
					// Not full (checked above), so the push succeeds.
					let _ = chunks.try_push(UnbondingChunk { amount, release_at });
				},
			}
		});
		Ok(release_at)
	}

	/// Releases every unbonding chunk of `who` whose release block has come.
	pub(crate) fn do_withdraw_unbonded(who: T::AccountId) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		let mut chunks = Unbonding::<T>::get(&who);
		let mut due = BalanceOf::<T>::zero();
		chunks.retain(|chunk| {
			let ready = chunk.release_at <= now;
			if ready {
				due = due.saturating_add(chunk.amount);
			}
			!ready
		});
		ensure!(!due.is_zero(), Error::<T>::NothingToWithdraw);
		T::Currency::release(&HoldReason::Unbonding.into(), &who, due, Precision::Exact)?;
		if chunks.is_empty() {
			Unbonding::<T>::remove(&who);
		} else {
			Unbonding::<T>::insert(&who, chunks);
		}
		Self::deposit_event(Event::Withdrawn { account: who, amount: due });
		Ok(())
	}

	/// Adds `amount` of `who`'s free balance to its neuron's stake (settling it first).
	pub(crate) fn do_add_stake(who: T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let uid = Self::owned_uid(&who)?;
		let mut record = Neurons::<T>::get(uid).ok_or(Error::<T>::NotRegistered)?;
		Self::ensure_can_hold(&who, amount)?;
		Self::settle_stored(Payouts::<T>::get(), uid, &mut record)?;
		let stake = record.held_stake.checked_add(&amount).ok_or(Error::<T>::StakeOverflow)?;
		Self::hold_stake(&who, amount)?;
		record.held_stake = stake;
		Neurons::<T>::insert(uid, record);
		Self::deposit_event(Event::StakeAdded { uid, amount, stake });
		Ok(())
	}

	/// Moves `amount` of `who`'s neuron's stake (settled first) into unbonding and lowers its
	/// ranked stake with it; at least `min_stake` must stay.
	pub(crate) fn do_remove_stake(who: T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let uid = Self::owned_uid(&who)?;
		let mut record = Neurons::<T>::get(uid).ok_or(Error::<T>::NotRegistered)?;
		let mut payouts = Payouts::<T>::get();
		let unsettled = Self::entry_of(&payouts, uid).unsettled_stake;
		let stake = record
			.held_stake
			.saturating_add(unsettled)
			.checked_sub(&amount)
			.ok_or(Error::<T>::InsufficientStake)?;
		ensure!(stake >= Params::<T>::get().min_stake, Error::<T>::StakeBelowMinimum);
		Self::settle(&mut payouts, uid, &mut record)?;
		if let Some(entry) = payouts.get_mut(usize::from(uid)) {
			entry.ranked_stake = entry.ranked_stake.min(stake);
		}
		Payouts::<T>::put(payouts);
		T::Currency::release(&HoldReason::Stake.into(), &who, amount, Precision::Exact)?;
		let release_at = Self::start_unbonding(&who, amount)?;
		record.held_stake = stake;
		Neurons::<T>::insert(uid, record);
		Self::deposit_event(Event::StakeRemoved { uid, amount, stake, release_at });
		Ok(())
	}
}
