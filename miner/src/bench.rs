//! Training throughput for a fixed model size, the counterpart of `scripts/bench_torch.py`.
//!
//! Both run the same model (no peers: embedding → flatten → ReLU hidden → vocabulary logits,
//! plus the unused gate) and the same Adam step on pre-generated random batches, and count
//! predicted tokens per second. Reading the loss back each step synchronizes the device, as
//! `loss.item()` does in PyTorch.

use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::ElementConversion;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::model::{ids_tensor, ids_vector, Model, ModelConfig};

/// Benchmark shape.
#[derive(Clone, Debug)]
pub struct BenchConfig {
	/// Vocabulary size.
	pub vocab: usize,
	/// Embedding dimension.
	pub d_model: usize,
	/// Context window.
	pub window: usize,
	/// Hidden width.
	pub hidden: usize,
	/// Examples per step.
	pub batch: usize,
	/// Untimed steps first.
	pub warmup: usize,
	/// Timed steps.
	pub steps: usize,
}

impl Default for BenchConfig {
	fn default() -> Self {
		Self { vocab: 5000, d_model: 64, window: 4, hidden: 256, batch: 256, warmup: 5, steps: 50 }
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
	/// Loss of the last step (sanity: it is a real training run).
	pub last_loss: f64,
}

/// Runs the benchmark on `device`.
pub fn run<B: AutodiffBackend>(device: &B::Device, cfg: &BenchConfig) -> BenchResult {
	B::seed(device, 7);
	let mut model: Model<B> = ModelConfig::new(cfg.vocab)
		.with_d_model(cfg.d_model)
		.with_window(cfg.window)
		.with_hidden(cfg.hidden)
		.with_max_peers(0)
		.init(device);
	let params = model.num_params();
	let mut optim = AdamConfig::new().init::<B, Model<B>>();
	let mut rng = StdRng::seed_from_u64(7);
	let total = cfg.warmup + cfg.steps;
	let batches: Vec<(Vec<u32>, Vec<u32>)> = (0..total)
		.map(|_| {
			let ctx =
				(0..cfg.batch * cfg.window).map(|_| rng.gen_range(0..cfg.vocab as u32)).collect();
			let tgt = (0..cfg.batch).map(|_| rng.gen_range(0..cfg.vocab as u32)).collect();
			(ctx, tgt)
		})
		.collect();
	let mut start = Instant::now();
	let mut last_loss = f64::NAN;
	for (i, (ctx, tgt)) in batches.iter().enumerate() {
		if i == cfg.warmup {
			start = Instant::now();
		}
		let context = ids_tensor::<B>(ctx, cfg.batch, device);
		let targets = ids_vector::<B>(tgt, device);
		let loss = model.loss(context, targets, &Vec::new());
		last_loss = loss.clone().into_scalar().elem();
		let grads = GradientsParams::from_grads(loss.backward(), &model);
		model = optim.step(1e-3, model, grads);
	}
	let secs = start.elapsed().as_secs_f64();
	BenchResult {
		tokens_per_sec: (cfg.batch * cfg.steps) as f64 / secs.max(1e-9),
		secs,
		params,
		last_loss,
	}
}
