//! Corpus loading, the train / held-out split and batching.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::vocab::Vocab;

/// Reads a corpus: one text file, or every `.txt` file of a directory (sorted by name so the
/// text, hence the vocabulary, is identical on every machine).
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

/// One batch of next-word examples: `context[i]` holds the ids of the `context` words before
/// `target[i]`, flattened row-major (`batch × context`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
	/// Context token ids, `len = size × context`.
	pub context: Vec<u32>,
	/// Next-word ids, `len = size`.
	pub target: Vec<u32>,
	/// Context window length.
	pub window: usize,
}

impl Batch {
	/// Number of examples.
	pub fn size(&self) -> usize {
		self.target.len()
	}
}

/// A tokenized corpus split into a training stream and a held-out tail.
#[derive(Clone, Debug)]
pub struct Corpus {
	train: Vec<u32>,
	heldout: Vec<u32>,
	window: usize,
}

impl Corpus {
	/// Tokenizes `text` and holds out the last `heldout_fraction` of the tokens.
	///
	/// The held-out part is the tail rather than a random sample so that no held-out example
	/// shares context windows with training text.
	pub fn new(
		text: &str,
		vocab: &Vocab,
		window: usize,
		heldout_fraction: f64,
	) -> anyhow::Result<Self> {
		let ids = vocab.encode(text);
		let held = ((ids.len() as f64) * heldout_fraction.clamp(0.0, 0.5)).round() as usize;
		let split = ids.len().saturating_sub(held);
		let (train, heldout) = ids.split_at(split);
		let min = window.saturating_add(2);
		if train.len() < min || heldout.len() < min {
			anyhow::bail!(
				"corpus too small: {} words give {} training and {} held-out tokens; need at \
				 least {min} in each for a context window of {window}",
				ids.len(),
				train.len(),
				heldout.len()
			);
		}
		Ok(Self { train: train.to_vec(), heldout: heldout.to_vec(), window })
	}

	/// Number of training tokens.
	pub fn train_tokens(&self) -> usize {
		self.train.len()
	}

	/// Number of held-out tokens.
	pub fn heldout_tokens(&self) -> usize {
		self.heldout.len()
	}

	/// A batch of `size` random training examples.
	pub fn sample_train(&self, rng: &mut StdRng, size: usize) -> Batch {
		sample(&self.train, self.window, rng, size)
	}

	/// A batch of held-out examples drawn with a fixed seed, so successive evaluations (and the
	/// with/without-peer comparisons of scoring) see the same examples.
	pub fn heldout_batch(&self, seed: u64, size: usize) -> Batch {
		sample(&self.heldout, self.window, &mut StdRng::seed_from_u64(seed), size)
	}
}

fn sample(stream: &[u32], window: usize, rng: &mut StdRng, size: usize) -> Batch {
	let mut context = Vec::with_capacity(size.saturating_mul(window));
	let mut target = Vec::with_capacity(size);
	// `Corpus::new` guarantees stream.len() > window, so the range is never empty.
	for _ in 0..size {
		let t = rng.gen_range(window..stream.len());
		context.extend_from_slice(&stream[t - window..t]);
		target.push(stream[t]);
	}
	Batch { context, target, window }
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn batches_hold_the_words_before_the_target() {
		let text = "a b c d e f g h i j k l m n o p q r s t";
		let vocab = Vocab::build(text, 100);
		let corpus = Corpus::new(text, &vocab, 3, 0.25).unwrap();
		assert_eq!(corpus.train_tokens() + corpus.heldout_tokens(), 20);
		let b = corpus.sample_train(&mut StdRng::seed_from_u64(1), 8);
		assert_eq!(b.context.len(), 24);
		for (i, t) in b.target.iter().enumerate() {
			let w = |id: u32| vocab.word(id).unwrap().as_bytes()[0];
			// The alphabet is consecutive, so each context word precedes the next by one letter.
			assert_eq!(w(b.context[i * 3 + 2]) + 1, w(*t));
		}
		assert_eq!(corpus.heldout_batch(7, 4), corpus.heldout_batch(7, 4));
	}

	#[test]
	fn tiny_corpus_is_rejected_with_a_reason() {
		let vocab = Vocab::build("a b", 10);
		let err = Corpus::new("a b", &vocab, 3, 0.1).unwrap_err().to_string();
		assert!(err.contains("corpus too small"), "{err}");
	}
}
