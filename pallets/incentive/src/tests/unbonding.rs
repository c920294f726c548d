//! Stake at risk: the ranked stake is the least stake held over the period, and removed stake
//! unbonds before it can be spent.

use super::*;
use crate::{Error, Event, Unbonding, UnbondingChunk};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::Mutate, Get},
};

/// Two genesis neurons (uids 0 and 1, accounts 1 and 2) with these stakes and no weights: each
/// keeps what reaches it, so the split follows ranked stake alone.
fn two_neurons(a: Balance, b: Balance) -> ExtBuilder {
	ExtBuilder::default().neurons(vec![(1, a, vec![]), (2, b, vec![])])
}

#[test]
fn top_up_before_each_payout_earns_no_more_than_its_stake_time_share() {
	// Uid 0 keeps 1 unit of stake and adds 99 in the block before each payout, removing them in
	// the payout block; uid 1 keeps 100 units staked throughout. A payout is a tenth of uid 1's
	// stake, as on the dev chain that showed the problem (1 TAO a block, tempo 10, 100 TAO).
	let unit = 10 * MIN_STAKE;
	two_neurons(unit, 100 * unit).build_and_execute(|| {
		let top_up = 99 * unit;
		let (mut held_0, mut held_1) = (0u128, 0u128);
		for block in 2..=(12 * TEMPO + 1) {
			run_to_block(block);
			if block % TEMPO == TEMPO - 1 {
				assert_ok!(Incentive::add_stake(RuntimeOrigin::signed(1), top_up));
			}
			if block % TEMPO == 0 {
				assert_ok!(Incentive::remove_stake(RuntimeOrigin::signed(1), top_up));
				let _ = Incentive::withdraw_unbonded(RuntimeOrigin::signed(1));
			}
			// The stake each held through this block, after its calls.
			held_0 += neuron(0).stake;
			held_1 += neuron(1).stake;
		}
		let (earned_0, earned_1) = (neuron(0).total_emission, neuron(1).total_emission);
		assert!(earned_0 > 0);
		let stake_time_share = held_0 as f64 / (held_0 + held_1) as f64;
		let earned_share = earned_0 as f64 / (earned_0 + earned_1) as f64;
		// Before stake had to be at risk, this pattern earned 6.5 times its stake-time share.
		assert!(
			earned_share <= 1.1 * stake_time_share,
			"earned {earned_share:.4} of the emission with {stake_time_share:.4} of the stake-time"
		);
	});
}

#[test]
fn stake_added_before_a_payout_counts_from_the_next_one() {
	let stake = 100 * MIN_STAKE;
	two_neurons(stake, stake).build_and_execute(|| {
		run_to_block(TEMPO - 1);
		assert_ok!(Incentive::add_stake(RuntimeOrigin::signed(1), 9 * stake));
		assert_eq!(neuron(0).ranked_stake, stake);
		run_to_block(TEMPO);
		// Equal ranked stakes, equal shares, although uid 0 held ten times as much.
		assert_eq!(neuron(0).last_emission, neuron(1).last_emission);
		assert!(neuron(0).last_emission > 0);
		// Emission paid into stake counts at once, with the stake held now.
		assert_eq!(neuron(0).ranked_stake, neuron(0).stake);
		// Stake added in the payout block itself, after the payout, does not count in it.
		assert_ok!(Incentive::add_stake(RuntimeOrigin::signed(2), 9 * stake));
		assert_eq!(neuron(1).ranked_stake, stake + neuron(1).total_emission);
		run_to_block(2 * TEMPO);
		assert!(neuron(0).last_emission > 5 * neuron(1).last_emission);
		run_to_block(3 * TEMPO);
		let (a, b) = (neuron(0).last_emission, neuron(1).last_emission);
		assert!(a.abs_diff(b) * 10 < a, "both ranked about 10 x the first stake: {a} vs {b}");
	});
}

