//! Copy detection: a peer that relays another peer's answers (or serves the same model) brings
//! nothing of its own, yet under leave-one-out scoring each of the two makes the other look
//! redundant, so a copier would take the original's score away as well as a share of its own.
//!
//! Two peers' answers to the same distinct probes (their normalized rows) are compared two
//! ways:
//! - Linear CKA (centered kernel alignment): `HSIC(K, L) / √(HSIC(K, K) HSIC(L, L))` with
//!   `K = XXᵀ`, `L = YYᵀ` the probes' Gram matrices, HSIC by its unbiased estimator. The plain
//!   (biased) estimator drifts toward 1 for unrelated answers when the features are wide against
//!   the number of probes (about `1 / (1 + rows/dim)` for isotropic ones: 0.67 at 128 probes of
//!   256 features), which would bring honest peers near the threshold; the unbiased one stays
//!   near 0 for them. It is 1 for identical answers and unchanged by any rotation, reflection,
//!   permutation or scaling of the features; small noise added to a copy barely moves it.
//! - Linear predictability, for what CKA is blind to: a relay that passes its source's answers
//!   through a general linear map (a dense matrix that stretches some directions a hundredfold
//!   leaves CKA well below the threshold, and the miner's per-slot projection could learn to
//!   undo it). Each side is fitted to the other by ridge regression, each target row with a
//!   free scale (the miner normalizes every row, which turns a linear map into a linear map up
//!   to a per-row factor), and judged leaving each probe out in turn: `1 − residual /
//!   baseline`, the residual being what of the left-out row the fitted direction misses and the
//!   baseline what the other rows' mean misses, each probe weighed by how far the other probes
//!   span its source row (one with a direction of its own, such as a context that occurs once,
//!   no map could predict). A peer whose answers merely contain another's fits one way only,
//!   which is not enough to be its copy (see below). Everything works on the Gram matrices, so
//!   the features' widths do not matter.
//!
//! A pair whose fit reaches [`COPY_SIMILARITY`] both ways is one source: the peer that answered
//! first is the original (a relay must wait for its source's answer; which neuron registered
//! first says nothing about who computes) and is scored leaving out the whole group, the others
//! are copies and observe 0. A pair that reaches it one way only, or by CKA only, *overlaps*:
//! one holds the other's answers and perhaps more, which may be worth something (a peer serving
//! a weaker peer's answers beside its own knowledge: CKA 0.99, the fit 0.92 one way) or be junk
//! (columns of noise appended by a relay, which sink the fit one way and cost it nothing). The
//! later one is then a copy only if its leave-one-out saving beside the original is within
//! noise ([`Sources::overlaps`]; the miner's evaluation decides).
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
//! Not caught: a relay that passes what it relays through a nonlinear map, or adds noise of more
//! than a few percent of its energy (which costs it the value of what it relays as well). Such a
//! relay is scored by leave-one-out like any redundant pair, both sharing the credit. Nor can
//! the linear fit see a relation when the answers span about as many independent directions as
//! there are probes (`eval_batch`; 100 directions of 128 probes are still seen): a longer
//! evaluation batch widens what it sees.

use nalgebra::{DMatrix, DVector};

/// Likeness at or above which two peers' answers count as one source.
pub const COPY_SIMILARITY: f64 = 0.98;

/// Ridge of the linear fit, relative to the mean squared norm of a training row: small enough
/// that an exact linear relation fits to within a fraction of a percent, large enough that the
/// fit stays well posed when the rows span fewer directions than there are probes.
const RIDGE: f64 = 1e-4;

/// Fewest distinct probes on which two answers are compared at all: on 4 probes the CKA of
/// unrelated answers reaches the threshold in 6 % of pairs, a fast random peer taking an honest
/// one's credit as often.
const MIN_PROBES: usize = 16;

/// Below this fraction of its scale, a quantity that should be positive is rounding: HSIC of a
/// peer whose rows are all alike, the baseline of a fit to rows that do not vary.
const ROUNDING: f64 = 1e-9;

/// Rounds of refitting each training row's free scale.
const SCALE_ROUNDS: usize = 4;

