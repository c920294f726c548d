//! # Incentive runtime API
//!
//! The read-only view of the incentive pallet that the node, its RPC and any client with the
//! runtime metadata (v15 lists runtime APIs with their types) can ask for at a block:
//!
//! - [`IncentiveApi::metagraph`]: every neuron with its stake, rank, emission, axon and posted
//!   weights, plus the totals and parameters ([`Metagraph`]);
//! - [`IncentiveApi::neuron`] / [`IncentiveApi::neuron_by_account`]: one neuron ([`NeuronView`]);
//! - [`IncentiveApi::emissions`]: the pot, the payout schedule and what each neuron was paid
//!   ([`Emissions`]);
//! - [`IncentiveApi::params`]: the parameters in force ([`IncentiveParams`]);
//! - [`IncentiveApi::mechanism_params`] (API version 2): the mechanism in force and its
//!   parameters ([`MechanismParams`]);
//! - [`IncentiveApi::registration_fee`]: the registration fee a `register` would burn now (the
//!   most a wallet needs to pass as its `max_fee`).
//!
//! Everything here is a plain SCALE + `TypeInfo` type, so polkadot.js decodes the results from the
//! metadata alone (`api.call.incentiveApi.metagraph()`), with no extra type definitions.
//!
//! This crate declares the API and builds the views from the pallet's stored data; it reads no
//! storage. The runtime implements the API by reading the pallet's storage items and handing
//! them to the constructors here ([`NeuronView::new`], [`NeuronEmission::new`],
//! [`total_stake`], [`next_payout_block`]), so the shape of the answer is defined and tested in
//! one place.
//!
//! ## Terms
//!
//! Neuron, uid, stake, weights (edges), self weight, axon, pot and payout mean what the pallet's
//! documentation says. Ranks and self weights are [`Perquintill`]s: parts per 10^18.
//!
//! - **Ranked stake**: the stake a neuron ranks with at the next payout, its least stake since
//!   the last payout. A newly registered neuron's starts at zero (its stake counts from the
//!   payout after next); stake it adds counts from the next period; stake it removes leaves at
//!   once.
//! - **Registration fee**: burned by every `register`. It rises with each registration and
//!   decays back toward its floor; [`Metagraph::total_burned`] is everything burned so far.
//!
//! The answer of a call at block `n` is the state after block `n`: the registration fee it
//! reports is the one in force at `n`. A `register` in block `n + 1` burns at most that, since
//! the fee only decays between registrations, unless another registration or a parameter change
//! comes first.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use scale_info::TypeInfo;
use sp_arithmetic::traits::{AtLeast32BitUnsigned, Zero};

pub use pallet_incentive::{
	AxonInfo, EmissionDestination, IncentiveParams, Mechanism, MechanismParams, NeuronInfo,
};
pub use sp_arithmetic::Perquintill;

#[cfg(test)]
mod tests;

/// One registered neuron as the runtime API reports it: what the pallet stores about it, its
/// posted weights and the fraction of incoming stake it keeps.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct NeuronView<AccountId, Balance, BlockNumber> {
	/// The neuron's uid.
	pub uid: u16,
	/// The owner: the account that registered the neuron and moves its stake.
	pub account: AccountId,
	/// The operator key, which signs the neuron's weights and axon (the owner unless it named
	/// another key).
	pub operator: AccountId,
	/// The key the owner offered the operator role to, until it accepts (`accept_operator`).
	pub operator_offer: Option<AccountId>,
	/// The neuron's stake in base units: what its account holds for the pallet plus emission
	/// paid into stake that the pallet's account keeps for it until it is settled.
	pub stake: Balance,
	/// The stake the neuron ranks with at the next payout: its least stake since the last
	/// payout (zero for a neuron registered since then, whose stake ranks from the payout after
	/// next). At most `stake`.
	pub ranked_stake: Balance,
	/// Rank at the last payout (zero until the first payout after registration).
	pub rank: Perquintill,
	/// What the neuron received at the last payout.
	pub last_emission: Balance,
	/// What the neuron received over all payouts since it registered.
	pub total_emission: Balance,
	/// Block of registration.
	pub registered_at: BlockNumber,
	/// Block of the last accepted `set_weights`; `None` before the first.
	pub last_weights_at: Option<BlockNumber>,
	/// Where the neuron serves, if it announced it.
	pub axon: Option<AxonInfo>,
	/// The fraction of the stake reaching this neuron that it keeps, as the ranking computes it
	/// from the edges that count: one for a neuron without weights.
	pub self_weight: Perquintill,
	/// Posted weights as stored: `(target uid, raw weight)`, sorted by uid, no zero weights. The
	/// neuron's own uid, if present, is its raw self weight.
	pub edges: Vec<(u16, u16)>,
	/// How many of `edges` are stale: posted before the neuron now at their target uid
	/// registered (or to a uid that is empty now), so the ranking ignores them until the neuron
	/// posts again.
	pub stale_edges: u32,
	/// Consensus: the neuron's share of the clipped support at the last consensus payout
	/// (zero before its first, and under attribution from the start).
	pub incentive: Perquintill,
	/// Consensus: the neuron's share of the dividends at the last consensus payout.
	pub dividends: Perquintill,
	/// Consensus: the neuron's bonds as an evaluator, `(target uid, bond)` sorted by uid, each
	/// bond a fraction of 2^32 (its share of the target's support, averaged over payouts).
	pub bonds: Vec<(u16, u64)>,
}