#[test]
fn removed_stake_leaves_the_ranking_at_once() {
	two_neurons(10 * MIN_STAKE, 10 * MIN_STAKE).build_and_execute(|| {
		run_to_block(5);
		assert_ok!(Incentive::remove_stake(RuntimeOrigin::signed(1), 9 * MIN_STAKE));
		assert_eq!(neuron(0).ranked_stake, MIN_STAKE);
		// Adding it back does not raise the ranked stake for this period.
		assert_ok!(Incentive::add_stake(RuntimeOrigin::signed(1), 9 * MIN_STAKE));
		assert_eq!(neuron(0).ranked_stake, MIN_STAKE);
		run_to_block(TEMPO);
		let (a, b) = (neuron(0).last_emission, neuron(1).last_emission);
		assert_eq!(a + b, crate::TotalPaid::<Test>::get());
		assert!((a * 10).abs_diff(b) <= 10, "ranked 1:10, paid {a}:{b}");
	});
}

#[test]
fn a_new_neuron_ranks_from_the_payout_after_next() {
	two_neurons(MIN_STAKE, MIN_STAKE).build_and_execute(|| {
		run_to_block(2);
		let uid = register(3, MIN_STAKE);
		assert_eq!(neuron(uid).ranked_stake, 0);
		run_to_block(TEMPO);
		assert_eq!(neuron(uid).last_emission, 0);
		assert_eq!(neuron(uid).ranked_stake, MIN_STAKE);
		run_to_block(2 * TEMPO);
		assert!(neuron(uid).last_emission > 0);
	});
}

#[test]
fn a_payout_with_no_ranked_stake_pays_nothing_and_starts_the_next_period() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, MIN_STAKE);
		run_to_block(TEMPO);
		assert_eq!(crate::TotalPaid::<Test>::get(), 0);
		assert_eq!(crate::PendingEmission::<Test>::get(), (TEMPO - 1) as Balance * EMISSION);
		assert_eq!(neuron(0).ranked_stake, MIN_STAKE);
		run_to_block(2 * TEMPO);
		// The only ranked neuron takes the whole pot, the first period's accrual included.
		assert_eq!(neuron(0).total_emission, (2 * TEMPO - 1) as Balance * EMISSION);
	});
}

#[test]
fn removed_stake_is_released_once_at_its_block() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, 10 * MIN_STAKE);
		run_to_block(3);
		assert_ok!(Incentive::remove_stake(RuntimeOrigin::signed(1), 4 * MIN_STAKE));
		let release_at = 3 + UNBONDING;
		assert_eq!(
			last_incentive_event(),
			Event::StakeRemoved { uid: 0, amount: 4 * MIN_STAKE, stake: 6 * MIN_STAKE, release_at }
		);
		assert_eq!(held(1), 6 * MIN_STAKE);
		assert_eq!(unbonding(1), 4 * MIN_STAKE);
		let free_before = free(1);
		// Neither spendable nor withdrawable before its block.
		assert!(Balances::transfer_allow_death(
			RuntimeOrigin::signed(1),
			2,
			free_before + MIN_STAKE
		)
		.is_err());
		run_to_block(release_at - 1);
		assert_noop!(
			Incentive::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::NothingToWithdraw
		);
		run_to_block(release_at);
		assert_ok!(Incentive::withdraw_unbonded(RuntimeOrigin::signed(1)));
		assert_eq!(last_incentive_event(), Event::Withdrawn { account: 1, amount: 4 * MIN_STAKE });
		assert_eq!(free(1), free_before + 4 * MIN_STAKE);
		assert_eq!(unbonding(1), 0);
		assert!(!Unbonding::<Test>::contains_key(1));
		assert_noop!(
			Incentive::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::NothingToWithdraw
		);
	});
}

