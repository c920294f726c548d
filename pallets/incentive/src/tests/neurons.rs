//! Registration, replacement, axons and leaving.

use super::*;
use crate::{
	AxonInfo, EdgeCount, Error, Event, FreeUids, NeuronCount, Neurons, UidEnd, Uids,
	WeightInfo, Weights,
};
use frame_support::{assert_noop, assert_ok, dispatch::PostDispatchInfo};
use sp_arithmetic::Perquintill;
use sp_runtime::DispatchError;

#[test]
fn register_takes_uid_zero_and_holds_stake() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Incentive::register(RuntimeOrigin::signed(1), 500, None, Balance::MAX));
		assert_eq!(Uids::<Test>::get(1), Some(0));
		let info = neuron(0);
		assert_eq!(info.account, 1);
		assert_eq!(info.stake, 500);
		assert_eq!(info.registered_at, 1);
		assert_eq!(info.last_weights_at, None);
		assert_eq!(info.rank, Perquintill::zero());
		assert_eq!(held(1), 500);
		assert_eq!(free(1), ENDOWMENT - 500);
		assert_eq!(NeuronCount::<Test>::get(), 1);
		assert_eq!(UidEnd::<Test>::get(), 1);
		assert_eq!(
			last_incentive_event(),
			Event::NeuronRegistered { uid: 0, account: 1, stake: 500 }
		);
	});
}

#[test]
fn register_stores_the_axon() {
	ExtBuilder::default().build_and_execute(|| {
		let endpoint = axon([10, 0, 0, 7]);
		assert_ok!(Incentive::register(RuntimeOrigin::signed(1), MIN_STAKE, Some(endpoint), Balance::MAX));
		assert_eq!(neuron(0).axon, Some(endpoint));
	});
}

#[test]
fn register_charges_only_the_free_path_weight() {
	ExtBuilder::default().build_and_execute(|| {
		let info = Incentive::register(RuntimeOrigin::signed(1), MIN_STAKE, None, Balance::MAX).unwrap();
		assert_eq!(
			info,
			PostDispatchInfo {
				actual_weight: Some(<() as WeightInfo>::register()),
				pays_fee: Default::default(),
			}
		);
	});
}

#[test]
fn register_assigns_consecutive_uids() {
	ExtBuilder::default().build_and_execute(|| {
		for who in 1..=5u64 {
			assert_eq!(register(who, MIN_STAKE), (who - 1) as u16);
		}
		assert_eq!(NeuronCount::<Test>::get(), 5);
		assert_eq!(UidEnd::<Test>::get(), 5);
	});
}

#[test]
fn register_reuses_the_lowest_freed_uid() {
	ExtBuilder::default().build_and_execute(|| {
		for who in 1..=5u64 {
			register(who, MIN_STAKE);
		}
		assert_ok!(Incentive::unregister(RuntimeOrigin::signed(4)));
		assert_ok!(Incentive::unregister(RuntimeOrigin::signed(2)));
		assert_eq!(FreeUids::<Test>::get().into_inner(), vec![1, 3]);
		assert_eq!(register(6, MIN_STAKE), 1);
		assert_eq!(register(7, MIN_STAKE), 3);
		assert_eq!(register(8, MIN_STAKE), 5);
		assert!(FreeUids::<Test>::get().is_empty());
	});
}

#[test]
fn register_rejects_already_registered() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, MIN_STAKE);
		assert_noop!(
			Incentive::register(RuntimeOrigin::signed(1), MIN_STAKE, None, Balance::MAX),
			Error::<Test>::AlreadyRegistered
		);
	});
}

#[test]
fn register_rejects_stake_below_minimum() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Incentive::register(RuntimeOrigin::signed(1), MIN_STAKE - 1, None, Balance::MAX),
			Error::<Test>::StakeBelowMinimum
		);
		assert_noop!(
			Incentive::register(RuntimeOrigin::signed(1), 0, None, Balance::MAX),
			Error::<Test>::StakeBelowMinimum
		);
	});
}

