//! The attribution graph: the weights neurons post, the edge count, and which edges count.
//!
//! [`Weights`] holds each neuron's edges sorted by target uid, zero weights dropped, and
//! [`EdgeCount`] is the number of stored edges, changed by exactly what is added or removed.
//! Weights name uids, and a uid changes hands when its neuron leaves or is replaced; an edge
//! posted before the uid's current occupant registered was meant for someone else, so it is
//! stale: stored until its poster posts again, ignored by the ranking ([`edge_counts`]). Leaving
//! so costs the leaver's own edges only, not a search for everyone who pointed at it. (The file
//! is not called `weights.rs`: that name belongs to the generated
//! [`WeightInfo`](crate::WeightInfo).)

use alloc::vec::Vec;
use frame_support::{pallet_prelude::*, traits::Get};
use sp_runtime::traits::Saturating;

use crate::{Config, EdgeCount, EdgesOf, Error, Event, Neurons, Pallet, Params, Weights};

/// `len` as a `u32`, saturating (lengths here are bounded far below `u32::MAX`).
pub(crate) fn len_u32(len: usize) -> u32 {
	u32::try_from(len).unwrap_or(u32::MAX)
}

/// Whether an edge posted at block `posted_at` counts for the neuron that registered at block
/// `registered_at` and holds the target uid now: it must be posted strictly after that
/// registration, or the target must be a genesis neuron (registered at block 0, so every edge
/// to its uid was meant for it).
///
/// Strictly, because within one block the order of a `set_weights` and a registration that
/// takes the same uid is not visible here: an edge posted in the registration block may have
/// been meant for the neuron that was replaced in it.
pub fn edge_counts<BlockNumber: PartialOrd + sp_runtime::traits::Zero>(
	posted_at: Option<BlockNumber>,
	registered_at: BlockNumber,
) -> bool {
	registered_at.is_zero() || posted_at.is_some_and(|posted| posted > registered_at)
}

/// Each uid's registration block in a vector of `slots` entries, from `(uid, registered_at)`
/// pairs; `None` for uids not listed (empty, or not needed). The `registered_at` argument of
/// [`counted_edges`].
pub fn registration_blocks<BlockNumber: Copy>(
	slots: usize,
	neurons: impl IntoIterator<Item = (u16, BlockNumber)>,
) -> Vec<Option<BlockNumber>> {
	let mut blocks = alloc::vec![None; slots];
	for (uid, registered_at) in neurons {
		if let Some(block) = blocks.get_mut(usize::from(uid)) {
			*block = Some(registered_at);
		}
	}
	blocks
}

/// The edges of neuron `uid`, posted at `posted_at`, that count: its self weight and those to
/// a uid whose current neuron registered before they were posted ([`edge_counts`]).
/// `registered_at` is each uid's registration block, `None` for an empty uid.
pub fn counted_edges<BlockNumber: Copy + PartialOrd + sp_runtime::traits::Zero>(
	uid: u16,
	posted_at: Option<BlockNumber>,
	edges: &[(u16, u16)],
	registered_at: &[Option<BlockNumber>],
) -> Vec<(u16, u16)> {
	edges
		.iter()
		.copied()
		.filter(|&(target, _)| {
			// The self weight is always the neuron's own, whenever it was posted.
			target == uid
				|| registered_at
					.get(usize::from(target))
					.copied()
					.flatten()
					.is_some_and(|at| edge_counts(posted_at, at))
		})
		.collect()
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
		let uid = Self::operated_uid(&who)?;
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

		// Only the old length is needed; the old edges need not be decoded.
		let old = Weights::<T>::decode_len(uid).unwrap_or_default();
		EdgeCount::<T>::mutate(|count| {
			*count = count.saturating_sub(len_u32(old)).saturating_add(len_u32(edges.len()))
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

	/// Removes the edges `uid` posted; returns how many there were. Edges others posted to
	/// `uid` stay (they turn stale for its next occupant).
	///
	/// A neuron whose targets all left keeps its (stale) edges and so, in the ranking, keeps
	/// all stake that reaches it, as the spec asks of one with no weights.
	pub(crate) fn clear_edges(uid: u16) -> u32 {
		let removed = Weights::<T>::take(uid).map(|edges| len_u32(edges.len())).unwrap_or(0);
		EdgeCount::<T>::mutate(|count| *count = count.saturating_sub(removed));
		removed
	}
}
