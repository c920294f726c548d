//! End to end on the real binaries, on a real network: two validator nodes, Alice and Bob, the
//! only Aura and GRANDPA authorities of a chain spec made here from `build-spec --chain local`
//! (default `--sealing aura`: a block every 6-second slot, finalized by GRANDPA), and three
//! `tensor-miner run` processes: //Bob and //Charlie, pre-trained for 300 steps on different text
//! and training on their own with some of the other's (so that, for a while, one finds the
//! other useful), and //Dave, a new, small model that serves ±3e38 (hostile). //Bob's miner
//! talks to Bob's node, the others to Alice's. Within a bounded time all three register and post
//! weights; payouts follow rank, the hostile miner ranks lowest (under attribution), and total
//! issuance is exactly genesis issuance + `total_paid` − the transaction fees burned, all read at a finalized block (so at one that both nodes agree on).
//! Then Charlie is killed: Bob and Dave keep posting, and their next weights leave Charlie out.
//!
//! The network runs twice, one after the other (they share ports): under the attribution walk,
//! and under consensus with commit-reveal required, where the miners commit and reveal their
//! weights, and nobody supports Dave (zero incentive) while he judges the others; his dividends
//! for that judging can put him above an honest miner nobody judges (see stage 2).
//!
//! Needs the `tensor-node` binary: `TENSOR_NODE`, or
//! `$HOME/.cache/incentive-chain/target/release/tensor-node` (see `common/node.rs`). About two
//! minutes (6-second blocks); every wait is bounded, and the whole test fails after 6 minutes
//! with the metagraph and the nodes' and miners' logs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::miners::{
	fees_burned, market_corpus, pretrain, spawn_dave, spawn_miner, uid_of, weights_peer, DropWatch,
	MinerProc, STAKE_TAO,
};
use common::node::{
	connect_when_up, finalized_head, local_spec, peer_id_of, start_validator, Validator,
};
use serde_json::{json, Value};
use sp_core::H256;
use tensor_miner::chain::{ChainClient, Metagraph, Signer, TAO};

/// Payout every `TEMPO` blocks (18 s at 6-second slots).
const TEMPO: u32 = 3;
/// The whole test fails after this long.
const TEST_LIMIT: Duration = Duration::from_secs(360);

/// Which block a wait reads the metagraph at.
#[derive(Clone, Copy, PartialEq)]
enum At {
	Best,
	Finalized,
}

/// The test's view of the network: a client of Alice's node, the processes (for failure
/// messages) and the test's deadline.
struct Net<'a> {
	client: &'a ChainClient,
	nodes: &'a [Validator],
	miners: &'a [MinerProc],
	started: Instant,
}

impl Net<'_> {
	/// The last lines of every node's and miner's log.
	fn logs(&self) -> String {
		let nodes =
			self.nodes.iter().map(|v| format!("--- node {} ---\n{}", v.name, v.proc.log_tail(12)));
		let miners = self
			.miners
			.iter()
			.map(|p| format!("--- miner {} ---\n{}", p.name, p.proc.log_tail(15)));
		nodes.chain(miners).collect::<Vec<_>>().join("\n")
	}

	/// Fails with `what`, the metagraph and the logs when the test's time is up or `stage` has
	/// run out.
	fn check_time(&self, stage_deadline: Instant, what: &str, m: &dyn std::fmt::Debug) {
		let now = Instant::now();
		if now > self.started + TEST_LIMIT || now > stage_deadline {
			panic!(
				"timed out waiting for {what} ({:?} into the test, limit {TEST_LIMIT:?}); metagraph: \
				 {m:#?}\n{}",
				self.started.elapsed(),
				self.logs()
			);
		}
	}

	/// Polls the metagraph at the best or the finalized head until `done` holds.
	async fn wait_until(
		&self,
		at: At,
		timeout: Duration,
		what: &str,
		mut done: impl FnMut(&Metagraph) -> bool,
	) -> Metagraph {
		let deadline = Instant::now() + timeout;
		loop {
			let m = match at {
				At::Best => self.client.metagraph().await.unwrap(),
				At::Finalized => {
					self.client.metagraph_at(finalized_head(self.client).await.1).await.unwrap()
				}
			};
			if done(&m) {
				return m;
			}
			self.check_time(deadline, what, &m);
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
	}
}