#[test]
fn register_rejects_insufficient_balance() {
	ExtBuilder::default().build_and_execute(|| {
		// The existential deposit must stay free.
		assert_noop!(
			Incentive::register(RuntimeOrigin::signed(1), ENDOWMENT, None, Balance::MAX),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			Incentive::register(RuntimeOrigin::signed(99), MIN_STAKE, None, Balance::MAX),
			Error::<Test>::InsufficientBalance
		);
		assert_ok!(Incentive::register(RuntimeOrigin::signed(1), ENDOWMENT - 1, None, Balance::MAX));
	});
}

#[test]
fn register_rejects_invalid_axon_port() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Incentive::register(
				RuntimeOrigin::signed(1),
				MIN_STAKE,
				Some(AxonInfo::ipv4([1, 2, 3, 4], 0, 1)),
				Balance::MAX,
			),
			Error::<Test>::InvalidAxonPort
		);
	});
}

#[test]
fn register_rejects_invalid_axon_ip() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Incentive::register(
				RuntimeOrigin::signed(1),
				MIN_STAKE,
				Some(AxonInfo::ipv6([0; 16], 8091, 1)),
				Balance::MAX,
			),
			Error::<Test>::InvalidAxonIp
		);
	});
}

#[test]
fn register_rejects_signed_origin_missing() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Incentive::register(RuntimeOrigin::root(), MIN_STAKE, None, Balance::MAX),
			DispatchError::BadOrigin
		);
	});
}

/// Fills the network (max_neurons 8) with accounts 1..=8 at block 1.
fn fill_network() {
	for who in 1..=8u64 {
		register(who, MIN_STAKE * who as Balance);
	}
}

#[test]
fn register_rejects_network_full_while_all_are_immune() {
	ExtBuilder::default().build_and_execute(|| {
		fill_network();
		System::set_block_number(IMMUNITY);
		assert_noop!(
			Incentive::register(RuntimeOrigin::signed(9), MIN_STAKE, None, Balance::MAX),
			Error::<Test>::NetworkFull
		);
	});
}

#[test]
fn register_replaces_the_lowest_ranked_neuron_once_immunity_is_over() {
	ExtBuilder::default().build_and_execute(|| {
		fill_network();
		// Give every neuron a distinct rank; uid 5 (account 6) gets the lowest.
		pallet_incentive::Payouts::<Test>::mutate(|payouts| {
			for (uid, entry) in payouts.iter_mut().enumerate() {
				entry.rank = Perquintill::from_percent(if uid == 5 { 1 } else { 10 });
			}
		});
		// Edges from and to the victim, plus one that must survive.
		set_weights(6, vec![(0, 1), (1, 1)]);
		set_weights(1, vec![(5, 1), (2, 1)]);
		set_weights(2, vec![(5, 3)]);
		assert_eq!(EdgeCount::<Test>::get(), 5);

		System::set_block_number(1 + IMMUNITY);
		System::reset_events();
		let before_victim = free(6);
		assert_ok!(Incentive::register(RuntimeOrigin::signed(9), 250, None, Balance::MAX));

		assert_eq!(Uids::<Test>::get(9), Some(5));
		assert_eq!(Uids::<Test>::get(6), None);
		assert_eq!(neuron(5).account, 9);
		assert_eq!(neuron(5).stake, 250);
		assert_eq!(neuron(5).registered_at, 1 + IMMUNITY);
		assert_eq!(held(6), 0);
		assert_eq!(unbonding(6), 600);
		assert_eq!(free(6), before_victim);
		assert_eq!(NeuronCount::<Test>::get(), 8);
		// The victim's own edges are gone; the edges to uid 5 stay stored (stale, see
		// tests/stale.rs).
		assert_eq!(Weights::<Test>::get(0).unwrap().into_inner(), vec![(2, 1), (5, 1)]);
		assert_eq!(Weights::<Test>::get(1).unwrap().into_inner(), vec![(5, 3)]);
		assert_eq!(Weights::<Test>::get(5), None);
		assert_eq!(EdgeCount::<Test>::get(), 3);
		assert_eq!(
			incentive_events(),
			vec![
				Event::NeuronReplaced {
					uid: 5,
					old: 6,
					new: 9,
					unbonding: 600,
					release_at: 1 + IMMUNITY + UNBONDING
				},
				Event::NeuronRegistered { uid: 5, account: 9, stake: 250 },
			]
		);
	});
}

