//! Tests of normalization, the walk, ranks and the emission split.
//!
//! Tests may use floats to compare against the spec's decimal figures and may index freely.

#![allow(
	clippy::arithmetic_side_effects,
	clippy::indexing_slicing,
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::cast_precision_loss
)]

use alloc::{vec, vec::Vec};

use proptest::prelude::*;
use sp_arithmetic::traits::Zero;

use crate::{
	normalize, rank, split_emission,
	walk::{mul_frac, rank_wide},
	NeuronInput, NormalizedWeights, Perquintill, Ranking, CONVERGENCE_DIVISOR, FRACTION_ONE,
};

/// The default pass cap of the pallet.
const MAX_PASSES: u32 = 100;

/// Stake of each neuron in the worked example: one unit of 10^9 base units.
const UNIT: u128 = 1_000_000_000;

fn as_f64(rank: Perquintill) -> f64 {
	rank.deconstruct() as f64 / Perquintill::one().deconstruct() as f64
}

/// Ranks rounded to 5 decimals, scaled to integers (0.11903 -> 11903) so they compare exactly.
fn to_5_decimals(ranks: &[Perquintill]) -> Vec<i64> {
	ranks.iter().map(|&rank| (as_f64(rank) * 1e5).round() as i64).collect()
}

fn parts_sum(ranks: &[Perquintill]) -> u128 {
	ranks.iter().map(|rank| u128::from(rank.deconstruct())).sum()
}

fn neurons<'a>(stakes: &[u128], weights: &'a [Vec<(u16, u16)>]) -> Vec<NeuronInput<'a>> {
	stakes
		.iter()
		.zip(weights)
		.map(|(&stake, weights)| NeuronInput { stake, weights: weights.as_slice() })
		.collect()
}

fn assert_conserved(ranking: &Ranking, total: u128) {
	assert_eq!(ranking.absorbed.iter().sum::<u128>() + ranking.in_flight, total);
}

// ---------------------------------------------------------------------------------------------
// The spec's worked example.

/// The weight table of the worked example, uids a = 0 .. j = 9, in raw u16 weights (0.1 = 1000).
/// g carries an explicit self-only entry and h..j post nothing; both mean self weight one.
fn example_weights() -> Vec<Vec<(u16, u16)>> {
	let (a, b, c, d, e, f, g) = (0, 1, 2, 3, 4, 5, 6);
	vec![
		vec![(a, 6000), (b, 1000), (c, 1000), (d, 2000)],
		vec![(b, 9000), (a, 1000)],
		vec![(c, 4000), (a, 3000), (d, 3000)],
		vec![(d, 5000), (a, 2000), (b, 1000), (c, 2000)],
		vec![(e, 5000), (f, 5000)],
		vec![(f, 5000), (e, 5000)],
		vec![(g, 10000)],
		vec![],
		vec![],
		vec![],
	]
}

/// Ranks by exact linear algebra in f64: iterate the walk to float precision. Only for small test
/// graphs; it is the reference the fixed-point walk is compared to.
fn reference_ranks(stakes: &[f64], weights: &[Vec<(u16, u16)>]) -> Vec<f64> {
	let n = stakes.len();
	let normalized: Vec<NormalizedWeights> =
		(0..n).map(|uid| normalize(uid as u16, &weights[uid], n)).collect();
	let one = FRACTION_ONE as f64;
	let mut in_flight = stakes.to_vec();
	let mut absorbed = vec![0.0; n];
	for _ in 0..10_000 {
		let mut next = vec![0.0; n];
		for (i, weights) in normalized.iter().enumerate() {
			absorbed[i] += in_flight[i] * weights.self_weight as f64 / one;
			for &(target, fraction) in &weights.out_edges {
				next[usize::from(target)] += in_flight[i] * fraction as f64 / one;
			}
		}
		in_flight = next;
	}
	let total: f64 = absorbed.iter().sum();
	absorbed.iter().map(|a| a / total).collect()
}

