//! End-to-end: neurons register and post weights with signed extrinsics on a dev node, and
//! the chain pays emission by rank. Blocks are sealed on request (`--sealing manual`) so the
//! test controls exactly when payouts happen.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use codec::{Decode, Encode};
use common::*;
use jsonrpsee::{core::client::ClientT, rpc_params, ws_client::WsClient};
use serde_json::Value;
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use tensor_runtime::{incentive_api::RuntimeNeuronView, IncentiveCall, RuntimeCall, TAO};

async fn seal_block(client: &WsClient) {
	let _: Value = client
		.request("engine_createBlock", rpc_params![true, true, Option::<H256>::None])
		.await
		.unwrap();
}

/// Neuron `uid` at the best block, through the runtime API (`IncentiveApi_neuron`), which joins
/// the pallet's per-neuron record and its payout vector.
async fn neuron(client: &WsClient, uid: u16) -> Option<RuntimeNeuronView> {
	let arg = sp_core::bytes::to_hex(&uid.encode(), false);
	let raw: String =
		client.request("state_call", rpc_params!["IncentiveApi_neuron", arg]).await.unwrap();
	let bytes = sp_core::bytes::from_hex(&raw).unwrap();
	Option::<RuntimeNeuronView>::decode(&mut &bytes[..]).unwrap()
}

/// Submits the signed call to the pool; the next sealed block includes it.
async fn submit(
	client: &WsClient,
	who: Sr25519Keyring,
	call: IncentiveCall<tensor_runtime::Runtime>,
) {
	let xt = signed_extrinsic(client, &who.pair(), RuntimeCall::Incentive(call)).await;
	let _: H256 = client.request("author_submitExtrinsic", rpc_params![xt]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn neurons_register_set_weights_and_are_paid_by_rank() {
	let (node, client) = TestNode::start_dev(&["--sealing", "manual"]).await;
	let neurons = [Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie];

	for who in neurons {
		// The dev fee starts at 1 TAO and doubles with each registration: 1, 2, 4 TAO here.
		let max_fee = 10 * TAO;
		submit(&client, who, IncentiveCall::register { stake: 10 * TAO, axon: None, max_fee })
			.await;
	}
	seal_block(&client).await;
	for (uid, who) in neurons.iter().enumerate() {
		let info = neuron(&client, uid as u16)
			.await
			.unwrap_or_else(|| panic!("uid {uid} registered; node log:\n{}", node.log_tail()));
		assert_eq!(info.account, who.to_account_id());
		assert_eq!(info.stake, 10 * TAO);
	}

	// Alice and Charlie both credit Bob; Bob keeps everything that reaches him.
	submit(
		&client,
		Sr25519Keyring::Alice,
		IncentiveCall::set_weights { weights: vec![(0, 1), (1, 1)] },
	)
	.await;
	submit(&client, Sr25519Keyring::Charlie, IncentiveCall::set_weights { weights: vec![(1, 1)] })
		.await;
	seal_block(&client).await;

	// The dev preset pays out every 10 blocks. Stake registered in block 1 ranks from the
	// second payout (block 20): the first one's period began before it was held.
	for _ in 0..20 {
		seal_block(&client).await;
	}
	let [alice, bob, charlie] = [
		neuron(&client, 0).await.unwrap(),
		neuron(&client, 1).await.unwrap(),
		neuron(&client, 2).await.unwrap(),
	];
	assert!(bob.total_emission > alice.total_emission, "{bob:?} vs {alice:?}");
	assert!(alice.total_emission > charlie.total_emission, "{alice:?} vs {charlie:?}");
	assert!(bob.rank > alice.rank && alice.rank > charlie.rank);
	// Payout to stake (the dev preset's destination) compounds the stake.
	assert_eq!(bob.stake, 10 * TAO + bob.total_emission);
	drop(node);
}
