//! Copy detection: a peer that relays another peer's answers (or serves the same model) brings
//! nothing of its own, yet under leave-one-out scoring each of the two makes the other look
//! redundant, so a copier would take the original's score away as well as a share of its own.
//!
//! Two peers' answers to the same probes are compared by linear CKA (centered kernel
//! alignment) of their normalized rows: `⟨HKH, HLH⟩ / (‖HKH‖ ‖HLH‖)` with `K = XXᵀ`, `L = YYᵀ`
//! the probes' Gram matrices and `H` the centering matrix. It is 1 for identical answers and is
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

/// The centered Gram matrix of `rows` rows of `dim` values, row-major (`rows × rows`).
fn centered_gram(x: &[f32], rows: usize, dim: usize) -> Vec<f64> {
	let row = |i: usize| x.get(i * dim..(i + 1) * dim).unwrap_or(&[]);
	let mut k = vec![0.0f64; rows * rows];
	for i in 0..rows {
		for j in i..rows {
			let dot: f64 =
				row(i).iter().zip(row(j)).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum();
			k[i * rows + j] = dot;
			k[j * rows + i] = dot;
		}
	}
	// H K H: subtract row and column means, add back the grand mean.
	let n = rows as f64;
	let means: Vec<f64> =
		(0..rows).map(|i| k[i * rows..(i + 1) * rows].iter().sum::<f64>() / n).collect();
	let grand = means.iter().sum::<f64>() / n;
	for i in 0..rows {
		for j in 0..rows {
			k[i * rows + j] += grand - means[i] - means[j];
		}
	}
	k
}

/// Linear CKA of two answers to the same `rows` probes, row-major, `a` with `a_dim` values a
/// row and `b` with `b_dim` (the Gram matrices are `rows × rows` whatever the widths); 0 when
/// either carries no variation.
pub fn similarity(a: &[f32], a_dim: usize, b: &[f32], b_dim: usize, rows: usize) -> f64 {
	cka_of_grams(&centered_gram(a, rows, a_dim), &centered_gram(b, rows, b_dim))
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
	let own_grams: Vec<Vec<f64>> = own.iter().map(|o| centered_gram(o, rows, own_dim)).collect();
	answers
		.iter()
		.map(|answer| {
			let Some(answer) = answer else { return 0.0 };
			let gram = centered_gram(answer, rows, dim);
			own_grams.iter().map(|o| cka_of_grams(&gram, o)).fold(0.0, f64::max)
		})
		.collect()
}

/// Linear CKA of two centered Gram matrices; 0 when either is zero.
fn cka_of_grams(ka: &[f64], kb: &[f64]) -> f64 {
	let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>();
	let norms = (dot(ka, ka) * dot(kb, kb)).sqrt();
	if norms > 0.0 && norms.is_finite() {
		dot(ka, kb) / norms
	} else {
		0.0
	}
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
	let mut copy_of: Vec<Option<usize>> = vec![None; answers.len()];
	for (pos, &k) in order.iter().enumerate() {
		let Some(Some(answer)) = answers.get(k) else { continue };
		// Compare with the earlier originals only.
		for &j in order.iter().take(pos) {
			if copy_of.get(j).copied().flatten().is_some() {
				continue;
			}
			let Some(Some(original)) = answers.get(j) else { continue };
			if similarity(original, dim, answer, dim, rows) >= COPY_SIMILARITY {
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
		let stale = random(6, rows * own_dim);
		assert!((similarity(&own, own_dim, &mirrored, dim, rows) - 1.0).abs() < 1e-9);
		let answers = vec![Some(stranger), None, Some(mirrored)];
		// Against the current rows and a stale snapshot: the mirror matches one of them.
		let likeness = likeness_to_own(&answers, dim, &[stale, own], own_dim, rows);
		assert!(likeness[0] < 0.5 && likeness[1] == 0.0, "{likeness:?}");
		assert!(likeness[2] > 0.999_999, "{likeness:?}");
	}
}
