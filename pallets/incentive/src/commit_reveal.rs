//! Commit-reveal of weights: a neuron commits the hash of its weights and reveals them later, so
//! that nobody can copy them while they are fresh (`docs/consensus.md`, "Commit-reveal").
//!
//! The hash is `blake2_256` of the SCALE encoding of `(operator account, weights, salt)`: the
//! account binds a commit to its signer (another key cannot reveal it, and nobody can replay a
//! commit seen on chain under their own key), the salt keeps a commit of a guessable weight list
//! from being matched by trial. A reveal goes through `set_weights`' checks, so it is stored,
//! counted and rate-limited like posted weights, with one difference: entries for a uid that is
//! empty now, or whose neuron registered at or after the commit, are dropped rather than refused.
//! They were meant for a neuron that left; refusing them would let anyone who leaves block the
//! reveals of everyone who weighted it, and keeping them would hand the weight to whoever took
//! the uid between commit and reveal.

use alloc::vec::Vec;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{BlakeTwo256, Hash, Saturating};

use crate::{
	graph::len_u32, Config, Error, Event, MechanismConfig, Neurons, Pallet, Params, WeightCommit,
	WeightCommits,
};

impl<T: Config> Pallet<T> {
	/// The hash a commit of `weights` with `salt` by `who` must carry.
	pub fn weights_hash(who: &T::AccountId, weights: &[(u16, u16)], salt: &[u8; 32]) -> [u8; 32] {
		BlakeTwo256::hash_of(&(who, weights, salt)).0
	}

	/// The blocks in which a commit made at `at` can be revealed: `(first, last)`.
	pub fn reveal_window_of(at: BlockNumberFor<T>) -> (BlockNumberFor<T>, BlockNumberFor<T>) {
		let params = MechanismConfig::<T>::get();
		let first = at.saturating_add(params.reveal_delay);
		(first, first.saturating_add(params.reveal_window))
	}

	/// Stores `hash` as the pending commit of the neuron `who` operates.
	pub(crate) fn do_commit_weights(who: T::AccountId, hash: [u8; 32]) -> DispatchResult {
		let uid = Self::operated_uid(&who)?;
		let now = frame_system::Pallet::<T>::block_number();
		if let Some(pending) = WeightCommits::<T>::get(uid) {
			let (_, last) = Self::reveal_window_of(pending.at);
			ensure!(now > last, Error::<T>::CommitPending);
		}
		WeightCommits::<T>::insert(uid, WeightCommit { hash, at: now });
		let (reveal_from, reveal_until) = Self::reveal_window_of(now);
		Self::deposit_event(Event::WeightsCommitted { uid, hash, reveal_from, reveal_until });
		Ok(())
	}

	/// Checks `weights` and `salt` against the pending commit of the neuron `who` operates and
	/// stores the weights; the commit is spent.
	pub(crate) fn do_reveal_weights(
		who: T::AccountId,
		weights: Vec<(u16, u16)>,
		salt: [u8; 32],
	) -> DispatchResult {
		let uid = Self::operated_uid(&who)?;
		let commit = WeightCommits::<T>::get(uid).ok_or(Error::<T>::NoCommit)?;
		let now = frame_system::Pallet::<T>::block_number();
		let (first, last) = Self::reveal_window_of(commit.at);
		ensure!(now >= first, Error::<T>::RevealTooEarly);
		ensure!(now <= last, Error::<T>::RevealTooLate);
		// Before hashing: the call is charged for at most `MaxEdgesLimit` entries.
		ensure!(len_u32(weights.len()) <= Params::<T>::get().max_edges, Error::<T>::TooManyEdges);
		ensure!(
			Self::weights_hash(&who, &weights, &salt) == commit.hash,
			Error::<T>::RevealMismatch
		);
		let meant_for_now = |&(target, _): &(u16, u16)| {
			target == uid
				|| Neurons::<T>::get(target)
					.is_some_and(|record| crate::edge_counts(Some(commit.at), record.registered_at))
		};
		let weights: Vec<(u16, u16)> = weights.into_iter().filter(meant_for_now).collect();
		Self::do_set_weights(who, weights)?;
		WeightCommits::<T>::remove(uid);
		Ok(())
	}
}
