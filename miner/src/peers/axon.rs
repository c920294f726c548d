//! The axon: a JSON-RPC server that answers peers with this miner's hidden states.
//!
//! The trainer publishes a snapshot of its model every few steps ([`Served::publish`]);
//! requests run that snapshot on a blocking worker, so serving never waits on a training step
//! and a slow request never holds up the next snapshot.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Context;
use jsonrpsee::server::{RpcModule, Server, ServerHandle};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use rand::Rng;
use serde_json::Value;
use sp_core::crypto::AccountId32;

use super::auth::{now_ms, Admission, Auth, Callers, Held, PriorityGate, Verifier};
use super::wire::{encode_f32, AxonInfo, ForwardResponse, METHOD_FORWARD, METHOD_INFO, PROTOCOL};
use crate::data::tokenizer;

/// JSON-RPC error code for a request the axon refuses (bad ids, too many tokens).
pub const INVALID_PARAMS: i32 = -32602;
/// JSON-RPC error code for a request that ran past the axon's time limit.
pub const TIMEOUT: i32 = -32000;
/// JSON-RPC error code for an axon with no model published yet.
pub const NOT_READY: i32 = -32001;
/// JSON-RPC error code for an axon already computing as many replies as it allows (for the
/// caller's class, or for that caller).
pub const BUSY: i32 = -32002;
/// JSON-RPC error code for a signature that does not verify, a replayed request, or a missing
/// signature where the axon requires one.
pub const UNAUTHORIZED: i32 = -32003;

/// Computes hidden states: a snapshot of the trainer's model.
pub trait Encoder: Send + Sync {
	/// Hidden states for `sequences` token sequences of equal length, given row-major in
	/// `tokens` (ids below the tokenizer's vocabulary size, length at most the context):
	/// `tokens.len() × dim` values, row-major.
	fn encode(&self, tokens: &[u32], sequences: usize) -> Vec<f32>;
}

/// What the axon serves: a model snapshot and its metadata.
#[derive(Clone)]
pub struct Snapshot {
	/// The model.
	pub encoder: Arc<dyn Encoder>,
	/// Width of its hidden state.
	pub dim: usize,
	/// Longest sequence it reads.
	pub max_context: usize,
	/// Training step it comes from.
	pub version: u64,
}

/// Handle through which the trainer publishes new snapshots to a running axon.
#[derive(Clone, Default)]
pub struct Served(Arc<RwLock<Option<Snapshot>>>);

impl Served {
	/// Replaces the served snapshot.
	pub fn publish(&self, snapshot: Snapshot) {
		// A poisoned lock only means a reader panicked; the data is a plain value, keep serving.
		let mut guard = self.0.write().unwrap_or_else(|e| e.into_inner());
		*guard = Some(snapshot);
	}

	/// The current snapshot, if one was published.
	pub fn current(&self) -> Option<Snapshot> {
		self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
	}
}

/// Limits and behaviour of an axon.
#[derive(Clone, Debug)]
pub struct AxonConfig {
	/// Most tokens (sequences × length) per request.
	pub max_tokens: usize,
	/// Largest accepted request body in bytes.
	pub max_request_bytes: u32,
	/// Time limit for computing one reply.
	pub timeout: Duration,
	/// Serve random hidden states of the right shape instead of the model's (tests and demos).
	pub serve_noise: bool,
	/// Serve ±3e38 in every cell (a hostile peer, for tests and drills).
	pub serve_huge: bool,
	/// Most replies computed at once. A reply that runs past `timeout` still holds its place
	/// until it finishes, so callers that give up and retry cannot pile up work.
	pub max_concurrent: usize,
	/// The axon's account (its operator key), which callers sign for; `None`: signatures are
	/// not checked and every caller is anonymous.
	pub identity: Option<AccountId32>,
	/// The callers it knows and their priorities; `None`: no classes, every request may use
	/// every worker (a private `serve`), and requests beyond are refused as busy at once.
	pub callers: Option<Callers>,
	/// Refuse unsigned requests.
	pub require_signature: bool,
	/// Workers that callers it does not know may use at once (with a caller table).
	pub anonymous_workers: usize,
	/// Replies one known caller may have in progress at once.
	pub per_caller: usize,
	/// How long a known caller's request waits for a worker (highest priority first) before
	/// it is refused as busy.
	pub queue_wait: Duration,
}

impl Default for AxonConfig {
	fn default() -> Self {
		Self {
			max_tokens: 4096,
			max_request_bytes: 64 * 1024,
			timeout: Duration::from_secs(2),
			serve_noise: false,
			serve_huge: false,
			max_concurrent: 4,
			identity: None,
			callers: None,
			require_signature: false,
			anonymous_workers: 1,
			per_caller: 2,
			queue_wait: Duration::from_millis(500),
		}
	}
}