/// The index of the Aura authority that sealed block `hash` (its slot modulo the number of
/// authorities): from the `PreRuntime(*b"aura", slot)` digest item, SCALE `0x06 61757261 20
/// <u64 LE>`.
async fn aura_author(client: &ChainClient, hash: H256, authorities: u64) -> u64 {
	let header: Value = client.request("chain_getHeader", vec![json!(hash)]).await.unwrap();
	let logs = header["digest"]["logs"].as_array().unwrap();
	let item = logs
		.iter()
		.filter_map(Value::as_str)
		.find(|l| l.starts_with("0x066175726120"))
		.unwrap_or_else(|| panic!("no Aura pre-digest in {header}"));
	let bytes = sp_core::bytes::from_hex(item).unwrap();
	let slot = u64::from_le_bytes(bytes[6..14].try_into().unwrap());
	slot % authorities
}

/// How many `WeightsCommitted` events blocks `1..=last` hold.
async fn commits_in(client: &ChainClient, last: u64) -> usize {
	let mut total = 0;
	for n in 1..=last {
		let hash = client.block_hash(n).await.unwrap().expect("block exists");
		let events = client.events(hash).await.unwrap();
		total += events
			.iter()
			.filter(|record| {
				matches!(
					record.event,
					tensor_runtime::RuntimeEvent::Incentive(
						pallet_incentive::Event::WeightsCommitted { .. }
					)
				)
			})
			.count();
	}
	total
}

/// The two networks share ports: one at a time.
static ONE_NETWORK: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::await_holding_lock)] // the guard only orders the tests; nothing else takes it
async fn two_validators_finalize_miners_earn_by_rank_and_a_dead_miner_drops_out() {
	let _one = ONE_NETWORK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
	network(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::await_holding_lock)]
async fn under_consensus_with_commit_reveal_nobody_supports_the_noise_miner() {
	let _one = ONE_NETWORK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
	network(Some(json!({
		"mechanism": "consensus",
		"commitRevealRequired": true,
		"revealDelay": 1,
		"revealWindow": 6,
	})))
	.await;
}

