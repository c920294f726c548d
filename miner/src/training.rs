//! The training loop of one miner: [`Miner::step`] trains on one batch (with its peers' hidden
//! states when it has peers, distilling the mixture into its own path) and, on schedule,
//! evaluates on held-out text, rescores peers, publishes its model to its axon and checkpoints.
//!
//! A data directory holds `config.json`, `model.mpk`, `optim.mpk`, `state.json` (the step and
//! the protocol version), `peers.json` (the peer table of the checkpoint), `loss.csv` (the loss
//! curve) and `scores.json` (the peer table after the latest evaluation).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use burn::config::Config;
use burn::module::{AutodiffModule, Module};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsAccumulator, GradientsParams, Optimizer};
use burn::record::{FullPrecisionSettings, NamedMpkFileRecorder, Recorder};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Int, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use sp_core::crypto::AccountId32;

use crate::chain::{parse_account, Signer};
use crate::config::MinerConfig;
use crate::data::{tokenizer, Batch, Corpus};
use crate::model::{ids_tensor, last_rows, peer_inputs, Model, PeerFeatures, PeerInputs};
use crate::peers::wire::PROTOCOL;
use crate::peers::{copies, scoring};
use crate::peers::{
	Candidate, Dendrite, Encoder, PeerReply, Scores, Served, SlotChange, SlotPolicy, Snapshot,
};

type Optim<B> = OptimizerAdaptor<Adam, Model<B>, B>;
type Rec = NamedMpkFileRecorder<FullPrecisionSettings>;

/// A dendrite plus the runtime it runs on; the training loop is synchronous.
pub struct PeerLink {
	/// The client for the peers: every candidate in the peer table, in the table's order.
	pub dendrite: Dendrite,
	/// Runtime handle the dendrite blocks on (the loop must run outside that runtime's tasks).
	pub handle: tokio::runtime::Handle,
}

/// What one training step did.
#[derive(Clone, Debug)]
pub struct StepReport {
	/// Step number after this step.
	pub step: u64,
	/// Training cross-entropy of the own model on the batch, every position (nats per token).
	pub loss: f64,
	/// Peers whose features were used.
	pub peers_present: usize,
	/// How long the step waited for its peers after its own work was done (they are asked
	/// before it starts, and answer while it runs).
	pub peer_wait: Duration,
	/// Set when this step ran an evaluation.
	pub eval: Option<Evaluation>,
}

/// One held-out evaluation.
#[derive(Clone, Debug)]
pub struct Evaluation {
	/// Held-out loss with every present peer (nats per token, at the sequences' last positions,
	/// the ones peers are used at).
	pub loss: f64,
	/// Held-out loss of the miner alone at the same positions: what it keeps without peers.
	pub loss_no_peers: f64,
	/// Per peer slot: loss saved by its occupant's features (leave-one-out), or why it was
	/// absent (or that the slot is free).
	pub saved: Vec<Result<f64, String>>,
	/// Per slot: the standard error of that saving over the probes (0 when absent), how far a
	/// peer that knows nothing wanders.
	pub stderr: Vec<f64>,
	/// Per slot: the likeness of its answers with the miner's own (0 when absent; see
	/// [`copies::likeness`]); at or above [`copies::COPY_SIMILARITY`] the peer mirrors the
	/// miner and observes nothing.
	pub likeness_to_own: Vec<f64>,
}

#[derive(Serialize, Deserialize)]
struct State {
	step: u64,
	/// Peer protocol of the model; checkpoints written before version 2 lack it.
	#[serde(default)]
	protocol: u32,
	/// Seed of the private held-out split and of the evaluation draws; older checkpoints lack
	/// it (they held out the corpus's tail).
	#[serde(default)]
	secret: Option<u64>,
}

/// A model snapshot the axon runs on its own threads.
struct ModelEncoder<B: Backend> {
	model: Mutex<Model<B>>,
	device: B::Device,
}

impl<B: Backend> Encoder for ModelEncoder<B> {
	fn encode(&self, tokens: &[u32], sequences: usize) -> Vec<f32> {
		// Cloning a module copies handles, not weights: the lock is held only for that.
		let model = self.model.lock().unwrap_or_else(|e| e.into_inner()).clone();
		let hidden = model.hidden(ids_tensor::<B>(tokens, sequences, &self.device));
		hidden.into_data().convert::<f32>().into_vec::<f32>().unwrap_or_default()
	}
}

/// One miner: model, optimizer, data, peers and scores.
pub struct Miner<B: AutodiffBackend> {
	config: MinerConfig,
	corpus: Corpus,
	model: Model<B>,
	optim: Optim<B>,
	device: B::Device,
	rng: StdRng,
	/// Probes and peer dropout draw from their own generator, so having peers, and which of
	/// them answer, never changes the training batches.
	peer_rng: StdRng,
	step: u64,
	/// Chooses the held-out blocks and each evaluation's probes; never leaves the data dir.
	secret: u64,
	data_dir: Option<PathBuf>,
	peers: Option<PeerLink>,
	/// Every candidate peer, who holds which slot, and their scores.
	scores: Scores,
	slot_policy: SlotPolicy,
	/// Signs requests to peers whose axon key is known.
	signer: Option<Signer>,
	served: Option<Served>,
	train_loss_sum: f64,
	train_loss_n: u64,
	skipped_in_a_row: u32,
	/// Row ranges each training batch is split into, trained at once on threads
	/// ([`crate::shards`]); 1 on a GPU.
	shards: usize,
	/// The step after which the next evaluation runs (see [`next_evaluation`]).
	next_eval: u64,
}

