//! The absorbing random walk behind [`rank`].

use alloc::{vec, vec::Vec};

use sp_arithmetic::traits::Zero;

use crate::{normalize, NeuronInput, Perquintill, Ranking, CONVERGENCE_DIVISOR, FRACTION_ONE};

/// `log2(FRACTION_ONE)`: the shift that divides by [`FRACTION_ONE`].
const FRACTION_BITS: u32 = FRACTION_ONE.trailing_zeros();

/// Ranks neurons by the stake that comes to rest at them in an absorbing random walk.
///
/// `neurons[i]` is the neuron with uid `i`. The walk starts with each neuron's stake in flight at
/// the neuron itself. Each pass, every neuron sends `floor(T_i · f_ij)` to each target and absorbs
/// the rest, so `sum(absorbed) + in_flight` is the total stake after every pass. The walk stops
/// when at most `total / CONVERGENCE_DIVISOR` is in flight or after `max_passes` passes; what is
/// still in flight then is left out of the ranks, which are `absorbed_i / sum(absorbed)`.
///
/// Edge cases, none of which panic:
/// - No neurons or no stake: all ranks zero, no passes.
/// - `max_passes == 0`: no passes, nothing absorbed, all ranks zero and all stake reported in
///   flight. Callers are expected to configure at least one pass.
/// - Neurons beyond uid `u16::MAX` cannot be addressed by weights; they take part with self weight
///   one, keeping their own stake.
/// - The total stake is assumed to fit in `u128` (it is bounded by total issuance). Were it not,
///   sums saturate: no panic, but the conservation identity no longer holds exactly.
pub fn rank(neurons: &[NeuronInput<'_>], max_passes: u32) -> Ranking {
	RankingGraph::new(neurons).rank(max_passes)
}

/// The input of [`rank`] with every neuron's weights normalized and laid out for the walk.
///
/// [`rank`] is `RankingGraph::new(neurons).rank(max_passes)`. The two steps are apart so that
/// benchmarks can price the walk's passes without the normalization, which runs once per
/// ranking however many passes follow.
pub struct RankingGraph {
	graph: Graph,
	stakes: Vec<u128>,
}

impl RankingGraph {
	/// Normalizes the weights of `neurons` (indexed by uid) and keeps their stakes.
	pub fn new(neurons: &[NeuronInput<'_>]) -> Self {
		Self {
			graph: Graph::build(neurons),
			stakes: neurons.iter().map(|neuron| neuron.stake).collect(),
		}
	}

	/// Runs the walk: see [`rank`].
	pub fn rank(&self, max_passes: u32) -> Ranking {
		let Absorption { absorbed, passes, in_flight } = self.absorb(max_passes);
		Ranking { ranks: shares(&absorbed), absorbed, passes, in_flight }
	}

	/// The walk's passes alone: where the stake comes to rest, without turning it into ranks
	/// (one division per neuron, done once per ranking; benchmarks price a pass without it).
	pub fn absorb(&self, max_passes: u32) -> Absorption {
		// Real chains' total stake fits in 64 bits (it is bounded by issuance), and then every
		// in-flight amount does too: walk in u64, which halves memory traffic and keeps each
		// edge's product in 64-bit multiplies. The u128 walk computes the same floors.
		let narrow = self.stakes.iter().map(|&stake| u64::try_from(stake)).collect();
		match narrow {
			Ok(small) if u64::try_from(sum(&self.stakes)).is_ok() => {
				walk(&self.graph, small, max_passes)
			}
			_ => walk(&self.graph, self.stakes.clone(), max_passes),
		}
	}
}

/// Where the walk of [`RankingGraph::absorb`] left the stake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Absorption {
	/// Stake that came to rest at each neuron, in base units, by uid.
	pub absorbed: Vec<u128>,
	/// Number of passes the walk ran.
	pub passes: u32,
	/// Stake still in flight when the walk stopped, in base units.
	pub in_flight: u128,
}

/// [`rank`] always in `u128`, to check that the `u64` walk agrees with it.
#[cfg(test)]
pub(crate) fn rank_wide(neurons: &[NeuronInput<'_>], max_passes: u32) -> Ranking {
	let graph = RankingGraph::new(neurons);
	let Absorption { absorbed, passes, in_flight } =
		walk(&graph.graph, graph.stakes.clone(), max_passes);
	Ranking { ranks: shares(&absorbed), absorbed, passes, in_flight }
}

/// The passes of [`rank`] over `stakes`, in the amount type `A`.
fn walk<A: Amount>(graph: &Graph, stakes: Vec<A>, max_passes: u32) -> Absorption {
	let mut current = stakes;
	let mut next = vec![A::default(); current.len()];
	let mut absorbed = vec![A::default(); current.len()];

	let total = A::sum(&current).widen();
	let threshold = total.checked_div(CONVERGENCE_DIVISOR).unwrap_or_default();
	let mut in_flight = total;
	let mut passes = 0u32;
	while in_flight > threshold && passes < max_passes {
		graph.pass(&current, &mut next, &mut absorbed);
		core::mem::swap(&mut current, &mut next);
		in_flight = A::sum(&current).widen();
		// `passes < max_passes <= u32::MAX`, so this cannot saturate.
		passes = passes.saturating_add(1);
	}

	Absorption { absorbed: absorbed.into_iter().map(Amount::widen).collect(), passes, in_flight }
}

/// An amount of stake in flight: `u64` when the total stake fits, `u128` otherwise. Both give
/// bit-identical walks, since every amount is at most the total.
trait Amount: Copy + Default + PartialEq {
	/// `floor(self · fraction / FRACTION_ONE)` for `fraction = stored + 1` (see [`Graph`]).
	fn take(self, stored: u32) -> Self;
	/// Sum that saturates (only reachable if the total does not fit, which callers rule out).
	fn add(self, other: Self) -> Self;
	/// `self - other`, saturating at zero.
	fn sub(self, other: Self) -> Self;
	/// The amount as `u128`.
	fn widen(self) -> u128;
	/// Sum of amounts.
	fn sum(amounts: &[Self]) -> Self {
		amounts.iter().fold(Self::default(), |acc, &amount| acc.add(amount))
	}
}

impl Amount for u64 {
	fn take(self, stored: u32) -> Self {
		// The hot loop of the ranking; checked forms here cost a third of its time. Both forms
		// compute the same floor (a test checks it); each target gets the faster one.
		let fraction = u64::from(stored).wrapping_add(1);
		#[cfg(target_arch = "wasm32")]
		return take_by_halves(self, fraction);
		#[cfg(not(target_arch = "wasm32"))]
		return take_wide(self, fraction);
	}
	fn add(self, other: Self) -> Self {
		self.saturating_add(other)
	}
	fn sub(self, other: Self) -> Self {
		self.saturating_sub(other)
	}
	fn widen(self) -> u128 {
		u128::from(self)
	}
}

/// `floor(amount · fraction / 2^32)` for `fraction <= 2^32` with one 64×64→128-bit multiply: a
/// single instruction on 64-bit CPUs.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
fn take_wide(amount: u64, fraction: u64) -> u64 {
	// amount < 2^64 and fraction <= 2^32: the product is below 2^96 (the wrapping multiply never
	// wraps) and the shifted result at most `amount` (the cast is lossless).
	(u128::from(amount).wrapping_mul(u128::from(fraction)) >> FRACTION_BITS) as u64
}

/// The same floor with two 64-bit multiplies: wasm has no 128-bit multiply (it calls a helper),
/// so the runtime's walk splits `amount` as `hi · 2^32 + lo`, and the floor is
/// `hi · fraction + (lo · fraction >> 32)`.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn take_by_halves(amount: u64, fraction: u64) -> u64 {
	// hi, lo < 2^32 and fraction <= 2^32: both products are below 2^64, and the sum is at most
	// `amount`, so nothing wraps.
	let hi = amount >> FRACTION_BITS;
	let lo = amount & u64::from(u32::MAX);
	hi.wrapping_mul(fraction).wrapping_add(lo.wrapping_mul(fraction) >> FRACTION_BITS)
}

#[cfg(test)]
pub(crate) fn take_forms(amount: u64, fraction: u64) -> (u64, u64) {
	(take_wide(amount, fraction), take_by_halves(amount, fraction))
}

impl Amount for u128 {
	fn take(self, stored: u32) -> Self {
		mul_frac(self, u64::from(stored).saturating_add(1))
	}
	fn add(self, other: Self) -> Self {
		self.saturating_add(other)
	}
	fn sub(self, other: Self) -> Self {
		self.saturating_sub(other)
	}
	fn widen(self) -> u128 {
		self
	}
}

/// Sparse (CSR) adjacency of all neurons' out-edges, built once per [`rank`] call.
///
/// Targets and fractions live in separate narrow arrays (6 bytes an edge rather than 16), since a
/// pass streams every edge and is bound by memory bandwidth on large graphs.
struct Graph {
	/// Target uid of every out-edge, grouped by source neuron in uid order.
	targets: Vec<u16>,
	/// Fraction of every out-edge, minus one. Fractions are in `1..=FRACTION_ONE` (zero ones
	/// are dropped by `normalize`), so `fraction - 1` always fits 32 bits.
	fractions: Vec<u32>,
	/// For each neuron, the end of its group in `targets`/`fractions`; its group starts where
	/// the previous neuron's ends.
	ends: Vec<usize>,
}

impl Graph {
	/// Normalizes every neuron's weights and lays the out-edges back to back.
	fn build(neurons: &[NeuronInput<'_>]) -> Self {
		let capacity =
			neurons.iter().fold(0usize, |acc, neuron| acc.saturating_add(neuron.weights.len()));
		let mut targets = Vec::with_capacity(capacity);
		let mut fractions = Vec::with_capacity(capacity);
		let mut ends = Vec::with_capacity(neurons.len());
		for (uid, neuron) in neurons.iter().enumerate() {
			// The self weight is not stored: a neuron absorbs whatever it does not send, which is
			// its self weight's share plus its rounding dust.
			if let Ok(uid) = u16::try_from(uid) {
				for (target, fraction) in normalize(uid, neuron.weights, neurons.len()).out_edges {
					targets.push(target);
					fractions.push(u32::try_from(fraction.saturating_sub(1)).unwrap_or(u32::MAX));
				}
			}
			ends.push(targets.len());
		}
		Self { targets, fractions, ends }
	}

	/// One step of the walk: moves the mass in `current` along the edges into `next` and adds to
	/// `absorbed` what each neuron keeps.
	fn pass<A: Amount>(&self, current: &[A], next: &mut [A], absorbed: &mut [A]) {
		next.fill(A::default());
		let mut start = 0usize;
		for ((&held, &end), kept) in current.iter().zip(&self.ends).zip(absorbed.iter_mut()) {
			let group = start..end;
			start = end;
			if held == A::default() {
				continue;
			}
			let targets = self.targets.get(group.clone()).unwrap_or_default();
			let fractions = self.fractions.get(group).unwrap_or_default();
			let mut sent = A::default();
			for (&target, &stored) in targets.iter().zip(fractions) {
				let amount = held.take(stored);
				// Targets were checked against the neuron count in `normalize`, so the slot exists.
				if let Some(slot) = next.get_mut(usize::from(target)) {
					// In-flight sums never exceed the total stake, which fits in `A`.
					*slot = slot.add(amount);
					sent = sent.add(amount);
				}
			}
			// The fractions sum to at most FRACTION_ONE and each amount is rounded down, so
			// `sent <= held`: the subtraction cannot saturate, and the rounding dust is kept here.
			*kept = kept.add(held.sub(sent));
		}
	}
}

/// `floor(amount · fraction / FRACTION_ONE)`, exact for every `u128` amount and
/// `fraction <= FRACTION_ONE` (larger fractions are treated as one).
///
/// The product itself can need 160 bits, so the amount is split as `hi · 2^32 + lo`; then the
/// result is `hi · fraction + floor(lo · fraction / 2^32)` with no intermediate overflow.
pub(crate) fn mul_frac(amount: u128, fraction: u64) -> u128 {
	let fraction = u128::from(fraction.min(FRACTION_ONE));
	let hi = amount.checked_shr(FRACTION_BITS).unwrap_or_default();
	let lo = amount & u128::from(u32::MAX);
	// hi < 2^96 and fraction <= 2^32, so hi · fraction < 2^128; lo · fraction < 2^64; and the sum
	// is at most `amount`. None of these saturate.
	let low_part = lo.saturating_mul(fraction).checked_shr(FRACTION_BITS).unwrap_or_default();
	hi.saturating_mul(fraction).saturating_add(low_part)
}

/// Sum of amounts; saturates only if the total stake does not fit in u128.
fn sum(amounts: &[u128]) -> u128 {
	amounts.iter().fold(0u128, |acc, &amount| acc.saturating_add(amount))
}

/// Each amount as a share of their sum, rounded down; all zero if the sum is zero.
fn shares(amounts: &[u128]) -> Vec<Perquintill> {
	let total = sum(amounts);
	if total.is_zero() {
		return vec![Perquintill::zero(); amounts.len()];
	}
	amounts.iter().map(|&amount| Perquintill::from_rational(amount, total)).collect()
}
