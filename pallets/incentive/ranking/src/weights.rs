//! From posted raw weights to fixed-point edge fractions.

use alloc::vec::Vec;

use crate::FRACTION_ONE;

/// A neuron's weights as fractions of [`FRACTION_ONE`].
///
/// `self_weight + sum(out_edges fractions) == FRACTION_ONE` always holds exactly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NormalizedWeights {
	/// Fraction of what reaches the neuron that it keeps (absorbs).
	pub self_weight: u64,
	/// `(target uid, fraction)` for each neuron it passes stake on to, in posted order. Never
	/// contains the neuron's own uid and never a fraction of zero.
	pub out_edges: Vec<(u16, u64)>,
}

/// Normalizes a neuron's posted weights so that they sum to exactly [`FRACTION_ONE`].
///
/// - Entries whose target is `>= n_neurons` (a uid that does not exist, e.g. a neuron that left)
///   or whose raw weight is 0 are dropped before normalizing, so the remaining weights share the
///   whole of the neuron's attention.
/// - Entries for `own_uid` add up to the self weight.
/// - If nothing valid remains (no weights posted, all zero, all unknown), the self weight is
///   [`FRACTION_ONE`]: the neuron keeps what reaches it.
/// - Each out-edge gets `floor(raw · FRACTION_ONE / total)`. The rounding remainder goes to the
///   self weight, so that the neuron keeps the dust rather than minting or losing any.
///
/// Duplicate targets are not merged: each entry becomes its own edge, which moves the same stake
/// as one merged edge up to rounding. Rejecting duplicates is the caller's job (the pallet does it
/// when weights are set); this function only guarantees not to panic on them.
///
/// An out-edge whose fraction rounds to zero is dropped, since it could never carry stake. That
/// needs more than 65 536 valid entries, so it does not happen with sane inputs.
pub fn normalize(own_uid: u16, weights: &[(u16, u16)], n_neurons: usize) -> NormalizedWeights {
	let valid = |&&(target, raw): &&(u16, u16)| {
		raw > 0 && (target == own_uid || usize::from(target) < n_neurons)
	};
	// Cannot saturate: it would take 2^48 entries of at most u16::MAX each.
	let total = weights
		.iter()
		.filter(valid)
		.fold(0u64, |acc, &(_, raw)| acc.saturating_add(u64::from(raw)));
	if total == 0 {
		return NormalizedWeights { self_weight: FRACTION_ONE, out_edges: Vec::new() };
	}

	let out_edges: Vec<(u16, u64)> = weights
		.iter()
		.filter(valid)
		.filter(|&&(target, _)| target != own_uid)
		.filter_map(|&(target, raw)| {
			let fraction = fraction_of(raw, total);
			(fraction > 0).then_some((target, fraction))
		})
		.collect();

	// Every fraction is rounded down and the raw weights sum to at most `total`, so the out-edges
	// sum to at most FRACTION_ONE and the subtraction cannot saturate.
	let sent = out_edges.iter().fold(0u64, |acc, &(_, fraction)| acc.saturating_add(fraction));
	NormalizedWeights { self_weight: FRACTION_ONE.saturating_sub(sent), out_edges }
}

/// `floor(raw · FRACTION_ONE / total)`, for `0 < raw <= total`.
fn fraction_of(raw: u16, total: u64) -> u64 {
	// raw · 2^32 < 2^48, so the product fits in u64 and cannot saturate.
	u64::from(raw).saturating_mul(FRACTION_ONE).checked_div(total).unwrap_or(0)
}
