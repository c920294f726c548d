//! The runtime's configuration checked against the chain's goals, with the generated weights.

use frame_support::weights::Weight;

use crate::{configs::RuntimeBlockWeights, Balance, BlockNumber, Runtime};

/// The largest graph the runtime admits: `MaxNeuronsLimit` neurons with `MaxEdgesLimit` edges.
const NEURONS: u32 = 4096;
const EDGES: u32 = 4096 * 256;

/// `weight` as a share of a block's compute, in percent.
fn share_of_block(weight: Weight) -> u64 {
	let block: Weight = RuntimeBlockWeights::get().max_block;
	weight.ref_time().saturating_mul(100).checked_div(block.ref_time()).unwrap_or(u64::MAX)
}

/// The payout hook's charged weight for the largest graph as a share of a block, in percent.
fn payout_share_of_block(passes: u32) -> u64 {
	share_of_block(pallet_incentive::Pallet::<Runtime>::payout_weight(
		pallet_incentive::Mechanism::Attribution,
		NEURONS,
		EDGES,
		passes,
		pallet_incentive::EmissionDestination::Stake,
	))
}

#[test]
fn payout_hook_of_the_largest_graph_takes_at_most_a_quarter_of_a_block() {
	// Charged for the configured maximum of passes, whatever the walk takes (it converges in
	// about 35 on random graphs); docs/benchmarks.md records the numbers. The goal is a quarter
	// of the block's compute, with the default destination (stake).
	let passes =
		pallet_incentive::IncentiveParams::<Balance, BlockNumber>::default().max_ranking_passes;
	let share = payout_share_of_block(passes);
	println!("4096 x 256 payout: {share}% of a block at {passes} passes, {}% at 35", {
		payout_share_of_block(35)
	});
	assert!(share <= 25, "4096 x 256 payout with {passes} passes takes {share}% of a block");
}

/// The consensus payout has no passes to bound; its largest graph must fit the half block that
/// `set_params` enforces for any payout (measured 29%: a third of it the bonds' write per
/// neuron, see docs/benchmarks.md).
#[test]
fn consensus_payout_of_the_largest_graph_fits_half_a_block() {
	let weight = pallet_incentive::Pallet::<Runtime>::payout_weight(
		pallet_incentive::Mechanism::Consensus,
		NEURONS,
		EDGES,
		1,
		pallet_incentive::EmissionDestination::Stake,
	);
	let share = share_of_block(weight);
	println!("4096 x 256 consensus payout: {share}% of a block");
	assert!(share < 50, "4096 x 256 consensus payout takes {share}% of a block");
}

#[test]
fn params_whose_worst_payout_exceeds_half_a_block_are_refused() {
	// The largest graph the runtime stores, paid into free balance (the costlier destination),
	// at increasing pass caps: each is accepted exactly when its worst case fits half a block,
	// the smallest cap fits and the largest does not.
	let half = RuntimeBlockWeights::get().max_block.saturating_div(2);
	let mut verdicts = Vec::new();
	for passes in [1, 35, 100, pallet_incentive::MAX_RANKING_PASSES] {
		let params = pallet_incentive::IncentiveParams::<Balance, BlockNumber> {
			max_neurons: NEURONS,
			max_edges: EDGES / NEURONS,
			max_ranking_passes: passes,
			..Default::default()
		};
		let worst = pallet_incentive::Pallet::<Runtime>::worst_payout_weight(&params);
		let verdict = pallet_incentive::Pallet::<Runtime>::validate_params(&params);
		println!("{passes} passes: worst payout {}% of a block", share_of_block(worst));
		assert_eq!(verdict.is_ok(), worst.all_lte(half), "{passes} passes");
		if !worst.all_lte(half) {
			assert!(matches!(verdict, Err(pallet_incentive::Error::PayoutTooHeavy)));
		}
		verdicts.push(verdict.is_ok());
	}
	assert_eq!(verdicts.first(), Some(&true));
	assert_eq!(verdicts.last(), Some(&false));
}

