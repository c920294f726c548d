//! `tensor-miner run`: a miner on chain.
//!
//! Two halves that never wait for each other:
//!
//! - the **trainer** (the calling thread) trains, serves its axon, queries the peers it was
//!   last told about and, after each evaluation, publishes its score table;
//! - the **agent** (an async task) keeps a connection to the node: it registers the miner if it
//!   is not registered, announces the axon, reads the metagraph to find peers (every neuron but
//!   this one that announced an axon), posts the latest scores as weights when the chain's rate
//!   limit allows, and logs the miner's uid, stake, rank and emission after each payout.
//!
//! They talk through two `watch` channels (latest value wins), so a slow or absent node never
//! stalls training. A chain error is logged with its name and the agent goes on; a lost
//! connection is retried with exponential backoff (capped).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use burn::tensor::backend::AutodiffBackend;
use tokio::sync::watch;

use crate::chain::commit::{self, PendingCommit, RevealAction};
use crate::chain::{fmt_tao, parse_account, ss58, ChainClient, ChainError, Metagraph, Signer, TAO};
use crate::cli::{open_miner, set_threads, Priority, RunArgs, TrainArgs};
use crate::data::read_corpus;
use crate::device::{self, CpuBackend, Selected};
use crate::peers::auth::Callers;
use crate::peers::{Axon, AxonConfig, Candidate, Scores, Served};
use crate::Miner;

/// A peer as the chain announces it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainPeer {
	/// The peer's uid.
	pub uid: u16,
	/// Its identity: owner account and registration block, `ss58@block` (a new occupant of
	/// the uid is a new peer).
	pub id: String,
	/// Its axon, as the dendrite dials it.
	pub addr: String,
	/// The block it registered in.
	pub registered_at: u32,
	/// Its operator key (SS58), which its axon verifies signed requests for.
	pub operator: String,
}

impl ChainPeer {
	/// The peer as a candidate for the miner's slots.
	pub fn candidate(&self) -> Candidate {
		Candidate {
			id: self.id.clone(),
			addr: self.addr.clone(),
			uid: Some(self.uid),
			registered_at: Some(self.registered_at),
			axon_key: Some(self.operator.clone()),
		}
	}
}

/// The trainer's latest scores, for the agent to post.
#[derive(Clone, Debug)]
pub struct ScoreReport {
	/// Training step of the evaluation.
	pub step: u64,
	/// The peer table (its entries name their uids and identities).
	pub scores: Scores,
}

/// Parses a stake: a number of TAO (`100`, `2.5`, `100tao`), or base units with the suffix
/// `base` (`2500000000base`; 1 TAO = 10^9 base units).
pub fn parse_stake(s: &str) -> Result<u128, String> {
	let t = s.trim().to_ascii_lowercase();
	let bad = || {
		format!(
			"invalid stake {s:?}: give TAO (`100`, `2.5`, `100tao`) or base units with the suffix \
			 `base` (`2500000000base`)"
		)
	};
	if let Some(units) = t.strip_suffix("base") {
		return units.trim().parse::<u128>().map_err(|_| bad());
	}
	let tao = t.strip_suffix("tao").unwrap_or(&t).trim();
	let (whole, frac) = tao.split_once('.').unwrap_or((tao, ""));
	if whole.is_empty() && frac.is_empty() || frac.len() > 9 {
		return Err(bad());
	}
	let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
	let frac: u128 =
		if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse().map_err(|_| bad())? };
	whole.checked_mul(TAO).and_then(|w| w.checked_add(frac)).ok_or_else(bad)
}

/// Chain weights from a score table: the self weight goes to `my_uid`, each paid peer's (see
/// [`Scores::weights`]) to its uid, if the neuron at that uid in `current` (the metagraph's
/// peers now) is still that peer: a uid that changed hands since the evaluation is skipped.
/// Zero weights are left out (the chain drops them anyway).
pub fn chain_weights(report: &ScoreReport, my_uid: u16, current: &[ChainPeer]) -> Vec<(u16, u16)> {
	let mut out: BTreeMap<u16, u16> = BTreeMap::new();
	for (index, weight) in report.scores.weights() {
		let uid = match index.checked_sub(1) {
			None => my_uid,
			Some(k) => {
				let Some(peer) = report.scores.peers.get(usize::from(k)) else { continue };
				match peer.uid {
					Some(uid)
						if uid != my_uid
							&& current.iter().any(|c| c.uid == uid && c.id == peer.id) =>
					{
						uid
					}
					_ => continue,
				}
			}
		};
		if weight > 0 {
			let w = out.entry(uid).or_default();
			*w = w.saturating_add(weight);
		}
	}
	out.into_iter().collect()
}

