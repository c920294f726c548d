//! The miner's language model: a small causal transformer over the network's byte tokens,
//! whose hidden state at each position is mixed with its peers' (the distributed mixture of
//! experts of Bittensor's design), and which distills that mixture into itself.
//!
//! For a batch of token sequences the model computes its own hidden state `h` at every position
//! (token and position embeddings, `n_layers` pre-norm transformer layers with a causal mask, a
//! final layer norm). `h` is what the miner serves to peers (`axon_forward`). Each peer `k` that
//! answered is sent *probes*: disjoint windows of `peer_window` bytes of the miner's text, never
//! the byte after a window (the one the mixture predicts there) nor the bytes right after that,
//! so it cannot hide the target in its answer and look like an oracle (no consumer could tell
//! it from an honest causal model by its answers). It returns its own hidden state at each
//! window's end, of its own width. There the peer's row `p_k` is normalized (so no scale a peer
//! chooses reaches the model), zero-padded to `max_peer_dim` and mapped into the miner's basis
//! by a per-slot projection `W_k`. A gate reads the own `h` at the window's end and gives
//! `1 + max_peers` weights: slot 0 is "rely on myself", slot `k` is "use peer k"; absent peers
//! are masked out before the softmax. So, at the end of each probe,
//!
//! `solo = head(h)`, `mixture = solo + peer_head(Σ_k gate_k · W_k norm(p_k))`.
//!
//! `peer_head` starts at zero, so the mixture starts as the miner itself and learns what the
//! peers add; the peer side has no biases, so a peer that sends nothing adds nothing. Training
//! keeps two roles apart: the mixture's cross-entropy trains only the peer side (gate,
//! projections, `peer_head`), with the miner's own prediction held fixed; the own path learns
//! from the labels at every position of its batch and from the mixture on the probes,
//! `cross-entropy(solo) +
//! distill · KL(mixture ‖ solo)` with the mixture held fixed. So the miner's own model is trained
//! as it would be alone, plus a teacher that knows what its peers know, and keeps that knowledge
//! when the peers go away.

use burn::config::Config;
use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::attention::generate_autoregressive_mask;
use burn::nn::transformer::{
	TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Int, Tensor, TensorData};

use crate::data::tokenizer::VOCAB_SIZE;

/// Named model sizes.
#[derive(
	Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
pub enum Preset {
	/// 2 layers of width 32, 32-token context: trains in CI on 2 CPU cores.
	Tiny,
	/// 4 layers of width 128, 64-token context: a CPU miner.
	Small,
	/// 6 layers of width 384, 128-token context: a GPU miner.
	Gpu,
}

impl Preset {
	/// The model configuration of this size, with `max_peers` peer slots.
	pub fn config(self, max_peers: usize) -> ModelConfig {
		let (d_model, n_layers, n_heads, context) = match self {
			Self::Tiny => (32, 2, 2, 32),
			Self::Small => (128, 4, 4, 64),
			Self::Gpu => (384, 6, 6, 128),
		};
		ModelConfig::new()
			.with_d_model(d_model)
			.with_n_layers(n_layers)
			.with_n_heads(n_heads)
			.with_d_ff(4 * d_model)
			.with_context(context)
			.with_max_peers(max_peers)
	}
}

/// Shape of the model. Saved in `config.json` beside the checkpoint.
#[derive(Config, Debug, PartialEq)]
pub struct ModelConfig {
	/// Width of the hidden state: what the miner serves to peers.
	#[config(default = 32)]
	pub d_model: usize,
	/// Transformer layers.
	#[config(default = 2)]
	pub n_layers: usize,
	/// Attention heads per layer; divides `d_model`.
	#[config(default = 2)]
	pub n_heads: usize,
	/// Width of each layer's feed-forward block.
	#[config(default = 128)]
	pub d_ff: usize,
	/// Longest sequence the model reads, in tokens (positions it has embeddings for).
	#[config(default = 32)]
	pub context: usize,
	/// Number of peer slots in the gate.
	#[config(default = 4)]
	pub max_peers: usize,
	/// Widest peer hidden state accepted; narrower ones are zero-padded to it.
	#[config(default = 512)]
	pub max_peer_dim: usize,
	/// Tokens each peer is sent per mixed position: the window ending there.
	#[config(default = 8)]
	pub peer_window: usize,
}

