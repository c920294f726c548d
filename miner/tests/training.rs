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

#[test]
fn generate_continues_a_prompt_with_what_the_model_learned() {
	let text = common::corpus(400);
	let dir = tempfile::tempdir().unwrap();
	let mut miner = common::miner(&text, 0, 4);
	common::train(&mut miner, 300);
	miner.save(dir.path()).unwrap();
	let data = dir.path().to_str().unwrap();
	let args = ["generate", "--data-dir", data, "--tokens", "80", "--temperature", "0", "the "];
	let out = common::miners::tensor_miner(&args, std::time::Duration::from_secs(60));
	assert!(out.starts_with("the "), "{out}");
	assert!(out.len() >= 60, "{out}");
	// Greedy decoding of a model that learned the stories writes their words: most words of
	// the output are words of the corpus.
	let known: std::collections::HashSet<&str> = text.split_whitespace().collect();
	let words: Vec<&str> = out.split_whitespace().collect();
	let hits = words.iter().filter(|w| known.contains(*w)).count();
	eprintln!("{out}");
	assert!(hits * 4 >= words.len() * 3, "{hits} of {} words known: {out}", words.len());
	// A data dir without a model says so.
	let empty = tempfile::tempdir().unwrap();
	let status = std::process::Command::new(env!("CARGO_BIN_EXE_tensor-miner"))
		.args(["generate", "--data-dir", empty.path().to_str().unwrap(), "x"])
		.stderr(std::process::Stdio::piped())
		.output()
		.unwrap();
	assert!(!status.status.success());
	assert!(String::from_utf8_lossy(&status.stderr).contains("holds no trained miner"));
}

#[test]
fn ablation_finds_the_peer_whose_features_break_the_loss() {
	use burn::backend::Flex;
	use burn::tensor::{Tensor, TensorData};
	use tensor_miner::model::{ids_tensor, Preset};
	let device = Default::default();
	let model = Preset::Tiny.config(3).with_max_peer_dim(8).init::<Flex>(&device);
	let tokens = ids_tensor::<Flex>(&[1, 2, 3, 4], 2, &device);
	let targets = ids_tensor::<Flex>(&[2, 3, 4, 5], 2, &device);
	let features =
		|v: f32| Tensor::<Flex, 2>::from_data(TensorData::new(vec![v; 16], [2, 8]), &device);
	// The last position of each of the two sequences is mixed.
	let peers = vec![Some(features(0.5)), None, Some(features(f32::NAN))];
	let found = tensor_miner::training::non_finite_peers(
		&model,
		tokens.clone(),
		targets.clone(),
		&peers,
		0.5,
	);
	assert_eq!(found, vec![2]);
	let fine = vec![Some(features(0.5)), None, None];
	assert!(
		tensor_miner::training::non_finite_peers(&model, tokens, targets, &fine, 0.5).is_empty()
	);
}

/// `bench --against-torch` runs the script with the same shape after each Burn run and prints
/// the ratio; a script that fails fails the bench with its message. The script here stands in
/// for `scripts/bench_torch.py` (CI has no PyTorch) and checks the arguments it is given.
#[test]
fn bench_runs_the_torch_side_with_the_same_shape_and_prints_the_ratio() {
	let dir = tempfile::tempdir().unwrap();
	let script = dir.path().join("torch.py");
	std::fs::write(
		&script,
		"import sys\n\
		 a = sys.argv[1:]\n\
		 get = lambda k: a[a.index(k) + 1]\n\
		 shape = (get('--preset'), get('--steps'), get('--batch-size'), get('--threads'), get('--warmup'))\n\
		 if shape != ('tiny', '2', '4', '1', '1') or get('--device') != 'cpu':\n\
		 \x20   sys.exit('wrong shape: %s' % a)\n\
		 print('device=cpu preset=Tiny tokens_per_sec=1000000.0 last_loss=5.5')\n",
	)
	.unwrap();
	let bench = |script: &std::path::Path| {
		std::process::Command::new(env!("CARGO_BIN_EXE_tensor-miner"))
			.args(["bench", "--device", "cpu", "--preset", "tiny", "--steps", "2", "--warmup", "1"])
			.args(["--batch-size", "4", "--threads", "1", "--rounds", "2", "--against-torch"])
			.arg(script)
			.output()
			.unwrap()
	};
	let out = bench(&script);
	let stdout = String::from_utf8_lossy(&out.stdout);
	assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
	assert_eq!(stdout.matches("device=cpu (flex)").count(), 2, "{stdout}");
	// PyTorch's FLOP/s by the same count: 1e6 tokens/s × 221,184 FLOP a token (`tiny`).
	let torch_line = "torch tokens_per_sec=1000000.0 gflops=221.2 burn/torch=";
	assert_eq!(stdout.matches(torch_line).count(), 2, "{stdout}");
	// No GPU, so no share of a card's peak.
	assert!(!stdout.contains("of_fp32_peak"), "{stdout}");
	assert!(stdout.contains("burn/torch over 2 rounds: median"), "{stdout}");
	// An interpreter that is not there: a clear error, not a panic.
	let out = std::process::Command::new(env!("CARGO_BIN_EXE_tensor-miner"))
		.args(["bench", "--device", "cpu", "--preset", "tiny", "--steps", "1"])
		.args(["--python", "/nonexistent/python", "--against-torch"])
		.arg(&script)
		.output()
		.unwrap();
	assert!(!out.status.success());
	assert!(String::from_utf8_lossy(&out.stderr).contains("cannot run /nonexistent/python"));

	let failing = dir.path().join("failing.py");
	std::fs::write(&failing, "import sys\nsys.exit('no torch here')\n").unwrap();
	let out = bench(&failing);
	assert!(!out.status.success());
	assert!(String::from_utf8_lossy(&out.stderr).contains("no torch here"));
}