/// At most `max` of `weights` (by uid), the largest ones (ties: the lower uid), still by uid:
/// the chain refuses more than its `max_edges`, and cutting by uid would drop the best peers
/// whenever they have high uids.
pub fn largest_edges(mut weights: Vec<(u16, u16)>, max: usize) -> Vec<(u16, u16)> {
	if weights.len() > max {
		weights.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
		weights.truncate(max);
		weights.sort_unstable_by_key(|&(uid, _)| uid);
	}
	weights
}

/// Settings of the agent.
#[derive(Clone, Debug)]
pub struct AgentConfig {
	/// `ws://host:port` of the node.
	pub node: String,
	/// Where peers reach this miner's axon.
	pub external_addr: SocketAddr,
	/// Stake to register with (base units); `None`: do not register.
	pub stake: Option<u128>,
	/// The most registration fee (base units, burned) the miner agrees to pay.
	pub max_registration_fee: u128,
	/// The owner whose offer of the operator role the miner accepts, if any.
	pub owner: Option<sp_core::crypto::AccountId32>,
	/// Time between metagraph reads.
	pub poll: Duration,
	/// Longest wait between reconnection attempts.
	pub max_backoff: Duration,
	/// The axon's caller table, which the agent keeps to the metagraph's operator keys.
	pub callers: Callers,
	/// What orders the callers.
	pub priority: Priority,
	/// Where a pending weight commit is kept across restarts (the data directory).
	pub data_dir: std::path::PathBuf,
}

/// The chain side of a running miner; see the module docs.
pub struct Agent {
	config: AgentConfig,
	signer: Signer,
	peers_tx: watch::Sender<Vec<ChainPeer>>,
	report_rx: watch::Receiver<Option<ScoreReport>>,
	/// Step of the last scores posted (or refused), so each evaluation is posted at most once.
	posted_step: Option<u64>,
	last_status: Option<(u16, u128, u128)>,
	warned_no_stake: bool,
	/// Whether the "this key owns a neuron another key operates" error was logged.
	warned_not_operator: bool,
	/// Whether the "no offer from --owner yet" warning was logged.
	warned_no_offer: bool,
	/// The weight commit waiting for its reveal window (commit-reveal chains), as kept in
	/// the data directory.
	pending_commit: Option<PendingCommit>,
}

/// What the agent exposes to the trainer.
pub struct AgentLink {
	/// The peers the chain announces (latest wins).
	pub peers: watch::Receiver<Vec<ChainPeer>>,
	/// Where the trainer puts its latest scores.
	pub reports: watch::Sender<Option<ScoreReport>>,
}

impl Agent {
	/// An agent signing with `signer`, and the channels the trainer uses.
	pub fn new(config: AgentConfig, signer: Signer) -> (Self, AgentLink) {
		let (peers_tx, peers_rx) = watch::channel(Vec::new());
		let (report_tx, report_rx) = watch::channel(None);
		let pending_commit = commit::load(&config.data_dir);
		let agent = Self {
			config,
			signer,
			peers_tx,
			report_rx,
			posted_step: None,
			last_status: None,
			warned_no_stake: false,
			warned_not_operator: false,
			warned_no_offer: false,
			pending_commit,
		};
		if let Some(pending) = &agent.pending_commit {
			log::info!(
				"weights of step {} committed in block {} wait for their reveal",
				pending.step,
				pending.committed_at
			);
		}
		(agent, AgentLink { peers: peers_rx, reports: report_tx })
	}

