//! End-to-end: `--sealing manual` produces blocks only on `engine_createBlock` and finalizes
//! them on request, so tests can drive the chain block by block.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use jsonrpsee::{core::client::ClientT, rpc_params};
use serde_json::Value;
use sp_core::H256;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn manual_sealing_creates_and_finalizes_on_request() {
	let (_node, client) = TestNode::start_dev(&["--sealing", "manual"]).await;

	// Nothing is produced unless asked.
	tokio::time::sleep(Duration::from_secs(3)).await;
	assert_eq!(best_number(&client).await, 0, "no block without engine_createBlock");

	for expected in 1..=3u64 {
		let created: Value = client
			.request("engine_createBlock", rpc_params![true, false, Option::<H256>::None])
			.await
			.unwrap();
		assert!(created["hash"].is_string(), "{created}");
		assert_eq!(best_number(&client).await, expected);
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
