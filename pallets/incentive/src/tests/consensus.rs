//! The consensus mechanism through the pallet: the worked example of `docs/consensus.md`, bonds
//! across payouts and uid changes, switching mechanisms, and its parameters.

use super::*;
use crate::{
	Bonds, ConsensusShares, Error, Mechanism, MechanismConfig, PendingEmission, TotalPaid,
};
use frame_support::assert_noop;
use sp_arithmetic::Perquintill;

const UNIT: Balance = 1_000_000_000_000;

/// The worked example: honest a, b, c and a cabal d, e (accounts 1..=5, uids 0..=4), 20 units
/// each, registered at genesis so that their stake ranks at the first payout (block 2).
fn example_neurons() -> Vec<crate::GenesisNeuron<AccountId, Balance>> {
	let weights: Vec<Vec<(u16, u16)>> = vec![
		vec![(1, 40), (2, 40), (3, 10), (4, 10)],
		vec![(0, 50), (2, 30), (3, 10), (4, 10)],
		vec![(0, 40), (1, 40), (3, 20)],
		vec![(3, 50), (4, 50)],
		vec![(3, 65535)],
	];
	weights.into_iter().enumerate().map(|(uid, w)| (uid as u64 + 1, 20 * UNIT, w)).collect()
}

fn consensus_chain() -> ExtBuilder {
	ExtBuilder::default()
		.balances((1..=8).map(|who| (who, 100 * UNIT)).collect())
		.with_params(|p| {
			p.tempo = 1;
			p.emission_per_block = 1000 * UNIT;
			p.weights_rate_limit = 0;
			p.immunity_period = 0;
			p.min_stake = 1;
			p.unbonding_period = 1;
		})
		.with_mechanism(|m| m.mechanism = Mechanism::Consensus)
		.neurons(example_neurons())
}

fn five_decimals(share: Perquintill) -> u64 {
	(share.deconstruct() + 5_000_000_000_000) / 10_000_000_000_000
}

#[test]
fn the_worked_example_comes_out_of_the_pallet() {
	consensus_chain().build_and_execute(|| {
		let pot_before = PendingEmission::<Test>::get() + 1000 * UNIT;
		run_to_block(2);
		let shares: Vec<u64> = (0..5).map(|uid| five_decimals(neuron(uid).rank)).collect();
		assert_eq!(shares, vec![26806, 26806, 23355, 14355, 8677]);
		let incentive: Vec<u64> = (0..5).map(|uid| five_decimals(neuron(uid).incentive)).collect();
		assert_eq!(incentive, vec![25806, 25806, 19355, 19355, 9677]);
		let dividends: Vec<u64> = (0..5).map(|uid| five_decimals(neuron(uid).dividends)).collect();
		assert_eq!(dividends, vec![29032, 29032, 32258, 3226, 6452]);
		// d's bond in e: a tenth of a third, computed in block 2.
		let (at, bonds) = Bonds::<Test>::get(3).expect("d holds bonds");
		assert_eq!(at, 2);
		assert_eq!(bonds.len(), 1);
		assert_eq!(bonds[0].0, 4);
		assert_eq!((bonds[0].1 as f64 / 4294967296.0 * 1e5).round() as u64, 3333);
		assert_eq!(ConsensusShares::<Test>::get().0, 2);
		// Issuance is exact: what was paid plus what is left is the pot.
		assert_eq!(TotalPaid::<Test>::get() + PendingEmission::<Test>::get(), pot_before);
		assert!(PendingEmission::<Test>::get() < 10, "only rounding stays in the pot");
		// The emission went into stake, by share: a got 268.06 of the 1000 units.
		assert_eq!((neuron(0).unsettled_stake + 5 * UNIT / 1000) / (UNIT / 100), 26806);
	});
}

#[test]
fn bonds_carry_over_and_leave_with_the_uid() {
	// Paid into free balance, so that the stakes, and with them the support shares, stay equal.
	let chain =
		consensus_chain().with_params(|p| p.emission_destination = EmissionDestination::Free);
	chain.build_and_execute(|| {
		run_to_block(3);
		let bond = |evaluator: u16, target: u16| {
			Bonds::<Test>::get(evaluator)
				.and_then(|(_, bonds)| bonds.iter().find(|b| b.0 == target).map(|b| b.1))
		};
		// Two payouts: 0.9 * 1/30 + 1/30 of e's support.
		assert_eq!((bond(3, 4).unwrap() as f64 / 4294967296.0 * 1e5).round() as u64, 6333);
		assert!(bond(0, 4).is_some());

		// e leaves and account 6 takes uid 4: a's bond in the old e is dropped, as are e's own.
		assert_ok!(Incentive::unregister(RuntimeOrigin::signed(5)));
		assert!(Bonds::<Test>::get(4).is_none(), "the leaver's bonds go with it");
		assert_eq!(register(6, 20 * UNIT), 4);
		// Posted in the registration block: stale for the new neuron, like the older edges.
		set_weights(1, vec![(1, 40), (2, 40), (3, 10), (4, 10)]);
		run_to_block(4);
		assert_eq!(bond(0, 4), None, "no bond carried over to the uid's new neuron");
		assert_eq!(neuron(4).incentive, Perquintill::zero());

		// a, b and c weight the new neuron after it registered: a's bond in it starts from zero,
		// at alpha times a's third of its support (d's only edge there is stale: not a voter).
		set_weights(1, vec![(1, 40), (2, 40), (3, 10), (4, 10)]);
		set_weights(2, vec![(0, 50), (2, 30), (3, 10), (4, 10)]);
		set_weights(3, vec![(0, 40), (1, 40), (3, 10), (4, 10)]);
		run_to_block(5);
		assert_eq!((bond(0, 4).unwrap() as f64 / 4294967296.0 * 1e5).round() as u64, 3333);
		assert!(neuron(4).incentive > Perquintill::zero());
	});
}

