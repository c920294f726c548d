//! Data-parallel gradients on the CPU: a batch split into row ranges, each trained on its own
//! thread at once, their gradients summed.
//!
//! Flex runs element-wise ops, softmax, layer norm and copies on the calling thread and only
//! the larger matrix products on its rayon pool, so one step on two cores kept one of them
//! mostly idle (docs/benchmarks.md, "Burn's LibTorch backend"). Each shard trains a fork of the
//! model: the same weights and parameter ids, but fresh autodiff leaves, so the shards' graphs
//! stay apart and their backward passes do not queue on Burn's per-graph lock. A shard's mean
//! loss is weighted by its share of the rows, so the sum of the shards' losses is the whole
//! batch's mean loss and the sum of their gradients its gradient. Measured in docs/benchmarks.md
//! ("Data-parallel steps on the CPU"): 1.69× on `small` with two shards on two cores.

use burn::module::Module;
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::ElementConversion;

use crate::model::{ids_tensor, Model};

/// The own-text loss of `tokens`/`targets` (`rows × len` ids each) under `model`, and its
/// gradient, computed in up to `shards` row ranges at once. Returns the loss read back (the
/// whole batch's mean) and the gradient; with one shard, or one row, it runs on this thread.
pub fn own_loss_and_grads<B: AutodiffBackend>(
	model: &Model<B>,
	tokens: &[u32],
	targets: &[u32],
	len: usize,
	shards: usize,
	device: &B::Device,
) -> (f64, GradientsParams) {
	let rows = tokens.len().checked_div(len).unwrap_or(0);
	let ranges = split_rows(rows, shards);
	let shard = |start: usize, end: usize, replica: &Model<B>| {
		let span = start * len..end * len;
		let (Some(t), Some(y)) = (tokens.get(span.clone()), targets.get(span)) else {
			return (0.0, GradientsParams::new());
		};
		let loss = replica
			.loss(
				ids_tensor::<B>(t, end - start, device),
				ids_tensor::<B>(y, end - start, device),
				&Vec::new(),
				0.0,
			)
			.own
			.mul_scalar((end - start) as f64 / rows.max(1) as f64);
		let value: f64 = loss.clone().into_scalar().elem();
		(value, GradientsParams::from_grads(loss.backward(), replica))
	};
	if ranges.len() <= 1 {
		return shard(0, rows, model);
	}
	// A lazily initialized parameter is initialized afresh by each fork, so the forks would
	// start from different random weights (`ModelConfig::init` already gave them values).
	crate::model::materialize(model);
	let parts: Vec<(f64, GradientsParams)> = std::thread::scope(|s| {
		let handles: Vec<_> = ranges
			.iter()
			.map(|&(start, end)| {
				let replica = model.clone().fork(device);
				let shard = &shard;
				s.spawn(move || shard(start, end, &replica))
			})
			.collect();
		handles
			.into_iter()
			.map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
			.collect()
	});
	let mut sum = GradientsAccumulator::<Model<B>>::new();
	let mut loss = 0.0;
	for (value, grads) in parts {
		loss += value;
		sum.accumulate(model, grads);
	}
	(loss, sum.grads())
}

/// `rows` split into at most `shards` contiguous, non-empty ranges whose sizes differ by at
/// most one.
fn split_rows(rows: usize, shards: usize) -> Vec<(usize, usize)> {
	let n = shards.clamp(1, rows.max(1));
	let (base, extra) = (rows / n, rows % n);
	let mut start = 0;
	(0..n)
		.map(|k| {
			let end = start + base + usize::from(k < extra);
			let range = (start, end);
			start = end;
			range
		})
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::model::Preset;
	use burn::backend::{Autodiff, Flex};
	use burn::module::Param;
	use burn::tensor::Tensor;

	type B = Autodiff<Flex>;

	#[test]
	fn rows_split_evenly_and_cover_the_batch() {
		assert_eq!(split_rows(16, 2), vec![(0, 8), (8, 16)]);
		assert_eq!(split_rows(5, 3), vec![(0, 2), (2, 4), (4, 5)]);
		assert_eq!(split_rows(2, 8), vec![(0, 1), (1, 2)]);
		assert_eq!(split_rows(7, 0), vec![(0, 7)]);
		assert_eq!(split_rows(0, 4), vec![(0, 0)]);
	}

	/// Three shards (unequal: 3 + 2 + 2 rows) give the loss and gradient of the whole batch.
	#[test]
	fn sharded_gradient_equals_the_whole_batch_gradient() {
		let device = Default::default();
		<B as burn::tensor::backend::Backend>::seed(&device, 3);
		let model: Model<B> = Preset::Tiny.config(0).init(&device);
		let len = 8;
		let tokens: Vec<u32> = (0..7 * len as u32).map(|i| (i * 37 + 11) % 256).collect();
		let targets: Vec<u32> = (0..7 * len as u32).map(|i| (i * 91 + 5) % 256).collect();
		let (split, split_grads) = own_loss_and_grads(&model, &tokens, &targets, len, 3, &device);
		let (whole, whole_grads) = own_loss_and_grads(&model, &tokens, &targets, len, 1, &device);
		assert!((whole - split).abs() < 1e-5, "{whole} vs {split}");
		assert!(whole > 5.0 && whole < 6.0, "{whole}");
		// Every parameter's gradient, element by element, in the module's order.
		struct Collect<'a>(&'a GradientsParams, Vec<f32>);
		impl burn::module::ModuleVisitor<B> for Collect<'_> {
			fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
				if let Some(g) = self.0.get::<Flex, D>(param.id) {
					self.1.extend(g.into_data().to_vec::<f32>().unwrap_or_default());
				}
			}
		}
		let pick = |g: &GradientsParams, m: &Model<B>| {
			let mut visitor = Collect(g, Vec::new());
			m.visit(&mut visitor);
			visitor.1
		};
		let (a, b) = (pick(&whole_grads, &model), pick(&split_grads, &model));
		assert_eq!(a.len(), b.len());
		assert!(a.len() > 40_000, "gradients for {} weights", a.len());
		assert!(a.iter().any(|v| v.abs() > 1e-6), "the gradient is not all zero");
		let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
		assert!(worst < 1e-6, "largest difference {worst}");
	}
}
