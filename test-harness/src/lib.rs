//! What the end-to-end tests of `tensor-node` and `tensor-miner` share: ports outside the
//! kernel's ephemeral range, child processes that log to a file and are always stopped when
//! dropped (pass or fail), and waiting on a condition with a bound instead of sleeping.
//!
//! Knows nothing of the chain: each test crate wraps it with its own client (`WsClient` in the
//! node's tests, `ChainClient` in the miner's).

use std::fmt::Display;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How often [`wait_for`] and [`connect_when_up`] poll.
const POLL: Duration = Duration::from_millis(250);

/// A port nobody listens on right now, from 20000..32000.
///
/// Not from binding port 0: that draws from the kernel's ephemeral range (32768 and up on
/// Linux), which is also where every outgoing connection takes its source port, and these tests
/// open many (miners dial each other and the nodes). A port picked that way was once taken by
/// such a connection before the miner that was given it could bind it. Ports below the range
/// are only ever taken by a listener, and the bind here checks for one.
///
/// # Panics
/// When all 12,000 are taken.
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
		let next = NEXT.fetch_add(1, Ordering::Relaxed) % COUNT;
		let Ok(port) = u16::try_from(FIRST.saturating_add(next)) else { continue };
		if TcpListener::bind(("127.0.0.1", port)).is_ok() {
			return port;
		}
	}
	panic!("no free port in {FIRST}..{}", FIRST.saturating_add(COUNT));
}

/// The `tensor-node` binary for tests outside the node's crate: `TENSOR_NODE`, else
/// `$HOME/.cache/incentive-chain/target/release/tensor-node` (what `scripts/env.sh` builds).
/// The node's own tests use `CARGO_BIN_EXE_tensor-node` instead.
///
/// # Panics
/// With how to build one, when there is none.
pub fn node_binary() -> PathBuf {
	let path = std::env::var_os("TENSOR_NODE").map(PathBuf::from).unwrap_or_else(|| {
		let home = std::env::var_os("HOME").unwrap_or_default();
		PathBuf::from(home).join(".cache/incentive-chain/target/release/tensor-node")
	});
	assert!(
		path.is_file(),
		"this test needs the tensor-node binary at {} (from TENSOR_NODE, or the default): build \
		 it with `source scripts/env.sh && cargo test --release --locked --workspace --no-run`, \
		 or point TENSOR_NODE at one",
		path.display()
	);
	path
}

/// `node --dev --tmp` on `rpc_port` and a free p2p port, without Prometheus, telemetry or mDNS
/// (so tests on one machine do not find each other).
pub fn dev_node_command(node: &Path, rpc_port: u16) -> Command {
	let mut cmd = Command::new(node);
	cmd.args(["--dev", "--tmp", "--no-prometheus", "--no-telemetry", "--no-mdns"]).args([
		"--rpc-port",
		&rpc_port.to_string(),
		"--port",
		&free_port().to_string(),
	]);
	cmd
}

/// A child process with its stderr in a log file; stopped when dropped (SIGTERM, then SIGKILL
/// after 10 s).
pub struct Proc {
	/// The process.
	pub child: Child,
	/// Where its stderr goes.
	pub log: PathBuf,
}

impl Proc {
	/// Starts `cmd` with stdout discarded and stderr to `log`.
	///
	/// # Panics
	/// When the log cannot be created or the command cannot start.
	pub fn spawn(mut cmd: Command, log: PathBuf) -> Self {
		let file = std::fs::File::create(&log)
			.unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
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
		lines.get(lines.len().saturating_sub(n)..).unwrap_or_default().join("\n")
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

	/// Stops it as an operator would (SIGTERM, so a node flushes its database), killing it if
	/// it has not exited after 10 s.
	pub fn stop(&mut self) {
		if let Ok(Some(_)) = self.child.try_wait() {
			return;
		}
		let term = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
		if !term.as_ref().is_ok_and(|s| s.success()) {
			eprintln!("kill -TERM {} failed ({term:?}); killing it", self.child.id());
			return self.kill_now();
		}
		let started = Instant::now();
		while started.elapsed() < Duration::from_secs(10) {
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

/// Polls `probe` every 250 ms until it gives a value. `probe` writes what it saw into its
/// argument.
///
/// # Panics
/// After `timeout`, with `what` and the last thing `probe` saw.
pub async fn wait_for<T>(
	what: &str,
	timeout: Duration,
	mut probe: impl AsyncFnMut(&mut String) -> Option<T>,
) -> T {
	let started = Instant::now();
	let mut seen = String::new();
	loop {
		if let Some(v) = probe(&mut seen).await {
			return v;
		}
		assert!(
			started.elapsed() < timeout,
			"timed out after {timeout:?} waiting for {what}; last seen: {seen}"
		);
		tokio::time::sleep(POLL).await;
	}
}

/// `connect()`'s client once it connects (a node's RPC once it is up), polling every 250 ms.
///
/// # Panics
/// At once when `proc` has exited (it will not come up), or after `timeout`; with its log.
pub async fn connect_when_up<C, E: Display>(
	proc: &Proc,
	timeout: Duration,
	mut connect: impl AsyncFnMut() -> Result<C, E>,
) -> C {
	let started = Instant::now();
	loop {
		let error = match connect().await {
			Ok(client) => return client,
			Err(e) => e,
		};
		let exited = proc.has_exited();
		assert!(
			started.elapsed() < timeout && !exited,
			"{} did not come up within {timeout:?} ({error}; exited: {exited}); log:\n{}",
			proc.log.display(),
			proc.log_tail(30)
		);
		tokio::time::sleep(POLL).await;
	}
}
