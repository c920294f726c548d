//! Shared test fixtures: a synthetic corpus with learnable structure and small miners.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

pub mod miners;
pub mod node;

use tensor_miner::device::CpuBackend;
use tensor_miner::model::Preset;
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

/// The `tiny` preset with `max_peers` peer slots and a fast training schedule.
pub fn small_config(max_peers: usize, seed: u64) -> MinerConfig {
	MinerConfig::new(Preset::Tiny.config(max_peers))
		.with_batch_size(16)
		.with_learning_rate(3e-3)
		.with_eval_batch(128)
		.with_eval_every(1_000_000)
		.with_checkpoint_every(1_000_000)
		.with_seed(seed)
}

/// A fresh CPU miner on `text`.
pub fn miner(text: &str, max_peers: usize, seed: u64) -> Miner<CpuBackend> {
	// The seed is the secret too, so the held-out split and evaluations are reproducible.
	Miner::with_secret(small_config(max_peers, seed), text, Default::default(), seed)
		.expect("miner")
}

/// Trains `miner` for `steps` steps.
pub fn train(miner: &mut Miner<CpuBackend>, steps: usize) {
	for _ in 0..steps {
		miner.step().expect("step");
	}
}

/// A peer that knows nothing, only the probe: a fixed random table of `.1` values per byte,
/// the same wherever the byte occurs (no training); `.0` seeds it.
pub struct Table(pub u64, pub usize);

impl tensor_miner::peers::Encoder for Table {
	fn encode(&self, tokens: &[u32], _: usize) -> Vec<f32> {
		tokens
			.iter()
			.flat_map(|&t| {
				(0..self.1 as u64).map(move |i| {
					let x = (u64::from(t) * 1_000_003 + i * 7919 + self.0)
						.wrapping_mul(0x9e37_79b9_7f4a_7c15);
					((x >> 40) % 2001) as f32 / 1000.0 - 1.0
				})
			})
			.collect()
	}
}

/// A fake model for axon tests: the hidden state of token `t` at any position is
/// `[t, t + 1, …, t + dim − 1]`.
pub struct Echo(pub usize);

impl tensor_miner::peers::Encoder for Echo {
	fn encode(&self, tokens: &[u32], _sequences: usize) -> Vec<f32> {
		tokens.iter().flat_map(|&t| (0..self.0).map(move |i| (t as usize + i) as f32)).collect()
	}
}

/// An axon snapshot of [`Echo`] with width `dim` and context `max_context`.
pub fn echo_snapshot(dim: usize, max_context: usize) -> tensor_miner::peers::Snapshot {
	tensor_miner::peers::Snapshot {
		encoder: std::sync::Arc::new(Echo(dim)),
		dim,
		max_context,
		version: 3,
	}
}
