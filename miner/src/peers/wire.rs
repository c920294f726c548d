//! What travels between axon and dendrite.
//!
//! Embeddings are sent as base64 of little-endian `f32` with an explicit shape: about a third
//! the size of a JSON number list and exact, while staying inside plain JSON-RPC.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// JSON-RPC method returning the embeddings of a list of token ids.
pub const METHOD_FORWARD: &str = "axon_forward";
/// JSON-RPC method describing the axon.
pub const METHOD_INFO: &str = "axon_info";

/// Reply of `axon_forward`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForwardResponse {
	/// `[tokens, dim]`.
	pub shape: [usize; 2],
	/// Base64 of the row-major little-endian `f32` values.
	pub data: String,
	/// Vocabulary hash the token ids were interpreted with.
	pub vocab_hash: String,
}

/// Reply of `axon_info`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AxonInfo {
	/// Training step of the served weights; changes as the model learns.
	pub model_version: u64,
	/// Vocabulary hash; peers only use each other when these match.
	pub vocab_hash: String,
	/// Vocabulary size: valid token ids are `0..vocab_size`.
	pub vocab_size: usize,
	/// Embedding dimension.
	pub dim: usize,
	/// Most token ids accepted in one `axon_forward` call.
	pub max_tokens: usize,
}

/// Encodes `f32` values as base64 little-endian bytes.
pub fn encode_f32(values: &[f32]) -> String {
	let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
	STANDARD.encode(bytes)
}

/// Why a peer's payload was rejected.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PayloadError {
	/// The base64 text did not decode.
	#[error("payload is not valid base64")]
	Base64,
	/// The byte count disagrees with the declared shape.
	#[error("payload holds {got} bytes but shape {shape:?} needs {want}")]
	Length {
		/// Declared shape.
		shape: [usize; 2],
		/// Bytes received.
		got: usize,
		/// Bytes the shape implies.
		want: usize,
	},
	/// The shape is not `[tokens requested, our dimension]`.
	#[error("shape {got:?} does not match the expected {want:?}")]
	Shape {
		/// Shape received.
		got: [usize; 2],
		/// Shape expected.
		want: [usize; 2],
	},
	/// The vocabulary hash differs: ids mean different words.
	#[error("vocabulary hash {got} differs from ours ({want})")]
	Vocab {
		/// Peer's hash.
		got: String,
		/// Our hash.
		want: String,
	},
	/// NaN or infinite values.
	#[error("payload contains NaN or infinite values")]
	NotFinite,
}

impl ForwardResponse {
	/// Decodes and validates the payload against the shape and vocabulary we expect.
	pub fn decode(&self, want: [usize; 2], vocab_hash: &str) -> Result<Vec<f32>, PayloadError> {
		if self.vocab_hash != vocab_hash {
			return Err(PayloadError::Vocab {
				got: self.vocab_hash.clone(),
				want: vocab_hash.to_string(),
			});
		}
		if self.shape != want {
			return Err(PayloadError::Shape { got: self.shape, want });
		}
		let bytes = STANDARD.decode(&self.data).map_err(|_| PayloadError::Base64)?;
		let need = want[0].saturating_mul(want[1]).saturating_mul(4);
		if bytes.len() != need {
			return Err(PayloadError::Length { shape: self.shape, got: bytes.len(), want: need });
		}
		let values: Vec<f32> =
			bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
		if values.iter().any(|v| !v.is_finite()) {
			return Err(PayloadError::NotFinite);
		}
		Ok(values)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn response(values: &[f32], shape: [usize; 2]) -> ForwardResponse {
		ForwardResponse { shape, data: encode_f32(values), vocab_hash: "h".into() }
	}

	#[test]
	fn round_trip_and_rejections() {
		let v = [1.0, -2.5, 3.0, 0.0];
		assert_eq!(response(&v, [2, 2]).decode([2, 2], "h").unwrap(), v.to_vec());
		assert!(matches!(
			response(&v, [2, 2]).decode([2, 2], "x"),
			Err(PayloadError::Vocab { .. })
		));
		assert!(matches!(
			response(&v, [1, 4]).decode([2, 2], "h"),
			Err(PayloadError::Shape { .. })
		));
		assert!(matches!(
			response(&v[..3], [2, 2]).decode([2, 2], "h"),
			Err(PayloadError::Length { .. })
		));
		assert_eq!(
			response(&[f32::NAN, 0.0, 0.0, 0.0], [2, 2]).decode([2, 2], "h"),
			Err(PayloadError::NotFinite)
		);
		let mut bad = response(&v, [2, 2]);
		bad.data = "!!!".into();
		assert_eq!(bad.decode([2, 2], "h"), Err(PayloadError::Base64));
	}
}
