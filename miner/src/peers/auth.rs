//! Who is asking: signed axon requests and the axon's admission of callers.
//!
//! A caller signs each `axon_forward` request with its sr25519 key (on chain: its neuron's
//! operator key) over `DOMAIN ‖ axon account ‖ nonce ‖ blake2_256(body)`, as Bittensor's axon
//! verifies a caller's signature over its nonce, its key, the axon's key and the body hash:
//!
//! - the axon's account binds the signature to one axon, so a relay cannot pass a caller's
//!   request (and its priority) on to another axon;
//! - the nonce is the caller's clock in milliseconds and must be within [`NONCE_WINDOW`] of the
//!   axon's and above the last one that caller used here, so a request cannot be replayed;
//! - the body hash binds the tokens.
//!
//! The axon admits requests by class ([`Admission`]): callers it knows (signed by a key in its
//! caller table, which `run` fills from the metagraph with each registered operator key and its
//! priority) queue for the workers in order of priority, at most [`AxonConfig::per_caller`] at
//! once each; everyone else (unsigned, or signed by an unknown key) shares
//! [`AxonConfig::anonymous_workers`] workers and is told busy at once beyond that. So a flood
//! from unregistered callers costs registered peers at most those workers.
//!
//! [`AxonConfig::per_caller`]: super::AxonConfig::per_caller
//! [`AxonConfig::anonymous_workers`]: super::AxonConfig::anonymous_workers

use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sp_core::crypto::{AccountId32, Ss58Codec};
use sp_core::{sr25519, Pair};
use sp_runtime::traits::{BlakeTwo256, Hash};
use tokio::sync::oneshot;

/// Domain tag of axon request signatures.
pub const DOMAIN: &[u8] = b"tensor-axon-forward/1";

/// How far a request's nonce (the caller's clock, ms) may be from the axon's clock.
pub const NONCE_WINDOW: Duration = Duration::from_secs(60);

/// Most callers whose nonces an axon remembers; beyond it, callers whose nonces have all left
/// the window (which refuses them anyway) are forgotten.
const MAX_REMEMBERED: usize = 65_536;

/// Nonces remembered per caller: a request may overtake another of the same caller (calls
/// split in parts travel at once), so any nonce not seen and newer than the oldest remembered
/// is accepted.
const NONCES_PER_CALLER: usize = 32;

/// The signature part of a request: `{"caller": ss58, "nonce": ms, "signature": "0x…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Auth {
	/// SS58 address of the signing key.
	pub caller: String,
	/// Milliseconds since the Unix epoch on the caller's clock, increasing per caller.
	pub nonce: u64,
	/// sr25519 signature of [`message`], 0x-prefixed hex.
	pub signature: String,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// `blake2_256` of the request's tokens: each sequence as its length then its ids, all `u32`
/// little-endian.
fn body_hash(tokens: &[Vec<u32>]) -> [u8; 32] {
	let mut bytes = Vec::with_capacity(tokens.iter().map(|s| 4 + 4 * s.len()).sum());
	for seq in tokens {
		bytes.extend_from_slice(&(seq.len() as u32).to_le_bytes());
		for id in seq {
			bytes.extend_from_slice(&id.to_le_bytes());
		}
	}
	<BlakeTwo256 as Hash>::hash(&bytes).0
}

/// The bytes a caller signs for a request to the axon of `axon`.
pub fn message(axon: &AccountId32, nonce: u64, tokens: &[Vec<u32>]) -> Vec<u8> {
	let mut m = Vec::with_capacity(DOMAIN.len() + 32 + 8 + 32);
	m.extend_from_slice(DOMAIN);
	m.extend_from_slice(axon.as_ref());
	m.extend_from_slice(&nonce.to_le_bytes());
	m.extend_from_slice(&body_hash(tokens));
	m
}

/// Signs a request to `axon` with `pair`.
pub fn sign(pair: &sr25519::Pair, axon: &AccountId32, nonce: u64, tokens: &[Vec<u32>]) -> Auth {
	let signature = pair.sign(&message(axon, nonce, tokens));
	let caller = crate::chain::ss58(&AccountId32::from(pair.public()));
	Auth { caller, nonce, signature: sp_core::bytes::to_hex(&signature.0, false) }
}

/// Checks signatures for one axon and remembers each caller's last nonce.
pub struct Verifier {
	axon: AccountId32,
	seen: Mutex<HashMap<AccountId32, std::collections::BTreeSet<u64>>>,
}

impl Verifier {
	/// A verifier for the axon of `axon`.
	pub fn new(axon: AccountId32) -> Self {
		Self { axon, seen: Mutex::new(HashMap::new()) }
	}

