//! Corpus loading, the train / held-out split and batching.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
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

/// Tokens per block of a private split ([`Corpus::private`]).
pub const HELDOUT_BLOCK: usize = 512;

/// A tokenized corpus split into a training stream and a held-out stream.
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
		Self::checked(ids.len(), train.to_vec(), heldout.to_vec(), len)
	}

	/// Tokenizes `text` and holds out a secret choice of blocks of [`HELDOUT_BLOCK`] tokens,
	/// `heldout_fraction` of them, drawn with `secret`: what a miner evaluates its peers on. A
	/// peer that knows the text cannot tell which parts score, and no held-out block is ever
	/// sent as a training probe. Each stream is its blocks in text order, so a sequence may
	/// span the seam of two blocks that were not adjacent. A text of fewer than two blocks is
	/// split as [`Corpus::new`] does.
	pub fn private(
		text: &str,
		len: usize,
		heldout_fraction: f64,
		secret: u64,
	) -> anyhow::Result<Self> {
		let ids = tokenizer::encode(text);
		let blocks: Vec<&[u32]> = ids.chunks(HELDOUT_BLOCK).collect();
		if blocks.len() < 2 {
			return Self::new(text, len, heldout_fraction);
		}
		let fraction = heldout_fraction.clamp(0.0, 0.5);
		let held = ((blocks.len() as f64) * fraction).round() as usize;
		let held = held.clamp(1, blocks.len() - 1);
		let mut order: Vec<usize> = (0..blocks.len()).collect();
		order.shuffle(&mut StdRng::seed_from_u64(secret));
		let mut is_held = vec![false; blocks.len()];
		for &b in order.iter().take(held) {
			is_held[b] = true;
		}
		let (mut train, mut heldout) = (Vec::new(), Vec::new());
		for (block, held) in blocks.iter().zip(&is_held) {
			if *held { &mut heldout } else { &mut train }.extend_from_slice(block);
		}
		Self::checked(ids.len(), train, heldout, len)
	}

	fn checked(
		total: usize,
		train: Vec<u32>,
		heldout: Vec<u32>,
		len: usize,
	) -> anyhow::Result<Self> {
		let min = len.saturating_add(2);
		if len == 0 || train.len() < min || heldout.len() < min {
			anyhow::bail!(
				"corpus too small: {total} bytes give {} training and {} held-out tokens; need \
				 at least {min} in each for sequences of {len} tokens",
				train.len(),
				heldout.len()
			);
		}
		Ok(Self { train, heldout, len })
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

	/// `count` probes: disjoint windows of `window` training tokens, each with the token after
	/// it as target (see `Batch`), for the peers' part of a step.
	pub fn sample_probes(&self, rng: &mut StdRng, count: usize, window: usize) -> Batch {
		sample(&self.train, window.max(1), rng, count)
	}

	/// How many disjoint probes of `window` tokens the held-out text holds.
	pub fn heldout_probe_capacity(&self, window: usize) -> usize {
		fitting(self.heldout.len(), window.max(1))
	}

	/// Like [`Corpus::sample_probes`] from the held-out text, drawn with `seed`.
	pub fn heldout_probes(&self, seed: u64, count: usize, window: usize) -> Batch {
		sample(&self.heldout, window.max(1), &mut StdRng::seed_from_u64(seed), count)
	}

	/// A batch of held-out sequences drawn with a fixed seed, so successive evaluations (and the
	/// with/without-peer comparisons of scoring) see the same sequences. Fewer than `size` when
	/// the held-out text holds fewer disjoint sequences.
	pub fn heldout_batch(&self, seed: u64, size: usize) -> Batch {
		sample(&self.heldout, self.len, &mut StdRng::seed_from_u64(seed), size)
	}
}

/// How many sequences of `len` tokens [`sample`] can draw from a stream of `stream_len`: each
/// takes `2 len + 1` tokens (itself, its target, the `len` after), the last only `len + 1`.
fn fitting(stream_len: usize, len: usize) -> usize {
	stream_len.saturating_sub(len + 1) / (2 * len + 1) + 1
}