/// The step of the evaluation after one at `step`: `eval_every` steps later on average, drawn
/// from the secret between half and one and a half times that, so that a peer counting
/// requests cannot tell which ones score.
fn next_evaluation(secret: u64, step: u64, eval_every: u64) -> u64 {
	let every = eval_every.max(1);
	if every < 2 {
		return step.saturating_add(1);
	}
	let gap = StdRng::seed_from_u64(secret ^ step).gen_range(0..=every);
	step.saturating_add(every / 2).saturating_add(gap).max(step.saturating_add(1))
}

/// The peer table's file in a checkpoint (and, written after every evaluation, in the data dir
/// as `scores.json`).
const PEER_TABLE: &str = "peers.json";

/// Steps in a row skipped for a non-finite loss after which training stops: peers are being
/// quarantined and it is still not finite, so something else is wrong.
const MAX_SKIPPED_IN_A_ROW: u32 = 100;

impl<B: AutodiffBackend> Miner<B> {
	/// A fresh miner on `text`, holding out a private random choice of it (see
	/// [`Corpus::private`]).
	pub fn new(config: MinerConfig, text: &str, device: B::Device) -> anyhow::Result<Self> {
		Self::with_secret(config, text, device, rand::random())
	}

	/// [`Miner::new`] with a given secret, for a reproducible split and evaluations.
	pub fn with_secret(
		config: MinerConfig,
		text: &str,
		device: B::Device,
		secret: u64,
	) -> anyhow::Result<Self> {
		config.model.validate()?;
		B::seed(&device, config.seed);
		let model = config.model.init::<B>(&device);
		Self::assemble(config, text, model, device, 0, secret)
	}

	fn assemble(
		config: MinerConfig,
		text: &str,
		model: Model<B>,
		device: B::Device,
		step: u64,
		secret: u64,
	) -> anyhow::Result<Self> {
		let corpus = Corpus::private(text, config.model.context, config.heldout_fraction, secret)?;
		let optim = AdamConfig::new().init::<B, Model<B>>();
		let rng = StdRng::seed_from_u64(config.seed.wrapping_add(step));
		let peer_rng = StdRng::seed_from_u64(!config.seed.wrapping_add(step));
		let scores = Scores::new(config.score_alpha, 0.5);
		let next_eval = next_evaluation(secret, step, config.eval_every);
		Ok(Self {
			config,
			corpus,
			model,
			optim,
			device,
			rng,
			peer_rng,
			step,
			secret,
			data_dir: None,
			peers: None,
			scores,
			slot_policy: SlotPolicy::default(),
			signer: None,
			served: None,
			train_loss_sum: 0.0,
			train_loss_n: 0,
			skipped_in_a_row: 0,
			shards: 1,
			next_eval,
		})
	}

	/// Resumes the checkpoint in `dir`, training on `text` from there.
	/// Returns `Ok(None)` when `dir` holds no checkpoint.
	pub fn resume(dir: &Path, text: &str, device: B::Device) -> anyhow::Result<Option<Self>> {
		let Some(checkpoint) = load_checkpoint::<B>(dir, &device)? else {
			return Ok(None);
		};
		let Checkpoint { config, model, step, secret } = checkpoint;
		let secret = secret.unwrap_or_else(|| {
			log::warn!(
				"{} predates private held-out splits: drawing one (the held-out text changes)",
				dir.display()
			);
			rand::random()
		});
		let mut miner = Self::assemble(config, text, model, device, step, secret)?;
		let optim_path = dir.join("optim");
		if optim_path.with_extension("mpk").exists() {
			match Recorder::<B>::load(&Rec::default(), optim_path, &miner.device) {
				Ok(record) => miner.optim = miner.optim.load_record(record),
				Err(e) => {
					log::warn!("optimizer state not restored ({e}); Adam restarts its moments")
				}
			}
		}
		// The peer table is part of the checkpoint: who holds which slot is what the
		// projections and gate columns were trained for.
		let table = dir.join(PEER_TABLE);
		if table.exists() {
			match Scores::load(&table) {
				Ok(scores) => miner.scores = scores,
				Err(e) => log::warn!("{e:#}; starting with an empty peer table"),
			}
		}
		miner.data_dir = Some(dir.to_path_buf());
		Ok(Some(miner))
	}

