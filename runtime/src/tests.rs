//! The runtime's configuration checked against the chain's goals, with the generated weights.

use frame_support::weights::Weight;

use crate::{configs::RuntimeBlockWeights, Balance, BlockNumber, Runtime};

/// The largest graph the runtime admits: `MaxNeuronsLimit` neurons with `MaxEdgesLimit` edges.
const NEURONS: u32 = 4096;
const EDGES: u32 = 4096 * 256;

/// The payout hook's charged weight for the largest graph as a share of a block, in percent.
fn payout_share_of_block(passes: u32) -> u64 {
	let block: Weight = RuntimeBlockWeights::get().max_block;
	let hook = pallet_incentive::Pallet::<Runtime>::payout_weight(
		NEURONS,
		EDGES,
		passes,
		pallet_incentive::EmissionDestination::Stake,
	);
	hook.ref_time().saturating_mul(100).checked_div(block.ref_time()).unwrap_or(u64::MAX)
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