	/// Runs until `stop` is set: connect, work, and on a lost connection reconnect with
	/// exponential backoff (1 s doubling up to `max_backoff`).
	pub async fn run(mut self, stop: Arc<AtomicBool>) {
		let min_backoff = Duration::from_secs(1);
		let mut backoff = min_backoff;
		while !stop.load(Ordering::Relaxed) {
			match ChainClient::connect(&self.config.node).await {
				Ok(client) => {
					log::info!(
						"connected to {} as {} (genesis {:?})",
						client.url(),
						self.signer.ss58(),
						client.genesis_hash()
					);
					backoff = min_backoff;
					let e = self.session(&client, &stop).await;
					if stop.load(Ordering::Relaxed) {
						return;
					}
					log::warn!("{e}; reconnecting in {backoff:?}");
				}
				Err(e) => log::warn!("{e}; retrying in {backoff:?}"),
			}
			tokio::time::sleep(backoff).await;
			backoff = backoff.saturating_mul(2).min(self.config.max_backoff.max(min_backoff));
		}
	}

	/// Works on one connection until it drops; returns the error that ended it.
	async fn session(&mut self, client: &ChainClient, stop: &AtomicBool) -> ChainError {
		// A new connection may be a new chain (a restarted dev node): re-announce the axon.
		let mut axon_checked = false;
		while !stop.load(Ordering::Relaxed) {
			if let Err(e) = self.tick(client, &mut axon_checked).await {
				if e.is_connection() {
					return e;
				}
				if e.is_bad_signature() {
					log::warn!("{e}: the runtime may have been upgraded; rereading its versions");
					return e;
				}
				log::warn!("{e}");
			}
			tokio::time::sleep(self.config.poll).await;
		}
		ChainError::Disconnected { method: "-".into(), reason: "stopping".into() }
	}

	/// One round: read the metagraph, then register / announce / post weights as needed.
	async fn tick(
		&mut self,
		client: &ChainClient,
		axon_checked: &mut bool,
	) -> Result<(), ChainError> {
		let metagraph = client.metagraph().await?;
		let me = self.signer.ss58();
		let my_uid = metagraph.neuron_operated_by(&me).map(|n| n.uid);
		self.config.callers.set(callers_of(&metagraph, my_uid, self.config.priority));
		let Some(neuron) = metagraph.neuron_operated_by(&me).cloned() else {
			*axon_checked = false;
			self.peers_tx.send_if_modified(|p| replace(p, peers_of(&metagraph, None)));
			if let Some(owner) = self.config.owner.clone() {
				return self.accept_offer(client, &metagraph, owner).await;
			}
			if let Some(owned) = metagraph.neuron_owned_by(&me) {
				// The key owns a neuron that another key operates: registering again would fail,
				// and this key cannot post that neuron's weights.
				if !self.warned_not_operator {
					log::error!(
						"{me} owns uid {} but its operator key is {}; run the miner with the 						 operator key, or take the role back with `tensor-miner owner 						 set-operator {me}`",
						owned.uid,
						owned.operator
					);
					self.warned_not_operator = true;
				}
				return Ok(());
			}
			return self.register(client, &metagraph).await;
		};
		let uid = neuron.uid;
		let status = (uid, neuron.stake, neuron.total_emission);
		if self.last_status != Some(status) {
			log::info!(
				"uid {uid}, stake {} TAO, rank {:.4}, last emission {} TAO, total emission {} \
				 TAO (block {}, {} neurons)",
				fmt_tao(neuron.stake),
				neuron.rank,
				fmt_tao(neuron.last_emission),
				fmt_tao(neuron.total_emission),
				metagraph.block.number,
				metagraph.neurons.len()
			);
			self.last_status = Some(status);
		}
		let announced = neuron.axon.as_ref().and_then(|a| a.socket_addr());
		if announced != Some(self.config.external_addr) && !*axon_checked {
			let included = client.serve_axon(&self.signer, self.config.external_addr).await;
			let included = counted("serve_axon", included)?;
			log::info!(
				"announced axon {} in block {}",
				self.config.external_addr,
				included.block_number
			);
		}
		*axon_checked = true;
		self.peers_tx.send_if_modified(|p| replace(p, peers_of(&metagraph, Some(uid))));
		self.post_weights(client, &metagraph, uid, neuron.last_weights_at).await
	}

