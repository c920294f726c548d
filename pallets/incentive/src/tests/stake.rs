//! Adding and removing stake.

use super::*;
use crate::{Error, Event, Neurons};
use frame_support::{assert_noop, assert_ok};

#[test]
fn add_stake_holds_more() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, MIN_STAKE);
		assert_ok!(Incentive::add_stake(RuntimeOrigin::signed(1), 400));
		assert_eq!(neuron(0).stake, 500);
		assert_eq!(held(1), 500);
		assert_eq!(free(1), ENDOWMENT - 500);
		assert_eq!(last_incentive_event(), Event::StakeAdded { uid: 0, amount: 400, stake: 500 });
	});
}

#[test]
fn add_stake_rejects_zero_amount() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, MIN_STAKE);
		assert_noop!(Incentive::add_stake(RuntimeOrigin::signed(1), 0), Error::<Test>::ZeroAmount);
	});
}

#[test]
fn add_stake_rejects_not_registered() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Incentive::add_stake(RuntimeOrigin::signed(1), 10),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn add_stake_rejects_insufficient_balance() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, MIN_STAKE);
		// Everything free but the existential deposit can be held; one more cannot.
		let available = free(1) - 1;
		assert_noop!(
			Incentive::add_stake(RuntimeOrigin::signed(1), available + 1),
			Error::<Test>::InsufficientBalance
		);
		assert_ok!(Incentive::add_stake(RuntimeOrigin::signed(1), available));
		assert_eq!(free(1), 1);
	});
}

#[test]
fn add_stake_rejects_stake_overflow() {
	// The stored stake is forged (no real balance can get there), so the invariants do not hold
	// in this test and are not checked.
	ExtBuilder::default().build().execute_with(|| {
		register(1, MIN_STAKE);
		Neurons::<Test>::mutate(0, |info| info.as_mut().unwrap().held_stake = Balance::MAX);
		assert_noop!(
			Incentive::add_stake(RuntimeOrigin::signed(1), 1),
			Error::<Test>::StakeOverflow
		);
	});
}

#[test]
fn remove_stake_moves_the_amount_into_unbonding() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, 1_000);
		assert_ok!(Incentive::remove_stake(RuntimeOrigin::signed(1), 900));
		assert_eq!(neuron(0).stake, MIN_STAKE);
		assert_eq!(held(1), MIN_STAKE);
		assert_eq!(unbonding(1), 900);
		assert_eq!(free(1), ENDOWMENT - 1_000);
		assert_eq!(
			last_incentive_event(),
			Event::StakeRemoved { uid: 0, amount: 900, stake: MIN_STAKE, release_at: 1 + UNBONDING }
		);
	});
}

#[test]
fn remove_stake_rejects_zero_amount() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, 1_000);
		assert_noop!(
			Incentive::remove_stake(RuntimeOrigin::signed(1), 0),
			Error::<Test>::ZeroAmount
		);
	});
}

#[test]
fn remove_stake_rejects_not_registered() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Incentive::remove_stake(RuntimeOrigin::signed(1), 10),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn remove_stake_rejects_more_than_staked() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, 1_000);
		assert_noop!(
			Incentive::remove_stake(RuntimeOrigin::signed(1), 1_001),
			Error::<Test>::InsufficientStake
		);
	});
}

#[test]
fn remove_stake_rejects_going_below_minimum() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, 1_000);
		assert_noop!(
			Incentive::remove_stake(RuntimeOrigin::signed(1), 901),
			Error::<Test>::StakeBelowMinimum
		);
		// All of it: that is what unregister is for.
		assert_noop!(
			Incentive::remove_stake(RuntimeOrigin::signed(1), 1_000),
			Error::<Test>::StakeBelowMinimum
		);
	});
}