/// The language model; see the module docs for the architecture.
#[derive(Module, Debug)]
pub struct Model<B: Backend> {
	token: Embedding<B>,
	position: Embedding<B>,
	encoder: TransformerEncoder<B>,
	norm: LayerNorm<B>,
	gate: Linear<B>,
	peer_proj: Vec<Linear<B>>,
	peer_head: Linear<B>,
	head: Linear<B>,
}

/// Peer features for one batch of sequences: one entry per peer slot, `None` when that peer is
/// absent, otherwise a `[batch, max_peer_dim]` tensor of its normalized, padded hidden states at
/// the sequences' last positions (see [`peer_inputs`]).
pub type PeerInputs<B> = Vec<Option<Tensor<B, 2>>>;

/// The loss of one batch and its parts.
#[derive(Clone, Debug)]
pub struct Loss<B: Backend> {
	/// What is minimized (see the module docs).
	pub total: Tensor<B, 1>,
	/// Cross-entropy of the own prediction at every position (nats per token).
	pub own: Tensor<B, 1>,
	/// Cross-entropy at the last position of each sequence of the mixture with the peers given
	/// (the own prediction when none is present): what peers are scored by.
	pub last: Tensor<B, 1>,
	/// What the peers' side adds to `total` when a peer is present: the mixture's
	/// cross-entropy and the distillation term.
	pub peer: Option<Tensor<B, 1>>,
}

impl ModelConfig {
	/// Checks the shape before building a model from it.
	pub fn validate(&self) -> anyhow::Result<()> {
		if self.d_model == 0 || self.n_heads == 0 || !self.d_model.is_multiple_of(self.n_heads) {
			anyhow::bail!(
				"d_model {} must be a positive multiple of n_heads {}",
				self.d_model,
				self.n_heads
			);
		}
		if self.context < 2 {
			anyhow::bail!("context {} is too short: at least 2 tokens", self.context);
		}
		Ok(())
	}

	/// Initializes a model with random weights on `device`, drawn now from the backend's
	/// generator (see [`materialize`]).
	pub fn init<B: Backend>(&self, device: &B::Device) -> Model<B> {
		let d = self.d_model;
		let small = burn::nn::Initializer::Normal { mean: 0.0, std: 0.02 };
		let model = Model {
			token: EmbeddingConfig::new(VOCAB_SIZE, d).with_initializer(small.clone()).init(device),
			position: EmbeddingConfig::new(self.context, d)
				.with_initializer(small.clone())
				.init(device),
			encoder: TransformerEncoderConfig::new(d, self.d_ff, self.n_heads, self.n_layers)
				.with_dropout(0.0)
				.with_norm_first(true)
				.init(device),
			norm: LayerNormConfig::new(d).init(device),
			gate: LinearConfig::new(d, 1 + self.max_peers).init(device),
			// No biases on the peer side: a peer that sends nothing (zeros after normalization)
			// must add nothing, or it would be paid for a head the miner learns on itself.
			peer_proj: (0..self.max_peers)
				.map(|_| LinearConfig::new(self.max_peer_dim, d).with_initializer(small.clone()))
				.map(|c| c.with_bias(false).init(device))
				.collect(),
			peer_head: LinearConfig::new(d, VOCAB_SIZE)
				.with_initializer(burn::nn::Initializer::Zeros)
				.with_bias(false)
				.init(device),
			head: LinearConfig::new(d, VOCAB_SIZE).init(device),
		};
		materialize(&model);
		model
	}
}