/// The answers to one set of probes, as the comparisons need them: their Gram matrix
/// (`rows × rows`) and the hat matrix of a ridge fit on them, which depends on these answers
/// alone and so is computed once for all the pairs they are in.
pub struct Answer {
	gram: DMatrix<f64>,
	/// `None` when the answers carry nothing to fit on.
	hat: Option<DMatrix<f64>>,
}

impl Answer {
	/// `x` holds `rows` rows of `dim` values, row-major (missing values count as 0).
	#[cfg(test)]
	pub fn new(x: &[f32], rows: usize, dim: usize) -> Self {
		Self::of_probes(x, dim, &(0..rows).collect::<Vec<_>>())
	}

	/// The rows `probes` of `x` (rows of `dim` values, row-major; missing values count as 0).
	pub fn of_probes(x: &[f32], dim: usize, probes: &[usize]) -> Self {
		let value = |i: usize, j: usize| {
			let at = probes.get(i).map(|&p| p * dim + j);
			at.and_then(|at| x.get(at)).map_or(0.0, |&v| f64::from(v))
		};
		let x = DMatrix::from_fn(probes.len(), dim, value);
		let gram = &x * x.transpose();
		let hat = hat_matrix(&gram);
		Self { gram, hat }
	}

	fn rows(&self) -> usize {
		self.gram.nrows()
	}
}

/// The hat matrix of kernel ridge regression on a Gram matrix `k`, with an intercept (a
/// constant kernel term as large as a mean row): row `i` weighs the targets into the
/// prediction of probe `i`.
fn hat_matrix(k: &DMatrix<f64>) -> Option<DMatrix<f64>> {
	let intercept = k.diagonal().mean();
	if !(intercept > 0.0) {
		return None;
	}
	let k = k.add_scalar(intercept);
	let n = k.nrows();
	let regularized = &k + DMatrix::identity(n, n) * (RIDGE * intercept);
	Some(regularized.cholesky()?.solve(&k).transpose())
}

/// `k` with its diagonal zeroed, as the unbiased HSIC estimator takes it.
fn off_diagonal(k: &DMatrix<f64>) -> DMatrix<f64> {
	let mut k = k.clone();
	k.fill_diagonal(0.0);
	k
}

/// The unbiased estimator of HSIC (Song et al., 2012) from two zero-diagonal Gram matrices of
/// `n ≥ 4` probes: `[tr(KL) + 1ᵀK1·1ᵀL1 / ((n−1)(n−2)) − 2·1ᵀKL1 / (n−2)] / (n(n−3))`.
fn hsic(k: &DMatrix<f64>, l: &DMatrix<f64>) -> f64 {
	let n = k.nrows() as f64;
	let (rk, rl) = (k.row_sum(), l.row_sum());
	let trace = k.component_mul(l).sum();
	let cross = rk.dot(&rl);
	(trace + rk.sum() * rl.sum() / ((n - 1.0) * (n - 2.0)) - 2.0 * cross / (n - 2.0))
		/ (n * (n - 3.0))
}

/// Debiased linear CKA of two answers; 0 when either carries no variation or there are fewer
/// than [`MIN_PROBES`] probes.
fn cka(a: &Answer, b: &Answer) -> f64 {
	if a.rows() < MIN_PROBES || a.rows() != b.rows() {
		return 0.0;
	}
	let (k, l) = (off_diagonal(&a.gram), off_diagonal(&b.gram));
	// HSIC of an answer with itself, unless it is rounding (rows that do not vary).
	let own = |k: &DMatrix<f64>| {
		let scale = k.norm_squared() / (k.nrows() * k.nrows()) as f64;
		Some(hsic(k, k)).filter(|&h| h > ROUNDING * scale)
	};
	let (Some(hk), Some(hl)) = (own(&k), own(&l)) else { return 0.0 };
	let cka = hsic(&k, &l) / (hk * hl).sqrt();
	if cka.is_finite() {
		cka.clamp(-1.0, 1.0)
	} else {
		0.0
	}
}

