//! The dendrite: queries every peer's axon concurrently for the embeddings of a batch.
//!
//! A peer that is down, slow, or answers with anything we cannot use (wrong shape, dimension or
//! vocabulary, NaN) is reported absent for that call. Every query is bounded by a timeout so a
//! bad peer costs at most that long per step, never a stall.

use std::time::Duration;

use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;

use super::wire::{ForwardResponse, METHOD_FORWARD};

/// Most ids sent in one `axon_forward` call (the axon's default limit).
pub const MAX_IDS_PER_CALL: usize = 4096;

/// One peer's answer: its features, or why it counts as absent.
pub type PeerReply = Result<Vec<f32>, String>;

struct Peer {
	addr: String,
	client: Result<HttpClient, String>,
}

/// Client side of the peer protocol.
pub struct Dendrite {
	peers: Vec<Peer>,
	timeout: Duration,
	dim: usize,
	vocab_hash: String,
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
	/// A dendrite for `peers` (`host:port`), expecting `dim`-wide embeddings indexed by the
	/// vocabulary with hash `vocab_hash`.
	pub fn new(peers: &[String], timeout: Duration, dim: usize, vocab_hash: &str) -> Self {
		let max_response = 64usize * 1024 * 1024;
		let peers = peers
			.iter()
			.map(|addr| Peer {
				addr: addr.clone(),
				client: HttpClientBuilder::default()
					.request_timeout(timeout)
					.max_response_size(max_response as u32)
					.build(url(addr))
					.map_err(|e| format!("invalid peer address {addr}: {e}")),
			})
			.collect();
		Self { peers, timeout, dim, vocab_hash: vocab_hash.to_string() }
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

	/// Asks every peer for the embeddings of `ids`; one reply per peer, in order, holding
	/// `ids.len() × dim` values.
	///
	/// Each distinct id is asked for once (a batch repeats common words many times), in chunks of
	/// at most [`MAX_IDS_PER_CALL`] so a large vocabulary never exceeds an axon's limit.
	pub async fn forward(&self, ids: &[u32]) -> Vec<PeerReply> {
		let mut unique: Vec<u32> = ids.to_vec();
		unique.sort_unstable();
		unique.dedup();
		let calls = self.peers.iter().map(|peer| self.ask(peer, &unique));
		let rows = futures::future::join_all(calls).await;
		rows.into_iter().map(|r| r.map(|table| self.expand(ids, &unique, &table))).collect()
	}

	/// The embeddings of the sorted distinct ids `unique` from one peer.
	async fn ask(&self, peer: &Peer, unique: &[u32]) -> Result<Vec<f32>, String> {
		let client = peer.client.as_ref().map_err(Clone::clone)?;
		let chunks = unique.chunks(MAX_IDS_PER_CALL).map(|chunk| async move {
			// The client has its own timeout too; this one also bounds connection set-up.
			let call = client.request::<ForwardResponse, _>(METHOD_FORWARD, rpc_params![chunk]);
			let reply = tokio::time::timeout(self.timeout, call)
				.await
				.map_err(|_| format!("{}: no reply within {:?}", peer.addr, self.timeout))?
				.map_err(|e| format!("{}: {e}", peer.addr))?;
			reply
				.decode([chunk.len(), self.dim], &self.vocab_hash)
				.map_err(|e| format!("{}: {e}", peer.addr))
		});
		let parts = futures::future::try_join_all(chunks).await?;
		Ok(parts.concat())
	}

	/// Rows for `ids` (with repeats) from rows for the sorted distinct `unique`.
	fn expand(&self, ids: &[u32], unique: &[u32], table: &[f32]) -> Vec<f32> {
		let d = self.dim;
		let mut out = Vec::with_capacity(ids.len().saturating_mul(d));
		for id in ids {
			// `unique` holds every id and `table` a row per unique id (checked by `decode`).
			let row = unique.binary_search(id).ok().and_then(|r| table.get(r * d..(r + 1) * d));
			out.extend_from_slice(row.unwrap_or(&[]));
		}
		out
	}

	/// [`Dendrite::forward`] for synchronous callers such as the training loop.
	///
	/// Must not be called from inside an async task (it blocks on `handle`).
	pub fn forward_blocking(&self, handle: &tokio::runtime::Handle, ids: &[u32]) -> Vec<PeerReply> {
		handle.block_on(self.forward(ids))
	}
}