	/// The caller of a request if `auth` is a fresh, valid signature of `tokens` for this axon;
	/// otherwise what is wrong, for the error the caller gets.
	pub fn verify(&self, auth: &Auth, tokens: &[Vec<u32>], now: u64) -> Result<String, String> {
		let caller = AccountId32::from_ss58check(&auth.caller)
			.map_err(|e| format!("caller {:?} is not an SS58 address: {e:?}", auth.caller))?;
		let window = NONCE_WINDOW.as_millis() as u64;
		if auth.nonce.abs_diff(now) > window {
			return Err(format!(
				"nonce {} is {} ms from this axon's clock ({now}); use the time in ms, within \
				 {window} ms",
				auth.nonce,
				auth.nonce.abs_diff(now)
			));
		}
		let bytes: [u8; 64] = sp_core::bytes::from_hex(&auth.signature)
			.ok()
			.and_then(|b| b.try_into().ok())
			.ok_or_else(|| "signature is not 64 bytes of hex".to_string())?;
		let public = sr25519::Public::from_raw(caller.clone().into());
		let signature = sr25519::Signature::from_raw(bytes);
		if !sr25519::Pair::verify(&signature, message(&self.axon, auth.nonce, tokens), &public) {
			return Err(format!(
				"bad signature from {}: it must sign the domain, this axon's account {}, the \
				 nonce and the body hash",
				auth.caller,
				self.axon.to_ss58check()
			));
		}
		let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
		if seen.len() >= MAX_REMEMBERED {
			seen.retain(|_, n| n.iter().any(|n| n.abs_diff(now) <= window));
		}
		let nonces = seen.entry(caller.clone()).or_default();
		let too_old = nonces.len() >= NONCES_PER_CALLER
			&& nonces.first().is_some_and(|&oldest| auth.nonce <= oldest);
		if nonces.contains(&auth.nonce) || too_old {
			return Err(format!(
				"replayed request: nonce {} from {} was used here already (or is older than \
				 the last {NONCES_PER_CALLER})",
				auth.nonce, auth.caller
			));
		}
		nonces.insert(auth.nonce);
		if nonces.len() > NONCES_PER_CALLER {
			nonces.pop_first();
		}
		Ok(crate::chain::ss58(&caller))
	}
}

/// The callers an axon knows: SS58 address → priority (higher goes first). `run` keeps it to
/// the registered operator keys, with their stake or the weight they give this miner.
#[derive(Clone, Debug, Default)]
pub struct Callers(Arc<RwLock<HashMap<String, u128>>>);

impl Callers {
	/// Replaces the table.
	pub fn set(&self, callers: HashMap<String, u128>) {
		*self.0.write().unwrap_or_else(|e| e.into_inner()) = callers;
	}

	/// The priority of `caller`, if known.
	pub fn priority(&self, caller: &str) -> Option<u128> {
		self.0.read().unwrap_or_else(|e| e.into_inner()).get(caller).copied()
	}
}

/// A waiting request: priority first, then arrival.
struct Waiter {
	priority: u128,
	seq: std::cmp::Reverse<u64>,
	grant: oneshot::Sender<Held>,
}

impl PartialEq for Waiter {
	fn eq(&self, other: &Self) -> bool {
		(self.priority, self.seq) == (other.priority, other.seq)
	}
}
impl Eq for Waiter {}
impl PartialOrd for Waiter {
	fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
		Some(self.cmp(other))
	}
}
impl Ord for Waiter {
	fn cmp(&self, other: &Self) -> std::cmp::Ordering {
		(self.priority, self.seq).cmp(&(other.priority, other.seq))
	}
}

struct GateState {
	free: usize,
	next_seq: u64,
	waiting: BinaryHeap<Waiter>,
}

/// Workers handed out by priority: a freed worker goes to the highest-priority request waiting.
#[derive(Clone)]
pub struct PriorityGate(Arc<Mutex<GateState>>);

/// A worker held; it goes to the next waiter (or back to the pool) when dropped.
pub struct Held(PriorityGate);

impl Drop for Held {
	fn drop(&mut self) {
		self.0.release();
	}
}

impl PriorityGate {
	/// A gate of `workers` workers.
	pub fn new(workers: usize) -> Self {
		let state = GateState { free: workers, next_seq: 0, waiting: BinaryHeap::new() };
		Self(Arc::new(Mutex::new(state)))
	}