	/// Writes the checkpoint (config, model, optimizer, step) to `dir` and makes it
	/// the directory for later checkpoints, the loss curve and the scores.
	pub fn save(&mut self, dir: &Path) -> anyhow::Result<()> {
		// Everything is written into a scratch directory first and then renamed into place,
		// the step last: a crash mid-save leaves the previous checkpoint whole (at worst with
		// the new model beside the old step), never a truncated file.
		let scratch = dir.join(".saving");
		std::fs::create_dir_all(&scratch)
			.with_context(|| format!("cannot create {}", scratch.display()))?;
		self.config
			.save(scratch.join("config.json"))
			.with_context(|| format!("cannot write {}/config.json", scratch.display()))?;
		self.model
			.clone()
			.save_file(scratch.join("model"), &Rec::default())
			.map_err(|e| anyhow::anyhow!("cannot write {}/model.mpk: {e}", scratch.display()))?;
		Recorder::<B>::record(&Rec::default(), self.optim.to_record(), scratch.join("optim"))
			.map_err(|e| anyhow::anyhow!("cannot write {}/optim.mpk: {e}", scratch.display()))?;
		self.scores.save(&scratch.join(PEER_TABLE))?;
		let state = State { step: self.step, protocol: PROTOCOL, secret: Some(self.secret) };
		std::fs::write(scratch.join("state.json"), serde_json::to_string(&state)?)
			.with_context(|| format!("cannot write {}/state.json", scratch.display()))?;
		let files = ["config.json", "model.mpk", "optim.mpk", PEER_TABLE, "state.json"];
		// On disk before they are renamed into place, and the renames on disk before the
		// checkpoint counts as written: a power cut leaves the old checkpoint or the new one.
		for file in files {
			sync(&scratch.join(file))?;
		}
		for file in files {
			std::fs::rename(scratch.join(file), dir.join(file))
				.with_context(|| format!("cannot move {file} into {}", dir.display()))?;
		}
		sync(dir)?;
		// Best effort: an empty scratch directory left behind is harmless.
		let _ = std::fs::remove_dir(&scratch);
		self.data_dir = Some(dir.to_path_buf());
		Ok(())
	}

	/// Connects the miner to the peers of `link`'s dendrite, each known by its address (see
	/// [`Miner::offer_peers`]).
	pub fn set_peers(&mut self, link: PeerLink) -> anyhow::Result<()> {
		let candidates: Vec<Candidate> =
			link.dendrite.addrs().iter().map(|a| Candidate::at(a)).collect();
		self.peers = Some(link);
		self.offer_peers(&candidates, None);
		Ok(())
	}

	/// Makes `candidates` the miner's peers. Peers it knows (by identity) keep their slots and
	/// scores, new ones wait for a free slot, others are forgotten; slots rotate after each
	/// evaluation (see [`crate::peers::scoring`]). The dendrite keeps the circuit breakers of
	/// addresses it already had; `link` gives it a runtime when it has none yet.
	pub fn offer_peers(
		&mut self,
		candidates: &[Candidate],
		link: Option<(tokio::runtime::Handle, Duration)>,
	) {
		let slots = self.config.model.max_peers;
		let changes = self.scores.offer(candidates, slots);
		self.apply_slot_changes(&changes);
		let addrs: Vec<String> = self.scores.peers.iter().map(|p| p.addr.clone()).collect();
		let max_dim = self.config.model.max_peer_dim;
		self.peers = match (self.peers.take(), link) {
			_ if addrs.is_empty() => None,
			(Some(old), _) => {
				Some(PeerLink { dendrite: old.dendrite.retarget(&addrs), handle: old.handle })
			}
			(None, Some((handle, timeout))) => {
				Some(PeerLink { dendrite: Dendrite::new(&addrs, timeout, max_dim), handle })
			}
			(None, None) => None,
		};
		self.sign_requests();
		if candidates.len() > slots {
			log::info!(
				"{} peers for {slots} slots: slots rotate, {} a round after a trial of {} rounds",
				candidates.len(),
				self.slot_policy.rotate_per_round,
				self.slot_policy.trial_rounds
			);
		}
	}

	/// Signs the miner's requests to its peers with `signer` (its operator key), so that their
	/// axons know who asks.
	pub fn set_signer(&mut self, signer: Signer) {
		self.signer = Some(signer);
		self.sign_requests();
	}

	/// Gives the dendrite the signer and each peer's axon key.
	fn sign_requests(&mut self) {
		let Some(link) = self.peers.take() else { return };
		let keys: Vec<Option<AccountId32>> = self
			.scores
			.peers
			.iter()
			.map(|p| p.axon_key.as_deref().and_then(|k| parse_account(k).ok()))
			.collect();
		let mut dendrite = match &self.signer {
			Some(signer) => link.dendrite.with_signer(signer.clone()),
			None => link.dendrite,
		};
		dendrite.set_accounts(&keys);
		self.peers = Some(PeerLink { dendrite, handle: link.handle });
	}

	/// Resets the model's slots that changed hands, and says so.
	fn apply_slot_changes(&mut self, changes: &[SlotChange]) {
		for change in changes {
			self.model = self.model.clone().reset_slot(change.slot);
			match &change.left {
				Some(left) => log::info!(
					"slot {}: {left} makes room for {} (rotation)",
					change.slot,
					change.entered
				),
				None => log::info!("slot {}: {}", change.slot, change.entered),
			}
		}
	}

