//! End to end on the real binaries: the owner key registers a neuron with
//! `tensor-miner owner register --operator`, and a `tensor-miner run` holding only the operator
//! key (`--owner`, no `--stake`) accepts the role, announces the axon and posts the neuron's
//! weights; the operator key cannot move the stake, the owner key can.
//!
//! Needs the `tensor-node` binary (see `common/node.rs`). Every wait is bounded (2 minutes).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::miners::{corpus_of, spawn_run};
use common::node::start_dev_node;
use tensor_miner::chain::{Signer, TAO};

/// `tensor-miner owner` against `rpc_port`, signed by `suri`; returns (success, stdout+stderr).
fn owner(rpc_port: u16, suri: &str, action: &[&str]) -> (bool, String) {
	let out = Command::new(env!("CARGO_BIN_EXE_tensor-miner"))
		.args(["owner", "--node", &format!("ws://127.0.0.1:{rpc_port}"), "--suri", suri])
		.args(action)
		.output()
		.unwrap();
	let text =
		format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
	(out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_miner_with_only_the_operator_key_serves_a_neuron_the_owner_registered() {
	let dir = tempfile::tempdir().unwrap();
	let (node, client, rpc_port) = start_dev_node("instant", dir.path()).await;
	let owner_key = Signer::from_suri("//Ferdie").unwrap();
	let operator_key = Signer::from_suri("//Eve").unwrap();

	let (ok, text) = owner(
		rpc_port,
		"//Ferdie",
		&["register", "--stake", "100", "--max-fee", "10", "--operator", &operator_key.ss58()],
	);
	assert!(ok, "owner register failed: {text}");
	assert!(text.contains("OperatorOffered"), "{text}");

	let mut miner = spawn_run(
		"Eve",
		corpus_of("Eve"),
		&["--owner".to_string(), owner_key.ss58()],
		rpc_port,
		200,
		dir.path(),
	);
	let deadline = Instant::now() + Duration::from_secs(120);
	let neuron = loop {
		let m = client.metagraph().await.unwrap();
		let served = m.neuron_owned_by(&owner_key.ss58()).filter(|n| {
			n.operator == operator_key.ss58() && n.axon.is_some() && n.last_weights_at.is_some()
		});
		if let Some(n) = served {
			break n.clone();
		}
		assert!(
			Instant::now() < deadline,
			"the operator did not take over; metagraph {m:#?}\n{}",
			miner.proc.log_tail(20)
		);
		tokio::time::sleep(Duration::from_millis(300)).await;
	};
	// One neuron only: the operator key registered nothing of its own.
	let m = client.metagraph().await.unwrap();
	assert_eq!(m.neurons.len(), 1, "{m:#?}");
	assert_eq!(neuron.stake, 100 * TAO);
	assert!(!neuron.edges.is_empty());
	assert!(miner.proc.log_tail(200).contains("accepted the operator role of uid"));

	// The operator key cannot touch the stake; the owner key can.
	let (ok, text) = owner(rpc_port, "//Eve", &["remove-stake", "1"]);
	assert!(!ok && text.contains("NotOwner"), "{text}");
	let (ok, text) = owner(rpc_port, "//Ferdie", &["remove-stake", "1"]);
	assert!(ok, "{text}");
	assert!(text.contains("StakeRemoved"), "{text}");
	let (ok, text) = owner(rpc_port, "//Ferdie", &["show"]);
	assert!(ok && text.contains(&format!("operator {}", operator_key.ss58())), "{text}");

	miner.proc.kill_now();
	drop(node);
}
