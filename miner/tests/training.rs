//! Training really learns, and checkpoints resume.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use tensor_miner::data::tokenizer;
use tensor_miner::device::CpuBackend;
use tensor_miner::Miner;

#[test]
fn heldout_loss_drops_well_below_uniform_within_300_steps() {
	let text = common::corpus(400);
	let mut miner = common::miner(&text, 0, 1);
	let uniform = (tokenizer::VOCAB_SIZE as f64).ln();
	let before = miner.evaluate().loss;
	common::train(&mut miner, 300);
	let after = miner.evaluate().loss;
	eprintln!("uniform {uniform:.3} before {before:.3} after {after:.3}");
	assert!(
		(before - uniform).abs() < 1.0,
		"untrained loss {before} should be near uniform {uniform}"
	);
	assert!(after < before - 1.0, "held-out loss only went from {before} to {after}");
	assert!(after < 0.6 * uniform, "held-out loss {after} not well below uniform {uniform}");
}

#[test]
fn checkpoint_resumes_step_and_model() {
	let text = common::corpus(200);
	let dir = tempfile::tempdir().unwrap();
	let mut miner = common::miner(&text, 0, 2);
	common::train(&mut miner, 20);
	miner.save(dir.path()).unwrap();
	let loss = miner.evaluate().loss;
	let resumed = Miner::<CpuBackend>::resume(dir.path(), &text, Default::default())
		.unwrap()
		.expect("a checkpoint");
	assert_eq!(resumed.step_count(), 20);
	assert!((resumed.evaluate().loss - loss).abs() < 1e-5);
	for f in ["config.json", "model.mpk", "optim.mpk", "state.json"] {
		assert!(dir.path().join(f).exists(), "{f} missing");
	}
	let empty = tempfile::tempdir().unwrap();
	assert!(Miner::<CpuBackend>::resume(empty.path(), &text, Default::default())
		.unwrap()
		.is_none());
	// A checkpoint of the word-level model (protocol 1: no protocol field) is refused with
	// a reason rather than half-loaded.
	std::fs::write(dir.path().join("state.json"), r#"{"step":20}"#).unwrap();
	let old = Miner::<CpuBackend>::resume(dir.path(), &text, Default::default());
	let err = old.err().expect("an old checkpoint must be refused").to_string();
	assert!(err.contains("protocol 1") && err.contains("new --data-dir"), "{err}");
}

#[test]
fn evaluation_writes_the_loss_curve() {
	let text = common::corpus(200);
	let dir = tempfile::tempdir().unwrap();
	let mut miner = common::miner(&text, 0, 3);
	miner.save(dir.path()).unwrap();
	common::train(&mut miner, 5);
	miner.evaluate_and_score().unwrap();
	let csv = std::fs::read_to_string(dir.path().join("loss.csv")).unwrap();
	let mut lines = csv.lines();
	assert_eq!(
		lines.next(),
		Some("step,train_loss,heldout_loss,heldout_loss_no_peers,peers_present")
	);
	assert!(lines.next().unwrap().starts_with("5,"));
}
