//! End-to-end: `--sealing manual` produces blocks only on `engine_createBlock` and finalizes
//! them on request, so tests can drive the chain block by block.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use jsonrpsee::{core::client::ClientT, rpc_params};
use serde_json::Value;
use sp_core::{crypto::AccountId32, H256};
use sp_keyring::Sr25519Keyring;
use std::time::Duration;
use tensor_runtime::{BalancesCall, RuntimeCall, TAO};

#[tokio::test(flavor = "multi_thread")]
async fn manual_sealing_creates_and_finalizes_on_request() {
	let (_node, client) = TestNode::start_dev(&["--sealing", "manual"]).await;

	// Nothing is produced unless asked, not even for a transaction waiting in the pool (instant
	// sealing would seal it at once): once the pool holds it, still no block.
	let dest = AccountId32::from([7u8; 32]);
	let call =
		RuntimeCall::Balances(BalancesCall::transfer_allow_death { dest: dest.into(), value: TAO });
	let xt = signed_extrinsic(&client, &Sr25519Keyring::Alice.pair(), call).await;
	let _: H256 = client.request("author_submitExtrinsic", rpc_params![xt.clone()]).await.unwrap();
	wait_for("the transfer in the pool", Duration::from_secs(30), async |_| {
		let pending: Vec<String> =
			client.request("author_pendingExtrinsics", rpc_params![]).await.unwrap();
		pending.contains(&xt).then_some(())
	})
	.await;
	assert_eq!(best_number(&client).await, 0, "no block without engine_createBlock");

	for expected in 1..=3u64 {
		let created: Value = client
			.request("engine_createBlock", rpc_params![true, false, Option::<H256>::None])
			.await
			.unwrap();
		assert!(created["hash"].is_string(), "{created}");
		assert_eq!(best_number(&client).await, expected);
		if expected == 1 {
			// The first block asked for carries the waiting transfer.
			let body: Value = client
				.request("chain_getBlock", rpc_params![created["hash"].clone()])
				.await
				.unwrap();
			let extrinsics = body["block"]["extrinsics"].as_array().unwrap();
			assert!(extrinsics.iter().any(|x| x.as_str() == Some(xt.as_str())), "{body}");
		}
	}
	assert_eq!(finalized_number(&client).await, 0, "not finalized until asked");

	let best: H256 = client.request("chain_getBlockHash", rpc_params![3]).await.unwrap();
	let finalized: bool = client
		.request("engine_finalizeBlock", rpc_params![best, Option::<()>::None])
		.await
		.unwrap();
	assert!(finalized);
	assert_eq!(finalized_number(&client).await, 3);
}
