//! `tensor-miner` processes for the end-to-end tests against real nodes (`chain.rs`,
//! `two_validators.rs`): pre-training, spawning `run`, and reading the chain's results.

use std::path::Path;
use std::process::Command;

use tensor_miner::chain::{ChainClient, Metagraph, Signer};

use super::node::{free_port, Proc};

/// Stake of each miner: large next to the emission (1 TAO a block), so that a head start of a
/// payout or two does not decide the ranking; the weights do.
pub const STAKE_TAO: u128 = 100_000;

const STORIES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/stories.txt");
const VOYAGES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/voyages.txt");

/// The corpus //`name` trains on: Charlie and Dave on ships and ports, everyone else on
/// animals, so the network always holds miners trained on different text (they share only the
/// tokenizer).
pub fn corpus_of(name: &str) -> &'static str {
	if name == "Charlie" || name == "Dave" {
		VOYAGES
	} else {
		STORIES
	}
}
/// A market's corpus for //`name`: its own corpus (`corpus_of`) with a line of the other one
/// after every eighth, written to `dir` (its path returned). Miners pre-trained on the two
/// corpora then each know what the other's text is short of: in training on this, each finds
/// the other's features save it loss on the rare lines, and weights it.
pub fn market_corpus(name: &str, dir: &Path) -> String {
	let own = std::fs::read_to_string(corpus_of(name)).unwrap();
	let other = if corpus_of(name) == VOYAGES { STORIES } else { VOYAGES };
	let other = std::fs::read_to_string(other).unwrap();
	let mut rare = other.lines().cycle();
	let mut text = String::new();
	for (i, line) in own.lines().enumerate() {
		text.push_str(line);
		text.push('\n');
		if i % 8 == 7 {
			text.push_str(rare.next().unwrap_or_default());
			text.push('\n');
		}
	}
	let path = dir.join(format!("{name}-market.txt"));
	std::fs::write(&path, text).unwrap();
	path.to_str().unwrap().to_string()
}

const MODEL: [&str; 6] = ["--preset", "tiny", "--batch-size", "16", "--threads", "1"];

/// A running `tensor-miner run`, signing as //`name`.
pub struct MinerProc {
	pub name: &'static str,
	pub signer: Signer,
	pub proc: Proc,
}

/// Trains a miner's model off chain first (`tensor-miner train`), so that `run` resumes it.
pub fn pretrain(name: &str, dir: &Path, steps: u32) {
	let status = Command::new(env!("CARGO_BIN_EXE_tensor-miner"))
		.args([
			"train",
			"--corpus",
			corpus_of(name),
			"--data-dir",
			dir.join(name).to_str().unwrap(),
		])
		.args(["--steps", &steps.to_string(), "--lr", "0.01", "--device", "cpu"])
		.args(MODEL)
		.env("RAYON_NUM_THREADS", "1")
		.stdout(std::process::Stdio::null())
		.stderr(std::process::Stdio::null())
		.status()
		.unwrap();
	assert!(status.success(), "pre-training {name} failed");
}

/// Runs `tensor-miner` with `args` to completion (bounded: `limit`), returning its stdout;
/// fails the test, with its stderr, if it fails or runs past the limit.
pub fn tensor_miner(args: &[&str], limit: std::time::Duration) -> String {
	let mut child = Command::new(env!("CARGO_BIN_EXE_tensor-miner"))
		.args(args)
		.env("RAYON_NUM_THREADS", "1")
		.stdout(std::process::Stdio::piped())
		.stderr(std::process::Stdio::piped())
		.spawn()
		.unwrap();
	let started = std::time::Instant::now();
	while child.try_wait().unwrap().is_none() {
		if started.elapsed() > limit {
			let _ = child.kill();
			panic!("tensor-miner {args:?} ran past {limit:?}");
		}
		std::thread::sleep(std::time::Duration::from_millis(50));
	}
	let out = child.wait_with_output().unwrap();
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert!(out.status.success(), "tensor-miner {args:?} failed: {stderr}");
	String::from_utf8(out.stdout).unwrap()
}

/// `tensor-miner run` as //`name` against the node with RPC on `rpc_port`, reading the chain
/// every `chain_poll_ms`; `lr` applies to a new model only (a pre-trained one keeps its own).
/// Its data is `dir/name`, its log `dir/miner-name.log`. It registers itself with
/// [`STAKE_TAO`].
pub fn spawn_miner(
	name: &'static str,
	corpus: &str,
	lr: &str,
	rpc_port: u16,
	chain_poll_ms: u32,
	dir: &Path,
) -> MinerProc {
	let args = ["--stake".to_string(), STAKE_TAO.to_string(), "--lr".into(), lr.into()];
	spawn_run(name, corpus, &args, rpc_port, chain_poll_ms, dir)
}

/// //Dave: a new model, 8 wide (a quarter of the others), on the voyages, learning slowly and
/// hostile: it serves ±3e38 in every cell. What Charlie (pre-trained on the voyages, 32 wide)
/// knows saves it real loss, so Dave's weights name Charlie, while what it serves saves nobody
/// anything (and must not stop anyone training).
pub fn spawn_dave(corpus: &str, rpc_port: u16, chain_poll_ms: u32, dir: &Path) -> MinerProc {
	let args: Vec<String> = ["--stake", &STAKE_TAO.to_string(), "--lr", "0.002", "--serve-huge"]
		.into_iter()
		.chain(["--d-model", "8"])
		.map(String::from)
		.collect();
	spawn_run("Dave", corpus, &args, rpc_port, chain_poll_ms, dir)
}