#[test]
fn chunks_release_in_their_own_blocks() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, 10 * MIN_STAKE);
		assert_ok!(Incentive::remove_stake(RuntimeOrigin::signed(1), MIN_STAKE));
		assert_ok!(Incentive::remove_stake(RuntimeOrigin::signed(1), MIN_STAKE));
		run_to_block(4);
		assert_ok!(Incentive::remove_stake(RuntimeOrigin::signed(1), 2 * MIN_STAKE));
		assert_eq!(
			Unbonding::<Test>::get(1).into_inner(),
			vec![
				UnbondingChunk { amount: 2 * MIN_STAKE, release_at: 1 + UNBONDING },
				UnbondingChunk { amount: 2 * MIN_STAKE, release_at: 4 + UNBONDING },
			]
		);
		run_to_block(1 + UNBONDING);
		assert_ok!(Incentive::withdraw_unbonded(RuntimeOrigin::signed(1)));
		assert_eq!(unbonding(1), 2 * MIN_STAKE);
		run_to_block(4 + UNBONDING);
		assert_ok!(Incentive::withdraw_unbonded(RuntimeOrigin::signed(1)));
		assert_eq!(unbonding(1), 0);
	});
}

#[test]
fn a_full_chunk_list_merges_into_the_latest_chunk() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, 100 * MIN_STAKE);
		let most = <crate::MaxUnbondingChunks as Get<u32>>::get() as u64;
		for block in 1..=most + 1 {
			run_to_block(block);
			assert_ok!(Incentive::remove_stake(RuntimeOrigin::signed(1), MIN_STAKE));
		}
		let chunks = Unbonding::<Test>::get(1);
		assert_eq!(chunks.len() as u64, most);
		assert_eq!(
			chunks.last().copied(),
			Some(UnbondingChunk { amount: 2 * MIN_STAKE, release_at: most + 1 + UNBONDING })
		);
		assert_eq!(unbonding(1), (most as Balance + 1) * MIN_STAKE);
	});
}

#[test]
fn unregister_unbonds_the_whole_stake_paid_emission_included() {
	ExtBuilder::default().neurons(vec![(1, 5 * MIN_STAKE, vec![])]).build_and_execute(|| {
		run_to_block(TEMPO);
		let stake = neuron(0).stake;
		assert!(neuron(0).unsettled_stake > 0);
		let free_before = free(1);
		assert_ok!(Incentive::unregister(RuntimeOrigin::signed(1)));
		let release_at = TEMPO + UNBONDING;
		assert_eq!(
			last_incentive_event(),
			Event::NeuronUnregistered { uid: 0, account: 1, unbonding: stake, release_at }
		);
		assert_eq!((held(1), unbonding(1), free(1)), (0, stake, free_before));
		run_to_block(release_at);
		// No longer registered, and still able to withdraw.
		assert_ok!(Incentive::withdraw_unbonded(RuntimeOrigin::signed(1)));
		assert_eq!(free(1), free_before + stake);
	});
}

#[test]
fn a_replaced_neuron_unbonds_and_the_event_says_how_much() {
	ExtBuilder::default().with_params(|p| p.max_neurons = 2).build_and_execute(|| {
		register(1, 3 * MIN_STAKE);
		register(2, 5 * MIN_STAKE);
		run_to_block(IMMUNITY + 1);
		let victim_stake = neuron(0).stake;
		register(3, MIN_STAKE);
		let now = IMMUNITY + 1;
		assert!(incentive_events().contains(&Event::NeuronReplaced {
			uid: 0,
			old: 1,
			new: 3,
			unbonding: victim_stake,
			release_at: now + UNBONDING,
		}));
		assert_eq!(unbonding(1), victim_stake);
		assert_eq!(held(1), 0);
	});
}

#[test]
fn withdraw_unbonded_rejects_an_account_with_nothing_unbonding() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Incentive::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::NothingToWithdraw
		);
		// A deposit on the account changes nothing.
		assert_ok!(<Balances as Mutate<AccountId>>::mint_into(&1, 10));
		assert_noop!(
			Incentive::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::NothingToWithdraw
		);
	});
}