impl<AccountId, Balance, BlockNumber> NeuronView<AccountId, Balance, BlockNumber> {
	/// The view of neuron `uid` from its stored `info`, its stored `edges` and those of them
	/// that count (`counted`, see the pallet's `graph::counted_edges`).
	///
	/// `uid_end` is one past the highest uid in use (the pallet's `UidEnd`), the length of the
	/// ranking input: with `counted` it decides which edges the ranking uses, so the self
	/// weight here is the one the next payout uses.
	pub fn new(
		uid: u16,
		info: NeuronInfo<AccountId, Balance, BlockNumber>,
		edges: Vec<(u16, u16)>,
		counted: &[(u16, u16)],
		uid_end: u32,
	) -> Self {
		let self_weight = self_weight(uid, counted, uid_end);
		let stale_edges =
			u32::try_from(edges.len().saturating_sub(counted.len())).unwrap_or(u32::MAX);
		Self {
			uid,
			account: info.account,
			operator: info.operator,
			operator_offer: None,
			stake: info.stake,
			ranked_stake: info.ranked_stake,
			rank: info.rank,
			last_emission: info.last_emission,
			total_emission: info.total_emission,
			registered_at: info.registered_at,
			last_weights_at: info.last_weights_at,
			axon: info.axon,
			self_weight,
			edges,
			stale_edges,
			incentive: info.incentive,
			dividends: info.dividends,
			bonds: Vec::new(),
		}
	}
}

/// The whole network at one block.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct Metagraph<AccountId, Balance, BlockNumber> {
	/// The block whose state this is.
	pub block: BlockNumber,
	/// Every registered neuron, by ascending uid.
	pub neurons: Vec<NeuronView<AccountId, Balance, BlockNumber>>,
	/// Number of registered neurons (the pallet's `NeuronCount`).
	pub neuron_count: u32,
	/// Number of stored edges over all neurons (the pallet's `EdgeCount`).
	pub edge_count: u32,
	/// Sum of the neurons' stake.
	pub total_stake: Balance,
	/// The pot: emission accrued and not paid yet.
	pub pending_emission: Balance,
	/// Everything the pallet has paid out (and minted) so far.
	pub total_paid: Balance,
	/// The registration fee in force at `block` (as [`IncentiveApi::registration_fee`]).
	pub registration_fee: Balance,
	/// Everything burned as registration fees so far (the pallet's `TotalBurned`). Total
	/// issuance is the genesis issuance plus `total_paid` minus this.
	pub total_burned: Balance,
	/// The parameters in force.
	pub params: IncentiveParams<Balance, BlockNumber>,
	/// The mechanism in force and its parameters.
	pub mechanism: MechanismParams<BlockNumber>,
}

/// What one neuron was paid, as listed by [`Emissions`].
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct NeuronEmission<AccountId, Balance> {
	/// The neuron's uid.
	pub uid: u16,
	/// The neuron's account.
	pub account: AccountId,
	/// Rank at the last payout.
	pub rank: Perquintill,
	/// What it received at the last payout.
	pub last_emission: Balance,
	/// What it received over all payouts since it registered.
	pub total_emission: Balance,
	/// Consensus: its incentive at the last consensus payout.
	pub incentive: Perquintill,
	/// Consensus: its dividends at the last consensus payout.
	pub dividends: Perquintill,
}

