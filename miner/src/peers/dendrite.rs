//! The dendrite: asks every peer's axon concurrently for its hidden states on a batch.
//!
//! A peer that is down, slow, or answers with anything we cannot use (another protocol or
//! tokenizer, a wrong shape, a width we do not accept, NaN) is reported absent for that call.
//! Every query is bounded by a timeout, and a circuit breaker skips a peer after it fails
//! (exponential backoff from [`BACKOFF_START`] to [`BACKOFF_MAX`] in the number of failures,
//! forgiven after [`FORGIVE_AFTER`] usable answers in a row), so a peer that stalls costs one
//! timeout per backoff period, and one that stalls now and then costs ever fewer.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonrpsee::core::client::{ClientT, Error as ClientError};
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;

use std::sync::atomic::{AtomicU64, Ordering};

use sp_core::crypto::AccountId32;

use super::auth;
use super::axon::BUSY;
use super::wire::{ForwardResponse, METHOD_FORWARD};
use crate::chain::Signer;
use crate::data::tokenizer;
use crate::model::PeerFeatures;

/// Most tokens sent in one `axon_forward` call (the axon's default limit); a larger batch is
/// split by sequences.
pub const MAX_TOKENS_PER_CALL: usize = 4096;

/// One peer's answer: its features, or why it counts as absent.
pub type PeerReply = Result<PeerFeatures, String>;

/// How long a peer is skipped after its first failure in a row; each further failure doubles
/// it.
pub const BACKOFF_START: Duration = Duration::from_secs(1);
/// The longest a failing peer is skipped before it is tried again.
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// Answers whose times [`Dendrite::latency`] looks at.
pub const LATENCY_WINDOW: usize = 16;

/// Usable answers in a row after which a peer's failures are forgiven.
pub const FORGIVE_AFTER: u32 = 8;

/// The circuit breaker of one peer.
#[derive(Debug, Default)]
struct Health {
	/// Failures since the last [`FORGIVE_AFTER`] usable answers in a row.
	failures: u32,
	/// Usable answers in a row.
	successes: u32,
	/// Skipped until then.
	open_until: Option<Instant>,
}

struct Peer {
	addr: String,
	client: Result<HttpClient, String>,
	health: Mutex<Health>,
	/// The account its axon signs as; requests to it are signed when the dendrite has a key.
	account: Option<AccountId32>,
	/// How long its last [`LATENCY_WINDOW`] usable answers took.
	latency: Mutex<std::collections::VecDeque<Duration>>,
}

impl Peer {
	fn new(addr: &str, timeout: Duration) -> Self {
		let max_response = 64usize * 1024 * 1024;
		Self {
			addr: addr.to_string(),
			client: HttpClientBuilder::default()
				.request_timeout(timeout)
				.max_response_size(max_response as u32)
				.build(url(addr))
				.map_err(|e| format!("invalid peer address {addr}: {e}")),
			health: Mutex::default(),
			account: None,
			latency: Mutex::default(),
		}
	}

	fn note_latency(&self, took: Option<Duration>) {
		let Some(took) = took else { return };
		let mut latency = self.latency.lock().unwrap_or_else(|e| e.into_inner());
		if latency.len() >= LATENCY_WINDOW {
			latency.pop_front();
		}
		latency.push_back(took);
	}

