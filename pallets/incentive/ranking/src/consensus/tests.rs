//! Tests of the consensus mechanism: the worked example of `docs/consensus.md` and its
//! properties.
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

use super::*;
use crate::rank;

const UNIT: u128 = 1_000_000_000;

/// The first stages of `consensus`: evaluations, consensus weights and clipped supports.
#[allow(clippy::type_complexity)]
fn stages(
	neurons: &[NeuronInput<'_>],
	kappa: Perquintill,
) -> (Vec<Vec<(u16, u64)>>, Vec<u64>, Vec<Vec<(u16, u128)>>) {
	let n = neurons.len();
	let evaluations: Vec<_> =
		neurons.iter().enumerate().map(|(uid, neuron)| evaluation(uid, neuron, n)).collect();
	let consensus = consensus_weights(neurons, &evaluations, kappa);
	let supports = all_supports(neurons, &evaluations, &consensus);
	(evaluations, consensus, supports)
}

/// Every row's clipped supports, as `consensus` computes them one row at a time.
fn all_supports(
	neurons: &[NeuronInput<'_>],
	evaluations: &[Vec<(u16, u64)>],
	consensus: &[u64],
) -> Vec<Vec<(u16, u128)>> {
	let shift = support_shift(neurons);
	neurons
		.iter()
		.zip(evaluations)
		.map(|(neuron, row)| clipped_row(neuron.stake >> shift, row, consensus).collect())
		.collect()
}

fn params() -> ConsensusParams {
	ConsensusParams {
		kappa: Perquintill::from_percent(50),
		bond_alpha: Perquintill::from_percent(10),
		max_bonds: 256,
	}
}

fn inputs<'a>(stakes: &[u128], weights: &'a [Vec<(u16, u16)>]) -> Vec<NeuronInput<'a>> {
	stakes
		.iter()
		.zip(weights)
		.map(|(&stake, weights)| NeuronInput { stake, weights: weights.as_slice() })
		.collect()
}

fn to_5_decimals(shares: &[Perquintill]) -> Vec<i64> {
	let one = Perquintill::one().deconstruct() as f64;
	shares.iter().map(|share| (share.deconstruct() as f64 / one * 1e5).round() as i64).collect()
}

fn fraction_5_decimals(fractions: &[u64]) -> Vec<i64> {
	fractions.iter().map(|&f| (f as f64 / FRACTION_ONE as f64 * 1e5).round() as i64).collect()
}

/// The worked example: honest a, b, c and a cabal d, e, 20 units of stake each. d keeps half
/// its weight for itself; without it, its evaluation gives e everything.
fn example_weights() -> Vec<Vec<(u16, u16)>> {
	let (a, b, c, d, e) = (0, 1, 2, 3, 4);
	vec![
		vec![(b, 40), (c, 40), (d, 10), (e, 10)],
		vec![(a, 50), (c, 30), (d, 10), (e, 10)],
		vec![(a, 40), (b, 40), (d, 20)],
		vec![(d, 50), (e, 50)],
		vec![(d, 65535)],
	]
}

#[test]
fn worked_example() {
	let weights = example_weights();
	let outcome = consensus(&inputs(&[20 * UNIT; 5], &weights), &[], &params());

	assert_eq!(fraction_5_decimals(&outcome.consensus), vec![40000, 40000, 30000, 20000, 10000]);
	assert_eq!(to_5_decimals(&outcome.incentive), vec![25806, 25806, 19355, 19355, 9677]);
	assert_eq!(to_5_decimals(&outcome.dividends), vec![29032, 29032, 32258, 3226, 6452]);
	// All support is 62 of the 100 units of stake: the dividend part is 0.31 of the pot.
	assert_eq!(to_5_decimals(&[outcome.judging_share]), vec![62000]);
	let shares = outcome.shares(Perquintill::from_percent(50));
	assert_eq!(to_5_decimals(&shares), vec![26806, 26806, 23355, 14355, 8677]);
	// First payout, no bonds before: each bond is alpha times the support share.
	assert_eq!(
		fraction_5_decimals(&outcome.bonds[3].iter().map(|b| b.1).collect::<Vec<_>>()),
		vec![3333]
	);
	assert_eq!(outcome.bonds[3][0].0, 4);

	// The pot of 1000 units, split half and half.
	let pot = 1000 * UNIT;
	let (payouts, left) = split_consensus_emission(pot, &outcome, Perquintill::from_percent(50));
	assert_eq!(payouts.iter().sum::<u128>() + left, pot);
	assert!(left <= 10, "rounding leaves at most one base unit per share: {left}");

	// The attribution walk over the same graph, for the spec's comparison.
	let ranks = rank(&inputs(&[20 * UNIT; 5], &weights), 100).ranks;
	assert_eq!(to_5_decimals(&ranks), vec![0, 0, 0, 100000, 0]);
}

