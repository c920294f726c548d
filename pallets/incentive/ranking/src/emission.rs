//! Paying a pot out by rank.

use alloc::vec::Vec;

use crate::Perquintill;

/// Splits `pot` by rank: `payouts[i] = floor(pot · ranks[i])` ([`Perquintill::mul_floor`]).
///
/// Returns `(payouts, remainder)` with `sum(payouts) + remainder == pot` exactly; the caller keeps
/// the remainder (for the next payout) so that issuance stays exact.
///
/// Ranks from [`rank`](crate::rank) sum to at most one, so every payout is the plain rounded-down
/// share. Should ranks from elsewhere sum to more than one, payouts are handed out in uid order
/// and each is capped at what is left of the pot, so the identity above still holds and nothing
/// is minted.
pub fn split_emission(pot: u128, ranks: &[Perquintill]) -> (Vec<u128>, u128) {
	let mut remainder = pot;
	let payouts = ranks
		.iter()
		.map(|rank| {
			let payout = rank.mul_floor(pot).min(remainder);
			// `payout <= remainder` by the line above, so this cannot saturate.
			remainder = remainder.saturating_sub(payout);
			payout
		})
		.collect();
	(payouts, remainder)
}
