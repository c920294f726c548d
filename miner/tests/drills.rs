//! Fault drills on the real binaries: a 4-validator `local` network (Alice, Bob, Charlie, Dave:
//! Aura and GRANDPA, 6-second slots) with a miner running beside Charlie's node. Every step
//! waits on chain state read over RPC (block numbers, finalized hashes, the metagraph), never on
//! log lines or sleeps, and is bounded; the figures each drill measures are printed at the end
//! (and recorded in docs/reliability.md).
//!
//! 1. `kill -9` Charlie: blocks and finality go on (3 of 4 validators is more than 2/3);
//!    restarted from its base path, Charlie catches up, and its finalized block hash at every
//!    height equals Alice's.
//! 2. (Drill 5 of the issue.) The miner, whose only node is Charlie's, posts weights again after
//!    the restart: it reconnected on its own.
//! 3. Charlie and Dave stopped: blocks go on, finality stalls; Charlie restarted: finality
//!    resumes and reaches the head of the time of the restart.
//! 4. (Drill 4.) A runtime upgrade under the miner: the state put back to storage version 2's
//!    layout, then `sudo(system.set_code)` with this runtime at `spec_version` + 1
//!    (`tensor_runtime::upgrade_drill`): the next block runs the new code and migrates to
//!    version 3, the incentive invariants hold on the state there (downloaded and checked
//!    natively), and the miner posts weights again (it rereads the versions on its own).
//! 5. A new node with an empty base path joins late and syncs to the head in full sync, and a
//!    second in warp sync (it has no state of block 1, the full one has); each one's
//!    `incentive_emissions` at its finalized block equals Alice's.
//!
//! Needs the `tensor-node` binary (see `common/node.rs`). About four minutes; the whole test
//! fails after `TEST_LIMIT` with the nodes' and the miner's logs, and everything it started is
//! stopped when it ends, pass or fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use codec::Encode;
use common::miners::{corpus_of, spawn_miner, MinerProc};
use common::node::{
	connect_when_up, finalized_head, local_spec, peer_id_of, start_full_node, start_validator,
	Validator,
};
use frame_support::weights::Weight;
use serde_json::{json, Value};
use sp_core::H256;
use tensor_miner::chain::client::storage_value_key;
use tensor_miner::chain::{ChainClient, Included, Signer};
use tensor_runtime::{Runtime, RuntimeCall, RuntimeEvent};

/// Payout every `TEMPO` blocks.
const TEMPO: u32 = 3;
/// The whole test fails after this long.
const TEST_LIMIT: Duration = Duration::from_secs(600);
/// The validators, in the `local` preset's order, and their node keys' last digit.
const NAMES: [&str; 4] = ["alice", "bob", "charlie", "dave"];

/// What the test has started, for failure messages.
struct Net {
	started: Instant,
	nodes: Vec<Validator>,
	joiners: Vec<Validator>,
	miner: Option<MinerProc>,
}

impl Net {
	fn logs(&self) -> String {
		let nodes = self
			.nodes
			.iter()
			.chain(&self.joiners)
			.map(|v| format!("--- node {} ---\n{}", v.name, v.proc.log_tail(12)));
		let miner = self.miner.iter().map(|m| format!("--- miner ---\n{}", m.proc.log_tail(15)));
		nodes.chain(miner).collect::<Vec<_>>().join("\n")
	}

	/// Polls `probe` every 250 ms until it gives a value; fails with `what`, the last thing
	/// `probe` saw and the logs when `timeout` or the test's time runs out.
	async fn wait_for<T>(
		&self,
		what: &str,
		timeout: Duration,
		mut probe: impl AsyncFnMut(&mut String) -> Option<T>,
	) -> T {
		let deadline = Instant::now() + timeout;
		let mut seen = String::new();
		loop {
			if let Some(v) = probe(&mut seen).await {
				return v;
			}
			if Instant::now() > deadline || self.started.elapsed() > TEST_LIMIT {
				panic!(
					"timed out after {timeout:?} waiting for {what} ({:?} into the test); last \
					 seen: {seen}\n{}",
					self.started.elapsed(),
					self.logs()
				);
			}
			tokio::time::sleep(Duration::from_millis(250)).await;
		}
	}
}

fn node_key(i: usize) -> String {
	format!("{:064x}", i + 1)
}

