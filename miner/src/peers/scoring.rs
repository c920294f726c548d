//! Peer scores: how much held-out loss each peer saves, smoothed over time, and the chain
//! weights derived from them.
//!
//! A peer's observation for one evaluation is the leave-one-out loss difference
//! `loss(all peers but k) − loss(all peers)`: positive when the peer's features help. An absent
//! peer observes 0. The miner scores itself the same way against a model that knows nothing:
//! `ln(vocab) − loss(no peers)`, the loss its own model saves over a uniform guess.
//! Observations are smoothed with an exponential moving average.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// The score of one peer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeerScore {
	/// The peer's `host:port`.
	pub addr: String,
	/// Smoothed loss saved (nats per byte).
	pub score: f64,
	/// The latest observation, if the peer was present then.
	pub last_saved: Option<f64>,
	/// Number of evaluations.
	pub rounds: u64,
	/// Number of evaluations in which the peer answered usefully.
	pub present_rounds: u64,
	/// Why the peer was absent last time, if it was.
	pub last_absent: Option<String>,
}

/// The score table of one miner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scores {
	/// EMA factor: weight of the newest observation.
	pub alpha: f64,
	/// Training step of the last update.
	pub step: u64,
	/// The miner's own smoothed score.
	pub self_score: f64,
	/// One entry per peer, in slot order.
	pub peers: Vec<PeerScore>,
}

fn ema(old: f64, new: f64, alpha: f64, first: bool) -> f64 {
	if first {
		new
	} else {
		(1.0 - alpha) * old + alpha * new
	}
}

impl Scores {
	/// An empty table for `addrs`.
	pub fn new(addrs: &[String], alpha: f64) -> Self {
		let peers = addrs
			.iter()
			.map(|a| PeerScore {
				addr: a.clone(),
				score: 0.0,
				last_saved: None,
				rounds: 0,
				present_rounds: 0,
				last_absent: None,
			})
			.collect();
		Self { alpha: alpha.clamp(0.0, 1.0), step: 0, self_score: 0.0, peers }
	}

	/// The table for the peers `addrs`: entries of peers already here are kept (with their
	/// history), new peers start empty; the self score and step carry over.
	pub fn retarget(&self, addrs: &[String]) -> Self {
		let mut fresh = Self::new(addrs, self.alpha);
		for p in &mut fresh.peers {
			if let Some(old) = self.peers.iter().find(|o| o.addr == p.addr) {
				*p = old.clone();
			}
		}
		fresh.self_score = self.self_score;
		fresh.step = self.step;
		fresh
	}

	/// Records one evaluation: `self_saved` for the miner, and per peer either the loss it saved
	/// or the reason it was absent.
	pub fn update(&mut self, step: u64, self_saved: f64, peers: &[Result<f64, String>]) {
		let first = self.step == 0 && self.peers.iter().all(|p| p.rounds == 0);
		self.self_score = ema(self.self_score, self_saved, self.alpha, first);
		self.step = step;
		for (p, obs) in self.peers.iter_mut().zip(peers) {
			let first = p.rounds == 0;
			p.rounds += 1;
			match obs {
				Ok(saved) if saved.is_finite() => {
					p.present_rounds += 1;
					p.last_saved = Some(*saved);
					p.last_absent = None;
					p.score = ema(p.score, *saved, self.alpha, first);
				}
				Ok(_) => {
					p.last_saved = None;
					p.last_absent = Some("non-finite loss".into());
					p.score = ema(p.score, 0.0, self.alpha, first);
				}
				Err(why) => {
					p.last_saved = None;
					p.last_absent = Some(why.clone());
					p.score = ema(p.score, 0.0, self.alpha, first);
				}
			}
		}
	}

	/// Weights for the chain: `(index, weight)` with index 0 the miner itself and `k + 1` its
	/// `k`-th peer. Negative scores count as 0; weights sum to `u16::MAX` (all to self when
	/// nothing scored positive).
	pub fn weights(&self) -> Vec<(u16, u16)> {
		let raw: Vec<f64> = std::iter::once(self.self_score)
			.chain(self.peers.iter().map(|p| p.score))
			.map(|s| if s.is_finite() && s > 0.0 { s } else { 0.0 })
			.collect();
		let total: f64 = raw.iter().sum();
		let max = f64::from(u16::MAX);
		let mut w: Vec<u16> = if total > 0.0 {
			raw.iter().map(|s| (s / total * max).floor() as u16).collect()
		} else {
			raw.iter().enumerate().map(|(i, _)| if i == 0 { u16::MAX } else { 0 }).collect()
		};
		// Flooring loses a few units; give them to the largest so the sum is exact.
		let sum: u32 = w.iter().map(|&x| u32::from(x)).sum();
		let missing = u32::from(u16::MAX).saturating_sub(sum) as u16;
		if let Some((i, _)) = w.iter().enumerate().max_by_key(|(_, &x)| x) {
			if let Some(x) = w.get_mut(i) {
				*x = x.saturating_add(missing);
			}
		}
		w.into_iter().enumerate().map(|(i, x)| (i as u16, x)).collect()
	}