#[test]
fn worked_example_equal_stake() {
	let weights = example_weights();
	let ranking = rank(&neurons(&[UNIT; 10], &weights), MAX_PASSES);

	assert_eq!(
		to_5_decimals(&ranking.ranks),
		vec![11903, 12467, 6288, 9342, 10000, 10000, 10000, 10000, 10000, 10000]
	);
	let reference = reference_ranks(&[1.0; 10], &weights);
	for (got, want) in ranking.ranks.iter().zip(&reference) {
		// Rounding dust (under one base unit per edge and pass) is the only difference.
		assert!((as_f64(*got) - want).abs() < 1e-7, "{} vs {want}", as_f64(*got));
	}
	assert_conserved(&ranking, 10 * UNIT);
	assert!(ranking.passes < MAX_PASSES, "converges before the cap");
	assert!(ranking.in_flight <= 10 * UNIT / CONVERGENCE_DIVISOR);
}

/// Runs `blocks` blocks of stake reinforcement at Tempo 1: each block mints `emission` into the
/// pot, ranks the current stake and pays the pot into stake, carrying the remainder.
/// Returns the ranks computed in the last block, the final stakes and the final pot.
fn reinforce(
	stakes: &mut [u128],
	weights: &[Vec<(u16, u16)>],
	emission: u128,
	blocks: u32,
) -> (Vec<Perquintill>, u128) {
	let mut pot = 0u128;
	let mut last = Vec::new();
	for _ in 0..blocks {
		pot += emission;
		let ranks = rank(&neurons(stakes, weights), MAX_PASSES).ranks;
		let (payouts, remainder) = split_emission(pot, &ranks);
		for (stake, payout) in stakes.iter_mut().zip(payouts) {
			*stake += payout;
		}
		pot = remainder;
		last = ranks;
	}
	(last, pot)
}

#[test]
fn worked_example_stake_reinforcement() {
	let weights = example_weights();
	let emission = 500 * UNIT;
	let mut stakes = [UNIT; 10];
	let (ranks_in_block_1000, pot) = reinforce(&mut stakes, &weights, emission, 1000);

	// The spec's row is the ranking computed in block 1000, i.e. from the stake after 999 payouts.
	assert_eq!(
		to_5_decimals(&ranks_in_block_1000),
		vec![10465, 20912, 2800, 5823, 10000, 10000, 10000, 10000, 10000, 10000]
	);
	// Issuance is exact: everything minted is either in stake or still in the pot.
	assert_eq!(stakes.iter().sum::<u128>() + pot, 10 * UNIT + 1000 * emission);

	// Ranking again from the stake after all 1000 payouts moves d across a rounding boundary
	// (0.0582267 -> 0.0582249), which is why the convention above matters.
	let after = rank(&neurons(&stakes, &weights), MAX_PASSES).ranks;
	assert_eq!(
		to_5_decimals(&after),
		vec![10465, 20912, 2800, 5822, 10000, 10000, 10000, 10000, 10000, 10000]
	);
}

// ---------------------------------------------------------------------------------------------
// Fixed-point multiplication.

#[test]
fn mul_frac_is_exact_floor() {
	let half = FRACTION_ONE / 2;
	assert_eq!(mul_frac(u128::MAX, FRACTION_ONE), u128::MAX);
	assert_eq!(mul_frac(u128::MAX, half), u128::MAX / 2);
	assert_eq!(mul_frac(u128::MAX, 0), 0);
	assert_eq!(mul_frac(u128::MAX, FRACTION_ONE + 1), u128::MAX, "clamped to one");
	assert_eq!(mul_frac(7, half), 3);
	assert_eq!(mul_frac(1, FRACTION_ONE - 1), 0);
	for (amount, fraction) in [(12_345_678_901_234u128, 987_654_321u64), (u128::from(u64::MAX), 3)]
	{
		let want = amount * u128::from(fraction) / u128::from(FRACTION_ONE);
		assert_eq!(mul_frac(amount, fraction), want);
	}
}

// ---------------------------------------------------------------------------------------------
// Normalization.

