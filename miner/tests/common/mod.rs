//! Shared test fixtures: a synthetic corpus with learnable structure and small miners.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

pub mod miners;
pub mod node;

use tensor_miner::data::Vocab;
use tensor_miner::device::CpuBackend;
use tensor_miner::model::ModelConfig;
use tensor_miner::{Miner, MinerConfig};

const NOUNS: [&str; 12] =
	["cat", "dog", "bird", "fish", "horse", "mouse", "fox", "owl", "frog", "bee", "wolf", "deer"];
const VERBS: [&str; 6] = ["chases", "watches", "follows", "greets", "avoids", "helps"];
const ADJS: [&str; 6] = ["red", "small", "old", "quick", "quiet", "brown"];
const ENDS: [&str; 4] = ["today", "again", "slowly", "at night"];

/// A deterministic story corpus (~`sentences` × 9 words): each animal always does the same
/// thing to the same other animal, so the verb and object are predictable from the subject while
/// adjectives and endings are noise. A fixed linear congruential generator keeps it identical
/// everywhere.
pub fn corpus(sentences: usize) -> String {
	let mut state: u64 = 0x2545_f491_4f6c_dd1d;
	let mut next = |n: usize| {
		state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
		((state >> 33) % n as u64) as usize
	};
	let mut text = String::new();
	for _ in 0..sentences {
		let s = next(NOUNS.len());
		let verb = VERBS[s % VERBS.len()];
		let obj = NOUNS[(s * 5 + 3) % NOUNS.len()];
		let adj = ADJS[next(ADJS.len())];
		let end = ENDS[next(ENDS.len())];
		text.push_str(&format!("the {adj} {} {verb} the {obj} {end} .\n", NOUNS[s]));
	}
	text
}

/// A small, fast model configuration for `text`.
pub fn small_config(vocab: &Vocab, max_peers: usize, seed: u64) -> MinerConfig {
	MinerConfig::new(
		ModelConfig::new(vocab.len())
			.with_d_model(16)
			.with_window(3)
			.with_hidden(64)
			.with_max_peers(max_peers),
	)
	.with_batch_size(32)
	.with_learning_rate(1e-2)
	.with_eval_batch(256)
	.with_eval_every(1_000_000)
	.with_checkpoint_every(1_000_000)
	.with_seed(seed)
}

/// A fresh CPU miner on `text`.
pub fn miner(text: &str, max_peers: usize, seed: u64) -> Miner<CpuBackend> {
	let vocab = Vocab::build(text, 200);
	let config = small_config(&vocab, max_peers, seed);
	Miner::new(config, vocab, text, Default::default()).expect("miner")
}

/// Trains `miner` for `steps` steps.
pub fn train(miner: &mut Miner<CpuBackend>, steps: usize) {
	for _ in 0..steps {
		miner.step().expect("step");
	}
}
