//! The runtime's configuration checked against the chain's goals, with the generated weights.

use frame_support::weights::Weight;

use crate::{configs::RuntimeBlockWeights, Balance, BlockNumber, Runtime};

/// The largest graph the runtime admits: `MaxNeuronsLimit` neurons with `MaxEdgesLimit` edges.
const NEURONS: u32 = 4096;
const EDGES: u32 = 4096 * 256;

/// `weight` as a share of a block's compute, in percent.
fn share_of_block(weight: Weight) -> u64 {
	let block: Weight = RuntimeBlockWeights::get().max_block;
	weight.ref_time().saturating_mul(100).checked_div(block.ref_time()).unwrap_or(u64::MAX)
}

/// The payout hook's charged weight for the largest graph as a share of a block, in percent.
fn payout_share_of_block(passes: u32) -> u64 {
	share_of_block(pallet_incentive::Pallet::<Runtime>::payout_weight(
		NEURONS,
		EDGES,
		passes,
		pallet_incentive::EmissionDestination::Stake,
	))
}

#[test]
fn payout_hook_of_the_largest_graph_takes_at_most_a_quarter_of_a_block() {
	// Charged for the configured maximum of passes, whatever the walk takes (it converges in
	// about 35 on random graphs); docs/benchmarks.md records the numbers. The goal is a quarter
	// of the block's compute, with the default destination (stake).
	let passes =
		pallet_incentive::IncentiveParams::<Balance, BlockNumber>::default().max_ranking_passes;
	let share = payout_share_of_block(passes);
	println!("4096 x 256 payout: {share}% of a block at {passes} passes, {}% at 35", {
		payout_share_of_block(35)
	});
	assert!(share <= 25, "4096 x 256 payout with {passes} passes takes {share}% of a block");
}

#[test]
fn params_whose_worst_payout_exceeds_half_a_block_are_refused() {
	// The largest graph the runtime stores, paid into free balance (the costlier destination),
	// at increasing pass caps: each is accepted exactly when its worst case fits half a block,
	// the smallest cap fits and the largest does not.
	let half = RuntimeBlockWeights::get().max_block.saturating_div(2);
	let mut verdicts = Vec::new();
	for passes in [1, 35, 100, pallet_incentive::MAX_RANKING_PASSES] {
		let params = pallet_incentive::IncentiveParams::<Balance, BlockNumber> {
			max_neurons: NEURONS,
			max_edges: EDGES / NEURONS,
			max_ranking_passes: passes,
			..Default::default()
		};
		let worst = pallet_incentive::Pallet::<Runtime>::worst_payout_weight(&params);
		let verdict = pallet_incentive::Pallet::<Runtime>::validate_params(&params);
		println!("{passes} passes: worst payout {}% of a block", share_of_block(worst));
		assert_eq!(verdict.is_ok(), worst.all_lte(half), "{passes} passes");
		if !worst.all_lte(half) {
			assert!(matches!(verdict, Err(pallet_incentive::Error::PayoutTooHeavy)));
		}
		verdicts.push(verdict.is_ok());
	}
	assert_eq!(verdicts.first(), Some(&true));
	assert_eq!(verdicts.last(), Some(&false));
}