fn assert_sums_to_one(normalized: &NormalizedWeights) {
	let out: u64 = normalized.out_edges.iter().map(|&(_, fraction)| fraction).sum();
	assert_eq!(normalized.self_weight + out, FRACTION_ONE);
}

#[test]
fn normalize_self_only_keeps_everything() {
	let normalized = normalize(3, &[(3, 7)], 5);
	assert_eq!(normalized, NormalizedWeights { self_weight: FRACTION_ONE, out_edges: vec![] });
}

#[test]
fn normalize_nothing_valid_means_self_weight_one() {
	let keep_all = NormalizedWeights { self_weight: FRACTION_ONE, out_edges: vec![] };
	assert_eq!(normalize(0, &[], 5), keep_all);
	assert_eq!(normalize(0, &[(1, 0), (2, 0), (0, 0)], 5), keep_all, "all zero");
	assert_eq!(normalize(0, &[(5, 10), (9, 10)], 5), keep_all, "all unknown");
}

#[test]
fn normalize_drops_unknown_and_zero_targets() {
	let normalized = normalize(0, &[(1, 100), (7, 100), (2, 0), (3, 100)], 4);
	assert_eq!(normalized.out_edges, vec![(1, FRACTION_ONE / 2), (3, FRACTION_ONE / 2)]);
	assert_eq!(normalized.self_weight, 0);
}

#[test]
fn normalize_gives_rounding_remainder_to_self() {
	let normalized = normalize(0, &[(1, 1), (2, 1), (3, 1)], 4);
	let third = FRACTION_ONE / 3;
	assert_eq!(normalized.out_edges, vec![(1, third), (2, third), (3, third)]);
	assert_eq!(normalized.self_weight, FRACTION_ONE - 3 * third);
	assert_eq!(normalized.self_weight, 1);
}

#[test]
fn normalize_single_edge_without_self_weight_sends_everything() {
	let normalized = normalize(0, &[(1, u16::MAX)], 2);
	assert_eq!(
		normalized,
		NormalizedWeights { self_weight: 0, out_edges: vec![(1, FRACTION_ONE)] }
	);
}

#[test]
fn normalize_duplicates_do_not_panic() {
	let normalized = normalize(0, &[(1, 10), (1, 10), (0, 5), (0, 5)], 2);
	assert_eq!(normalized.out_edges.len(), 2);
	assert_eq!(normalized.self_weight, FRACTION_ONE / 3 + 1);
	assert_sums_to_one(&normalized);
}

// ---------------------------------------------------------------------------------------------
// The walk and its ranks.

#[test]
fn no_neurons_no_ranks() {
	let ranking = rank(&[], MAX_PASSES);
	assert_eq!(ranking, Ranking { ranks: vec![], absorbed: vec![], passes: 0, in_flight: 0 });
}

#[test]
fn zero_stake_gives_zero_ranks() {
	let weights = vec![vec![(1, 1)], vec![(0, 1)]];
	let ranking = rank(&neurons(&[0, 0], &weights), MAX_PASSES);
	assert_eq!(ranking.ranks, vec![Perquintill::zero(); 2]);
	assert_eq!(ranking.passes, 0);
	assert_eq!(ranking.in_flight, 0);
}

#[test]
fn zero_passes_absorb_nothing() {
	let weights = vec![vec![], vec![]];
	let ranking = rank(&neurons(&[5, 7], &weights), 0);
	assert_eq!(ranking.ranks, vec![Perquintill::zero(); 2]);
	assert_eq!(ranking.absorbed, vec![0, 0]);
	assert_eq!((ranking.passes, ranking.in_flight), (0, 12));
}

#[test]
fn neuron_without_weights_keeps_its_own_share() {
	// 0 and 1 send to each other; 2 posts nothing and nobody sends to it.
	let weights = vec![vec![(1, 1), (0, 1)], vec![(0, 1), (1, 3)], vec![]];
	let ranking = rank(&neurons(&[300, 500, 200], &weights), MAX_PASSES);
	assert_eq!(ranking.absorbed[2], 200);
	assert_eq!(ranking.ranks[2], Perquintill::from_rational(200u128, 1000));
	assert_conserved(&ranking, 1000);
}

