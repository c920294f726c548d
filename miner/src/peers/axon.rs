//! The axon: a JSON-RPC server that serves this miner's embeddings to peers.
//!
//! The trainer publishes a copy of its embedding table every few steps ([`Served::publish`]);
//! requests read that copy, so serving never waits on a training step and never touches Burn
//! tensors from the server's threads.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use jsonrpsee::server::{RpcModule, Server, ServerHandle};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use rand::Rng;
use serde_json::Value;

use super::wire::{encode_f32, AxonInfo, ForwardResponse, METHOD_FORWARD, METHOD_INFO};

/// JSON-RPC error code for a request the axon refuses (bad ids, too many tokens).
pub const INVALID_PARAMS: i32 = -32602;
/// JSON-RPC error code for a request that ran past the axon's time limit.
pub const TIMEOUT: i32 = -32000;
/// JSON-RPC error code for an axon with no model published yet.
pub const NOT_READY: i32 = -32001;

/// The embedding table being served.
#[derive(Clone, Debug, Default)]
pub struct Table {
	/// Row-major `[vocab_size, dim]` values.
	pub weights: Vec<f32>,
	/// Number of rows.
	pub vocab_size: usize,
	/// Number of columns.
	pub dim: usize,
	/// Hash of the vocabulary the rows are indexed by.
	pub vocab_hash: String,
	/// Training step the table comes from.
	pub version: u64,
}

/// Handle through which the trainer publishes new tables to a running axon.
#[derive(Clone, Debug, Default)]
pub struct Served(Arc<RwLock<Table>>);

impl Served {
	/// Replaces the served table.
	pub fn publish(&self, table: Table) {
		// A poisoned lock only means a reader panicked; the data is a plain copy, keep serving.
		let mut guard = self.0.write().unwrap_or_else(|e| e.into_inner());
		*guard = table;
	}

	fn read(&self) -> std::sync::RwLockReadGuard<'_, Table> {
		self.0.read().unwrap_or_else(|e| e.into_inner())
	}
}

/// Limits and behaviour of an axon.
#[derive(Clone, Debug)]
pub struct AxonConfig {
	/// Most token ids per request.
	pub max_tokens: usize,
	/// Largest accepted request body in bytes.
	pub max_request_bytes: u32,
	/// Time limit for computing one reply.
	pub timeout: Duration,
	/// Serve random embeddings of the right shape instead of the model's (tests and demos).
	pub serve_noise: bool,
}

impl Default for AxonConfig {
	fn default() -> Self {
		Self {
			max_tokens: 4096,
			max_request_bytes: 64 * 1024,
			timeout: Duration::from_secs(2),
			serve_noise: false,
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
}

fn invalid(msg: impl Into<String>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(INVALID_PARAMS, msg.into(), None::<()>)
}

/// Accepts `[[ids…]]` (positional) or `{"token_ids": [ids…]}` (named).
fn parse_ids(params: &Params<'_>) -> Result<Vec<i64>, ErrorObjectOwned> {
	const USAGE: &str = "expected params [token_ids] or {\"token_ids\": [...]}";
	let value: Value = params.parse().map_err(|_| invalid(format!("missing params: {USAGE}")))?;
	let ids = match value {
		Value::Array(mut a) if a.len() == 1 => a.swap_remove(0),
		Value::Object(mut o) => {
			o.remove("token_ids").ok_or_else(|| invalid(format!("no token_ids field: {USAGE}")))?
		}
		_ => return Err(invalid(USAGE)),
	};
	serde_json::from_value(ids)
		.map_err(|e| invalid(format!("token_ids must be a list of integers: {e}")))
}

fn forward(ctx: &Ctx, ids: &[i64]) -> Result<ForwardResponse, ErrorObjectOwned> {
	let max = ctx.config.max_tokens;
	if ids.len() > max {
		return Err(invalid(format!("too many tokens: {} requested, at most {max}", ids.len())));
	}
	let table = ctx.served.read();
	if table.dim == 0 || table.weights.len() != table.vocab_size.saturating_mul(table.dim) {
		return Err(ErrorObjectOwned::owned(NOT_READY, "no model published yet", None::<()>));
	}
	if let Some(bad) = ids.iter().find(|&&i| i < 0 || i >= table.vocab_size as i64) {
		return Err(invalid(format!(
			"token id {bad} is outside the vocabulary (valid ids are 0..{})",
			table.vocab_size
		)));
	}
	let dim = table.dim;
	let mut out = Vec::with_capacity(ids.len().saturating_mul(dim));
	if ctx.config.serve_noise {
		let mut rng = rand::thread_rng();
		// Standard normal via Box–Muller: same scale family as a trained embedding.
		out.extend((0..ids.len() * dim).map(|_| {
			let u: f32 = rng.gen_range(f32::EPSILON..1.0);
			let v: f32 = rng.gen_range(0.0..1.0);
			(-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
		}));
	} else {
		for &i in ids {
			let start = i as usize * dim;
			out.extend_from_slice(table.weights.get(start..start + dim).unwrap_or(&[]));
		}
	}
	Ok(ForwardResponse {
		shape: [ids.len(), dim],
		data: encode_f32(&out),
		vocab_hash: table.vocab_hash.clone(),
	})
}

impl Axon {
	/// Binds `addr` (port 0 picks a free port) and starts serving `served`.
	pub async fn start(addr: &str, served: Served, config: AxonConfig) -> anyhow::Result<Self> {
		let max_response =
			config.max_tokens.saturating_mul(4096).saturating_add(64 * 1024).min(u32::MAX as usize)
				as u32;
		let server = Server::builder()
			.max_request_body_size(config.max_request_bytes)
			.max_response_body_size(max_response)
			.max_connections(256)
			.build(addr)
			.await
			.with_context(|| format!("cannot bind the axon to {addr} (port in use?)"))?;
		let bound = server.local_addr().context("axon has no local address")?;
		let mut module = RpcModule::new(Ctx { served, config });
		module.register_async_method(METHOD_FORWARD, |params, ctx, _| async move {
			let ids = parse_ids(&params)?;
			let timeout = ctx.config.timeout;
			let work = tokio::task::spawn_blocking(move || forward(&ctx, &ids));
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
			let t = ctx.served.read();
			Ok::<_, ErrorObjectOwned>(AxonInfo {
				model_version: t.version,
				vocab_hash: t.vocab_hash.clone(),
				vocab_size: t.vocab_size,
				dim: t.dim,
				max_tokens: ctx.config.max_tokens,
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
