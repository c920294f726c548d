//! An axon that knows who is asking: signed requests are verified and replays refused, and a
//! flood from callers it does not know leaves its registered callers served (load test).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonrpsee::core::client::{ClientT, Error as ClientError};
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;
use tensor_miner::chain::Signer;
use tensor_miner::peers::auth::{now_ms, Callers};
use tensor_miner::peers::wire::ForwardResponse;
use tensor_miner::peers::{Axon, AxonConfig, Dendrite, Encoder, Served, Snapshot};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A model that takes `0` to answer, 4 wide.
struct Slow(Duration);

impl Encoder for Slow {
	fn encode(&self, tokens: &[u32], _: usize) -> Vec<f32> {
		std::thread::sleep(self.0);
		(0..tokens.len() * 4).map(|i| i as f32).collect()
	}
}

fn error_of(e: ClientError) -> (i32, String) {
	match e {
		ClientError::Call(obj) => (obj.code(), obj.message().to_string()),
		other => panic!("expected a JSON-RPC error, got {other}"),
	}
}

/// An axon signing as //Axon that knows `known` (priority = index + 1).
async fn axon(model: Duration, known: &[&Signer], require_signature: bool) -> (Axon, Signer) {
	let me = Signer::from_suri("//Axon").unwrap();
	let served = Served::default();
	let encoder = Arc::new(Slow(model));
	served.publish(Snapshot { encoder, dim: 4, max_context: 16, version: 1 });
	let callers = Callers::default();
	let table: HashMap<String, u128> =
		known.iter().enumerate().map(|(i, s)| (s.ss58(), i as u128 + 1)).collect();
	callers.set(table);
	let config = AxonConfig {
		identity: Some(me.account()),
		callers: Some(callers),
		require_signature,
		..Default::default()
	};
	(Axon::start("127.0.0.1:0", served, config).await.unwrap(), me)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_requests_are_verified_replays_refused_and_unsigned_ones_can_be() {
	let bob = Signer::from_suri("//Bob").unwrap();
	let (axon, me) = axon(Duration::ZERO, &[&bob], true).await;
	let client = HttpClientBuilder::default().build(format!("http://{}", axon.addr)).unwrap();
	let tokens = vec![vec![1u32, 2, 3]];

	// A dendrite that knows the axon's key signs, and is answered.
	let mut dendrite =
		Dendrite::new(&[axon.addr.to_string()], Duration::from_secs(2), 8).with_signer(bob.clone());
	dendrite.set_accounts(&[Some(me.account())]);
	let reply = dendrite.forward(&[1, 2, 3], 1).await;
	assert!(reply[0].is_ok(), "{reply:?}");

	// Unsigned: refused, with what to do.
	let (code, why) = error_of(
		client
			.request::<ForwardResponse, _>("axon_forward", rpc_params![&tokens])
			.await
			.unwrap_err(),
	);
	assert_eq!(code, -32003);
	assert!(why.contains("signed requests only"), "{why}");

	// The same signed request twice: the second is a replay. Its nonce is ahead of the clock
	// (within the window), so it cannot be the nonce the dendrite used in this millisecond.
	let auth = bob.sign_request(&me.account(), now_ms() + 1_000, &tokens);
	let signed =
		|| client.request::<ForwardResponse, _>("axon_forward", rpc_params![&tokens, &auth]);
	assert!(signed().await.is_ok());
	let (code, why) = error_of(signed().await.unwrap_err());
	assert_eq!(code, -32003);
	assert!(why.contains("replayed"), "{why}");

	// Signed for another axon (a relay passing a caller's request on), or for other tokens.
	let other = Signer::from_suri("//Other").unwrap();
	let elsewhere = bob.sign_request(&other.account(), now_ms() + 1_001, &tokens);
	let swapped = bob.sign_request(&me.account(), now_ms() + 1_002, &[vec![9, 9, 9]]);
	for auth in [elsewhere, swapped] {
		let refused = client
			.request::<ForwardResponse, _>("axon_forward", rpc_params![&tokens, &auth])
			.await
			.unwrap_err();
		let (_, why) = error_of(refused);
		assert!(why.contains("bad signature"), "{why}");
	}
	axon.stop().await;
}

/// One request of garbage bytes on a fresh connection.
async fn garbage(addr: std::net::SocketAddr) {
	let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else { return };
	let body = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"axon_forward\",\"params\":[[[999999]]]";
	let head = format!(
		"POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
		body.len()
	);
	let _ = s.write_all(head.as_bytes()).await;
	let _ = s.write_all(body).await;
	let mut out = Vec::new();
	let _ = tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut out)).await;
}