	/// With `--owner`: accepts the operator role `owner`'s neuron offers this key, or waits
	/// (logging once) until it does. The miner never registers a neuron of its own then.
	async fn accept_offer(
		&mut self,
		client: &ChainClient,
		metagraph: &Metagraph,
		owner_account: sp_core::crypto::AccountId32,
	) -> Result<(), ChainError> {
		let me = self.signer.ss58();
		let owner = ss58(&owner_account);
		let Some(neuron) = metagraph.operator_offer(&owner, &me) else {
			if !self.warned_no_offer {
				log::warn!(
					"{owner} has not offered {me} the operator role of a neuron; waiting (the \
					 owner runs `tensor-miner owner set-operator {me}`)"
				);
				self.warned_no_offer = true;
			}
			return Ok(());
		};
		let uid = neuron.uid;
		let included = client.accept_operator(&self.signer, uid, owner_account).await;
		let included = counted("accept_operator", included)?;
		log::info!(
			"accepted the operator role of uid {uid} (owner {owner}) in block {}",
			included.block_number
		);
		Ok(())
	}

	async fn register(
		&mut self,
		client: &ChainClient,
		metagraph: &Metagraph,
	) -> Result<(), ChainError> {
		let Some(stake) = self.config.stake else {
			if !self.warned_no_stake {
				log::error!(
					"{} is not registered and no --stake was given; pass --stake (at least {} \
					 TAO) to register",
					self.signer.ss58(),
					fmt_tao(metagraph.params.min_stake)
				);
				self.warned_no_stake = true;
			}
			return Ok(());
		};
		log::info!(
			"registering {} with stake {} TAO ({stake} base units), axon {}",
			self.signer.ss58(),
			fmt_tao(stake),
			self.config.external_addr
		);
		let max_fee = self.config.max_registration_fee;
		let registered =
			client.register(&self.signer, stake, max_fee, Some(self.config.external_addr)).await;
		let registered = counted("register", registered);
		if let Err(error) = &registered {
			if error.dispatch_name() == Some("FeeAboveLimit") {
				log::warn!(
					"the registration fee is above --max-registration-fee ({} TAO); it decays \
					 over blocks, so registration is retried",
					fmt_tao(max_fee)
				);
			}
		}
		let (included, uid) = registered?;
		match uid {
			Some(uid) => log::info!("registered as uid {uid} in block {}", included.block_number),
			None => log::info!("registered in block {}", included.block_number),
		}
		Ok(())
	}

	async fn post_weights(
		&mut self,
		client: &ChainClient,
		metagraph: &Metagraph,
		uid: u16,
		last_weights_at: Option<u32>,
	) -> Result<(), ChainError> {
		if metagraph.mechanism.commit_reveal_required {
			return self.commit_or_reveal(client, metagraph, uid, last_weights_at).await;
		}
		let Some(report) = self.report_rx.borrow().clone() else { return Ok(()) };
		if self.posted_step == Some(report.step) {
			return Ok(());
		}
		if !rate_limit_passed(metagraph, last_weights_at) {
			return Ok(());
		}
		let limit = metagraph.params.weights_rate_limit;
		let weights = self.weights_for(metagraph, uid, &report);
		self.posted_step = Some(report.step);
		match counted("set_weights", client.set_weights(&self.signer, weights.clone()).await) {
			Ok(included) => {
				log::info!(
					"weights of step {} posted in block {}: {weights:?}",
					report.step,
					included.block_number
				);
				Ok(())
			}
			Err(e) if e.dispatch_name() == Some("SettingWeightsTooFast") => {
				// Another round will try with newer scores.
				log::info!("{e}; posting again after the rate limit ({limit} blocks)");
				self.posted_step = None;
				Ok(())
			}
			Err(e) => Err(e),
		}
	}
}

impl Agent {
	/// The weights to post for `report`: peers by uid, at most `max_edges`.
	fn weights_for(
		&self,
		metagraph: &Metagraph,
		uid: u16,
		report: &ScoreReport,
	) -> Vec<(u16, u16)> {
		let current = peers_of(metagraph, Some(uid));
		largest_edges(chain_weights(report, uid, &current), metagraph.params.max_edges as usize)
	}

