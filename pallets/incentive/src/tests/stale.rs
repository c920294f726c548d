//! Weights count only for the neuron they were posted to: an edge posted before the occupant of
//! its target uid registered is stale, kept in storage and ignored by the ranking.

use super::*;
use crate::{Event, Weights};
use sp_arithmetic::Perquintill;

/// Ranked stakes of every uid up to `slots`, as the next payout will see them.
fn ranked_stakes(slots: u16) -> Vec<Balance> {
	(0..slots).map(|uid| Incentive::payout_of(uid).ranked_stake).collect()
}

/// A full network of three genesis neurons: uid 0 (account 1, 1000) keeps 99/100 of what
/// reaches it and passes 1/100 to uid 2 (account 3, 100); uid 1 (account 2, 200) keeps all.
fn three_genesis_neurons() -> ExtBuilder {
	ExtBuilder::default().with_params(|p| p.max_neurons = 3).neurons(vec![
		(1, 1000, vec![(0, 99), (2, 1)]),
		(2, 200, vec![]),
		(3, 100, vec![]),
	])
}

#[test]
fn edges_to_a_replaced_neuron_stop_counting_and_new_ones_count() {
	three_genesis_neurons().build_and_execute(|| {
		// Genesis edges count: uid 2 ranks above its own stake's share.
		let stakes = ranked_stakes(3);
		run_to_block(TEMPO);
		let total: Balance = stakes.iter().sum();
		assert!(neuron(2).rank > Perquintill::from_rational(stakes[2], total));

		// Past its immunity, uid 2 has the lowest rank and a newcomer replaces it.
		run_to_block(IMMUNITY + 1);
		assert_eq!(register(4, MIN_STAKE), 2);
		assert!(incentive_events()
			.iter()
			.any(|event| matches!(event, Event::NeuronReplaced { uid: 2, old: 3, new: 4, .. })));
		// The old edge is kept, but it was posted for account 3.
		assert_eq!(Weights::<Test>::get(0).unwrap().into_inner(), vec![(0, 99), (2, 1)]);

		// The next payout: nothing flows to the newcomer (whose own stake ranks from the payout
		// after), and uid 0 keeps everything that reaches it.
		let stakes = ranked_stakes(3);
		assert_eq!(stakes[2], 0);
		run_to_block(3 * TEMPO);
		assert_eq!(neuron(2).rank, Perquintill::zero());
		assert_eq!(neuron(2).last_emission, 0);
		let total: Balance = stakes.iter().sum();
		assert_eq!(neuron(0).rank, Perquintill::from_rational(stakes[0], total));

		// Posted again after the newcomer registered, the same edge counts for it.
		set_weights(1, vec![(0, 99), (2, 1)]);
		let stakes = ranked_stakes(3);
		run_to_block(4 * TEMPO);
		let total: Balance = stakes.iter().sum();
		assert!(neuron(2).rank > Perquintill::from_rational(stakes[2], total));
		assert!(neuron(0).rank < Perquintill::from_rational(stakes[0], total));
	});
}

#[test]
fn an_edge_posted_in_its_targets_registration_block_does_not_count() {
	// Within a block the pallet cannot tell whether the edge was posted before or after the
	// registration that took the uid, so it counts only from the next block on.
	ExtBuilder::default().with_params(|p| p.tempo = 1).build_and_execute(|| {
		register(1, 1000);
		run_to_block(2);
		// Same block: account 2 registers at uid 1 and account 1 posts an edge to it.
		register(2, 1000);
		set_weights(1, vec![(0, 1), (1, 1)]);
		run_to_block(3);
		// uid 1's own stake does not rank yet (registered after the last payout), and the
		// edge is stale: nothing reaches uid 1.
		assert_eq!(neuron(1).rank, Perquintill::zero());
		assert_eq!(neuron(0).rank, Perquintill::one());
	});
}

#[test]
fn the_self_edge_counts_from_the_registration_block() {
	ExtBuilder::default().with_params(|p| p.tempo = 1).build_and_execute(|| {
		register(1, 1000);
		run_to_block(2);
		register(2, 1000);
		// Posted in the block it registered: its own edge is its own.
		set_weights(2, vec![(0, 1), (1, 1)]);
		run_to_block(3);
		run_to_block(4);
		// From block 3 on uid 1 ranks with its stake and passes half of it to uid 0.
		let info = neuron(1);
		assert!(info.rank > Perquintill::zero());
		assert!(neuron(0).rank > Perquintill::from_percent(50));
	});
}
