//! Owner and operator keys: the owner moves money, the operator signs weights and the axon.

use super::*;
use crate::{Error, Event, OperatorOffers, Operators, Uids};
use frame_support::{assert_noop, assert_ok};

/// `key` accepts the operator role of neuron `uid`, naming its owner as it is now.
fn accept(key: AccountId, uid: u16) -> frame_support::dispatch::DispatchResult {
	Incentive::accept_operator(RuntimeOrigin::signed(key), uid, neuron(uid).account)
}

/// Account 1 owns uid 0 and hands the operator role to account 11, which accepts it.
fn owner_with_operator() -> u16 {
	let uid = register(1, 500);
	assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(1), 11));
	assert_ok!(accept(11, uid));
	uid
}

#[test]
fn the_owner_is_the_operator_until_it_names_another() {
	ExtBuilder::default().build_and_execute(|| {
		let uid = register(1, 500);
		assert_eq!(neuron(uid).operator, 1);
		assert_eq!(Operators::<Test>::get(1), Some(uid));
		assert_ok!(Incentive::set_weights(RuntimeOrigin::signed(1), vec![(uid, 1)]));

		// An offer changes nothing until the key accepts it.
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(1), 11));
		assert_eq!(last_incentive_event(), Event::OperatorOffered { uid, operator: 11 });
		assert_eq!(neuron(uid).operator, 1);
		assert_eq!(OperatorOffers::<Test>::get(uid), Some(11));
		assert_noop!(
			Incentive::set_weights(RuntimeOrigin::signed(11), vec![]),
			Error::<Test>::NotRegistered
		);
		assert_noop!(accept(12, uid), Error::<Test>::NoOperatorOffer);
		// Naming another owner fails too: the uid might have changed hands since the offer.
		assert_noop!(
			Incentive::accept_operator(RuntimeOrigin::signed(11), uid, 2),
			Error::<Test>::NoOperatorOffer
		);
		assert_ok!(accept(11, uid));
		assert_eq!(last_incentive_event(), Event::OperatorSet { uid, operator: 11 });
		assert_eq!(OperatorOffers::<Test>::get(uid), None);
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
		// The owner takes the role back at once.
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(1), 1));
		assert_eq!(last_incentive_event(), Event::OperatorSet { uid, operator: 1 });
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
		let second = register(2, 500);
		assert_noop!(
			Incentive::set_operator(RuntimeOrigin::signed(2), 11),
			Error::<Test>::OperatorInUse
		);
		// An owner that is its own operator cannot take a second role either...
		let third = register(3, 500);
		assert_noop!(
			Incentive::set_operator(RuntimeOrigin::signed(2), 3),
			Error::<Test>::OperatorInUse
		);
		// An offer made before the key took another role cannot be accepted after it.
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(2), 13));
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(3), 13));
		assert_ok!(accept(13, third));
		assert_noop!(
			accept(13, second),
			Error::<Test>::OperatorInUse
		);
		// Once key 3 has handed its own role on, it can take another.
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(2), 3));
		assert_ok!(accept(3, second));
		assert_eq!(Incentive::uid_of_account(&3), Some(third));
		assert_eq!(Operators::<Test>::get(3), Some(second));
		assert_noop!(
			Incentive::set_operator(RuntimeOrigin::signed(4), 12),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn an_offer_cannot_tie_up_someone_elses_key() {
	// A hostile owner offers its operator role to key 5 (or front-runs key 5's owner with the
	// offer): key 5 can still register, and can still accept another neuron's offer.
	ExtBuilder::default().build_and_execute(|| {
		let hostile = register(1, 500);
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(1), 5));
		let own = register(5, 500);
		assert_eq!(neuron(own).operator, 5);
		assert_eq!(neuron(hostile).operator, 1);
		// Key 5 hands its own role on, and key 6 is offered two roles; it takes the one it wants.
		let honest = register(2, 500);
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(1), 6));
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(2), 6));
		assert_ok!(accept(6, honest));
		assert_eq!(neuron(hostile).operator, 1);
		assert_eq!(neuron(honest).operator, 6);
		// The hostile offer stays pending and binds nothing.
		assert_eq!(OperatorOffers::<Test>::get(hostile), Some(6));
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
		assert_ok!(accept(21, uid));
		// A pending offer goes with its neuron too.
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(11), 22));
		register(2, 5_000);
		// Full; past its immunity, uid of account 11 (lowest stake) is replaced.
		System::set_block_number(1 + IMMUNITY);
		register(3, 500);
		assert_eq!(Uids::<Test>::get(3), Some(uid));
		assert_eq!(Operators::<Test>::get(21), None);
		assert_eq!(OperatorOffers::<Test>::get(uid), None);
		assert_eq!(Operators::<Test>::get(3), Some(uid));
		assert_noop!(
			Incentive::set_weights(RuntimeOrigin::signed(21), vec![]),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn taking_the_role_back_keeps_the_operator_index_whole() {
	// Owner 3's own neuron is operated by key 13, and key 3 operates neuron `second`: key 3
	// cannot take its own role back while it operates another neuron, so no index entry is
	// overwritten and both neurons stay signable.
	ExtBuilder::default().build_and_execute(|| {
		let second = register(2, 500);
		let third = register(3, 500);
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(3), 13));
		assert_ok!(accept(13, third));
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(2), 3));
		assert_ok!(accept(3, second));
		assert_noop!(
			Incentive::set_operator(RuntimeOrigin::signed(3), 3),
			Error::<Test>::OperatorInUse
		);
		assert_eq!(Operators::<Test>::get(3), Some(second));
		assert_eq!(Operators::<Test>::get(13), Some(third));
		assert_ok!(Incentive::set_weights(RuntimeOrigin::signed(3), vec![(second, 1)]));
		assert_ok!(Incentive::set_weights(RuntimeOrigin::signed(13), vec![(third, 1)]));
		// Once owner 2 takes its role back, key 3 is free and can take its own back.
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(2), 2));
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(3), 3));
		assert_eq!(Operators::<Test>::get(3), Some(third));
		assert_eq!(Operators::<Test>::get(2), Some(second));
		assert_eq!(Operators::<Test>::get(13), None);
	});
}