/// `tensor-miner run` as //`name` on `corpus` with `extra` arguments besides the common ones
/// (node, key, axon, the tiny model, evaluation every 20 steps).
pub fn spawn_run(
	name: &'static str,
	corpus: &str,
	extra: &[String],
	rpc_port: u16,
	chain_poll_ms: u32,
	dir: &Path,
) -> MinerProc {
	let port = free_port();
	let data = dir.join(name);
	let mut cmd = Command::new(env!("CARGO_BIN_EXE_tensor-miner"));
	cmd.arg("run")
		.args(["--node", &format!("ws://127.0.0.1:{rpc_port}"), "--suri", &format!("//{name}")])
		.args(["--corpus", corpus, "--data-dir", data.to_str().unwrap()])
		.args(["--axon-host", "127.0.0.1", "--axon-port", &port.to_string()])
		.args(["--external-addr", &format!("127.0.0.1:{port}")])
		.args(["--device", "cpu"])
		.args(MODEL)
		.args(["--eval-every", "20", "--peer-timeout-ms", "1000"])
		.args(["--chain-poll-ms", &chain_poll_ms.to_string()])
		.args(["--step-pause-ms", "5", "--max-backoff-secs", "2"])
		.args(extra)
		.env("RAYON_NUM_THREADS", "1")
		.env("RUST_LOG", "info,burn_core::record::file=error,jsonrpsee_server=warn");
	let proc = Proc::spawn(cmd, dir.join(format!("miner-{name}.log")));
	MinerProc { name, signer: Signer::from_suri(&format!("//{name}")).unwrap(), proc }
}

/// The uid of `signer`'s neuron in `m`, if it has one.
pub fn uid_of(m: &Metagraph, signer: &Signer) -> Option<u16> {
	m.neuron_operated_by(&signer.ss58()).map(|n| n.uid)
}

/// Sum of `TransactionFeePaid::actual_fee` and `RegistrationFeeBurned::fee` over blocks
/// `1..=last` of the node's canonical chain: both are burned in this runtime (transaction fees by
/// `FungibleAdapter<Balances, ()>`), so they leave total issuance.
pub async fn fees_burned(client: &ChainClient, last: u64) -> u128 {
	let mut total = 0u128;
	for n in 1..=last {
		let hash = client.block_hash(n).await.unwrap().expect("block exists");
		for record in client.events(hash).await.unwrap() {
			match record.event {
				tensor_runtime::RuntimeEvent::TransactionPayment(
					pallet_transaction_payment::Event::TransactionFeePaid { actual_fee, .. },
				) => total += actual_fee,
				// Registration fees are burned too.
				tensor_runtime::RuntimeEvent::Incentive(
					pallet_incentive::Event::RegistrationFeeBurned { fee, .. },
				) => total += fee,
				_ => {}
			}
		}
	}
	total
}

/// Whether neuron `from`'s edges in `m` give `to` a weight above zero.
pub fn weights_peer(m: &Metagraph, from: u16, to: u16) -> bool {
	m.neuron(from).is_some_and(|n| n.edges.iter().any(|&(uid, w)| uid == to && w > 0))
}

/// After a miner was killed at block `killed_at`: whether the survivors (indexes into the
/// test's miners, with their signers) have each posted twice since, and none of their edges
/// weights the dead uid. The second post comes from an evaluation that ran after the kill, in
/// which the dead miner's axon did not answer.
pub struct DropWatch {
	survivors: Vec<(String, usize)>,
	dead: u16,
	killed_at: u64,
	/// The blocks each miner (by index) posted weights in since the kill, as seen so far.
	pub posts: Vec<Vec<u32>>,
}

impl DropWatch {
	pub fn new(survivors: &[(&Signer, usize)], dead: u16, killed_at: u64, miners: usize) -> Self {
		let survivors = survivors.iter().map(|(s, i)| (s.ss58(), *i)).collect();
		Self { survivors, dead, killed_at, posts: vec![Vec::new(); miners] }
	}

	/// Records the posts `m` shows; true once every survivor has posted twice and dropped the
	/// dead uid.
	pub fn dropped(&mut self, m: &Metagraph) -> bool {
		let (dead, killed_at) = (self.dead, self.killed_at);
		let posts = &mut self.posts;
		self.survivors.iter().all(|(account, i)| {
			let Some(n) = m.neuron_operated_by(account) else { return false };
			if let Some(at) = n.last_weights_at.filter(|&b| u64::from(b) > killed_at) {
				if !posts[*i].contains(&at) {
					posts[*i].push(at);
				}
			}
			posts[*i].len() >= 2 && n.edges.iter().all(|&(uid, w)| uid != dead || w == 0)
		})
	}

	/// The survivors are still running and each still weights itself in `m`.
	pub fn assert_survivors_serve(&self, miners: &mut [MinerProc], m: &Metagraph) {
		for (account, i) in &self.survivors {
			let miner = &mut miners[*i];
			assert!(miner.proc.child.try_wait().unwrap().is_none(), "{} exited", miner.name);
			let n = m.neuron_operated_by(account).unwrap();
			assert!(n.edges.iter().any(|&(uid, _)| uid == n.uid), "self weight of uid {}", n.uid);
		}
	}
}