/// Gives every lazily initialized parameter of `model` its value now, in module order. Burn's
/// parameters draw their random values when first used, so without this a model's weights
/// would depend on what else drew from the backend's generator before its first step (another
/// miner in the process) and on the order of that step's ops, which differs with the number of
/// shards (`crate::shards`), whose forks would each draw afresh.
pub fn materialize<B: Backend>(model: &Model<B>) {
	struct Materialize;
	impl<B: Backend> ModuleVisitor<B> for Materialize {
		fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
			let _ = param.val();
		}
	}
	model.visit(&mut Materialize);
}

impl<B: Backend> Model<B> {
	/// The model's own hidden state `[batch, len, d_model]` for `tokens` (`[batch, len]`,
	/// `len` at most the context): what the axon serves.
	pub fn hidden(&self, tokens: Tensor<B, 2, Int>) -> Tensor<B, 3> {
		let [batch, len] = tokens.dims();
		let device = tokens.device();
		let positions = Tensor::<B, 1, Int>::arange(0..len as i64, &device)
			.reshape([1, len])
			.expand([batch, len]);
		let x = self.token.forward(tokens) + self.position.forward(positions);
		let mask = generate_autoregressive_mask::<B>(batch, len, &device);
		let x = self.encoder.forward(TransformerEncoderInput::new(x).mask_attn(mask));
		self.norm.forward(x)
	}

	/// What the peers present in `peers` add to the next-token logits `[rows, vocab]` at the
	/// sequences' last positions, from the gated, projected features (extra entries beyond
	/// `max_peers`, and features with another number of rows, are ignored); `None` when no peer
	/// is present. `own` is the own hidden state there, `[rows, d]`.
	fn peer_logits(&self, own: Tensor<B, 2>, peers: &PeerInputs<B>) -> Option<Tensor<B, 2>> {
		let [rows, d] = own.dims();
		let slots = self.peer_proj.len();
		let usable = |k: usize| -> Option<&Tensor<B, 2>> {
			peers.get(k)?.as_ref().filter(|f| f.dims()[0] == rows)
		};
		let present: Vec<bool> = (0..slots).map(|k| usable(k).is_some()).collect();
		if !present.iter().any(|p| *p) {
			return None;
		}
		// Absent slots get a large negative logit so the softmax gives them no weight while
		// the remaining gates still sum to one.
		let mask: Vec<f32> = std::iter::once(0.0)
			.chain(present.iter().map(|p| if *p { 0.0 } else { -1.0e9 }))
			.collect();
		let device = own.device();
		let mask = Tensor::<B, 2>::from_data(TensorData::new(mask, [1, 1 + slots]), &device)
			.expand([rows, 1 + slots]);
		let gates = softmax(self.gate.forward(own) + mask, 1);
		let mut mixed: Option<Tensor<B, 2>> = None;
		for (k, proj) in self.peer_proj.iter().enumerate() {
			if let Some(features) = usable(k) {
				let gate = gates.clone().narrow(1, k + 1, 1).expand([rows, d]);
				let part = proj.forward(features.clone()) * gate;
				mixed = Some(match mixed {
					Some(sum) => sum + part,
					None => part,
				});
			}
		}
		mixed.map(|m| self.peer_head.forward(m))
	}

	/// Forgets what slot `k` learned about its peer, for a new occupant: a fresh projection and
	/// a neutral gate column (zero weights and bias, so the gate starts by weighing the new
	/// peer by the others' average rather than by its predecessor's verdict). Parameter ids
	/// stay, so the optimizer keeps its place. Out of range: nothing.
	pub fn reset_slot(mut self, k: usize) -> Self {
		let Some(proj) = self.peer_proj.get_mut(k) else { return self };
		let weight = proj.weight.clone();
		proj.weight = weight.map(|w| {
			let fresh = Tensor::random(w.dims(), Distribution::Normal(0.0, 0.02), &w.device());
			fresh.require_grad()
		});
		let column = k.saturating_add(1);
		let gate_weight = self.gate.weight.clone();
		self.gate.weight = gate_weight.map(|w| {
			let [rows, _] = w.dims();
			w.slice_fill([0..rows, column..column + 1], 0.0).detach().require_grad()
		});
		if let Some(bias) = self.gate.bias.clone() {
			self.gate.bias =
				Some(bias.map(|b| b.slice_fill([column..column + 1], 0.0).detach().require_grad()));
		}
		self
	}

