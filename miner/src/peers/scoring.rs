//! The peer table: every peer the miner knows (its candidates), which of them hold the model's
//! peer slots, how much held-out loss each one saves, and the chain weights derived from that.
//!
//! **Identity.** A peer is its [`Candidate::id`]: on chain its owner account and registration
//! block (`5F…@123`), so a new occupant of a uid is a new peer; given by address (`train
//! --peers`), the address. A peer keeps its slot, and so the projection and gate column the
//! model trained for it, wherever it appears in the candidate list; a slot that changes hands
//! is reset ([`crate::model::Model::reset_slot`]).
//!
//! **Rotation.** With more candidates than slots, free slots go first to peers never scored,
//! then to the one scored longest ago. After each scoring round, the weakest occupant that has
//! had [`SlotPolicy::trial_rounds`] rounds in its slot makes room for the next waiting peer
//! ([`SlotPolicy::rotate_per_round`] slots a round), and the scores of waiting peers decay
//! like an absent peer's, so every serving peer is evaluated in turn and an old verdict fades.
//!
//! **Scores.** A slotted peer's observation for one evaluation is the leave-one-out loss
//! difference `loss(all peers but k) − loss(all peers)`: positive when the peer's features
//! help; an absent peer observes 0. Observations are smoothed with an exponential moving
//! average.
//!
//! **Weights.** Only peers that were in a slot and answered at the latest evaluation, and whose
//! score is above [`MIN_PAID_SCORE`] and [`NOISE_MULTIPLE`] standard errors of a round's
//! saving (what noise reaches), are paid (weights pay for service now), in proportion to their
//! scores. The miner's own
//! weight is on the same scale: when peers saved anything it keeps the fraction
//! [`Scores::self_share`] of the total, i.e. its score is `share / (1 − share)` times the sum
//! of the paid peers' scores (at least [`FULL_SHARE_SAVING`], so peers that save little get
//! little); when none saved anything it keeps everything.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// A peer the miner may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
	/// Identity (see the module docs).
	pub id: String,
	/// Its axon, `host:port`.
	pub addr: String,
	/// Its uid on chain, when it has one.
	pub uid: Option<u16>,
	/// The block it registered in, when on chain.
	pub registered_at: Option<u32>,
	/// SS58 address of the key its axon verifies requests for (its operator key), when known:
	/// requests to it are then signed.
	pub axon_key: Option<String>,
}

impl Candidate {
	/// A peer known only by its address.
	pub fn at(addr: &str) -> Self {
		let addr = addr.to_string();
		Self { id: addr.clone(), addr, uid: None, registered_at: None, axon_key: None }
	}
}

/// How slots rotate when there are more candidates than slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotPolicy {
	/// Scoring rounds an occupant holds its slot before it can be recycled.
	pub trial_rounds: u64,
	/// Slots recycled per scoring round (while peers wait), each time the weakest unpaid
	/// occupant past its trial.
	pub rotate_per_round: usize,
	/// When every occupant past its trial is paid, the weakest of them still makes room every
	/// this many rounds, so that a better newcomer gets its chance; paid peers are otherwise
	/// left alone (a crowd of useless candidates does not evict useful peers every round).
	pub explore_every: u64,
}

impl Default for SlotPolicy {
	fn default() -> Self {
		Self { trial_rounds: 2, rotate_per_round: 1, explore_every: 4 }
	}
}

/// A slot changing hands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotChange {
	/// The slot.
	pub slot: usize,
	/// The peer that left it, if any.
	pub left: Option<String>,
	/// The peer that holds it now.
	pub entered: String,
}

/// The score of one peer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeerScore {
	/// The peer's identity.
	#[serde(default)]
	pub id: String,
	/// The peer's `host:port`.
	pub addr: String,
	/// Its uid on chain, if any.
	#[serde(default)]
	pub uid: Option<u16>,
	/// The block it registered in, if on chain.
	#[serde(default)]
	pub registered_at: Option<u32>,
	/// The key its axon verifies requests for, if known.
	#[serde(default)]
	pub axon_key: Option<String>,
	/// The model slot it holds, if any.
	#[serde(default)]
	pub slot: Option<usize>,
	/// Scoring round in which it took its slot.
	#[serde(default)]
	pub since: u64,
	/// The last scoring round it was observed in.
	#[serde(default)]
	pub last_round: Option<u64>,
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
	/// Standard error of its score (the EMA of per-round savings, each with its standard error
	/// over that round's probes): the noise its score is judged against.
	#[serde(default)]
	pub noise: f64,
}