/// `size` sequences of `len` tokens (and their targets) from `stream`, each followed, after its
/// target, by `len` tokens that no other one covers: what peers are sent of one never holds a
/// target of another, nor the bytes right after it (from which a peer could guess a target with
/// context on both sides). Random starts, redrawn on overlap; a stream too short for `size` of
/// them gives as many as fit, tiled and sent in a random order.
fn sample(stream: &[u32], len: usize, rng: &mut StdRng, size: usize) -> Batch {
	let span = 2 * len + 1;
	// `Corpus::new` guarantees stream.len() >= len + 2, so at least one fits.
	let size = size.min(fitting(stream.len(), len)).max(1);
	let mut starts: Vec<usize> = Vec::with_capacity(size);
	let mut attempts = 0usize;
	while starts.len() < size && attempts < size.saturating_mul(64) {
		attempts += 1;
		let start = rng.gen_range(0..stream.len() - len);
		if starts.iter().all(|&s| start + span <= s || s + span <= start) {
			starts.push(start);
		}
	}
	if starts.len() < size {
		// Crowded: tile the stream from a random offset instead, which always fits.
		let room = stream.len() - len - 1 - (size - 1) * span;
		let offset = rng.gen_range(0..=room);
		starts = (0..size).map(|i| offset + i * span).collect();
		starts.shuffle(rng);
	}
	let mut tokens = Vec::with_capacity(size.saturating_mul(len));
	let mut targets = Vec::with_capacity(size.saturating_mul(len));
	for start in starts {
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
		// 19 training tokens hold two sequences of 4 with their targets and 4 free bytes after.
		let b = corpus.sample_train(&mut StdRng::seed_from_u64(1), 8);
		assert_eq!((b.size(), b.tokens.len(), b.targets.len()), (2, 8, 8));
		// The alphabet is consecutive, so each target is its input's next letter.
		for (t, y) in b.tokens.iter().zip(&b.targets) {
			assert_eq!(t + 1, *y);
		}
		assert_eq!(corpus.heldout_batch(7, 4), corpus.heldout_batch(7, 4));
	}

	#[test]
	fn sequences_of_a_batch_are_disjoint_targets_included() {
		// Distinct ids, so a sequence's first id is its start.
		let stream: Vec<u32> = (0..2000).collect();
		let disjoint = |b: &Batch| {
			let starts: Vec<usize> = b.tokens.chunks(b.len).map(|s| s[0] as usize).collect();
			starts.iter().enumerate().all(|(i, &a)| {
				starts[i + 1..].iter().all(|&c| a + 2 * b.len + 1 <= c || c + 2 * b.len + 1 <= a)
			})
		};
		for seed in 0..20 {
			let b = sample(&stream, 8, &mut StdRng::seed_from_u64(seed), 40);
			assert_eq!(b.size(), 40);
			assert!(disjoint(&b), "seed {seed}");
		}
		// Crowded: more sequences than fit gives as many as fit, still apart.
		let b = sample(&stream[..100], 8, &mut StdRng::seed_from_u64(1), 50);
		assert_eq!(b.size(), (100 - 9) / 17 + 1);
		assert!(disjoint(&b));
	}

	#[test]
	fn a_private_split_holds_out_secret_blocks_and_never_trains_on_them() {
		// Random letters: every 8-byte window is unique, so windows tell where they came from.
		let mut state = 7u64;
		let text: String = (0..24 * HELDOUT_BLOCK)
			.map(|_| {
				state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
				char::from(b'a' + ((state >> 33) % 26) as u8)
			})
			.collect();
		let a = Corpus::private(&text, 8, 0.1, 1).unwrap();
		let b = Corpus::private(&text, 8, 0.1, 2).unwrap();
		let blocks = text.len().div_ceil(HELDOUT_BLOCK);
		let held = (blocks as f64 * 0.1).round() as usize * HELDOUT_BLOCK;
		assert_eq!((a.heldout_tokens(), a.train_tokens()), (held, text.len() - held));
		// Another secret, other blocks; neither is the tail.
		assert_ne!(a.heldout, b.heldout);
		let tail = tokenizer::encode(&text[text.len() - held..]);
		assert_ne!(a.heldout, tail);
		// No training probe ever covers held-out text.
		let mut rng = StdRng::seed_from_u64(3);
		for _ in 0..20 {
			let probes = a.sample_probes(&mut rng, 64, 8);
			for w in probes.tokens.chunks(8) {
				assert!(!a.heldout.windows(8).any(|h| h == w), "a training probe is held out");
			}
		}
	}

	#[test]
	fn tiny_corpus_is_rejected_with_a_reason() {
		let err = Corpus::new("a b", 3, 0.1).unwrap_err().to_string();
		assert!(err.contains("corpus too small"), "{err}");
	}
}
