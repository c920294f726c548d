//! Property tests: random sequences of calls and blocks keep the accounting exact and the
//! bookkeeping consistent, failed calls change nothing, and every payout pays the neurons that
//! the ranking of their ranked stakes says, nobody else.

use super::*;
use crate::{
	EdgeCount, EmissionDestination, IncentiveParamsUpdate, Neurons, Params, PendingEmission,
	TotalBurned, TotalPaid, Weights,
};
use frame_support::traits::fungible::Inspect;
use proptest::prelude::*;

/// Accounts that take part; some never have the balance to register.
const ACCOUNTS: u64 = 12;

#[derive(Clone, Debug)]
enum Op {
	Register { who: u64, stake: Balance, with_axon: bool },
	AddStake { who: u64, amount: Balance },
	RemoveStake { who: u64, amount: Balance },
	Unregister { who: u64 },
	SetWeights { who: u64, weights: Vec<(u16, u16)> },
	ServeAxon { who: u64, port: u16, last_octet: u8 },
	Withdraw { who: u64 },
	SetOperator { who: u64, operator: u64 },
	AcceptOperator { who: u64, uid: u16 },
	SetParams { tempo: Option<u64>, to_free: Option<bool>, unbonding: Option<u64> },
	Advance { blocks: u64 },
}

fn op() -> impl Strategy<Value = Op> {
	let who = 1..=ACCOUNTS;
	prop_oneof![
		3 => (who.clone(), 0..3_000u128, any::<bool>())
			.prop_map(|(who, stake, with_axon)| Op::Register { who, stake, with_axon }),
		1 => (who.clone(), 0..2_000u128).prop_map(|(who, amount)| Op::AddStake { who, amount }),
		1 => (who.clone(), 0..2_000u128)
			.prop_map(|(who, amount)| Op::RemoveStake { who, amount }),
		1 => who.clone().prop_map(|who| Op::Unregister { who }),
		3 => (who.clone(), prop::collection::vec((0..8u16, 0..4u16), 0..6))
			.prop_map(|(who, weights)| Op::SetWeights { who, weights }),
		1 => (who.clone(), 0..3u16, 0..2u8)
			.prop_map(|(who, port, last_octet)| Op::ServeAxon { who, port, last_octet }),
		1 => who.clone().prop_map(|who| Op::Withdraw { who }),
		1 => (who.clone(), who.clone())
			.prop_map(|(who, operator)| Op::SetOperator { who, operator }),
		1 => (who.clone(), 0..8u16).prop_map(|(who, uid)| Op::AcceptOperator { who, uid }),
		1 => (prop::option::of(1..6u64), prop::option::of(any::<bool>()), prop::option::of(0..8u64))
			.prop_map(|(tempo, to_free, unbonding)| Op::SetParams { tempo, to_free, unbonding }),
		3 => (1..8u64).prop_map(|blocks| Op::Advance { blocks }),
	]
}

/// Applies a call; if it fails, the state must be exactly as before.
fn apply_call(call: impl FnOnce() -> bool) {
	let before = sp_io::storage::root(sp_runtime::StateVersion::V1);
	if !call() {
		assert_eq!(before, sp_io::storage::root(sp_runtime::StateVersion::V1));
	}
}

