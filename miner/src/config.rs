//! Training configuration, saved as `config.json` beside the checkpoint so a resumed run uses
//! the same shapes and hyper-parameters.

use burn::config::Config;

use crate::model::ModelConfig;

/// Everything that defines a miner's training run.
#[derive(Config, Debug)]
pub struct MinerConfig {
	/// Model shape.
	pub model: ModelConfig,
	/// Sequences per step (each `model.context` tokens long).
	#[config(default = 16)]
	pub batch_size: usize,
	/// Adam learning rate.
	#[config(default = 3e-3)]
	pub learning_rate: f64,
	/// Weight of the distillation term `KL(mixture ‖ solo)` beside the cross-entropy.
	#[config(default = 0.5)]
	pub distill: f64,
	/// Probes per step: disjoint windows of `model.peer_window` bytes sent to the peers, at the
	/// end of each of which the mixture predicts the next byte.
	#[config(default = 128)]
	pub peer_batch: usize,
	/// Probability that a peer's features are left out of a training step, so the gate and the
	/// own path learn to do without any one peer.
	#[config(default = 0.25)]
	pub peer_dropout: f64,
	/// Fraction of the corpus (its tail) held out for evaluation and peer scoring.
	#[config(default = 0.1)]
	pub heldout_fraction: f64,
	/// Held-out probes per evaluation (as many as the held-out text holds, if fewer).
	#[config(default = 128)]
	pub eval_batch: usize,
	/// Steps between evaluations (held-out loss and peer scores).
	#[config(default = 50)]
	pub eval_every: u64,
	/// Steps between checkpoints.
	#[config(default = 200)]
	pub checkpoint_every: u64,
	/// Steps between publishing the model to the axon.
	#[config(default = 10)]
	pub publish_every: u64,
	/// EMA factor of peer scores (weight of the newest observation).
	#[config(default = 0.3)]
	pub score_alpha: f64,
	/// Seed of weight initialization, batch sampling and peer dropout.
	#[config(default = 42)]
	pub seed: u64,
}
