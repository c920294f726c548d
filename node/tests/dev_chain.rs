//! End-to-end: `tensor-node --dev` produces and finalizes blocks, serves metadata and chain
//! properties, and applies a signed balance transfer from Alice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;
use jsonrpsee::{core::client::ClientT, rpc_params};
use serde_json::Value;
use sp_core::{crypto::AccountId32, H256};
use sp_keyring::Sr25519Keyring;
use std::time::Duration;
use tensor_runtime::{BalancesCall, RuntimeCall, TAO};

#[tokio::test(flavor = "multi_thread")]
async fn dev_chain_produces_finalizes_and_transfers() {
	let (node, client) = TestNode::start_dev(&[]).await;

	// Aura authors and GRANDPA finalizes.
	wait_for("block #2 to be finalized", Duration::from_secs(90), async |_| {
		(finalized_number(&client).await >= 2).then_some(())
	})
	.await;

	// Metadata: the SCALE blob starts with the "meta" magic and a version of 14 or later.
	let metadata: String = client.request("state_getMetadata", rpc_params![]).await.unwrap();
	let metadata = sp_core::bytes::from_hex(&metadata).unwrap();
	assert_eq!(&metadata[..4], b"meta", "metadata magic");
	assert!(metadata[4] >= 14, "metadata version {}", metadata[4]);

	// Chain properties as explorers read them.
	let props: Value = client.request("system_properties", rpc_params![]).await.unwrap();
	assert_eq!(props["tokenSymbol"], "TAO");
	assert_eq!(props["tokenDecimals"], 9);
	assert_eq!(props["ss58Format"], 42);

	// A signed transfer from Alice to a fresh account.
	let alice = Sr25519Keyring::Alice;
	let dest = AccountId32::from([7u8; 32]);
	let amount = 5 * TAO;
	let alice_before = free_balance(&client, &alice.to_account_id()).await;
	assert_eq!(free_balance(&client, &dest).await, 0);

	let call = RuntimeCall::Balances(BalancesCall::transfer_allow_death {
		dest: dest.clone().into(),
		value: amount,
	});
	let xt = signed_extrinsic(&client, &alice.pair(), call).await;
	let block = submit_and_wait_in_block(&client, xt.clone()).await;

	// The extrinsic is in that block's body.
	let body: Value = client.request("chain_getBlock", rpc_params![block]).await.unwrap();
	let extrinsics = body["block"]["extrinsics"].as_array().unwrap();
	assert!(extrinsics.iter().any(|x| x.as_str() == Some(xt.as_str())), "transfer in block");

	assert_eq!(free_balance(&client, &dest).await, amount, "recipient credited");
	let alice_after = free_balance(&client, &alice.to_account_id()).await;
	assert!(alice_after < alice_before - amount, "Alice paid the amount and a fee");

	// The transfer's block becomes final too.
	let included: Value = client.request("chain_getHeader", rpc_params![block]).await.unwrap();
	let included = header_number(&included);
	wait_for("the transfer's block to be finalized", Duration::from_secs(60), async |_| {
		(finalized_number(&client).await >= included).then_some(())
	})
	.await;
	let _: H256 = client.request("chain_getFinalizedHead", rpc_params![]).await.unwrap();
	drop(node);
}
