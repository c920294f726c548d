//! End to end on the real binaries: a dev node (manual sealing, the test seals a block every
//! 500 ms) and three `tensor-miner run` processes: //Bob and //Charlie, pre-trained for 300 steps
//! with `tensor-miner train`, and //Dave, a new, small, hostile model that serves ±3e38 (Charlie and Dave
//! on the voyages, Bob on the stories). Within a bounded time
//! all three register, announce their axons and post weights; payouts follow rank, the hostile
//! miner ranks lowest, and total issuance is exactly genesis issuance + `total_paid` − the
//! transaction fees burned. Then Charlie is killed: Bob and Dave keep posting, and their next
//! weights leave Charlie out.
//!
//! Needs the `tensor-node` binary: `TENSOR_NODE`, or
//! `$HOME/.cache/incentive-chain/target/release/tensor-node` (see `common/node.rs`). About 10 s
//! on 2 cores (models are tiny, one thread each); every wait is bounded (at most 5 minutes in
//! all before it fails with the metagraph and the miners' logs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::miners::{
	corpus_of, fees_burned, pretrain, spawn_dave, spawn_miner, tensor_miner, uid_of, weights_peer,
	DropWatch, MinerProc, STAKE_TAO,
};
use common::node::start_dev_node;
use tensor_miner::chain::{ChainClient, Metagraph, Signer, TAO};