	/// Commit-reveal: reveals the pending commit once its window opens, then commits the next
	/// evaluation's weights (once per evaluation). The salt and weights are kept in the data
	/// directory until revealed, so a restart still reveals.
	async fn commit_or_reveal(
		&mut self,
		client: &ChainClient,
		metagraph: &Metagraph,
		uid: u16,
		last_weights_at: Option<u32>,
	) -> Result<(), ChainError> {
		let next = metagraph.block.number.saturating_add(1);
		let delay = u64::from(metagraph.mechanism.reveal_delay);
		let window = u64::from(metagraph.mechanism.reveal_window);
		if let Some(pending) = self.pending_commit.clone() {
			match pending.action(next, delay, window) {
				RevealAction::Wait => return Ok(()),
				RevealAction::Reveal if !rate_limit_passed(metagraph, last_weights_at) => {
					return Ok(())
				}
				RevealAction::Reveal => {
					if self.reveal(client, &pending).await? {
						return Ok(());
					}
				}
				RevealAction::Expired => {
					log::warn!(
						"the commit of block {} passed its reveal window unrevealed; committing anew",
						pending.committed_at
					);
					self.forget_commit();
				}
			}
		}
		let Some(report) = self.report_rx.borrow().clone() else { return Ok(()) };
		if self.posted_step == Some(report.step) {
			return Ok(());
		}
		let weights = self.weights_for(metagraph, uid, &report);
		let salt = commit::new_salt();
		let hash = ChainClient::weights_hash(&self.signer, &weights, &salt);
		self.posted_step = Some(report.step);
		match counted("commit_weights", client.commit_weights(&self.signer, hash).await) {
			Ok(included) => {
				let pending =
					PendingCommit::new(weights, &salt, included.block_number, report.step);
				if let Err(e) = commit::save(&self.config.data_dir, &pending) {
					log::warn!("cannot keep the commit in {}: {e}", self.config.data_dir.display());
				}
				log::info!(
					"weights of step {} committed in block {}; revealing from block {}",
					report.step,
					included.block_number,
					included.block_number.saturating_add(delay)
				);
				self.pending_commit = Some(pending);
				Ok(())
			}
			Err(e) if e.dispatch_name() == Some("CommitPending") => {
				// A commit this miner no longer knows (its file was lost): its window passes.
				log::warn!("{e}; committing after the chain's pending commit expires");
				self.posted_step = None;
				Ok(())
			}
			Err(e) => Err(e),
		}
	}

	/// Reveals `pending`. `true`: this round is over (revealed, or the chain says wait);
	/// `false`: the commit was refused for good and forgotten, and a new one follows now.
	async fn reveal(
		&mut self,
		client: &ChainClient,
		pending: &PendingCommit,
	) -> Result<bool, ChainError> {
		let Some(salt) = pending.salt_bytes() else {
			log::warn!("the kept commit's salt is unreadable; committing anew");
			self.forget_commit();
			return Ok(false);
		};
		let revealed = client.reveal_weights(&self.signer, pending.weights.clone(), salt).await;
		match counted("reveal_weights", revealed) {
			Ok(included) => {
				log::info!(
					"weights of step {} revealed in block {}: {:?}",
					pending.step,
					included.block_number,
					pending.weights
				);
				self.forget_commit();
				Ok(true)
			}
			Err(e) => match e.dispatch_name() {
				Some("RevealTooEarly" | "SettingWeightsTooFast") => Ok(true),
				Some("RevealTooLate" | "NoCommit" | "RevealMismatch" | "UnknownUid") => {
					log::warn!("{e}; committing anew");
					self.forget_commit();
					Ok(false)
				}
				_ => Err(e),
			},
		}
	}

	fn forget_commit(&mut self) {
		self.pending_commit = None;
		self.posted_step = None;
		if let Err(e) = commit::clear(&self.config.data_dir) {
			log::warn!("cannot remove the kept commit: {e}");
		}
	}
}

/// Whether a `set_weights` (or reveal) sent now passes the rate limit: it lands in the next
/// block, and the pallet wants `weights_rate_limit` blocks since the last one.
fn rate_limit_passed(metagraph: &Metagraph, last_weights_at: Option<u32>) -> bool {
	let next = metagraph.block.number.saturating_add(1);
	let limit = u64::from(metagraph.params.weights_rate_limit);
	last_weights_at.is_none_or(|last| next >= u64::from(last).saturating_add(limit))
}

/// Counts a chain submission of `call` in the metrics and passes its result on.
fn counted<T>(call: &str, result: Result<T, ChainError>) -> Result<T, ChainError> {
	let outcome = match &result {
		Ok(_) => "ok".to_string(),
		Err(e) => e.dispatch_name().map_or_else(|| "error".to_string(), str::to_string),
	};
	crate::metrics::chain_outcome(call, &outcome);
	result
}

