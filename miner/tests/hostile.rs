//! Hostile peers on loopback: a miner never falls over because of a peer, keeps learning, and
//! gives the hostile peer no score.
//!
//! Each peer is a real axon (or a raw TCP server) answering `axon_forward` with something a
//! hostile or broken miner would send: huge values, a constant, values that flip sign every
//! call, nothing at all (a stall), or half a reply before closing the connection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tensor_miner::peers::{Axon, AxonConfig, Dendrite, Encoder, Served, Snapshot};
use tensor_miner::PeerLink;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DIM: usize = 16;

/// `±3e38` in every cell, the sign drawn per cell.
struct Huge(AtomicU64);
/// `7.0` in every cell.
struct Constant;
/// A fixed table of the token ids, negated on every other call.
struct SignFlip(AtomicU64);

impl Encoder for Huge {
	fn encode(&self, tokens: &[u32], _: usize) -> Vec<f32> {
		(0..tokens.len() * DIM)
			.map(|_| {
				let x = self.0.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
				if x.count_ones() % 2 == 0 {
					3.0e38
				} else {
					-3.0e38
				}
			})
			.collect()
	}
}

impl Encoder for Constant {
	fn encode(&self, tokens: &[u32], _: usize) -> Vec<f32> {
		vec![7.0; tokens.len() * DIM]
	}
}

impl Encoder for SignFlip {
	fn encode(&self, tokens: &[u32], _: usize) -> Vec<f32> {
		let sign = if self.0.fetch_add(1, Ordering::Relaxed) % 2 == 0 { 1.0 } else { -1.0 };
		tokens
			.iter()
			.flat_map(|&t| (0..DIM).map(move |i| sign * ((t as usize * 7 + i) % 13) as f32))
			.collect()
	}
}

fn runtime() -> tokio::runtime::Runtime {
	tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

async fn axon(encoder: Arc<dyn Encoder>) -> Axon {
	let served = Served::default();
	served.publish(Snapshot { encoder, dim: DIM, max_context: 64, version: 1 });
	Axon::start("127.0.0.1:0", served, AxonConfig::default()).await.unwrap()
}

/// A server that accepts, reads the request and then never answers.
async fn stalling() -> String {
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let addr = listener.local_addr().unwrap().to_string();
	tokio::spawn(async move {
		let mut held = Vec::new();
		while let Ok((mut sock, _)) = listener.accept().await {
			let mut buf = [0u8; 4096];
			let _ = sock.read(&mut buf).await;
			held.push(sock);
		}
	});
	addr
}

/// A server that answers half a reply and closes the connection.
async fn hanging_up() -> String {
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let addr = listener.local_addr().unwrap().to_string();
	tokio::spawn(async move {
		while let Ok((mut sock, _)) = listener.accept().await {
			tokio::spawn(async move {
				let mut buf = [0u8; 65536];
				let _ = sock.read(&mut buf).await;
				let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n";
				let _ = sock.write_all(head.as_bytes()).await;
				let _ =
					sock.write_all(br#"{"jsonrpc":"2.0","id":0,"result":{"protocol":2,"sh"#).await;
				let _ = sock.shutdown().await;
			});
		}
	});
	addr
}

#[test]
fn hostile_peers_get_no_score_and_training_goes_on() {
	let rt = runtime();
	let huge = rt.block_on(axon(Arc::new(Huge(AtomicU64::new(1)))));
	let constant = rt.block_on(axon(Arc::new(Constant)));
	let flip = rt.block_on(axon(Arc::new(SignFlip(AtomicU64::new(0)))));
	let stall = rt.block_on(stalling());
	let hang = rt.block_on(hanging_up());
	let names = ["huge", "constant", "sign flip", "stall", "hang up"];
	let peers =
		vec![huge.addr.to_string(), constant.addr.to_string(), flip.addr.to_string(), stall, hang];

	let text = common::corpus(400);
	let mut miner = common::miner(&text, peers.len(), 31);
	let max_dim = miner.config().model.max_peer_dim;
	let dendrite = Dendrite::new(&peers, Duration::from_millis(300), max_dim);
	miner.set_peers(PeerLink { dendrite, handle: rt.handle().clone() }).unwrap();
	let before = miner.evaluate().loss_no_peers;
	let started = Instant::now();
	for _ in 0..4 {
		common::train(&mut miner, 50);
		miner.evaluate_and_score().unwrap();
	}
	let after = miner.evaluate();
	let elapsed = started.elapsed();
	let scores = miner.scores().clone();
	eprintln!("{}\nloss {before:.3} -> {:.3} in {elapsed:?}", scores.render(), after.loss_no_peers);
	assert!(after.loss_no_peers < before - 1.0, "loss only went from {before} to {after:?}");
	for (k, name) in names.iter().enumerate() {
		let s = &scores.peers[k];
		assert!(s.score <= 0.02, "{name} peer scored {}", s.score);
	}
	// The constant peer sends nothing after normalization: it adds nothing itself, and leaving
	// it out only moves the gate's weight among the others.
	assert!(scores.peers[1].score.abs() < 1e-3, "constant peer scored {}", scores.peers[1].score);
	// The stalling and hanging-up peers are absent with a reason, and the circuit breaker keeps
	// the stall from costing a timeout at every one of the 200 steps: training and the
	// evaluations took well under the 61 s that 204 timeouts of 300 ms would add to them
	// (measured: 21 s in all).
	for k in [3, 4] {
		assert_eq!(scores.peers[k].present_rounds, 0, "{}", names[k]);
		assert!(scores.peers[k].last_absent.is_some());
	}
	assert!(elapsed < Duration::from_secs(50), "took {elapsed:?}");
	let weights = scores.weights();
	assert!(weights.iter().skip(1).all(|&(_, w)| w < 700), "weights {weights:?}");
	for axon in [huge, constant, flip] {
		rt.block_on(axon.stop());
	}
}
