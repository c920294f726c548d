//! The hook: the pot, payouts, destinations and the hook's weight.

use super::*;
use crate::{
	EdgeCount, EmissionDestination, Error, Event, NeuronPayout, Pallet, PendingEmission, TotalPaid,
	WeightInfo,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::Inspect, Hooks},
};
use sp_arithmetic::Perquintill;

/// Registers `who` with `stake` and lets the stake rank at the next payout, as if it had been
/// held since the last one (as genesis neurons' stake is). These tests are about how a payout
/// splits the pot; when registered stake starts to count is tested in `unbonding.rs`.
fn register_ranked(who: AccountId, stake: Balance) -> u16 {
	let uid = register(who, stake);
	crate::Payouts::<Test>::mutate(|payouts| payouts[uid as usize].ranked_stake = stake);
	uid
}

/// The test chain's existential deposit, which genesis gives the pallet's account.
const ED: Balance = 1;

fn issuance() -> Balance {
	<Balances as Inspect<AccountId>>::total_issuance()
}

/// The accounting identities of the spec, for `blocks` hooks run since genesis at block 1.
fn assert_accounting(genesis_issuance: Balance, blocks: u64) {
	assert_eq!(issuance(), genesis_issuance + TotalPaid::<Test>::get());
	assert_eq!(
		TotalPaid::<Test>::get() + PendingEmission::<Test>::get(),
		blocks as Balance * EMISSION
	);
}

#[test]
fn pot_grows_without_neurons() {
	ExtBuilder::default().build_and_execute(|| {
		let genesis = issuance();
		run_to_block(35);
		assert_eq!(PendingEmission::<Test>::get(), 34 * EMISSION);
		assert_eq!(TotalPaid::<Test>::get(), 0);
		assert_eq!(issuance(), genesis);
		assert!(incentive_events().is_empty());
	});
}

#[test]
fn payout_happens_every_tempo_blocks() {
	ExtBuilder::default().build_and_execute(|| {
		let genesis = issuance();
		register_ranked(1, 300);
		register_ranked(2, 100);
		run_to_block(TEMPO - 1);
		assert_eq!(TotalPaid::<Test>::get(), 0);
		System::reset_events();
		run_to_block(TEMPO);
		// Blocks 2..=10 accrued; no weights, so each keeps its own stake share.
		let pot = 9 * EMISSION;
		assert_eq!(TotalPaid::<Test>::get(), pot);
		assert_eq!(PendingEmission::<Test>::get(), 0);
		assert_eq!(
			incentive_events(),
			vec![Event::EmissionPaid { block: TEMPO, total_paid: pot, pot_left: 0, neurons: 2 }]
		);
		assert_accounting(genesis, TEMPO - 1);
	});
}

#[test]
fn neurons_without_weights_keep_their_own_stake_share() {
	ExtBuilder::default().build_and_execute(|| {
		register_ranked(1, 300);
		register_ranked(2, 100);
		run_to_block(TEMPO);
		assert_eq!(neuron(0).rank, Perquintill::from_percent(75));
		assert_eq!(neuron(1).rank, Perquintill::from_percent(25));
		assert_eq!(neuron(0).last_emission, 9 * EMISSION * 3 / 4);
		assert_eq!(neuron(1).last_emission, 9 * EMISSION / 4);
	});
}

#[test]
fn payout_to_stake_is_kept_by_the_pallet_until_the_neuron_changes_its_stake() {
	ExtBuilder::default().build_and_execute(|| {
		register_ranked(1, 300);
		register_ranked(2, 100);
		let free_before = free(1);
		run_to_block(TEMPO);
		let paid = 9 * EMISSION * 3 / 4;
		let paid_2 = 9 * EMISSION / 4;
		// Stake now, in the ranking and in the getter; the balance is in the pallet's account.
		assert_eq!(neuron(0).stake, 300 + paid);
		assert_eq!(neuron(0).unsettled_stake, paid);
		assert_eq!(neuron(0).held_stake, 300);
		assert_eq!(held(1), 300);
		assert_eq!(free(1), free_before);
		assert_eq!(Balances::free_balance(Incentive::account_id()), ED + paid + paid_2);
		assert_eq!(neuron(0).total_emission, paid);

		// Adding stake settles: the paid stake moves onto the account, on hold.
		assert_ok!(Incentive::add_stake(RuntimeOrigin::signed(1), 5));
		assert_eq!(neuron(0).stake, 300 + paid + 5);
		assert_eq!((neuron(0).held_stake, neuron(0).unsettled_stake), (300 + paid + 5, 0));
		assert_eq!(held(1), 300 + paid + 5);
		assert_eq!(free(1), free_before - 5);
		assert_eq!(Balances::free_balance(Incentive::account_id()), ED + paid_2);
		assert_eq!(
			last_incentive_event(),
			Event::StakeAdded { uid: 0, amount: 5, stake: 300 + paid + 5 }
		);
	});
}