/// Replaces `old` with `new` when they differ; returns whether it did (for `send_if_modified`).
fn replace(old: &mut Vec<ChainPeer>, new: Vec<ChainPeer>) -> bool {
	if *old == new {
		return false;
	}
	*old = new;
	true
}

/// The axon's caller table: every neuron's operator key with its priority, its stake or the
/// weight it gives `me` (0 while this miner has no uid).
fn callers_of(metagraph: &Metagraph, me: Option<u16>, priority: Priority) -> HashMap<String, u128> {
	metagraph
		.neurons
		.iter()
		.map(|n| {
			let p = match priority {
				Priority::Stake => n.stake,
				// Weight alone would be free to give (a neuron with no stake giving this miner
				// all its weight): what it pays is its stake times the share it gives.
				Priority::Weight => me
					.and_then(|me| n.edges.iter().find(|e| e.0 == me && n.uid != me))
					.map_or(0, |e| n.stake.saturating_mul(u128::from(e.1)) / u128::from(u16::MAX)),
			};
			(n.operator_key().to_string(), p)
		})
		.collect()
}

/// The peers of `me` in `metagraph`. Two neurons may announce the same address: both are
/// peers, and since requests are signed for each one's operator key, only the neuron whose key
/// the axon holds gets answers (a neuron claiming another's address cannot push it out).
fn peers_of(metagraph: &Metagraph, me: Option<u16>) -> Vec<ChainPeer> {
	let mut out: Vec<ChainPeer> = Vec::new();
	for (uid, addr) in metagraph.peers(me) {
		let Some(neuron) = metagraph.neuron(uid) else { continue };
		let id = format!("{}@{}", neuron.account, neuron.registered_at);
		let operator = neuron.operator_key().to_string();
		let addr = addr.to_string();
		out.push(ChainPeer { uid, id, addr, registered_at: neuron.registered_at, operator });
	}
	out
}

/// `tensor-miner run`: see the module docs.
pub fn run_cmd(args: RunArgs) -> anyhow::Result<()> {
	set_threads(args.train.threads);
	// Local mistakes (key, address, port) stop the miner at once; chain trouble never does.
	let signer = args.chain.signer()?;
	let owner = args.owner.as_deref().map(parse_account).transpose().context("--owner")?;
	let Some(port) = args.train.axon_port else {
		anyhow::bail!("run needs --axon-port: peers and the chain must know where it serves")
	};
	let external_addr =
		args.external_addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], port)));
	crate::chain::axon_info(external_addr)?;
	if args.external_addr.is_none() {
		log::warn!(
			"no --external-addr: announcing {external_addr}, reachable from this machine only"
		);
	}
	let config = AgentConfig {
		node: args.chain.node.clone(),
		external_addr,
		stake: args.stake,
		max_registration_fee: args.max_registration_fee,
		owner,
		poll: Duration::from_millis(args.chain_poll_ms.max(100)),
		max_backoff: Duration::from_secs(args.max_backoff_secs.max(1)),
		callers: Callers::default(),
		priority: args.axon_priority,
		data_dir: args.train.data_dir.clone(),
	};
	match device::select(args.train.device)? {
		Selected::Cpu => run_on::<CpuBackend>(
			&args,
			config,
			signer,
			crate::device::cpu_shards(args.train.threads),
		),
		#[cfg(feature = "cuda")]
		Selected::Cuda => run_on::<device::CudaBackend>(&args, config, signer, 1),
	}
}

