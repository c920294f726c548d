//! Commit-reveal of weights: the window, the hash, one commit at a time, and the requirement.

use super::*;
use crate::{Error, Event, MechanismConfig, WeightCommits, Weights};
use frame_support::assert_noop;

const DELAY: BlockNumber = 3;
const WINDOW: BlockNumber = 4;
const SALT: [u8; 32] = [9; 32];

fn chain() -> ExtBuilder {
	ExtBuilder::default().with_mechanism(|m| {
		m.reveal_delay = DELAY;
		m.reveal_window = WINDOW;
	})
}

/// Accounts 1 and 2 registered (uids 0, 1) in block 1; account 1 commits `weights` in block 2
/// (entries to a uid whose neuron registered in the commit's block would be dropped at the
/// reveal, like edges posted in their target's registration block).
fn commit(weights: &[(u16, u16)]) -> [u8; 32] {
	register(1, MIN_STAKE);
	register(2, MIN_STAKE);
	System::set_block_number(2);
	let hash = Incentive::weights_hash(&1, weights, &SALT);
	assert_ok!(Incentive::commit_weights(RuntimeOrigin::signed(1), hash));
	hash
}

#[test]
fn a_reveal_in_the_window_stores_the_weights() {
	chain().build_and_execute(|| {
		let weights = vec![(1, 3), (0, 1)];
		let hash = commit(&weights);
		assert_eq!(
			last_incentive_event(),
			Event::WeightsCommitted { uid: 0, hash, reveal_from: 5, reveal_until: 9 }
		);
		System::set_block_number(2 + DELAY);
		assert_ok!(Incentive::reveal_weights(RuntimeOrigin::signed(1), weights, SALT));
		assert_eq!(Weights::<Test>::get(0).unwrap().to_vec(), vec![(0, 1), (1, 3)]);
		assert!(WeightCommits::<Test>::get(0).is_none(), "the commit is spent");
		assert_eq!(last_incentive_event(), Event::WeightsSet { uid: 0, edges: 2 });
	});
}

#[test]
fn reveals_outside_the_window_or_not_matching_are_refused() {
	chain().build_and_execute(|| {
		let weights = vec![(1, 3)];
		commit(&weights);
		let reveal = |who, weights: Vec<(u16, u16)>, salt| {
			Incentive::reveal_weights(RuntimeOrigin::signed(who), weights, salt)
		};
		System::set_block_number(1 + DELAY);
		assert_noop!(reveal(1, weights.clone(), SALT), Error::<Test>::RevealTooEarly);
		System::set_block_number(2 + DELAY);
		assert_noop!(reveal(1, vec![(1, 4)], SALT), Error::<Test>::RevealMismatch);
		assert_noop!(reveal(1, weights.clone(), [8; 32]), Error::<Test>::RevealMismatch);
		// Another neuron cannot reveal it: it has no commit, and the hash names account 1.
		assert_noop!(reveal(2, weights.clone(), SALT), Error::<Test>::NoCommit);
		assert_noop!(reveal(3, weights.clone(), SALT), Error::<Test>::NotRegistered);
		System::set_block_number(2 + DELAY + WINDOW + 1);
		assert_noop!(reveal(1, weights, SALT), Error::<Test>::RevealTooLate);
	});
}

#[test]
fn one_commit_at_a_time_until_its_window_passes() {
	chain().build_and_execute(|| {
		commit(&[(1, 3)]);
		let again = || Incentive::commit_weights(RuntimeOrigin::signed(1), [5; 32]);
		System::set_block_number(2 + DELAY + WINDOW);
		assert_noop!(again(), Error::<Test>::CommitPending);
		System::set_block_number(3 + DELAY + WINDOW);
		assert_ok!(again());
		assert_eq!(WeightCommits::<Test>::get(0).unwrap().hash, [5; 32]);
		assert_eq!(WeightCommits::<Test>::get(0).unwrap().at, 3 + DELAY + WINDOW);
	});
}

#[test]
fn when_required_plain_weights_are_refused_and_reveals_work() {
	chain().with_mechanism(|m| m.commit_reveal_required = true).build_and_execute(|| {
		let weights = vec![(1, 3)];
		commit(&weights);
		assert!(MechanismConfig::<Test>::get().commit_reveal_required);
		assert_noop!(
			Incentive::set_weights(RuntimeOrigin::signed(1), weights.clone()),
			Error::<Test>::CommitRevealRequired
		);
		System::set_block_number(2 + DELAY);
		assert_ok!(Incentive::reveal_weights(RuntimeOrigin::signed(1), weights, SALT));
	});
}

#[test]
fn a_revealed_weight_list_goes_through_set_weights_checks() {
	chain().build_and_execute(|| {
		let weights = vec![(1, 3), (1, 4)];
		commit(&weights);
		System::set_block_number(2 + DELAY);
		assert_noop!(
			Incentive::reveal_weights(RuntimeOrigin::signed(1), weights, SALT),
			Error::<Test>::DuplicateUid
		);
		assert!(WeightCommits::<Test>::get(0).is_some(), "a failed reveal keeps the commit");
	});
}

#[test]
fn leaving_drops_the_commit() {
	chain().build_and_execute(|| {
		commit(&[(1, 3)]);
		assert_ok!(Incentive::unregister(RuntimeOrigin::signed(1)));
		assert!(WeightCommits::<Test>::get(0).is_none());
	});
}

#[test]
fn a_reveal_drops_entries_for_uids_that_changed_hands_since_the_commit() {
	chain()
		.with_params(|p| {
			p.weights_rate_limit = 0;
			p.immunity_period = 0;
		})
		.build_and_execute(|| {
			register(1, MIN_STAKE);
			register(2, MIN_STAKE);
			register(3, MIN_STAKE);
			// Account 1 commits weights for uids 1 and 2; then uid 2 leaves and account 4 takes
			// it before the reveal.
			let weights = vec![(1, 3), (2, 5)];
			let hash = Incentive::weights_hash(&1, &weights, &SALT);
			System::set_block_number(2);
			assert_ok!(Incentive::commit_weights(RuntimeOrigin::signed(1), hash));
			System::set_block_number(3);
			assert_ok!(Incentive::unregister(RuntimeOrigin::signed(3)));
			assert_eq!(register(4, MIN_STAKE), 2);
			System::set_block_number(2 + DELAY);
			assert_ok!(Incentive::reveal_weights(RuntimeOrigin::signed(1), weights, SALT));
			assert_eq!(Weights::<Test>::get(0).unwrap().to_vec(), vec![(1, 3)]);
		});
}

#[test]
fn a_new_operator_key_drops_the_pending_commit() {
	chain().build_and_execute(|| {
		commit(&[(1, 3)]);
		assert_ok!(Incentive::set_operator(RuntimeOrigin::signed(1), 9));
		assert_ok!(Incentive::accept_operator(RuntimeOrigin::signed(9), 0, 1));
		assert!(WeightCommits::<Test>::get(0).is_none());
		// The new key commits at once.
		assert_ok!(Incentive::commit_weights(RuntimeOrigin::signed(9), [4; 32]));
	});
}