/// A running axon. Dropping it leaves the server running; call [`Axon::stop`].
pub struct Axon {
	/// The address the server is bound to.
	pub addr: SocketAddr,
	handle: ServerHandle,
}

struct Ctx {
	served: Served,
	config: AxonConfig,
	workers: PriorityGate,
	anonymous: Arc<tokio::sync::Semaphore>,
	verifier: Option<Verifier>,
	in_progress: Arc<Mutex<HashMap<String, usize>>>,
}

fn busy(msg: String) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(BUSY, format!("busy: {msg}; retry later"), None::<()>)
}

fn unauthorized(msg: String) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(UNAUTHORIZED, msg, None::<()>)
}

/// What a request holds while its reply is computed: a worker, and its share of the caller's
/// or the anonymous class's limit. All are released on drop.
struct Admitted {
	_worker: Held,
	_anonymous: Option<tokio::sync::OwnedSemaphorePermit>,
	_caller: Option<CallerSlot>,
}

/// One of a known caller's [`AxonConfig::per_caller`] places.
struct CallerSlot {
	caller: String,
	in_progress: Arc<Mutex<HashMap<String, usize>>>,
}

impl Drop for CallerSlot {
	fn drop(&mut self) {
		let mut map = self.in_progress.lock().unwrap_or_else(|e| e.into_inner());
		if let Some(n) = map.get_mut(&self.caller) {
			*n = n.saturating_sub(1);
			if *n == 0 {
				map.remove(&self.caller);
			}
		}
	}
}

impl Ctx {
	/// Who is asking: a known caller if `auth` verifies and its key is in the caller table,
	/// otherwise anonymous; an error for a bad signature, a replay, or no signature where one
	/// is required.
	fn classify(
		&self,
		tokens: &[Vec<u32>],
		auth: Option<Auth>,
	) -> Result<Admission, ErrorObjectOwned> {
		let caller = match (auth, &self.verifier) {
			// A key the caller table lacks is anonymous whatever it signed: verifying it, and
			// remembering its nonces, would only let throwaway keys cost the axon memory and time.
			(Some(auth), Some(_)) if !self.knows(&auth.caller) => None,
			(Some(auth), Some(verifier)) => {
				Some(verifier.verify(&auth, tokens, now_ms()).map_err(unauthorized)?)
			}
			(None, _) if self.config.require_signature => {
				return Err(unauthorized(
					"this axon answers signed requests only: add {\"auth\": {\"caller\", \
					 \"nonce\", \"signature\"}} (see docs/miner.md)"
						.into(),
				));
			}
			_ => None,
		};
		let known = caller.and_then(|c| {
			let priority = self.config.callers.as_ref()?.priority(&c)?;
			Some(Admission::Known { caller: c, priority })
		});
		Ok(known.unwrap_or(Admission::Anonymous))
	}

	/// Whether the caller table (if any) holds `caller` (an SS58 address in any format).
	fn knows(&self, caller: &str) -> bool {
		let Some(callers) = &self.config.callers else { return true };
		let Ok(account) = <AccountId32 as sp_core::crypto::Ss58Codec>::from_ss58check(caller)
		else {
			return false;
		};
		callers.priority(&crate::chain::ss58(&account)).is_some()
	}

	/// A worker for a request of `class`, or busy.
	async fn admit(&self, class: Admission) -> Result<Admitted, ErrorObjectOwned> {
		let workers = self.config.max_concurrent.max(1);
		if self.config.callers.is_none() {
			let worker = self.workers.acquire(0, Duration::ZERO).await.ok_or_else(|| {
				busy(format!("{workers} replies in progress, the most this axon computes at once"))
			})?;
			return Ok(Admitted { _worker: worker, _anonymous: None, _caller: None });
		}
		match class {
			Admission::Anonymous => {
				let share = self.config.anonymous_workers;
				let permit = self.anonymous.clone().try_acquire_owned().map_err(|_| {
					busy(format!(
						"callers this axon does not know share {share} worker(s); sign with a \
						 registered operator key for a place in the queue"
					))
				})?;
				let worker = self.workers.acquire(0, Duration::ZERO).await.ok_or_else(|| {
					busy(format!("all {workers} workers are serving known callers"))
				})?;
				Ok(Admitted { _worker: worker, _anonymous: Some(permit), _caller: None })
			}
			Admission::Known { caller, priority } => {
				let limit = self.config.per_caller.max(1);
				{
					let mut map = self.in_progress.lock().unwrap_or_else(|e| e.into_inner());
					let n = map.entry(caller.clone()).or_default();
					if *n >= limit {
						return Err(busy(format!(
							"{caller} already has {limit} request(s) in progress here"
						)));
					}
					*n += 1;
				}
				let slot = CallerSlot { caller, in_progress: self.in_progress.clone() };
				// Above every anonymous request (priority 0).
				let priority = priority.saturating_add(1);
				let worker = self.workers.acquire(priority, self.config.queue_wait).await;
				let worker = worker.ok_or_else(|| {
					busy(format!(
						"no worker free within {:?} for this caller's priority",
						self.config.queue_wait
					))
				})?;
				Ok(Admitted { _worker: worker, _anonymous: None, _caller: Some(slot) })
			}
		}
	}
}