	fn health(&self) -> std::sync::MutexGuard<'_, Health> {
		self.health.lock().unwrap_or_else(|e| e.into_inner())
	}

	/// `Err` with the reason while the breaker is open.
	fn check_open(&self, now: Instant) -> Result<(), String> {
		let health = self.health();
		match health.open_until {
			Some(until) if until > now => Err(format!(
				"{}: skipped after {} failures in a row, next try in {:.1} s",
				self.addr,
				health.failures,
				(until - now).as_secs_f64()
			)),
			_ => Ok(()),
		}
	}

	/// Records the outcome of a call: a failure opens the breaker for the backoff, logged in one
	/// line; a success closes it.
	fn record(&self, reply: &PeerReply, now: Instant) {
		let mut health = self.health();
		match reply {
			Ok(_) => {
				// The breaker closes, but failures are forgiven only after a run of good
				// answers: a peer that alternates stalls and answers backs off further each
				// time instead of costing a timeout every other step.
				health.open_until = None;
				health.successes = health.successes.saturating_add(1);
				if health.successes >= FORGIVE_AFTER && health.failures > 0 {
					log::info!(
						"peer {} answers again after {} failures",
						self.addr,
						health.failures
					);
					health.failures = 0;
				}
			}
			Err(why) => {
				health.successes = 0;
				health.failures = health.failures.saturating_add(1);
				let doublings = health.failures.saturating_sub(1).min(16);
				let backoff = BACKOFF_START.saturating_mul(1 << doublings).min(BACKOFF_MAX);
				health.open_until = Some(now + backoff);
				log::warn!("peer absent: {why}; skipping it for {backoff:?}");
			}
		}
	}
}

/// Why a call gave nothing usable, and whether it counts against the peer's breaker.
struct Failure {
	why: String,
	/// The axon said it was busy (`-32002`): absent this time, not held against it.
	busy: bool,
}

impl From<String> for Failure {
	fn from(why: String) -> Self {
		Self { why, busy: false }
	}
}

/// Client side of the peer protocol.
pub struct Dendrite {
	peers: Vec<Peer>,
	timeout: Duration,
	max_dim: usize,
	tokenizer: String,
	/// Signs requests to peers whose account is known.
	signer: Option<Signer>,
	/// The last nonce used: nonces are the clock in ms, kept increasing.
	nonce: AtomicU64,
}

/// Records a query to `addr` in the metrics: its time if it was sent, and whether it failed.
fn record_query(addr: &str, took: Option<Duration>, ok: bool) {
	let Some(m) = crate::metrics::get() else { return };
	if let Some(took) = took {
		m.peer_latency.with_label_values(&[addr]).observe(took.as_secs_f64());
	}
	if !ok {
		m.peer_errors.with_label_values(&[addr]).inc();
	}
}

/// Normalizes `host:port` (or a full URL) to an HTTP URL.
fn url(addr: &str) -> String {
	if addr.starts_with("http://") || addr.starts_with("https://") {
		addr.to_string()
	} else {
		format!("http://{addr}")
	}
}

impl Dendrite {
	/// A dendrite for `peers` (`host:port`), accepting hidden states up to `max_dim` wide.
	pub fn new(peers: &[String], timeout: Duration, max_dim: usize) -> Self {
		let peers = peers.iter().map(|addr| Peer::new(addr, timeout)).collect();
		let tokenizer = tokenizer::hash();
		Self { peers, timeout, max_dim, tokenizer, signer: None, nonce: AtomicU64::new(0) }
	}

	/// Signs every request to a peer whose axon account is known (see
	/// [`Dendrite::set_accounts`]) with `signer`, so that axons give it its place as a known
	/// caller.
	pub fn with_signer(mut self, signer: Signer) -> Self {
		self.signer = Some(signer);
		self
	}

	/// The account each peer's axon signs as, in order (`None`: unknown, requests unsigned).
	pub fn set_accounts(&mut self, accounts: &[Option<AccountId32>]) {
		for (peer, account) in self.peers.iter_mut().zip(accounts) {
			peer.account = account.clone();
		}
	}

	/// A fresh nonce: the clock in ms, above every earlier one.
	fn next_nonce(&self) -> u64 {
		let now = auth::now_ms();
		let prev = self.nonce.fetch_max(now, Ordering::Relaxed);
		if prev >= now {
			self.nonce.fetch_add(1, Ordering::Relaxed).saturating_add(1)
		} else {
			now
		}
	}

