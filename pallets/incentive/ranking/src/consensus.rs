//! The consensus mechanism: stake-weighted clipping, incentive, bonds and dividends.
//!
//! `docs/consensus.md` specifies it, with the worked example that `tests.rs` reproduces. In
//! short, per payout:
//!
//! 1. **Evaluations** `W_ij`: neuron `i`'s posted weights without its own uid, normalized to
//!    [`FRACTION_ONE`]. A neuron with stake and a non-empty evaluation is a *voter*.
//! 2. **Consensus** `c_j`: the largest `c` such that voters holding at least `kappa` of the
//!    voting stake that may evaluate `j` (every voter but `j` itself) gave `j` at least `c`.
//! 3. **Clipping**: `min(W_ij, c_j)`; the support of `i` for `j` is `S_i · min(W_ij, c_j)`.
//! 4. **Incentive** `I_j`: `j`'s total support over all support.
//! 5. **Bonds** `B_ij`: an exponential moving average of `i`'s share of `j`'s support.
//! 6. **Dividends** `D_i`: `sum_j B_ij · I_j`, normalized.
//! 7. **Emission**: the dividend part of the pot is `dividend_share` scaled by the judging
//!    share, all support over all stake (`sum_i S_i · sum_j min(W_ij, c_j) / sum_i S_i`): the
//!    stake-weighted part of the weight the majority confirms. So (first payout, steady state)
//!    a judge's dividends per stake do not depend on who else judges; a lone one is paid so.
//!
//! Everything is exact integer arithmetic: supports are `u128` products (no rounding), shares
//! are exact rationals rounded once, so scaling every stake by the same factor changes nothing
//! (while the total stake is below 2^95; beyond, stakes are scaled down by a common shift).
//! The cost is `O(E log E)` for `E` evaluation entries (one sort of the entries by target).

use alloc::{vec, vec::Vec};

use sp_arithmetic::{
	helpers_128bit::multiply_by_rational_with_rounding, per_things::Rounding, traits::Saturating,
	PerThing, Perquintill,
};

use crate::{normalize, split_emission, NeuronInput, FRACTION_ONE};

/// One evaluator's bonds: `(target uid, bond)` sorted by target, each bond a fraction of
/// [`FRACTION_ONE`] (its share of the target's support, averaged over payouts).
pub type Bonds = Vec<(u16, u64)>;

#[cfg(test)]
mod tests;

/// The parameters of [`consensus`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsensusParams {
	/// The share of the eligible voting stake that must give a neuron at least its consensus
	/// weight (1/2: the stake-weighted median). Zero is read as the smallest positive share.
	pub kappa: Perquintill,
	/// Weight of this payout's support shares in the bonds' moving average (1 = no memory).
	pub bond_alpha: Perquintill,
	/// Most bonds one evaluator keeps; the smallest go first (ties: the highest uid first).
	pub max_bonds: usize,
}

/// The outcome of [`consensus`], every vector indexed by uid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsensusOutcome {
	/// Consensus weight `c_j` of each neuron, a fraction of [`FRACTION_ONE`].
	pub consensus: Vec<u64>,
	/// Incentive `I_j`: the neuron's share of all clipped support. All zero when nobody has
	/// support.
	pub incentive: Vec<Perquintill>,
	/// Dividends `D_i`: the evaluator's share of `sum_j B_ij · I_j`. All zero when nobody has
	/// support.
	pub dividends: Vec<Perquintill>,
	/// Each evaluator's bonds after this payout, to be stored for the next.
	pub bonds: Vec<Bonds>,
	/// All support over all stake (each evaluator's stake times the part of its evaluation
	/// that survived clipping, summed, over the total stake): the part of `dividend_share` that
	/// is paid as dividends ([`ConsensusOutcome::dividend_part`]).
	pub judging_share: Perquintill,
}

impl ConsensusOutcome {
	/// The share of the pot paid as dividends: `dividend_share · judging_share`, rounded down.
	/// Stake that does not judge, or whose weight nobody confirms, leaves its part to
	/// incentive (first payout, steady state: a judge's dividends per stake stay the same).
	pub fn dividend_part(&self, dividend_share: Perquintill) -> Perquintill {
		Perquintill::from_parts(dividend_share.mul_floor(self.judging_share.deconstruct()))
	}

