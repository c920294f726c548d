//! Copy detection: a peer that relays another peer's answers (or serves the same model) brings
//! nothing of its own, yet under leave-one-out scoring each of the two makes the other look
//! redundant, so a copier would take the original's score away as well as a share of its own.
//!
//! Two peers' answers to the same probes are compared by linear CKA (centered kernel
//! alignment) of their normalized rows: `HSIC(K, L) / √(HSIC(K, K) HSIC(L, L))` with `K = XXᵀ`,
//! `L = YYᵀ` the probes' Gram matrices, HSIC by its unbiased estimator. The plain (biased)
//! estimator drifts toward 1 for unrelated answers when the features are wide against the
//! number of probes (about `1 / (1 + rows/dim)` for isotropic ones: 0.67 at 128 probes of 256
//! features), which would bring honest peers near the threshold; the unbiased one stays near
//! 0 for them. It is 1 for identical answers and is
//! unchanged by any rotation, reflection, permutation or scaling of the features, so a relay
//! cannot hide behind a rotation; small noise added to a copy barely moves it. A pair at or
//! above [`COPY_SIMILARITY`] is one source: the peer that answered first is the original (a
//! relay must wait for its source's answer; which neuron registered first says nothing about
//! who computes) and is scored leaving out the whole group, the others are copies and observe
//! 0.
//!
//! A mirror is the same check against the miner itself: a peer that relays the miner's own
//! axon back to it (or serves its published model) answers as the miner's own model does. Its
//! answers are compared with the miner's own rows on the same probes, from the snapshot its
//! axon serves and from its current model (which has moved on since the last publication);
//! at or above [`COPY_SIMILARITY`] with either, the peer observes 0. Leave-one-out alone
//! mostly finds such a peer redundant, but its answers lag the model (they come from the last
//! snapshot) and the peer head is extra capacity, so a saving within noise of zero, sometimes
//! above it, is what it would get; the mirror verdict makes it exactly zero and says why.
//!
//! Not caught: a relay that applies a general invertible linear map to what it relays (CKA is
//! blind to rotations and scaling, not to every linear map), which the miner's per-slot
//! projection could learn to undo. Such a relay is then scored by leave-one-out like any
//! redundant pair, both sharing the credit.

/// CKA at or above which two peers' answers count as one source.
pub const COPY_SIMILARITY: f64 = 0.98;

/// The Gram matrix of `rows` rows of `dim` values (row-major), `rows × rows`, with its diagonal
/// zeroed, as the unbiased HSIC estimator takes it.
fn gram(x: &[f32], rows: usize, dim: usize) -> Vec<f64> {
	let row = |i: usize| x.get(i * dim..(i + 1) * dim).unwrap_or(&[]);
	let mut k = vec![0.0f64; rows * rows];
	for i in 0..rows {
		for j in i + 1..rows {
			let dot: f64 =
				row(i).iter().zip(row(j)).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum();
			k[i * rows + j] = dot;
			k[j * rows + i] = dot;
		}
	}
	k
}

/// The unbiased estimator of HSIC (Song et al., 2012) from two zero-diagonal Gram matrices of
/// `n ≥ 4` probes: `[tr(KL) + 1ᵀK1·1ᵀL1 / ((n−1)(n−2)) − 2·1ᵀKL1 / (n−2)] / (n(n−3))`.
fn hsic(k: &[f64], l: &[f64], n: usize) -> f64 {
	let row_sums = |m: &[f64]| -> Vec<f64> { m.chunks(n.max(1)).map(|r| r.iter().sum()).collect() };
	let (rk, rl) = (row_sums(k), row_sums(l));
	let trace: f64 = k.iter().zip(l).map(|(a, b)| a * b).sum();
	let (sum_k, sum_l): (f64, f64) = (rk.iter().sum(), rl.iter().sum());
	let cross: f64 = rk.iter().zip(&rl).map(|(a, b)| a * b).sum();
	let n = n as f64;
	(trace + sum_k * sum_l / ((n - 1.0) * (n - 2.0)) - 2.0 * cross / (n - 2.0)) / (n * (n - 3.0))
}

/// Debiased linear CKA of two zero-diagonal Gram matrices of `n` probes; 0 when either side
/// carries no variation or there are fewer than 4 probes.
fn cka_of_grams(k: &[f64], l: &[f64], n: usize) -> f64 {
	if n < 4 {
		return 0.0;
	}
	let norms = hsic(k, k, n) * hsic(l, l, n);
	let cka = hsic(k, l, n) / norms.sqrt();
	if norms > 0.0 && cka.is_finite() {
		cka
	} else {
		0.0
	}
}

/// The Gram matrix of each present answer (`rows × dim`).
fn grams(answers: &[Option<Vec<f32>>], rows: usize, dim: usize) -> Vec<Option<Vec<f64>>> {
	answers.iter().map(|a| a.as_ref().map(|a| gram(a, rows, dim))).collect()
}

/// For each slot, its highest similarity with the miner's own rows: `answers[k]` is slot
/// `k`'s normalized answer (`rows × dim`) when present, each of `own` the miner's own rows
/// (`rows × own_dim`). A slot at or above [`COPY_SIMILARITY`] mirrors the miner.
pub fn likeness_to_own(
	answers: &[Option<Vec<f32>>],
	dim: usize,
	own: &[Vec<f32>],
	own_dim: usize,
	rows: usize,
) -> Vec<f64> {
	let own_grams: Vec<Vec<f64>> = own.iter().map(|o| gram(o, rows, own_dim)).collect();
	grams(answers, rows, dim)
		.iter()
		.map(|g| {
			let Some(g) = g else { return 0.0 };
			own_grams.iter().map(|o| cka_of_grams(g, o, rows)).fold(0.0, f64::max)
		})
		.collect()
}