	/// Disconnects the miner from all peers (the table keeps only the self score).
	pub fn clear_peers(&mut self) {
		self.offer_peers(&[], None);
	}

	/// How slots rotate when there are more peers than slots.
	pub fn set_slot_policy(&mut self, policy: SlotPolicy) {
		self.slot_policy = policy;
	}

	/// The fraction of its weight the miner keeps when peers help (see
	/// [`crate::peers::scoring`]); clamped to `[0, 1]`.
	pub fn set_self_share(&mut self, share: f64) {
		self.scores.set_self_share(share);
	}

	/// Splits each training batch into up to `shards` row ranges trained at once on threads
	/// (see [`crate::shards`]: the same gradient, on more cores); at least 1.
	pub fn set_shards(&mut self, shards: usize) {
		self.shards = shards.max(1);
	}

	/// Makes the miner publish its model to `served` (an axon's snapshot) on schedule, and
	/// publishes once now.
	pub fn serve_into(&mut self, served: Served) {
		served.publish(self.snapshot());
		self.served = Some(served);
	}

	/// A snapshot of the current model for an axon.
	pub fn snapshot(&self) -> Snapshot {
		let encoder = ModelEncoder::<B::InnerBackend> {
			model: Mutex::new(self.model.valid()),
			device: self.device.clone(),
		};
		Snapshot {
			encoder: Arc::new(encoder),
			dim: self.config.model.d_model,
			max_context: self.config.model.context,
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

	/// The corpus split.
	pub fn corpus(&self) -> &Corpus {
		&self.corpus
	}

	/// The peer score table.
	pub fn scores(&self) -> &Scores {
		&self.scores
	}

	/// Asks the slots' occupants for their hidden states on `probes`: one reply per slot (a
	/// free slot's is an error), nothing without peers.
	fn query_peers(&self, probes: &Batch) -> Vec<PeerReply> {
		let Some(link) = &self.peers else { return Vec::new() };
		ask_slots(link, &self.scores.occupants(self.config.model.max_peers), probes)
	}

	/// The own loss and gradient of `batch`, computed while the slots' occupants answer
	/// `probes` on another thread, so a step waits on its peers only for the part of their
	/// latency beyond its own work (returned: the replies per slot and that wait).
	fn own_part_while_peers_answer(
		&self,
		batch: &Batch,
		probes: Option<&Batch>,
	) -> ((f64, GradientsParams), Vec<PeerReply>, Duration) {
		let own = || {
			crate::shards::own_loss_and_grads(
				&self.model,
				&batch.tokens,
				&batch.targets,
				batch.len,
				self.shards,
				&self.device,
			)
		};
		let (Some(link), Some(probes)) = (&self.peers, probes) else {
			return (own(), Vec::new(), Duration::ZERO);
		};
		let occupants = self.scores.occupants(self.config.model.max_peers);
		std::thread::scope(|s| {
			let asked = s.spawn(|| ask_slots(link, &occupants, probes));
			let own = own();
			let waiting = Instant::now();
			let replies = asked.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
			(own, replies, waiting.elapsed())
		})
	}

	fn peer_tensors<Bk: Backend>(
		&self,
		features: &[Option<PeerFeatures>],
		probes: &Batch,
		device: &Bk::Device,
	) -> PeerInputs<Bk> {
		let max_dim = self.config.model.max_peer_dim;
		peer_inputs::<Bk>(features, probes.size(), probes.len, max_dim, device)
	}

	/// Trains on one batch, then runs whatever is due (publish, evaluate and score, checkpoint).
	pub fn step(&mut self) -> anyhow::Result<StepReport> {
		let batch = self.corpus.sample_train(&mut self.rng, self.config.batch_size);
		// A step asks its peers once, at its start: for training probes, or, when it evaluates,
		// for the held-out probes only, of the same size. Peers cannot tell evaluations apart,
		// by what they are sent or by when.
		let evaluates = self.step.saturating_add(1) >= self.next_eval;
		let (probes, eval_probes) = match (self.peers.is_some(), evaluates) {
			(false, _) => (None, None),
			(true, true) => (None, Some(self.evaluation_probes())),
			// The peers' part of the step: probes, disjoint windows of the training text, each
			// sent to the peers without the byte after it, which the mixture predicts.
			(true, false) => {
				let window = self.config.model.peer_window.clamp(1, self.config.model.context);
				// No more than an evaluation holds, so that the two look alike.
				let count = self.config.peer_batch.min(self.corpus.heldout_probe_capacity(window));
				(Some(self.corpus.sample_probes(&mut self.peer_rng, count, window)), None)
			}
		};
		let ((loss_value, own_grads), mut replies, peer_wait) =
			self.own_part_while_peers_answer(&batch, probes.as_ref().or(eval_probes.as_ref()));
		if let Some(m) = crate::metrics::get() {
			m.peer_wait.inc_by(peer_wait.as_secs_f64());
		}
		let mut peer_loss = None;
		let mut present = 0;
		let mut probe_batch = None;
		if let Some(probes) = probes {
			let replies = std::mem::take(&mut replies);
			// Peer dropout: each answer is left out of this step with probability
			// `peer_dropout`.
			let dropout = self.config.peer_dropout;
			let dropout = if dropout.is_finite() { dropout.clamp(0.0, 1.0) } else { 0.0 };
			let features: Vec<Option<PeerFeatures>> = replies
				.into_iter()
				.map(|r| r.ok().filter(|_| !self.peer_rng.gen_bool(dropout)))
				.collect();
			let peers = self.peer_tensors::<B>(&features, &probes, &self.device);
			present = peers.iter().filter(|p| p.is_some()).count();
			let probe_tokens = ids_tensor::<B>(&probes.tokens, probes.size(), &self.device);
			let probe_targets = ids_tensor::<B>(&probes.targets, probes.size(), &self.device);
			let distill = self.config.distill;
			let probe =
				self.model.loss(probe_tokens.clone(), probe_targets.clone(), &peers, distill);
			peer_loss = probe.peer;
			probe_batch = Some((probe_tokens, probe_targets, peers));
		}
		// The own loss is reported; with the peers' part it decides whether to step.
		let peer_value: f64 = match &peer_loss {
			Some(peer) => peer.clone().into_scalar().elem(),
			None => 0.0,
		};
		let total = loss_value + peer_value;
		if !loss_value.is_finite() {
			anyhow::bail!(
				"training diverged at step {} (loss {loss_value}); lower --lr",
				self.step
			);
		}
		if !total.is_finite() {
			// The own loss is finite, so a peer's features did it: find which, take them out of
			// use for their backoff, and skip this step.
			let offenders = match probe_batch {
				Some((tokens, targets, peers)) => {
					non_finite_peers(&self.model, tokens, targets, &peers, self.config.distill)
				}
				None => Vec::new(),
			};
			if let Some(link) = &self.peers {
				let occupants = self.scores.occupants(self.config.model.max_peers);
				for &k in &offenders {
					if let Some(Some(index)) = occupants.get(k) {
						let why = "its features made the training loss non-finite";
						link.dendrite.quarantine(*index, why);
					}
				}
			}
			self.skipped_in_a_row += 1;
			if let Some(m) = crate::metrics::get() {
				m.skipped_steps.inc();
			}
			if self.skipped_in_a_row >= MAX_SKIPPED_IN_A_ROW {
				anyhow::bail!(
					"{MAX_SKIPPED_IN_A_ROW} steps in a row had a non-finite loss with peers and \
					 none could be blamed (last: slots {offenders:?}); stopping at step {}",
					self.step
				);
			}
			log::warn!(
				"step {} skipped: peers in slots {offenders:?} made the loss non-finite",
				self.step
			);
			return Ok(StepReport {
				step: self.step,
				loss: loss_value,
				peers_present: present,
				peer_wait,
				eval: None,
			});
		}
		self.skipped_in_a_row = 0;
		if let Some(m) = crate::metrics::get() {
			m.steps.inc();
			m.train_loss.set(loss_value);
		}
		let grads = match peer_loss {
			Some(peer) => {
				let mut sum = GradientsAccumulator::<Model<B>>::new();
				sum.accumulate(&self.model, own_grads);
				sum.accumulate(
					&self.model,
					GradientsParams::from_grads(peer.backward(), &self.model),
				);
				sum.grads()
			}
			None => own_grads,
		};
		self.model = self.optim.step(self.config.learning_rate, self.model.clone(), grads);
		self.step += 1;
		self.train_loss_sum += loss_value;
		self.train_loss_n += 1;

		if let Some(served) = &self.served {
			if self.step.is_multiple_of(self.config.publish_every.max(1)) {
				served.publish(self.snapshot());
			}
		}
		let eval = if self.step >= self.next_eval {
			self.next_eval = next_evaluation(self.secret, self.step, self.config.eval_every);
			let eval = match &eval_probes {
				Some(batch) => self.evaluate_on(batch, &replies),
				None => self.evaluate(),
			};
			Some(self.score(eval)?)
		} else {
			None
		};
		if self.step.is_multiple_of(self.config.checkpoint_every.max(1)) {
			if let Some(dir) = self.data_dir.clone() {
				self.save(&dir)?;
			}
		}
		Ok(StepReport {
			step: self.step,
			loss: loss_value,
			peers_present: present,
			peer_wait,
			eval,
		})
	}

	/// Held-out loss with all peers, without any, and without each peer in turn, on held-out
	/// probes drawn afresh for each scoring round (the same until the round is scored).
	pub fn evaluate(&self) -> Evaluation {
		let batch = self.evaluation_probes();
		let replies = self.query_peers(&batch);
		self.evaluate_on(&batch, &replies)
	}

	/// The held-out probes of the next scoring round: drawn from the private split with the
	/// secret and the round number, so the same until the round is scored.
	fn evaluation_probes(&self) -> Batch {
		let window = self.config.model.peer_window.clamp(1, self.config.model.context);
		let round = self.scores.round.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
		self.corpus.heldout_probes(self.secret ^ round, self.config.eval_batch, window)
	}

	/// [`Miner::evaluate`] on the held-out probes `batch`, given the slots' `replies` to them.
	fn evaluate_on(&self, batch: &Batch, replies: &[PeerReply]) -> Evaluation {
		let model = self.model.valid();
		let device = &self.device;
		let features: Vec<Option<PeerFeatures>> =
			replies.iter().map(|r| r.as_ref().ok().cloned()).collect();
		let all = self.peer_tensors::<B::InnerBackend>(&features, batch, device);
		let tokens = ids_tensor::<B::InnerBackend>(&batch.tokens, batch.size(), device);
		let targets = ids_tensor::<B::InnerBackend>(&batch.targets, batch.size(), device);
		let per_probe = |peers: &PeerInputs<B::InnerBackend>| -> Vec<f64> {
			let losses = model.last_losses(tokens.clone(), targets.clone(), peers);
			losses.into_data().convert::<f64>().into_vec::<f64>().unwrap_or_default()
		};
		let with_rows = per_probe(&all);
		let with_all = mean_and_stderr(&with_rows).0;
		let loss_no_peers = if all.iter().any(Option::is_some) {
			mean_and_stderr(&per_probe(&Vec::new())).0
		} else {
			with_all
		};
		let answers = answer_rows(&all);
		let own = if answers.iter().any(Option::is_some) {
			self.own_rows(&model, batch, tokens.clone())
		} else {
			Vec::new()
		};
		let probes = copies::distinct_probes(&batch.tokens, batch.len);
		let likeness = copies::likeness_to_own(
			&answers,
			self.config.model.max_peer_dim,
			&own,
			self.config.model.d_model,
			&probes,
		);
		let mirrors = |k: usize| likeness.get(k).is_some_and(|&l| l >= copies::COPY_SIMILARITY);
		// The mean saving over the probes of leaving out slot `k` and every copy of it (one
		// source, scored once), and its standard error.
		let saving = |k: usize, copy_of: &[Option<usize>]| {
			let group = |j: usize| j == k || copy_of.get(j).copied().flatten() == Some(k);
			let without: PeerInputs<B::InnerBackend> =
				all.iter().enumerate().map(|(j, p)| p.clone().filter(|_| !group(j))).collect();
			let diffs: Vec<f64> =
				per_probe(&without).iter().zip(&with_rows).map(|(a, b)| a - b).collect();
			mean_and_stderr(&diffs)
		};
		let scored = |k: usize| matches!(replies.get(k), Some(Ok(_))) && !mirrors(k);
		let copies::Sources { mut copy_of, overlaps } = self.find_sources(&answers, &probes);
		// A slot that overlaps an earlier original (one holds the other's answers) is its copy
		// too when, beside it, it saves nothing beyond noise: what it adds, if anything, is
		// junk that sank the fit in one direction.
		let mut adds_nothing = vec![None; replies.len()];
		// Savings computed here and still valid (the slot's group has not grown since).
		let mut known = vec![None; replies.len()];
		for (k, original) in overlaps.iter().enumerate() {
			let Some(j) = original.filter(|&j| scored(j) && scored(k)) else { continue };
			let (mean, se) = saving(k, &copy_of);
			if mean > scoring::NOISE_MULTIPLE * se {
				if let Some(s) = known.get_mut(k) {
					*s = Some((mean, se));
				}
			} else {
				let grown = copies::point_at(&mut copy_of, k, j);
				for slot in [k, grown] {
					if let Some(s) = known.get_mut(slot) {
						*s = None;
					}
				}
				if let Some(a) = adds_nothing.get_mut(k) {
					*a = Some((mean, se));
				}
			}
		}
		let mut stderr = vec![0.0; replies.len()];
		let saved = replies
			.iter()
			.zip(stderr.iter_mut())
			.enumerate()
			.map(|(k, (reply, se))| match (reply, copy_of.get(k).copied().flatten()) {
				(Ok(_), _) if mirrors(k) => Err(format!(
					"mirror: answers as this miner's own model does (likeness {:.3})",
					likeness.get(k).copied().unwrap_or_default()
				)),
				(Ok(_), Some(original)) => {
					let beside = adds_nothing.get(k).copied().flatten();
					Err(self.copy_verdict(original, beside))
				}
				(Ok(_), None) => {
					let known = known.get(k).copied().flatten();
					let (mean, error) = known.unwrap_or_else(|| saving(k, &copy_of));
					*se = error;
					Ok(mean)
				}
				(Err(why), _) => Err(why.clone()),
			})
			.collect();
		Evaluation { loss: with_all, loss_no_peers, saved, stderr, likeness_to_own: likeness }
	}

	/// The miner's own normalized last-position rows on `batch` (`d_model` wide): from the
	/// snapshot its axon serves, when it serves, and from `model`, its current model, which has
	/// moved on since the last publication. What a peer mirroring this miner would answer.
	fn own_rows<Bk: Backend>(
		&self,
		model: &Model<Bk>,
		batch: &Batch,
		tokens: Tensor<Bk, 2, Int>,
	) -> Vec<Vec<f32>> {
		let (dim, windows) = (self.config.model.d_model, batch.size());
		let snapshot = self.served.as_ref().and_then(Served::current);
		let served = snapshot.as_ref().and_then(|snapshot| {
			let values = snapshot.encoder.encode(&batch.tokens, windows);
			last_rows(&PeerFeatures { dim: snapshot.dim, values }, windows, batch.len, dim)
		});
		// The snapshot of this very step is the current model.
		let moved_on = snapshot.as_ref().is_none_or(|s| s.version != self.step);
		let current = moved_on.then(|| {
			let hidden = model.hidden(tokens);
			let [b, len, d] = hidden.dims();
			let last = hidden.slice([0..b, len.saturating_sub(1)..len, 0..d]).reshape([b, d]);
			let values = last.into_data().convert::<f32>().into_vec::<f32>().ok()?;
			last_rows(&PeerFeatures { dim, values }, windows, 1, dim)
		});
		[served, current.flatten()].into_iter().flatten().collect()
	}

	/// Per slot, the slot whose answers this one's copy, and the one it overlaps (see
	/// [`crate::peers::copies`]); `answers` are the slots' normalized rows, compared on
	/// `probes`.
	fn find_sources(&self, answers: &[Option<Vec<f32>>], probes: &[usize]) -> copies::Sources {
		// The original of two copies is the one that answered first: a relay has to wait for
		// its source's answer, while which neuron registered first says nothing about who
		// computes (an old neuron could relay a new one and take its credit).
		let occupants = self.scores.occupants(self.config.model.max_peers);
		let answered_after: Vec<u64> = occupants
			.iter()
			.map(|o| {
				let latency = o.zip(self.peers.as_ref()).and_then(|(i, l)| l.dendrite.latency(i));
				latency.map_or(u64::MAX, |t| t.as_micros().min(u128::from(u64::MAX - 1)) as u64)
			})
			.collect();
		copies::sources(answers, self.config.model.max_peer_dim, probes, &answered_after)
	}

	/// Why a copy of the occupant of slot `original` observes nothing.
	/// `beside`: for a copy by overlap, its saving beside the original and that saving's noise.
	fn copy_verdict(&self, original: usize, beside: Option<(f64, f64)>) -> String {
		let occupants = self.scores.occupants(self.config.model.max_peers);
		let of = occupants.get(original).copied().flatten().and_then(|i| self.scores.peers.get(i));
		let of =
			of.map_or_else(|| format!("slot {original}"), |p| format!("{} ({})", p.id, p.addr));
		match beside {
			None => format!("copy: answers as {of} does, which answered first"),
			Some((saved, noise)) => format!(
				"copy: overlaps {of}, which answered first, and adds nothing beside it (saved \
				 {saved:.5}, noise {noise:.5})"
			),
		}
	}

	/// The model's own loss (no peers) on `size` held-out sequences of `corpus`, another text
	/// than it trains on: how much of that text's knowledge it holds by itself.
	pub fn loss_alone_on(&self, corpus: &Corpus, size: usize) -> f64 {
		let batch = corpus.heldout_batch(self.config.seed, size);
		let device = &self.device;
		let tokens = ids_tensor::<B::InnerBackend>(&batch.tokens, batch.size(), device);
		let targets = ids_tensor::<B::InnerBackend>(&batch.targets, batch.size(), device);
		let loss = self.model.valid().loss(tokens, targets, &Vec::new(), 0.0);
		loss.own.into_scalar().elem()
	}

	/// Evaluates, updates the scores, and appends to `loss.csv` / writes `scores.json` when the
	/// miner has a data dir.
	pub fn evaluate_and_score(&mut self) -> anyhow::Result<Evaluation> {
		let eval = self.evaluate();
		self.score(eval)
	}

	/// Scores the peers by `eval`, rotates the slots, and records the evaluation (metrics,
	/// `loss.csv`, `scores.json`).
	fn score(&mut self, eval: Evaluation) -> anyhow::Result<Evaluation> {
		let uniform = (tokenizer::VOCAB_SIZE as f64).ln();
		let own = uniform - eval.loss_no_peers;
		self.scores.observe(self.step, own, &eval.saved, &eval.stderr);
		let changes = self.scores.rotate(self.config.model.max_peers, self.slot_policy);
		self.apply_slot_changes(&changes);
		if let Some(m) = crate::metrics::get() {
			m.heldout_loss.with_label_values(&["peers"]).set(eval.loss);
			m.heldout_loss.with_label_values(&["alone"]).set(eval.loss_no_peers);
			for p in &self.scores.peers {
				m.peer_score.with_label_values(&[p.addr.as_str()]).set(p.score);
			}
		}
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

/// Flushes `path` (a file or a directory) to disk.
fn sync(path: &Path) -> anyhow::Result<()> {
	std::fs::File::open(path)
		.and_then(|f| f.sync_all())
		.with_context(|| format!("cannot flush {} to disk", path.display()))
}

/// Asks the slots' occupants (`occupants`: each slot's peer, by index in the dendrite) for
/// their hidden states on `probes`: one reply per slot, a free slot's an error.
fn ask_slots(link: &PeerLink, occupants: &[Option<usize>], probes: &Batch) -> Vec<PeerReply> {
	let which: Vec<usize> = occupants.iter().flatten().copied().collect();
	let replies =
		link.dendrite.forward_to_blocking(&link.handle, &which, &probes.tokens, probes.size());
	let mut replies = replies.into_iter();
	occupants
		.iter()
		.map(|o| match o {
			Some(_) => replies.next().unwrap_or_else(|| Err("no reply".into())),
			None => Err("free slot".into()),
		})
		.collect()
}

/// Each slot's normalized rows as plain values, when it answered.
fn answer_rows<Bk: Backend>(all: &PeerInputs<Bk>) -> Vec<Option<Vec<f32>>> {
	all.iter()
		.map(|t| t.as_ref().and_then(|t| t.clone().into_data().convert::<f32>().into_vec().ok()))
		.collect()
}

/// Mean of `xs` and its standard error (0 for fewer than two values).
fn mean_and_stderr(xs: &[f64]) -> (f64, f64) {
	let n = xs.len() as f64;
	if xs.is_empty() {
		return (f64::NAN, 0.0);
	}
	let mean = xs.iter().sum::<f64>() / n;
	if xs.len() < 2 {
		return (mean, 0.0);
	}
	let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
	(mean, (var / n).sqrt())
}

/// The slots of `peers` whose features alone make the mixture's loss non-finite (ablation:
/// each present peer tried by itself).
pub fn non_finite_peers<B: Backend>(
	model: &Model<B>,
	tokens: Tensor<B, 2, Int>,
	targets: Tensor<B, 2, Int>,
	peers: &PeerInputs<B>,
	distill: f64,
) -> Vec<usize> {
	(0..peers.len())
		.filter(|&k| matches!(peers.get(k), Some(Some(_))))
		.filter(|&k| {
			let alone: PeerInputs<B> =
				peers.iter().enumerate().map(|(j, p)| p.clone().filter(|_| j == k)).collect();
			// The peer side as the step computes it, distillation included.
			let Some(loss) = model.loss(tokens.clone(), targets.clone(), &alone, distill).peer
			else {
				return false;
			};
			let value: f64 = loss.into_scalar().elem();
			!value.is_finite()
		})
		.collect()
}

/// A saved model: its configuration, weights and step.
pub struct Checkpoint<B: Backend> {
	/// The configuration it was trained with.
	pub config: MinerConfig,
	/// The weights.
	pub model: Model<B>,
	/// Steps trained.
	pub step: u64,
	/// The secret of its held-out split, if it has one.
	pub secret: Option<u64>,
}

/// Loads the model saved in `dir` (by [`Miner::save`]) onto `device`, without its optimizer or
/// corpus: what `generate` and `query` need. `Ok(None)` when `dir` holds no checkpoint.
pub fn load_checkpoint<B: Backend>(
	dir: &Path,
	device: &B::Device,
) -> anyhow::Result<Option<Checkpoint<B>>> {
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
	if state.protocol != PROTOCOL {
		anyhow::bail!(
			"{} holds a checkpoint of peer protocol {} (the word-level model), this miner \
			 speaks protocol {PROTOCOL} (byte tokens, transformer): its weights cannot be \
			 used; start from a new --data-dir",
			dir.display(),
			state.protocol.max(1)
		);
	}
	let config = MinerConfig::load(dir.join("config.json"))
		.map_err(|e| anyhow::anyhow!("cannot load {}/config.json: {e}", dir.display()))?;
	config.model.validate()?;
	let model = config
		.model
		.init::<B>(device)
		.load_file(dir.join("model"), &Rec::default(), device)
		.map_err(|e| anyhow::anyhow!("cannot load {}/model.mpk: {e}", dir.display()))?;
	Ok(Some(Checkpoint { config, model, step: state.step, secret: state.secret }))
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

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn evaluations_come_every_eval_every_steps_on_average_at_secret_steps() {
		let (secret, every) = (7u64, 50u64);
		let mut step = 0;
		let mut gaps = Vec::new();
		for _ in 0..2000 {
			let next = next_evaluation(secret, step, every);
			gaps.push(next - step);
			step = next;
		}
		assert!(gaps.iter().all(|&g| (25..=75).contains(&g)), "{gaps:?}");
		let mean = gaps.iter().sum::<u64>() as f64 / gaps.len() as f64;
		assert!((mean - 50.0).abs() < 2.0, "mean gap {mean}");
		// Another secret, other steps.
		assert_ne!(next_evaluation(8, 0, every), next_evaluation(secret, 0, every));
		assert_eq!(next_evaluation(secret, 10, 1), 11);
	}
}