impl PeerScore {
	fn fresh(c: &Candidate) -> Self {
		Self {
			id: c.id.clone(),
			addr: c.addr.clone(),
			uid: c.uid,
			registered_at: c.registered_at,
			axon_key: c.axon_key.clone(),
			slot: None,
			since: 0,
			last_round: None,
			score: 0.0,
			last_saved: None,
			rounds: 0,
			present_rounds: 0,
			last_absent: None,
			noise: 0.0,
		}
	}

	/// Whether the latest weights pay this peer: it answered in a slot in `round` (it may have
	/// made room for another since; it is paid for that round still), and saves more than
	/// `floor` and more than [`NOISE_MULTIPLE`] standard errors of its score.
	fn paid_in(&self, round: u64, floor: f64) -> bool {
		self.last_round == Some(round)
			&& self.last_absent.is_none()
			&& self.score.is_finite()
			&& self.score > floor.max(0.0)
			&& self.score > NOISE_MULTIPLE * self.noise
	}
}

fn default_self_share() -> f64 {
	0.5
}

/// The least score a peer is paid for (nats per byte), whatever its noise.
pub const MIN_PAID_SCORE: f64 = 1e-3;

/// A peer is paid only when its score exceeds this many of its standard errors (from the
/// spread of each round's saving over its probes). A peer that knows nothing scores within
/// noise of 0.
pub const NOISE_MULTIPLE: f64 = 2.0;

/// What the paid peers must save together (nats per byte) for the full `1 − self_share` of the
/// weight; less gets proportionally less, the rest stays with the miner. Without it, a peer
/// saving a thousandth of a nat would get as much weight as one saving a tenth whenever it is
/// the only one paid. About what a peer that knows the miner's text well saves in the tests.
pub const FULL_SHARE_SAVING: f64 = 0.05;

fn default_min_paid() -> f64 {
	MIN_PAID_SCORE
}

/// The peer table of one miner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scores {
	/// EMA factor: weight of the newest observation.
	pub alpha: f64,
	/// Fraction of its weight the miner keeps when peers saved loss.
	#[serde(default = "default_self_share")]
	pub self_share: f64,
	/// The least score a peer is paid for.
	#[serde(default = "default_min_paid")]
	pub min_paid: f64,
	/// Training step of the last update.
	pub step: u64,
	/// Scoring rounds so far.
	#[serde(default)]
	pub round: u64,
	/// Smoothed loss the miner's own model saves over a uniform guess (nats per byte): how far
	/// it has come, shown beside the peers, not a weight.
	#[serde(alias = "self_score")]
	pub own_saved: f64,
	/// Every candidate, in the order they were offered.
	pub peers: Vec<PeerScore>,
}

/// The standard error of an EMA after one more observation with standard error `new`
/// (independent rounds): `sqrt((1 − α)² old² + α² new²)`.
fn ema_error(old: f64, new: f64, alpha: f64, first: bool) -> f64 {
	if first {
		new
	} else {
		((1.0 - alpha).powi(2) * old * old + alpha * alpha * new * new).sqrt()
	}
}

fn ema(old: f64, new: f64, alpha: f64, first: bool) -> f64 {
	if first {
		new
	} else {
		(1.0 - alpha) * old + alpha * new
	}
}

impl Scores {
	/// An empty table.
	pub fn new(alpha: f64, self_share: f64) -> Self {
		let mut scores = Self {
			alpha: alpha.clamp(0.0, 1.0),
			self_share: default_self_share(),
			min_paid: MIN_PAID_SCORE,
			step: 0,
			round: 0,
			own_saved: 0.0,
			peers: Vec::new(),
		};
		scores.set_self_share(self_share);
		scores
	}

	/// The fraction of its weight the miner keeps when peers are paid, clamped to `[0, 1]`; a
	/// value that is not a number leaves it as it is.
	pub fn set_self_share(&mut self, share: f64) {
		if share.is_finite() {
			self.self_share = share.clamp(0.0, 1.0);
		}
	}