	/// The dendrite for `peers`, keeping the connection and circuit breaker of every address it
	/// already had: a peer does not escape its backoff by being listed again.
	pub fn retarget(self, peers: &[String]) -> Self {
		let Self { peers: mut old, timeout, max_dim, tokenizer, signer, nonce } = self;
		let peers = peers
			.iter()
			.map(|addr| match old.iter().position(|p| &p.addr == addr) {
				Some(i) => old.swap_remove(i),
				None => Peer::new(addr, timeout),
			})
			.collect();
		Self { peers, timeout, max_dim, tokenizer, signer, nonce }
	}

	/// The fastest of peer `index`'s last [`LATENCY_WINDOW`] usable answers, if it gave any:
	/// what it takes at best. A relay's best is its source's best plus a hop, every time;
	/// jitter on a loaded machine only slows single answers.
	pub fn latency(&self, index: usize) -> Option<Duration> {
		let peer = self.peers.get(index)?;
		peer.latency.lock().unwrap_or_else(|e| e.into_inner()).iter().min().copied()
	}

	/// How long a call may take.
	pub fn timeout(&self) -> Duration {
		self.timeout
	}

	/// Peer addresses, in slot order.
	pub fn addrs(&self) -> Vec<String> {
		self.peers.iter().map(|p| p.addr.clone()).collect()
	}

	/// Number of peers.
	pub fn len(&self) -> usize {
		self.peers.len()
	}

	/// True when there are no peers.
	pub fn is_empty(&self) -> bool {
		self.peers.is_empty()
	}

	/// Asks every peer whose breaker is closed for its hidden states on `sequences` sequences
	/// of equal length, given row-major in `tokens`; one reply per peer, in order.
	pub async fn forward(&self, tokens: &[u32], sequences: usize) -> Vec<PeerReply> {
		let all: Vec<usize> = (0..self.peers.len()).collect();
		self.forward_to(&all, tokens, sequences).await
	}

	/// [`Dendrite::forward`] to the peers at `which` (indices); one reply per index, in order.
	pub async fn forward_to(
		&self,
		which: &[usize],
		tokens: &[u32],
		sequences: usize,
	) -> Vec<PeerReply> {
		let calls = which.iter().map(|&index| async move {
			let peer = self.peers.get(index).ok_or_else(|| format!("no peer {index}"))?;
			if let Err(why) = peer.check_open(Instant::now()) {
				record_query(&peer.addr, None, false);
				return Err(why);
			}
			let started = Instant::now();
			let result = self.ask(peer, tokens, sequences).await;
			let took = started.elapsed();
			record_query(&peer.addr, Some(took), result.is_ok());
			peer.note_latency(result.is_ok().then_some(took));
			// A busy axon is absent this time but not broken: anyone can keep an honest axon
			// busy, and opening its breaker on that would let them keep it out of every
			// consumer's scoring.
			let busy = matches!(&result, Err(Failure { busy: true, .. }));
			let reply = result.map_err(|failure| failure.why);
			if !busy {
				peer.record(&reply, Instant::now());
			}
			reply
		});
		futures::future::join_all(calls).await
	}

	/// Takes peer `index` out of use for the backoff, as after a failed call: the training
	/// loop's verdict on a peer whose features made the loss non-finite.
	pub fn quarantine(&self, index: usize, why: &str) {
		if let Some(peer) = self.peers.get(index) {
			peer.record(&Err(format!("{}: {why}", peer.addr)), Instant::now());
		}
	}