impl<AccountId, Balance> NeuronEmission<AccountId, Balance> {
	/// The emission record of neuron `uid` from its stored `info`.
	pub fn new<BlockNumber>(uid: u16, info: NeuronInfo<AccountId, Balance, BlockNumber>) -> Self {
		Self {
			uid,
			account: info.account,
			rank: info.rank,
			last_emission: info.last_emission,
			total_emission: info.total_emission,
			incentive: info.incentive,
			dividends: info.dividends,
		}
	}
}

/// The emission state at one block: the pot, when it is paid next and what each neuron got.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct Emissions<AccountId, Balance, BlockNumber> {
	/// The block whose state this is.
	pub block: BlockNumber,
	/// Base units added to the pot in every block.
	pub emission_per_block: Balance,
	/// Payouts happen in blocks whose number is a multiple of this.
	pub tempo: BlockNumber,
	/// Where payouts go (stake or free balance).
	pub emission_destination: EmissionDestination,
	/// How payouts split the pot.
	pub mechanism: Mechanism,
	/// The first payout block after `block`; `None` only if it does not fit the block number
	/// type.
	pub next_payout_block: Option<BlockNumber>,
	/// The pot after `block`: accrued, not paid yet.
	pub pending_emission: Balance,
	/// Everything paid out so far.
	pub total_paid: Balance,
	/// Every registered neuron's rank and emission, by ascending uid.
	pub neurons: Vec<NeuronEmission<AccountId, Balance>>,
}

sp_api::decl_runtime_apis! {
	/// Read-only queries of the incentive pallet's state at a block.
	///
	/// The type parameters are the runtime's account id, balance and block number. Version 2
	/// added the consensus mechanism: `mechanism_params`, and incentive, dividends and bonds in
	/// the views (which changes their encoding: node and runtime of one release agree).
	#[api_version(2)]
	pub trait IncentiveApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// Every neuron, the totals and the parameters.
		fn metagraph() -> Metagraph<AccountId, Balance, BlockNumber>;

		/// The neuron at `uid`, if one is registered there.
		fn neuron(uid: u16) -> Option<NeuronView<AccountId, Balance, BlockNumber>>;

		/// The neuron `account` owns or, failing that, operates, if any.
		fn neuron_by_account(account: AccountId) -> Option<NeuronView<AccountId, Balance, BlockNumber>>;

		/// The pot, the payout schedule and each neuron's emission.
		fn emissions() -> Emissions<AccountId, Balance, BlockNumber>;

		/// The parameters in force.
		fn params() -> IncentiveParams<Balance, BlockNumber>;

		/// The mechanism in force and its parameters.
		#[api_version(2)]
		fn mechanism_params() -> MechanismParams<BlockNumber>;

		/// The registration fee in force: what a `register` would burn now. A registration in
		/// the next block burns at most this (the fee only decays between registrations), unless
		/// another registration or a parameter change comes first.
		fn registration_fee() -> Balance;
	}
}

/// The fraction of incoming stake that neuron `uid` keeps given its posted `edges`, exactly as
/// the ranking derives it (see `incentive_ranking::normalize`) when `uid_end` uid slots take part.
pub fn self_weight(uid: u16, edges: &[(u16, u16)], uid_end: u32) -> Perquintill {
	let slots = usize::try_from(uid_end).unwrap_or(usize::MAX);
	let kept = incentive_ranking::normalize(uid, edges, slots).self_weight;
	Perquintill::from_rational(kept, incentive_ranking::FRACTION_ONE)
}

/// The sum of the neurons' stake, saturating at the balance type's maximum.
pub fn total_stake<'a, AccountId: 'a, Balance, BlockNumber: 'a>(
	neurons: impl IntoIterator<Item = &'a NeuronView<AccountId, Balance, BlockNumber>>,
) -> Balance
where
	Balance: AtLeast32BitUnsigned + Copy + 'a,
{
	neurons.into_iter().fold(Zero::zero(), |sum: Balance, neuron| sum.saturating_add(neuron.stake))
}

/// The first block after `now` whose number is a multiple of `tempo`: the next payout.
///
/// `None` for a `tempo` of zero (which the pallet never stores) or when the block does not fit
/// the number type.
pub fn next_payout_block<BlockNumber>(now: BlockNumber, tempo: BlockNumber) -> Option<BlockNumber>
where
	BlockNumber: AtLeast32BitUnsigned + Copy,
{
	now.checked_div(&tempo)?.checked_add(&BlockNumber::one())?.checked_mul(&tempo)
}