#[test]
fn root_switches_the_mechanism_between_payouts() {
	// Into free balance: attribution's payout to d would otherwise make it the stake majority.
	let chain = consensus_chain()
		.with_params(|p| p.emission_destination = EmissionDestination::Free)
		.with_mechanism(|m| m.mechanism = Mechanism::Attribution);
	chain.build_and_execute(|| {
		run_to_block(2);
		// Attribution: d, the only one keeping self weight, takes it all.
		assert!(neuron(3).rank > Perquintill::from_percent(99));
		assert!(Bonds::<Test>::iter().next().is_none());
		assert_ok!(Incentive::set_params(
			RuntimeOrigin::root(),
			crate::IncentiveParamsUpdate {
				mechanism: Some(Mechanism::Consensus),
				..Default::default()
			}
		));
		assert_eq!(MechanismConfig::<Test>::get().mechanism, Mechanism::Consensus);
		run_to_block(3);
		assert_eq!(five_decimals(neuron(3).rank), 14355, "the worked example's share");
		assert_eq!(five_decimals(neuron(0).rank), 26806);
	});
}

/// A lone judge among free riders holds a third of the stake, so it is paid a third of the
/// dividend half (docs/consensus.md, step 7): a sixth of the pot, the rest going as incentive to
/// the neuron it judged, and nothing to the one nobody judged.
#[test]
fn a_lone_judge_is_paid_dividends_as_its_share_of_the_stake() {
	let neurons = vec![
		(1, 20 * UNIT, vec![(0, 1)]),
		(2, 20 * UNIT, vec![(1, 1)]),
		(3, 20 * UNIT, vec![(0, 1), (2, 1)]),
	];
	consensus_chain().neurons(neurons).build_and_execute(|| {
		run_to_block(2);
		let shares: Vec<u64> = (0..3).map(|uid| five_decimals(neuron(uid).rank)).collect();
		assert_eq!(shares, vec![83333, 0, 16667]);
		assert_eq!(five_decimals(neuron(2).dividends), 100000);
		assert_eq!(five_decimals(neuron(0).incentive), 100000);
		// Into stake, of the 1000 units: 166.67 to the judge, 833.33 to the judged.
		assert_eq!((neuron(2).unsettled_stake + 5 * UNIT / 1000) / (UNIT / 100), 16667);
		assert_eq!((neuron(0).unsettled_stake + 5 * UNIT / 1000) / (UNIT / 100), 83333);
		assert_eq!(neuron(1).unsettled_stake, 0);
	});
}

#[test]
fn nobody_supported_keeps_the_pot() {
	ExtBuilder::default()
		.with_params(|p| p.tempo = 1)
		.with_mechanism(|m| m.mechanism = Mechanism::Consensus)
		.neurons(vec![(1, 1000, vec![(0, 1)]), (2, 1000, vec![])])
		.build_and_execute(|| {
			run_to_block(3);
			assert_eq!(TotalPaid::<Test>::get(), 0);
			// Blocks 2 and 3 accrued; neither paid.
			assert_eq!(PendingEmission::<Test>::get(), 2 * EMISSION);
		});
}

#[test]
fn mechanism_parameters_are_checked() {
	ExtBuilder::default().build_and_execute(|| {
		let update = |f: fn(&mut crate::IncentiveParamsUpdate<Balance, BlockNumber>)| {
			let mut update = crate::IncentiveParamsUpdate::default();
			f(&mut update);
			update
		};
		let cases: [(crate::IncentiveParamsUpdate<Balance, BlockNumber>, Error<Test>); 6] = [
			(update(|u| u.kappa = Some(Perquintill::zero())), Error::<Test>::InvalidKappa),
			(
				update(|u| u.kappa = Some(Perquintill::from_percent(49))),
				Error::<Test>::InvalidKappa,
			),
			(update(|u| u.bond_alpha = Some(Perquintill::zero())), Error::<Test>::InvalidBondAlpha),
			(update(|u| u.reveal_delay = Some(0)), Error::<Test>::InvalidRevealDelay),
			(update(|u| u.reveal_window = Some(0)), Error::<Test>::InvalidRevealWindow),
			// The rate limit is 5 blocks: a reveal window ending earlier could never be used.
			(
				update(|u| {
					u.reveal_delay = Some(2);
					u.reveal_window = Some(2);
				}),
				Error::<Test>::InvalidRevealWindow,
			),
		];
		for (update, error) in cases {
			assert_noop!(Incentive::set_params(RuntimeOrigin::root(), update), error);
		}
	});
}
