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
use std::{
	net::TcpListener,
	path::PathBuf,
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};
use tensor_runtime::{signing, Balance, Nonce, RuntimeCall};

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running node; killed (SIGTERM, then SIGKILL) when dropped.
pub struct TestNode {
	child: Child,
	/// The node's JSON-RPC port on 127.0.0.1.
	pub rpc_port: u16,
	/// Where its log goes.
	pub log_path: PathBuf,
}

impl TestNode {
	/// Starts `tensor-node --dev --tmp` with `extra` arguments and waits until its RPC answers.
	pub async fn start_dev(extra: &[&str]) -> (Self, WsClient) {
		let rpc_port = free_port();
		let p2p_port = free_port();
		let log_path = std::env::temp_dir().join(format!("tensor-node-test-{rpc_port}.log"));
		let log = std::fs::File::create(&log_path).unwrap();
		let child = Command::new(env!("CARGO_BIN_EXE_tensor-node"))
			.args(["--dev", "--tmp", "--no-prometheus", "--no-telemetry", "--no-mdns"])
			.args(["--rpc-port", &rpc_port.to_string(), "--port", &p2p_port.to_string()])
			.args(extra)
			.stdout(Stdio::null())
			.stderr(log)
			.spawn()
			.expect("tensor-node starts");
		let mut node = TestNode { child, rpc_port, log_path };
		let deadline = Instant::now() + Duration::from_secs(120);
		loop {
			if let Ok(client) =
				WsClientBuilder::default().build(format!("ws://127.0.0.1:{rpc_port}")).await
			{
				return (node, client);
			}
			// A node that exited will not come up: say so now, not after the timeout.
			if let Ok(Some(status)) = node.child.try_wait() {
				panic!(
					"tensor-node exited ({status}) before its RPC came up; log:\n{}",
					node.log_tail()
				);
			}
			assert!(
				Instant::now() < deadline,
				"node RPC did not come up; log: {:?}",
				node.log_path
			);
			tokio::time::sleep(Duration::from_millis(250)).await;
		}
	}

	/// The node's log so far (for assertion messages).
	pub fn log_tail(&self) -> String {
		let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
		log.lines()
			.rev()
			.take(40)
			.collect::<Vec<_>>()
			.into_iter()
			.rev()
			.collect::<Vec<_>>()
			.join("\n")
	}
}

impl Drop for TestNode {
	fn drop(&mut self) {
		// Ask politely so the node flushes its database, then make sure it is gone.
		unsafe_sigterm(self.child.id());
		let deadline = Instant::now() + Duration::from_secs(10);
		while Instant::now() < deadline {
			if let Ok(Some(_)) = self.child.try_wait() {
				return;
			}
			std::thread::sleep(Duration::from_millis(100));
		}
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

fn unsafe_sigterm(pid: u32) {
	let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
}

/// Number of a block header returned by `chain_getHeader`.
pub fn header_number(header: &Value) -> u64 {
	u64::from_str_radix(header["number"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

/// Waits until `poll` returns `Some`, or panics after `timeout` with `what`.
pub async fn wait_for<T, F, Fut>(timeout: Duration, what: &str, mut poll: F) -> T
where
	F: FnMut() -> Fut,
	Fut: std::future::Future<Output = Option<T>>,
{
	let deadline = Instant::now() + timeout;
	loop {
		if let Some(v) = poll().await {
			return v;
		}
		assert!(Instant::now() < deadline, "timed out waiting for {what}");
		tokio::time::sleep(Duration::from_millis(300)).await;
	}
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
