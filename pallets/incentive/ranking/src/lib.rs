//! Stake-weighted attribution ranking, the consensus mechanism, and the emission splits that
//! follow from them.
//!
//! This crate is the maths of the incentive mechanism, kept apart from FRAME so that the pallet,
//! its benchmarks, the runtime API and the miner all compute the same thing from plain data. It
//! has no storage and no configuration trait; it is `no_std` and uses fixed-point integers only,
//! so every node derives bit-identical ranks from the same input.
//!
//! # Terms
//!
//! - **Neuron**: a participant, addressed by its **uid**, which is its position in the slice
//!   handed to [`rank`]. Uids are `u16`, so at most 65 536 neurons can be addressed.
//! - **Stake** `S_i`: base units of balance a neuron holds for the incentive mechanism. It is the
//!   mass that the ranking moves around.
//! - **Weights**: what a neuron posts about its peers, as `(target uid, raw u16 weight)` pairs.
//!   [`normalize`] turns them into fractions of [`FRACTION_ONE`] that sum to exactly one.
//! - **Out-edge** `f_ij`: the fraction of whatever reaches neuron `i` that it passes on to `j`.
//! - **Self weight** `N_i` (the "loop weight"): the fraction neuron `i` keeps, `1 - sum_j f_ij`.
//!   A neuron with no usable weights has self weight one: it keeps everything.
//! - **In flight** `T_k`: stake that is still moving after `k` passes. `T_0 = S`.
//! - **Absorbed** `A_i`: stake that came to rest at neuron `i`.
//! - **Pass**: one step of the walk. Every neuron sends `floor(T_i · f_ij)` to each target and
//!   absorbs what it does not send, so the rounding dust stays with the neuron holding it and no
//!   base unit is ever created or lost: `sum(A) + sum(T) == sum(S)` after every pass.
//! - **Rank**: `A_i / sum(A)`, a [`Perquintill`]. Ranks sum to one, short by at most one part per
//!   neuron (each is rounded down).
//!
//! # The algorithm
//!
//! Ranking is an absorbing random walk of stake, `A = N ⊙ (S + M S + M² S + …)`, evaluated
//! iteratively over a sparse (CSR) adjacency built once per call, so each pass costs
//! `O(neurons + edges)` and no `n × n` matrix is ever formed. The walk stops as soon as the mass in
//! flight is at most `sum(S) / CONVERGENCE_DIVISOR`, or after `max_passes` passes. Whatever is
//! still in flight then is left out: the ranks hand out what was absorbed. That bound matters for
//! neurons with self weight zero on a cycle, which never absorb anything.
//!
//! [`split_emission`] then pays a pot out by rank, rounding down and reporting the remainder, so
//! the caller can carry it and keep issuance exact.
//!
//! # Layout
//!
//! - `weights.rs`: [`normalize`], from posted raw weights to fixed-point fractions.
//! - `walk.rs`: the adjacency and the passes of [`rank`].
//! - `emission.rs`: [`split_emission`].
//! - `consensus.rs`: the second mechanism, [`consensus`] (stake-weighted clipping, bonds and
//!   dividends; `docs/consensus.md`), and [`split_consensus_emission`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;

mod consensus;
mod emission;
mod walk;
mod weights;

#[cfg(test)]
mod tests;

pub use consensus::{
	consensus, split_consensus_emission, Bonds, ConsensusOutcome, ConsensusParams,
};
pub use emission::split_emission;
pub use sp_arithmetic::Perquintill;
pub use walk::{rank, Absorption, RankingGraph};
pub use weights::{normalize, NormalizedWeights};

/// Fixed-point scale of normalized edge weights: a fraction `f` means `f / FRACTION_ONE`.
///
/// 2^32 gives the resolution the spec asks for and keeps every product with a `u128` amount
/// computable without overflow (see the walk's `mul_frac`).
pub const FRACTION_ONE: u64 = 1 << 32;

/// Stop when in-flight mass `<= total stake / CONVERGENCE_DIVISOR` (1e-9 of stake).
pub const CONVERGENCE_DIVISOR: u128 = 1_000_000_000;

/// One neuron's input. Its position in the slice passed to [`rank`] is its uid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NeuronInput<'a> {
	/// Stake in base units: the mass this neuron puts into the walk.
	pub stake: u128,
	/// Posted weights as `(target uid, raw weight)`. May contain the neuron's own uid (its self
	/// weight). Entries for unknown uids or with weight zero are ignored; see [`normalize`].
	pub weights: &'a [(u16, u16)],
}

/// Outcome of one ranking computation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranking {
	/// Rank of each neuron, by uid: its absorbed stake over all absorbed stake. All zero when
	/// nothing was absorbed (no neurons, no stake, or `max_passes == 0`).
	pub ranks: Vec<Perquintill>,
	/// Stake that came to rest at each neuron, in base units, by uid.
	pub absorbed: Vec<u128>,
	/// Number of passes the walk ran.
	pub passes: u32,
	/// Stake still in flight when the walk stopped, in base units. `sum(absorbed) + in_flight`
	/// equals the total stake.
	pub in_flight: u128,
}
