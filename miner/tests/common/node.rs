//! A real `tensor-node` for the chain tests: found through `TENSOR_NODE` (default
//! `$HOME/.cache/incentive-chain/target/release/tensor-node`, what `scripts/env.sh` builds),
//! started on free loopback ports and always stopped when dropped, pass or fail.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use sp_core::H256;
use tensor_miner::chain::ChainClient;
// Not every test binary uses each.
#[allow(unused_imports)]
pub use tensor_test_harness::{free_port, node_binary, Proc};

/// A dev node (`--dev --tmp`, state of every block kept) with `sealing` (`instant` or
/// `manual`), and a client connected to it.
pub async fn start_dev_node(sealing: &str, log_dir: &std::path::Path) -> (Proc, ChainClient, u16) {
	let rpc_port = free_port();
	let mut cmd = tensor_test_harness::dev_node_command(&node_binary(), rpc_port);
	cmd.args(["--sealing", sealing, "--state-pruning", "archive"]);
	let node = Proc::spawn(cmd, log_dir.join("node.log"));
	let client = connect_when_up(&node, rpc_port, Duration::from_secs(120)).await;
	(node, client, rpc_port)
}

/// The peer id (`12D3Koo…`) of the ed25519 node key `key_hex` (64 hex digits), from
/// `tensor-node key inspect-node-key`; the key file is written to `dir`.
pub fn peer_id_of(key_hex: &str, dir: &std::path::Path) -> String {
	let file = dir.join(format!("node-key-{}", &key_hex[key_hex.len().saturating_sub(8)..]));
	std::fs::write(&file, key_hex).unwrap();
	let out = Command::new(node_binary())
		.args(["key", "inspect-node-key", "--file", file.to_str().unwrap()])
		.output()
		.unwrap();
	assert!(
		out.status.success(),
		"key inspect-node-key failed: {}",
		String::from_utf8_lossy(&out.stderr)
	);
	String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A validator node of a multi-validator chain.
pub struct Validator {
	/// `alice`, `bob`, …
	pub name: String,
	/// The node process (stderr in `<dir>/<name>.log`).
	pub proc: Proc,
	/// Its RPC port on 127.0.0.1.
	pub rpc_port: u16,
	/// Its p2p port on 127.0.0.1.
	pub p2p_port: u16,
}

impl Validator {
	/// Its libp2p address with `peer_id`, for `--bootnodes`.
	pub fn multiaddr(&self, peer_id: &str) -> String {
		format!("/ip4/127.0.0.1/tcp/{}/p2p/{peer_id}", self.p2p_port)
	}
}

/// Starts `tensor-node --chain <spec> --<name> --validator` (Aura sealing, the default) with its
/// own base path under `dir`, the node key `node_key`, free loopback ports, every block's state
/// kept, and `bootnode` if given.
pub fn start_validator(
	spec: &std::path::Path,
	name: &str,
	node_key: &str,
	bootnode: Option<&str>,
	dir: &std::path::Path,
) -> Validator {
	let (rpc_port, p2p_port) = (free_port(), free_port());
	let cmd = validator_command(spec, name, node_key, bootnode, dir, rpc_port, p2p_port);
	let proc = Proc::spawn(cmd, dir.join(format!("{name}.log")));
	Validator { name: name.into(), proc, rpc_port, p2p_port }
}

/// Starts a node that is not a validator, `name`, with an empty base path under `dir`, syncing
/// in `sync` mode (`full`, `warp`) from `bootnode`. A warp-syncing node keeps the default state
/// pruning (warp sync refuses an archive node); a full one keeps every block's state.
pub fn start_full_node(
	spec: &std::path::Path,
	name: &str,
	sync: &str,
	bootnode: &str,
	dir: &std::path::Path,
) -> Validator {
	let (rpc_port, p2p_port) = (free_port(), free_port());
	let mut cmd = node_command(spec, name, Some(bootnode), dir, rpc_port, p2p_port, sync != "warp");
	cmd.args(["--sync", sync]);
	let proc = Proc::spawn(cmd, dir.join(format!("{name}.log")));
	Validator { name: name.into(), proc, rpc_port, p2p_port }
}

impl Validator {
	/// Starts it again from its base path, with the same key and ports (a client or miner of it
	/// reconnects to the same address), after it was killed; its new log goes to
	/// `<dir>/<name>-<run>.log`.
	pub fn restart(
		&mut self,
		spec: &std::path::Path,
		node_key: &str,
		bootnode: Option<&str>,
		dir: &std::path::Path,
		run: u32,
	) {
		assert!(self.proc.child.try_wait().unwrap().is_some(), "{} is still running", self.name);
		let (rpc, p2p) = (self.rpc_port, self.p2p_port);
		let cmd = validator_command(spec, &self.name, node_key, bootnode, dir, rpc, p2p);
		self.proc = Proc::spawn(cmd, dir.join(format!("{}-{run}.log", self.name)));
	}
}

/// [`node_command`] for validator `--<name>` (its dev keys) with the network key `node_key`,
/// keeping every block's state.
fn validator_command(
	spec: &std::path::Path,
	name: &str,
	node_key: &str,
	bootnode: Option<&str>,
	dir: &std::path::Path,
	rpc_port: u16,
	p2p_port: u16,
) -> Command {
	let mut cmd = node_command(spec, name, bootnode, dir, rpc_port, p2p_port, true);
	cmd.args([&format!("--{name}"), "--validator", "--node-key", node_key]);
	cmd
}

/// `tensor-node --chain <spec>` with base path `<dir>/<name>`, RPC and p2p on the given loopback
/// ports, the state of every block kept if `archive`, and no Prometheus, telemetry or mDNS.
fn node_command(
	spec: &std::path::Path,
	name: &str,
	bootnode: Option<&str>,
	dir: &std::path::Path,
	rpc_port: u16,
	p2p_port: u16,
	archive: bool,
) -> Command {
	let mut cmd = Command::new(node_binary());
	cmd.args(["--chain", spec.to_str().unwrap()])
		.args(["--base-path", dir.join(name).to_str().unwrap()])
		.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{p2p_port}")])
		.args(["--rpc-port", &rpc_port.to_string()])
		.args(["--no-prometheus", "--no-telemetry", "--no-mdns"]);
	if archive {
		cmd.args(["--state-pruning", "archive"]);
	}
	if let Some(boot) = bootnode {
		cmd.args(["--bootnodes", boot]);
	}
	cmd
}

/// The `local` chain spec (from `build-spec --chain local`) with the first `authorities` of its
/// Aura and GRANDPA authorities (Alice, Bob, Charlie, Dave), quick incentive parameters (a payout
/// every `tempo` blocks, weights every block) and the mechanism parameters `mechanism` if given,
/// written to `<dir>/local-<authorities>.json`.
pub fn local_spec(
	dir: &std::path::Path,
	authorities: usize,
	tempo: u32,
	mechanism: Option<Value>,
) -> PathBuf {
	use sp_core::crypto::Ss58Codec;
	use sp_core::Pair;

	let out =
		Command::new(node_binary()).args(["build-spec", "--chain", "local"]).output().unwrap();
	assert!(out.status.success(), "build-spec failed: {}", String::from_utf8_lossy(&out.stderr));
	let mut spec: Value = serde_json::from_slice(&out.stdout).unwrap();
	let patch = &mut spec["genesis"]["runtimeGenesis"]["patch"];
	assert!(patch.is_object(), "build-spec --chain local has no genesis patch");

	let names = ["Alice", "Bob", "Charlie", "Dave"];
	assert!((1..=names.len()).contains(&authorities), "the local preset has 4 authorities");
	let names = &names[..authorities];
	let sr = |who: &str| {
		json!(tensor_miner::chain::Signer::from_suri(&format!("//{who}")).unwrap().ss58())
	};
	let ed = |who: &str| {
		let public =
			sp_core::ed25519::Pair::from_string(&format!("//{who}"), None).unwrap().public();
		json!([public.to_ss58check(), 1])
	};
	let aura: Vec<Value> = names.iter().map(|n| sr(n)).collect();
	let grandpa: Vec<Value> = names.iter().map(|n| ed(n)).collect();
	// The preset's authorities are Alice, Bob, Charlie and Dave in this shape; keep the first.
	assert_eq!(patch["aura"]["authorities"].as_array().unwrap()[..authorities], aura[..]);
	assert_eq!(patch["grandpa"]["authorities"].as_array().unwrap()[..authorities], grandpa[..]);
	patch["aura"]["authorities"] = json!(aura);
	patch["grandpa"]["authorities"] = json!(grandpa);
	let params = &mut patch["incentive"]["params"];
	assert!(params["tempo"].is_number() && params["weightsRateLimit"].is_number(), "{params}");
	params["tempo"] = json!(tempo);
	params["weightsRateLimit"] = json!(1);
	if let Some(mechanism) = mechanism {
		patch["incentive"]["mechanismParams"] = mechanism;
	}
	let path = dir.join(format!("local-{authorities}.json"));
	std::fs::write(&path, serde_json::to_vec_pretty(&spec).unwrap()).unwrap();
	path
}

/// A client of `node`'s RPC on `rpc_port`, once it answers (at most `timeout`).
pub async fn connect_when_up(node: &Proc, rpc_port: u16, timeout: Duration) -> ChainClient {
	let url = format!("ws://127.0.0.1:{rpc_port}");
	tensor_test_harness::connect_when_up(node, timeout, async || ChainClient::connect(&url).await)
		.await
}

/// Number and hash of the node's finalized head.
pub async fn finalized_head(client: &ChainClient) -> (u64, H256) {
	let hash: H256 = client.request("chain_getFinalizedHead", vec![]).await.unwrap();
	let header: Value = client.request("chain_getHeader", vec![json!(hash)]).await.unwrap();
	(hex_number(&header["number"]), hash)
}

fn hex_number(v: &Value) -> u64 {
	u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}