/// What `call` is charged as a signed extrinsic without tip, as the chain computes it (weight
/// of the call and the transaction extensions, length of the whole extrinsic). Needs
/// externalities: `register`'s weight and the fee multiplier are read from storage.
fn fee_of(call: crate::RuntimeCall) -> Balance {
	use codec::Decode;
	use frame_support::dispatch::GetDispatchInfo;
	let ctx = crate::signing::SigningContext {
		genesis_hash: Default::default(),
		spec_version: crate::VERSION.spec_version,
		transaction_version: crate::VERSION.transaction_version,
		nonce: 0,
		tip: 0,
	};
	let signer = sp_keyring::Sr25519Keyring::Alice.pair();
	let encoded = crate::signing::sign_call(call, &signer, ctx);
	let extrinsic =
		crate::UncheckedExtrinsic::decode(&mut encoded.as_slice()).unwrap_or_else(|e| {
			panic!("a signed extrinsic decodes: {e:?}");
		});
	let length = u32::try_from(encoded.len()).unwrap_or(u32::MAX);
	pallet_transaction_payment::Pallet::<Runtime>::compute_fee(
		length,
		&extrinsic.get_dispatch_info(),
		0,
	)
}

#[test]
fn common_calls_cost_a_small_fraction_of_a_blocks_emission() {
	use crate::{RuntimeCall, MILLI_TAO, TAO};
	use pallet_incentive::Call as Incentive;
	let account = sp_keyring::Sr25519Keyring::Bob.to_account_id();
	let axon = pallet_incentive::AxonInfo::ipv4([10, 0, 0, 1], 8091, 1);
	let edges = |n: u16| (0..n).map(|uid| (uid, 1)).collect::<Vec<_>>();
	let calls: Vec<(&str, RuntimeCall)> = vec![
		(
			"transfer_keep_alive",
			RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
				dest: account.clone().into(),
				value: TAO,
			}),
		),
		// Priced by the state it executes in: an empty network has free uids.
		(
			"register",
			RuntimeCall::Incentive(Incentive::register {
				stake: TAO,
				axon: Some(axon),
				max_fee: TAO,
			}),
		),
		(
			"set_weights (1 edge)",
			RuntimeCall::Incentive(Incentive::set_weights { weights: edges(1) }),
		),
		(
			"set_weights (256 edges)",
			RuntimeCall::Incentive(Incentive::set_weights { weights: edges(256) }),
		),
		("serve_axon", RuntimeCall::Incentive(Incentive::serve_axon { axon })),
		("add_stake", RuntimeCall::Incentive(Incentive::add_stake { amount: TAO })),
		("remove_stake", RuntimeCall::Incentive(Incentive::remove_stake { amount: TAO })),
		("withdraw_unbonded", RuntimeCall::Incentive(Incentive::withdraw_unbonded {})),
		(
			"set_operator",
			RuntimeCall::Incentive(Incentive::set_operator { operator: account.clone() }),
		),
		(
			"accept_operator",
			RuntimeCall::Incentive(Incentive::accept_operator { uid: 0, owner: account }),
		),
		("unregister", RuntimeCall::Incentive(Incentive::unregister {})),
	];
	sp_io::TestExternalities::default().execute_with(|| {
		for (name, call) in calls {
			let fee = fee_of(call);
			println!("{name}: {fee} base units ({}.{:09} TAO)", fee / TAO, fee % TAO);
			// At most a hundredth of the default emission of one block (1 TAO).
			assert!(fee <= TAO / 100, "{name} costs {fee}");
			if name == "transfer_keep_alive" {
				assert!(fee <= MILLI_TAO, "a transfer costs {fee}, more than 0.001 TAO");
			}
		}
	});
}

#[cfg(feature = "try-runtime")]
mod upgrade;

#[test]
fn a_neuron_fits_the_incentive_rpcs_metagraph_page() {
	// pallet-incentive-rpc's MAX_PAGE_NEURONS keeps a page of the widest neurons near 6 MB
	// for at most 256 edges and 256 bonds each (its test
	// `a_full_page_of_the_largest_neurons_fits_well_within_the_default_response_limit`); a
	// larger limit needs that page bound measured again.
	use frame_support::traits::Get;
	let edges: u32 = <Runtime as pallet_incentive::Config>::MaxEdgesLimit::get();
	assert!(edges <= 256, "MaxEdgesLimit {edges} outgrows the RPC's metagraph page bound");
}