/// How well a linear map of `x`'s rows gives `y`'s, each row up to its own scale, judged on
/// rows the map was not fitted on: `1 − residual / baseline` over every probe left out in turn;
/// 1 for an exact relation, near 0 for unrelated answers.
///
/// Row `i`'s prediction leaving `i` out is the hat matrix's row `i` without its diagonal
/// (scale-free, so its `1 / (1 − hᵢᵢ)` factor does not matter). Its residual and the
/// baseline's (the other rows' mean) are what of the row lies off each prediction's direction.
/// A probe weighs by `1 − hᵢᵢ`, how far `x`'s other rows span its own: a row with a direction
/// no other row has (a rare context) can be predicted by no map, so it says nothing either
/// way, where two fixed folds would count it as a miss.
fn predictability(x: &Answer, y: &Answer) -> f64 {
	let n = x.rows();
	let Some(hat) = x.hat.as_ref().filter(|_| n >= MIN_PROBES && n == y.rows()) else {
		return 0.0;
	};
	let l = &y.gram;
	let scales = row_scales(hat, l);
	let weights = hat.diagonal().map(|h| (1.0 - h).clamp(0.0, 1.0));
	let mut left_out = hat * DMatrix::from_diagonal(&scales);
	left_out.fill_diagonal(0.0);
	let along = left_out.component_mul(l).column_sum();
	let norms = (&left_out * l).component_mul(&left_out).column_sum();
	let (row_sums, total, others) = (l.column_sum(), l.sum(), (n - 1) as f64);
	let (mut residual, mut baseline, mut energy) = (0.0, 0.0, 0.0);
	for i in 0..n {
		let target = l.get((i, i)).copied().unwrap_or_default();
		let weight = weights.get(i).copied().unwrap_or_default();
		energy += weight * target;
		let (a, norm) = (along.get(i).copied(), norms.get(i).copied());
		residual += weight * off_direction(target, a.unwrap_or_default(), norm.unwrap_or_default());
		// The mean of the other rows: its product with row i and its squared norm.
		let row_sum = row_sums.get(i).copied().unwrap_or_default();
		let mean_along = (row_sum - target) / others;
		let mean_norm = (total - 2.0 * row_sum + target) / (others * others);
		baseline += weight * off_direction(target, mean_along, mean_norm);
	}
	let score = 1.0 - residual / baseline;
	if baseline > ROUNDING * energy && score.is_finite() {
		score.min(1.0)
	} else {
		0.0
	}
}

/// What of a row (squared norm `norm`) lies off a prediction's direction, from the row's
/// product with the prediction (`along`) and the prediction's squared norm (`predicted`).
fn off_direction(norm: f64, along: f64, predicted: f64) -> f64 {
	let on = if predicted > 0.0 { along * along / predicted } else { 0.0 };
	(norm - on).max(0.0)
}

/// Each row's scale for the fit: refitted in turn with the map (the in-sample prediction's
/// projection on the row), normalized to a mean magnitude of 1.
fn row_scales(hat: &DMatrix<f64>, l: &DMatrix<f64>) -> DVector<f64> {
	let norms = l.diagonal();
	// `diag(H · diag(s) · L) = (H ∘ Lᵀ) s`: each round in O(m²), not a product of matrices.
	let paired = hat.component_mul(&l.transpose());
	let mut scales = DVector::from_element(l.nrows(), 1.0);
	for _ in 0..SCALE_ROUNDS {
		let along = &paired * &scales;
		let next = along.zip_map(&norms, |a, n| if n > 0.0 { a / n } else { 0.0 });
		let magnitude = next.abs().mean();
		if !(magnitude > 0.0 && magnitude.is_finite()) {
			break;
		}
		scales = next / magnitude;
	}
	scales
}

/// How alike two answers to the same probes are: the higher of their CKA and their linear
/// predictability (the lower of its two directions). At or above [`COPY_SIMILARITY`] with the
/// miner's own rows, a peer mirrors the miner.
pub fn likeness(a: &Answer, b: &Answer) -> f64 {
	let linear = predictability(a, b).min(predictability(b, a));
	cka(a, b).max(linear)
}

/// The probes whose answers are compared: the first of each distinct token sequence in
/// `tokens` (`len` tokens a probe). Any deterministic peer answers a repeated probe as it did
/// the first time, so repeats are no evidence that two peers compute alike, and with them the
/// linear fit would find any two peers alike that map equal probes to equal answers.
pub fn distinct_probes(tokens: &[u32], len: usize) -> Vec<usize> {
	let mut seen = std::collections::HashSet::new();
	let probes = tokens.chunks(len.max(1)).enumerate();
	probes.filter(|(_, probe)| seen.insert(*probe)).map(|(i, _)| i).collect()
}