	/// The mixture's logits `[batch, vocab]` for the token after each sequence, with `peers`
	/// (their features for the last position); the own prediction when no peer is present.
	pub fn next_logits(&self, tokens: Tensor<B, 2, Int>, peers: &PeerInputs<B>) -> Tensor<B, 2> {
		let [batch, len] = tokens.dims();
		let hidden = self.hidden(tokens);
		let d = hidden.dims()[2];
		let last = hidden.narrow(1, len - 1, 1).reshape([batch, d]);
		let solo = self.head.forward(last.clone());
		match self.peer_logits(last, peers) {
			Some(extra) => solo + extra,
			None => solo,
		}
	}

	/// The mixture's cross-entropy at each sequence's last position, `[batch]`: what a
	/// sequence's target costs with `peers` (the own prediction when none is present).
	pub fn last_losses(
		&self,
		tokens: Tensor<B, 2, Int>,
		targets: Tensor<B, 2, Int>,
		peers: &PeerInputs<B>,
	) -> Tensor<B, 1> {
		let [batch, len] = targets.dims();
		let last_targets = targets.narrow(1, len - 1, 1).reshape([batch, 1]);
		let log_p = log_softmax(self.next_logits(tokens, peers), 1);
		log_p.gather(1, last_targets).reshape([batch]).neg()
	}

	/// The loss of predicting `targets` (`[batch, len]`, the token after each position) from
	/// `tokens`, with `peers` in the mixture at each sequence's last position and the
	/// distillation term weighted by `distill` (see the module docs).
	pub fn loss(
		&self,
		tokens: Tensor<B, 2, Int>,
		targets: Tensor<B, 2, Int>,
		peers: &PeerInputs<B>,
		distill: f64,
	) -> Loss<B> {
		let [batch, len] = tokens.dims();
		let hidden = self.hidden(tokens);
		let d = hidden.dims()[2];
		let solo = self.head.forward(hidden.clone());
		let rows = batch * len;
		let log_solo = log_softmax(solo.clone().reshape([rows, VOCAB_SIZE]), 1);
		let own = log_solo.gather(1, targets.clone().reshape([rows, 1])).mean().neg();
		let last_targets = targets.narrow(1, len - 1, 1).reshape([batch, 1]);
		let solo_last = solo.narrow(1, len - 1, 1).reshape([batch, VOCAB_SIZE]);
		let log_solo_last = log_softmax(solo_last.clone(), 1);
		let own_last = hidden.narrow(1, len - 1, 1).reshape([batch, d]);
		let Some(extra) = self.peer_logits(own_last.detach(), peers) else {
			let last = log_solo_last.gather(1, last_targets).mean().neg();
			return Loss { total: own.clone(), own, last, peer: None };
		};
		// The peer side learns on top of the own prediction held fixed.
		let log_mix = log_softmax(solo_last.detach() + extra, 1);
		let last = log_mix.clone().gather(1, last_targets).mean().neg();
		let mut peer = last.clone();
		if distill > 0.0 {
			// The own path learns from the mixture held fixed.
			let log_mix = log_mix.detach();
			let kl = (log_mix.clone().exp() * (log_mix - log_solo_last)).sum_dim(1).mean();
			peer = peer + kl.mul_scalar(distill);
		}
		Loss { total: own.clone() + peer.clone(), own, last, peer: Some(peer) }
	}