fn run_on<B: AutodiffBackend>(
	run_args: &RunArgs,
	config: AgentConfig,
	signer: Signer,
	shards: usize,
) -> anyhow::Result<()> {
	let args = &run_args.train;
	let pause = Duration::from_millis(run_args.step_pause_ms);
	let text = read_corpus(&args.corpus)?;
	let mut miner = open_miner::<B>(args, &text)?;
	miner.set_shards(shards);
	miner.set_signer(signer.clone());
	crate::cli::log_model(&miner);
	let runtime = tokio::runtime::Builder::new_multi_thread()
		.worker_threads(2)
		.enable_all()
		.build()
		.context("cannot start the async runtime")?;
	crate::cli::start_metrics(args, runtime.handle())?;
	let served = Served::default();
	miner.serve_into(served.clone());
	// Callers sign for the operator account; those the metagraph knows queue by priority.
	let axon_config = AxonConfig {
		serve_noise: args.serve_noise,
		serve_huge: args.serve_huge,
		identity: Some(signer.account()),
		callers: Some(config.callers.clone()),
		require_signature: run_args.require_signed,
		anonymous_workers: run_args.anonymous_workers,
		..Default::default()
	};
	let bind = format!("{}:{}", args.axon_host, args.axon_port.unwrap_or_default());
	let axon = runtime.block_on(Axon::start(&bind, served, axon_config))?;
	let serving = match (args.serve_noise, args.serve_huge) {
		(true, _) => " serving noise",
		(_, true) => " serving ±3e38 (hostile drill)",
		_ => "",
	};
	log::info!("axon on {bind}{serving}");

	let stop = Arc::new(AtomicBool::new(false));
	let (agent, mut link) = Agent::new(config, signer);
	runtime.spawn(agent.run(stop.clone()));
	let signal_stop = stop.clone();
	// Ctrl-C or SIGTERM (`scripts/localnet.sh stop`): finish the step, checkpoint, exit.
	runtime.spawn(async move {
		let mut term =
			tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
		let terminated = async {
			match term.as_mut() {
				Some(t) => {
					t.recv().await;
				}
				None => std::future::pending::<()>().await,
			}
		};
		tokio::select! {
			_ = tokio::signal::ctrl_c() => {}
			_ = terminated => {}
		}
		log::info!("stopping: saving the checkpoint");
		signal_stop.store(true, Ordering::Relaxed);
	});

	let steps = args.steps.unwrap_or(0);
	let mut peers: Vec<ChainPeer> = Vec::new();
	let mut done = 0u64;
	let mut summary = Summary::new(Duration::from_secs(run_args.log_every_secs));
	while !stop.load(Ordering::Relaxed) && (steps == 0 || done < steps) {
		if link.peers.has_changed().unwrap_or(false) {
			let announced = link.peers.borrow_and_update().clone();
			if announced != peers {
				peers = announced;
				connect_peers(&mut miner, &peers, args, runtime.handle());
			}
		}
		let report = miner.step()?;
		done += 1;
		if !pause.is_zero() {
			std::thread::sleep(pause);
		}
		if let Some(e) = report.eval {
			let present = e.saved.iter().filter(|s| s.is_ok()).count();
			let line = format!(
				"step {}: held-out loss {:.4} (without peers {:.4}), peers present {present}/{}",
				report.step,
				e.loss,
				e.loss_no_peers,
				peers.len()
			);
			match summary.due(report.step, Instant::now()) {
				Some(Some(rate)) => log::info!("{line}, {rate:.1} steps/s"),
				Some(None) => log::info!("{line}"),
				None => log::debug!("{line}"),
			}
			let scores = miner.scores().clone();
			link.reports.send_replace(Some(ScoreReport { step: report.step, scores }));
		}
	}
	stop.store(true, Ordering::Relaxed);
	miner.save(&args.data_dir)?;
	runtime.block_on(axon.stop());
	runtime.shutdown_timeout(Duration::from_secs(2));
	Ok(())
}

/// When the training loop logs a summary: at the first evaluation, then at the first one at
/// least `every` after the last summary (a person reads a line every few seconds, not the
/// dozen a second a fast model evaluates at).
struct Summary {
	every: Duration,
	last: Option<(Instant, u64)>,
}

impl Summary {
	fn new(every: Duration) -> Self {
		Self { every, last: None }
	}

	/// Whether the evaluation at `step`, at `now`, is logged; if so, the steps per second since
	/// the last summary (none at the first, or when no time has passed).
	fn due(&mut self, step: u64, now: Instant) -> Option<Option<f64>> {
		let rate = match self.last {
			None => None,
			Some((at, _)) if now.duration_since(at) < self.every => return None,
			Some((at, from)) => {
				let secs = now.duration_since(at).as_secs_f64();
				(secs > 0.0).then(|| step.saturating_sub(from) as f64 / secs)
			}
		};
		self.last = Some((now, step));
		Some(rate)
	}
}