#[test]
fn register_replacement_skips_immune_neurons() {
	ExtBuilder::default().build_and_execute(|| {
		for who in 1..=7u64 {
			register(who, MIN_STAKE);
		}
		System::set_block_number(10);
		// Registered later: still immune when the others are not, despite the lowest stake and
		// the highest uid.
		register(8, MIN_STAKE);
		System::set_block_number(1 + IMMUNITY);
		assert_ok!(Incentive::register(RuntimeOrigin::signed(9), MIN_STAKE, None, Balance::MAX));
		// All ranks and stakes tie among uids 0..=6, so the highest of them goes.
		assert_eq!(Uids::<Test>::get(9), Some(6));
		assert_eq!(Uids::<Test>::get(8), Some(7));
	});
}

#[test]
fn register_replacement_breaks_rank_ties_by_lowest_stake() {
	ExtBuilder::default().build_and_execute(|| {
		fill_network();
		// Stakes are 100 * account, so account 1 (uid 0) has the lowest.
		System::set_block_number(1 + IMMUNITY);
		assert_ok!(Incentive::register(RuntimeOrigin::signed(9), MIN_STAKE, None, Balance::MAX));
		assert_eq!(Uids::<Test>::get(9), Some(0));
		assert_eq!(Uids::<Test>::get(1), None);
	});
}

#[test]
fn register_replacement_refunds_to_the_actual_weight() {
	ExtBuilder::default().build_and_execute(|| {
		fill_network();
		set_weights(2, vec![(0, 1)]);
		System::set_block_number(1 + IMMUNITY);
		let info = Incentive::register(RuntimeOrigin::signed(9), MIN_STAKE, None, Balance::MAX).unwrap();
		let replacement = <() as WeightInfo>::register_replace(8).max(<() as WeightInfo>::register());
		assert_eq!(info.actual_weight, Some(replacement));
	});
}

#[test]
fn serve_axon_sets_the_axon() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, MIN_STAKE);
		let endpoint = AxonInfo::ipv4([127, 0, 0, 1], 9000, 3);
		assert_ok!(Incentive::serve_axon(RuntimeOrigin::signed(1), endpoint));
		assert_eq!(neuron(0).axon, Some(endpoint));
		assert_eq!(last_incentive_event(), Event::AxonServed { uid: 0, axon: endpoint });

		let v6 =
			AxonInfo::ipv6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 443, 4);
		assert_ok!(Incentive::serve_axon(RuntimeOrigin::signed(1), v6));
		assert_eq!(neuron(0).axon, Some(v6));
	});
}

#[test]
fn serve_axon_rejects_not_registered() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Incentive::serve_axon(RuntimeOrigin::signed(1), axon([1, 2, 3, 4])),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn serve_axon_rejects_port_zero() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, MIN_STAKE);
		assert_noop!(
			Incentive::serve_axon(RuntimeOrigin::signed(1), AxonInfo::ipv4([1, 2, 3, 4], 0, 1)),
			Error::<Test>::InvalidAxonPort
		);
	});
}

#[test]
fn serve_axon_rejects_unspecified_addresses() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, MIN_STAKE);
		assert_noop!(
			Incentive::serve_axon(RuntimeOrigin::signed(1), AxonInfo::ipv6([0; 16], 80, 1)),
			Error::<Test>::InvalidAxonIp
		);
		assert_noop!(
			Incentive::serve_axon(RuntimeOrigin::signed(1), AxonInfo::ipv4([0, 0, 0, 0], 80, 1)),
			Error::<Test>::InvalidAxonIp
		);
	});
}

