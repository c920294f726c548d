//! The attribution graph: the weights neurons post, their reverse index and the edge count.
//!
//! [`Weights`] holds each neuron's edges sorted by target uid, zero weights dropped.
//! [`Inbound`] mirrors it the other way round so that a leaving neuron's incoming edges can be
//! found without a scan, and [`EdgeCount`] is the number of stored edges, changed by exactly
//! what is added or removed. (The file is not called `weights.rs`: that name belongs to the
//! generated [`WeightInfo`](crate::WeightInfo).)

use alloc::vec::Vec;
use frame_support::{pallet_prelude::*, traits::Get};
use sp_runtime::traits::Saturating;

use crate::{Config, EdgeCount, EdgesOf, Error, Event, Inbound, Neurons, Pallet, Params, Weights};

/// `len` as a `u32`, saturating (lengths here are bounded far below `u32::MAX`).
pub(crate) fn len_u32(len: usize) -> u32 {
	u32::try_from(len).unwrap_or(u32::MAX)
}

impl<T: Config> Pallet<T> {
	/// The edge count `set_weights` is charged for: the posted length, capped at the storage
	/// bound (a longer list is rejected before any storage work).
	pub(crate) fn posted_edges_for_weight(weights: &[(u16, u16)]) -> u32 {
		len_u32(weights.len()).min(T::MaxEdgesLimit::get())
	}

	/// Replaces `who`'s weights with `weights`, after checking them all.
	///
	/// Checks, in order: registered, rate limit, at most `max_edges` entries, no uid twice,
	/// every uid registered, not all zero (unless empty). An empty list clears the weights.
	pub(crate) fn do_set_weights(who: T::AccountId, weights: Vec<(u16, u16)>) -> DispatchResult {
		let uid = Self::uid_of(&who)?;
		let mut info = Neurons::<T>::get(uid).ok_or(Error::<T>::NotRegistered)?;
		let params = Params::<T>::get();
		let now = frame_system::Pallet::<T>::block_number();
		if let Some(last) = info.last_weights_at {
			ensure!(
				now >= last.saturating_add(params.weights_rate_limit),
				Error::<T>::SettingWeightsTooFast
			);
		}
		ensure!(len_u32(weights.len()) <= params.max_edges, Error::<T>::TooManyEdges);

		let mut edges = weights;
		edges.sort_by_key(|&(target, _)| target);
		ensure!(
			!edges.windows(2).any(|pair| matches!(pair, [a, b] if a.0 == b.0)),
			Error::<T>::DuplicateUid
		);
		ensure!(
			edges.iter().all(|&(target, _)| Neurons::<T>::contains_key(target)),
			Error::<T>::UnknownUid
		);
		ensure!(
			edges.is_empty() || edges.iter().any(|&(_, weight)| weight > 0),
			Error::<T>::AllWeightsZero
		);
		edges.retain(|&(_, weight)| weight > 0);
		let edges: EdgesOf<T> = edges.try_into().map_err(|_| Error::<T>::TooManyEdges)?;

		let old = Weights::<T>::get(uid).unwrap_or_default();
		Self::update_inbound(uid, &old, &edges);
		EdgeCount::<T>::mutate(|count| {
			*count = count.saturating_sub(len_u32(old.len())).saturating_add(len_u32(edges.len()))
		});
		let stored = len_u32(edges.len());
		if edges.is_empty() {
			Weights::<T>::remove(uid);
		} else {
			Weights::<T>::insert(uid, edges);
		}
		info.last_weights_at = Some(now);
		Neurons::<T>::insert(uid, info);
		Self::deposit_event(Event::WeightsSet { uid, edges: stored });
		Ok(())
	}

	/// Brings [`Inbound`] from `old` to `new` edges of `source` (both sorted by target).
	fn update_inbound(source: u16, old: &[(u16, u16)], new: &[(u16, u16)]) {
		let mut old = old.iter().map(|&(target, _)| target).peekable();
		let mut new = new.iter().map(|&(target, _)| target).peekable();
		loop {
			match (old.peek().copied(), new.peek().copied()) {
				(Some(gone), Some(kept)) if gone == kept => {
					old.next();
					new.next();
				}
				(Some(gone), Some(added)) if gone < added => {
					Inbound::<T>::remove(gone, source);
					old.next();
				}
				(Some(gone), None) => {
					Inbound::<T>::remove(gone, source);
					old.next();
				}
				(_, Some(added)) => {
					Inbound::<T>::insert(added, source, ());
					new.next();
				}
				(None, None) => break,
			}
		}
	}

	/// Removes every edge from and to `uid`. Returns `(outbound, inbound)`: how many edges
	/// `uid` had posted and how many other neurons had posted to it.
	///
	/// A neuron whose last edge goes this way is left with no weights, so it keeps all stake
	/// that reaches it, as the spec asks of one whose targets all left.
	pub(crate) fn clear_edges(uid: u16) -> (u32, u32) {
		let outbound = Weights::<T>::take(uid).unwrap_or_default();
		for &(target, _) in outbound.iter() {
			Inbound::<T>::remove(target, uid);
		}
		let mut inbound = 0u32;
		let mut removed = len_u32(outbound.len());
		// The self edge, if any, was unindexed just above, so every source here is another
		// neuron.
		for (source, ()) in Inbound::<T>::drain_prefix(uid) {
			inbound = inbound.saturating_add(1);
			Weights::<T>::mutate_exists(source, |maybe_edges| {
				if let Some(edges) = maybe_edges {
					if let Ok(position) = edges.binary_search_by_key(&uid, |&(target, _)| target) {
						edges.remove(position);
						removed = removed.saturating_add(1);
					}
					if edges.is_empty() {
						*maybe_edges = None;
					}
				}
			});
		}
		EdgeCount::<T>::mutate(|count| *count = count.saturating_sub(removed));
		(len_u32(outbound.len()), inbound)
	}
}
