//! Answers already built, kept by block hash.
//!
//! The state at a block hash never changes, so an answer built for a hash stays right for as long
//! as it is kept. Dashboards and miners poll the best block; with this cache each new block costs
//! one runtime call and one conversion per method, and every further request for it only a copy.

use std::{
	collections::VecDeque,
	sync::{Arc, Mutex, MutexGuard},
};

/// The last `capacity` answers of one method, by block hash; the oldest is dropped first.
pub struct AnswerCache<Hash, Answer> {
	entries: Mutex<VecDeque<(Hash, Arc<Answer>)>>,
	capacity: usize,
}

impl<Hash: PartialEq + Copy, Answer> AnswerCache<Hash, Answer> {
	/// An empty cache keeping at most `capacity` blocks' answers.
	pub fn new(capacity: usize) -> Self {
		Self { entries: Mutex::new(VecDeque::with_capacity(capacity)), capacity }
	}

	/// The answer for `hash`, built with `build` if it is not kept. Errors are not kept. The lock
	/// is not held while building, so two requests for a new block may both build it; the answers
	/// are equal, and the second one is not stored twice.
	pub fn get_or_build<E>(
		&self,
		hash: Hash,
		build: impl FnOnce() -> Result<Answer, E>,
	) -> Result<Arc<Answer>, E> {
		if let Some(answer) = self.find(hash) {
			return Ok(answer);
		}
		let answer = Arc::new(build()?);
		let mut entries = self.lock();
		if !entries.iter().any(|(kept, _)| *kept == hash) {
			if entries.len() >= self.capacity {
				entries.pop_front();
			}
			if self.capacity > 0 {
				entries.push_back((hash, answer.clone()));
			}
		}
		Ok(answer)
	}

	/// The entries. A panic while they were locked cannot leave them half-changed (each change
	/// is one push or pop), so a poisoned lock is still safe to use.
	fn lock(&self) -> MutexGuard<'_, VecDeque<(Hash, Arc<Answer>)>> {
		self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	fn find(&self, hash: Hash) -> Option<Arc<Answer>> {
		self.lock().iter().find(|(kept, _)| *kept == hash).map(|(_, answer)| answer.clone())
	}
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
	use super::*;

	#[test]
	fn builds_once_per_hash_and_evicts_the_oldest() {
		let cache = AnswerCache::<u8, String>::new(2);
		let mut builds = 0;
		let mut get = |hash: u8| {
			cache
				.get_or_build(hash, || -> Result<_, ()> {
					builds += 1;
					Ok(format!("answer {hash}"))
				})
				.unwrap()
		};
		assert_eq!(*get(1), "answer 1");
		assert_eq!(*get(1), "answer 1");
		assert_eq!(*get(2), "answer 2");
		assert_eq!(*get(3), "answer 3"); // evicts 1
		assert_eq!(*get(2), "answer 2");
		assert_eq!(*get(1), "answer 1"); // rebuilt
		assert_eq!(builds, 4);
	}

	#[test]
	fn errors_are_not_kept() {
		let cache = AnswerCache::<u8, u32>::new(4);
		assert_eq!(cache.get_or_build(7, || Err("unavailable")), Err("unavailable"));
		assert_eq!(*cache.get_or_build(7, || Ok::<_, &str>(5)).unwrap(), 5);
	}
}
