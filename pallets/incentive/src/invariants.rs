//! The storage invariants, checked by `try_state` and after every step of the tests.

use alloc::{collections::BTreeSet, vec::Vec};
use frame_support::{
	ensure,
	traits::fungible::{Inspect, InspectHold},
};
use sp_runtime::{
	traits::{Saturating, Zero},
	TryRuntimeError,
};

use crate::{
	graph::len_u32, BalanceOf, Config, EdgeCount, FreeUids, HoldReason, NeuronCount, NeuronPayout,
	Neurons, OperatorOffers, Operators, Pallet, Payouts, UidEnd, Uids, Unbonding, Weights,
};

impl<T: Config> Pallet<T> {
	/// Checks that the bookkeeping items agree with the data they summarize.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		let uids: BTreeSet<u16> = Neurons::<T>::iter_keys().collect();
		ensure!(
			len_u32(uids.len()) == NeuronCount::<T>::get(),
			"NeuronCount differs from the number of neurons"
		);
		ensure!(Uids::<T>::iter().count() == uids.len(), "Uids and Neurons have different sizes");
		for (account, uid) in Uids::<T>::iter() {
			let info = Neurons::<T>::get(uid).ok_or("Uids points at an empty uid")?;
			ensure!(info.account == account, "Uids and Neurons disagree on an account");
		}
		ensure!(
			Operators::<T>::iter().count() == uids.len(),
			"Operators and Neurons have different sizes"
		);
		for (operator, uid) in Operators::<T>::iter() {
			let info = Neurons::<T>::get(uid).ok_or("Operators points at an empty uid")?;
			ensure!(info.operator == operator, "Operators and Neurons disagree on an operator");
		}
		for uid in OperatorOffers::<T>::iter_keys() {
			ensure!(uids.contains(&uid), "an operator offer of an empty uid");
		}
		for (_, record) in Neurons::<T>::iter() {
			let held = T::Currency::balance_on_hold(&HoldReason::Stake.into(), &record.account);
			ensure!(held == record.held_stake, "a neuron's held stake differs from its hold");
		}
		for (account, chunks) in Unbonding::<T>::iter() {
			let held = T::Currency::balance_on_hold(&HoldReason::Unbonding.into(), &account);
			let sum = chunks
				.iter()
				.fold(BalanceOf::<T>::zero(), |sum, chunk| sum.saturating_add(chunk.amount));
			ensure!(held == sum, "an account's unbonding chunks differ from its hold");
			ensure!(!chunks.is_empty(), "an empty unbonding entry is stored");
		}
		let payouts = Payouts::<T>::get();
		let mut unsettled = BalanceOf::<T>::zero();
		for (slot, entry) in payouts.iter().enumerate() {
			let uid = u16::try_from(slot).ok().filter(|uid| uids.contains(uid));
			ensure!(
				uid.is_some() || *entry == NeuronPayout::default(),
				"a uid without a neuron has a payout entry"
			);
			if let Some(record) = uid.and_then(|uid| Neurons::<T>::get(uid)) {
				ensure!(
					entry.ranked_stake <= record.held_stake.saturating_add(entry.unsettled_stake),
					"a neuron ranks with more stake than it has"
				);
			}
			unsettled = unsettled.saturating_add(entry.unsettled_stake);
		}
		let reserve = T::Currency::balance(&Self::account_id())
			.saturating_sub(T::Currency::minimum_balance());
		ensure!(
			reserve >= unsettled,
			"the pallet's account holds less than the unsettled stake above its deposit"
		);

		let end = uids.last().map_or(0, |uid| u32::from(*uid).saturating_add(1));
		ensure!(UidEnd::<T>::get() == end, "UidEnd is not one past the highest uid");
		let holes: Vec<u16> = (0..end)
			.filter_map(|uid| u16::try_from(uid).ok())
			.filter(|uid| !uids.contains(uid))
			.collect();
		ensure!(
			FreeUids::<T>::get().into_inner() == holes,
			"FreeUids are not the holes below UidEnd"
		);

		let mut edges = 0u32;
		for (source, posted) in Weights::<T>::iter() {
			ensure!(uids.contains(&source), "weights of an unregistered uid");
			ensure!(!posted.is_empty(), "an empty weights entry is stored");
			ensure!(
				posted.windows(2).all(|pair| matches!(pair, [a, b] if a.0 < b.0)),
				"weights are not strictly sorted by uid"
			);
			// Edges may point at empty uids or later occupants: those are stale, not wrong.
			ensure!(posted.iter().all(|&(_, weight)| weight > 0), "a zero weight is stored");
			edges = edges.saturating_add(len_u32(posted.len()));
		}
		ensure!(EdgeCount::<T>::get() == edges, "EdgeCount differs from the stored edges");
		Ok(())
	}
}