/// Latencies (ms, sorted) and failures of `count` calls in a row through `dendrite`.
async fn serial_calls(dendrite: &Dendrite, count: usize) -> (Vec<f64>, usize) {
	let mut latencies = Vec::new();
	let mut failures = 0;
	for i in 0..count {
		let t = Instant::now();
		let reply = dendrite.forward(&[(i % 200) as u32, 1, 2, 3, 4, 5, 6, 7], 1).await;
		match &reply[0] {
			Ok(_) => latencies.push(t.elapsed().as_secs_f64() * 1000.0),
			Err(_) => failures += 1,
		}
	}
	latencies.sort_by(f64::total_cmp);
	(latencies, failures)
}

fn p99(sorted: &[f64]) -> f64 {
	sorted
		.get((sorted.len() * 99 / 100).min(sorted.len().saturating_sub(1)))
		.copied()
		.unwrap_or(f64::NAN)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_unknown_callers_leaves_registered_callers_served() {
	let bob = Signer::from_suri("//Bob").unwrap();
	let (axon, me) = axon(Duration::from_millis(10), &[&bob], false).await;
	let addr = axon.addr;

	// 48 flooders for the whole run, unregistered: valid unsigned requests as fast as they
	// come back, and garbage on fresh connections.
	let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
	let mut flood = Vec::new();
	let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
	for i in 0..48 {
		let (stop, sent) = (stop.clone(), sent.clone());
		flood.push(tokio::spawn(async move {
			let d = Dendrite::new(&[addr.to_string()], Duration::from_secs(2), 8);
			while !stop.load(std::sync::atomic::Ordering::Relaxed) {
				if i % 3 == 0 {
					garbage(addr).await;
				} else {
					let _ = d.forward(&[1, 2, 3, 4, 5, 6, 7, 8], 1).await;
				}
				sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
			}
		}));
	}
	tokio::time::sleep(Duration::from_millis(300)).await;

	// Bob, registered, signs; then the same calls unsigned, as one of the crowd.
	let mut signed =
		Dendrite::new(&[addr.to_string()], Duration::from_secs(2), 8).with_signer(bob.clone());
	signed.set_accounts(&[Some(me.account())]);
	let started = Instant::now();
	let (known, known_failed) = serial_calls(&signed, 150).await;
	let known_time = started.elapsed();
	let anonymous = Dendrite::new(&[addr.to_string()], Duration::from_secs(2), 8);
	let (_, crowd_failed) = serial_calls(&anonymous, 150).await;
	stop.store(true, std::sync::atomic::Ordering::Relaxed);
	for f in flood {
		f.await.unwrap();
	}
	let flooded = sent.load(std::sync::atomic::Ordering::Relaxed);
	eprintln!(
		"flood of {flooded} requests from 48 unknown callers; registered caller: {} of 150 \
		 answered, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({known_time:?}); the same calls \
		 unsigned: {} of 150 answered",
		150 - known_failed,
		known.get(known.len() / 2).copied().unwrap_or(f64::NAN),
		p99(&known),
		known.last().copied().unwrap_or(f64::NAN),
		150 - crowd_failed
	);
	// The registered caller is always answered, quickly; an unknown one mostly is not.
	assert_eq!(known_failed, 0, "the registered caller was refused {known_failed} times");
	assert!(p99(&known) < 100.0, "registered p99 {:.1} ms", p99(&known));
	assert!(
		crowd_failed > 75,
		"unsigned calls in the flood were answered {} times",
		150 - crowd_failed
	);
	// And the axon still serves.
	assert!(signed.forward(&[1, 2, 3], 1).await[0].is_ok());
	axon.stop().await;
}
