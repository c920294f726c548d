//! Posting weights: validation, storage, the edge count, the rate limit, and which edges count.

use super::*;
use crate::{EdgeCount, Error, Event, Weights};
use frame_support::{assert_noop, assert_ok};

/// Registers accounts 1..=n (uids 0..n).
fn register_many(n: u64) {
	for who in 1..=n {
		register(who, MIN_STAKE);
	}
}

#[test]
fn set_weights_stores_sorted_edges_and_counts_them() {
	ExtBuilder::default().build_and_execute(|| {
		register_many(4);
		assert_ok!(Incentive::set_weights(
			RuntimeOrigin::signed(1),
			vec![(3, 30), (0, 60), (1, 10)]
		));
		assert_eq!(Weights::<Test>::get(0).unwrap().into_inner(), vec![(0, 60), (1, 10), (3, 30)]);
		assert_eq!(EdgeCount::<Test>::get(), 3);
		assert_eq!(neuron(0).last_weights_at, Some(1));
		assert_eq!(last_incentive_event(), Event::WeightsSet { uid: 0, edges: 3 });
	});
}

#[test]
fn set_weights_drops_zero_entries() {
	ExtBuilder::default().build_and_execute(|| {
		register_many(3);
		set_weights(1, vec![(1, 0), (2, 7)]);
		assert_eq!(Weights::<Test>::get(0).unwrap().into_inner(), vec![(2, 7)]);
		assert_eq!(EdgeCount::<Test>::get(), 1);
		assert_eq!(last_incentive_event(), Event::WeightsSet { uid: 0, edges: 1 });
	});
}

#[test]
fn set_weights_replaces_previous_edges() {
	ExtBuilder::default().build_and_execute(|| {
		register_many(4);
		set_weights(1, vec![(1, 1), (2, 1)]);
		System::set_block_number(1 + RATE_LIMIT);
		set_weights(1, vec![(2, 5), (3, 5)]);
		assert_eq!(Weights::<Test>::get(0).unwrap().into_inner(), vec![(2, 5), (3, 5)]);
		assert_eq!(EdgeCount::<Test>::get(), 2);
	});
}

#[test]
fn set_weights_with_an_empty_list_clears_them() {
	ExtBuilder::default().build_and_execute(|| {
		register_many(2);
		set_weights(1, vec![(1, 1)]);
		System::set_block_number(1 + RATE_LIMIT);
		assert_ok!(Incentive::set_weights(RuntimeOrigin::signed(1), vec![]));
		assert_eq!(Weights::<Test>::get(0), None);
		assert_eq!(EdgeCount::<Test>::get(), 0);
		assert_eq!(last_incentive_event(), Event::WeightsSet { uid: 0, edges: 0 });
	});
}

#[test]
fn set_weights_accepts_max_edges() {
	ExtBuilder::default().build_and_execute(|| {
		register_many(5);
		set_weights(1, vec![(1, 1), (2, 1), (3, 1), (4, 1)]);
		assert_eq!(EdgeCount::<Test>::get(), 4);
	});
}

#[test]
fn set_weights_rejects_too_many_edges() {
	ExtBuilder::default().build_and_execute(|| {
		register_many(6);
		assert_noop!(
			Incentive::set_weights(
				RuntimeOrigin::signed(1),
				vec![(1, 1), (2, 1), (3, 1), (4, 1), (5, 1)]
			),
			Error::<Test>::TooManyEdges
		);
	});
}

#[test]
fn set_weights_rejects_duplicate_uid() {
	ExtBuilder::default().build_and_execute(|| {
		register_many(3);
		assert_noop!(
			Incentive::set_weights(RuntimeOrigin::signed(1), vec![(2, 1), (1, 1), (2, 3)]),
			Error::<Test>::DuplicateUid
		);
	});
}

#[test]
fn set_weights_rejects_unknown_uid() {
	ExtBuilder::default().build_and_execute(|| {
		register_many(3);
		assert_noop!(
			Incentive::set_weights(RuntimeOrigin::signed(1), vec![(1, 1), (3, 1)]),
			Error::<Test>::UnknownUid
		);
		// A freed uid is unknown too.
		assert_ok!(Incentive::unregister(RuntimeOrigin::signed(2)));
		assert_noop!(
			Incentive::set_weights(RuntimeOrigin::signed(1), vec![(1, 1)]),
			Error::<Test>::UnknownUid
		);
	});
}

#[test]
fn set_weights_rejects_all_weights_zero() {
	ExtBuilder::default().build_and_execute(|| {
		register_many(3);
		assert_noop!(
			Incentive::set_weights(RuntimeOrigin::signed(1), vec![(1, 0), (2, 0)]),
			Error::<Test>::AllWeightsZero
		);
	});
}

#[test]
fn set_weights_rejects_not_registered() {
	ExtBuilder::default().build_and_execute(|| {
		register_many(1);
		assert_noop!(
			Incentive::set_weights(RuntimeOrigin::signed(2), vec![(0, 1)]),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn set_weights_rejects_setting_weights_too_fast() {
	ExtBuilder::default().build_and_execute(|| {
		register_many(2);
		set_weights(1, vec![(1, 1)]);
		System::set_block_number(RATE_LIMIT);
		assert_noop!(
			Incentive::set_weights(RuntimeOrigin::signed(1), vec![(0, 1)]),
			Error::<Test>::SettingWeightsTooFast
		);
		// Clearing counts as setting.
		assert_noop!(
			Incentive::set_weights(RuntimeOrigin::signed(1), vec![]),
			Error::<Test>::SettingWeightsTooFast
		);
		System::set_block_number(1 + RATE_LIMIT);
		assert_ok!(Incentive::set_weights(RuntimeOrigin::signed(1), vec![(0, 1)]));
		assert_eq!(neuron(0).last_weights_at, Some(1 + RATE_LIMIT));
	});
}

#[test]
fn set_weights_rate_limit_is_per_neuron() {
	ExtBuilder::default().build_and_execute(|| {
		register_many(2);
		set_weights(1, vec![(1, 1)]);
		// The first neuron is held back in this block; the second, which has not posted, is not.
		assert_noop!(
			Incentive::set_weights(RuntimeOrigin::signed(1), vec![(0, 1)]),
			Error::<Test>::SettingWeightsTooFast
		);
		set_weights(2, vec![(0, 1)]);
		assert_eq!(neuron(0).last_weights_at, neuron(1).last_weights_at);
	});
}

#[test]
fn set_weights_without_rate_limit_allows_repeats_in_one_block() {
	ExtBuilder::default().with_params(|p| p.weights_rate_limit = 0).build_and_execute(|| {
		register_many(2);
		set_weights(1, vec![(1, 1)]);
		set_weights(1, vec![(0, 1), (1, 2)]);
		assert_eq!(EdgeCount::<Test>::get(), 2);
	});
}

#[test]
fn set_weights_bounded_by_the_params_not_just_the_storage_limit() {
	ExtBuilder::default().with_params(|p| p.max_edges = 2).build_and_execute(|| {
		register_many(4);
		assert_noop!(
			Incentive::set_weights(RuntimeOrigin::signed(1), vec![(1, 1), (2, 1), (3, 1)]),
			Error::<Test>::TooManyEdges
		);
	});
}