#[test]
fn a_second_payout_moves_bonds_toward_the_shares() {
	let weights = example_weights();
	let neurons = inputs(&[20 * UNIT; 5], &weights);
	let first = consensus(&neurons, &[], &params());
	let second = consensus(&neurons, &first.bonds, &params());
	// 0.1 · 1/3 after one payout; 0.9 · that + 0.1 · 1/3 after two.
	assert_eq!(fraction_5_decimals(&[second.bonds[3][0].1]), vec![6333]);
	assert_eq!(second.incentive, first.incentive, "incentive has no memory");
}

#[test]
fn an_early_evaluator_holds_the_larger_bond() {
	// Two evaluators of equal stake; the early one supports uid 2 for 20 payouts alone, then
	// both do.
	let (early, late, found) = (0u16, 1u16, 2u16);
	let alone = vec![vec![(found, 1)], vec![], vec![]];
	let both = vec![vec![(found, 1)], vec![(found, 1)], vec![]];
	let stakes = [UNIT, UNIT, UNIT];
	let mut bonds: Vec<Bonds> = Vec::new();
	for _ in 0..20 {
		bonds = consensus(&inputs(&stakes, &alone), &bonds, &params()).bonds;
	}
	let after = consensus(&inputs(&stakes, &both), &bonds, &params());
	let bond = |uid: u16| after.bonds[usize::from(uid)].first().map_or(0, |b| b.1);
	assert!(bond(early) > 5 * bond(late), "{} vs {}", bond(early), bond(late));
	assert!(after.dividends[0] > after.dividends[1]);
	// Over many more payouts the bonds converge to equal shares.
	let mut bonds = after.bonds;
	for _ in 0..400 {
		bonds = consensus(&inputs(&stakes, &both), &bonds, &params()).bonds;
	}
	let gap = bonds[0][0].1.abs_diff(bonds[1][0].1);
	assert!(gap < FRACTION_ONE / 1000, "bonds {:?}", bonds);
}

#[test]
fn a_minority_cabal_gets_no_consensus_for_itself() {
	// Six honest neurons (10 units each) weight each other and give the cabal nothing; the
	// cabal (four neurons, 10 units each: 40%) weights only its own members, heavily.
	let mut weights: Vec<Vec<(u16, u16)>> = Vec::new();
	for uid in 0..10u16 {
		let targets: Vec<u16> =
			if uid < 6 { (0..6).filter(|&t| t != uid).collect() } else { (6..10).collect() };
		weights.push(targets.into_iter().map(|t| (t, 100)).collect());
	}
	let outcome = consensus(&inputs(&[10 * UNIT; 10], &weights), &[], &params());
	for uid in 6..10 {
		assert_eq!(outcome.consensus[uid], 0, "cabal member {uid}");
		assert_eq!(outcome.incentive[uid], Perquintill::zero());
		assert_eq!(outcome.dividends[uid], Perquintill::zero());
	}
	for uid in 0..6 {
		assert_eq!(outcome.consensus[uid], FRACTION_ONE / 5);
	}
}

#[test]
fn self_weight_and_empty_evaluations_earn_no_dividends() {
	// uid 0 weights only itself (a free rider); 1 and 2 evaluate 0 and each other.
	let weights = vec![vec![(0, 100)], vec![(0, 50), (2, 50)], vec![(0, 50), (1, 50)]];
	let outcome = consensus(&inputs(&[UNIT; 3], &weights), &[], &params());
	assert_eq!(outcome.dividends[0], Perquintill::zero());
	assert!(outcome.bonds[0].is_empty());
	assert!(outcome.incentive[0] > Perquintill::zero(), "it is still evaluated");
}