/// For each slot, its highest likeness with the miner's own rows on `probes`: `answers[k]` is
/// slot `k`'s normalized answer (a row of `dim` values per probe) when present, each of `own`
/// the miner's own rows (`own_dim` a row). A slot at or above [`COPY_SIMILARITY`] mirrors the
/// miner.
pub fn likeness_to_own(
	answers: &[Option<Vec<f32>>],
	dim: usize,
	own: &[Vec<f32>],
	own_dim: usize,
	probes: &[usize],
) -> Vec<f64> {
	let own: Vec<Answer> = own.iter().map(|o| Answer::of_probes(o, own_dim, probes)).collect();
	answers
		.iter()
		.map(|a| {
			let Some(a) = a else { return 0.0 };
			let a = Answer::of_probes(a, dim, probes);
			own.iter().map(|o| likeness(&a, o)).fold(0.0, f64::max)
		})
		.collect()
}

/// How a later answer stands to an earlier one's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kinship {
	/// Each predicts the other: the same information, one source.
	Alike,
	/// Close, not the same: one predicts the other and not the other way (one holds the
	/// other's answers, with something added that may be junk, such as columns of noise or
	/// zeroed rows), or their Gram matrices align (CKA) while the fit fails one way (a peer
	/// whose answers hold a weaker peer's beside knowledge of its own looks like it by CKA).
	Overlapping,
	Unrelated,
}

fn kinship(earlier: &Answer, later: &Answer) -> Kinship {
	let at_least = |s: f64| s >= COPY_SIMILARITY;
	let forward = at_least(predictability(earlier, later));
	let backward = at_least(predictability(later, earlier));
	if forward && backward {
		Kinship::Alike
	} else if forward || backward || at_least(cka(earlier, later)) {
		Kinship::Overlapping
	} else {
		Kinship::Unrelated
	}
}

/// For each slot, what it may be relaying, judged on `probes` (see [`sources`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sources {
	/// The slot whose copy it is: each predicts the other, and it answered later. A copy of a
	/// copy points at the original.
	pub copy_of: Vec<Option<usize>>,
	/// For a slot that is no copy, the earliest original it overlaps (see [`likeness`]: alike
	/// by CKA or by the fit one way only) and that answered before it: a copy too, unless its
	/// own leave-one-out saving beside that original shows it adds something (the miner's
	/// evaluation decides).
	pub overlaps: Vec<Option<usize>>,
}

/// The copies and overlaps among the slots' answers: `answers[k]` is slot `k`'s normalized
/// answer (a row of `dim` values per probe) when present, `seniority[k]` orders originals
/// (lower is earlier, e.g. the time the answer took; ties go to the lower slot).
pub fn sources(
	answers: &[Option<Vec<f32>>],
	dim: usize,
	probes: &[usize],
	seniority: &[u64],
) -> Sources {
	let senior = |k: usize| (seniority.get(k).copied().unwrap_or(u64::MAX), k);
	let mut order: Vec<usize> =
		(0..answers.len()).filter(|&k| matches!(answers.get(k), Some(Some(_)))).collect();
	order.sort_by_key(|&k| senior(k));
	let grams: Vec<Option<Answer>> =
		answers.iter().map(|a| a.as_ref().map(|a| Answer::of_probes(a, dim, probes))).collect();
	let mut found =
		Sources { copy_of: vec![None; answers.len()], overlaps: vec![None; answers.len()] };
	for (pos, &k) in order.iter().enumerate() {
		let Some(Some(answer)) = grams.get(k) else { continue };
		let mut overlap = None;
		// Compare with the earlier originals only.
		for &j in order.iter().take(pos) {
			if found.copy_of.get(j).copied().flatten().is_some() {
				continue;
			}
			let Some(Some(original)) = grams.get(j) else { continue };
			match kinship(original, answer) {
				Kinship::Alike => {
					if let Some(c) = found.copy_of.get_mut(k) {
						*c = Some(j);
					}
					overlap = None;
					break;
				}
				Kinship::Overlapping => overlap = overlap.or(Some(j)),
				Kinship::Unrelated => {}
			}
		}
		if let Some(o) = found.overlaps.get_mut(k) {
			*o = overlap;
		}
	}
	found
}

