//! The dendrite: asks every peer's axon concurrently for its hidden states on a batch.
//!
//! A peer that is down, slow, or answers with anything we cannot use (another protocol or
//! tokenizer, a wrong shape, a width we do not accept, NaN) is reported absent for that call.
//! Every query is bounded by a timeout so a bad peer costs at most that long per step, never a
//! stall.

use std::time::Duration;

use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;

use super::wire::{ForwardResponse, METHOD_FORWARD};
use crate::data::tokenizer;
use crate::model::PeerFeatures;

/// Most tokens sent in one `axon_forward` call (the axon's default limit); a larger batch is
/// split by sequences.
pub const MAX_TOKENS_PER_CALL: usize = 4096;

/// One peer's answer: its features, or why it counts as absent.
pub type PeerReply = Result<PeerFeatures, String>;

struct Peer {
	addr: String,
	client: Result<HttpClient, String>,
}

/// Client side of the peer protocol.
pub struct Dendrite {
	peers: Vec<Peer>,
	timeout: Duration,
	max_dim: usize,
	tokenizer: String,
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
		Self { peers, timeout, max_dim, tokenizer: tokenizer::hash() }
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

	/// Asks every peer for its hidden states on `sequences` sequences of equal length, given
	/// row-major in `tokens`; one reply per peer, in order.
	pub async fn forward(&self, tokens: &[u32], sequences: usize) -> Vec<PeerReply> {
		let calls = self.peers.iter().map(|peer| self.ask(peer, tokens, sequences));
		futures::future::join_all(calls).await
	}

	/// One peer's hidden states, asked for in calls of at most [`MAX_TOKENS_PER_CALL`] tokens.
	async fn ask(&self, peer: &Peer, tokens: &[u32], sequences: usize) -> PeerReply {
		let client = peer.client.as_ref().map_err(Clone::clone)?;
		let len = tokens.len().checked_div(sequences).filter(|&len| len > 0).ok_or("no tokens")?;
		let rows: Vec<Vec<u32>> = tokens.chunks(len).map(<[u32]>::to_vec).collect();
		let per_call = (MAX_TOKENS_PER_CALL / len).max(1);
		let calls = rows.chunks(per_call).map(|chunk| async move {
			// The client has its own timeout too; this one also bounds connection set-up.
			let call = client.request::<ForwardResponse, _>(METHOD_FORWARD, rpc_params![chunk]);
			let reply = tokio::time::timeout(self.timeout, call)
				.await
				.map_err(|_| format!("{}: no reply within {:?}", peer.addr, self.timeout))?
				.map_err(|e| format!("{}: {e}", peer.addr))?;
			reply
				.decode([chunk.len(), len], &self.tokenizer, self.max_dim)
				.map_err(|e| format!("{}: {e}", peer.addr))
		});
		let parts = futures::future::try_join_all(calls).await?;
		let dim = parts.first().map_or(0, |p| p.dim);
		if parts.iter().any(|p| p.dim != dim) {
			return Err(format!("{}: hidden state width changed between calls", peer.addr));
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
}
