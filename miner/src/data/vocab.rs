//! Word-level tokenizer and vocabulary.
//!
//! Peers exchange embeddings indexed by token id, so two miners can only use each other's
//! features when their vocabularies are identical. The vocabulary is therefore a pure function
//! of the corpus text (counts, ties broken alphabetically) and is identified by a hash that the
//! axon advertises.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use sha2::{Digest, Sha256};

/// The token every out-of-vocabulary word maps to. Always id 0.
pub const UNK: &str = "<unk>";

/// Splits text into lowercase words: runs of alphanumeric characters or apostrophes.
///
/// Punctuation is dropped rather than kept as tokens: the corpora are small and the model
/// predicts words, so punctuation would mostly add noise.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
	text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
		.map(|w| w.trim_matches('\''))
		.filter(|w| !w.is_empty())
		.map(str::to_lowercase)
}

/// A deterministic word vocabulary with an `<unk>` token at id 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vocab {
	words: Vec<String>,
	index: HashMap<String, u32>,
}

impl Vocab {
	/// Builds the vocabulary of at most `max_size` entries (including `<unk>`) from `text`.
	///
	/// Words are ranked by count, then alphabetically, so the same text always yields the same
	/// ids on every machine.
	pub fn build(text: &str, max_size: usize) -> Self {
		let mut counts: HashMap<String, u64> = HashMap::new();
		for w in words(text) {
			*counts.entry(w).or_insert(0) += 1;
		}
		let mut ranked: Vec<(String, u64)> = counts.into_iter().collect();
		ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
		let mut list = vec![UNK.to_string()];
		list.extend(
			ranked
				.into_iter()
				.map(|(w, _)| w)
				.filter(|w| w != UNK)
				.take(max_size.saturating_sub(1)),
		);
		Self::from_words(list)
	}

	/// Builds the lookup table from an ordered word list (id = position).
	fn from_words(words: Vec<String>) -> Self {
		let index = words.iter().enumerate().map(|(i, w)| (w.clone(), i as u32)).collect();
		Self { words, index }
	}

	/// Number of tokens, `<unk>` included.
	pub fn len(&self) -> usize {
		self.words.len()
	}

	/// True when the vocabulary holds only `<unk>` (or nothing).
	pub fn is_empty(&self) -> bool {
		self.words.len() <= 1
	}

	/// The id of `word` (already lowercased), or 0 for `<unk>`.
	pub fn id(&self, word: &str) -> u32 {
		self.index.get(word).copied().unwrap_or(0)
	}

	/// The word for `id`, if any.
	pub fn word(&self, id: u32) -> Option<&str> {
		self.words.get(id as usize).map(String::as_str)
	}

	/// Tokenizes `text` into ids.
	pub fn encode(&self, text: &str) -> Vec<u32> {
		words(text).map(|w| self.id(&w)).collect()
	}

	/// A short hex digest of the ordered word list; peers with different hashes disagree on ids.
	pub fn hash(&self) -> String {
		let mut h = Sha256::new();
		for w in &self.words {
			h.update(w.as_bytes());
			h.update(b"\n");
		}
		h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
	}

	/// Writes the vocabulary as JSON.
	pub fn save(&self, path: &Path) -> anyhow::Result<()> {
		let json = serde_json::to_string(&self.words)?;
		std::fs::write(path, json)
			.with_context(|| format!("cannot write vocabulary to {}", path.display()))
	}

	/// Reads a vocabulary written by [`Vocab::save`].
	pub fn load(path: &Path) -> anyhow::Result<Self> {
		let json = std::fs::read_to_string(path)
			.with_context(|| format!("cannot read vocabulary {}", path.display()))?;
		let words: Vec<String> = serde_json::from_str(&json).with_context(|| {
			format!("{} is not a vocabulary file (expected a JSON list of words)", path.display())
		})?;
		if words.first().map(String::as_str) != Some(UNK) {
			anyhow::bail!("{} is not a vocabulary file: first entry must be {UNK}", path.display());
		}
		Ok(Self::from_words(words))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn vocabulary_is_deterministic_and_ranked_by_count() {
		let text = "The cat saw the dog. the DOG ran; a cat's toy";
		let a = Vocab::build(text, 100);
		let b = Vocab::build(text, 100);
		assert_eq!(a.hash(), b.hash());
		assert_eq!(a.word(0), Some(UNK));
		assert_eq!(a.word(1), Some("the"));
		assert_eq!(a.word(2), Some("dog"));
		assert_eq!(a.id("cat's"), a.id("cat's"));
		assert_ne!(a.id("cat's"), 0);
	}

	#[test]
	fn max_size_maps_rare_words_to_unk() {
		let v = Vocab::build("a a a b b c", 3);
		assert_eq!(v.len(), 3);
		assert_eq!(v.encode("a b c zebra"), vec![1, 2, 0, 0]);
	}

	#[test]
	fn save_and_load_round_trip() {
		let dir = tempfile::tempdir().unwrap();
		let v = Vocab::build("one two two three three three", 10);
		let p = dir.path().join("vocab.json");
		v.save(&p).unwrap();
		let w = Vocab::load(&p).unwrap();
		assert_eq!(v, w);
		assert_eq!(w.id("three"), 1);
	}
}