	/// Each neuron's share of the pot: `(1 - d) · I + d · D` with `d` the
	/// [`ConsensusOutcome::dividend_part`], each product rounded down.
	pub fn shares(&self, dividend_share: Perquintill) -> Vec<Perquintill> {
		let dividend_share = self.dividend_part(dividend_share);
		let incentive_share = dividend_share.left_from_one();
		let part = |share: Perquintill, of: Perquintill| {
			Perquintill::from_parts(share.mul_floor(of.deconstruct()))
		};
		self.incentive
			.iter()
			.zip(&self.dividends)
			.map(|(&incentive, &dividends)| {
				part(incentive_share, incentive).saturating_add(part(dividend_share, dividends))
			})
			.collect()
	}
}

/// Runs one payout's consensus over `neurons` (indexed by uid) with the evaluators' previous
/// `bonds` (indexed by uid; missing entries are no bonds). Bonds whose target is not below
/// `neurons.len()` are dropped; the caller drops bonds in a uid that changed hands.
pub fn consensus(
	neurons: &[NeuronInput<'_>],
	bonds: &[Bonds],
	params: &ConsensusParams,
) -> ConsensusOutcome {
	let n = neurons.len();
	let evaluations: Vec<Vec<(u16, u64)>> =
		neurons.iter().enumerate().map(|(uid, neuron)| evaluation(uid, neuron, n)).collect();
	let consensus = consensus_weights(neurons, &evaluations, params.kappa);
	// Supports are recomputed per row rather than kept for all rows at once: at the largest
	// graph they would be 32 MiB, which the runtime's memory would rather not hold twice.
	let shift = support_shift(neurons);
	let row_of = |uid: usize| {
		let stake =
			neurons.get(uid).map_or(0, |neuron| neuron.stake.checked_shr(shift).unwrap_or(0));
		let row = evaluations.get(uid).map(Vec::as_slice).unwrap_or_default();
		clipped_row(stake, row, &consensus)
	};
	let totals = column_totals((0..n).flat_map(row_of), n);
	let all_support = totals.iter().fold(0u128, |acc, &total| acc.saturating_add(total));
	let incentive = shares_of(&totals, all_support);
	let bonds: Vec<Bonds> = (0..n)
		.map(|uid| {
			let previous = bonds.get(uid).map(Vec::as_slice).unwrap_or_default();
			let support: Vec<(u16, u128)> = row_of(uid).collect();
			updated_bonds(previous, &support, &totals, n, params)
		})
		.collect();
	let dividends = dividends_of(&bonds, &incentive);
	let judging_share = judging_share(neurons, shift, all_support);
	ConsensusOutcome { consensus, incentive, dividends, bonds, judging_share }
}

/// Splits `pot` into incentive and dividends (the [`ConsensusOutcome::dividend_part`] of it,
/// rounded down) and pays each by its shares ([`split_emission`]). Returns
/// `(payouts, remainder)` with `sum(payouts) + remainder == pot`; when nobody has support the
/// whole pot is the remainder.
pub fn split_consensus_emission(
	pot: u128,
	outcome: &ConsensusOutcome,
	dividend_share: Perquintill,
) -> (Vec<u128>, u128) {
	let dividend_pot = outcome.dividend_part(dividend_share).mul_floor(pot);
	let incentive_pot = pot.saturating_sub(dividend_pot);
	let (incentive, incentive_left) = split_emission(incentive_pot, &outcome.incentive);
	let (dividends, dividends_left) = split_emission(dividend_pot, &outcome.dividends);
	// Each split pays at most its part, and the parts sum to `pot`: nothing here saturates.
	let payouts = incentive.iter().zip(&dividends).map(|(a, b)| a.saturating_add(*b)).collect();
	(payouts, incentive_left.saturating_add(dividends_left))
}

/// Neuron `uid`'s evaluation: its weights without its own uid, normalized, sorted by target and
/// with duplicate targets merged. Empty when it has no stake or nothing valid is left.
fn evaluation(uid: usize, neuron: &NeuronInput<'_>, n: usize) -> Vec<(u16, u64)> {
	let Ok(own) = u16::try_from(uid) else { return Vec::new() };
	if neuron.stake == 0 {
		return Vec::new();
	}
	let others: Vec<(u16, u16)> =
		neuron.weights.iter().copied().filter(|&(target, _)| target != own).collect();
	let mut edges = normalize(own, &others, n).out_edges;
	edges.sort_unstable_by_key(|&(target, _)| target);
	edges.dedup_by(|later, kept| {
		let same = later.0 == kept.0;
		if same {
			kept.1 = kept.1.saturating_add(later.1).min(FRACTION_ONE);
		}
		same
	});
	edges
}

/// `c_j` for every neuron: walk `j`'s evaluations from the highest weight down, adding the
/// evaluators' stake, and stop at the first weight where it reaches `kappa` of the voting
/// stake other than `j`'s own. Zero when it never does.
fn consensus_weights(
	neurons: &[NeuronInput<'_>],
	evaluations: &[Vec<(u16, u64)>],
	kappa: Perquintill,
) -> Vec<u64> {
	let stake_of = |uid: usize| neurons.get(uid).map_or(0, |neuron| neuron.stake);
	let voting = |uid: usize| evaluations.get(uid).is_some_and(|row| !row.is_empty());
	let voting_stake = (0..neurons.len())
		.filter(|&uid| voting(uid))
		.fold(0u128, |acc, uid| acc.saturating_add(stake_of(uid)));
	// `(target, evaluator, weight)`, by target and then by weight, highest first. 16 bytes an
	// entry: the runtime's allocator refuses single allocations over 32 MiB, and the largest
	// graph has 2^20 entries (the stake is looked up instead of stored).
	let mut entries: Vec<(u16, u16, u64)> = evaluations
		.iter()
		.enumerate()
		.filter_map(|(uid, row)| u16::try_from(uid).ok().map(|uid| (uid, row)))
		.flat_map(|(uid, row)| row.iter().map(move |&(target, weight)| (target, uid, weight)))
		.collect();
	entries.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)));

	let kappa = if kappa.is_zero() { Perquintill::from_parts(1) } else { kappa };
	let mut consensus = vec![0u64; neurons.len()];
	for column in entries.chunk_by(|a, b| a.0 == b.0) {
		let Some(&(target, _, _)) = column.first() else { continue };
		let target = usize::from(target);
		let own = if voting(target) { stake_of(target) } else { 0 };
		let needed = kappa.mul_ceil(voting_stake.saturating_sub(own)).max(1);
		let mut reached = 0u128;
		let crossing = column.iter().find(|&&(_, evaluator, _)| {
			reached = reached.saturating_add(stake_of(usize::from(evaluator)));
			reached >= needed
		});
		if let (Some(&(_, _, weight)), Some(slot)) = (crossing, consensus.get_mut(target)) {
			*slot = weight;
		}
	}
	consensus
}