/// For each slot, the slot whose copy it is, if any: `answers[k]` is slot `k`'s normalized
/// answer (`rows × dim`) when present, `seniority[k]` orders originals (lower is earlier, e.g.
/// the time the answer took; ties go to the lower slot). A copy of a copy points at the
/// original.
pub fn copies(
	answers: &[Option<Vec<f32>>],
	rows: usize,
	dim: usize,
	seniority: &[u64],
) -> Vec<Option<usize>> {
	let senior = |k: usize| (seniority.get(k).copied().unwrap_or(u64::MAX), k);
	let mut order: Vec<usize> =
		(0..answers.len()).filter(|&k| matches!(answers.get(k), Some(Some(_)))).collect();
	order.sort_by_key(|&k| senior(k));
	let grams = grams(answers, rows, dim);
	let mut copy_of: Vec<Option<usize>> = vec![None; answers.len()];
	for (pos, &k) in order.iter().enumerate() {
		let Some(Some(answer)) = grams.get(k) else { continue };
		// Compare with the earlier originals only.
		for &j in order.iter().take(pos) {
			if copy_of.get(j).copied().flatten().is_some() {
				continue;
			}
			let Some(Some(original)) = grams.get(j) else { continue };
			if cka_of_grams(original, answer, rows) >= COPY_SIMILARITY {
				if let Some(c) = copy_of.get_mut(k) {
					*c = Some(j);
				}
				break;
			}
		}
	}
	copy_of
}

#[cfg(test)]
mod tests {
	use super::*;

	/// Linear CKA of two answers to the same `rows` probes, row-major, `a` with `a_dim` values
	/// a row and `b` with `b_dim`.
	fn similarity(a: &[f32], a_dim: usize, b: &[f32], b_dim: usize, rows: usize) -> f64 {
		cka_of_grams(&gram(a, rows, a_dim), &gram(b, rows, b_dim), rows)
	}

	fn random(seed: u64, n: usize) -> Vec<f32> {
		let mut state = seed;
		(0..n)
			.map(|_| {
				state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
				((state >> 33) % 2001) as f32 / 1000.0 - 1.0
			})
			.collect()
	}

	#[test]
	fn a_rotated_rescaled_noisy_copy_is_a_copy_and_independent_answers_are_not() {
		let (rows, dim) = (64, 16);
		let original = random(1, rows * dim);
		// Permute and flip the columns, scale by 3, add 1% noise.
		let noise = random(2, rows * dim);
		let relayed: Vec<f32> = (0..rows * dim)
			.map(|i| {
				let (r, c) = (i / dim, i % dim);
				let source = original[r * dim + (c * 5 + 3) % dim];
				let sign = if c % 2 == 0 { 1.0 } else { -1.0 };
				3.0 * sign * source + 0.01 * noise[i]
			})
			.collect();
		let other = random(3, rows * dim);
		assert!(similarity(&original, dim, &original, dim, rows) > 0.999_999);
		assert!(similarity(&original, dim, &relayed, dim, rows) > COPY_SIMILARITY);
		assert!(similarity(&original, dim, &other, dim, rows) < 0.5);
		// Unrelated answers as wide as a miner's peer slots (256) to 128 probes: the plain
		// estimator would put them near 0.67; the unbiased one keeps them near 0.
		let (a, b) = (random(7, 128 * 256), random(8, 128 * 256));
		let unrelated = similarity(&a, 256, &b, 256, 128);
		assert!(unrelated.abs() < 0.1, "unrelated answers at CKA {unrelated}");
		// Slot 2 relays slot 1, which registered earlier; slot 0 is independent. The copy is
		// found whichever slot it sits in.
		let answers =
			vec![Some(other.clone()), Some(original.clone()), Some(relayed.clone()), None];
		assert_eq!(copies(&answers, rows, dim, &[5, 10, 20, 0]), vec![None, None, Some(1), None]);
		let answers = vec![Some(relayed), Some(other), Some(original)];
		assert_eq!(copies(&answers, rows, dim, &[30, 5, 10]), vec![Some(2), None, None]);
	}

	#[test]
	fn a_mirror_is_found_at_any_width_and_a_stranger_is_not() {
		let (rows, own_dim) = (64, 16);
		let own = random(4, rows * own_dim);
		// The miner's rows zero-padded to 24 and column-permuted: still the miner's answer.
		let dim = 24;
		let mirrored: Vec<f32> = (0..rows * dim)
			.map(|i| {
				let (r, c) = (i / dim, i % dim);
				if c < own_dim {
					own[r * own_dim + (c * 3 + 1) % own_dim]
				} else {
					0.0
				}
			})
			.collect();
		let stranger = random(5, rows * dim);
		let other_rows = random(6, rows * own_dim);
		assert!((similarity(&own, own_dim, &mirrored, dim, rows) - 1.0).abs() < 1e-9);
		let answers = vec![Some(stranger), None, Some(mirrored)];
		// Against two sets of own rows (as the snapshot's and the current model's): the
		// mirror matches one of them.
		let likeness = likeness_to_own(&answers, dim, &[other_rows, own], own_dim, rows);
		assert!(likeness[0] < 0.2 && likeness[1] == 0.0, "{likeness:?}");
		assert!(likeness[2] > 0.999_999, "{likeness:?}");
	}
}