	/// One peer's hidden states, asked for in calls of at most [`MAX_TOKENS_PER_CALL`] tokens.
	async fn ask(
		&self,
		peer: &Peer,
		tokens: &[u32],
		sequences: usize,
	) -> Result<PeerFeatures, Failure> {
		let client = peer.client.as_ref().map_err(|why| Failure::from(why.clone()))?;
		let len = tokens.len().checked_div(sequences).filter(|&len| len > 0);
		let len = len.ok_or_else(|| Failure::from("no tokens".to_string()))?;
		let rows: Vec<Vec<u32>> = tokens.chunks(len).map(<[u32]>::to_vec).collect();
		let per_call = (MAX_TOKENS_PER_CALL / len).max(1);
		let calls = rows.chunks(per_call).map(|chunk| async move {
			// The client has its own timeout too; this one also bounds connection set-up.
			let auth = match (&self.signer, &peer.account) {
				(Some(signer), Some(account)) => {
					let ids: Vec<Vec<u32>> = chunk.to_vec();
					Some(signer.sign_request(account, self.next_nonce(), &ids))
				}
				_ => None,
			};
			let params = match auth {
				Some(auth) => rpc_params![chunk, auth],
				None => rpc_params![chunk],
			};
			let call = client.request::<ForwardResponse, _>(METHOD_FORWARD, params);
			let reply = tokio::time::timeout(self.timeout, call)
				.await
				.map_err(|_| {
					Failure::from(format!("{}: no reply within {:?}", peer.addr, self.timeout))
				})?
				.map_err(|e| Failure {
					busy: matches!(&e, ClientError::Call(obj) if obj.code() == BUSY),
					why: format!("{}: {e}", peer.addr),
				})?;
			reply
				.decode([chunk.len(), len], &self.tokenizer, self.max_dim)
				.map_err(|e| Failure::from(format!("{}: {e}", peer.addr)))
		});
		let parts = futures::future::try_join_all(calls).await?;
		let dim = parts.first().map_or(0, |p| p.dim);
		if parts.iter().any(|p| p.dim != dim) {
			let why = format!("{}: hidden state width changed between calls", peer.addr);
			return Err(Failure::from(why));
		}
		Ok(PeerFeatures { dim, values: parts.into_iter().flat_map(|p| p.values).collect() })
	}

	/// [`Dendrite::forward`] for synchronous callers such as the training loop.
	///
	/// Must not be called from inside an async task (it blocks on `handle`).
	pub fn forward_blocking(
		&self,
		handle: &tokio::runtime::Handle,
		tokens: &[u32],
		sequences: usize,
	) -> Vec<PeerReply> {
		handle.block_on(self.forward(tokens, sequences))
	}

	/// [`Dendrite::forward_to`] for synchronous callers.
	pub fn forward_to_blocking(
		&self,
		handle: &tokio::runtime::Handle,
		which: &[usize],
		tokens: &[u32],
		sequences: usize,
	) -> Vec<PeerReply> {
		handle.block_on(self.forward_to(which, tokens, sequences))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn failures_back_off_and_are_forgiven_only_after_a_run_of_answers() {
		let peer = Peer {
			addr: "p".into(),
			client: Err("unused".into()),
			health: Mutex::default(),
			account: None,
			latency: Mutex::default(),
		};
		let t0 = Instant::now();
		let ok: PeerReply = Ok(PeerFeatures { dim: 1, values: vec![0.0] });
		let down: PeerReply = Err("p: down".into());
		peer.record(&down, t0);
		assert!(peer.check_open(t0).unwrap_err().contains("skipped after 1 failures"));
		assert!(peer.check_open(t0 + BACKOFF_START).is_ok());
		// Stalling every other call: one answer closes the breaker but forgives nothing, so the
		// next failure backs off twice as long.
		peer.record(&ok, t0);
		assert!(peer.check_open(t0).is_ok());
		peer.record(&down, t0);
		assert!(peer.check_open(t0 + Duration::from_millis(1500)).is_err());
		assert!(peer.check_open(t0 + Duration::from_millis(2000)).is_ok());
		// A run of good answers forgives: the next failure is a first one again.
		for _ in 0..FORGIVE_AFTER {
			peer.record(&ok, t0);
		}
		peer.record(&down, t0);
		assert!(peer.check_open(t0 + Duration::from_millis(1001)).is_ok());
	}
}
