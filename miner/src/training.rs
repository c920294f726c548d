//! The training loop of one miner: [`Miner::step`] trains on one batch (with peer features when
//! it has peers) and, on schedule, evaluates on held-out text, rescores peers, publishes its
//! embeddings to its axon and checkpoints.
//!
//! A data directory holds `config.json`, `vocab.json`, `model.mpk`, `optim.mpk`, `state.json`
//! (the step), `loss.csv` (the loss curve) and `scores.json` (the peer table).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use burn::config::Config;
use burn::module::{AutodiffModule, Module};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::record::{FullPrecisionSettings, NamedMpkFileRecorder, Recorder};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::ElementConversion;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::config::MinerConfig;
use crate::data::{Batch, Corpus, Vocab};
use crate::model::{ids_tensor, ids_vector, peer_inputs, Model, PeerInputs};
use crate::peers::{Dendrite, PeerReply, Scores, Served, Table};

type Optim<B> = OptimizerAdaptor<Adam, Model<B>, B>;
type Rec = NamedMpkFileRecorder<FullPrecisionSettings>;

/// A dendrite plus the runtime it runs on; the training loop is synchronous.
pub struct PeerLink {
	/// The client for the peers.
	pub dendrite: Dendrite,
	/// Runtime handle the dendrite blocks on (the loop must run outside that runtime's tasks).
	pub handle: tokio::runtime::Handle,
}

/// What one training step did.
#[derive(Clone, Debug)]
pub struct StepReport {
	/// Step number after this step.
	pub step: u64,
	/// Training loss of the batch.
	pub loss: f64,
	/// Peers whose features were used.
	pub peers_present: usize,
	/// Set when this step ran an evaluation.
	pub eval: Option<Evaluation>,
}

/// One held-out evaluation.
#[derive(Clone, Debug)]
pub struct Evaluation {
	/// Held-out loss with every present peer.
	pub loss: f64,
	/// Held-out loss with no peers.
	pub loss_no_peers: f64,
	/// Per peer: loss saved by its features (leave-one-out), or why it was absent.
	pub saved: Vec<Result<f64, String>>,
}

#[derive(Serialize, Deserialize)]
struct State {
	step: u64,
}

/// One miner: model, optimizer, data, peers and scores.
pub struct Miner<B: AutodiffBackend> {
	config: MinerConfig,
	vocab: Vocab,
	corpus: Corpus,
	model: Model<B>,
	optim: Optim<B>,
	device: B::Device,
	rng: StdRng,
	step: u64,
	data_dir: Option<PathBuf>,
	peers: Option<PeerLink>,
	scores: Scores,
	served: Option<Served>,
	train_loss_sum: f64,
	train_loss_n: u64,
}

impl<B: AutodiffBackend> Miner<B> {
	/// A fresh miner on `text`, whose vocabulary must be the one `config.model` was sized for.
	pub fn new(
		config: MinerConfig,
		vocab: Vocab,
		text: &str,
		device: B::Device,
	) -> anyhow::Result<Self> {
		if config.model.vocab_size != vocab.len() {
			anyhow::bail!(
				"model vocabulary size {} differs from the vocabulary ({} words)",
				config.model.vocab_size,
				vocab.len()
			);
		}
		B::seed(&device, config.seed);
		let model = config.model.init::<B>(&device);
		Self::assemble(config, vocab, text, model, device, 0)
	}

	fn assemble(
		config: MinerConfig,
		vocab: Vocab,
		text: &str,
		model: Model<B>,
		device: B::Device,
		step: u64,
	) -> anyhow::Result<Self> {
		let corpus = Corpus::new(text, &vocab, config.model.window, config.heldout_fraction)?;
		let optim = AdamConfig::new().init::<B, Model<B>>();
		let rng = StdRng::seed_from_u64(config.seed.wrapping_add(step));
		let scores = Scores::new(&[], config.score_alpha);
		Ok(Self {
			config,
			vocab,
			corpus,
			model,
			optim,
			device,
			rng,
			step,
			data_dir: None,
			peers: None,
			scores,
			served: None,
			train_loss_sum: 0.0,
			train_loss_n: 0,
		})
	}

