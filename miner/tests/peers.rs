//! Miners on loopback: useful peers score above noise, dead peers score zero, and peers whose
//! replies we cannot use count as absent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use tensor_miner::model::PeerFeatures;
use tensor_miner::peers::{Axon, AxonConfig, Dendrite, Served};
use tensor_miner::PeerLink;

fn runtime() -> tokio::runtime::Runtime {
	tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// A loopback port nothing listens on.
fn dead_port() -> u16 {
	let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
	l.local_addr().unwrap().port()
}

#[test]
fn useful_peer_outscores_noise_and_dead_peer_scores_zero() {
	let rt = runtime();
	let text = common::corpus(400);

	// The teacher: a miner trained alone, serving its hidden states.
	let mut teacher = common::miner(&text, 0, 11);
	common::train(&mut teacher, 300);
	let good = Served::default();
	teacher.serve_into(good.clone());
	let good_axon = rt.block_on(Axon::start("127.0.0.1:0", good, AxonConfig::default())).unwrap();

	// A peer with the right protocol and shape but random numbers.
	let noise = Served::default();
	noise.publish(teacher.snapshot());
	let noise_cfg = AxonConfig { serve_noise: true, ..Default::default() };
	let noise_axon = rt.block_on(Axon::start("127.0.0.1:0", noise, noise_cfg)).unwrap();

	let peers = vec![
		good_axon.addr.to_string(),
		noise_axon.addr.to_string(),
		format!("127.0.0.1:{}", dead_port()),
	];
	let mut student = common::miner(&text, 3, 12);
	let max_dim = student.config().model.max_peer_dim;
	let dendrite = Dendrite::new(&peers, Duration::from_millis(500), max_dim);
	student.set_peers(PeerLink { dendrite, handle: rt.handle().clone() }).unwrap();
	common::train(&mut student, 150);
	for _ in 0..3 {
		common::train(&mut student, 10);
		student.evaluate_and_score().unwrap();
	}
	let scores = student.scores().clone();
	eprintln!("{}", scores.render());
	let [good_s, noise_s, dead_s] = [0, 1, 2].map(|i| scores.peers[i].score);
	assert!(good_s > 0.05, "useful peer saved only {good_s} nats");
	assert!(good_s > noise_s + 0.05, "useful {good_s} vs noise {noise_s}");
	assert_eq!(dead_s, 0.0);
	assert_eq!(scores.peers[2].present_rounds, 0);
	assert!(scores.peers[2].last_absent.is_some());
	let w = scores.weights();
	assert_eq!(w.len(), 4);
	assert_eq!(w[3], (3, 0));
	assert!(w[1].1 > w[2].1, "weights {w:?}");

	rt.block_on(good_axon.stop());
	rt.block_on(noise_axon.stop());
}

#[test]
fn replies_arrive_in_request_order_and_too_wide_ones_count_as_absent() {
	let rt = runtime();
	let served = Served::default();
	served.publish(common::echo_snapshot(8, 4));
	let axon = rt.block_on(Axon::start("127.0.0.1:0", served, AxonConfig::default())).unwrap();
	let addr = vec![axon.addr.to_string()];
	let t = Duration::from_millis(500);

	// Two sequences of three tokens: one row of 8 per position, in order.
	let ok = rt.block_on(Dendrite::new(&addr, t, 8).forward(&[2, 1, 2, 7, 7, 0], 2));
	let row = |t: usize| (t..t + 8).map(|v| v as f32).collect::<Vec<_>>();
	let values = [row(2), row(1), row(2), row(7), row(7), row(0)].concat();
	assert_eq!(ok[0].as_ref().unwrap(), &PeerFeatures { dim: 8, values });
	// A batch larger than one call holds is split and put back together.
	let many: Vec<u32> = (0..4 * 2000).map(|i| (i % 256) as u32).collect();
	let big = rt.block_on(Dendrite::new(&addr, t, 8).forward(&many, 2000));
	assert_eq!(big[0].as_ref().unwrap().values.len(), many.len() * 8);
	let wide = rt.block_on(Dendrite::new(&addr, t, 4).forward(&[1, 2, 3], 1));
	assert!(wide[0].as_ref().unwrap_err().contains("width 8"), "{wide:?}");
	// Longer than the peer's context: refused by the axon, absent here.
	let long = rt.block_on(Dendrite::new(&addr, t, 8).forward(&[1; 5], 1));
	assert!(long[0].as_ref().unwrap_err().contains("context of 4"), "{long:?}");
	rt.block_on(axon.stop());
}

#[test]
fn slow_peer_is_cut_off_by_the_timeout() {
	let rt = runtime();
	// Accepts connections but never answers.
	let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
	let addr = listener.local_addr().unwrap().to_string();
	rt.spawn(async move {
		let mut held = Vec::new();
		while let Ok((sock, _)) = listener.accept().await {
			held.push(sock);
		}
	});
	let d = Dendrite::new(&[addr], Duration::from_millis(300), 8);
	let start = std::time::Instant::now();
	let reply = rt.block_on(d.forward(&[1], 1));
	assert!(reply[0].is_err());
	assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
}