fn invalid(msg: impl Into<String>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(INVALID_PARAMS, msg.into(), None::<()>)
}

/// Accepts `[[[ids…], …]]` or `[[[ids…], …], auth]` (positional) or `{"tokens": [[ids…], …],
/// "auth": {…}}` (named, `auth` optional).
fn parse_request(params: &Params<'_>) -> Result<(Vec<Vec<i64>>, Option<Auth>), ErrorObjectOwned> {
	const USAGE: &str =
		"expected params [tokens] / [tokens, auth] or {\"tokens\": [[ids...], ...], \"auth\": ...}";
	let value: Value = params.parse().map_err(|_| invalid(format!("missing params: {USAGE}")))?;
	let (tokens, auth) = match value {
		Value::Array(mut a) if a.len() == 1 => (a.swap_remove(0), None),
		Value::Array(mut a) if a.len() == 2 => {
			let auth = a.pop();
			(a.swap_remove(0), auth)
		}
		Value::Object(mut o) => {
			let tokens =
				o.remove("tokens").ok_or_else(|| invalid(format!("no tokens field: {USAGE}")))?;
			(tokens, o.remove("auth"))
		}
		_ => return Err(invalid(USAGE)),
	};
	let tokens = serde_json::from_value(tokens)
		.map_err(|e| invalid(format!("tokens must be a list of lists of integers: {e}")))?;
	let auth = auth
		.filter(|a| !a.is_null())
		.map(serde_json::from_value::<Auth>)
		.transpose()
		.map_err(|e| invalid(format!("auth must be {{caller, nonce, signature}}: {e}")))?;
	Ok((tokens, auth))
}

/// The ids as signed (`u32`); an error for one that is not.
fn signed_ids(tokens: &[Vec<i64>]) -> Result<Vec<Vec<u32>>, ErrorObjectOwned> {
	tokens
		.iter()
		.map(|seq| {
			seq.iter()
				.map(|&id| {
					u32::try_from(id).map_err(|_| {
						invalid(format!(
							"token id {id} is outside the vocabulary (valid ids are 0..{})",
							tokenizer::VOCAB_SIZE
						))
					})
				})
				.collect()
		})
		.collect()
}

/// Checks a request against the limits and flattens it: `(ids, sequences, length)`.
fn validate(
	tokens: &[Vec<i64>],
	max_tokens: usize,
	max_context: usize,
) -> Result<(Vec<u32>, usize, usize), ErrorObjectOwned> {
	let len = tokens.first().map(Vec::len).unwrap_or(0);
	if len == 0 {
		return Err(invalid("no tokens: send at least one non-empty sequence"));
	}
	if let Some(other) = tokens.iter().find(|s| s.len() != len) {
		return Err(invalid(format!(
			"sequences must have equal length: {len} and {} tokens",
			other.len()
		)));
	}
	if len > max_context {
		return Err(invalid(format!(
			"sequences of {len} tokens are longer than the context of {max_context}"
		)));
	}
	let total = tokens.len().saturating_mul(len);
	if total > max_tokens {
		return Err(invalid(format!("too many tokens: {total} requested, at most {max_tokens}")));
	}
	let vocab = tokenizer::VOCAB_SIZE;
	let mut ids = Vec::with_capacity(total);
	for &id in tokens.iter().flatten() {
		let id = u32::try_from(id).ok().filter(|&id| (id as usize) < vocab).ok_or_else(|| {
			invalid(format!("token id {id} is outside the vocabulary (valid ids are 0..{vocab})"))
		})?;
		ids.push(id);
	}
	Ok((ids, tokens.len(), len))
}