	fn state(&self) -> std::sync::MutexGuard<'_, GateState> {
		self.0.lock().unwrap_or_else(|e| e.into_inner())
	}

	fn release(&self) {
		let mut state = self.state();
		// Hand the worker itself to the best waiter still waiting. A waiter that gave up has
		// dropped its receiver: the send fails and the next one is tried (the returned worker
		// is forgotten, not dropped, as dropping it would release it again under this lock).
		// A worker sent to a receiver dropped later is released when the channel drops.
		while let Some(waiter) = state.waiting.pop() {
			match waiter.grant.send(Held(self.clone())) {
				Ok(()) => return,
				Err(unsent) => std::mem::forget(unsent),
			}
		}
		state.free += 1;
	}

	/// A worker for a request of `priority`, waiting at most `wait`; `None` when none came.
	pub async fn acquire(&self, priority: u128, wait: Duration) -> Option<Held> {
		let rx = {
			let mut state = self.state();
			if state.free > 0 && state.waiting.is_empty() {
				state.free -= 1;
				return Some(Held(self.clone()));
			}
			if wait.is_zero() {
				// Never queued: a waiter that cannot wait would only pile up in the heap.
				return None;
			}
			let (grant, rx) = oneshot::channel();
			let seq = std::cmp::Reverse(state.next_seq);
			state.next_seq = state.next_seq.wrapping_add(1);
			state.waiting.push(Waiter { priority, seq, grant });
			rx
		};
		match tokio::time::timeout(wait, rx).await {
			Ok(Ok(held)) => Some(held),
			// Timed out (or cancelled): the receiver drops, and with it any worker sent to it.
			_ => None,
		}
	}
}

/// How an axon admits a request, by who signed it.
pub enum Admission {
	/// A known caller, with its priority.
	Known {
		/// The caller's SS58 address.
		caller: String,
		/// Its priority.
		priority: u128,
	},
	/// Unsigned, or signed by a key the axon does not know.
	Anonymous,
}

#[cfg(test)]
mod tests {
	use super::*;

	fn pair(uri: &str) -> sr25519::Pair {
		sr25519::Pair::from_string(uri, None).unwrap()
	}

	#[test]
	fn signatures_bind_axon_body_and_nonce_and_replays_are_refused() {
		let axon = AccountId32::from(pair("//Axon").public());
		let other_axon = AccountId32::from(pair("//Other").public());
		let caller = pair("//Caller");
		let tokens = vec![vec![1, 2, 3], vec![4, 5, 6]];
		let now = 1_000_000_000;
		let v = Verifier::new(axon.clone());
		let auth = sign(&caller, &axon, now, &tokens);
		assert_eq!(v.verify(&auth, &tokens, now), Ok(auth.caller.clone()));
		// The same request again is a replay.
		assert!(v.verify(&auth, &tokens, now).unwrap_err().contains("replayed"));
		// Another body, another axon, a stale clock or a mangled signature are refused.
		let later = sign(&caller, &axon, now + 1, &tokens);
		assert!(v
			.verify(&later, &[vec![1, 2, 4], vec![4, 5, 6]], now)
			.unwrap_err()
			.contains("bad signature"));
		let elsewhere = sign(&caller, &other_axon, now + 2, &tokens);
		assert!(v.verify(&elsewhere, &tokens, now).unwrap_err().contains("bad signature"));
		let stale = sign(&caller, &axon, now - 61_000, &tokens);
		assert!(v.verify(&stale, &tokens, now).unwrap_err().contains("nonce"));
		let mut mangled = sign(&caller, &axon, now + 3, &tokens);
		mangled.signature.truncate(20);
		assert!(v.verify(&mangled, &tokens, now).unwrap_err().contains("64 bytes"));
		// A later nonce with a good signature still passes.
		let next = sign(&caller, &axon, now + 4, &tokens);
		assert!(v.verify(&next, &tokens, now).is_ok());
	}

	#[tokio::test]
	async fn a_freed_worker_goes_to_the_highest_priority_waiter() {
		let gate = PriorityGate::new(1);
		let held = gate.acquire(0, Duration::ZERO).await.unwrap();
		assert!(gate.acquire(0, Duration::from_millis(10)).await.is_none());
		let (low, high) = (gate.clone(), gate.clone());
		let low =
			tokio::spawn(
				async move { low.acquire(1, Duration::from_secs(5)).await.map(|_| "low") },
			);
		tokio::time::sleep(Duration::from_millis(20)).await;
		let high = tokio::spawn(async move {
			let held = high.acquire(9, Duration::from_secs(5)).await;
			// Hold it a moment so the low one is still waiting when this one is served.
			tokio::time::sleep(Duration::from_millis(50)).await;
			held.map(|_| std::time::Instant::now())
		});
		tokio::time::sleep(Duration::from_millis(20)).await;
		drop(held);
		let high_at = high.await.unwrap().expect("high got no worker");
		assert_eq!(low.await.unwrap(), Some("low"));
		assert!(high_at.elapsed() < Duration::from_secs(5));
	}
}