/// Best and finalized block numbers of a node.
async fn heads(client: &ChainClient) -> (u64, u64) {
	(client.best_number().await.unwrap(), finalized_head(client).await.0)
}

/// A client of `node`, or `None` while it does not answer; fails at once if it has exited.
async fn try_connect(node: &Validator) -> Option<ChainClient> {
	let client = ChainClient::connect(&format!("ws://127.0.0.1:{}", node.rpc_port)).await.ok();
	assert!(
		client.is_some() || !node.proc.has_exited(),
		"node {} exited:\n{}",
		node.name,
		node.proc.log_tail(20)
	);
	client
}

/// Asserts that `a` and `b` have the same block hash at every height `1..=to`.
async fn same_chain(a: &ChainClient, b: &ChainClient, to: u64, who: &str) {
	for n in 1..=to {
		let (x, y) = (a.block_hash(n).await.unwrap(), b.block_hash(n).await.unwrap());
		assert!(x.is_some() && x == y, "block {n}: Alice has {x:?}, {who} {y:?}");
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_survive_a_crash_a_stall_and_late_joiners() {
	let started = Instant::now();
	let tmp = tempfile::tempdir().unwrap();
	let dir = std::env::var_os("TENSOR_TEST_DIR").map(PathBuf::from);
	// A fresh directory each run, so that "an empty base path" is one.
	let dir = dir.map(|d| d.join(format!("drills-{}", std::process::id())));
	let dir = dir.as_deref().unwrap_or(tmp.path());
	std::fs::create_dir_all(dir).unwrap();
	let mut figures: Vec<String> = Vec::new();

	// 0. Four validators, all bootstrapping from Alice, and a miner on Charlie's node.
	let spec = local_spec(dir, 4, TEMPO, None);
	let boot_id = peer_id_of(&node_key(0), dir);
	let alice = start_validator(&spec, NAMES[0], &node_key(0), None, dir);
	let boot = alice.multiaddr(&boot_id);
	let mut net = Net { started, nodes: vec![alice], joiners: Vec::new(), miner: None };
	for (i, name) in NAMES.iter().enumerate().skip(1) {
		net.nodes.push(start_validator(&spec, name, &node_key(i), Some(&boot), dir));
	}
	let alice = connect_when_up(&net.nodes[0].proc, net.nodes[0].rpc_port, secs(120)).await;
	for node in &net.nodes[1..] {
		connect_when_up(&node.proc, node.rpc_port, secs(120)).await;
	}
	net.wait_for("finality with all four", secs(120), async |seen| {
		let (best, fin) = heads(&alice).await;
		*seen = format!("best {best}, finalized {fin}");
		(fin >= 3).then_some(())
	})
	.await;
	net.miner = Some(spawn_miner("Bob", corpus_of("Bob"), "0.01", net.nodes[2].rpc_port, 300, dir));
	let operator = net.miner.as_ref().unwrap().signer.ss58();
	let weights_at = async |seen: &mut String| {
		let m = alice.metagraph().await.unwrap();
		let at = m.neuron_operated_by(&operator).and_then(|n| n.last_weights_at);
		*seen = format!("the miner's last weights at {at:?} (block {})", m.block.number);
		at.map(u64::from)
	};
	let first = net.wait_for("the miner's first weights", secs(120), weights_at).await;
	eprintln!(
		"four validators finalizing, the miner's weights in block {first} ({:?})",
		started.elapsed()
	);

	// 1. kill -9 Charlie, the miner's node: the other three go on finalizing.
	net.nodes[2].proc.kill_now();
	let (best0, fin0) = heads(&alice).await;
	let t = Instant::now();
	let (best1, fin1) = net
		.wait_for("finality without Charlie", secs(90), async |seen| {
			let (best, fin) = heads(&alice).await;
			*seen = format!("best {best}, finalized {fin} (killed at {best0}/{fin0})");
			(fin >= fin0 + 3 && best > best0).then_some((best, fin))
		})
		.await;
	figures.push(format!(
		"drill 1: Charlie killed at best {best0}, finalized {fin0}; 3 more blocks finalized in \
		 {:.1} s (best {best1}, finalized {fin1})",
		t.elapsed().as_secs_f64()
	));

	// Restarted from its base path, with the same ports: it catches up with Alice's head as of
	// the restart, and has her finalized chain.
	net.nodes[2].restart(&spec, &node_key(2), Some(&boot), dir, 1);
	let (head, _) = heads(&alice).await;
	let restarted = Instant::now();
	let charlie = net
		.wait_for("Charlie to catch up", secs(120), async |seen| {
			let client = try_connect(&net.nodes[2]).await?;
			let (best, fin) = heads(&client).await;
			*seen = format!("Charlie at best {best}, finalized {fin}; Alice's head was {head}");
			(fin >= head).then_some(client)
		})
		.await;
	let caught_up = restarted.elapsed();
	let (_, fin) = heads(&charlie).await;
	same_chain(&alice, &charlie, fin, "Charlie").await;
	figures.push(format!(
		"drill 1: Charlie restarted at Alice's block {head}; finalized past it in {:.1} s; \
		 finalized hashes 1..={fin} equal Alice's",
		caught_up.as_secs_f64()
	));

	// 2. The miner, whose node that was, posts weights again: in a block after the one Alice
	// had when Charlie caught up (so not a transaction from before the crash).
	let (after, _) = heads(&alice).await;
	let again = net
		.wait_for("the miner's weights after the restart", secs(120), async |seen| {
			weights_at(seen).await.filter(|&at| at > after)
		})
		.await;
	figures.push(format!(
		"drill 5: the miner's weights in block {again} (after block {after}), {:.1} s after its \
		 node's restart",
		restarted.elapsed().as_secs_f64()
	));

	// 3. Charlie and Dave stopped: 2 of 4 cannot finalize, but Aura goes on in Alice's and
	// Bob's slots. After the votes in flight land, the finalized head stays put for 3 blocks.
	// First, finality must be going with all four (else a stall would prove nothing).
	net.wait_for("finality past the miner's weights", secs(90), async |seen| {
		let (best, fin) = heads(&alice).await;
		*seen = format!("best {best}, finalized {fin}");
		(fin >= again).then_some(())
	})
	.await;
	net.nodes[2].proc.stop();
	net.nodes[3].proc.stop();
	let (stopped_at, _) = heads(&alice).await;
	let settled = net
		.wait_for("blocks after the stop", secs(90), async |seen| {
			let (best, fin) = heads(&alice).await;
			*seen = format!("best {best}, finalized {fin}");
			(best >= stopped_at + 2).then_some(fin)
		})
		.await;
	let (stalled_best, stalled_fin) = net
		.wait_for("3 more blocks", secs(120), async |seen| {
			let (best, fin) = heads(&alice).await;
			*seen = format!("best {best}, finalized {fin}");
			(best >= stopped_at + 5).then_some((best, fin))
		})
		.await;
	assert_eq!(
		stalled_fin, settled,
		"finality went on with 2 of 4 validators (stopped at block {stopped_at})"
	);
	figures.push(format!(
		"drill 2: Charlie and Dave stopped at block {stopped_at}; finalized head stayed at \
		 {stalled_fin} while blocks went on to {stalled_best}"
	));

	// Charlie back: finality resumes and reaches the head as of the restart.
	net.nodes[2].restart(&spec, &node_key(2), Some(&boot), dir, 2);
	let (head, _) = heads(&alice).await;
	let t = Instant::now();
	let resumed = net
		.wait_for("finality to resume", secs(180), async |seen| {
			let (best, fin) = heads(&alice).await;
			*seen = format!("best {best}, finalized {fin}; head at the restart {head}");
			(fin >= head).then_some(fin)
		})
		.await;
	figures.push(format!(
		"drill 2: Charlie restarted at head {head}; finality resumed from {stalled_fin} and \
		 reached {resumed} in {:.1} s ({} blocks finalized)",
		t.elapsed().as_secs_f64(),
		resumed - stalled_fin
	));

	// 4. (Drill 4 of the issue.) A runtime upgrade under the running miner. The state is first
	// put back to storage version 2's layout (no `MechanismConfig`), so that the new code's
	// v2 -> v3 migration has work to do; then `sudo(system.set_code)` with this runtime at
	// `spec_version` + 1. The block after `set_code` runs the new code, which migrates.
	let old_spec = spec_version(&alice, None).await;
	let (version_key, mechanism_key) = (storage_version_key(), mechanism_key());
	as_sudo(
		&alice,
		system(frame_system::Call::set_storage {
			items: vec![(version_key.clone(), 2u16.encode())],
		}),
	)
	.await;
	let rolled_back = as_sudo(
		&alice,
		system(frame_system::Call::kill_storage { keys: vec![mechanism_key.clone()] }),
	)
	.await;
	let at = Some(rolled_back.block_hash);
	assert_eq!(alice.storage(&version_key, at).await.unwrap(), Some(2u16.encode()));
	assert_eq!(alice.storage(&mechanism_key, at).await.unwrap(), None, "MechanismConfig killed");
	let code = tensor_runtime::upgrade_drill::WASM_BINARY
		.expect("tensor-runtime was built without the drill's runtime (SKIP_WASM_BUILD?)");
	let t = Instant::now();
	let set = as_sudo(&alice, system(frame_system::Call::set_code { code: code.to_vec() })).await;
	assert!(
		set.events
			.iter()
			.any(|e| matches!(e, RuntimeEvent::System(frame_system::Event::CodeUpdated { .. }))),
		"set_code in block {} updated no code: {:?}",
		set.block_number,
		set.events
	);
	let new_spec = spec_version(&alice, Some(set.block_hash)).await;
	assert_eq!(new_spec, old_spec + 1, "the spec version after set_code");
	// The first block of the new code: migrated there, not before.
	let first_new = set.block_number + 1;
	let first_new_hash = net
		.wait_for("the first block of the new runtime", secs(60), async |seen| {
			let (best, fin) = heads(&alice).await;
			*seen = format!("best {best}, finalized {fin}; set_code in {}", set.block_number);
			alice.block_hash(first_new).await.unwrap().filter(|_| fin >= first_new)
		})
		.await;
	// The block after set_code's, on the same fork.
	let header: Value =
		alice.request("chain_getHeader", vec![json!(first_new_hash)]).await.unwrap();
	assert_eq!(header["parentHash"], json!(set.block_hash), "block {first_new}'s parent");
	let migrated = async |at: H256| {
		let version = alice.storage(&version_key, Some(at)).await.unwrap();
		let mechanism = alice.storage(&mechanism_key, Some(at)).await.unwrap();
		(version, mechanism.is_some())
	};
	assert_eq!(migrated(set.block_hash).await, (Some(2u16.encode()), false), "before the new code");
	assert_eq!(migrated(first_new_hash).await, (Some(3u16.encode()), true), "v2 -> v3 migrated");
	let state = check_invariants(&alice, first_new_hash).await;
	let miner_again = net
		.wait_for("the miner's weights after the upgrade", secs(120), async |seen| {
			weights_at(seen).await.filter(|&at| at > first_new)
		})
		.await;
	figures.push(format!(
		"drill 4: set_code (spec {old_spec} -> {new_spec}, {} KiB of wasm) in block {}; block \
		 {first_new} ran the new code and migrated storage version 2 -> 3; the incentive \
		 invariants hold on its finalized state ({state} keys); the miner's weights in block \
		 {miner_again}, {:.1} s after set_code was submitted",
		code.len() / 1024,
		set.block_number,
		t.elapsed().as_secs_f64()
	));

	// 5. Late joiners with empty base paths, in full and in warp sync: the full one executes
	// every block, across the upgrade.
	for (name, sync) in [("ferdie", "full"), ("eve", "warp")] {
		let (head, _) = finalized_head(&alice).await;
		let t = Instant::now();
		net.joiners.push(start_full_node(&spec, name, sync, &boot, dir));
		let node = net.joiners.last().unwrap();
		let joiner = net
			.wait_for(&format!("{name} to {sync}-sync"), secs(180), async |seen| {
				let client = try_connect(node).await?;
				let (best, fin) = heads(&client).await;
				*seen = format!("{name} at best {best}, finalized {fin}; Alice finalized {head}");
				(fin >= head).then_some(client)
			})
			.await;
		let synced = t.elapsed();
		// Compared at the joiner's finalized head (at least Alice's when it joined): a
		// warp-synced node has the state there, not at the blocks below its warp target.
		let (fin, hash) = finalized_head(&joiner).await;
		assert_eq!(alice.block_hash(fin).await.unwrap(), Some(hash), "{name}'s block {fin}");
		// Which sync ran: a warp-synced node never had the state of block 1 (it downloads the
		// state of its warp target only); a full-synced one executed every block (and keeps
		// the state of the last 256, or all here, archive).
		let first = alice.block_hash(1).await.unwrap().unwrap();
		let old_state =
			joiner.request::<Value>("state_getRuntimeVersion", vec![json!(first)]).await;
		if sync == "full" {
			same_chain(&alice, &joiner, fin, name).await;
			assert!(old_state.is_ok(), "{name} has no state at block 1: {old_state:?}");
		} else {
			assert!(old_state.is_err(), "{name} has the state of block 1: it did not warp");
		}
		let theirs: Value = joiner.request("incentive_emissions", vec![json!(hash)]).await.unwrap();
		let ours: Value = alice.request("incentive_emissions", vec![json!(hash)]).await.unwrap();
		assert_eq!(theirs, ours, "{name}'s incentive_emissions at block {fin}");
		assert!(ours["neurons"].as_array().is_some_and(|n| !n.is_empty()), "{ours}");
		figures.push(format!(
			"drill 3: {name} ({sync} sync, empty base path) finalized Alice's block {head} in \
			 {:.1} s; incentive_emissions at its finalized block {fin} equal Alice's",
			synced.as_secs_f64()
		));
	}

	eprintln!("figures ({:?} in all):\n{}", started.elapsed(), figures.join("\n"));
}

/// `call` dispatched as root: what the sudo key signs.
fn system(call: frame_system::Call<Runtime>) -> RuntimeCall {
	RuntimeCall::Sudo(pallet_sudo::Call::sudo_unchecked_weight {
		call: Box::new(RuntimeCall::System(call)),
		weight: Weight::zero(),
	})
}

/// Submits `call` as the `local` chain's sudo key (Alice) and asserts it dispatched.
async fn as_sudo(client: &ChainClient, call: RuntimeCall) -> Included {
	let included = client.submit(&Signer::from_suri("//Alice").unwrap(), call).await.unwrap();
	let sudid = included.events.iter().find_map(|e| match e {
		RuntimeEvent::Sudo(pallet_sudo::Event::Sudid { sudo_result }) => Some(*sudo_result),
		_ => None,
	});
	assert!(matches!(sudid, Some(Ok(()))), "sudo in block {}: {sudid:?}", included.block_number);
	included
}

/// The incentive pallet's on-chain storage version.
fn storage_version_key() -> Vec<u8> {
	storage_value_key("Incentive", ":__STORAGE_VERSION__:")
}

/// `Incentive::MechanismConfig`, the item storage version 3 added.
fn mechanism_key() -> Vec<u8> {
	storage_value_key("Incentive", "MechanismConfig")
}

/// `specVersion` of the runtime at block `at` (best when `None`).
async fn spec_version(client: &ChainClient, at: Option<H256>) -> u64 {
	let version: Value = client.request("state_getRuntimeVersion", vec![json!(at)]).await.unwrap();
	version["specVersion"].as_u64().unwrap()
}

/// Downloads the whole state at `at` and checks the incentive pallet's invariants
/// (`try_state`) on it natively; returns the number of keys.
async fn check_invariants(client: &ChainClient, at: H256) -> usize {
	const PAGE: usize = 1000;
	let mut top = std::collections::BTreeMap::new();
	let mut start: Option<String> = None;
	loop {
		let page = json!(PAGE);
		let params = vec![json!("0x"), page, json!(start), json!(at)];
		let keys: Vec<String> = client.request("state_getKeysPaged", params).await.unwrap();
		for key in &keys {
			let bytes = sp_core::bytes::from_hex(key).unwrap();
			top.insert(bytes.clone(), client.storage(&bytes, Some(at)).await.unwrap().unwrap());
		}
		if keys.len() < PAGE {
			break;
		}
		start = keys.last().cloned();
	}
	let keys = top.len();
	let storage = sp_core::storage::Storage { top, children_default: Default::default() };
	sp_io::TestExternalities::new(storage).execute_with(|| {
		// Not an empty state passing vacuously: the network's neurons are in it, and the
		// migration wrote the default mechanism.
		assert!(pallet_incentive::NeuronCount::<Runtime>::get() > 0, "no neurons at {at:?}");
		let mechanism = pallet_incentive::MechanismConfig::<Runtime>::get();
		assert_eq!(mechanism, pallet_incentive::MechanismParams::default());
		let checked = pallet_incentive::Pallet::<Runtime>::do_try_state();
		assert_eq!(checked, Ok(()), "the incentive invariants at block {at:?}");
	});
	keys
}

fn secs(s: u64) -> Duration {
	Duration::from_secs(s)
}
