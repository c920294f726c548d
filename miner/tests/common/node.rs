//! A real `tensor-node` for the chain tests: found through `TENSOR_NODE` (default
//! `$HOME/.cache/incentive-chain/target/release/tensor-node`, what `scripts/env.sh` builds),
//! started on free loopback ports and always stopped when dropped, pass or fail.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sp_core::H256;
use tensor_miner::chain::ChainClient;

/// A port nobody listens on right now, from 20000..32000.
///
/// Not from binding port 0: that draws from the kernel's ephemeral range (32768 and up on
/// Linux), which is also where every outgoing connection takes its source port, and these tests
/// open many (miners dial each other and the nodes). A port picked that way was once taken by
/// such a connection before the miner that was given it could bind it. Ports below the range
/// are only ever taken by a listener, and the bind here checks for one.
pub fn free_port() -> u16 {
	use std::sync::atomic::{AtomicU32, Ordering};
	const FIRST: u32 = 20_000;
	const COUNT: u32 = 12_000;
	// Start where the process id says, so that two test binaries do not walk the same ports.
	static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
	let _ = NEXT.compare_exchange(
		u32::MAX,
		std::process::id().wrapping_mul(7919) % COUNT,
		Ordering::Relaxed,
		Ordering::Relaxed,
	);
	for _ in 0..COUNT {
		let port = FIRST + NEXT.fetch_add(1, Ordering::Relaxed) % COUNT;
		let port = u16::try_from(port).unwrap();
		if TcpListener::bind(("127.0.0.1", port)).is_ok() {
			return port;
		}
	}
	panic!("no free port in {FIRST}..{}", FIRST + COUNT);
}

/// The node binary, or a panic that says how to get one.
pub fn node_binary() -> PathBuf {
	let path = std::env::var_os("TENSOR_NODE").map(PathBuf::from).unwrap_or_else(|| {
		let home = std::env::var_os("HOME").unwrap_or_default();
		PathBuf::from(home).join(".cache/incentive-chain/target/release/tensor-node")
	});
	assert!(
		path.is_file(),
		"this test needs the tensor-node binary at {} (from TENSOR_NODE, or the default): build \
		 it with `source scripts/env.sh && cargo build --release -p tensor-node`, or point \
		 TENSOR_NODE at one",
		path.display()
	);
	path
}

/// A child process killed when dropped (SIGTERM, then SIGKILL after 10 s).
pub struct Proc {
	/// The process.
	pub child: Child,
	/// Where its stderr goes.
	pub log: PathBuf,
}

impl Proc {
	/// Starts `cmd` with stdout discarded and stderr to `log`.
	pub fn spawn(mut cmd: Command, log: PathBuf) -> Self {
		let file = std::fs::File::create(&log).unwrap();
		let child = cmd
			.stdout(Stdio::null())
			.stderr(file)
			.spawn()
			.unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
		Self { child, log }
	}

	/// The last `n` lines of its log (for failure messages).
	pub fn log_tail(&self, n: usize) -> String {
		let text = std::fs::read_to_string(&self.log).unwrap_or_default();
		let lines: Vec<&str> = text.lines().collect();
		lines[lines.len().saturating_sub(n)..].join("\n")
	}

	/// Whether it has exited (a zombie not yet waited for counts), without waiting for it. Only
	/// meaningful before it is reaped (`kill_now`, `stop`): after that its pid may be reused.
	pub fn has_exited(&self) -> bool {
		let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()));
		// The state follows the command name in parentheses: `pid (comm) S ...`.
		let gone = |rest: &str| rest.starts_with('Z') || rest.starts_with('X');
		stat.map_or(true, |s| s.rsplit_once(") ").is_none_or(|(_, rest)| gone(rest)))
	}

	/// Kills it at once (SIGKILL), as a crash would.
	pub fn kill_now(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}

	/// Stops it as an operator would (SIGTERM), killing it if it has not exited after 10 s.
	pub fn stop(&mut self) {
		if let Ok(Some(_)) = self.child.try_wait() {
			return;
		}
		let term = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
		if !term.as_ref().is_ok_and(|s| s.success()) {
			eprintln!("kill -TERM {} failed ({term:?}); killing it", self.child.id());
			return self.kill_now();
		}
		let deadline = Instant::now() + Duration::from_secs(10);
		while Instant::now() < deadline {
			if let Ok(Some(_)) = self.child.try_wait() {
				return;
			}
			std::thread::sleep(Duration::from_millis(100));
		}
		self.kill_now();
	}
}

impl Drop for Proc {
	fn drop(&mut self) {
		self.stop();
	}
}

/// A dev node (`--dev --tmp`, state of every block kept) with `sealing` (`instant` or
/// `manual`), and a client connected to it.
pub async fn start_dev_node(sealing: &str, log_dir: &std::path::Path) -> (Proc, ChainClient, u16) {
	let rpc_port = free_port();
	let mut cmd = Command::new(node_binary());
	cmd.args(["--dev", "--tmp", "--no-prometheus", "--no-telemetry", "--no-mdns"])
		.args(["--sealing", sealing, "--state-pruning", "archive"])
		.args(["--rpc-port", &rpc_port.to_string(), "--port", &free_port().to_string()]);
	let node = Proc::spawn(cmd, log_dir.join("node.log"));
	let deadline = Instant::now() + Duration::from_secs(120);
	loop {
		match ChainClient::connect(&format!("ws://127.0.0.1:{rpc_port}")).await {
			Ok(client) => return (node, client, rpc_port),
			Err(e) => assert!(
				Instant::now() < deadline,
				"node RPC did not come up within 120 s ({e}); log:\n{}",
				node.log_tail(30)
			),
		}
		tokio::time::sleep(Duration::from_millis(300)).await;
	}
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
	let deadline = Instant::now() + timeout;
	loop {
		match ChainClient::connect(&format!("ws://127.0.0.1:{rpc_port}")).await {
			Ok(client) => return client,
			Err(e) => assert!(
				Instant::now() < deadline && !node.has_exited(),
				"node RPC on {rpc_port} did not come up within {timeout:?} ({e}; exited: {}); \
				 log:\n{}",
				node.has_exited(),
				node.log_tail(30)
			),
		}
		tokio::time::sleep(Duration::from_millis(300)).await;
	}
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