fn run(ops: Vec<Op>, destination: EmissionDestination) {
	// Accounts 11 and 12 can afford little or nothing.
	let balances = (1..=ACCOUNTS)
		.map(|who| (who, if who > 10 { 150 * (ACCOUNTS - who) as Balance + 1 } else { 10_000 }))
		.collect();
	ExtBuilder::default()
		.balances(balances)
		.with_params(|p| {
			p.tempo = 3;
			p.max_neurons = 6;
			p.immunity_period = 4;
			p.weights_rate_limit = 2;
			p.unbonding_period = 4;
			p.emission_destination = destination;
			p.registration_fee_floor = 5;
			p.registration_fee_ceiling = 200;
			p.registration_fee_growth_percent = 300;
			p.registration_fee_half_life = 3;
		})
		.build()
		.execute_with(|| {
			let genesis = <Balances as Inspect<AccountId>>::total_issuance();
			let mut now = 1u64;
			for op in ops {
				let origin = |who: u64| RuntimeOrigin::signed(who);
				match op {
					Op::Register { who, stake, with_axon } => apply_call(|| {
						let axon = with_axon.then(|| axon([10, 0, 0, 1]));
						Incentive::register(origin(who), stake, axon, 100).is_ok()
					}),
					Op::AddStake { who, amount } => {
						apply_call(|| Incentive::add_stake(origin(who), amount).is_ok())
					}
					Op::RemoveStake { who, amount } => {
						apply_call(|| Incentive::remove_stake(origin(who), amount).is_ok())
					}
					Op::Unregister { who } => {
						apply_call(|| Incentive::unregister(origin(who)).is_ok())
					}
					Op::SetWeights { who, weights } => {
						apply_call(|| Incentive::set_weights(origin(who), weights).is_ok())
					}
					Op::ServeAxon { who, port, last_octet } => apply_call(|| {
						let endpoint = AxonInfo::ipv4([0, 0, 0, last_octet], port, 1);
						Incentive::serve_axon(origin(who), endpoint).is_ok()
					}),
					Op::Withdraw { who } => {
						apply_call(|| Incentive::withdraw_unbonded(origin(who)).is_ok())
					}
					Op::SetOperator { who, operator } => {
						apply_call(|| Incentive::set_operator(origin(who), operator).is_ok())
					}
					Op::AcceptOperator { who, uid } => {
						// Names the current owner, so the call can succeed.
						let owner = Neurons::<Test>::get(uid).map_or(0, |record| record.account);
						apply_call(|| Incentive::accept_operator(origin(who), uid, owner).is_ok())
					}
					Op::SetParams { tempo, to_free, unbonding } => apply_call(|| {
						let update = IncentiveParamsUpdate {
							tempo,
							emission_destination: to_free.map(|free| {
								if free { EmissionDestination::Free } else { EmissionDestination::Stake }
							}),
							unbonding_period: unbonding,
							..Default::default()
						};
						Incentive::set_params(RuntimeOrigin::root(), update).is_ok()
					}),
					Op::Advance { blocks } => {
						for _ in 0..blocks {
							now += 1;
							advance_checking_who_is_paid(now);
						}
					}
				}

				Incentive::do_try_state().unwrap();
				let issuance = <Balances as Inspect<AccountId>>::total_issuance();
				assert_eq!(
					issuance,
					genesis + TotalPaid::<Test>::get() - TotalBurned::<Test>::get()
				);
				assert_eq!(
					TotalPaid::<Test>::get() + PendingEmission::<Test>::get(),
					(now - 1) as Balance * EMISSION
				);
				let edges: u32 = Weights::<Test>::iter().map(|(_, e)| e.len() as u32).sum();
				assert_eq!(EdgeCount::<Test>::get(), edges);
				assert!(crate::NeuronCount::<Test>::get() <= 6);
			}
		});
}

/// Runs block `now`; if it pays out, checks that each neuron received exactly its share of the
/// ranking of the ranked stakes held before the block (a model computed here from storage),
/// and that after it every ranked stake is the stake then held.
fn advance_checking_who_is_paid(now: u64) {
	let params = Params::<Test>::get();
	if !Incentive::is_payout_block(now, params.tempo) || crate::NeuronCount::<Test>::get() == 0 {
		run_to_block(now);
		return;
	}
	let slots = crate::UidEnd::<Test>::get() as usize;
	let payouts = Incentive::payouts_with_slots(slots);
	let stakes: Vec<u128> = (0..slots).map(|uid| payouts[uid].ranked_stake).collect();
	// Only edges posted after their target's occupant registered count (the self edge always).
	let registered_at = |uid: u16| Neurons::<Test>::get(uid).map(|record| record.registered_at);
	let edges: Vec<Vec<(u16, u16)>> = (0..slots as u16)
		.map(|uid| {
			let posted_at = Neurons::<Test>::get(uid).and_then(|record| record.last_weights_at);
			let mut edges = Weights::<Test>::get(uid).map(|e| e.into_inner()).unwrap_or_default();
			edges.retain(|&(target, _)| {
				target == uid
					|| registered_at(target)
						.is_some_and(|at| at == 0 || posted_at.is_some_and(|posted| posted > at))
			});
			edges
		})
		.collect();
	let inputs: Vec<incentive_ranking::NeuronInput<'_>> = stakes
		.iter()
		.zip(edges.iter())
		.map(|(&stake, weights)| incentive_ranking::NeuronInput { stake, weights })
		.collect();
	let pot = PendingEmission::<Test>::get() + params.emission_per_block;
	let expected: Vec<u128> = if stakes.iter().all(|stake| *stake == 0) {
		vec![0; slots]
	} else {
		let ranking = incentive_ranking::rank(&inputs, params.max_ranking_passes);
		incentive_ranking::split_emission(pot, &ranking.ranks).0
	};
	let free_before: Vec<(u16, u64, Balance)> =
		Neurons::<Test>::iter().map(|(uid, record)| (uid, record.account, free(record.account))).collect();

	run_to_block(now);

	for (uid, account, free_then) in free_before {
		let info = neuron(uid);
		assert_eq!(info.last_emission, expected[uid as usize], "uid {uid}'s share at {now}");
		assert_eq!(info.ranked_stake, info.stake, "uid {uid}'s ranked stake after the payout");
		let gained = free(account) - free_then;
		match params.emission_destination {
			EmissionDestination::Free => assert_eq!(gained, info.last_emission),
			EmissionDestination::Stake => assert_eq!(gained, 0),
		}
	}
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(256))]

	#[test]
	fn random_calls_keep_accounting_exact_with_payouts_to_stake(
		ops in prop::collection::vec(op(), 1..60)
	) {
		run(ops, EmissionDestination::Stake);
	}

	#[test]
	fn random_calls_keep_accounting_exact_with_payouts_to_free(
		ops in prop::collection::vec(op(), 1..60)
	) {
		run(ops, EmissionDestination::Free);
	}
}
