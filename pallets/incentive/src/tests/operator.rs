//! Owner and operator keys: the owner moves money, the operator signs weights and the axon.

use super::*;
use crate::{Error, Event, Operators, Uids};
use frame_support::{assert_noop, assert_ok};

/// Account 1 owns uid 0 and hands the operator role to account 11.
fn owner_with_operator() -> u16 {
	let uid = register(1, 500);
	assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(1), 11));
	uid
}

#[test]
fn the_owner_is_the_operator_until_it_names_another() {
	ExtBuilder::default().build_and_execute(|| {
		let uid = register(1, 500);
		assert_eq!(neuron(uid).operator, 1);
		assert_eq!(Operators::<Test>::get(1), Some(uid));
		assert_ok!(Incentive::set_weights(RuntimeOrigin::signed(1), vec![(uid, 1)]));

		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(1), 11));
		assert_eq!(last_incentive_event(), Event::OperatorSet { uid, operator: 11 });
		assert_eq!(neuron(uid).operator, 11);
		assert_eq!(neuron(uid).account, 1);
		assert_eq!(Operators::<Test>::get(11), Some(uid));
		assert_eq!(Operators::<Test>::get(1), None);
		assert_eq!(Incentive::uid_of_account(&11), Some(uid));
		assert_eq!(Incentive::uid_of_account(&1), Some(uid));
	});
}

#[test]
fn the_operator_signs_weights_and_axon_and_the_owner_no_longer_does() {
	ExtBuilder::default().build_and_execute(|| {
		let uid = owner_with_operator();
		assert_ok!(Incentive::set_weights(RuntimeOrigin::signed(11), vec![(uid, 1)]));
		assert_eq!(neuron(uid).last_weights_at, Some(1));
		let endpoint = AxonInfo::ipv4([10, 0, 0, 7], 8091, 1);
		assert_ok!(Incentive::serve_axon(RuntimeOrigin::signed(11), endpoint));
		assert_eq!(neuron(uid).axon, Some(endpoint));

		System::set_block_number(1 + RATE_LIMIT);
		assert_noop!(
			Incentive::set_weights(RuntimeOrigin::signed(1), vec![(uid, 1)]),
			Error::<Test>::NotOperator
		);
		assert_noop!(
			Incentive::serve_axon(RuntimeOrigin::signed(1), endpoint),
			Error::<Test>::NotOperator
		);
		// The owner takes the role back.
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(1), 1));
		assert_ok!(Incentive::set_weights(RuntimeOrigin::signed(1), vec![(uid, 2)]));
		assert_noop!(
			Incentive::set_weights(RuntimeOrigin::signed(11), vec![]),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn an_operator_key_cannot_move_stake_leave_or_hand_on_its_role() {
	ExtBuilder::default().build_and_execute(|| {
		let uid = owner_with_operator();
		assert_noop!(Incentive::add_stake(RuntimeOrigin::signed(11), 100), Error::<Test>::NotOwner);
		assert_noop!(
			Incentive::remove_stake(RuntimeOrigin::signed(11), 100),
			Error::<Test>::NotOwner
		);
		assert_noop!(Incentive::unregister(RuntimeOrigin::signed(11)), Error::<Test>::NotOwner);
		assert_noop!(
			Incentive::set_operator(RuntimeOrigin::signed(11), 12),
			Error::<Test>::NotOwner
		);
		// Nor register a neuron of its own while it operates this one.
		assert_noop!(
			Incentive::register(RuntimeOrigin::signed(11), MIN_STAKE, None, Balance::MAX),
			Error::<Test>::OperatorInUse
		);
		// It has no unbonding of its own; the owner's stays the owner's.
		assert_ok!(Incentive::remove_stake(RuntimeOrigin::signed(1), 100));
		System::set_block_number(1 + UNBONDING);
		assert_noop!(
			Incentive::withdraw_unbonded(RuntimeOrigin::signed(11)),
			Error::<Test>::NothingToWithdraw
		);
		assert_eq!(unbonding(1), 100);
		assert_eq!(neuron(uid).stake, 400);
	});
}

#[test]
fn a_key_operates_at_most_one_neuron() {
	ExtBuilder::default().build_and_execute(|| {
		owner_with_operator();
		register(2, 500);
		assert_noop!(
			Incentive::set_operator(RuntimeOrigin::signed(2), 11),
			Error::<Test>::OperatorInUse
		);
		// An owner that is its own operator cannot be named by another neuron either...
		register(3, 500);
		assert_noop!(
			Incentive::set_operator(RuntimeOrigin::signed(2), 3),
			Error::<Test>::OperatorInUse
		);
		// ...but one that handed its role on can.
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(2), 1));
		assert_eq!(Incentive::uid_of_account(&1), Some(0));
		// Naming the current operator again changes nothing and succeeds.
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(1), 11));
		assert_noop!(
			Incentive::set_operator(RuntimeOrigin::signed(4), 12),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn leaving_or_being_replaced_frees_the_operator_key() {
	ExtBuilder::default().with_params(|p| p.max_neurons = 2).build_and_execute(|| {
		owner_with_operator();
		assert_ok!(Incentive::unregister(RuntimeOrigin::signed(1)));
		assert_eq!(Operators::<Test>::get(11), None);
		// The freed key can register a neuron of its own.
		let uid = register(11, 500);
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(11), 21));
		register(2, 5_000);
		// Full; past its immunity, uid of account 11 (lowest stake) is replaced.
		System::set_block_number(1 + IMMUNITY);
		register(3, 500);
		assert_eq!(Uids::<Test>::get(3), Some(uid));
		assert_eq!(Operators::<Test>::get(21), None);
		assert_eq!(Operators::<Test>::get(3), Some(uid));
		assert_noop!(
			Incentive::set_weights(RuntimeOrigin::signed(21), vec![]),
			Error::<Test>::NotRegistered
		);
	});
}