#[test]
fn disconnected_components_keep_their_share_of_stake() {
	// Component {0, 1, 2} holds 600, component {3, 4} holds 400.
	let weights = vec![
		vec![(0, 1), (1, 2), (2, 1)],
		vec![(1, 3), (2, 1)],
		vec![(2, 1), (0, 5)],
		vec![(3, 1), (4, 1)],
		vec![(4, 2), (3, 1)],
	];
	let stakes = [100 * UNIT, 200 * UNIT, 300 * UNIT, 150 * UNIT, 250 * UNIT];
	let ranking = rank(&neurons(&stakes, &weights), MAX_PASSES);
	assert_conserved(&ranking, 1000 * UNIT);

	let first: u128 = ranking.absorbed[..3].iter().sum();
	let second: u128 = ranking.absorbed[3..].iter().sum();
	assert!(600 * UNIT - first <= ranking.in_flight);
	assert!(400 * UNIT - second <= ranking.in_flight);
	let first_rank: f64 = ranking.ranks[..3].iter().map(|&r| as_f64(r)).sum();
	let second_rank: f64 = ranking.ranks[3..].iter().map(|&r| as_f64(r)).sum();
	assert!((first_rank - 0.6).abs() < 1e-8, "{first_rank}");
	assert!((second_rank - 0.4).abs() < 1e-8, "{second_rank}");
}

#[test]
fn cycle_without_self_weight_stops_at_the_cap() {
	// 0 and 1 pass everything to each other and never absorb; 2 keeps its own stake.
	let weights = vec![vec![(1, 1)], vec![(0, 1)], vec![]];
	let ranking = rank(&neurons(&[UNIT, UNIT, UNIT], &weights), 37);
	assert_eq!(ranking.passes, 37);
	assert_eq!(ranking.in_flight, 2 * UNIT);
	assert_eq!(ranking.absorbed, vec![0, 0, UNIT]);
	assert_eq!(ranking.ranks, vec![Perquintill::zero(), Perquintill::zero(), Perquintill::one()]);
	assert_eq!(parts_sum(&ranking.ranks), u128::from(Perquintill::one().deconstruct()));
}

#[test]
fn leaky_cycle_stops_at_the_cap_and_ranks_sum_to_one() {
	// 0 -> 1 -> 2 -> 0 with no self weight; 2 also leaks a tiny share to 3, which keeps it.
	// Far too slow to converge in 100 passes, so the cap ends it with most stake in flight.
	let weights = vec![vec![(1, 1)], vec![(2, 1)], vec![(0, u16::MAX), (3, 1)], vec![(3, 1)]];
	let ranking = rank(&neurons(&[UNIT; 4], &weights), MAX_PASSES);
	assert_eq!(ranking.passes, MAX_PASSES);
	assert!(ranking.in_flight > UNIT);
	assert_conserved(&ranking, 4 * UNIT);
	let one = u128::from(Perquintill::one().deconstruct());
	let sum = parts_sum(&ranking.ranks);
	assert!(sum <= one && one - sum <= 4, "{sum}");
}

#[test]
fn pure_cycle_without_absorption_gives_zero_ranks() {
	let weights = vec![vec![(1, 1)], vec![(0, 1)]];
	let ranking = rank(&neurons(&[UNIT, 3], &weights), MAX_PASSES);
	assert_eq!(ranking.passes, MAX_PASSES);
	assert_eq!(ranking.ranks, vec![Perquintill::zero(); 2]);
	assert_eq!(ranking.in_flight, UNIT + 3);
}

#[test]
fn huge_stakes_do_not_overflow() {
	let weights = vec![vec![(1, 3), (2, 1)], vec![(1, 1), (0, 1)], vec![(0, u16::MAX)]];
	let stakes = [u128::MAX / 3, u128::MAX / 3, u128::MAX / 3];
	let ranking = rank(&neurons(&stakes, &weights), MAX_PASSES);
	assert_conserved(&ranking, stakes.iter().sum());
	let reference = reference_ranks(&[1.0; 3], &weights);
	for (got, want) in ranking.ranks.iter().zip(&reference) {
		assert!((as_f64(*got) - want).abs() < 1e-8, "{} vs {want}", as_f64(*got));
	}
}

