//! Drill 6: the largest graph the runtime admits, 4,096 neurons of 256 edges each, from genesis
//! on a node with default flags (but manual sealing, to time the blocks). The genesis gives each
//! neuron's weights packed (`"uid:weight,…"`): the list form of this graph does not fit the
//! wasm allocator once the node pretty-prints the genesis config (see the pallet's
//! `genesis_neurons`). Asserted on chain state: the chain starts, the first payout runs (in
//! wasm: the node has no native runtime) and pays every neuron, `incentive_metagraph` answers
//! with the whole graph within the node's default 15 MB response limit, and the miner's client
//! reads the same graph in pages (what it does whatever the graph's size, since neurons decide
//! how wide their entries are). The figures are printed (and recorded in docs/benchmarks.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::node::{connect_when_up, free_port, node_binary, Proc};
use serde_json::{json, Value};
use sp_core::crypto::{AccountId32, Ss58Codec};
use tensor_miner::chain::client::METAGRAPH_PAGE;

const NEURONS: u32 = 4096;
const EDGES: u32 = 256;
const TAO: u128 = 1_000_000_000;

/// The dev chain with `NEURONS` genesis neurons of `EDGES` edges (a ring with varied weights,
/// so the ranking has work to do), a payout every 2 blocks, written to `dir`.
fn largest_spec(dir: &std::path::Path) -> std::path::PathBuf {
	let out = Command::new(node_binary()).args(["build-spec", "--chain", "dev"]).output().unwrap();
	assert!(out.status.success(), "build-spec: {}", String::from_utf8_lossy(&out.stderr));
	let mut spec: Value = serde_json::from_slice(&out.stdout).unwrap();
	let patch = &mut spec["genesis"]["runtimeGenesis"]["patch"];
	let params = &mut patch["incentive"]["params"];
	params["maxNeurons"] = json!(NEURONS);
	params["maxEdges"] = json!(EDGES);
	params["tempo"] = json!(2);
	params["weightsRateLimit"] = json!(0);
	let stake = 1000 * TAO;
	let accounts: Vec<String> = (0..NEURONS)
		.map(|i| AccountId32::from(sp_io::hashing::blake2_256(&i.to_le_bytes())).to_ss58check())
		.collect();
	let balances = patch["balances"]["balances"].as_array_mut().unwrap();
	let free = u64::try_from(10 * stake).unwrap();
	balances.extend(accounts.iter().map(|a| json!([a, free])));
	let neurons: Vec<Value> = accounts
		.iter()
		.zip(0u32..)
		.map(|(account, uid)| {
			let edges: Vec<String> = (0..EDGES)
				.map(|k| format!("{}:{}", (uid + k) % NEURONS, 1 + (uid * 7 + k * 13) % 1000))
				.collect();
			let staked = u64::try_from(stake + u128::from(uid) * TAO).unwrap();
			json!([account, staked, edges.join(",")])
		})
		.collect();
	patch["incentive"]["neurons"] = json!(neurons);
	let path = dir.join("largest.json");
	std::fs::write(&path, serde_json::to_vec(&spec).unwrap()).unwrap();
	path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_graph_starts_pays_in_wasm_and_answers_rpc() {
	let dir = tempfile::tempdir().unwrap();
	let spec = largest_spec(dir.path());
	let spec_mb = std::fs::metadata(&spec).unwrap().len() as f64 / 1e6;

	// Default flags but for the dev key and manual sealing: no --rpc-max-response-size.
	let rpc_port = free_port();
	let mut cmd = Command::new(node_binary());
	cmd.args(["--chain", spec.to_str().unwrap(), "--alice", "--tmp", "--sealing", "manual"])
		.args(["--no-prometheus", "--no-telemetry", "--no-mdns", "--node-key", &"1".repeat(64)])
		.args(["--rpc-port", &rpc_port.to_string(), "--port", &free_port().to_string()]);
	let started = Instant::now();
	let node = Proc::spawn(cmd, dir.path().join("node.log"));
	let client = connect_when_up(&node, rpc_port, Duration::from_secs(300)).await;
	let up = started.elapsed();

	// Tempo 2: block 2 ranks the genesis graph and pays.
	let mut sealed = Vec::new();
	for _ in 0..3 {
		let t = Instant::now();
		client.create_block().await.unwrap();
		sealed.push(t.elapsed());
	}
	let emissions = client.emissions(None).await.unwrap();
	assert_eq!(emissions.block.number, 3);
	assert_eq!(emissions.neurons.len(), NEURONS as usize);
	assert!(emissions.neurons.iter().all(|n| n.last_emission > 0 && n.rank > 0.0), "all paid");
	let paid: u128 = emissions.neurons.iter().map(|n| n.last_emission).sum();
	assert_eq!(paid, emissions.total_last_emission);
	let size = |v: &Value| serde_json::to_vec(v).unwrap().len() as f64 / 1e6;
	let emissions_mb = size(&client.request("incentive_emissions", vec![]).await.unwrap());

	let raw: Value = client.request("incentive_metagraph", vec![]).await.unwrap_or_else(|e| {
		panic!("incentive_metagraph of the largest graph: {e}\n{}", node.log_tail(10))
	});
	let metagraph_mb = size(&raw);
	let neurons = raw["neurons"].as_array().unwrap();
	assert_eq!(neurons.len(), NEURONS as usize);
	assert!(neurons.iter().all(|n| n["edges"].as_array().unwrap().len() == EDGES as usize));

	// The miner's way: pages at one block.
	let t = Instant::now();
	let paged = client.metagraph().await.unwrap();
	let paged_s = t.elapsed().as_secs_f64();
	assert_eq!(paged.neurons.len(), NEURONS as usize);
	assert_eq!(paged.block.number, 3);
	for (neuron, uid) in paged.neurons.iter().zip(0u16..) {
		assert_eq!((neuron.uid, neuron.edges.len()), (uid, EDGES as usize));
		assert_eq!(
			neuron.edges,
			serde_json::from_value::<Vec<(u16, u16)>>(neurons[usize::from(uid)]["edges"].clone())
				.unwrap()
		);
	}
	let page = METAGRAPH_PAGE;
	let first: Value = client
		.request("incentive_metagraph", vec![json!(null), json!(0), json!(page)])
		.await
		.unwrap();
	assert_eq!(first["next_uid"], json!(page));
	let page_mb = size(&first);
	eprintln!(
		"largest graph ({NEURONS} x {EDGES}): spec {spec_mb:.1} MB; RPC up {:.1} s after the \
		 start; blocks sealed in {:?} (block 2 the payout); incentive_emissions {emissions_mb:.2} MB, \
		 incentive_metagraph {metagraph_mb:.2} MB; in pages of {page} neurons: {page_mb:.2} MB \
		 a page, the whole graph read in {paged_s:.2} s",
		up.as_secs_f64(),
		sealed
	);
}
