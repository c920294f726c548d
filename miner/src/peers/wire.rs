//! What travels between axon and dendrite: protocol version 2 (docs/miner.md, "The peer
//! protocol").
//!
//! A request is a batch of token sequences of the network's tokenizer; the reply is the
//! peer's hidden state at every position, as base64 of little-endian `f32` with an explicit
//! shape: about a third the size of a JSON number list and exact, while staying inside plain
//! JSON-RPC.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::model::PeerFeatures;

/// JSON-RPC method returning hidden states for a batch of token sequences.
pub const METHOD_FORWARD: &str = "axon_forward";
/// JSON-RPC method describing the axon.
pub const METHOD_INFO: &str = "axon_info";
/// Version of the request and reply formats below. A peer whose replies carry another
/// version is not used.
pub const PROTOCOL: u32 = 2;

/// Reply of `axon_forward`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForwardResponse {
	/// [`PROTOCOL`].
	pub protocol: u32,
	/// Hash of the tokenizer the ids were read with (`data::tokenizer::hash`).
	pub tokenizer: String,
	/// `[sequences, tokens per sequence, dim]`.
	pub shape: [usize; 3],
	/// Base64 of the row-major little-endian `f32` values.
	pub data: String,
	/// Training step of the model that computed the reply.
	pub model_version: u64,
}

/// Reply of `axon_info`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AxonInfo {
	/// [`PROTOCOL`].
	pub protocol: u32,
	/// Tokenizer hash; peers only use each other when these match.
	pub tokenizer: String,
	/// Number of token ids: valid ids are `0..vocab_size`.
	pub vocab_size: usize,
	/// Width of the hidden state served.
	pub dim: usize,
	/// Longest sequence accepted, in tokens.
	pub max_context: usize,
	/// Most tokens (sequences × length) accepted in one `axon_forward` call.
	pub max_tokens: usize,
	/// Training step of the served model; changes as the model learns.
	pub model_version: u64,
}

/// Encodes `f32` values as base64 little-endian bytes.
pub fn encode_f32(values: &[f32]) -> String {
	let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
	STANDARD.encode(bytes)
}

/// Why a peer's payload was rejected.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PayloadError {
	/// Another protocol version.
	#[error("protocol version {got}, ours is {PROTOCOL}")]
	Protocol {
		/// Peer's version.
		got: u32,
	},
	/// The tokenizer hash differs: ids mean different text.
	#[error("tokenizer hash {got} differs from ours ({want})")]
	Tokenizer {
		/// Peer's hash.
		got: String,
		/// Our hash.
		want: String,
	},
	/// The shape is not `[sequences asked, length asked, dim]`.
	#[error("shape {got:?} does not match the {want:?} sequences × tokens asked for")]
	Shape {
		/// Shape received.
		got: [usize; 3],
		/// Sequences and length asked for.
		want: [usize; 2],
	},
	/// The hidden state is empty or wider than we accept.
	#[error("hidden state width {got} is outside 1..={max}")]
	Width {
		/// Width received.
		got: usize,
		/// Widest accepted.
		max: usize,
	},
	/// The base64 text did not decode.
	#[error("payload is not valid base64")]
	Base64,
	/// The byte count disagrees with the declared shape.
	#[error("payload holds {got} bytes but shape {shape:?} needs {want}")]
	Length {
		/// Declared shape.
		shape: [usize; 3],
		/// Bytes received.
		got: usize,
		/// Bytes the shape implies.
		want: usize,
	},
	/// NaN or infinite values.
	#[error("payload contains NaN or infinite values")]
	NotFinite,
}

impl ForwardResponse {
	/// Decodes and validates the reply to a request of `want` = `[sequences, length]` tokens
	/// read with the tokenizer `tokenizer`, accepting any width up to `max_dim`.
	pub fn decode(
		&self,
		want: [usize; 2],
		tokenizer: &str,
		max_dim: usize,
	) -> Result<PeerFeatures, PayloadError> {
		if self.protocol != PROTOCOL {
			return Err(PayloadError::Protocol { got: self.protocol });
		}
		if self.tokenizer != tokenizer {
			return Err(PayloadError::Tokenizer {
				got: self.tokenizer.clone(),
				want: tokenizer.to_string(),
			});
		}
		let [sequences, len, dim] = self.shape;
		if [sequences, len] != want {
			return Err(PayloadError::Shape { got: self.shape, want });
		}
		if dim == 0 || dim > max_dim {
			return Err(PayloadError::Width { got: dim, max: max_dim });
		}
		let need = sequences.saturating_mul(len).saturating_mul(dim).saturating_mul(4);
		// Checked before decoding, so a lying shape cannot make us allocate.
		let expected_chars = need.div_ceil(3).saturating_mul(4);
		if self.data.len() != expected_chars {
			return Err(PayloadError::Length {
				shape: self.shape,
				got: self.data.len() / 4 * 3,
				want: need,
			});
		}
		let bytes = STANDARD.decode(&self.data).map_err(|_| PayloadError::Base64)?;
		if bytes.len() != need {
			return Err(PayloadError::Length { shape: self.shape, got: bytes.len(), want: need });
		}
		let values: Vec<f32> =
			bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
		if values.iter().any(|v| !v.is_finite()) {
			return Err(PayloadError::NotFinite);
		}
		Ok(PeerFeatures { dim, values })
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn response(values: &[f32], shape: [usize; 3]) -> ForwardResponse {
		ForwardResponse {
			protocol: PROTOCOL,
			tokenizer: "t".into(),
			shape,
			data: encode_f32(values),
			model_version: 1,
		}
	}

	#[test]
	fn round_trip_and_rejections() {
		let v = [1.0, -2.5, 3.0, 0.0, 5.0, 6.0];
		let ok = response(&v, [1, 2, 3]).decode([1, 2], "t", 8).unwrap();
		assert_eq!(ok, PeerFeatures { dim: 3, values: v.to_vec() });
		let err = |r: ForwardResponse| r.decode([1, 2], "t", 8).unwrap_err();
		let mut old = response(&v, [1, 2, 3]);
		old.protocol = 1;
		assert_eq!(err(old), PayloadError::Protocol { got: 1 });
		assert!(matches!(
			response(&v, [1, 2, 3]).decode([1, 2], "x", 8),
			Err(PayloadError::Tokenizer { .. })
		));
		assert!(matches!(err(response(&v, [2, 1, 3])), PayloadError::Shape { .. }));
		assert!(matches!(
			response(&v, [1, 2, 3]).decode([1, 2], "t", 2),
			Err(PayloadError::Width { got: 3, max: 2 })
		));
		assert!(matches!(err(response(&v[..5], [1, 2, 3])), PayloadError::Length { .. }));
		assert_eq!(
			err(response(&[f32::NAN, 0.0, 0.0, 0.0, 0.0, 0.0], [1, 2, 3])),
			PayloadError::NotFinite
		);
		let mut bad = response(&v, [1, 2, 3]);
		bad.data = "!".repeat(bad.data.len());
		assert_eq!(err(bad), PayloadError::Base64);
	}
}