/// A lone judge: of three neurons with equal stake only uid 2 evaluates anyone. It holds every
/// bond, yet is paid dividends as a third of the stake: a sixth of the pot, not the whole
/// dividend half; the rest of that half is incentive (docs/consensus.md, step 7).
#[test]
fn a_lone_judge_is_paid_dividends_as_its_share_of_the_stake() {
	let weights = vec![vec![(0, 1)], vec![(1, 1)], vec![(2, 50), (0, 50)]];
	let outcome = consensus(&inputs(&[UNIT; 3], &weights), &[], &params());
	assert_eq!(outcome.judging_share, Perquintill::from_rational(1u64, 3));
	assert_eq!(
		outcome.dividends,
		vec![Perquintill::zero(), Perquintill::zero(), Perquintill::one()]
	);
	assert_eq!(
		outcome.incentive,
		vec![Perquintill::one(), Perquintill::zero(), Perquintill::zero()]
	);
	assert_eq!(
		to_5_decimals(&outcome.shares(Perquintill::from_percent(50))),
		vec![83333, 0, 16667]
	);

	let pot = 600 * UNIT;
	let (payouts, left) = split_consensus_emission(pot, &outcome, Perquintill::from_percent(50));
	assert_eq!(payouts.iter().sum::<u128>() + left, pot);
	assert_eq!(payouts[1], 0);
	assert!(payouts[2].abs_diff(100 * UNIT) <= 1, "dividends {}", payouts[2]);
	assert!(payouts[0].abs_diff(500 * UNIT) <= 1, "incentive {}", payouts[0]);
}

#[test]
fn nobody_supported_pays_nothing() {
	let weights = vec![vec![(0, 1)], vec![], vec![(2, 5)]];
	let outcome = consensus(&inputs(&[UNIT; 3], &weights), &[], &params());
	assert!(outcome.incentive.iter().all(|share| share.is_zero()));
	let (payouts, left) = split_consensus_emission(777, &outcome, Perquintill::from_percent(50));
	assert!(payouts.iter().all(|&paid| paid == 0));
	assert_eq!(left, 777);
}

#[test]
fn bonds_are_bounded_and_stale_targets_dropped() {
	let weights: Vec<Vec<(u16, u16)>> =
		vec![(1..9).map(|t| (t, t)).collect(), (0..9).map(|t| (t, 1)).collect()];
	let mut stakes = vec![UNIT, UNIT];
	stakes.extend([UNIT; 7]);
	let mut all_weights = weights.clone();
	all_weights.extend(vec![vec![(0, 1), (1, 1)]; 7]);
	let tight = ConsensusParams { max_bonds: 3, ..params() };
	let outcome = consensus(&inputs(&stakes, &all_weights), &[], &tight);
	assert!(outcome.bonds.iter().all(|row| row.len() <= 3));
	assert!(outcome.bonds.iter().all(|row| row.windows(2).all(|w| w[0].0 < w[1].0)));
	// A bond in a uid past the end of the neurons is dropped.
	let old = vec![vec![(40u16, FRACTION_ONE)]];
	let again = consensus(&inputs(&stakes, &all_weights), &old, &params());
	assert!(again.bonds[0].iter().all(|&(target, _)| target < 9));
}

// ---------------------------------------------------------------------------------------------
// Properties.

fn networks() -> impl Strategy<Value = (Vec<u128>, Vec<Vec<(u16, u16)>>)> {
	(1usize..24).prop_flat_map(|n| {
		let stake = prop_oneof![0u128..1_000, 0u128..(1u128 << 60)];
		let weight = ((0..n as u16 + 2), prop_oneof![Just(0u16), any::<u16>()]);
		let weights = proptest::collection::vec(weight, 0..8);
		(proptest::collection::vec(stake, n), proptest::collection::vec(weights, n))
	})
}

fn kappas() -> impl Strategy<Value = Perquintill> {
	prop_oneof![
		Just(Perquintill::from_percent(50)),
		(1u64..=100).prop_map(Perquintill::from_percent)
	]
}

