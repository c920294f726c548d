//! Tests of the view constructors and helpers (no runtime needed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;
use alloc::vec;
use codec::{Decode, Encode};

type Info = NeuronInfo<u64, u128, u32>;

fn info(account: u64, stake: u128) -> Info {
	NeuronInfo {
		account,
		operator: account + 100,
		stake,
		held_stake: stake,
		unsettled_stake: 0,
		registered_at: 3,
		last_weights_at: Some(7),
		axon: Some(AxonInfo::ipv4([10, 0, 0, 1], 8091, 2)),
		rank: Perquintill::from_percent(25),
		last_emission: 40,
		total_emission: 90,
		ranked_stake: stake,
		incentive: Perquintill::from_percent(10),
		dividends: Perquintill::from_percent(20),
	}
}

#[test]
fn neuron_view_copies_the_stored_fields() {
	let mut stored = info(77, 1_000);
	stored.ranked_stake = 600;
	// The edge to uid 0 is stale: only the self weight counts.
	let view = NeuronView::new(2, stored, vec![(0, 10), (2, 30)], &[(2, 30)], 3);
	assert_eq!(view.uid, 2);
	assert_eq!(view.account, 77);
	assert_eq!(view.operator, 177);
	assert_eq!(view.stale_edges, 1);
	assert_eq!(view.self_weight, Perquintill::one());
	assert_eq!(view.stake, 1_000);
	assert_eq!(view.ranked_stake, 600);
	assert_eq!(view.rank, Perquintill::from_percent(25));
	assert_eq!(view.last_emission, 40);
	assert_eq!(view.total_emission, 90);
	assert_eq!(view.registered_at, 3);
	assert_eq!(view.last_weights_at, Some(7));
	assert_eq!(view.axon, Some(AxonInfo::ipv4([10, 0, 0, 1], 8091, 2)));
	assert_eq!(view.edges, vec![(0, 10), (2, 30)]);
}

#[test]
fn self_weight_is_one_without_edges() {
	assert_eq!(self_weight(0, &[], 1), Perquintill::one());
}

#[test]
fn self_weight_is_the_kept_share() {
	// Own raw 30 of 40: keeps three quarters (up to the ranking's 2^-32 resolution).
	let kept = self_weight(2, &[(0, 10), (2, 30)], 3);
	let expected = Perquintill::from_percent(75);
	let diff = kept.deconstruct().abs_diff(expected.deconstruct());
	assert!(diff <= 1_000_000_000, "{kept:?}");
	assert!(kept >= expected);

	// Only edges to others: keeps (almost) nothing; the rounding dust stays with the neuron.
	let kept = self_weight(0, &[(1, 1), (2, 1), (3, 1)], 4);
	assert!(kept.deconstruct() < 1_000_000_000, "{kept:?}");
}

#[test]
fn self_weight_ignores_edges_past_uid_end() {
	// Uid 5 is not part of the ranking when only 3 slots exist, so the neuron keeps all.
	assert_eq!(self_weight(0, &[(5, 10)], 3), Perquintill::one());
}

#[test]
fn total_stake_sums_and_saturates() {
	let a = NeuronView::new(0, info(1, 5), vec![], &[], 2);
	let b = NeuronView::new(1, info(2, 7), vec![], &[], 2);
	assert_eq!(total_stake([&a, &b]), 12);
	let big = NeuronView::new(1, info(2, u128::MAX), vec![], &[], 2);
	assert_eq!(total_stake([&a, &big]), u128::MAX);
	assert_eq!(total_stake::<u64, u128, u32>([]), 0);
}

#[test]
fn next_payout_block_is_the_next_multiple_of_tempo() {
	assert_eq!(next_payout_block(0u32, 1), Some(1));
	assert_eq!(next_payout_block(5u32, 1), Some(6));
	assert_eq!(next_payout_block(0u32, 100), Some(100));
	assert_eq!(next_payout_block(99u32, 100), Some(100));
	assert_eq!(next_payout_block(100u32, 100), Some(200));
	assert_eq!(next_payout_block(7u32, 0), None);
	assert_eq!(next_payout_block(u32::MAX - 1, 2), None);
}

#[test]
fn neuron_emission_copies_the_emission_fields() {
	let record = NeuronEmission::new(4, info(9, 1));
	assert_eq!(
		record,
		NeuronEmission {
			uid: 4,
			account: 9,
			rank: Perquintill::from_percent(25),
			last_emission: 40,
			total_emission: 90,
			incentive: Perquintill::from_percent(10),
			dividends: Perquintill::from_percent(20),
		}
	);
}

#[test]
fn metagraph_round_trips_through_scale() {
	let metagraph = Metagraph::<u64, u128, u32> {
		block: 12,
		neurons: vec![NeuronView::new(0, info(1, 5), vec![(0, 1)], &[(0, 1)], 1)],
		neuron_count: 1,
		edge_count: 1,
		total_stake: 5,
		pending_emission: 3,
		total_paid: 100,
		registration_fee: 2_000_000_000,
		total_burned: 1_000_000_000,
		params: IncentiveParams::default(),
		mechanism: pallet_incentive::MechanismParams::default(),
	};
	let encoded = metagraph.encode();
	assert_eq!(Metagraph::decode(&mut &encoded[..]).unwrap(), metagraph);
}