	/// Number of peer slots.
	pub fn max_peers(&self) -> usize {
		self.peer_proj.len()
	}
}

/// Builds a `[rows, cols]` int tensor from token ids.
pub fn ids_tensor<B: Backend>(ids: &[u32], rows: usize, device: &B::Device) -> Tensor<B, 2, Int> {
	let data: Vec<i64> = ids.iter().map(|&i| i64::from(i)).collect();
	let cols = ids.len().checked_div(rows).unwrap_or(0);
	Tensor::from_data(TensorData::new(data, [rows, cols]), device)
}

/// One peer's hidden states for a batch: `values` holds `positions × dim` row-major `f32`.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerFeatures {
	/// Width of the peer's hidden state.
	pub dim: usize,
	/// The values, one row of `dim` per position.
	pub values: Vec<f32>,
}

/// `row` normalized to mean 0 and variance 1 (all zeros when it is constant), computed in `f64`
/// so that no finite value a peer sends can overflow, and written into `out` (the first
/// `row.len()` of a zero-filled padded row).
fn normalize_into(row: &[f32], out: &mut [f32]) {
	let n = row.len().max(1) as f64;
	let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
	let var = row.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n;
	if !(var.is_finite() && var > 1e-12) {
		return;
	}
	let inv = var.sqrt().recip();
	for (o, &v) in out.iter_mut().zip(row) {
		*o = ((f64::from(v) - mean) * inv) as f32;
	}
}

/// The normalized row of each sequence's last position in `f` (features for `windows`
/// sequences of `window` tokens), zero-padded to `max_dim` (`windows × max_dim`, row-major):
/// what the model sees of a peer. `None` for features of the wrong size or wider than
/// `max_dim`.
pub fn last_rows(
	f: &PeerFeatures,
	windows: usize,
	window: usize,
	max_dim: usize,
) -> Option<Vec<f32>> {
	let positions = windows.saturating_mul(window);
	let fits = window > 0
		&& f.dim > 0
		&& f.dim <= max_dim
		&& f.values.len() == positions.saturating_mul(f.dim);
	if !fits {
		return None;
	}
	let mut padded = vec![0.0f32; windows.saturating_mul(max_dim)];
	let rows = f.values.chunks_exact(window.saturating_mul(f.dim));
	for (sequence, out) in rows.zip(padded.chunks_exact_mut(max_dim)) {
		let last = sequence.get(sequence.len().saturating_sub(f.dim)..).unwrap_or(&[]);
		normalize_into(last, out);
	}
	Some(padded)
}

