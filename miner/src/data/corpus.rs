//! Corpus loading, the train / held-out split and batching.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::tokenizer;

/// Reads a corpus: one text file, or every `.txt` file of a directory (sorted by name so the
/// text is identical on every machine).
pub fn read_corpus(path: &Path) -> anyhow::Result<String> {
	let meta = std::fs::metadata(path)
		.with_context(|| format!("corpus {} does not exist or cannot be read", path.display()))?;
	let files: Vec<PathBuf> = if meta.is_dir() {
		let mut files: Vec<PathBuf> = std::fs::read_dir(path)
			.with_context(|| format!("cannot list corpus directory {}", path.display()))?
			.filter_map(|e| e.ok().map(|e| e.path()))
			.filter(|p| p.extension().is_some_and(|e| e == "txt"))
			.collect();
		files.sort();
		files
	} else {
		vec![path.to_path_buf()]
	};
	if files.is_empty() {
		anyhow::bail!("corpus directory {} holds no .txt files", path.display());
	}
	let mut text = String::new();
	for f in files {
		let part = std::fs::read_to_string(&f)
			.with_context(|| format!("cannot read {} as UTF-8 text", f.display()))?;
		text.push_str(&part);
		text.push('\n');
	}
	Ok(text)
}

/// One batch of sequences: `tokens` holds `size` sequences of `len` token ids, row-major, and
/// `targets` the token after each position (the same sequences shifted by one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
	/// Input token ids, `size × len`.
	pub tokens: Vec<u32>,
	/// Next-token ids, `size × len`.
	pub targets: Vec<u32>,
	/// Tokens per sequence.
	pub len: usize,
}

impl Batch {
	/// Number of sequences.
	pub fn size(&self) -> usize {
		self.tokens.len().checked_div(self.len).unwrap_or(0)
	}
}

/// A tokenized corpus split into a training stream and a held-out tail.
#[derive(Clone, Debug)]
pub struct Corpus {
	train: Vec<u32>,
	heldout: Vec<u32>,
	len: usize,
}

impl Corpus {
	/// Tokenizes `text` with the network's tokenizer and holds out the last
	/// `heldout_fraction` of the tokens; batches hold sequences of `len` tokens.
	///
	/// The held-out part is the tail rather than a random sample so that no held-out sequence
	/// overlaps training text.
	pub fn new(text: &str, len: usize, heldout_fraction: f64) -> anyhow::Result<Self> {
		let ids = tokenizer::encode(text);
		let held = ((ids.len() as f64) * heldout_fraction.clamp(0.0, 0.5)).round() as usize;
		let split = ids.len().saturating_sub(held);
		let (train, heldout) = ids.split_at(split);
		let min = len.saturating_add(2);
		if len == 0 || train.len() < min || heldout.len() < min {
			anyhow::bail!(
				"corpus too small: {} bytes give {} training and {} held-out tokens; need at \
				 least {min} in each for sequences of {len} tokens",
				ids.len(),
				train.len(),
				heldout.len()
			);
		}
		Ok(Self { train: train.to_vec(), heldout: heldout.to_vec(), len })
	}

	/// Number of training tokens.
	pub fn train_tokens(&self) -> usize {
		self.train.len()
	}

	/// Number of held-out tokens.
	pub fn heldout_tokens(&self) -> usize {
		self.heldout.len()
	}

	/// A batch of `size` random training sequences.
	pub fn sample_train(&self, rng: &mut StdRng, size: usize) -> Batch {
		sample(&self.train, self.len, rng, size)
	}

	/// A batch of held-out sequences drawn with a fixed seed, so successive evaluations (and the
	/// with/without-peer comparisons of scoring) see the same sequences.
	pub fn heldout_batch(&self, seed: u64, size: usize) -> Batch {
		sample(&self.heldout, self.len, &mut StdRng::seed_from_u64(seed), size)
	}
}

fn sample(stream: &[u32], len: usize, rng: &mut StdRng, size: usize) -> Batch {
	let mut tokens = Vec::with_capacity(size.saturating_mul(len));
	let mut targets = Vec::with_capacity(size.saturating_mul(len));
	// `Corpus::new` guarantees stream.len() > len + 1, so the range is never empty.
	for _ in 0..size {
		let start = rng.gen_range(0..stream.len() - len);
		tokens.extend_from_slice(&stream[start..start + len]);
		targets.extend_from_slice(&stream[start + 1..start + len + 1]);
	}
	Batch { tokens, targets, len }
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn targets_are_the_tokens_shifted_by_one() {
		let text = "abcdefghijklmnopqrstuvwxyz";
		let corpus = Corpus::new(text, 4, 0.25).unwrap();
		assert_eq!(corpus.train_tokens() + corpus.heldout_tokens(), 26);
		let b = corpus.sample_train(&mut StdRng::seed_from_u64(1), 8);
		assert_eq!((b.size(), b.tokens.len(), b.targets.len()), (8, 32, 32));
		// The alphabet is consecutive, so each target is its input's next letter.
		for (t, y) in b.tokens.iter().zip(&b.targets) {
			assert_eq!(t + 1, *y);
		}
		assert_eq!(corpus.heldout_batch(7, 4), corpus.heldout_batch(7, 4));
	}

	#[test]
	fn tiny_corpus_is_rejected_with_a_reason() {
		let err = Corpus::new("a b", 3, 0.1).unwrap_err().to_string();
		assert!(err.contains("corpus too small"), "{err}");
	}
}
