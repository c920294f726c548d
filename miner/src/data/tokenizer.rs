//! The network's tokenizer: part of the peer protocol, the same for every miner.
//!
//! Byte-level: the token ids of a text are the bytes of its UTF-8 encoding, so any text
//! encodes losslessly whatever corpus a miner trained on, and two miners always agree on what
//! an id means. Its identity is [`hash`], which every `axon_info` and `axon_forward` reply
//! carries; a later tokenizer gets a new specification string and so a new hash.

use sha2::{Digest, Sha256};

/// Number of token ids: one per byte value.
pub const VOCAB_SIZE: usize = 256;

/// The specification the hash is taken over. Changing the tokenizer means changing this text.
pub const SPEC: &str =
	"tensor-chain tokenizer v1: byte-level, token id = value of each byte of the \
	UTF-8 encoding, 256 ids, no special tokens";

/// The tokenizer's identity: the first 8 bytes of SHA-256 of [`SPEC`], in hex.
pub fn hash() -> String {
	Sha256::digest(SPEC.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The token ids of `text`.
pub fn encode(text: &str) -> Vec<u32> {
	text.bytes().map(u32::from).collect()
}

/// The text of `ids`. Ids above 255 are skipped, and bytes that are not valid UTF-8 (a
/// sampled sequence can end inside a character) show as U+FFFD.
pub fn decode(ids: &[u32]) -> String {
	let bytes: Vec<u8> = ids.iter().filter_map(|&id| u8::try_from(id).ok()).collect();
	String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn any_text_round_trips() {
		for text in ["", "plain ascii", "naïve café, 東京, emoji 🦀", "tab\tnewline\n\0nul"] {
			let ids = encode(text);
			assert!(ids.iter().all(|&id| (id as usize) < VOCAB_SIZE));
			assert_eq!(decode(&ids), text);
		}
	}

	#[test]
	fn the_hash_is_fixed() {
		// A miner with another hash speaks another protocol: this value must only change
		// together with SPEC (and docs/miner.md).
		assert_eq!(hash(), "5d4cae49b678fc8b");
	}
}