#[test]
fn axon_ipv4_is_stored_mapped() {
	let endpoint = AxonInfo::ipv4([192, 168, 1, 2], 8080, 1);
	assert_eq!(endpoint.ip, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 1, 2]);
	assert!(endpoint.has_valid_ip());
	assert!(AxonInfo::ipv4([127, 0, 0, 1], 1, 1).has_valid_ip());
	assert!(!AxonInfo::ipv4([0, 0, 0, 0], 1, 1).has_valid_ip());
}

#[test]
fn unregister_unbonds_stake_and_frees_the_uid() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, 700);
		register(2, MIN_STAKE);
		assert_ok!(Incentive::unregister(RuntimeOrigin::signed(1)));
		assert_eq!(held(1), 0);
		assert_eq!(unbonding(1), 700);
		assert_eq!(free(1), ENDOWMENT - 700);
		assert_eq!(Uids::<Test>::get(1), None);
		assert_eq!(Neurons::<Test>::get(0), None);
		assert_eq!(NeuronCount::<Test>::get(), 1);
		assert_eq!(FreeUids::<Test>::get().into_inner(), vec![0]);
		assert_eq!(UidEnd::<Test>::get(), 2);
		assert_eq!(
			last_incentive_event(),
			Event::NeuronUnregistered {
				uid: 0,
				account: 1,
				unbonding: 700,
				release_at: 1 + UNBONDING
			}
		);
	});
}

#[test]
fn unregister_of_the_highest_uid_shrinks_uid_end_past_free_uids() {
	ExtBuilder::default().build_and_execute(|| {
		for who in 1..=4u64 {
			register(who, MIN_STAKE);
		}
		assert_ok!(Incentive::unregister(RuntimeOrigin::signed(2)));
		assert_ok!(Incentive::unregister(RuntimeOrigin::signed(3)));
		assert_eq!(UidEnd::<Test>::get(), 4);
		assert_ok!(Incentive::unregister(RuntimeOrigin::signed(4)));
		assert_eq!(UidEnd::<Test>::get(), 1);
		assert!(FreeUids::<Test>::get().is_empty());
		assert_ok!(Incentive::unregister(RuntimeOrigin::signed(1)));
		assert_eq!(UidEnd::<Test>::get(), 0);
	});
}

#[test]
fn unregister_removes_the_leavers_edges_and_keeps_those_to_it() {
	ExtBuilder::default().build_and_execute(|| {
		for who in 1..=4u64 {
			register(who, MIN_STAKE);
		}
		set_weights(1, vec![(0, 5), (1, 5), (2, 5)]);
		set_weights(2, vec![(0, 1), (3, 1)]);
		set_weights(3, vec![(0, 2)]);
		set_weights(4, vec![(2, 1)]);
		assert_eq!(EdgeCount::<Test>::get(), 7);

		let info = Incentive::unregister(RuntimeOrigin::signed(1)).unwrap();
		assert_eq!(info.actual_weight, Some(<() as WeightInfo>::unregister(3)));
		assert_eq!(Weights::<Test>::get(0), None);
		assert_eq!(Weights::<Test>::get(1).unwrap().into_inner(), vec![(0, 1), (3, 1)]);
		assert_eq!(Weights::<Test>::get(2).unwrap().into_inner(), vec![(0, 2)]);
		assert_eq!(Weights::<Test>::get(3).unwrap().into_inner(), vec![(2, 1)]);
		assert_eq!(EdgeCount::<Test>::get(), 4);
	});
}

#[test]
fn unregister_rejects_not_registered() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(Incentive::unregister(RuntimeOrigin::signed(1)), Error::<Test>::NotRegistered);
	});
}

