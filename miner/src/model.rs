//! The miner's language model: a word-level next-word predictor whose input embedding is its own
//! plus a gated mixture of peer embeddings (the distributed mixture of experts of Bittensor's
//! original design).
//!
//! For every context word the miner looks up its own embedding `e` (dimension `d`). Each peer `k`
//! that answered returns its own `d`-dimensional representation `p_k` of the same word. Because
//! every peer learned its own basis, `p_k` goes through a per-peer projection `W_k` before
//! mixing. A gate reads `e` and outputs `1 + max_peers` logits: slot 0 means "rely on myself",
//! slot `k` means "use peer k". Absent peers are masked out before the softmax, so
//!
//! `combined = e + Σ_k gate_k · W_k p_k`
//!
//! The window of combined embeddings is flattened, passed through one ReLU hidden layer and a
//! linear layer to vocabulary logits. What a miner serves to peers is `e`, its own embedding.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::activation::{log_softmax, relu, softmax};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};

/// Shape of the model. Saved in `config.json` beside the checkpoint.
#[derive(Config, Debug, PartialEq)]
pub struct ModelConfig {
	/// Vocabulary size, `<unk>` included.
	pub vocab_size: usize,
	/// Embedding dimension `d`; also the dimension served to and expected from peers.
	#[config(default = 32)]
	pub d_model: usize,
	/// Number of previous words the model sees.
	#[config(default = 3)]
	pub window: usize,
	/// Width of the hidden layer.
	#[config(default = 128)]
	pub hidden: usize,
	/// Number of peer slots in the gate.
	#[config(default = 4)]
	pub max_peers: usize,
}

/// The language model; see the module docs for the architecture.
#[derive(Module, Debug)]
pub struct Model<B: Backend> {
	embedding: Embedding<B>,
	gate: Linear<B>,
	peer_proj: Vec<Linear<B>>,
	hidden: Linear<B>,
	output: Linear<B>,
}

/// Peer features for one batch: one entry per peer slot, `None` when that peer is absent,
/// otherwise a `[batch, window, d]` tensor.
pub type PeerInputs<B> = Vec<Option<Tensor<B, 3>>>;

impl ModelConfig {
	/// Initializes a model with random weights on `device`.
	pub fn init<B: Backend>(&self, device: &B::Device) -> Model<B> {
		let d = self.d_model;
		Model {
			// Small initial embeddings keep early logits near uniform.
			embedding: EmbeddingConfig::new(self.vocab_size, d)
				.with_initializer(burn::nn::Initializer::Normal { mean: 0.0, std: 0.3 })
				.init(device),
			gate: LinearConfig::new(d, 1 + self.max_peers).init(device),
			peer_proj: (0..self.max_peers).map(|_| LinearConfig::new(d, d).init(device)).collect(),
			hidden: LinearConfig::new(self.window * d, self.hidden).init(device),
			output: LinearConfig::new(self.hidden, self.vocab_size).init(device),
		}
	}
}

impl<B: Backend> Model<B> {
	/// Next-word logits `[batch, vocab]` for `context` (`[batch, window]` token ids), mixing in
	/// the features of the peers present in `peers` (extra entries beyond `max_peers` are
	/// ignored).
	pub fn forward(&self, context: Tensor<B, 2, Int>, peers: &PeerInputs<B>) -> Tensor<B, 2> {
		let own = self.embedding.forward(context);
		let [batch, window, d] = own.dims();
		let slots = self.peer_proj.len();
		let present: Vec<bool> =
			(0..slots).map(|k| matches!(peers.get(k), Some(Some(_)))).collect();
		let mut combined = own.clone();
		if present.iter().any(|p| *p) {
			// Absent slots get a large negative logit so the softmax gives them no weight
			// while the remaining gates still sum to one.
			let mask: Vec<f32> = std::iter::once(0.0)
				.chain(present.iter().map(|p| if *p { 0.0 } else { -1.0e9 }))
				.collect();
			let device = own.device();
			let mask = Tensor::<B, 3>::from_data(TensorData::new(mask, [1, 1, 1 + slots]), &device)
				.expand([batch, window, 1 + slots]);
			let gates = softmax(self.gate.forward(own) + mask, 2);
			for (k, proj) in self.peer_proj.iter().enumerate() {
				if let Some(Some(features)) = peers.get(k) {
					let gate = gates.clone().narrow(2, k + 1, 1).expand([batch, window, d]);
					combined = combined + proj.forward(features.clone()) * gate;
				}
			}
		}
		let flat = combined.reshape([batch, window * d]);
		self.output.forward(relu(self.hidden.forward(flat)))
	}

	/// Mean cross-entropy of next-word prediction.
	pub fn loss(
		&self,
		context: Tensor<B, 2, Int>,
		targets: Tensor<B, 1, Int>,
		peers: &PeerInputs<B>,
	) -> Tensor<B, 1> {
		let logits = self.forward(context, peers);
		let [batch, _] = logits.dims();
		let picked = log_softmax(logits, 1).gather(1, targets.reshape([batch, 1]));
		picked.mean().neg()
	}

	/// The embedding table `[vocab, d]` as row-major `f32`: what the axon serves.
	pub fn embedding_table(&self) -> Vec<f32> {
		self.embedding
			.weight
			.val()
			.into_data()
			.convert::<f32>()
			.into_vec::<f32>()
			.unwrap_or_default()
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

/// Builds a `[len]` int tensor from token ids.
pub fn ids_vector<B: Backend>(ids: &[u32], device: &B::Device) -> Tensor<B, 1, Int> {
	let data: Vec<i64> = ids.iter().map(|&i| i64::from(i)).collect();
	Tensor::from_data(TensorData::new(data, [ids.len()]), device)
}

/// Builds peer inputs on `device` from flat per-peer feature vectors (`batch × window × d`).
pub fn peer_inputs<B: Backend>(
	features: &[Option<Vec<f32>>],
	batch: usize,
	window: usize,
	d: usize,
	device: &B::Device,
) -> PeerInputs<B> {
	features
		.iter()
		.map(|f| {
			f.as_ref()
				.filter(|v| v.len() == batch * window * d)
				.map(|v| Tensor::from_data(TensorData::new(v.clone(), [batch, window, d]), device))
		})
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;
	use burn::backend::Flex;

	#[test]
	fn absent_peers_do_not_change_the_output() {
		let device = Default::default();
		let model = ModelConfig::new(20).with_d_model(4).with_max_peers(2).init::<Flex>(&device);
		let ctx = ids_tensor::<Flex>(&[1, 2, 3, 4, 5, 6], 2, &device);
		let none: PeerInputs<Flex> = vec![None, None];
		let a = model.forward(ctx.clone(), &Vec::new()).into_data();
		let b = model.forward(ctx.clone(), &none).into_data();
		assert_eq!(a, b);
		let feats = vec![Some(vec![1.0; 2 * 3 * 4]), None];
		let c = model.forward(ctx, &peer_inputs(&feats, 2, 3, 4, &device)).into_data();
		assert_ne!(a, c, "a present peer must change the prediction");
	}
}