	/// Resumes the checkpoint in `dir`, tokenizing `text` with the saved vocabulary.
	/// Returns `Ok(None)` when `dir` holds no checkpoint.
	pub fn resume(dir: &Path, text: &str, device: B::Device) -> anyhow::Result<Option<Self>> {
		let state_path = dir.join("state.json");
		if !state_path.exists() {
			return Ok(None);
		}
		let state: State = serde_json::from_str(
			&std::fs::read_to_string(&state_path)
				.with_context(|| format!("cannot read {}", state_path.display()))?,
		)
		.with_context(|| {
			format!("{} is corrupt; delete the data dir to start over", state_path.display())
		})?;
		let config = MinerConfig::load(dir.join("config.json"))
			.map_err(|e| anyhow::anyhow!("cannot load {}/config.json: {e}", dir.display()))?;
		let vocab = Vocab::load(&dir.join("vocab.json"))?;
		let model = config
			.model
			.init::<B>(&device)
			.load_file(dir.join("model"), &Rec::default(), &device)
			.map_err(|e| anyhow::anyhow!("cannot load {}/model.mpk: {e}", dir.display()))?;
		let mut miner = Self::assemble(config, vocab, text, model, device, state.step)?;
		let optim_path = dir.join("optim");
		if optim_path.with_extension("mpk").exists() {
			match Recorder::<B>::load(&Rec::default(), optim_path, &miner.device) {
				Ok(record) => miner.optim = miner.optim.load_record(record),
				Err(e) => {
					log::warn!("optimizer state not restored ({e}); Adam restarts its moments")
				}
			}
		}
		miner.data_dir = Some(dir.to_path_buf());
		Ok(Some(miner))
	}

	/// Writes the checkpoint (config, vocabulary, model, optimizer, step) to `dir` and makes it
	/// the directory for later checkpoints, the loss curve and the scores.
	pub fn save(&mut self, dir: &Path) -> anyhow::Result<()> {
		std::fs::create_dir_all(dir)
			.with_context(|| format!("cannot create data dir {}", dir.display()))?;
		self.config
			.save(dir.join("config.json"))
			.with_context(|| format!("cannot write {}/config.json", dir.display()))?;
		self.vocab.save(&dir.join("vocab.json"))?;
		self.model
			.clone()
			.save_file(dir.join("model"), &Rec::default())
			.map_err(|e| anyhow::anyhow!("cannot write {}/model.mpk: {e}", dir.display()))?;
		Recorder::<B>::record(&Rec::default(), self.optim.to_record(), dir.join("optim"))
			.map_err(|e| anyhow::anyhow!("cannot write {}/optim.mpk: {e}", dir.display()))?;
		// The step goes last: a checkpoint without it is ignored rather than half-loaded.
		std::fs::write(dir.join("state.json"), serde_json::to_string(&State { step: self.step })?)
			.with_context(|| format!("cannot write {}/state.json", dir.display()))?;
		self.data_dir = Some(dir.to_path_buf());
		Ok(())
	}

	/// Connects the miner to peers. The score table follows: peers it already scored keep their
	/// scores (matched by address), new ones start at 0, others are dropped.
	pub fn set_peers(&mut self, link: PeerLink) -> anyhow::Result<()> {
		let slots = self.config.model.max_peers;
		if link.dendrite.len() > slots {
			anyhow::bail!(
				"{} peers given but the model has {slots} peer slots; pass fewer peers or \
				 train a new model with --max-peers {}",
				link.dendrite.len(),
				link.dendrite.len()
			);
		}
		self.scores = self.scores.retarget(&link.dendrite.addrs());
		self.peers = Some(link);
		Ok(())
	}

	/// Disconnects the miner from all peers (the score table keeps only the self score).
	pub fn clear_peers(&mut self) {
		self.scores = self.scores.retarget(&[]);
		self.peers = None;
	}

	/// Makes the miner publish its embeddings to `served` (an axon's table) on schedule, and
	/// publishes once now.
	pub fn serve_into(&mut self, served: Served) {
		served.publish(self.table());
		self.served = Some(served);
	}

	/// The current embedding table with its metadata.
	pub fn table(&self) -> Table {
		Table {
			weights: self.model.embedding_table(),
			vocab_size: self.vocab.len(),
			dim: self.config.model.d_model,
			vocab_hash: self.vocab.hash(),
			version: self.step,
		}
	}

	/// Steps trained so far.
	pub fn step_count(&self) -> u64 {
		self.step
	}

	/// The configuration.
	pub fn config(&self) -> &MinerConfig {
		&self.config
	}

	/// The vocabulary.
	pub fn vocab(&self) -> &Vocab {
		&self.vocab
	}

	/// The corpus split.
	pub fn corpus(&self) -> &Corpus {
		&self.corpus
	}

	/// The peer score table.
	pub fn scores(&self) -> &Scores {
		&self.scores
	}

	/// Asks the peers (if any) for features of `context`; one reply per peer slot in use.
	fn query_peers(&self, context: &[u32]) -> Vec<PeerReply> {
		match &self.peers {
			Some(link) => link.dendrite.forward_blocking(&link.handle, context),
			None => Vec::new(),
		}
	}

	fn peer_tensors<Bk: Backend>(
		&self,
		replies: &[PeerReply],
		batch: &Batch,
		device: &Bk::Device,
	) -> PeerInputs<Bk> {
		let features: Vec<Option<Vec<f32>>> =
			replies.iter().map(|r| r.as_ref().ok().cloned()).collect();
		peer_inputs::<Bk>(&features, batch.size(), batch.window, self.config.model.d_model, device)
	}

