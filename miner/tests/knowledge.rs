//! Knowledge travels between miners trained on different text: the shared tokenizer lets a
//! miner use a peer trained on another corpus, and the mixture predicts better with it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use tensor_miner::data::Corpus;
use tensor_miner::peers::{Axon, AxonConfig, Dendrite, Served};
use tensor_miner::PeerLink;

/// Ships and ports: nothing like the animal stories but the tokenizer.
const VOYAGES: &str = include_str!("data/voyages.txt");

/// The student's corpus: animal stories with a voyage line after every eighth story, taken from
/// the voyages' training part (the first 80%), so that voyages are rare in it.
fn stories_with_a_few_voyages() -> String {
	let voyages: Vec<&str> = VOYAGES.lines().collect();
	let train = &voyages[..voyages.len() * 8 / 10];
	let mut text = String::new();
	for (i, story) in common::corpus(600).lines().enumerate() {
		text.push_str(story);
		text.push('\n');
		if i % 8 == 7 {
			text.push_str(train[(i / 8) % train.len()]);
			text.push('\n');
		}
	}
	text
}

#[test]
fn a_peer_trained_on_other_text_helps_through_the_mixture() {
	let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
	let rt = rt.unwrap();
	// The voyages' last 20% are held out for the comparison: the peer trains on the rest.
	let voyages_train: String = {
		let lines: Vec<&str> = VOYAGES.lines().collect();
		lines[..lines.len() * 8 / 10].join("\n")
	};
	let mut peer = common::miner(&voyages_train, 0, 21);
	common::train(&mut peer, 400);
	let served = Served::default();
	peer.serve_into(served.clone());
	let axon = rt.block_on(Axon::start("127.0.0.1:0", served, AxonConfig::default())).unwrap();

	let text = stories_with_a_few_voyages();
	let heldout_voyages = Corpus::new(VOYAGES, 32, 0.2).unwrap();
	let steps = 300;

	let mut alone = common::miner(&text, 1, 22);
	common::train(&mut alone, steps);

	let mut taught = common::miner(&text, 1, 22);
	let max_dim = taught.config().model.max_peer_dim;
	let dendrite = Dendrite::new(&[axon.addr.to_string()], Duration::from_secs(2), max_dim);
	taught.set_peers(PeerLink { dendrite, handle: rt.handle().clone() }).unwrap();
	common::train(&mut taught, steps);
	// Eight evaluations, each on held-out probes drawn afresh: what the peer saves, on average.
	let gains: Vec<f64> = (0..8)
		.map(|_| {
			let e = taught.evaluate_and_score().unwrap();
			e.loss_no_peers - e.loss
		})
		.collect();
	let with_peer = taught.evaluate();
	taught.clear_peers();

	let peer_loss = peer.loss_alone_on(&heldout_voyages, 64);
	let alone_loss = alone.loss_alone_on(&heldout_voyages, 64);
	let taught_loss = taught.loss_alone_on(&heldout_voyages, 64);
	eprintln!(
		"held-out voyages, nats/byte: peer {peer_loss:.3}; student alone {alone_loss:.3}; \
		 student taught by the peer, without it {taught_loss:.3}; on its own corpus with the \
		 peer {:.3}, without {:.3}",
		with_peer.loss, with_peer.loss_no_peers
	);
	// The mixture uses what the peer knows: with it the student predicts its own held-out text
	// better than it does alone, by more than the spread of the draws.
	let mean = gains.iter().sum::<f64>() / gains.len() as f64;
	let var = gains.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / (gains.len() - 1) as f64;
	let se = (var / gains.len() as f64).sqrt();
	eprintln!("gain with the peer over 8 draws: mean {mean:.4} (standard error {se:.4}): {gains:.4?}");
	assert!(mean > 0.02 && mean > 3.0 * se, "gains {gains:?}");
	// Not asserted: whether the own model, alone, keeps what the peer taught. Over 12 seeds of
	// this setup the taught student, alone, is 0.010 nats/byte better than the one trained
	// without the peer, with a standard deviation of 0.046 from seed to seed (standard error
	// 0.013), and teaching every position of the batch changes nothing (docs/miner.md, Model):
	// no threshold would be honest. The numbers above are printed for the record.
	rt.block_on(axon.stop());
}