	/// Makes `candidates` the table's peers, in that order: a peer already known (by id) keeps
	/// its history and its slot, a new one starts empty, one not offered is forgotten (its
	/// slot freed). Free slots of the `slots` are then filled; returns the slots that changed
	/// hands. A candidate offered twice counts once.
	pub fn offer(&mut self, candidates: &[Candidate], slots: usize) -> Vec<SlotChange> {
		let mut old = std::mem::take(&mut self.peers);
		for c in candidates {
			if self.peers.iter().any(|p| p.id == c.id) {
				continue;
			}
			let entry = match old.iter().position(|p| p.id == c.id) {
				Some(i) => {
					let mut e = old.swap_remove(i);
					e.addr = c.addr.clone();
					e.uid = c.uid;
					e.registered_at = c.registered_at;
					e.axon_key = c.axon_key.clone();
					e.slot = e.slot.filter(|&k| k < slots);
					e
				}
				None => PeerScore::fresh(c),
			};
			self.peers.push(entry);
		}
		self.fill(slots, None)
	}

	/// The peer in each of `slots` slots (its index in [`Scores::peers`]), `None` for a free one.
	pub fn occupants(&self, slots: usize) -> Vec<Option<usize>> {
		(0..slots).map(|k| self.peers.iter().position(|p| p.slot == Some(k))).collect()
	}

	/// Gives each free slot to the waiting peer that most needs a turn: never scored first,
	/// then scored longest ago, then first offered. `except` never gets one.
	fn fill(&mut self, slots: usize, except: Option<usize>) -> Vec<SlotChange> {
		let mut changes = Vec::new();
		for (k, holder) in self.occupants(slots).into_iter().enumerate() {
			if holder.is_some() {
				continue;
			}
			let next = self
				.peers
				.iter()
				.enumerate()
				.filter(|&(i, p)| p.slot.is_none() && Some(i) != except)
				.min_by_key(|&(i, p)| (p.rounds > 0, p.last_round, i))
				.map(|(i, _)| i);
			let Some(i) = next else { break };
			if let Some(p) = self.peers.get_mut(i) {
				p.slot = Some(k);
				p.since = self.round;
				changes.push(SlotChange { slot: k, left: None, entered: p.id.clone() });
			}
		}
		changes
	}

	/// After a scoring round: while peers wait, recycles up to `policy.rotate_per_round` slots,
	/// each time the weakest occupant that has had its trial; returns the slots that changed
	/// hands.
	pub fn rotate(&mut self, slots: usize, policy: SlotPolicy) -> Vec<SlotChange> {
		let mut changes = Vec::new();
		for _ in 0..policy.rotate_per_round {
			let waiting = self.peers.iter().filter(|p| p.slot.is_none()).count();
			if waiting == 0 {
				break;
			}
			let (round, floor) = (self.round, self.min_paid);
			let past_trial = |p: &PeerScore| {
				p.slot.is_some_and(|k| k < slots)
					&& round.saturating_sub(p.since) >= policy.trial_rounds
			};
			let explore = policy.explore_every.max(1);
			let weakest = |unpaid_only: bool| {
				self.peers
					.iter()
					.enumerate()
					.filter(|(_, p)| past_trial(p) && !(unpaid_only && p.paid_in(round, floor)))
					.min_by(|(_, a), (_, b)| {
						a.score.total_cmp(&b.score).then(a.since.cmp(&b.since))
					})
					.map(|(i, _)| i)
			};
			let chosen = weakest(true).or_else(|| weakest(false).filter(|_| round % explore == 0));
			let Some(i) = chosen else { break };
			let Some(left) = self.peers.get_mut(i) else { break };
			let (slot, id) = (left.slot.take(), left.id.clone());
			let filled = self.fill(slots, Some(i));
			match filled.into_iter().next() {
				Some(mut change) => {
					change.left = Some(id);
					changes.push(change);
				}
				None => {
					// Nobody else could take it: the occupant stays.
					if let Some(p) = self.peers.get_mut(i) {
						p.slot = slot;
					}
					break;
				}
			}
		}
		changes
	}

	/// Records one evaluation: `own_saved` for the miner, and per slot either the loss its
	/// occupant saved or why it was absent. Peers without a slot decay toward 0.
	pub fn update(&mut self, step: u64, own_saved: f64, per_slot: &[Result<f64, String>]) {
		self.observe(step, own_saved, per_slot, &[]);
	}

