//! The spec's worked example (`shared/spec/attribution.md`), run through the pallet.

use super::*;
use crate::{EmissionDestination, IncentiveParams};

/// One unit of stake: each of the ten neurons starts with one.
const UNIT: Balance = 1_000_000_000_000;

/// The spec's table as raw `u16` weights by uid (a = 0, ..., j = 9); self weight first.
fn spec_weights() -> Vec<(u16, Vec<(u16, u16)>)> {
	vec![
		(0, vec![(0, 6000), (1, 1000), (2, 1000), (3, 2000)]),
		(1, vec![(1, 9000), (0, 1000)]),
		(2, vec![(2, 4000), (0, 3000), (3, 3000)]),
		(3, vec![(3, 5000), (0, 2000), (1, 1000), (2, 2000)]),
		(4, vec![(4, 5000), (5, 5000)]),
		(5, vec![(5, 5000), (4, 5000)]),
	]
}

fn example_params() -> IncentiveParams<Balance, BlockNumber> {
	IncentiveParams {
		emission_per_block: 500 * UNIT,
		tempo: 1,
		emission_destination: EmissionDestination::Stake,
		max_ranking_passes: 100,
		max_neurons: 16,
		max_edges: 4,
		min_stake: 1,
		weights_rate_limit: 0,
		immunity_period: 0,
		..test_params()
	}
}

/// The stored ranks of uids 0..10, rounded half up to 5 decimals, as integers (0.11903 ->
/// 11903).
fn ranks_5dp() -> Vec<u64> {
	(0..10u16)
		.map(|uid| {
			let parts = neuron(uid).rank.deconstruct();
			(parts + 5_000_000_000_000) / 10_000_000_000_000
		})
		.collect()
}

/// The ranks as decimals, for messages.
fn ranks_text() -> String {
	(0..10u16)
		.map(|uid| format!("{:.7}", neuron(uid).rank.deconstruct() as f64 / 1e18))
		.collect::<Vec<_>>()
		.join(" ")
}

/// a..j (accounts 1..=10, uids 0..=9) with one unit each and the spec's weights, registered at
/// genesis: their stake ranks from the first payout, in block 2.
fn spec_neurons() -> Vec<crate::GenesisNeuron<AccountId, Balance>> {
	let mut weights = spec_weights();
	(1..=10u64)
		.map(|who| {
			let uid = (who - 1) as u16;
			let posted = weights
				.iter_mut()
				.find(|(of, _)| *of == uid)
				.map(|(_, w)| core::mem::take(w))
				.unwrap_or_default();
			(who, UNIT, posted)
		})
		.collect()
}

#[test]
fn worked_example_equal_stake_ranks() {
	ExtBuilder::default()
		.balances((1..=10).map(|who| (who, 2 * UNIT)).collect())
		.params(example_params())
		.neurons(spec_neurons())
		.build_and_execute(|| {
			run_to_block(2);
			let ranks = ranks_5dp();
			println!("equal stake, one payout: {}", ranks_text());
			assert_eq!(
				ranks,
				vec![11903, 12467, 6288, 9342, 10000, 10000, 10000, 10000, 10000, 10000],
				"ranks {}",
				ranks_text()
			);
		});
}

#[test]
fn worked_example_stake_reinforcement_over_1000_blocks() {
	ExtBuilder::default()
		.balances((1..=10).map(|who| (who, 2 * UNIT)).collect())
		.params(example_params())
		.neurons(spec_neurons())
		.build_and_execute(|| {
			// Payouts in blocks 2..=1001: a thousand of them, each into stake.
			run_to_block(1001);
			let ranks = ranks_5dp();
			println!("after 1000 payouts into stake: {}", ranks_text());
			assert_eq!(
				ranks,
				vec![10465, 20912, 2800, 5823, 10000, 10000, 10000, 10000, 10000, 10000],
				"ranks {}",
				ranks_text()
			);
			// Everything emitted was paid but the rounding dust, and it went into stake.
			let staked: Balance = (0..10u16).map(|uid| neuron(uid).stake).sum();
			assert_eq!(
				staked + crate::PendingEmission::<Test>::get(),
				10 * UNIT + 1000 * 500 * UNIT
			);
		});
}