/// Offers the miner `peers` as candidates for its slots (see [`Miner::offer_peers`]).
fn connect_peers<B: AutodiffBackend>(
	miner: &mut Miner<B>,
	peers: &[ChainPeer],
	args: &TrainArgs,
	handle: &tokio::runtime::Handle,
) {
	log::info!(
		"peers from the metagraph: {}",
		peers.iter().map(|p| format!("uid {} at {}", p.uid, p.addr)).collect::<Vec<_>>().join(", ")
	);
	let candidates: Vec<Candidate> = peers.iter().map(ChainPeer::candidate).collect();
	let timeout = Duration::from_millis(args.peer_timeout_ms);
	miner.offer_peers(&candidates, Some((handle.clone(), timeout)));
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn summaries_come_every_interval_with_the_step_rate() {
		let start = Instant::now();
		let mut s = Summary::new(Duration::from_secs(10));
		assert_eq!(s.due(20, start), Some(None));
		// Evaluations within the interval are not summarized.
		for (step, secs) in [(40, 1), (60, 5), (80, 9)] {
			assert_eq!(s.due(step, start + Duration::from_secs(secs)), None);
		}
		// The next one after it is, with the steps per second since the last summary.
		assert_eq!(s.due(220, start + Duration::from_secs(10)), Some(Some(20.0)));
		assert_eq!(s.due(240, start + Duration::from_secs(12)), None);
		// 0 logs every evaluation.
		let mut every = Summary::new(Duration::ZERO);
		assert!(every.due(1, start).is_some() && every.due(2, start).is_some());
	}

	#[test]
	fn stake_is_tao_unless_marked_base() {
		assert_eq!(parse_stake("100"), Ok(100 * TAO));
		assert_eq!(parse_stake("2.5"), Ok(2_500_000_000));
		assert_eq!(parse_stake("0.000000001TAO"), Ok(1));
		assert_eq!(parse_stake("2500000000base"), Ok(2_500_000_000));
		assert!(parse_stake("1.0000000001").is_err());
		assert!(parse_stake("ten").is_err());
		assert!(parse_stake(".").is_err());
	}

	#[test]
	fn past_max_edges_the_largest_weights_stay_in_uid_order() {
		let w = vec![(1, 10), (4, 30_000), (7, 5), (9, 30_000), (12, 500)];
		assert_eq!(largest_edges(w.clone(), 5), w);
		assert_eq!(largest_edges(w.clone(), 3), vec![(4, 30_000), (9, 30_000), (12, 500)]);
		// Ties go to the lower uid.
		assert_eq!(largest_edges(w.clone(), 1), vec![(4, 30_000)]);
		assert!(largest_edges(w, 0).is_empty());
	}

	#[test]
	fn weights_map_to_uids_and_skip_absent_peers_and_changed_hands() {
		let peers = vec![
			ChainPeer {
				uid: 4,
				id: "A@1".into(),
				addr: "a:1".into(),
				registered_at: 1,
				operator: String::new(),
			},
			ChainPeer {
				uid: 0,
				id: "B@1".into(),
				addr: "b:2".into(),
				registered_at: 1,
				operator: String::new(),
			},
			ChainPeer {
				uid: 9,
				id: "C@1".into(),
				addr: "c:3".into(),
				registered_at: 1,
				operator: String::new(),
			},
			ChainPeer {
				uid: 7,
				id: "D@1".into(),
				addr: "d:4".into(),
				registered_at: 1,
				operator: String::new(),
			},
		];
		let mut scores = Scores::new(0.5, 0.5);
		let candidates: Vec<Candidate> = peers.iter().map(ChainPeer::candidate).collect();
		scores.offer(&candidates, 4);
		scores.update(10, 2.0, &[Ok(1.0), Ok(1.0), Ok(1.0), Ok(1.0)]);
		scores.update(20, 2.0, &[Ok(1.0), Err("down".into()), Ok(-1.0), Ok(1.0)]);
		let report = ScoreReport { step: 20, scores };
		// uid 7 changed hands since the evaluation.
		let mut current = peers.clone();
		current[3].id = "E@15".into();
		let w = chain_weights(&report, 2, &current);
		// b is absent and c's score is 0.5·1 + 0.5·(−1) = 0: only self (uid 2) and a (uid 4).
		assert_eq!(w.iter().map(|x| x.0).collect::<Vec<_>>(), vec![2, 4]);
		// Self share 0.5 of what a and d saved; d's quarter is dropped with its uid.
		assert!(w[0].1.abs_diff(2 * w[1].1) <= 4, "{w:?}");
	}
}