/// `all_support / (total stake · FRACTION_ONE)`, rounded down, with the stakes shifted as the
/// supports were ([`support_shift`]); zero when there is no stake. Every evaluation sums to at
/// most [`FRACTION_ONE`], so the share is at most one.
fn judging_share(neurons: &[NeuronInput<'_>], shift: u32, all_support: u128) -> Perquintill {
	let total = neurons.iter().fold(0u128, |acc, neuron| {
		acc.saturating_add(neuron.stake.checked_shr(shift).unwrap_or(0))
	});
	// Below 2^95 after the shift, so the product fits.
	let whole = total.saturating_mul(u128::from(FRACTION_ONE));
	if whole == 0 {
		return Perquintill::zero();
	}
	Perquintill::from_rational(all_support.min(whole), whole)
}

/// The right shift applied to stakes before supports are computed. Supports sum to at most
/// `total stake · 2^32`: below 2^128 while the total is below 2^95, so the shift is zero for any
/// real issuance; larger totals are scaled down, all stakes by the same shift.
fn support_shift(neurons: &[NeuronInput<'_>]) -> u32 {
	let total = neurons.iter().fold(0u128, |acc, neuron| acc.saturating_add(neuron.stake));
	(u128::BITS.saturating_sub(total.leading_zeros())).saturating_sub(95)
}

/// One evaluator's support for each neuron it evaluates: `stake · min(W_ij, c_j)`, exact (the
/// stake already shifted, [`support_shift`]); entries of zero support are left out, the row's
/// order (by target) kept.
fn clipped_row<'a>(
	stake: u128,
	row: &'a [(u16, u64)],
	consensus: &'a [u64],
) -> impl Iterator<Item = (u16, u128)> + 'a {
	row.iter().filter_map(move |&(target, weight)| {
		let cap = consensus.get(usize::from(target)).copied().unwrap_or_default();
		let support = stake.saturating_mul(u128::from(weight.min(cap)));
		(support > 0).then_some((target, support))
	})
}

