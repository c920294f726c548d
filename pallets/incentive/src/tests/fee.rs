//! The registration fee: burned, rising with each registration, decaying back to the floor.

use super::*;
use crate::{Error, Event, LastRegistrationPrice, RegistrationPrice, TotalBurned};
use frame_support::{assert_noop, traits::fungible::Inspect};

const FLOOR: Balance = 1_000;
const CEILING: Balance = 100_000;
const HALF_LIFE: BlockNumber = 10;

/// The test parameters with a fee: floor 1000, ceiling 100 000, doubling per registration,
/// half-life 10 blocks.
fn with_fee() -> ExtBuilder {
	ExtBuilder::default().with_params(|p| {
		p.registration_fee_floor = FLOOR;
		p.registration_fee_ceiling = CEILING;
		p.registration_fee_growth_percent = 200;
		p.registration_fee_half_life = HALF_LIFE;
	})
}

fn issuance() -> Balance {
	<Balances as Inspect<AccountId>>::total_issuance()
}

#[test]
fn registering_burns_the_fee() {
	with_fee().build_and_execute(|| {
		let before = issuance();
		assert_eq!(Incentive::registration_fee(), FLOOR);
		register(1, MIN_STAKE);
		assert_eq!(free(1), ENDOWMENT - MIN_STAKE - FLOOR);
		assert_eq!(held(1), MIN_STAKE);
		assert_eq!(issuance(), before - FLOOR);
		assert_eq!(TotalBurned::<Test>::get(), FLOOR);
		assert!(incentive_events().contains(&Event::RegistrationFeeBurned {
			account: 1,
			fee: FLOOR,
			next_price: 2 * FLOOR,
		}));
		// Not refunded on leaving: only the stake comes back.
		frame_support::assert_ok!(Incentive::unregister(RuntimeOrigin::signed(1)));
		assert_eq!(unbonding(1), MIN_STAKE);
	});
}

#[test]
fn ten_registrations_in_a_row_cost_more_than_ten_floors() {
	with_fee().with_params(|p| p.max_neurons = 16).build_and_execute(|| {
		let before = issuance();
		for who in 1..=10 {
			register(who, MIN_STAKE);
		}
		// 1000 + 2000 + ... doubling, capped at 100 000 from the eighth on.
		let expected: Balance = (0..10).map(|k| (FLOOR << k).min(CEILING)).sum();
		assert_eq!(TotalBurned::<Test>::get(), expected);
		assert!(expected > 10 * FLOOR);
		assert_eq!(before - issuance(), expected);
		assert_eq!(Incentive::registration_fee(), CEILING);
	});
}

#[test]
fn the_price_decays_back_to_the_floor() {
	with_fee().build_and_execute(|| {
		register(1, MIN_STAKE);
		// The price is 2000: its excess over the floor (1000) halves every 10 blocks, linearly
		// in between.
		assert_eq!(Incentive::registration_fee(), 2 * FLOOR);
		let at = |block: BlockNumber| {
			System::set_block_number(block);
			Incentive::registration_fee()
		};
		assert_eq!(at(1 + 5), FLOOR + 750);
		assert_eq!(at(1 + HALF_LIFE), FLOOR + 500);
		assert_eq!(at(1 + 2 * HALF_LIFE), FLOOR + 250);
		assert_eq!(at(1 + 3 * HALF_LIFE), FLOOR + 125);
		assert_eq!(at(1 + 20 * HALF_LIFE), FLOOR);
		assert_eq!(at(1 + 1_000 * HALF_LIFE), FLOOR);
		// A registration now pays the floor and doubles it again.
		register(2, MIN_STAKE);
		assert_eq!(
			LastRegistrationPrice::<Test>::get(),
			RegistrationPrice { price: 2 * FLOOR, at: 1 + 1_000 * HALF_LIFE }
		);
	});
}

#[test]
fn a_fee_above_the_callers_limit_changes_nothing() {
	with_fee().build_and_execute(|| {
		register(1, MIN_STAKE);
		assert_noop!(
			Incentive::register(RuntimeOrigin::signed(2), MIN_STAKE, None, 2 * FLOOR - 1),
			Error::<Test>::FeeAboveLimit
		);
		frame_support::assert_ok!(Incentive::register(
			RuntimeOrigin::signed(2),
			MIN_STAKE,
			None,
			2 * FLOOR
		));
	});
}

#[test]
fn the_fee_and_the_stake_must_both_be_affordable() {
	with_fee()
		.balances(vec![(1, MIN_STAKE + FLOOR), (2, MIN_STAKE + FLOOR + 1)])
		.build_and_execute(|| {
			// The existential deposit (1) must stay free.
			assert_noop!(
				Incentive::register(RuntimeOrigin::signed(1), MIN_STAKE, None, Balance::MAX),
				Error::<Test>::InsufficientBalance
			);
			register(2, MIN_STAKE);
			assert_eq!(free(2), 1);
		});
}

#[test]
fn evicting_a_neuron_costs_the_fee() {
	with_fee().with_params(|p| p.max_neurons = 1).build_and_execute(|| {
		register(1, MIN_STAKE);
		run_to_block(IMMUNITY + 1);
		let fee = Incentive::registration_fee();
		assert!(fee > FLOOR);
		let burned = TotalBurned::<Test>::get();
		register(2, MIN_STAKE);
		assert_eq!(free(2), ENDOWMENT - MIN_STAKE - fee);
		assert_eq!(TotalBurned::<Test>::get(), burned + fee);
		assert!(incentive_events()
			.iter()
			.any(|event| matches!(event, Event::NeuronReplaced { old: 1, new: 2, .. })));
	});
}

#[test]
fn genesis_neurons_pay_no_fee() {
	with_fee().neurons(vec![(1, MIN_STAKE, vec![])]).build_and_execute(|| {
		assert_eq!(free(1), ENDOWMENT - MIN_STAKE);
		assert_eq!(TotalBurned::<Test>::get(), 0);
		assert_eq!(Incentive::registration_fee(), FLOOR);
	});
}