	/// Trains on one batch, then runs whatever is due (publish, evaluate and score, checkpoint).
	pub fn step(&mut self) -> anyhow::Result<StepReport> {
		let batch = self.corpus.sample_train(&mut self.rng, self.config.batch_size);
		let replies = self.query_peers(&batch.context);
		let peers = self.peer_tensors::<B>(&replies, &batch, &self.device);
		let present = peers.iter().filter(|p| p.is_some()).count();
		let context = ids_tensor::<B>(&batch.context, batch.size(), &self.device);
		let targets = ids_vector::<B>(&batch.target, &self.device);
		let loss = self.model.loss(context, targets, &peers);
		let loss_value: f64 = loss.clone().into_scalar().elem();
		if !loss_value.is_finite() {
			anyhow::bail!(
				"training diverged at step {} (loss {loss_value}); lower --lr",
				self.step
			);
		}
		let grads = GradientsParams::from_grads(loss.backward(), &self.model);
		self.model = self.optim.step(self.config.learning_rate, self.model.clone(), grads);
		self.step += 1;
		self.train_loss_sum += loss_value;
		self.train_loss_n += 1;

		if let Some(served) = &self.served {
			if self.step.is_multiple_of(self.config.publish_every.max(1)) {
				served.publish(self.table());
			}
		}
		let eval = if self.step.is_multiple_of(self.config.eval_every.max(1)) {
			Some(self.evaluate_and_score()?)
		} else {
			None
		};
		if self.step.is_multiple_of(self.config.checkpoint_every.max(1)) {
			if let Some(dir) = self.data_dir.clone() {
				self.save(&dir)?;
			}
		}
		Ok(StepReport { step: self.step, loss: loss_value, peers_present: present, eval })
	}

	/// Held-out loss with all peers, without any, and without each peer in turn.
	pub fn evaluate(&self) -> Evaluation {
		let batch = self.corpus.heldout_batch(self.config.seed, self.config.eval_batch);
		let replies = self.query_peers(&batch.context);
		let model = self.model.valid();
		let device = &self.device;
		let all = self.peer_tensors::<B::InnerBackend>(&replies, &batch, device);
		let loss = |peers: &PeerInputs<B::InnerBackend>| -> f64 {
			let context = ids_tensor::<B::InnerBackend>(&batch.context, batch.size(), device);
			let targets = ids_vector::<B::InnerBackend>(&batch.target, device);
			model.loss(context, targets, peers).into_scalar().elem()
		};
		let with_all = loss(&all);
		let loss_no_peers =
			if all.iter().any(Option::is_some) { loss(&Vec::new()) } else { with_all };
		let saved = replies
			.iter()
			.enumerate()
			.map(|(k, reply)| match reply {
				Ok(_) => {
					let mut without = all.clone();
					if let Some(slot) = without.get_mut(k) {
						*slot = None;
					}
					Ok(loss(&without) - with_all)
				}
				Err(why) => Err(why.clone()),
			})
			.collect();
		Evaluation { loss: with_all, loss_no_peers, saved }
	}

	/// Evaluates, updates the scores, and appends to `loss.csv` / writes `scores.json` when the
	/// miner has a data dir.
	pub fn evaluate_and_score(&mut self) -> anyhow::Result<Evaluation> {
		let eval = self.evaluate();
		let uniform = (self.vocab.len() as f64).ln();
		self.scores.update(self.step, uniform - eval.loss_no_peers, &eval.saved);
		let train_loss = if self.train_loss_n > 0 {
			self.train_loss_sum / self.train_loss_n as f64
		} else {
			f64::NAN
		};
		self.train_loss_sum = 0.0;
		self.train_loss_n = 0;
		if let Some(dir) = &self.data_dir {
			append_loss_row(dir, self.step, train_loss, &eval)?;
			if !self.scores.peers.is_empty() {
				self.scores.save(&dir.join("scores.json"))?;
			}
		}
		Ok(eval)
	}
}

fn append_loss_row(dir: &Path, step: u64, train: f64, eval: &Evaluation) -> anyhow::Result<()> {
	let path = dir.join("loss.csv");
	let new = !path.exists();
	let mut f = std::fs::OpenOptions::new()
		.create(true)
		.append(true)
		.open(&path)
		.with_context(|| format!("cannot append to {}", path.display()))?;
	if new {
		writeln!(f, "step,train_loss,heldout_loss,heldout_loss_no_peers,peers_present")?;
	}
	let present = eval.saved.iter().filter(|s| s.is_ok()).count();
	writeln!(f, "{step},{train:.5},{:.5},{:.5},{present}", eval.loss, eval.loss_no_peers)?;
	Ok(())
}