#[test]
fn unsettled_stake_can_be_removed_and_unbonds_on_leaving() {
	// Genesis neurons, so that the first payout ranks their stake.
	ExtBuilder::default().neurons(vec![(1, 300, vec![]), (2, 100, vec![])]).build_and_execute(
		|| {
			run_to_block(TEMPO);
			let paid = 9 * EMISSION * 3 / 4;
			let paid_2 = 9 * EMISSION / 4;
			let free_1 = free(1);
			// More than is held, less than the whole stake: allowed, and settled first.
			assert_ok!(Incentive::remove_stake(RuntimeOrigin::signed(1), 300 + paid - MIN_STAKE));
			assert_eq!(neuron(0).stake, MIN_STAKE);
			assert_eq!(held(1), MIN_STAKE);
			assert_eq!(unbonding(1), 300 + paid - MIN_STAKE);
			assert_eq!(free(1), free_1);
			assert_noop!(
				Incentive::remove_stake(RuntimeOrigin::signed(1), 1),
				Error::<Test>::StakeBelowMinimum
			);

			// Leaving unbonds the held and the unsettled stake alike.
			let free_2 = free(2);
			assert_ok!(Incentive::unregister(RuntimeOrigin::signed(2)));
			assert_eq!(free(2), free_2);
			assert_eq!(unbonding(2), 100 + paid_2);
			assert_eq!(held(2), 0);
			assert_eq!(
				last_incentive_event(),
				Event::NeuronUnregistered {
					uid: 1,
					account: 2,
					unbonding: 100 + paid_2,
					release_at: TEMPO + UNBONDING
				}
			);
			assert_eq!(Balances::free_balance(Incentive::account_id()), ED);
			assert_eq!(Incentive::payout_of(1), NeuronPayout::default());
		},
	);
}

#[test]
fn remove_stake_beyond_the_whole_stake_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		register_ranked(1, 300);
		run_to_block(TEMPO);
		let stake = neuron(0).stake;
		assert!(stake > 300);
		assert_noop!(
			Incentive::remove_stake(RuntimeOrigin::signed(1), stake + 1),
			Error::<Test>::InsufficientStake
		);
	});
}

#[test]
fn payout_to_free_grows_the_free_balance() {
	ExtBuilder::default()
		.with_params(|p| p.emission_destination = EmissionDestination::Free)
		.build_and_execute(|| {
			register_ranked(1, 300);
			register_ranked(2, 100);
			let free_before = free(1);
			run_to_block(TEMPO);
			let paid = 9 * EMISSION * 3 / 4;
			assert_eq!(neuron(0).stake, 300);
			assert_eq!(held(1), 300);
			assert_eq!(free(1), free_before + paid);
		});
}

#[test]
fn total_emission_accumulates_over_payouts() {
	ExtBuilder::default()
		.with_params(|p| p.emission_destination = EmissionDestination::Free)
		.build_and_execute(|| {
			register_ranked(1, 100);
			run_to_block(2 * TEMPO);
			assert_eq!(neuron(0).last_emission, TEMPO as Balance * EMISSION);
			assert_eq!(neuron(0).total_emission, (2 * TEMPO - 1) as Balance * EMISSION);
		});
}

#[test]
fn rounding_remainder_stays_in_the_pot() {
	ExtBuilder::default().with_params(|p| p.tempo = 1).build_and_execute(|| {
		let genesis = issuance();
		// Three equal stakes: a pot of 1000 splits as 333 each, 1 left over.
		register_ranked(1, 100);
		register_ranked(2, 100);
		register_ranked(3, 100);
		run_to_block(2);
		assert_eq!(TotalPaid::<Test>::get(), 999);
		assert_eq!(PendingEmission::<Test>::get(), 1);
		assert_accounting(genesis, 1);
		run_to_block(50);
		assert_accounting(genesis, 49);
	});
}

#[test]
fn stake_flows_along_edges() {
	ExtBuilder::default().with_params(|p| p.tempo = 1).build_and_execute(|| {
		register_ranked(1, 100);
		register_ranked(2, 100);
		// Weights count from the block after their target registered (see tests/stale.rs).
		run_to_block(2);
		// uid 0 keeps half of its stake and passes half to uid 1.
		set_weights(1, vec![(0, 1), (1, 1)]);
		run_to_block(3);
		assert_eq!(neuron(0).rank, Perquintill::from_percent(25));
		assert_eq!(neuron(1).rank, Perquintill::from_percent(75));
	});
}

#[test]
fn payout_that_cannot_be_minted_stays_in_the_pot() {
	// Issuance is forged to the brim, so the invariants are not checked here.
	ExtBuilder::default().with_params(|p| p.tempo = 1).build().execute_with(|| {
		register_ranked(1, 100);
		pallet_balances::TotalIssuance::<Test>::put(Balance::MAX - 10);
		run_to_block(2);
		assert_eq!(TotalPaid::<Test>::get(), 0);
		assert_eq!(PendingEmission::<Test>::get(), EMISSION);
		assert_eq!(neuron(0).stake, 100);
		assert_eq!(neuron(0).last_emission, 0);
		assert_eq!(neuron(0).rank, Perquintill::one());
		assert_eq!(held(1), 100);
		assert_eq!(
			last_incentive_event(),
			Event::EmissionPaid { block: 2, total_paid: 0, pot_left: EMISSION, neurons: 0 }
		);
	});
}

