//! A real `tensor-node` for the chain tests: found through `TENSOR_NODE` (default
//! `$HOME/.cache/incentive-chain/target/release/tensor-node`, what `scripts/env.sh` builds),
//! started on free loopback ports and always stopped when dropped, pass or fail.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

	/// Kills it at once (SIGKILL), as a crash would.
	pub fn kill_now(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

impl Drop for Proc {
	fn drop(&mut self) {
		if let Ok(Some(_)) = self.child.try_wait() {
			return;
		}
		let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
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
	let rpc_port = free_port();
	let p2p_port = free_port();
	let mut cmd = Command::new(node_binary());
	cmd.args(["--chain", spec.to_str().unwrap(), &format!("--{name}"), "--validator"])
		.args(["--base-path", dir.join(name).to_str().unwrap(), "--node-key", node_key])
		.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{p2p_port}")])
		.args(["--rpc-port", &rpc_port.to_string(), "--state-pruning", "archive"])
		.args(["--no-prometheus", "--no-telemetry", "--no-mdns"]);
	if let Some(boot) = bootnode {
		cmd.args(["--bootnodes", boot]);
	}
	let proc = Proc::spawn(cmd, dir.join(format!("{name}.log")));
	Validator { name: name.into(), proc, rpc_port, p2p_port }
}

/// A client of `node`'s RPC on `rpc_port`, once it answers (at most `timeout`).
pub async fn connect_when_up(node: &Proc, rpc_port: u16, timeout: Duration) -> ChainClient {
	let deadline = Instant::now() + timeout;
	loop {
		match ChainClient::connect(&format!("ws://127.0.0.1:{rpc_port}")).await {
			Ok(client) => return client,
			Err(e) => assert!(
				Instant::now() < deadline,
				"node RPC on {rpc_port} did not come up within {timeout:?} ({e}); log:\n{}",
				node.log_tail(30)
			),
		}
		tokio::time::sleep(Duration::from_millis(300)).await;
	}
}