/// `R_j`: the total support of each neuron, from every `(target, support)`.
fn column_totals(supports: impl Iterator<Item = (u16, u128)>, n: usize) -> Vec<u128> {
	let mut totals = vec![0u128; n];
	for (target, support) in supports {
		if let Some(total) = totals.get_mut(usize::from(target)) {
			*total = total.saturating_add(support);
		}
	}
	totals
}

/// `parts_i / whole` for each part, rounded down; all zero when `whole` is zero.
fn shares_of(parts: &[u128], whole: u128) -> Vec<Perquintill> {
	parts
		.iter()
		.map(|&part| {
			if whole == 0 {
				Perquintill::zero()
			} else {
				Perquintill::from_rational(part.min(whole), whole)
			}
		})
		.collect()
}

/// One evaluator's bonds after this payout: `(1 - alpha) · B + alpha · share` for every target it
/// has a bond in or supports now, zeros dropped, at most `max_bonds` kept.
fn updated_bonds(
	previous: &[(u16, u64)],
	support: &[(u16, u128)],
	totals: &[u128],
	n: usize,
	params: &ConsensusParams,
) -> Bonds {
	let keep = params.bond_alpha.left_from_one();
	let share_of = |target: u16, support: u128| {
		let total = totals.get(usize::from(target)).copied().unwrap_or_default();
		let share = multiply_by_rational_with_rounding(
			support,
			u128::from(FRACTION_ONE),
			total,
			Rounding::Down,
		);
		// `support <= total`, so the share is at most FRACTION_ONE and fits.
		share.and_then(|share| u64::try_from(share).ok()).unwrap_or_default()
	};
	let mut merged: Bonds = Vec::with_capacity(previous.len().saturating_add(support.len()));
	let (mut old, mut new) = (previous.iter().peekable(), support.iter().peekable());
	loop {
		let (target, bond, now) = match (old.peek(), new.peek()) {
			(None, None) => break,
			(Some(&&(a, bond)), Some(&&(b, _))) if a < b => {
				old.next();
				(a, bond, 0)
			}
			(Some(&&(a, bond)), None) => {
				old.next();
				(a, bond, 0)
			}
			(Some(&&(a, bond)), Some(&&(b, support))) if a == b => {
				old.next();
				new.next();
				(a, bond, share_of(b, support))
			}
			(_, Some(&&(b, support))) => {
				new.next();
				(b, 0, share_of(b, support))
			}
		};
		let averaged = keep.mul_floor(bond).saturating_add(params.bond_alpha.mul_floor(now));
		if averaged > 0 && usize::from(target) < n {
			merged.push((target, averaged.min(FRACTION_ONE)));
		}
	}
	if merged.len() > params.max_bonds {
		merged.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
		merged.truncate(params.max_bonds);
		merged.sort_unstable_by_key(|&(target, _)| target);
	}
	merged
}

/// `D_i = sum_j B_ij · I_j`, normalized. Each term is below `2^32 · 10^18`, so sums of up to
/// 2^38 bonds cannot saturate.
fn dividends_of(bonds: &[Bonds], incentive: &[Perquintill]) -> Vec<Perquintill> {
	let raw: Vec<u128> = bonds
		.iter()
		.map(|row| {
			row.iter().fold(0u128, |acc, &(target, bond)| {
				let of = incentive.get(usize::from(target)).copied().unwrap_or_default();
				acc.saturating_add(u128::from(bond).saturating_mul(u128::from(of.deconstruct())))
			})
		})
		.collect();
	let total = raw.iter().fold(0u128, |acc, &value| acc.saturating_add(value));
	shares_of(&raw, total)
}
