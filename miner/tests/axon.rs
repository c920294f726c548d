//! Bad requests to an axon get JSON-RPC errors, and the axon keeps serving.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use jsonrpsee::core::client::{ClientT, Error as ClientError};
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;
use tensor_miner::peers::wire::{AxonInfo, ForwardResponse};
use tensor_miner::peers::{Axon, AxonConfig, Served, Table};
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
	served.publish(Table {
		weights: (0..10 * 4).map(|i| i as f32).collect(),
		vocab_size: 10,
		dim: 4,
		vocab_hash: "h".into(),
		version: 3,
	});
	let config = AxonConfig { max_tokens: 8, max_request_bytes: 1024, ..Default::default() };
	let axon = Axon::start("127.0.0.1:0", served, config).await.unwrap();
	let client = HttpClientBuilder::default().build(format!("http://{}", axon.addr)).unwrap();

	let err = client
		.request::<ForwardResponse, _>("axon_forward", rpc_params![vec![1, 10]])
		.await
		.unwrap_err();
	assert!(call_error(err).contains("token id 10 is outside the vocabulary"));
	let err = client
		.request::<ForwardResponse, _>("axon_forward", rpc_params![vec![-1]])
		.await
		.unwrap_err();
	assert!(call_error(err).contains("outside the vocabulary"));
	let err = client
		.request::<ForwardResponse, _>("axon_forward", rpc_params![vec![1; 9]])
		.await
		.unwrap_err();
	assert!(call_error(err).contains("too many tokens: 9 requested, at most 8"));
	let err =
		client.request::<ForwardResponse, _>("axon_forward", rpc_params!["cat"]).await.unwrap_err();
	assert!(call_error(err).contains("token_ids must be a list of integers"));

	let garbage = raw_post(axon.addr, b"\x00\xff{{not json").await;
	assert!(garbage.contains("-32700"), "garbage answered with: {garbage}");
	let big = format!(
		"{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"axon_forward\",\"params\":[[{}]]}}",
		"1,".repeat(2000) + "1"
	);
	let oversized = raw_post(axon.addr, big.as_bytes()).await;
	assert!(
		oversized.contains("413") || oversized.contains("-32007"),
		"oversized request answered with: {oversized}"
	);

	// Still serving, and answering correctly.
	let ok: ForwardResponse =
		client.request("axon_forward", rpc_params![vec![2, 0]]).await.unwrap();
	assert_eq!(ok.decode([2, 4], "h").unwrap(), vec![8.0, 9.0, 10.0, 11.0, 0.0, 1.0, 2.0, 3.0]);
	let named = raw_post(
		axon.addr,
		br#"{"jsonrpc":"2.0","id":2,"method":"axon_forward","params":{"token_ids":[1]}}"#,
	)
	.await;
	assert!(named.contains("\"shape\":[1,4]"), "{named}");
	let info: AxonInfo = client.request("axon_info", rpc_params![]).await.unwrap();
	assert_eq!(
		info,
		AxonInfo {
			model_version: 3,
			vocab_hash: "h".into(),
			vocab_size: 10,
			dim: 4,
			max_tokens: 8
		}
	);
	axon.stop().await;
}