/// The whole scenario, under the attribution walk (`None`) or the given mechanism parameters.
async fn network(mechanism: Option<Value>) {
	let consensus = mechanism.is_some();
	let started = Instant::now();
	// Logs, bases and data dirs go to a temporary dir, or to TENSOR_TEST_DIR to keep them.
	let tmp = tempfile::tempdir().unwrap();
	let dir = std::env::var_os("TENSOR_TEST_DIR").map(PathBuf::from);
	let dir = dir.as_deref().unwrap_or(tmp.path());
	std::fs::create_dir_all(dir).unwrap();

	// 0. The network: Alice with a fixed node key, Bob bootstrapping from her.
	let spec = local_spec(dir, 2, TEMPO, mechanism);
	let alice_key = format!("{:064x}", 1);
	let bob_key = format!("{:064x}", 2);
	let alice_id = peer_id_of(&alice_key, dir);
	let alice = start_validator(&spec, "alice", &alice_key, None, dir);
	let boot = alice.multiaddr(&alice_id);
	let bob = start_validator(&spec, "bob", &bob_key, Some(&boot), dir);
	let client = connect_when_up(&alice.proc, alice.rpc_port, Duration::from_secs(120)).await;
	let bob_client = connect_when_up(&bob.proc, bob.rpc_port, Duration::from_secs(120)).await;
	assert_eq!(client.genesis_hash(), bob_client.genesis_hash());
	let nodes = [alice, bob];
	let no_miners: [MinerProc; 0] = [];
	let net = Net { client: &client, nodes: &nodes, miners: &no_miners, started };
	let peers_deadline = Instant::now() + Duration::from_secs(60);
	loop {
		let health: Value = client.request("system_health", vec![]).await.unwrap();
		if health["peers"].as_u64() == Some(1) {
			break;
		}
		net.check_time(peers_deadline, "Alice and Bob to peer", &health);
		tokio::time::sleep(Duration::from_millis(300)).await;
	}
	eprintln!("Alice and Bob peered ({:?})", started.elapsed());

	// Bob and Charlie come with 300 steps of training, Bob on the stories and Charlie on the
	// voyages, and go on training on their own text with a line of the other's after every
	// eighth: each knows what the other's text is short of (until it learns it). Dave starts
	// from nothing (and learns slowly) on the voyages with some stories, so both Bob and
	// Charlie save him loss, and serves ±3e38, which saves the others nothing: nobody may
	// support him (see stage 2 for what he earns).
	pretrain("Bob", dir, 300);
	pretrain("Charlie", dir, 300);
	eprintln!("pre-trained Bob and Charlie ({:?})", started.elapsed());
	let mut miners = vec![
		spawn_miner("Bob", &market_corpus("Bob", dir), "0.01", nodes[1].rpc_port, 500, dir),
		spawn_miner("Charlie", &market_corpus("Charlie", dir), "0.01", nodes[0].rpc_port, 500, dir),
		spawn_dave(&market_corpus("Dave", dir), nodes[0].rpc_port, 500, dir),
	];
	let signers: Vec<Signer> = miners.iter().map(|m| m.signer.clone()).collect();
	let net = Net { client: &client, nodes: &nodes, miners: &miners, started };

	// 1. All registered with their stake and axons, and weights from each on chain.
	let m = net
		.wait_until(At::Best, Duration::from_secs(150), "registration and weights", |m| {
			signers.iter().all(|s| {
				m.neuron_operated_by(&s.ss58()).is_some_and(|n| {
					n.axon.is_some() && n.last_weights_at.is_some() && !n.edges.is_empty()
				})
			})
		})
		.await;
	let uids: Vec<u16> = signers.iter().map(|s| uid_of(&m, s).unwrap()).collect();
	eprintln!(
		"registered and weighted by block {} (uids Bob, Charlie, Dave: {uids:?}) ({:?})",
		m.block.number,
		started.elapsed()
	);
	for n in &m.neurons {
		assert!(n.stake >= STAKE_TAO * TAO, "uid {} stake {}", n.uid, n.stake);
	}

	// 2. Ranks from those weights, read at the finalized head. Under attribution: payouts in
	// which every miner has rank and the hostile one (Dave) the least. Under consensus: payouts
	// in which Dave judges the others (his weights name one) and nobody supports him (incentive
	// zero) while an honest miner has incentive. Whether Dave then ranks lowest depends on who
	// else judges: dividends pay honest judging, his too, at most half his share of the stake
	// (docs/consensus.md, step 7). When Bob and Charlie judge each other he ranked lowest
	// (shares 0.46, 0.30, 0.24); when he alone judged (Charlie), Bob, who judged nobody and
	// whom nobody judged, got nothing (0.83, 0, 0.17). The test prints which it saw; it does
	// not assert it.
	let noise = uids[2];
	let what = if consensus { "no incentive for noise" } else { "noise ranking lowest" };
	let m = net
		.wait_until(At::Finalized, Duration::from_secs(180), what, |m| {
			let Some(dave) = m.neuron(noise) else { return false };
			if consensus {
				let judges = dave.edges.iter().any(|&(uid, w)| uid != noise && w > 0);
				let incentive = m.neurons.iter().any(|n| n.uid != noise && n.incentive > 0.0);
				return judges && dave.incentive == 0.0 && incentive;
			}
			let weighted = signers
				.iter()
				.all(|s| m.neuron_operated_by(&s.ss58()).is_some_and(|n| n.rank > 0.0));
			let above_dave =
				m.neurons.iter().filter(|n| n.uid != noise).all(|n| n.rank > dave.rank);
			weighted && above_dave && m.neurons.iter().all(|n| n.total_emission > 0)
		})
		.await;
	let at: H256 = serde_json::from_value(json!(m.block.hash)).unwrap();
	let ranks: Vec<(u16, f64, u128)> =
		m.neurons.iter().map(|n| (n.uid, n.rank, n.last_emission)).collect();
	eprintln!("ranks at finalized block {}: {ranks:?} ({:?})", m.block.number, started.elapsed());
	if consensus {
		// The miners' weights on chain came through commit and reveal (plain `set_weights` is
		// refused): at least one commit each.
		assert_eq!(m.mechanism.mechanism, "consensus");
		assert!(m.mechanism.commit_reveal_required);
		let commits = commits_in(&client, m.block.number).await;
		assert!(commits >= 3, "{commits} commits by block {}", m.block.number);
	}

	// Payouts follow rank, as incentive_emissions reports them, at that block.
	let e = client.emissions(Some(at)).await.unwrap();
	assert_eq!(e.block.number, m.block.number);
	assert_eq!(e.tempo, TEMPO);
	assert_eq!(e.total_paid, m.total_paid);
	assert_eq!(e.total_last_emission, e.neurons.iter().map(|n| n.last_emission).sum::<u128>());
	let paid = e.total_last_emission as f64;
	assert!(paid > 0.0);
	for n in &e.neurons {
		let share = n.last_emission as f64 / paid;
		assert!(
			(share - n.rank).abs() < 1e-6,
			"uid {} paid share {share} but rank {}",
			n.uid,
			n.rank
		);
	}
	let dave_paid = e.neurons.iter().find(|n| n.uid == noise).unwrap().last_emission;
	let dave_least =
		e.neurons.iter().filter(|n| n.uid != noise).all(|n| n.last_emission > dave_paid);
	if consensus {
		eprintln!("consensus: the noise miner, who judges, paid least: {dave_least}");
		// What the judging share guarantees (docs/consensus.md, step 7): in a payout before
		// which he held no bonds, Dave, with no incentive, is paid at most `dividend_share` (1/2
		// here) times his share of the stake that ranked (the stake on chain the block before
		// the payout; nobody here unstakes). With a fixed dividend share a lone judge took the
		// whole half, whatever his stake. Older bonds can pay him more, so then it is printed.
		let last = e.next_payout_block.map_or(0, |b| u64::from(b).saturating_sub(u64::from(TEMPO)));
		let hash = client.block_hash(last.saturating_sub(1)).await.unwrap().unwrap();
		let before = client.metagraph_at(hash).await.unwrap();
		let raw: Value = client.request("incentive_metagraph", vec![json!(hash)]).await.unwrap();
		let mut dave_raw = raw["neurons"].as_array().unwrap().iter();
		let dave_raw = dave_raw.find(|n| n["uid"].as_u64() == Some(u64::from(noise)));
		let fresh =
			dave_raw.unwrap()["bonds"].as_array().expect("bonds in the metagraph").is_empty();
		let stake = |uid: u16| before.neuron(uid).map_or(0.0, |n| n.stake as f64);
		let total: f64 = before.neurons.iter().map(|n| n.stake as f64).sum();
		let bound = 0.5 * stake(noise) / total;
		let dave_rank = m.neuron(noise).unwrap().rank;
		eprintln!(
			"consensus: the noise miner's share {dave_rank:.5}, bound {bound:.5} (no bonds \
			 before the payout at {last}: {fresh})"
		);
		assert!(
			!fresh || dave_rank <= bound + 1e-9,
			"the noise miner took {dave_rank} of the pot at block {last}, above half his stake \
			 share {bound}: {:?}",
			m.neurons
		);
	} else {
		assert!(dave_least, "the noise miner is not paid least: {:?}", e.neurons);
	}
	// The last payout is at or before this block, and the block is final: both nodes have it at
	// this height, and finality has gone on past it.
	let payout = e.next_payout_block.map(|b| u64::from(b).saturating_sub(u64::from(TEMPO)));
	assert!(payout.is_some_and(|p| p <= m.block.number), "last payout {payout:?}");
	let fin_deadline = Instant::now() + Duration::from_secs(60);
	let (fin_alice, fin_bob) = loop {
		let (a, _) = finalized_head(&client).await;
		let (b, _) = finalized_head(&bob_client).await;
		if a > m.block.number && b > m.block.number {
			break (a, b);
		}
		net.check_time(fin_deadline, "finality past the payout block on both nodes", &(a, b));
		tokio::time::sleep(Duration::from_millis(500)).await;
	};
	assert_eq!(client.block_hash(m.block.number).await.unwrap(), Some(at));
	assert_eq!(bob_client.block_hash(m.block.number).await.unwrap(), Some(at));
	let best = client.best_number().await.unwrap();
	let mut sealed = [0u32; 2];
	for n in 1..=m.block.number {
		let hash = client.block_hash(n).await.unwrap().unwrap();
		sealed[aura_author(&client, hash, 2).await as usize] += 1;
	}
	assert!(sealed.iter().all(|&s| s > 0), "blocks sealed by Alice, Bob: {sealed:?}");
	eprintln!(
		"last payout at block {payout:?}, finalized past it: Alice at {fin_alice}, Bob at \
		 {fin_bob} (best {best}); blocks 1..={} sealed by Alice, Bob: {sealed:?}",
		m.block.number
	);

	// Issuance is exact: genesis + everything paid − fees burned, all at block `at`.
	let genesis = client.total_issuance(Some(client.genesis_hash())).await.unwrap();
	let now = client.total_issuance(Some(at)).await.unwrap();
	let fees = fees_burned(&client, m.block.number).await;
	assert_eq!(
		now,
		genesis + m.total_paid - fees,
		"genesis {genesis} paid {} fees {fees}",
		m.total_paid
	);
	assert_eq!(bob_client.total_issuance(Some(at)).await.unwrap(), now);
	eprintln!(
		"issuance {now} = genesis {genesis} + paid {} - fees {fees} ({:?})",
		m.total_paid,
		started.elapsed()
	);

	// 3. Kill Charlie. Bob and Dave go on; their second post after the kill comes from an
	// evaluation that ran after it, in which Charlie's axon was dead: no weight for Charlie.
	// Wait until a survivor's weights name Charlie, so that "dropped" below means something.
	// Which one is up to training: Dave (a new model) usually learns from Charlie, but a run in
	// which only Bob finds Charlie useful (or the other way round) is as good a test.
	let charlie = uids[1];
	let before = net
		.wait_until(At::Best, Duration::from_secs(90), "Bob or Dave weighting Charlie", |m| {
			weights_peer(m, uids[0], charlie) || weights_peer(m, uids[2], charlie)
		})
		.await;
	let edges_before: Vec<_> =
		[0, 2].iter().map(|&i| before.neuron(uids[i]).unwrap().edges.clone()).collect();
	let killed_at = client.best_number().await.unwrap();
	miners[1].proc.kill_now();
	let net = Net { client: &client, nodes: &nodes, miners: &miners, started };
	let mut watch = DropWatch::new(&[(&signers[0], 0), (&signers[2], 2)], charlie, killed_at, 3);
	let m = net
		.wait_until(At::Best, Duration::from_secs(120), "weights without Charlie", |m| {
			watch.dropped(m)
		})
		.await;
	watch.assert_survivors_serve(&mut miners, &m);
	let edges_after: Vec<_> =
		[0, 2].iter().map(|&i| m.neuron(uids[i]).unwrap().edges.clone()).collect();
	eprintln!(
		"Charlie (uid {charlie}) killed at block {killed_at}, dropped from weights by block {} \
		 ({:?}); Bob, Dave edges before {edges_before:?}, after {edges_after:?}; posts after the \
		 kill (Bob, Dave): {:?}, {:?}",
		m.block.number,
		started.elapsed(),
		watch.posts[0],
		watch.posts[2]
	);
	let (fin, _) = finalized_head(&client).await;
	eprintln!("done at best block {}, finalized {fin} ({:?})", m.block.number, started.elapsed());

	drop(miners);
	drop(nodes);
}
