//! Shared harness for end-to-end tests against the real `tensor-node` binary: start a node
//! on free loopback ports, talk JSON-RPC to it, sign and submit extrinsics, and always stop
//! the node when the test ends, pass or fail.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use codec::{Decode, Encode};
use jsonrpsee::{
	core::client::{ClientT, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use serde_json::Value;
use sp_core::{crypto::AccountId32, sr25519, H256};
use sp_io::hashing;
use std::{path::Path, time::Duration};
use tensor_runtime::{signing, Balance, Nonce, RuntimeCall};
use tensor_test_harness::free_port;
// Not every test binary uses each.
#[allow(unused_imports)]
pub use tensor_test_harness::{wait_for, Proc};

/// A running node; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct TestNode {
	/// The node's process, logging to a file.
	pub proc: Proc,
	/// The node's JSON-RPC port on 127.0.0.1.
	pub rpc_port: u16,
}

impl TestNode {
	/// Starts `tensor-node --dev --tmp` with `extra` arguments and waits until its RPC answers
	/// (failing at once if the node exits first).
	pub async fn start_dev(extra: &[&str]) -> (Self, WsClient) {
		let rpc_port = free_port();
		let log = std::env::temp_dir().join(format!("tensor-node-test-{rpc_port}.log"));
		let node = Path::new(env!("CARGO_BIN_EXE_tensor-node"));
		let mut cmd = tensor_test_harness::dev_node_command(node, rpc_port);
		cmd.args(extra);
		let proc = Proc::spawn(cmd, log);
		let url = format!("ws://127.0.0.1:{rpc_port}");
		let client =
			tensor_test_harness::connect_when_up(&proc, Duration::from_secs(120), async || {
				WsClientBuilder::default().build(&url).await
			})
			.await;
		(TestNode { proc, rpc_port }, client)
	}

	/// The last 40 lines of the node's log (for assertion messages).
	pub fn log_tail(&self) -> String {
		self.proc.log_tail(40)
	}
}

/// Number of a block header returned by `chain_getHeader`.
pub fn header_number(header: &Value) -> u64 {
	u64::from_str_radix(header["number"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

/// Best block number.
pub async fn best_number(client: &WsClient) -> u64 {
	let header: Value = client.request("chain_getHeader", rpc_params![]).await.unwrap();
	header_number(&header)
}

/// Finalized block number.
pub async fn finalized_number(client: &WsClient) -> u64 {
	let hash: H256 = client.request("chain_getFinalizedHead", rpc_params![]).await.unwrap();
	let header: Value = client.request("chain_getHeader", rpc_params![hash]).await.unwrap();
	header_number(&header)
}

/// Storage key of `System::Account(account)`.
pub fn system_account_key(account: &AccountId32) -> Vec<u8> {
	let mut key = hashing::twox_128(b"System").to_vec();
	key.extend(hashing::twox_128(b"Account"));
	key.extend(hashing::blake2_128(account.as_ref()));
	key.extend(account.encode());
	key
}

/// Free balance of `account` at the best block.
pub async fn free_balance(client: &WsClient, account: &AccountId32) -> Balance {
	let key = sp_core::bytes::to_hex(&system_account_key(account), false);
	let raw: Option<String> = client.request("state_getStorage", rpc_params![key]).await.unwrap();
	let Some(raw) = raw else { return 0 };
	let bytes = sp_core::bytes::from_hex(&raw).unwrap();
	let info = frame_system::AccountInfo::<Nonce, pallet_balances::AccountData<Balance>>::decode(
		&mut &bytes[..],
	)
	.unwrap();
	info.data.free
}

/// Signs `call` as `signer` with the chain's current nonce, genesis and versions.
pub async fn signed_extrinsic(
	client: &WsClient,
	signer: &sr25519::Pair,
	call: RuntimeCall,
) -> String {
	use sp_core::Pair;
	let account = AccountId32::from(signer.public());
	let genesis_hash: H256 = client.request("chain_getBlockHash", rpc_params![0]).await.unwrap();
	let version: Value = client.request("state_getRuntimeVersion", rpc_params![]).await.unwrap();
	let nonce: Nonce =
		client.request("system_accountNextIndex", rpc_params![account.to_string()]).await.unwrap();
	let ctx = signing::SigningContext {
		genesis_hash,
		spec_version: version["specVersion"].as_u64().unwrap() as u32,
		transaction_version: version["transactionVersion"].as_u64().unwrap() as u32,
		nonce,
		tip: 0,
	};
	sp_core::bytes::to_hex(&signing::sign_call(call, signer, ctx), false)
}

/// Submits an extrinsic and waits until it is in a block; returns that block's hash.
pub async fn submit_and_wait_in_block(client: &WsClient, xt_hex: String) -> H256 {
	let mut sub = client
		.subscribe::<Value, _>(
			"author_submitAndWatchExtrinsic",
			rpc_params![xt_hex],
			"author_unwatchExtrinsic",
		)
		.await
		.expect("the node accepts the extrinsic into its pool");
	let deadline = Duration::from_secs(60);
	loop {
		let status = tokio::time::timeout(deadline, sub.next())
			.await
			.expect("extrinsic status within 60 s")
			.expect("subscription open")
			.expect("status decodes");
		if let Some(hash) = status.get("inBlock").or_else(|| status.get("finalized")) {
			return serde_json::from_value(hash.clone()).unwrap();
		}
		if let Some(s) = status.as_str() {
			assert!(!matches!(s, "invalid" | "dropped" | "usurped"), "extrinsic {s}");
		}
		assert!(status.get("invalid").is_none() && status.get("dropped").is_none(), "{status}");
	}
}