#[test]
fn small_stakes_settle_exactly() {
	// With under 10^9 base units the threshold is zero, so the walk runs until nothing is in
	// flight; rounding dust settles at whoever holds it.
	let weights = example_weights();
	let ranking = rank(&neurons(&[1; 10], &weights), MAX_PASSES);
	assert_eq!(ranking.in_flight, 0);
	assert_conserved(&ranking, 10);
}

// ---------------------------------------------------------------------------------------------
// Emission split.

#[test]
fn split_emission_is_exact() {
	let ranks = [Perquintill::from_rational(1u128, 3), Perquintill::from_rational(2u128, 3)];
	let (payouts, remainder) = split_emission(100, &ranks);
	assert_eq!(payouts, vec![33, 66]);
	assert_eq!(remainder, 1);

	let (payouts, remainder) = split_emission(u128::MAX, &ranks);
	assert_eq!(payouts.iter().sum::<u128>() + remainder, u128::MAX);
}

#[test]
fn split_emission_edge_cases() {
	assert_eq!(split_emission(10, &[]), (vec![], 10));
	assert_eq!(split_emission(0, &[Perquintill::one()]), (vec![0], 0));
	assert_eq!(split_emission(10, &[Perquintill::zero(); 2]), (vec![0, 0], 10));
	// Ranks summing past one cannot mint: later payouts are capped at what is left.
	assert_eq!(split_emission(10, &[Perquintill::one(), Perquintill::one()]), (vec![10, 0], 0));
}

// ---------------------------------------------------------------------------------------------
// Properties over random graphs.

/// Random graphs: up to 40 neurons, stakes small or large, up to 8 weights each that may point at
/// the neuron itself, at unknown uids, or repeat a target.
fn graphs() -> impl Strategy<Value = (Vec<u128>, Vec<Vec<(u16, u16)>>)> {
	(1usize..40).prop_flat_map(|n| {
		let stake = prop_oneof![0u128..1_000, 0u128..(1u128 << 100)];
		let weight = ((0..n as u16 + 3), prop_oneof![Just(0u16), any::<u16>()]);
		let weights = proptest::collection::vec(weight, 0..8);
		(proptest::collection::vec(stake, n), proptest::collection::vec(weights, n))
	})
}

