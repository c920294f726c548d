//! Training throughput for a fixed model size, the counterpart of `scripts/bench_torch.py`.
//!
//! Both run the same model (no peers: the causal transformer of [`crate::model`], its unused
//! gate and peer projections aside) and the same Adam step on pre-generated random byte
//! sequences, and count predicted tokens per second. Reading the loss back each step
//! synchronizes the device, as `loss.item()` does in PyTorch.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::Context;

use burn::module::Module;
use burn::optim::{AdamConfig, Optimizer};
use burn::tensor::backend::AutodiffBackend;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::data::tokenizer::VOCAB_SIZE;
use crate::model::{Model, Preset};

/// Benchmark shape.
#[derive(Clone, Debug)]
pub struct BenchConfig {
	/// Model size.
	pub preset: Preset,
	/// Sequences per step (each the preset's context long).
	pub batch: usize,
	/// Untimed steps first.
	pub warmup: usize,
	/// Timed steps.
	pub steps: usize,
	/// Row ranges each batch is split into, trained at once on threads ([`crate::shards`]).
	pub shards: usize,
}

impl Default for BenchConfig {
	fn default() -> Self {
		Self { preset: Preset::Small, batch: 16, warmup: 3, steps: 20, shards: 1 }
	}
}

/// Benchmark outcome.
#[derive(Clone, Debug)]
pub struct BenchResult {
	/// Predicted tokens per second.
	pub tokens_per_sec: f64,
	/// Timed seconds.
	pub secs: f64,
	/// Parameters in the model.
	pub params: usize,
	/// Tokens per sequence.
	pub context: usize,
	/// Loss of the last step (sanity: it is a real training run).
	pub last_loss: f64,
	/// Achieved floating-point operations per second, by [`train_flops_per_token`].
	pub flops_per_sec: f64,
}

/// Floating-point operations to train on one token (forward and backward, the usual 3 × the
/// forward's 2 per multiply-add) of the model the bench runs: its matrix products (attention's
/// four projections and the feed-forward pair in each layer, the head) and attention's scores
/// and weighted sum over the whole context (the causal mask does not skip work). Element-wise
/// work, normalization and the optimizer are left out, as in the usual FLOP counts.
pub fn train_flops_per_token(config: &crate::model::ModelConfig) -> f64 {
	let (d, ff, len, layers) =
		(config.d_model as f64, config.d_ff as f64, config.context as f64, config.n_layers as f64);
	let per_layer = 4.0 * d * d + 2.0 * d * ff + 2.0 * len * d;
	6.0 * (layers * per_layer + d * VOCAB_SIZE as f64)
}

/// Runs the benchmark on `device`.
pub fn run<B: AutodiffBackend>(device: &B::Device, cfg: &BenchConfig) -> BenchResult {
	B::seed(device, 7);
	let config = cfg.preset.config(0);
	let len = config.context;
	let mut model: Model<B> = config.init(device);
	let params = model.num_params();
	let mut optim = AdamConfig::new().init::<B, Model<B>>();
	let mut rng = StdRng::seed_from_u64(7);
	let total = cfg.warmup + cfg.steps;
	let tokens = cfg.batch * len;
	let batches: Vec<(Vec<u32>, Vec<u32>)> = (0..total)
		.map(|_| {
			let mut ids = || (0..tokens).map(|_| rng.gen_range(0..VOCAB_SIZE as u32)).collect();
			(ids(), ids())
		})
		.collect();
	let mut start = Instant::now();
	let mut last_loss = f64::NAN;
	for (i, (input, target)) in batches.iter().enumerate() {
		if i == cfg.warmup {
			start = Instant::now();
		}
		let (loss, grads) =
			crate::shards::own_loss_and_grads(&model, input, target, len, cfg.shards, device);
		last_loss = loss;
		model = optim.step(1e-3, model, grads);
	}
	let secs = start.elapsed().as_secs_f64();
	let tokens_per_sec = (tokens * cfg.steps) as f64 / secs.max(1e-9);
	BenchResult {
		tokens_per_sec,
		flops_per_sec: tokens_per_sec * train_flops_per_token(&config),
		secs,
		params,
		context: len,
		last_loss,
	}
}

/// Runs PyTorch's side of the comparison, `scripts/bench_torch.py` (at `script`, with the
/// interpreter `python`), on the same shape, and returns its tokens per second. `preset` is the
/// preset's command-line name.
pub fn run_torch(
	python: &Path,
	script: &Path,
	preset: &str,
	cfg: &BenchConfig,
	threads: Option<usize>,
	cuda: bool,
) -> anyhow::Result<f64> {
	let mut cmd = Command::new(python);
	cmd.arg(script)
		.args(["--preset", preset, "--device", if cuda { "cuda" } else { "cpu" }])
		.args(["--batch-size", &cfg.batch.to_string(), "--warmup", &cfg.warmup.to_string()])
		.args(["--steps", &cfg.steps.to_string()]);
	if let Some(n) = threads {
		cmd.args(["--threads", &n.to_string()]);
	}
	let out = cmd
		.output()
		.with_context(|| format!("cannot run {} {}", python.display(), script.display()))?;
	let stdout = String::from_utf8_lossy(&out.stdout);
	anyhow::ensure!(
		out.status.success(),
		"{} {} failed ({}): {}",
		python.display(),
		script.display(),
		out.status,
		String::from_utf8_lossy(&out.stderr).trim()
	);
	tokens_per_sec(&stdout).with_context(|| {
		format!("no tokens_per_sec= in what {} printed: {stdout}", script.display())
	})
}

/// The `tokens_per_sec=` field of a bench line (both benches print the same fields).
fn tokens_per_sec(line: &str) -> Option<f64> {
	line.split_whitespace()
		.find_map(|field| field.strip_prefix("tokens_per_sec="))
		.and_then(|value| value.parse().ok())
		.filter(|value: &f64| value.is_finite() && *value > 0.0)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn flops_per_token_of_the_tiny_preset_by_hand() {
		// d 32, d_ff 128, context 32, 2 layers: 2 × (4·32² + 2·32·128 + 2·32·32) + 32·256
		// = 36,864 multiply-adds a token forward, × 6 for training.
		let tiny = crate::model::Preset::Tiny.config(0);
		assert_eq!(train_flops_per_token(&tiny), 221_184.0);
	}

	#[test]
	fn the_torch_line_is_read_by_its_field() {
		let line = "device=cpu (torch 2.15.0, 1 threads) preset=Tiny context=32 batch=16 \
		            params=51361 steps=10 secs=0.09 tokens_per_sec=58761.2 last_loss=5.6107\n";
		assert_eq!(tokens_per_sec(line), Some(58761.2));
		assert_eq!(tokens_per_sec("device=cpu secs=1.0"), None);
		assert_eq!(tokens_per_sec("tokens_per_sec=nan"), None);
		assert_eq!(tokens_per_sec("tokens_per_sec=0.0"), None);
	}
}