#[test]
fn reregistering_after_unregister_starts_fresh() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, MIN_STAKE);
		register(2, MIN_STAKE);
		set_weights(2, vec![(0, 1)]);
		assert_ok!(Incentive::unregister(RuntimeOrigin::signed(1)));
		// Account 3 gets uid 0; account 2's edge to it is kept but predates it (stale).
		assert_eq!(register(3, MIN_STAKE), 0);
		assert_eq!(Weights::<Test>::get(1).unwrap().into_inner(), vec![(0, 1)]);
		assert!(!crate::graph::edge_counts(neuron(1).last_weights_at, neuron(0).registered_at));
	});
}

#[test]
fn register_is_priced_by_the_path_the_state_implies() {
	use frame_support::dispatch::GetDispatchInfo;
	ExtBuilder::default().build_and_execute(|| {
		let register_call = crate::Call::<Test>::register { stake: MIN_STAKE, axon: None, max_fee: 0 };
		let unregister_call = crate::Call::<Test>::unregister {};
		// max_neurons is 8: while there is a free uid, registration is priced as taking it.
		for who in 1..=7u64 {
			assert_eq!(register_call.get_dispatch_info().call_weight, <() as WeightInfo>::register());
			register(who, MIN_STAKE);
		}
		assert_eq!(
			unregister_call.get_dispatch_info().call_weight,
			<() as WeightInfo>::unregister(MAX_EDGES_LIMIT)
		);
		// Full: a replacement scanning every neuron.
		register(8, MIN_STAKE);
		assert_eq!(
			register_call.get_dispatch_info().call_weight,
			<() as WeightInfo>::register_replace(8).max(<() as WeightInfo>::register())
		);
		// A count above a lowered max_neurons is what a replacement scans then.
		assert_ok!(Incentive::set_params(
			RuntimeOrigin::root(),
			crate::IncentiveParamsUpdate { max_neurons: Some(2), ..Default::default() }
		));
		assert_eq!(
			register_call.get_dispatch_info().call_weight,
			<() as WeightInfo>::register_replace(8).max(<() as WeightInfo>::register())
		);
	});
}

#[test]
fn genesis_neurons_are_registered_with_stake_held_and_weights() {
	ExtBuilder::default()
		.neurons(vec![(3, 500, vec![(1, 2), (0, 1)]), (4, 700, vec![]), (5, 600, vec![(0, 9)])])
		.build_and_execute(|| {
			assert_eq!(NeuronCount::<Test>::get(), 3);
			assert_eq!(UidEnd::<Test>::get(), 3);
			assert_eq!(Uids::<Test>::get(3), Some(0));
			assert_eq!(Uids::<Test>::get(5), Some(2));
			assert_eq!(neuron(1).stake, 700);
			assert_eq!(held(4), 700);
			assert_eq!(free(4), ENDOWMENT - 700);
			// Weights are stored sorted by uid, and may point at a later genesis neuron.
			assert_eq!(Weights::<Test>::get(0).unwrap().into_inner(), vec![(0, 1), (1, 2)]);
			assert_eq!(Weights::<Test>::get(1), None);
			assert_eq!(EdgeCount::<Test>::get(), 3);
			assert_eq!(neuron(0).last_weights_at, Some(0));
			assert_eq!(neuron(1).last_weights_at, None);
		});
}

#[test]
#[should_panic(expected = "invalid incentive genesis weights of neuron 0: UnknownUid")]
fn genesis_rejects_weights_to_an_unknown_uid() {
	let _ = ExtBuilder::default().neurons(vec![(3, 500, vec![(1, 1)])]).build();
}

#[test]
#[should_panic(expected = "invalid incentive genesis neuron 1: AlreadyRegistered")]
fn genesis_rejects_an_account_listed_twice() {
	let _ = ExtBuilder::default().neurons(vec![(3, 500, vec![]), (3, 500, vec![])]).build();
}

#[test]
#[should_panic(expected = "invalid incentive genesis neuron 0: StakeBelowMinimum")]
fn genesis_rejects_stake_below_minimum() {
	let _ = ExtBuilder::default().neurons(vec![(3, MIN_STAKE - 1, vec![])]).build();
}
