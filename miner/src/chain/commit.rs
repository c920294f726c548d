//! Commit-reveal of the miner's weights, when the chain requires it (`docs/consensus.md`).
//!
//! A round commits the hash of the weights with a fresh random salt, keeps both in the data
//! directory (`commit.json`, written to a scratch file and renamed, so a crash leaves the old
//! file or the new one), and reveals them once the chain's reveal delay has passed. A restarted
//! miner reads the file and still reveals in time; one that comes back after the window starts
//! over with a new commit, which the chain accepts once the old window has passed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file in the data directory.
pub const COMMIT_FILE: &str = "commit.json";

/// A commit made and not revealed yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCommit {
	/// The weights committed, `(uid, raw)`.
	pub weights: Vec<(u16, u16)>,
	/// The salt, `0x` hex.
	pub salt: String,
	/// Block in which the commit was included.
	pub committed_at: u64,
	/// The evaluation step the weights come from.
	pub step: u64,
}

/// What to do with a pending commit in the block `next` (the block a call sent now lands in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevealAction {
	/// Its window has not opened: wait.
	Wait,
	/// Inside its window: reveal.
	Reveal,
	/// Its window has passed: drop it and commit anew (the chain replaces an expired commit).
	Expired,
}

impl PendingCommit {
	/// The commit of `weights` with `salt`, included in block `committed_at`.
	pub fn new(weights: Vec<(u16, u16)>, salt: &[u8; 32], committed_at: u64, step: u64) -> Self {
		Self { weights, salt: sp_core::bytes::to_hex(salt, false), committed_at, step }
	}

	/// The salt's bytes; `None` if the file was edited into something else.
	pub fn salt_bytes(&self) -> Option<[u8; 32]> {
		sp_core::bytes::from_hex(&self.salt).ok()?.try_into().ok()
	}

	/// What to do in block `next` under the chain's `delay` and `window` (the pallet accepts a
	/// reveal in `committed_at + delay ..= committed_at + delay + window`).
	pub fn action(&self, next: u64, delay: u64, window: u64) -> RevealAction {
		let first = self.committed_at.saturating_add(delay);
		let last = first.saturating_add(window);
		if next < first {
			RevealAction::Wait
		} else if next <= last {
			RevealAction::Reveal
		} else {
			RevealAction::Expired
		}
	}
}

/// A fresh random salt.
pub fn new_salt() -> [u8; 32] {
	rand::random()
}

fn path(dir: &Path) -> PathBuf {
	dir.join(COMMIT_FILE)
}

/// The pending commit kept in `dir`, if any. A file that does not parse is logged and ignored:
/// the miner commits anew.
pub fn load(dir: &Path) -> Option<PendingCommit> {
	let text = std::fs::read_to_string(path(dir)).ok()?;
	match serde_json::from_str(&text) {
		Ok(pending) => Some(pending),
		Err(e) => {
			log::warn!("ignoring {}: {e}", path(dir).display());
			None
		}
	}
}

/// Keeps `pending` in `dir` (scratch file, flush, rename).
pub fn save(dir: &Path, pending: &PendingCommit) -> std::io::Result<()> {
	use std::io::Write;
	std::fs::create_dir_all(dir)?;
	let scratch = dir.join(format!("{COMMIT_FILE}.tmp"));
	let mut file = std::fs::File::create(&scratch)?;
	file.write_all(
		serde_json::to_string_pretty(pending).map_err(std::io::Error::other)?.as_bytes(),
	)?;
	file.sync_all()?;
	std::fs::rename(&scratch, path(dir))
}

/// Forgets the pending commit in `dir`.
pub fn clear(dir: &Path) -> std::io::Result<()> {
	match std::fs::remove_file(path(dir)) {
		Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
		_ => Ok(()),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn pending(at: u64) -> PendingCommit {
		PendingCommit::new(vec![(1, 3)], &[7; 32], at, 5)
	}

	#[test]
	fn reveals_only_inside_the_window() {
		let p = pending(10);
		assert_eq!(p.action(12, 3, 4), RevealAction::Wait);
		assert_eq!(p.action(13, 3, 4), RevealAction::Reveal);
		assert_eq!(p.action(17, 3, 4), RevealAction::Reveal);
		assert_eq!(p.action(18, 3, 4), RevealAction::Expired);
	}

	#[test]
	fn the_file_survives_a_restart_and_a_bad_one_is_ignored() {
		let dir = std::env::temp_dir().join(format!("commit-test-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		assert_eq!(load(&dir), None);
		save(&dir, &pending(4)).unwrap();
		let back = load(&dir).unwrap();
		assert_eq!(back, pending(4));
		assert_eq!(back.salt_bytes(), Some([7; 32]));
		std::fs::write(dir.join(COMMIT_FILE), "{not json").unwrap();
		assert_eq!(load(&dir), None);
		clear(&dir).unwrap();
		clear(&dir).unwrap();
		let _ = std::fs::remove_dir_all(&dir);
	}
}