/// Builds [`PeerInputs`] on `device` from each peer's features for `windows` sequences of
/// `window` tokens: [`last_rows`] as `[windows, max_dim]` tensors. Features of the wrong size
/// or wider than `max_dim` count as absent (the dendrite already refuses them).
pub fn peer_inputs<B: Backend>(
	features: &[Option<PeerFeatures>],
	windows: usize,
	window: usize,
	max_dim: usize,
	device: &B::Device,
) -> PeerInputs<B> {
	features
		.iter()
		.map(|f| {
			let rows = last_rows(f.as_ref()?, windows, window, max_dim)?;
			Some(Tensor::from_data(TensorData::new(rows, [windows, max_dim]), device))
		})
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;
	use burn::backend::Flex;

	fn tiny(max_peers: usize) -> Model<Flex> {
		Preset::Tiny.config(max_peers).with_max_peer_dim(8).init::<Flex>(&Default::default())
	}

	/// Every weight of `model`, in module order.
	fn weights(model: &Model<Flex>) -> Vec<f32> {
		struct Collect(Vec<f32>);
		impl ModuleVisitor<Flex> for Collect {
			fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<Flex, D>>) {
				self.0.extend(param.val().into_data().to_vec::<f32>().unwrap_or_default());
			}
		}
		let mut visitor = Collect(Vec::new());
		model.visit(&mut visitor);
		visitor.0
	}

	/// A model's weights are drawn when it is made, under the seed set before: whatever draws
	/// from the generator afterwards (here: other seeds and noise) does not change them.
	#[test]
	fn weights_depend_on_the_seed_only_not_on_what_draws_later() {
		let device = Default::default();
		<Flex as Backend>::seed(&device, 5);
		let a = tiny(2);
		<Flex as Backend>::seed(&device, 99);
		let _noise = Tensor::<Flex, 1>::random([1000], Distribution::Default, &device);
		<Flex as Backend>::seed(&device, 5);
		let b = tiny(2);
		<Flex as Backend>::seed(&device, 77);
		let (wa, wb) = (weights(&a), weights(&b));
		assert!(wa.len() > 50_000, "{} weights", wa.len());
		assert!(wa == wb, "the same seed gave other weights");
	}

	#[test]
	fn absent_peers_do_not_change_the_output() {
		let device = Default::default();
		let mut model = tiny(2);
		// Trained weights instead of the zeros `peer_head` starts with.
		model.peer_head = LinearConfig::new(32, VOCAB_SIZE).with_bias(false).init(&device);
		let ctx = ids_tensor::<Flex>(&[1, 2, 3, 4, 5, 6], 2, &device);
		let none: PeerInputs<Flex> = vec![None, None];
		let a = model.next_logits(ctx.clone(), &Vec::new()).into_data();
		let b = model.next_logits(ctx.clone(), &none).into_data();
		assert_eq!(a, b);
		// One window of 3 tokens per sequence, ending at its last position.
		let peer = PeerFeatures { dim: 4, values: (0..24).map(|i| i as f32).collect() };
		let feats = vec![Some(peer), None];
		let present = peer_inputs(&feats, 2, 3, 8, &device);
		let c = model.next_logits(ctx.clone(), &present).into_data();
		assert_ne!(a, c, "a present peer must change the prediction");
		// A fresh model's mixture is the model itself: what peers add is learned.
		let fresh = tiny(2);
		let solo = fresh.next_logits(ctx.clone(), &Vec::new()).into_data();
		let mixed = fresh.next_logits(ctx, &present).into_data();
		assert_eq!(solo, mixed);
	}

	#[test]
	fn the_hidden_state_at_a_position_ignores_later_tokens() {
		let device = Default::default();
		let model = tiny(0);
		let a = model.hidden(ids_tensor::<Flex>(&[10, 20, 30, 40], 1, &device));
		let b = model.hidden(ids_tensor::<Flex>(&[10, 20, 99, 98], 1, &device));
		let first = |h: Tensor<Flex, 3>| h.narrow(1, 0, 2).into_data().to_vec::<f32>().unwrap();
		let last = |h: Tensor<Flex, 3>| h.narrow(1, 3, 1).into_data().to_vec::<f32>().unwrap();
		assert_eq!(first(a.clone()), first(b.clone()), "positions 0 and 1 saw the future");
		assert_ne!(last(a), last(b));
	}

	#[test]
	fn huge_or_constant_peer_values_are_normalized_away() {
		let device = Default::default();
		let huge = PeerFeatures { dim: 4, values: vec![3.0e38, -3.0e38, 3.0e38, 1.0] };
		let flat = PeerFeatures { dim: 4, values: vec![7.0; 4] };
		let inputs = peer_inputs::<Flex>(&[Some(huge), Some(flat)], 1, 1, 8, &device);
		let values = |k: usize| inputs[k].clone().unwrap().into_data().to_vec::<f32>().unwrap();
		let h = values(0);
		assert!(h.iter().all(|v| v.is_finite() && v.abs() <= 2.0), "{h:?}");
		assert_eq!(&h[4..], &[0.0; 4], "padding stays zero");
		assert_eq!(values(1), vec![0.0; 8]);
	}
}
