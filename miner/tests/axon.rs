//! Bad requests to an axon get JSON-RPC errors, and the axon keeps serving.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use jsonrpsee::core::client::{ClientT, Error as ClientError};
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;
use tensor_miner::data::tokenizer;
use tensor_miner::model::PeerFeatures;
use tensor_miner::peers::wire::{AxonInfo, ForwardResponse, PROTOCOL};
use tensor_miner::peers::{Axon, AxonConfig, Dendrite, Served};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn raw_post(addr: std::net::SocketAddr, body: &[u8]) -> String {
	let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
	let head = format!(
		"POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
		body.len()
	);
	s.write_all(head.as_bytes()).await.unwrap();
	// The server may answer (and close) before reading an oversized body.
	let _ = s.write_all(body).await;
	let mut out = Vec::new();
	let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
	String::from_utf8_lossy(&out).into_owned()
}

fn call_error(e: ClientError) -> String {
	match e {
		ClientError::Call(obj) => format!("{} {}", obj.code(), obj.message()),
		other => panic!("expected a JSON-RPC error, got {other}"),
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_errors_and_the_axon_keeps_serving() {
	let served = Served::default();
	let config = AxonConfig { max_tokens: 8, max_request_bytes: 1024, ..Default::default() };
	let axon = Axon::start("127.0.0.1:0", served.clone(), config).await.unwrap();
	let client = HttpClientBuilder::default().build(format!("http://{}", axon.addr)).unwrap();
	let forward = |tokens: serde_json::Value| {
		let client = client.clone();
		async move {
			let reply = client.request::<ForwardResponse, _>("axon_forward", rpc_params![tokens]);
			call_error(reply.await.unwrap_err())
		}
	};
	let tokens = |v: &[&[i64]]| serde_json::json!(v);

	assert!(forward(tokens(&[&[1]])).await.contains("no model published yet"));
	served.publish(common::echo_snapshot(4, 3));

	assert!(forward(tokens(&[&[1, 256]])).await.contains("token id 256 is outside the vocabulary"));
	assert!(forward(tokens(&[&[-1]])).await.contains("outside the vocabulary"));
	assert!(forward(tokens(&[&[1, 2], &[3]])).await.contains("equal length: 2 and 1"));
	assert!(forward(tokens(&[&[1, 2, 3, 4]])).await.contains("longer than the context of 3"));
	let nine: &[&[i64]] = &[&[1, 1, 1], &[1, 1, 1], &[1, 1, 1]];
	assert!(forward(tokens(nine)).await.contains("too many tokens: 9 requested, at most 8"));
	assert!(forward(tokens(&[])).await.contains("no tokens"));
	assert!(forward(serde_json::json!("cat")).await.contains("must be a list of lists"));

	let garbage = raw_post(axon.addr, b"\x00\xff{{not json").await;
	assert!(garbage.contains("-32700"), "garbage answered with: {garbage}");
	let big = format!(
		"{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"axon_forward\",\"params\":[[[{}]]]}}",
		"1,".repeat(2000) + "1"
	);
	let oversized = raw_post(axon.addr, big.as_bytes()).await;
	assert!(
		oversized.contains("413") || oversized.contains("-32007"),
		"oversized request answered with: {oversized}"
	);

	// Still serving, and answering correctly.
	let ok: ForwardResponse =
		client.request("axon_forward", rpc_params![[[2, 0], [5, 5]]]).await.unwrap();
	assert_eq!((ok.protocol, ok.shape, ok.model_version), (PROTOCOL, [2, 2, 4], 3));
	let values = [2.0, 3.0, 4.0, 5.0, 0.0, 1.0, 2.0, 3.0, 5.0, 6.0, 7.0, 8.0, 5.0, 6.0, 7.0, 8.0];
	let want = PeerFeatures { dim: 4, values: values.to_vec() };
	assert_eq!(ok.decode([2, 2], &tokenizer::hash(), 16).unwrap(), want);
	let named = raw_post(
		axon.addr,
		br#"{"jsonrpc":"2.0","id":2,"method":"axon_forward","params":{"tokens":[[1]]}}"#,
	)
	.await;
	assert!(named.contains("\"shape\":[1,1,4]"), "{named}");
	let info: AxonInfo = client.request("axon_info", rpc_params![]).await.unwrap();
	assert_eq!(
		info,
		AxonInfo {
			protocol: PROTOCOL,
			tokenizer: tokenizer::hash(),
			vocab_size: 256,
			dim: 4,
			max_context: 3,
			max_tokens: 8,
			model_version: 3,
		}
	);
	axon.stop().await;
}

/// A model that takes the given time to answer.
struct Slow(Duration);

impl tensor_miner::peers::Encoder for Slow {
	fn encode(&self, tokens: &[u32], _: usize) -> Vec<f32> {
		std::thread::sleep(self.0);
		vec![0.5; tokens.len() * 4]
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_axon_computes_a_bounded_number_of_replies_at_once() {
	let served = Served::default();
	let slow = Slow(Duration::from_millis(400));
	served.publish(tensor_miner::peers::Snapshot {
		encoder: std::sync::Arc::new(slow),
		dim: 4,
		max_context: 8,
		version: 1,
	});
	let config = AxonConfig {
		max_concurrent: 1,
		timeout: Duration::from_millis(150),
		..Default::default()
	};
	let axon = Axon::start("127.0.0.1:0", served, config).await.unwrap();
	let client = HttpClientBuilder::default().build(format!("http://{}", axon.addr)).unwrap();
	let ask = || client.request::<ForwardResponse, _>("axon_forward", rpc_params![[[1, 2]]]);

	// The first request runs past the time limit; its computation still holds the one worker,
	// so a caller retrying at once is refused as busy instead of piling up work.
	assert!(call_error(ask().await.unwrap_err()).contains("longer than"));
	let busy = call_error(ask().await.unwrap_err());
	assert!(busy.starts_with("-32002 busy"), "{busy}");
	// Once it has finished, the worker is free again.
	tokio::time::sleep(Duration::from_millis(400)).await;
	assert!(call_error(ask().await.unwrap_err()).contains("longer than"));
	// A consumer told "busy" counts the axon absent this time but does not hold it against
	// it: the next call goes out instead of being skipped by the circuit breaker.
	let dendrite = Dendrite::new(&[axon.addr.to_string()], Duration::from_secs(2), 8);
	let busy = dendrite.forward(&[1, 2], 1).await;
	assert!(busy[0].as_ref().unwrap_err().contains("busy"), "{busy:?}");
	let again = dendrite.forward(&[1, 2], 1).await;
	assert!(!again[0].as_ref().unwrap_err().contains("skipped"), "{again:?}");
	tokio::time::sleep(Duration::from_millis(500)).await;
	axon.stop().await;
}