	/// [`Scores::update`] with the standard error of each slot's saving over the probes
	/// (missing: 0), which sets how much a peer must save to be paid.
	pub fn observe(
		&mut self,
		step: u64,
		own_saved: f64,
		per_slot: &[Result<f64, String>],
		stderr: &[f64],
	) {
		let first = self.round == 0;
		if own_saved.is_finite() {
			self.own_saved = ema(self.own_saved, own_saved, self.alpha, first);
		}
		self.step = step;
		self.round += 1;
		let round = self.round;
		let alpha = self.alpha;
		for p in &mut self.peers {
			let Some(obs) = p.slot.and_then(|k| per_slot.get(k)) else {
				p.score *= 1.0 - alpha;
				p.noise *= 1.0 - alpha;
				continue;
			};
			let se = p.slot.and_then(|k| stderr.get(k)).copied().filter(|e| e.is_finite());
			p.noise = ema_error(p.noise, se.unwrap_or(0.0), alpha, p.rounds == 0);
			let first = p.rounds == 0;
			p.rounds += 1;
			p.last_round = Some(round);
			match obs {
				Ok(saved) if saved.is_finite() => {
					p.present_rounds += 1;
					p.last_saved = Some(*saved);
					p.last_absent = None;
					p.score = ema(p.score, *saved, alpha, first);
				}
				Ok(_) => {
					p.last_saved = None;
					p.last_absent = Some("non-finite loss".into());
					p.score = ema(p.score, 0.0, alpha, first);
				}
				Err(why) => {
					p.last_saved = None;
					p.last_absent = Some(why.clone());
					p.score = ema(p.score, 0.0, alpha, first);
				}
			}
		}
	}

	/// The weight the miner gives itself before normalization, on the peers' scale (see the
	/// module docs); `None` when no peer is paid (then it keeps everything).
	fn self_raw(&self, paid_total: f64) -> Option<f64> {
		if paid_total <= 0.0 || self.self_share >= 1.0 {
			return None;
		}
		Some(self.self_share / (1.0 - self.self_share) * paid_total.max(FULL_SHARE_SAVING))
	}