proptest! {
	#[test]
	fn walk_conserves_stake_and_ranks_sum_to_one(
		(stakes, weights) in graphs(),
		max_passes in 0u32..120,
	) {
		let n = stakes.len() as u128;
		let total: u128 = stakes.iter().sum();
		let ranking = rank(&neurons(&stakes, &weights), max_passes);

		prop_assert_eq!(ranking.absorbed.iter().sum::<u128>() + ranking.in_flight, total);
		prop_assert!(ranking.passes <= max_passes);
		if ranking.passes < max_passes {
			prop_assert!(ranking.in_flight <= total / CONVERGENCE_DIVISOR);
		}
		let one = u128::from(Perquintill::one().deconstruct());
		let sum = parts_sum(&ranking.ranks);
		if ranking.absorbed.iter().all(Zero::is_zero) {
			prop_assert_eq!(sum, 0);
		} else {
			prop_assert!(sum <= one && one - sum <= n, "sum of ranks {}", sum);
		}
	}

	#[test]
	fn narrow_and_wide_walks_agree(
		(stakes, weights) in graphs(),
		max_passes in 0u32..120,
		scale in prop_oneof![Just(1u128), 1u128..(1u128 << 40)],
	) {
		// Stakes whose total fits u64 take the u64 walk; it must match the u128 walk exactly.
		let stakes: Vec<u128> = stakes.iter().map(|s| (s % (1 << 20)) * scale).collect();
		let input = neurons(&stakes, &weights);
		prop_assert_eq!(rank(&input, max_passes), rank_wide(&input, max_passes));
	}

	#[test]
	fn both_forms_of_the_edge_product_agree(
		amount in prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()],
		fraction in prop_oneof![Just(1u64), Just(1u64 << 32), 1u64..=(1u64 << 32)],
	) {
		// Native walks multiply in 128 bits, the runtime's wasm in 64-bit halves: every node
		// must get the same ranks either way.
		let (wide, halves) = crate::walk::take_forms(amount, fraction);
		prop_assert_eq!(wide, halves);
	}

	#[test]
	fn rank_does_not_depend_on_the_order_of_a_neurons_weights(
		(stakes, weights, shuffled) in graphs().prop_flat_map(|(stakes, weights)| {
			let shuffled: Vec<_> =
				weights.iter().map(|w| Just(w.clone()).prop_shuffle()).collect();
			(Just(stakes), Just(weights), shuffled)
		}),
	) {
		// Every node must get the same ranks from the same graph, however a neuron listed its
		// weights (and however storage hands them back): rounding happens per edge, and sums of
		// integers do not depend on their order.
		let given = rank(&neurons(&stakes, &weights), MAX_PASSES);
		prop_assert_eq!(given, rank(&neurons(&stakes, &shuffled), MAX_PASSES));
	}

	#[test]
	fn normalized_weights_sum_to_one(
		own_uid in 0u16..50,
		weights in proptest::collection::vec((0u16..60, any::<u16>()), 0..300),
		n in 0usize..50,
	) {
		let normalized = normalize(own_uid, &weights, n);
		let out: u64 = normalized.out_edges.iter().map(|&(_, fraction)| fraction).sum();
		prop_assert_eq!(normalized.self_weight + out, FRACTION_ONE);
		let valid = |&(target, fraction): &(u16, u64)| {
			target != own_uid && usize::from(target) < n && fraction > 0
		};
		prop_assert!(normalized.out_edges.iter().all(valid));
	}

	#[test]
	fn split_emission_sum_is_exact(
		pot in any::<u128>(),
		(stakes, weights) in graphs(),
	) {
		let ranks = rank(&neurons(&stakes, &weights), MAX_PASSES).ranks;
		let (payouts, remainder) = split_emission(pot, &ranks);
		prop_assert_eq!(payouts.len(), ranks.len());
		prop_assert_eq!(payouts.iter().sum::<u128>() + remainder, pot);
		// Each payout is floor(pot · rank), computed here without `mul_floor`: with
		// pot = q · 10^18 + r, floor(pot · p / 10^18) = q · p + floor(r · p / 10^18), where
		// q · p <= pot and r · p < 10^36 fit in u128.
		const ONE: u128 = 1_000_000_000_000_000_000;
		let (q, r) = (pot / ONE, pot % ONE);
		for (payout, rank) in payouts.iter().zip(&ranks) {
			let p = u128::from(rank.deconstruct());
			prop_assert_eq!(*payout, q * p + r * p / ONE);
		}
		// Ranks sum to one less `missing` parts (at most one per neuron; all of it when nobody
		// has rank): the remainder is that share of the pot plus under a unit per neuron.
		let missing = ONE.checked_sub(parts_sum(&ranks)).expect("ranks sum to at most one");
		let n = ranks.len() as u128;
		// remainder = q · missing + r − Σ floor(r · p_i / 10^18), and that sum is at least
		// r · (10^18 − missing) / 10^18 − n; the first two terms are at most pot.
		let bound = (q * missing + r * missing / ONE).saturating_add(n);
		prop_assert!(remainder <= bound, "remainder {}, missing {}", remainder, missing);
		prop_assert!(remainder >= q * missing, "remainder {}, missing {}", remainder, missing);
	}

	#[test]
	fn split_emission_never_mints(
		pot in any::<u128>(),
		parts in proptest::collection::vec(any::<u64>(), 0..20),
	) {
		let ranks: Vec<Perquintill> = parts.into_iter().map(Perquintill::from_parts).collect();
		let (payouts, remainder) = split_emission(pot, &ranks);
		prop_assert_eq!(payouts.iter().sum::<u128>() + remainder, pot);
	}
}