/// Standard normal values via Box–Muller: the scale of a layer-normed hidden state.
fn noise(count: usize) -> Vec<f32> {
	let mut rng = rand::thread_rng();
	(0..count)
		.map(|_| {
			let u: f32 = rng.gen_range(f32::EPSILON..1.0);
			let v: f32 = rng.gen_range(0.0..1.0);
			(-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
		})
		.collect()
}

fn forward(ctx: &Ctx, tokens: &[Vec<i64>]) -> Result<ForwardResponse, ErrorObjectOwned> {
	let snapshot = ctx
		.served
		.current()
		.ok_or_else(|| ErrorObjectOwned::owned(NOT_READY, "no model published yet", None::<()>))?;
	let (ids, sequences, len) = validate(tokens, ctx.config.max_tokens, snapshot.max_context)?;
	let dim = snapshot.dim;
	let values = if ctx.config.serve_noise {
		noise(ids.len().saturating_mul(dim))
	} else if ctx.config.serve_huge {
		noise(ids.len().saturating_mul(dim)).into_iter().map(|x| 3.0e38f32.copysign(x)).collect()
	} else {
		snapshot.encoder.encode(&ids, sequences)
	};
	Ok(ForwardResponse {
		protocol: PROTOCOL,
		tokenizer: tokenizer::hash(),
		shape: [sequences, len, dim],
		data: encode_f32(&values),
		model_version: snapshot.version,
	})
}

/// One `axon_forward` request: parse, admit, compute on a blocking worker within the limit.
async fn answer(
	ctx: Arc<Ctx>,
	params: Params<'static>,
) -> Result<ForwardResponse, ErrorObjectOwned> {
	let (tokens, auth) = parse_request(&params)?;
	let class = ctx.classify(&signed_ids(&tokens)?, auth)?;
	let admitted = ctx.admit(class).await?;
	let timeout = ctx.config.timeout;
	let work = tokio::task::spawn_blocking(move || {
		let reply = forward(&ctx, &tokens);
		drop(admitted);
		reply
	});
	match tokio::time::timeout(timeout, work).await {
		Ok(Ok(reply)) => reply,
		Ok(Err(_)) => Err(ErrorObjectOwned::owned(-32603, "axon worker failed", None::<()>)),
		Err(_) => Err(ErrorObjectOwned::owned(
			TIMEOUT,
			format!("request took longer than {timeout:?}"),
			None::<()>,
		)),
	}
}

impl Axon {
	/// Binds `addr` (port 0 picks a free port) and starts serving `served`.
	pub async fn start(addr: &str, served: Served, config: AxonConfig) -> anyhow::Result<Self> {
		// Base64 of 4-byte floats: a reply of `max_tokens` rows up to 4096 wide, plus framing.
		let max_response = config
			.max_tokens
			.saturating_mul(4096 * 6)
			.saturating_add(64 * 1024)
			.min(u32::MAX as usize) as u32;
		let server = Server::builder()
			.max_request_body_size(config.max_request_bytes)
			.max_response_body_size(max_response)
			.max_connections(256)
			.build(addr)
			.await
			.with_context(|| format!("cannot bind the axon to {addr} (port in use?)"))?;
		let bound = server.local_addr().context("axon has no local address")?;
		let workers = PriorityGate::new(config.max_concurrent.max(1));
		let anonymous = Arc::new(tokio::sync::Semaphore::new(config.anonymous_workers));
		let verifier = config.identity.clone().map(Verifier::new);
		let in_progress = Arc::default();
		let ctx = Ctx { served, config, workers, anonymous, verifier, in_progress };
		let mut module = RpcModule::new(ctx);
		module.register_async_method(METHOD_FORWARD, |params, ctx, _| async move {
			let reply = answer(ctx, params).await;
			crate::metrics::axon_outcome(reply.as_ref().err().map(|e| e.code()));
			reply
		})?;
		module.register_method(METHOD_INFO, |_, ctx, _| {
			let snapshot = ctx.served.current();
			Ok::<_, ErrorObjectOwned>(AxonInfo {
				protocol: PROTOCOL,
				tokenizer: tokenizer::hash(),
				vocab_size: tokenizer::VOCAB_SIZE,
				dim: snapshot.as_ref().map_or(0, |s| s.dim),
				max_context: snapshot.as_ref().map_or(0, |s| s.max_context),
				max_tokens: ctx.config.max_tokens,
				model_version: snapshot.as_ref().map_or(0, |s| s.version),
			})
		})?;
		let handle = server.start(module);
		log::info!("axon serving on http://{bound}");
		Ok(Self { addr: bound, handle })
	}

	/// Stops the server and waits until it has shut down.
	pub async fn stop(self) {
		// Err means it was already stopped, which is what we want.
		let _ = self.handle.stop();
		self.handle.stopped().await;
	}
}