	/// Weights for the chain: `(index, weight)` with index 0 the miner itself and `k + 1` the
	/// `k`-th entry of [`Scores::peers`]. Peers not paid (see the module docs) get 0; weights
	/// sum to `u16::MAX`.
	pub fn weights(&self) -> Vec<(u16, u16)> {
		let peers: Vec<f64> = self
			.peers
			.iter()
			.map(|p| if p.paid_in(self.round, self.min_paid) { p.score } else { 0.0 })
			.collect();
		let total: f64 = peers.iter().sum();
		let max = f64::from(u16::MAX);
		let mut w: Vec<u16> = match self.self_raw(total) {
			Some(own) => std::iter::once(own)
				.chain(peers.iter().copied())
				.map(|s| (s / (own + total) * max).floor() as u16)
				.collect(),
			None => std::iter::once(u16::MAX).chain(peers.iter().map(|_| 0)).collect(),
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
		let mut scores: Self = serde_json::from_str(&json)
			.with_context(|| format!("{} is not a scores file", path.display()))?;
		// Tables written before peers had identities knew them by address.
		for p in &mut scores.peers {
			if p.id.is_empty() {
				p.id = p.addr.clone();
			}
		}
		// An edited file: factors back in range, and each slot held once at most.
		scores.alpha = if scores.alpha.is_finite() { scores.alpha.clamp(0.0, 1.0) } else { 0.3 };
		scores.set_self_share(scores.self_share);
		let mut held = std::collections::BTreeSet::new();
		for p in &mut scores.peers {
			if p.slot.is_some_and(|k| !held.insert(k)) {
				p.slot = None;
			}
		}
		Ok(scores)
	}

	/// The slot the peer at `addr` holds, if it holds one.
	pub fn slot_of_addr(&self, addr: &str) -> Option<usize> {
		self.peers.iter().find(|p| p.addr == addr).and_then(|p| p.slot)
	}

	/// A human-readable table.
	pub fn render(&self) -> String {
		let weights = self.weights();
		let w = |i: usize| weights.get(i).map(|x| x.1).unwrap_or(0);
		let mut out = format!(
			"step {} (round {}), self share {}\n{:<4} {:<4} {:<24} {:>10} {:>8} {:>9}  {}\n",
			self.step,
			self.round,
			self.self_share,
			"idx",
			"slot",
			"peer",
			"score",
			"weight",
			"present",
			"last"
		);
		out.push_str(&format!(
			"{:<4} {:<4} {:<24} {:>10} {:>8} {:>9}  own model saves {:.5} over uniform\n",
			0,
			"-",
			"(self)",
			"-",
			w(0),
			"-",
			self.own_saved
		));
		for (i, p) in self.peers.iter().enumerate() {
			let last = match (&p.last_saved, &p.last_absent) {
				(Some(s), _) => format!("saved {s:.5}"),
				(None, Some(why)) => format!("absent: {why}"),
				(None, None) => "-".into(),
			};
			let slot = p.slot.map_or("-".to_string(), |k| k.to_string());
			let last = format!("{last} (noise {:.5})", p.noise);
			out.push_str(&format!(
				"{:<4} {:<4} {:<24} {:>10.5} {:>8} {:>9}  {last}\n",
				i + 1,
				slot,
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

	fn table(addrs: &[&str], slots: usize) -> Scores {
		let mut s = Scores::new(0.5, 0.5);
		let c: Vec<Candidate> = addrs.iter().map(|a| Candidate::at(a)).collect();
		s.offer(&c, slots);
		s
	}

	fn ids_in_slots(s: &Scores, slots: usize) -> Vec<Option<String>> {
		s.occupants(slots)
			.into_iter()
			.map(|i| i.and_then(|i| s.peers.get(i)).map(|p| p.id.clone()))
			.collect()
	}

	#[test]
	fn self_keeps_its_share_and_unpaid_peers_get_nothing() {
		let mut s = table(&["a:1", "b:2", "c:3"], 3);
		s.update(1, 3.0, &[Ok(0.3), Ok(-0.5), Err("down".into())]);
		let w = s.weights();
		assert_eq!(w.iter().map(|x| x.0).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
		assert_eq!(w.iter().map(|x| u32::from(x.1)).sum::<u32>(), u32::from(u16::MAX));
		assert_eq!((w[2].1, w[3].1), (0, 0));
		// Self share 0.5: self and the only paid peer split evenly, whatever the own loss.
		assert!(w[0].1.abs_diff(w[1].1) <= 1, "{w:?}");
		s.self_share = 0.25;
		let w = s.weights();
		assert!((f64::from(w[0].1) / f64::from(u16::MAX) - 0.25).abs() < 1e-3, "{w:?}");
	}

	#[test]
	fn ema_smooths_and_absence_decays_to_zero() {
		let mut s = table(&["a:1"], 1);
		s.update(1, 0.0, &[Ok(2.0)]);
		assert_eq!(s.peers[0].score, 2.0);
		s.update(2, 0.0, &[Err("timeout".into())]);
		assert_eq!(s.peers[0].score, 1.0);
		assert_eq!(s.peers[0].present_rounds, 1);
		// Absent at the latest round: not paid.
		assert_eq!(s.weights(), vec![(0, u16::MAX), (1, 0)]);
	}

	#[test]
	fn a_saving_within_noise_is_not_paid() {
		let mut s = table(&["a:1", "b:2"], 2);
		// Both save 0.01; a's saving varies by 0.002 over the probes, b's by 0.008.
		s.observe(1, 1.0, &[Ok(0.01), Ok(0.01)], &[0.002, 0.008]);
		let w = s.weights();
		assert!(w[1].1 > 0 && w[2].1 == 0, "{w:?}");
		// a saves a fifth of what the full peer share takes: it gets about a fifth of it.
		let a = f64::from(w[1].1) / f64::from(u16::MAX);
		assert!((a - 0.01 / (0.05 + 0.01)).abs() < 1e-3, "{w:?}");
	}

	#[test]
	fn nothing_positive_gives_everything_to_self() {
		let s = table(&["a:1"], 1);
		assert_eq!(s.weights(), vec![(0, u16::MAX), (1, 0)]);
	}

	#[test]
	fn peers_keep_their_slots_when_the_list_is_reordered_or_shrinks() {
		let mut s = table(&["a", "b", "c"], 4);
		s.update(1, 1.0, &[Ok(0.5), Ok(0.25), Ok(0.1), Err("free".into())]);
		let before = ids_in_slots(&s, 4);
		let changes = s.offer(&[Candidate::at("c"), Candidate::at("a"), Candidate::at("b")], 4);
		assert!(changes.is_empty(), "{changes:?}");
		assert_eq!(ids_in_slots(&s, 4), before);
		assert_eq!(s.peers[0].id, "c");
		assert_eq!(s.peers[0].score, 0.1);
		// b leaves; d takes the first free slot (b's), a and c stay put.
		let changes = s.offer(&[Candidate::at("d"), Candidate::at("c"), Candidate::at("a")], 4);
		assert_eq!(changes, vec![SlotChange { slot: 1, left: None, entered: "d".into() }]);
		let after = ids_in_slots(&s, 4);
		assert_eq!((after[0].as_deref(), after[2].as_deref()), (Some("a"), Some("c")));
	}

	#[test]
	fn a_new_occupant_of_a_uid_is_a_new_peer() {
		let mut s = Scores::new(0.5, 0.5);
		let old = Candidate {
			id: "5Old@10".into(),
			addr: "h:1".into(),
			uid: Some(3),
			registered_at: Some(10),
			axon_key: None,
		};
		s.offer(std::slice::from_ref(&old), 2);
		s.update(1, 1.0, &[Ok(0.5), Err("free".into())]);
		let new = Candidate { id: "5New@90".into(), registered_at: Some(90), ..old };
		let changes = s.offer(&[new], 2);
		assert_eq!(changes, vec![SlotChange { slot: 0, left: None, entered: "5New@90".into() }]);
		assert_eq!((s.peers.len(), s.peers[0].rounds, s.peers[0].score), (1, 0, 0.0));
	}

	#[test]
	fn rotation_gives_every_waiting_peer_a_trial_and_keeps_the_useful() {
		// 8 candidates, 4 slots; only "p7", offered last, saves loss.
		let names: Vec<String> = (0..8).map(|i| format!("p{i}")).collect();
		let refs: Vec<&str> = names.iter().map(String::as_str).collect();
		let mut s = table(&refs, 4);
		let policy = SlotPolicy::default();
		let mut rounds_until_paid = None;
		for round in 1..=40u64 {
			let obs: Vec<Result<f64, String>> = ids_in_slots(&s, 4)
				.into_iter()
				.map(|id| match id.as_deref() {
					Some("p7") => Ok(0.2),
					Some(_) => Ok(0.001 * (round % 3) as f64 - 0.001),
					None => Err("free".into()),
				})
				.collect();
			s.update(round, 1.0, &obs);
			let w = s.weights();
			if rounds_until_paid.is_none() && w.get(8).is_some_and(|x| x.1 > 0) {
				rounds_until_paid = Some(round);
			}
			s.rotate(4, policy);
		}
		// Every candidate was tried, and the useful one holds a slot and earns the most.
		assert!(s.peers.iter().all(|p| p.rounds > 0), "{}", s.render());
		let useful = &s.peers[7];
		assert!(useful.slot.is_some());
		assert!(s.peers.iter().take(7).all(|p| p.score < useful.score));
		// Four first, then one a round after each trial of 2 rounds: p7 enters by round 10.
		let paid = rounds_until_paid.expect("p7 never paid");
		assert!(paid <= 10, "paid from round {paid}");
		let w = s.weights();
		assert!(w[8].1 > w.iter().skip(1).take(7).map(|x| x.1).max().unwrap_or(0));
	}

	#[test]
	fn paid_peers_make_room_only_to_explore_and_are_paid_for_their_last_round() {
		// Two useful peers in two slots, one waiting.
		let mut s = table(&["a", "b", "c"], 2);
		let policy = SlotPolicy::default();
		for round in 1..=3 {
			s.update(round, 1.0, &[Ok(0.2), Ok(0.1)]);
			assert!(s.rotate(2, policy).is_empty(), "round {round}");
		}
		// Every 4th round the weakest paid one makes room, and is paid for that round still.
		s.update(4, 1.0, &[Ok(0.2), Ok(0.1)]);
		let changes = s.rotate(2, policy);
		let room = SlotChange { slot: 1, left: Some("b".into()), entered: "c".into() };
		assert_eq!(changes, vec![room]);
		assert!(s.weights()[2].1 > 0, "{:?}", s.weights());
		// An unpaid occupant past its trial makes room at once.
		s.update(5, 1.0, &[Ok(0.2), Ok(0.0)]);
		s.update(6, 1.0, &[Ok(0.2), Ok(0.0)]);
		let changes = s.rotate(2, policy);
		assert_eq!(changes.first().map(|c| c.entered.as_str()), Some("b"));
	}

	#[test]
	fn tables_without_identities_load_with_addresses_as_ids() {
		let dir = std::env::temp_dir().join(format!("scores-old-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let path = dir.join("scores.json");
		let old = r#"{"alpha":0.3,"step":5,"self_score":4.0,"peers":[{"addr":"a:1","score":0.1,
			"last_saved":0.1,"rounds":1,"present_rounds":1,"last_absent":null}]}"#;
		std::fs::write(&path, old).unwrap();
		let s = Scores::load(&path).unwrap();
		assert_eq!((s.peers[0].id.as_str(), s.own_saved, s.self_share), ("a:1", 4.0, 0.5));
		std::fs::remove_dir_all(&dir).unwrap();
	}
}