/// Polls the metagraph until `done` holds, or fails after `timeout` with the metagraph and the
/// miners' logs.
async fn wait_until(
	client: &ChainClient,
	miners: &[MinerProc],
	timeout: Duration,
	what: &str,
	mut done: impl FnMut(&Metagraph) -> bool,
) -> Metagraph {
	let deadline = Instant::now() + timeout;
	loop {
		let m = client.metagraph().await.unwrap();
		if done(&m) {
			return m;
		}
		if Instant::now() > deadline {
			let logs: Vec<String> = miners
				.iter()
				.map(|p| format!("--- {} ---\n{}", p.name, p.proc.log_tail(15)))
				.collect();
			panic!(
				"timed out after {timeout:?} waiting for {what}; metagraph: {m:#?}\n{}",
				logs.join("\n")
			);
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn miners_earn_by_rank_noise_ranks_lowest_and_a_dead_miner_drops_out() {
	let started = Instant::now();
	// Logs and data dirs go to a temporary dir, or to TENSOR_TEST_DIR to keep them.
	let tmp = tempfile::tempdir().unwrap();
	let dir = std::env::var_os("TENSOR_TEST_DIR").map(std::path::PathBuf::from);
	let dir = dir.as_deref().unwrap_or(tmp.path());
	std::fs::create_dir_all(dir).unwrap();
	let (node, client, rpc_port) = start_dev_node("manual", dir).await;
	let client = Arc::new(client);

	// Seal a block every 500 ms until the test ends.
	let sealing = Arc::new(AtomicBool::new(true));
	let sealer = {
		let client = client.clone();
		let sealing = sealing.clone();
		tokio::spawn(async move {
			while sealing.load(Ordering::Relaxed) {
				let _ = client.create_block().await;
				tokio::time::sleep(Duration::from_millis(500)).await;
			}
		})
	};

	// Bob and Charlie come with 300 steps of training; Dave starts from nothing (and learns
	// slowly), so their features save Dave real loss and Dave's weights to them are clear, while
	// Dave serves ±3e38 in every cell, which saves them nothing and must not stop their
	// training. Dave must end up ranked lowest.
	pretrain("Bob", dir, 300);
	pretrain("Charlie", dir, 300);
	eprintln!("pre-trained Bob and Charlie ({:?})", started.elapsed());
	let mut miners = vec![
		spawn_miner("Bob", corpus_of("Bob"), "0.01", rpc_port, 300, dir),
		spawn_miner("Charlie", corpus_of("Charlie"), "0.01", rpc_port, 300, dir),
		spawn_dave(corpus_of("Dave"), rpc_port, 300, dir),
	];
	let signers: Vec<Signer> = miners.iter().map(|m| m.signer.clone()).collect();

	// 1. All registered with their stake and axons, and weights from each on chain.
	let m =
		wait_until(&client, &miners, Duration::from_secs(120), "registration and weights", |m| {
			signers.iter().all(|s| {
				m.neuron_operated_by(&s.ss58()).is_some_and(|n| {
					n.axon.is_some() && n.last_weights_at.is_some() && !n.edges.is_empty()
				})
			})
		})
		.await;
	let uids: Vec<u16> = signers.iter().map(|s| uid_of(&m, s).unwrap()).collect();
	eprintln!("registered and weighted by block {} ({:?})", m.block.number, started.elapsed());
	for n in &m.neurons {
		assert!(n.stake >= STAKE_TAO * TAO, "uid {} stake {}", n.uid, n.stake);
	}

	// 2. Ranks from those weights: wait for payouts in which the hostile miner (Dave) ranks lowest.
	let noise = uids[2];
	let m = wait_until(&client, &miners, Duration::from_secs(150), "noise ranking lowest", |m| {
		let weighted =
			signers.iter().all(|s| m.neuron_operated_by(&s.ss58()).is_some_and(|n| n.rank > 0.0));
		let dave = m.neuron(noise).map(|n| n.rank).unwrap_or(1.0);
		weighted
			&& m.neurons.iter().filter(|n| n.uid != noise).all(|n| n.rank > dave)
			&& m.neurons.iter().all(|n| n.total_emission > 0)
	})
	.await;
	let ranks: Vec<(u16, f64, u128)> =
		m.neurons.iter().map(|n| (n.uid, n.rank, n.last_emission)).collect();
	eprintln!("ranks at block {}: {ranks:?} ({:?})", m.block.number, started.elapsed());

	// Payouts follow rank, as incentive_emissions reports them, at one block.
	let at: sp_core::H256 = serde_json::from_value(serde_json::json!(m.block.hash)).unwrap();
	let e = client.emissions(Some(at)).await.unwrap();
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
	assert!(e.neurons.iter().filter(|n| n.uid != noise).all(|n| n.last_emission > dave_paid));

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
	eprintln!(
		"issuance {now} = genesis {genesis} + paid {} - fees {fees} ({:?})",
		m.total_paid,
		started.elapsed()
	);

	// 3. A consumer asks the network about a text: `tensor-miner query` with a model none of
	// the running miners writes to finds the three serving neurons, best rank first, and each
	// answers with its hidden states (Dave's are ±3e38, of the right shape, 8 wide).
	pretrain("Eve", dir, 50);
	let node_url = format!("ws://127.0.0.1:{rpc_port}");
	let eve = dir.join("Eve");
	let args = ["query", "--node", &node_url, "--data-dir", eve.to_str().unwrap(), "--json"];
	let json = tensor_miner(&[&args[..], &["the old fox chases the owl again ."]].concat(), {
		Duration::from_secs(60)
	});
	let report: serde_json::Value = serde_json::from_str(&json).unwrap();
	let answers = report["peers"].as_array().unwrap();
	let asked: Vec<u64> = answers.iter().map(|p| p["uid"].as_u64().unwrap()).collect();
	assert_eq!(asked.len(), 3, "{report}");
	let ranks: Vec<f64> = answers.iter().map(|p| p["rank"].as_f64().unwrap()).collect();
	assert!(ranks.windows(2).all(|w| w[0] >= w[1]), "not by rank: {report}");
	for p in answers {
		// Dave's model is 8 wide, the others 32.
		let dim = if p["uid"] == serde_json::json!(uids[2]) { 8 } else { 32 };
		assert_eq!(p["dim"], dim, "{report}");
		assert!(p["error"].is_null() && p["saved"].is_f64(), "{report}");
	}
	assert!(report["loss_alone"].as_f64().unwrap().is_finite());
	eprintln!("query answered by uids {asked:?} ({:?})", started.elapsed());

	// 4. Kill Charlie. Bob and Dave go on; their second post after the kill comes from an
	// evaluation that ran after it, in which Charlie's axon was dead: no weight for Charlie.
	// Wait until a survivor's weights name Charlie, so that "dropped" below means something.
	// Which one is up to training: Dave (a new model) usually learns from Charlie, but a run in
	// which only Bob finds Charlie useful (or the other way round) is as good a test.
	let charlie = uids[1];
	let before = wait_until(
		&client,
		&miners,
		Duration::from_secs(60),
		"Bob or Dave weighting Charlie",
		|m| weights_peer(m, uids[0], charlie) || weights_peer(m, uids[2], charlie),
	)
	.await;
	let edges_before: Vec<_> =
		[0, 2].iter().map(|&i| before.neuron(uids[i]).unwrap().edges.clone()).collect();
	let killed_at = client.best_number().await.unwrap();
	miners[1].proc.kill_now();
	let mut watch = DropWatch::new(&[(&signers[0], 0), (&signers[2], 2)], charlie, killed_at, 3);
	let m = wait_until(&client, &miners, Duration::from_secs(90), "weights without Charlie", |m| {
		watch.dropped(m)
	})
	.await;
	watch.assert_survivors_serve(&mut miners, &m);
	let edges_after: Vec<_> =
		[0, 2].iter().map(|&i| m.neuron(uids[i]).unwrap().edges.clone()).collect();
	eprintln!(
		"Charlie (uid {charlie}) killed at block {killed_at}, dropped from weights by block {} \
		 ({:?}); Bob, Dave edges before {edges_before:?}, after {edges_after:?}",
		m.block.number,
		started.elapsed()
	);

	sealing.store(false, Ordering::Relaxed);
	let _ = sealer.await;
	drop(miners);
	drop(node);
}