/// Makes slot `k` a copy of `original`, and `k`'s own copies copies of `original`: a copy of a
/// copy points at the original. Returns the original they now point at, whose group grew.
pub fn point_at(copy_of: &mut [Option<usize>], k: usize, original: usize) -> usize {
	let original = copy_of.get(original).copied().flatten().unwrap_or(original);
	for (j, c) in copy_of.iter_mut().enumerate() {
		if j == k || *c == Some(k) {
			*c = Some(original);
		}
	}
	original
}

#[cfg(test)]
mod tests {
	use super::*;

	/// For each slot, the slot whose copy it is, if any ([`Sources::copy_of`]).
	fn copies(
		answers: &[Option<Vec<f32>>],
		dim: usize,
		probes: &[usize],
		seniority: &[u64],
	) -> Vec<Option<usize>> {
		sources(answers, dim, probes, seniority).copy_of
	}

	/// Linear CKA of two answers to the same `rows` probes, row-major, `a` with `a_dim` values
	/// a row and `b` with `b_dim`.
	fn similarity(a: &[f32], a_dim: usize, b: &[f32], b_dim: usize, rows: usize) -> f64 {
		cka(&Answer::new(a, rows, a_dim), &Answer::new(b, rows, b_dim))
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

	/// `a` (`rows × inner`) times `b` (`inner × cols`), row-major.
	fn matmul(a: &[f32], b: &[f32], rows: usize, inner: usize, cols: usize) -> Vec<f32> {
		let mut out = vec![0.0; rows * cols];
		for r in 0..rows {
			for i in 0..inner {
				for c in 0..cols {
					out[r * cols + c] += a[r * inner + i] * b[i * cols + c];
				}
			}
		}
		out
	}

	/// A dense random `from × to` matrix, row-major, whose columns are stretched from 1 to 100:
	/// the map a relay can hide behind.
	fn stretched_map(seed: u64, from: usize, to: usize) -> Vec<f32> {
		let mut map = random(seed, from * to);
		for (i, v) in map.iter_mut().enumerate() {
			*v *= 100f32.powf((i % to) as f32 / (to - 1) as f32);
		}
		map
	}

	/// Each row to mean 0 and variance 1, as the miner normalizes what a peer sends.
	fn normalized(x: &[f32], dim: usize) -> Vec<f32> {
		x.chunks(dim)
			.flat_map(|row| {
				let mean = row.iter().sum::<f32>() / dim as f32;
				let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / dim as f32;
				row.iter().map(move |v| (v - mean) / var.sqrt()).collect::<Vec<_>>()
			})
			.collect()
	}

	/// A model's raw hidden states: `rows` rows of `dim` spanning `rank` directions, with a
	/// bias (so each row's mean is not 0).
	fn hidden_states(seed: u64, rows: usize, rank: usize, dim: usize) -> Vec<f32> {
		let codes = random(seed, rows * rank);
		let basis = random(seed + 1, rank * dim);
		let bias = random(seed + 2, dim);
		let mut x = matmul(&codes, &basis, rows, rank, dim);
		for (i, v) in x.iter_mut().enumerate() {
			*v += 0.5 * bias[i % dim];
		}
		x
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
		// estimator would put them near 0.67; the unbiased one keeps them near 0, and so does
		// the linear fit (256 independent directions against 64 training probes).
		let (a, b) = (random(7, 128 * 256), random(8, 128 * 256));
		let unrelated = similarity(&a, 256, &b, 256, 128);
		assert!(unrelated.abs() < 0.1, "unrelated answers at CKA {unrelated}");
		let (a, b) = (Answer::new(&a, 128, 256), Answer::new(&b, 128, 256));
		assert!(likeness(&a, &b) < 0.1, "unrelated answers alike at {}", likeness(&a, &b));
		// Slot 2 relays slot 1, which registered earlier; slot 0 is independent. The copy is
		// found whichever slot it sits in.
		let answers =
			vec![Some(other.clone()), Some(original.clone()), Some(relayed.clone()), None];
		assert_eq!(
			copies(&answers, dim, &all(rows), &[5, 10, 20, 0]),
			vec![None, None, Some(1), None]
		);
		let answers = vec![Some(relayed), Some(other), Some(original)];
		assert_eq!(copies(&answers, dim, &all(rows), &[30, 5, 10]), vec![Some(2), None, None]);
	}

	#[test]
	fn a_relay_through_a_dense_linear_map_evades_cka_and_is_still_a_copy() {
		// Hidden states of 64 wide spanning 12 directions, to 128 probes, as the miner sees
		// them (normalized rows).
		let (rows, rank, dim, wide) = (128, 12, 64, 96);
		let raw = hidden_states(10, rows, rank, dim);
		let source = normalized(&raw, dim);
		// The relay: a dense 64 × 96 map whose columns are stretched from 1 to 100, then 1% of
		// noise; the miner normalizes what it sends.
		let mapped = matmul(&raw, &stretched_map(20, dim, wide), rows, dim, wide);
		let scale = mapped.iter().map(|v| v.abs()).sum::<f32>() / mapped.len() as f32;
		let noise = random(21, rows * wide);
		let sent: Vec<f32> = mapped.iter().zip(&noise).map(|(m, e)| m + 0.01 * scale * e).collect();
		let relayed = normalized(&sent, wide);
		let cka_of_relay = similarity(&source, dim, &relayed, wide, rows);
		let (a, b) = (Answer::new(&source, rows, dim), Answer::new(&relayed, rows, wide));
		let alike = likeness(&a, &b);
		// Another model's hidden states, as low-rank and as wide: not alike.
		let other = normalized(&hidden_states(30, rows, rank, dim), dim);
		let stranger = likeness(&a, &Answer::new(&other, rows, dim));
		eprintln!("relay: CKA {cka_of_relay:.4}, likeness {alike:.5}; stranger {stranger:.4}");
		assert!(cka_of_relay < 0.9, "the map does not hide the relay from CKA: {cka_of_relay}");
		assert!(alike >= COPY_SIMILARITY, "the relay is alike at only {alike}");
		assert!(stranger < 0.5, "a stranger alike at {stranger}");
		// A peer whose answers hold the source's and more of its own (the source's 12
		// directions beside 12 others): the source predicts only part of it.
		let extra = hidden_states(40, rows, rank, dim);
		let both: Vec<f32> = raw
			.chunks(dim)
			.zip(extra.chunks(dim))
			.flat_map(|(s, e)| s.iter().chain(e).copied().collect::<Vec<_>>())
			.collect();
		let richer = Answer::new(&normalized(&both, 2 * dim), rows, 2 * dim);
		let (contained, containing) = (predictability(&richer, &a), likeness(&a, &richer));
		eprintln!("richer: predicts the source at {contained:.5}, likeness {containing:.4}");
		assert!(contained > COPY_SIMILARITY, "the source is in the richer one: {contained}");
		assert!(containing < 0.9, "a richer peer taken for a copy: {containing}");
		// In the slots (zero-padded to the widest): the relay is a copy of the source, which
		// answered first.
		let answers =
			vec![Some(pad(&source, dim, wide)), Some(relayed), Some(pad(&other, dim, wide))];
		assert_eq!(copies(&answers, wide, &all(rows), &[5, 9, 7]), vec![None, Some(0), None]);
		// The richer peer is no copy of the source, but overlaps it: whether it adds anything
		// beside it is for the miner's leave-one-out to say.
		let answers = vec![Some(pad(&source, dim, 2 * dim)), Some(normalized(&both, 2 * dim))];
		let found = sources(&answers, 2 * dim, &all(rows), &[1, 2]);
		assert_eq!(found, Sources { copy_of: vec![None, None], overlaps: vec![None, Some(0)] });
	}

	#[test]
	fn a_linear_relay_is_seen_up_to_100_directions_in_128_probes_and_strangers_are_not() {
		let (rows, dim, wide) = (128, 256, 300);
		for rank in [32, 100] {
			let raw = hidden_states(50, rows, rank, dim);
			let source = Answer::new(&normalized(&raw, dim), rows, dim);
			let map = stretched_map(51, dim, wide);
			let relayed = normalized(&matmul(&raw, &map, rows, dim, wide), wide);
			let alike = likeness(&source, &Answer::new(&relayed, rows, wide));
			let other = normalized(&hidden_states(52, rows, rank, dim), dim);
			let stranger = likeness(&source, &Answer::new(&other, rows, dim));
			eprintln!("rank {rank}: relay alike at {alike:.5}, stranger at {stranger:.4}");
			assert!(alike >= COPY_SIMILARITY, "a relay of rank {rank} alike at only {alike}");
			assert!(stranger < 0.2, "a stranger of rank {rank} alike at {stranger}");
		}
	}

	/// The cost of one round's copy check, beside CKA alone, in one run: from `miner/`, `cargo
	/// test --release --lib copies::tests::cost -- --ignored --nocapture` (docs/benchmarks.md).
	#[test]
	#[ignore = "a measurement, not a check"]
	fn cost_of_the_copy_check_by_slots() {
		let (rows, dim) = (128, 512);
		for slots in [4, 16, 64] {
			let answers: Vec<Option<Vec<f32>>> = (0..slots)
				.map(|k| Some(normalized(&hidden_states(100 + k as u64, rows, 48, dim), dim)))
				.collect();
			let started = std::time::Instant::now();
			let grams: Vec<Answer> =
				answers.iter().flatten().map(|a| Answer::new(a, rows, dim)).collect();
			let mut highest = 0f64;
			for (i, a) in grams.iter().enumerate() {
				for b in grams.iter().skip(i + 1) {
					highest = highest.max(cka(a, b));
				}
			}
			let cka_only = started.elapsed();
			let started = std::time::Instant::now();
			let found = copies(&answers, dim, &all(rows), &vec![0; slots]);
			let full = started.elapsed();
			assert!(found.iter().all(Option::is_none) && highest < COPY_SIMILARITY);
			eprintln!(
				"{slots} slots of {rows} x {dim}: CKA alone {cka_only:?}, the copy check {full:?} \
				 ({:.1}x)",
				full.as_secs_f64() / cka_only.as_secs_f64()
			);
		}
	}

	#[test]
	fn two_fixed_tables_of_the_probe_are_alike_on_repeated_probes_and_not_on_distinct_ones() {
		// 128 probes of 8 tokens, drawn from 30 distinct ones; two peers that answer each
		// probe from their own fixed random table (64 wide), knowing nothing in common.
		let (rows, len, kinds, dim) = (128, 8, 30, 64);
		let kind = |i: usize| (i * 7) % kinds;
		let tokens: Vec<u32> =
			(0..rows * len).map(|t| (kind(t / len) * len + t % len) as u32).collect();
		let (table_a, table_b) = (random(60, kinds * dim), random(61, kinds * dim));
		let answer = |table: &[f32]| -> Vec<f32> {
			(0..rows).flat_map(|i| table[kind(i) * dim..][..dim].to_vec()).collect()
		};
		let (a, b) = (answer(&table_a), answer(&table_b));
		let probes = distinct_probes(&tokens, len);
		assert_eq!(probes.len(), kinds);
		let every = likeness(&Answer::new(&a, rows, dim), &Answer::new(&b, rows, dim));
		let (a, b) = (Answer::of_probes(&a, dim, &probes), Answer::of_probes(&b, dim, &probes));
		let distinct = likeness(&a, &b);
		eprintln!("two tables: alike at {every:.4} on every probe, {distinct:.4} on distinct ones");
		assert!(every >= COPY_SIMILARITY, "repeats did not make them alike: {every}");
		assert!(distinct < 0.2, "two tables alike on distinct probes at {distinct}");
	}

	/// Every one of `rows` probes.
	fn all(rows: usize) -> Vec<usize> {
		(0..rows).collect()
	}

	/// Rows of `from` values zero-padded to `to`.
	fn pad(x: &[f32], from: usize, to: usize) -> Vec<f32> {
		x.chunks(from)
			.flat_map(|r| r.iter().copied().chain(std::iter::repeat_n(0.0, to - from)))
			.collect()
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
		let likeness = likeness_to_own(&answers, dim, &[other_rows, own], own_dim, &all(rows));
		assert!(likeness[0] < 0.2 && likeness[1] == 0.0, "{likeness:?}");
		assert!(likeness[2] > 0.999_999, "{likeness:?}");
	}
}
