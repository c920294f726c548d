//! The Prometheus endpoint: after a miner has trained with a peer, `/metrics` shows its steps,
//! losses, the peer's latency, errors and score, and the axon's requests by outcome.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;
use tensor_miner::peers::wire::ForwardResponse;
use tensor_miner::peers::{Axon, AxonConfig, Candidate, Served};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn scrape(port: u16) -> String {
	let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
	let req =
		format!("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
	s.write_all(req.as_bytes()).await.unwrap();
	let mut out = Vec::new();
	tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await.unwrap().unwrap();
	String::from_utf8_lossy(&out).into_owned()
}

/// The value of the sample whose line starts with `prefix`.
fn sample(text: &str, prefix: &str) -> f64 {
	text.lines()
		.find(|l| l.starts_with(prefix))
		.and_then(|l| l.rsplit(' ').next())
		.and_then(|v| v.parse().ok())
		.unwrap_or_else(|| panic!("no sample {prefix} in:\n{text}"))
}

#[test]
fn metrics_show_training_peers_and_axon_outcomes() {
	let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
	let rt = rt.unwrap();
	let port = common::node::free_port();
	tensor_miner::metrics::init(([127, 0, 0, 1], port).into(), rt.handle()).unwrap();
	assert!(tensor_miner::metrics::init(([127, 0, 0, 1], port).into(), rt.handle()).is_err());

	// A peer axon (a fixed table per byte) and a dead address.
	let served = Served::default();
	served.publish(common::echo_snapshot(16, 64));
	let axon = rt.block_on(Axon::start("127.0.0.1:0", served, AxonConfig::default())).unwrap();
	let peer = axon.addr.to_string();
	let dead = format!("127.0.0.1:{}", common::node::free_port());
	let mut miner = common::miner(&common::corpus(300), 2, 51);
	let link = Some((rt.handle().clone(), Duration::from_millis(300)));
	miner.offer_peers(&[Candidate::at(&peer), Candidate::at(&dead)], link);
	common::train(&mut miner, 30);
	miner.evaluate_and_score().unwrap();
	// One request the axon refuses.
	let client = HttpClientBuilder::default().build(format!("http://{peer}")).unwrap();
	let refused =
		rt.block_on(client.request::<ForwardResponse, _>("axon_forward", rpc_params![[[999]]]));
	assert!(refused.is_err());

	let text = rt.block_on(scrape(port));
	assert!(text.starts_with("HTTP/1.1 200"), "{text}");
	assert_eq!(sample(&text, "tensor_miner_steps_total"), 30.0);
	assert!(sample(&text, "tensor_miner_train_loss") > 0.0);
	assert!(sample(&text, "tensor_miner_heldout_loss{with=\"alone\"}") > 0.0);
	assert!(sample(&text, "tensor_miner_heldout_loss{with=\"peers\"}") > 0.0);
	// 30 training steps and one evaluation asked the peer; the dead one failed each time.
	let count = format!("tensor_miner_peer_latency_seconds_count{{peer=\"{peer}\"}}");
	assert_eq!(sample(&text, &count), 31.0);
	assert!(sample(&text, &format!("tensor_miner_peer_errors_total{{peer=\"{dead}\"}}")) >= 1.0);
	sample(&text, &format!("tensor_miner_peer_score{{peer=\"{peer}\"}}"));
	assert_eq!(sample(&text, "tensor_miner_axon_requests_total{outcome=\"ok\"}"), 31.0);
	assert_eq!(sample(&text, "tensor_miner_axon_requests_total{outcome=\"invalid\"}"), 1.0);
	rt.block_on(axon.stop());
}
