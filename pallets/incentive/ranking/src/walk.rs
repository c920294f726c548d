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
	let graph = Graph::build(neurons);
	let mut current: Vec<u128> = neurons.iter().map(|neuron| neuron.stake).collect();
	let mut next = vec![0u128; current.len()];
	let mut absorbed = vec![0u128; current.len()];

	let total = sum(&current);
	let threshold = total.checked_div(CONVERGENCE_DIVISOR).unwrap_or_default();
	let mut in_flight = total;
	let mut passes = 0u32;
	while in_flight > threshold && passes < max_passes {
		graph.pass(&current, &mut next, &mut absorbed);
		core::mem::swap(&mut current, &mut next);
		in_flight = sum(&current);
		// `passes < max_passes <= u32::MAX`, so this cannot saturate.
		passes = passes.saturating_add(1);
	}

	Ranking { ranks: shares(&absorbed), absorbed, passes, in_flight }
}

/// Sparse (CSR) adjacency of all neurons' out-edges, built once per [`rank`] call.
struct Graph {
	/// `(target, fraction)` of every out-edge, grouped by source neuron in uid order.
	edges: Vec<(u16, u64)>,
	/// For each neuron, the end of its group in `edges`; its group starts where the previous
	/// neuron's ends.
	ends: Vec<usize>,
}

impl Graph {
	/// Normalizes every neuron's weights and lays the out-edges back to back.
	fn build(neurons: &[NeuronInput<'_>]) -> Self {
		let capacity =
			neurons.iter().fold(0usize, |acc, neuron| acc.saturating_add(neuron.weights.len()));
		let mut edges = Vec::with_capacity(capacity);
		let mut ends = Vec::with_capacity(neurons.len());
		for (uid, neuron) in neurons.iter().enumerate() {
			// The self weight is not stored: a neuron absorbs whatever it does not send, which is
			// its self weight's share plus its rounding dust.
			if let Ok(uid) = u16::try_from(uid) {
				edges.extend(normalize(uid, neuron.weights, neurons.len()).out_edges);
			}
			ends.push(edges.len());
		}
		Self { edges, ends }
	}

	/// Each neuron's out-edges, in uid order.
	fn out_edges(&self) -> impl Iterator<Item = &[(u16, u64)]> + '_ {
		let mut start = 0usize;
		self.ends.iter().map(move |&end| {
			let group = self.edges.get(start..end).unwrap_or_default();
			start = end;
			group
		})
	}

	/// One step of the walk: moves the mass in `current` along the edges into `next` and adds to
	/// `absorbed` what each neuron keeps.
	fn pass(&self, current: &[u128], next: &mut [u128], absorbed: &mut [u128]) {
		next.fill(0);
		for ((&held, edges), kept) in current.iter().zip(self.out_edges()).zip(absorbed.iter_mut())
		{
			if held == 0 {
				continue;
			}
			let mut sent = 0u128;
			for &(target, fraction) in edges {
				let amount = mul_frac(held, fraction);
				// Targets were checked against the neuron count in `normalize`, so the slot exists.
				if let Some(slot) = next.get_mut(usize::from(target)) {
					// In-flight sums never exceed the total stake, which fits in u128.
					*slot = slot.saturating_add(amount);
					sent = sent.saturating_add(amount);
				}
			}
			// The fractions sum to at most FRACTION_ONE and each amount is rounded down, so
			// `sent <= held`: the subtraction cannot saturate, and the rounding dust is kept here.
			*kept = kept.saturating_add(held.saturating_sub(sent));
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