proptest! {
	#[test]
	fn clipping_never_raises_a_weight((stakes, weights) in networks(), kappa in kappas()) {
		let neurons = inputs(&stakes, &weights);
		let (evaluations, consensus, supports) = stages(&neurons, kappa);
		for (uid, (row, clipped)) in evaluations.iter().zip(&supports).enumerate() {
			for &(target, support) in clipped {
				let weight = row.iter().find(|e| e.0 == target).unwrap().1;
				prop_assert!(support <= stakes[uid] * u128::from(weight));
				prop_assert!(target as usize != uid, "no neuron evaluates itself");
			}
		}
		// A consensus weight is a weight someone gave.
		for (target, &c) in consensus.iter().enumerate() {
			if c > 0 {
				prop_assert!(evaluations.iter().flatten().any(|e| usize::from(e.0) == target && e.1 == c));
			}
		}
	}

	#[test]
	fn agreeing_evaluators_are_not_clipped(
		evaluators in 1usize..8,
		targets in proptest::collection::vec(1u16..u16::MAX, 1..8),
		stakes in proptest::collection::vec(1u128..(1u128 << 50), 8),
		kappa in kappas(),
	) {
		// Evaluators 0..k all post the same weights over the targets k..k+t.
		let first_target = evaluators as u16;
		let posted: Vec<(u16, u16)> =
			targets.iter().enumerate().map(|(k, &w)| (first_target + k as u16, w)).collect();
		let mut weights = vec![posted; evaluators];
		weights.extend(vec![Vec::new(); targets.len()]);
		let mut all_stakes = stakes[..evaluators].to_vec();
		all_stakes.extend(vec![UNIT; targets.len()]);
		let neurons = inputs(&all_stakes, &weights);
		let (evaluations, _, supports) = stages(&neurons, kappa);
		for (uid, (row, clipped)) in evaluations.iter().zip(&supports).enumerate() {
			let unclipped: Vec<(u16, u128)> =
				row.iter().map(|&(t, w)| (t, all_stakes[uid] * u128::from(w))).collect();
			prop_assert_eq!(clipped, &unclipped);
		}
	}

	#[test]
	fn scaling_every_stake_changes_nothing(
		(stakes, weights) in networks(),
		factor in 2u128..100_000,
		kappa in kappas(),
	) {
		let p = ConsensusParams { kappa, ..params() };
		let once = consensus(&inputs(&stakes, &weights), &[], &p);
		let scaled: Vec<u128> = stakes.iter().map(|s| s * factor).collect();
		let outcome = consensus(&inputs(&scaled, &weights), &[], &p);
		prop_assert_eq!(&outcome, &once);
		// And with bonds carried over from a payout before.
		prop_assert_eq!(
			consensus(&inputs(&scaled, &weights), &once.bonds, &p),
			consensus(&inputs(&stakes, &weights), &once.bonds, &p)
		);
	}

	#[test]
	fn permuting_uids_permutes_the_outcome(
		(stakes, weights) in networks(),
		seed in any::<u64>(),
	) {
		let n = stakes.len();
		// A permutation from the seed (Fisher-Yates with a small LCG).
		let mut to: Vec<usize> = (0..n).collect();
		let mut state = seed;
		for i in (1..n).rev() {
			state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
			to.swap(i, (state >> 33) as usize % (i + 1));
		}
		let map = |uid: u16| if usize::from(uid) < n { to[usize::from(uid)] as u16 } else { uid };
		let mut new_stakes = vec![0; n];
		let mut new_weights = vec![Vec::new(); n];
		for uid in 0..n {
			new_stakes[to[uid]] = stakes[uid];
			new_weights[to[uid]] = weights[uid].iter().map(|&(t, w)| (map(t), w)).collect();
		}
		let before = consensus(&inputs(&stakes, &weights), &[], &params());
		let after = consensus(&inputs(&new_stakes, &new_weights), &[], &params());
		for uid in 0..n {
			let moved = to[uid];
			prop_assert_eq!(after.consensus[moved], before.consensus[uid]);
			prop_assert_eq!(after.incentive[moved], before.incentive[uid]);
			prop_assert_eq!(after.dividends[moved], before.dividends[uid]);
			let mut bonds: Vec<(u16, u64)> =
				before.bonds[uid].iter().map(|&(t, b)| (map(t), b)).collect();
			bonds.sort_unstable();
			prop_assert_eq!(&after.bonds[moved], &bonds);
		}
	}

	#[test]
	fn payouts_and_remainder_make_the_pot(
		(stakes, weights) in networks(),
		pot in 0u128..(1u128 << 100),
		dividend_share in 0u64..=100,
	) {
		let outcome = consensus(&inputs(&stakes, &weights), &[], &params());
		let share = Perquintill::from_percent(dividend_share);
		let (payouts, left) = split_consensus_emission(pot, &outcome, share);
		prop_assert_eq!(payouts.iter().sum::<u128>() + left, pot);
		let one = u128::from(Perquintill::one().deconstruct());
		let sum = |shares: &[Perquintill]| shares.iter().map(|s| u128::from(s.deconstruct())).sum::<u128>();
		if outcome.incentive.iter().any(|s| !s.is_zero()) {
			let n = stakes.len() as u128;
			prop_assert!(one - sum(&outcome.incentive) <= n);
			prop_assert!(one - sum(&outcome.dividends) <= n);
			// Rounding leaves at most about one base unit per share and part, plus what the
			// shares' own rounding (n parts in 10^18) leaves of the pot.
			prop_assert!(left <= 2 * n + 2 + pot / (one / (2 * n + 2)), "left {left} of {pot}");
		} else {
			prop_assert_eq!(left, pot);
		}
	}

	/// A free rider's stake changes no one's incentive or dividend shares; it only shrinks the
	/// dividend part of the pot, to `dividend_share` times all support over all stake.
	#[test]
	fn stake_that_does_not_judge_only_shrinks_the_dividend_part(
		(stakes, weights) in networks(),
		idle in 1u128..(1u128 << 62),
		dividend_share in 0u64..=100,
	) {
		let n = stakes.len();
		let uid = n as u16;
		// Targets at `n` and above would name the free rider; drop them.
		let weights: Vec<Vec<(u16, u16)>> =
			weights.iter().map(|row| row.iter().copied().filter(|e| e.0 < uid).collect()).collect();
		let (mut with_stakes, mut with_weights) = (stakes.clone(), weights.clone());
		with_stakes.push(idle);
		with_weights.push(vec![(uid, 1)]);
		let before = consensus(&inputs(&stakes, &weights), &[], &params());
		let after = consensus(&inputs(&with_stakes, &with_weights), &[], &params());
		prop_assert_eq!(&after.incentive[..n], &before.incentive[..]);
		prop_assert_eq!(&after.dividends[..n], &before.dividends[..]);
		prop_assert_eq!(after.dividends[n], Perquintill::zero());

		// All support, as `consensus` sums it (stakes here are below 2^95: no shift).
		let (_, _, supports) = stages(&inputs(&stakes, &weights), params().kappa);
		let support: u128 = supports.iter().flatten().map(|&(_, s)| s).sum();
		let total: u128 = stakes.iter().sum();
		let share = Perquintill::from_percent(dividend_share);
		for (outcome, total) in [(&before, total), (&after, total + idle)] {
			let whole = total * u128::from(FRACTION_ONE);
			let expected =
				if whole == 0 { Perquintill::zero() } else { Perquintill::from_rational(support, whole) };
			prop_assert_eq!(outcome.judging_share, expected);
			let part = outcome.dividend_part(share);
			prop_assert_eq!(part.deconstruct(), share.mul_floor(expected.deconstruct()));
			// What is paid as dividends: the dividend part of the pot, less rounding.
			let pot = 1u128 << 80;
			let (paid, _) = split_consensus_emission(pot, outcome, share);
			let incentive_pot = pot - part.mul_floor(pot);
			let incentive_paid: u128 = outcome.incentive.iter().map(|s| s.mul_floor(incentive_pot)).sum();
			let dividends_paid = paid.iter().sum::<u128>() - incentive_paid;
			prop_assert!(part.mul_floor(pot) - dividends_paid <= 2 * n as u128 + pot / (1u128 << 50),
				"dividends paid {dividends_paid} of {}", part.mul_floor(pot));
		}
		prop_assert!(after.dividend_part(share) <= before.dividend_part(share));
	}

	/// A voter whose every weight goes where nobody else confirms earns no dividends and does
	/// not enlarge the others' dividend part.
	#[test]
	fn an_unconfirmed_vote_does_not_enlarge_the_dividend_part(stake in 1u128..=UNIT / 2) {
		// 0 and 1 judge each other; 2 weights only 3, and its stake alone cannot carry kappa
		// of the voting stake for 3.
		let weights = vec![vec![(1, 1)], vec![(0, 1)], vec![(3, 1)], vec![(3, 1)]];
		let judges = consensus(&inputs(&[UNIT, UNIT, 0, 0], &weights), &[], &params());
		let with_garbage = consensus(&inputs(&[UNIT, UNIT, stake, 0], &weights), &[], &params());
		prop_assert!(with_garbage.dividends[2].is_zero());
		let half = Perquintill::from_percent(50);
		prop_assert_eq!(judges.dividend_part(half), half);
		let total = 2 * UNIT + stake;
		prop_assert_eq!(with_garbage.judging_share, Perquintill::from_rational(2 * UNIT, total));
		prop_assert!(with_garbage.dividend_part(half) <= judges.dividend_part(half));
	}

	#[test]
	fn bond_columns_never_exceed_one(
		(stakes, weights) in networks(),
		rounds in 1usize..6,
		alpha in 1u64..=100,
	) {
		let p = ConsensusParams { bond_alpha: Perquintill::from_percent(alpha), ..params() };
		let neurons = inputs(&stakes, &weights);
		let mut bonds: Vec<Bonds> = Vec::new();
		for _ in 0..rounds {
			bonds = consensus(&neurons, &bonds, &p).bonds;
			let mut columns = vec![0u128; stakes.len()];
			for &(target, bond) in bonds.iter().flatten() {
				columns[usize::from(target)] += u128::from(bond);
			}
			prop_assert!(columns.iter().all(|&sum| sum <= u128::from(FRACTION_ONE)), "{:?}", columns);
		}
	}
}
