//! The axon: a JSON-RPC server that answers peers with this miner's hidden states.
//!
//! The trainer publishes a snapshot of its model every few steps ([`Served::publish`]);
//! requests run that snapshot on a blocking worker, so serving never waits on a training step
//! and a slow request never holds up the next snapshot.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use jsonrpsee::server::{RpcModule, Server, ServerHandle};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use rand::Rng;
use serde_json::Value;

use super::wire::{encode_f32, AxonInfo, ForwardResponse, METHOD_FORWARD, METHOD_INFO, PROTOCOL};
use crate::data::tokenizer;

/// JSON-RPC error code for a request the axon refuses (bad ids, too many tokens).
pub const INVALID_PARAMS: i32 = -32602;
/// JSON-RPC error code for a request that ran past the axon's time limit.
pub const TIMEOUT: i32 = -32000;
/// JSON-RPC error code for an axon with no model published yet.
pub const NOT_READY: i32 = -32001;
/// JSON-RPC error code for an axon already computing as many replies as it allows.
pub const BUSY: i32 = -32002;

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
	/// Most replies computed at once; further requests are refused as busy at once. A reply
	/// that runs past `timeout` still holds its place until it finishes, so callers that give
	/// up and retry cannot pile up work.
	pub max_concurrent: usize,
}

impl Default for AxonConfig {
	fn default() -> Self {
		Self {
			max_tokens: 4096,
			max_request_bytes: 64 * 1024,
			timeout: Duration::from_secs(2),
			serve_noise: false,
			max_concurrent: 4,
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
	workers: Arc<tokio::sync::Semaphore>,
}

fn invalid(msg: impl Into<String>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(INVALID_PARAMS, msg.into(), None::<()>)
}

/// Accepts `[[[ids…], …]]` (positional) or `{"tokens": [[ids…], …]}` (named).
fn parse_tokens(params: &Params<'_>) -> Result<Vec<Vec<i64>>, ErrorObjectOwned> {
	const USAGE: &str = "expected params [tokens] or {\"tokens\": [[ids...], ...]}";
	let value: Value = params.parse().map_err(|_| invalid(format!("missing params: {USAGE}")))?;
	let tokens = match value {
		Value::Array(mut a) if a.len() == 1 => a.swap_remove(0),
		Value::Object(mut o) => {
			o.remove("tokens").ok_or_else(|| invalid(format!("no tokens field: {USAGE}")))?
		}
		_ => return Err(invalid(USAGE)),
	};
	serde_json::from_value(tokens)
		.map_err(|e| invalid(format!("tokens must be a list of lists of integers: {e}")))
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
		let workers = Arc::new(tokio::sync::Semaphore::new(config.max_concurrent.max(1)));
		let mut module = RpcModule::new(Ctx { served, config, workers });
		module.register_async_method(METHOD_FORWARD, |params, ctx, _| async move {
			let tokens = parse_tokens(&params)?;
			let timeout = ctx.config.timeout;
			let permit = ctx.workers.clone().try_acquire_owned().map_err(|_| {
				ErrorObjectOwned::owned(
					BUSY,
					format!(
						"busy: {} replies in progress, the most this axon computes at once; \
						 retry later",
						ctx.config.max_concurrent.max(1)
					),
					None::<()>,
				)
			})?;
			let work = tokio::task::spawn_blocking(move || {
				let reply = forward(&ctx, &tokens);
				drop(permit);
				reply
			});
			match tokio::time::timeout(timeout, work).await {
				Ok(Ok(reply)) => reply,
				Ok(Err(_)) => {
					Err(ErrorObjectOwned::owned(-32603, "axon worker failed", None::<()>))
				}
				Err(_) => Err(ErrorObjectOwned::owned(
					TIMEOUT,
					format!("request took longer than {timeout:?}"),
					None::<()>,
				)),
			}
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
