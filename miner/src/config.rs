//! Training configuration, saved as `config.json` beside the checkpoint so a resumed run uses
//! the same shapes and hyper-parameters.

use burn::config::Config;

use crate::model::ModelConfig;

/// Everything that defines a miner's training run.
#[derive(Config, Debug)]
pub struct MinerConfig {
	/// Model shape.
	pub model: ModelConfig,
	/// Largest vocabulary built from the corpus, `<unk>` included.
	#[config(default = 2000)]
	pub max_vocab: usize,
	/// Training examples per step.
	#[config(default = 64)]
	pub batch_size: usize,
	/// Adam learning rate.
	#[config(default = 3e-3)]
	pub learning_rate: f64,
	/// Fraction of the corpus (its tail) held out for evaluation and peer scoring.
	#[config(default = 0.1)]
	pub heldout_fraction: f64,
	/// Held-out examples per evaluation.
	#[config(default = 512)]
	pub eval_batch: usize,
	/// Steps between evaluations (held-out loss and peer scores).
	#[config(default = 50)]
	pub eval_every: u64,
	/// Steps between checkpoints.
	#[config(default = 200)]
	pub checkpoint_every: u64,
	/// Steps between publishing the embedding table to the axon.
	#[config(default = 10)]
	pub publish_every: u64,
	/// EMA factor of peer scores (weight of the newest observation).
	#[config(default = 0.3)]
	pub score_alpha: f64,
	/// Seed of weight initialization and batch sampling.
	#[config(default = 42)]
	pub seed: u64,
}