#[test]
fn hook_weight_is_idle_off_payout_blocks() {
	ExtBuilder::default().build_and_execute(|| {
		register_ranked(1, 100);
		assert_eq!(
			<Incentive as Hooks<BlockNumber>>::on_initialize(TEMPO + 1),
			<() as WeightInfo>::on_initialize_idle()
		);
	});
}

#[test]
fn hook_weight_is_idle_without_neurons() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(
			<Incentive as Hooks<BlockNumber>>::on_initialize(TEMPO),
			<() as WeightInfo>::on_initialize_idle()
		);
	});
}

/// The payout block's charge with four neurons: uid 0 weighting uids 1 and 2, uid 1 weighting
/// uid 3 if `extra_edge`, and uid 2 gone (uid 0's edge to it stays stored, stale, until uid 0
/// posts again). Returns the charge, the stored edge counter and the edges in storage.
fn payout_charge(extra_edge: bool) -> (frame_support::weights::Weight, u32, u32) {
	let mut out = Default::default();
	ExtBuilder::default().build_and_execute(|| {
		for who in 1..=4u64 {
			register_ranked(who, MIN_STAKE);
		}
		set_weights(1, vec![(1, 1), (2, 1)]);
		set_weights(2, if extra_edge { vec![(3, 1)] } else { vec![] });
		assert_ok!(Incentive::unregister(RuntimeOrigin::signed(3)));
		let stored: usize = crate::Weights::<Test>::iter().map(|(_, edges)| edges.len()).sum();
		let charged = <Incentive as Hooks<BlockNumber>>::on_initialize(TEMPO);
		out = (charged, EdgeCount::<Test>::get(), stored as u32);
	});
	out
}

#[test]
fn hook_weight_on_payout_blocks_follows_the_stored_counts() {
	// The counter the hook charges by is what storage holds, the stale edge included.
	let (with_extra, count, stored) = payout_charge(true);
	assert_eq!((count, stored), (3, 3));
	let (without, count, stored) = payout_charge(false);
	assert_eq!((count, stored), (2, 2));
	// The number of passes each charge is the weight of, at `edges` edges (4 uid slots).
	let at = |edges, passes, to| {
		Pallet::<Test>::payout_weight(crate::Mechanism::Attribution, 4, edges, passes, to)
	};
	let passes_at =
		|charged, edges| (1..=100).find(|&p| at(edges, p, EmissionDestination::Stake) == charged);
	// Charged by the stored edges (3, and 2), not by the live ones (2, and 1: without the edge
	// to the uid that left), for a number of passes the walk ran: far fewer than the cap.
	let passes = passes_at(with_extra, 3).expect("charged for the 3 stored edges");
	assert!(passes < 10, "{passes} passes charged");
	assert_eq!(passes_at(with_extra, 2), None, "charged for the live edges only");
	let fewer = passes_at(without, 2).expect("charged for the 2 stored edges");
	assert_eq!(passes_at(without, 1), None, "charged for the live edge only");
	// At the same number of passes, an edge more costs more; never more than the cap's weight.
	let (two, three) =
		(at(2, fewer, EmissionDestination::Stake), at(3, fewer, EmissionDestination::Stake));
	assert!(two.ref_time() < three.ref_time(), "{two:?} {three:?}");
	assert!(with_extra.all_lte(at(3, 100, EmissionDestination::Stake)));
	// Into free balance, a mint per uid slot on top.
	let free = at(3, passes, EmissionDestination::Free);
	assert_eq!(free, with_extra.saturating_add(<() as WeightInfo>::pay_free(4)));
}

#[test]
fn payout_ranks_follow_the_stake_held_through_the_period() {
	ExtBuilder::default()
		.with_params(|p| {
			p.tempo = 1;
			p.emission_per_block = 0;
		})
		.build_and_execute(|| {
			register_ranked(1, 100);
			register_ranked(2, 100);
			run_to_block(2);
			assert_eq!(neuron(0).rank, Perquintill::from_percent(50));
			assert_ok!(Incentive::add_stake(RuntimeOrigin::signed(1), 200));
			// Added after the payout of block 2: not held through the period that block 3 ends.
			run_to_block(3);
			assert_eq!(neuron(0).rank, Perquintill::from_percent(50));
			run_to_block(4);
			assert_eq!(neuron(0).rank, Perquintill::from_percent(75));
			// With nothing to pay, the payout still runs and says so.
			assert_eq!(
				last_incentive_event(),
				Event::EmissionPaid { block: 4, total_paid: 0, pot_left: 0, neurons: 0 }
			);
		});
}