	/// Writes the table as pretty JSON (atomically: write then rename).
	pub fn save(&self, path: &Path) -> anyhow::Result<()> {
		let tmp = path.with_extension("json.tmp");
		std::fs::write(&tmp, serde_json::to_string_pretty(self)?)
			.with_context(|| format!("cannot write {}", tmp.display()))?;
		std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
	}

	/// Reads a table written by [`Scores::save`].
	pub fn load(path: &Path) -> anyhow::Result<Self> {
		let json = std::fs::read_to_string(path).with_context(|| {
			format!("no scores at {} (has a miner with peers trained there?)", path.display())
		})?;
		serde_json::from_str(&json)
			.with_context(|| format!("{} is not a scores file", path.display()))
	}

	/// A human-readable table.
	pub fn render(&self) -> String {
		let weights = self.weights();
		let w = |i: usize| weights.get(i).map(|x| x.1).unwrap_or(0);
		let mut out = format!(
			"step {}\n{:<4} {:<24} {:>10} {:>8} {:>9}  {}\n",
			self.step, "idx", "peer", "score", "weight", "present", "last"
		);
		out.push_str(&format!(
			"{:<4} {:<24} {:>10.5} {:>8} {:>9}  self\n",
			0,
			"(self)",
			self.self_score,
			w(0),
			"-"
		));
		for (i, p) in self.peers.iter().enumerate() {
			let last = match (&p.last_saved, &p.last_absent) {
				(Some(s), _) => format!("saved {s:.5}"),
				(None, Some(why)) => format!("absent: {why}"),
				(None, None) => "-".into(),
			};
			out.push_str(&format!(
				"{:<4} {:<24} {:>10.5} {:>8} {:>9}  {last}\n",
				i + 1,
				p.addr,
				p.score,
				w(i + 1),
				format!("{}/{}", p.present_rounds, p.rounds),
			));
		}
		out
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn weights_are_normalized_with_self_first_and_negatives_zeroed() {
		let mut s = Scores::new(&["a:1".into(), "b:2".into(), "c:3".into()], 0.5);
		s.update(1, 1.0, &[Ok(1.0), Ok(-0.5), Err("down".into())]);
		let w = s.weights();
		assert_eq!(w.iter().map(|x| x.0).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
		assert_eq!(w.iter().map(|x| u32::from(x.1)).sum::<u32>(), u32::from(u16::MAX));
		assert_eq!(w[2].1, 0);
		assert_eq!(w[3].1, 0);
		assert!(w[0].1.abs_diff(w[1].1) <= 1);
	}

	#[test]
	fn ema_smooths_and_absence_decays_to_zero() {
		let mut s = Scores::new(&["a:1".into()], 0.5);
		s.update(1, 0.0, &[Ok(2.0)]);
		assert_eq!(s.peers[0].score, 2.0);
		s.update(2, 0.0, &[Err("timeout".into())]);
		assert_eq!(s.peers[0].score, 1.0);
		assert_eq!(s.peers[0].present_rounds, 1);
		assert_eq!(s.weights(), vec![(0, 0), (1, u16::MAX)]);
	}

	#[test]
	fn retarget_keeps_known_peers_and_adds_new_ones() {
		let mut s = Scores::new(&["a:1".into(), "b:2".into()], 0.5);
		s.update(1, 1.0, &[Ok(0.5), Ok(0.25)]);
		let t = s.retarget(&["b:2".into(), "c:3".into()]);
		assert_eq!(t.self_score, 1.0);
		assert_eq!(t.peers[0], s.peers[1]);
		assert_eq!((t.peers[1].addr.as_str(), t.peers[1].rounds), ("c:3", 0));
	}

	#[test]
	fn nothing_positive_gives_everything_to_self() {
		let s = Scores::new(&["a:1".into()], 0.1);
		assert_eq!(s.weights(), vec![(0, u16::MAX), (1, 0)]);
	}
}
