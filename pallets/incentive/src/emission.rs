//! Emission: the block hook, where FRAME meets the `incentive-ranking` crate.
//!
//! The mechanism in force ([`MechanismConfig`]) decides how the pot is split: by the attribution
//! walk's ranks, or by consensus (incentive and dividends, with each evaluator's bonds read
//! before and written after: one more read and write per neuron). Everything else below holds
//! for both.
//!
//! Every block adds `emission_per_block` to the pot ([`PendingEmission`]); nothing is minted
//! then. In every block whose number is a multiple of `tempo`, the neurons are ranked from their
//! ranked stake (the least stake each held since the last payout, see `stake.rs`) and weights,
//! and the pot is split by rank. After the payout every ranked stake is reset to the stake then
//! held, emission just paid into stake included. Per `emission_destination`, the
//! shares are added to stake (minted at once into the pallet's account and credited to each
//! neuron's `unsettled_stake` in [`Payouts`]) or minted into each neuron's free balance. What
//! rounding leaves, and any share whose mint fails, stays in the pot. So at all times
//! `total issuance = genesis issuance + TotalPaid - TotalBurned` (registration fees, `fee.rs`)
//! and `TotalPaid + pot = sum of the per-block emission so far`; the pot saturates at the
//! balance type's maximum rather than wrapping, which for a `u128` balance is out of reach.
//!
//! The hook's weight is computed from [`NeuronCount`], [`UidEnd`] and [`EdgeCount`] before any
//! work. A payout reads two items per neuron (its record and its weights) and writes a fixed
//! number (the [`Payouts`] vector, the pot, the total, one mint), whatever the neuron count;
//! only paying into free balance writes per neuron.
//!
//! The ranking's cost is `passes × (neurons + edges)`, a product the benchmark's linear fit
//! cannot express; so the payout is benchmarked with one ranking pass (which includes
//! normalizing the weights and the ranks' one division per neuron) and each further pass is
//! charged as one pass of the walk over the already normalized graph, plus the walk's per-call
//! set-up, which bounds a pass from above. Each is the sum of a neuron part and an edge part.

use alloc::vec::Vec;
use frame_support::{pallet_prelude::*, traits::fungible::Mutate};
use frame_system::pallet_prelude::BlockNumberFor;
use incentive_ranking::{ConsensusOutcome, ConsensusParams, NeuronInput, Perquintill};
use sp_arithmetic::traits::CheckedRem;
use sp_runtime::traits::{AccountIdConversion, CheckedAdd, Saturating, UniqueSaturatedInto, Zero};

use crate::{
	BalanceOf, Bonds, Config, ConsensusShare, ConsensusShares, EdgeCount, EmissionDestination,
	Event, IncentiveParamsOf, Mechanism, MechanismConfig, MechanismParamsOf, NeuronCount,
	NeuronPayout, NeuronRecordOf, Neurons, Pallet, Params, Payouts, PayoutsOf, PendingEmission,
	TotalPaid, UidEnd, WeightInfo, Weights,
};

/// What a mechanism made of one payout's inputs: each uid's share of the pot, the shares in
/// base units, and the ranking passes run (attribution only).
struct Split {
	shares: Vec<Perquintill>,
	amounts: Vec<u128>,
	passes: u32,
}

impl<T: Config> Pallet<T> {
	/// The hook: accrue, and pay on payout blocks. Returns the weight of the passes the ranking
	/// actually ran; `set_params` has checked that the most it could run fits the block.
	pub(crate) fn on_block(now: BlockNumberFor<T>) -> Weight {
		let params = Params::<T>::get();
		PendingEmission::<T>::mutate(|pot| *pot = pot.saturating_add(params.emission_per_block));
		if !Self::is_payout_block(now, params.tempo) {
			return T::WeightInfo::on_initialize_idle();
		}
		let neurons = NeuronCount::<T>::get();
		if neurons == 0 {
			return T::WeightInfo::on_initialize_idle();
		}
		// Read before the payout: the work is over the graph as it stood.
		let slots = UidEnd::<T>::get().max(neurons);
		let edges = EdgeCount::<T>::get();
		let mechanism = MechanismConfig::<T>::get();
		let passes = Self::payout(now, &params, &mechanism).clamp(1, params.max_ranking_passes);
		Self::payout_weight(mechanism.mechanism, slots, edges, passes, params.emission_destination)
	}

	/// The most a payout can weigh under `params`: every uid up to `max_neurons` registered with
	/// `max_edges` edges each, `max_ranking_passes` passes, paid to free balance if that costs
	/// more than stake.
	/// Under either mechanism, so that root can switch between them at any time.
	pub fn worst_payout_weight(params: &IncentiveParamsOf<T>) -> Weight {
		let edges = params.max_neurons.saturating_mul(params.max_edges);
		let passes = params.max_ranking_passes;
		let at = |mechanism, destination| {
			Self::payout_weight(mechanism, params.max_neurons, edges, passes, destination)
		};
		[Mechanism::Attribution, Mechanism::Consensus]
			.into_iter()
			.flat_map(|m| [at(m, EmissionDestination::Stake), at(m, EmissionDestination::Free)])
			.fold(Weight::zero(), |worst, weight| worst.max(weight))
	}

	/// Whether `now` is a multiple of `tempo` (never, for a `tempo` of zero, which the
	/// parameter checks rule out).
	pub fn is_payout_block(now: BlockNumberFor<T>, tempo: BlockNumberFor<T>) -> bool {
		now.checked_rem(&tempo).is_some_and(|rest| rest.is_zero())
	}

	/// Weight of a payout under `mechanism` over `slots` uid slots with `edges` edges in all
	/// and at most `passes` ranking passes (attribution), paid to `destination`.
	///
	/// Neurons and edges are benchmarked apart (see `benchmarking.rs`): each part's edge
	/// benchmark runs over the most neurons, so only its growth with `e` is added here. Paying
	/// into free balance mints into every neuron's account, which `pay_free(slots)` prices.
	/// Consensus has no passes: one sort and a few sweeps over the edges, and a bonds read and
	/// write per neuron, all in its two benchmarks.
	pub fn payout_weight(
		mechanism: Mechanism,
		slots: u32,
		edges: u32,
		passes: u32,
		destination: EmissionDestination,
	) -> Weight {
		let growth = |of: fn(u32) -> Weight| of(edges).saturating_sub(of(0));
		let weight = match mechanism {
			Mechanism::Attribution => {
				let payout = T::WeightInfo::on_initialize_payout(slots)
					.saturating_add(growth(T::WeightInfo::payout_edges));
				let pass = T::WeightInfo::ranking_pass_neurons(slots)
					.saturating_add(growth(T::WeightInfo::ranking_pass_edges));
				payout.saturating_add(pass.saturating_mul(u64::from(passes.saturating_sub(1))))
			}
			Mechanism::Consensus => T::WeightInfo::consensus_payout(slots)
				.saturating_add(growth(T::WeightInfo::consensus_payout_edges)),
		};
		match destination {
			EmissionDestination::Stake => weight,
			EmissionDestination::Free => weight.saturating_add(T::WeightInfo::pay_free(slots)),
		}
	}

	/// The pallet's account: it keeps the emission paid into stake until neurons settle it.
	pub fn account_id() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// Ranks all neurons and pays the pot out by rank; returns the ranking passes run (zero
	/// when there was nothing to rank).
	///
	/// Pays nothing (the pot keeps growing) when no neuron has ranked stake; the ranked stakes
	/// are reset all the same, so that the next period counts. Otherwise every neuron's
	/// rank, last and total emission in [`Payouts`] are updated and one `EmissionPaid` event
	/// tells the totals. Into stake, the whole payout is one mint into the pallet's account,
	/// credited to the neurons as unsettled stake; into free balance, one mint per neuron.
	pub(crate) fn payout(
		now: BlockNumberFor<T>,
		params: &IncentiveParamsOf<T>,
		mechanism: &MechanismParamsOf<T>,
	) -> u32 {
		let mut neurons: Vec<(u16, NeuronRecordOf<T>)> = Neurons::<T>::iter().collect();
		neurons.sort_by_key(|&(uid, _)| uid);
		let Some(slots) = neurons.last().map(|&(uid, _)| usize::from(uid).saturating_add(1)) else {
			return 0;
		};
		let mut payouts = Self::payouts_with_slots(slots);

		// Inputs by uid; empty uids take part with no stake and no weights.
		let mut stakes = alloc::vec![0u128; slots];
		let mut edges: Vec<Vec<(u16, u16)>> = alloc::vec![Vec::new(); slots];
		let registered_at = crate::graph::registration_blocks(
			slots,
			neurons.iter().map(|(uid, record)| (*uid, record.registered_at)),
		);
		for (uid, record) in &neurons {
			let slot = usize::from(*uid);
			if let Some(stake) = stakes.get_mut(slot) {
				*stake = Self::entry_of(&payouts, *uid).ranked_stake.unique_saturated_into();
			}
			if let Some(neuron_edges) = edges.get_mut(slot) {
				let stored = Weights::<T>::get(uid).unwrap_or_default();
				*neuron_edges = crate::graph::counted_edges(
					*uid,
					record.last_weights_at,
					&stored,
					&registered_at,
				);
			}
		}
		if stakes.iter().all(|stake| *stake == 0) {
			Self::reset_ranked_stakes(&mut payouts, &neurons);
			Payouts::<T>::put(payouts);
			return 0;
		}
		let inputs: Vec<NeuronInput<'_>> = stakes
			.iter()
			.zip(edges.iter())
			.map(|(&stake, weights)| NeuronInput { stake, weights: weights.as_slice() })
			.collect();

		let pot = PendingEmission::<T>::get();
		let Split { shares: ranks, amounts: shares, passes } = match mechanism.mechanism {
			Mechanism::Attribution => Self::split_by_rank(now, &inputs, pot, params),
			Mechanism::Consensus => {
				Self::split_by_consensus(now, &inputs, &registered_at, pot, mechanism)
			}
		};

		// Each neuron's share, capped so that the sum never exceeds the pot whatever the split
		// said (and, into stake, so that no unsettled stake overflows): `owed` is then exactly
		// what is paid, and into stake it is minted at once below.
		let into_stake = params.emission_destination == EmissionDestination::Stake;
		let mut owed = BalanceOf::<T>::zero();
		let mut due: Vec<BalanceOf<T>> = Vec::with_capacity(neurons.len());
		for (uid, _) in &neurons {
			let slot = usize::from(*uid);
			let share: BalanceOf<T> =
				shares.get(slot).copied().unwrap_or_default().unique_saturated_into();
			let unsettled = Self::entry_of(&payouts, *uid).unsettled_stake;
			let fits = !into_stake || unsettled.checked_add(&share).is_some();
			match owed.checked_add(&share).filter(|after| fits && *after <= pot) {
				Some(after) => {
					owed = after;
					due.push(share);
				}
				None => due.push(Zero::zero()),
			}
		}
		let stake_minted = match params.emission_destination {
			EmissionDestination::Stake if !owed.is_zero() => {
				T::Currency::mint_into(&Self::account_id(), owed)
					.inspect_err(|error| {
						log::warn!(
							target: "runtime::incentive",
							"payout of {:?} into the pallet's account failed, kept in the pot: {:?}",
							owed,
							error,
						)
					})
					.is_ok()
			}
			_ => false,
		};

		let mut total_paid = BalanceOf::<T>::zero();
		let mut paid_neurons = 0u32;
		for ((uid, record), share) in neurons.iter().zip(due) {
			let Some(entry) = payouts.get_mut(usize::from(*uid)) else { continue };
			let paid = match params.emission_destination {
				_ if share.is_zero() => Zero::zero(),
				EmissionDestination::Stake if stake_minted => {
					// Checked above: the sum fits.
					entry.unsettled_stake = entry.unsettled_stake.saturating_add(share);
					share
				}
				EmissionDestination::Stake => Zero::zero(),
				EmissionDestination::Free => Self::pay_free(*uid, record, share),
			};
			if !paid.is_zero() {
				paid_neurons = paid_neurons.saturating_add(1);
			}
			total_paid = total_paid.saturating_add(paid);
			entry.rank = ranks.get(usize::from(*uid)).copied().unwrap_or_default();
			entry.last_emission = paid;
			entry.total_emission = entry.total_emission.saturating_add(paid);
		}
		Self::reset_ranked_stakes(&mut payouts, &neurons);
		Payouts::<T>::put(payouts);

		let pot_left = pot.saturating_sub(total_paid);
		PendingEmission::<T>::put(pot_left);
		TotalPaid::<T>::mutate(|paid| *paid = paid.saturating_add(total_paid));
		Self::deposit_event(Event::EmissionPaid {
			block: now,
			total_paid,
			pot_left,
			neurons: paid_neurons,
		});
		passes
	}

	/// Attribution: the pot by rank.
	fn split_by_rank(
		now: BlockNumberFor<T>,
		inputs: &[NeuronInput<'_>],
		pot: BalanceOf<T>,
		params: &IncentiveParamsOf<T>,
	) -> Split {
		// Consensus shares and bonds are of the last consensus payout only: once attribution has
		// paid, a later consensus payout starts from no bonds (`counted_bonds`).
		ConsensusShares::<T>::kill();
		let ranking = incentive_ranking::rank(inputs, params.max_ranking_passes);
		let (amounts, _) =
			incentive_ranking::split_emission(pot.unique_saturated_into(), &ranking.ranks);
		log::debug!(
			target: "runtime::incentive",
			"payout at {:?}: {} uids, {} passes, {} base units of stake unabsorbed",
			now,
			inputs.len(),
			ranking.passes,
			ranking.in_flight,
		);
		Split { shares: ranking.ranks, amounts, passes: ranking.passes }
	}

	/// Consensus: the pot by incentive and dividends, with the bonds read before and stored
	/// after, and each uid's incentive and dividends kept in [`ConsensusShares`].
	fn split_by_consensus(
		now: BlockNumberFor<T>,
		inputs: &[NeuronInput<'_>],
		registered_at: &[Option<BlockNumberFor<T>>],
		pot: BalanceOf<T>,
		mechanism: &MechanismParamsOf<T>,
	) -> Split {
		let params = ConsensusParams {
			kappa: mechanism.kappa,
			bond_alpha: mechanism.bond_alpha,
			max_bonds: usize::try_from(T::MaxEdgesLimit::get()).unwrap_or(usize::MAX),
		};
		let (bonds, stored) = Self::counted_bonds(registered_at);
		let outcome = incentive_ranking::consensus(inputs, &bonds, &params);
		let (amounts, _) = incentive_ranking::split_consensus_emission(
			pot.unique_saturated_into(),
			&outcome,
			mechanism.dividend_share,
		);
		let shares = outcome.shares(mechanism.dividend_share);
		Self::store_consensus(now, registered_at, &stored, outcome);
		Split { shares, amounts, passes: 1 }
	}

	/// Every uid's stored bonds that still count, and whether it has an entry at all. Bonds count
	/// if they were computed at the last consensus payout (not before an attribution payout or
	/// an empty row since), and only in targets still held by the neuron they were earned in (the
	/// rule of stale edges, [`crate::edge_counts`], with the payout block as the posting block).
	/// The evaluator's own entry is removed when it leaves.
	fn counted_bonds(
		registered_at: &[Option<BlockNumberFor<T>>],
	) -> (Vec<incentive_ranking::Bonds>, Vec<bool>) {
		let (last_payout, _) = ConsensusShares::<T>::get();
		let registered = |uid: u16| registered_at.get(usize::from(uid)).copied().flatten();
		(0..registered_at.len())
			.map(|slot| {
				let Ok(uid) = u16::try_from(slot) else { return (Vec::new(), false) };
				match Bonds::<T>::get(uid) {
					Some(entry) => (Self::counting(uid, entry, last_payout, registered), true),
					None => (Vec::new(), false),
				}
			})
			.unzip()
	}

	/// The bonds of evaluator `uid`'s stored `entry` that count, given the last consensus
	/// payout's block and each uid's registration block (`registered`): the rule of
	/// [`Self::counted_bonds`], for the payout and the runtime API alike.
	fn counting(
		uid: u16,
		(at, bonds): crate::BondsEntryOf<T>,
		last_payout: BlockNumberFor<T>,
		registered: impl Fn(u16) -> Option<BlockNumberFor<T>>,
	) -> Vec<(u16, u64)> {
		let holds = |of: u16| registered(of).is_some_and(|r| crate::edge_counts(Some(at), r));
		if at != last_payout || !holds(uid) {
			return Vec::new();
		}
		bonds.into_iter().filter(|&(target, _)| holds(target)).collect()
	}

	/// Neuron `uid`'s bonds as the next consensus payout counts them (for the runtime API):
	/// empty unless computed at the last consensus payout, and only in targets whose neuron
	/// registered before it.
	pub fn bonds_of(uid: u16) -> Vec<(u16, u64)> {
		let (last_payout, _) = ConsensusShares::<T>::get();
		let registered = |of: u16| Neurons::<T>::get(of).map(|record| record.registered_at);
		Bonds::<T>::get(uid)
			.map(|entry| Self::counting(uid, entry, last_payout, registered))
			.unwrap_or_default()
	}

	/// Writes the new bonds of every registered uid (removing those that are empty now) and the
	/// payout's incentive and dividends.
	fn store_consensus(
		now: BlockNumberFor<T>,
		registered_at: &[Option<BlockNumberFor<T>>],
		stored: &[bool],
		outcome: ConsensusOutcome,
	) {
		let ConsensusOutcome { incentive, dividends, bonds, .. } = outcome;
		for (slot, row) in bonds.into_iter().enumerate() {
			let Ok(uid) = u16::try_from(slot) else { break };
			if registered_at.get(slot).copied().flatten().is_none() {
				continue;
			}
			if row.is_empty() {
				if stored.get(slot).copied().unwrap_or_default() {
					Bonds::<T>::remove(uid);
				}
				continue;
			}
			// The crate keeps at most `MaxEdgesLimit` bonds: nothing is truncated here.
			Bonds::<T>::insert(uid, (now, BoundedVec::truncate_from(row)));
		}
		let shares: Vec<ConsensusShare> = incentive
			.into_iter()
			.zip(dividends)
			.map(|(incentive, dividends)| ConsensusShare { incentive, dividends })
			.collect();
		ConsensusShares::<T>::put((now, BoundedVec::truncate_from(shares)));
	}

	/// Starts a new period: each neuron's ranked stake becomes the stake it holds now.
	fn reset_ranked_stakes(payouts: &mut PayoutsOf<T>, neurons: &[(u16, NeuronRecordOf<T>)]) {
		for (uid, record) in neurons {
			if let Some(entry) = payouts.get_mut(usize::from(*uid)) {
				entry.ranked_stake = record.held_stake.saturating_add(entry.unsettled_stake);
			}
		}
	}

	/// Mints `amount` into the free balance of neuron `uid`; what was paid (zero on error, which
	/// leaves the share in the pot).
	pub(crate) fn pay_free(
		uid: u16,
		record: &NeuronRecordOf<T>,
		amount: BalanceOf<T>,
	) -> BalanceOf<T> {
		match T::Currency::mint_into(&record.account, amount) {
			Ok(_) => amount,
			Err(error) => {
				log::warn!(
					target: "runtime::incentive",
					"payout of {:?} to uid {} failed, kept in the pot: {:?}",
					amount,
					uid,
					error,
				);
				Zero::zero()
			}
		}
	}

	/// [`Payouts`] with at least `slots` entries: see [`Self::extend_payouts`].
	pub(crate) fn payouts_with_slots(slots: usize) -> PayoutsOf<T> {
		let mut payouts = Payouts::<T>::get();
		Self::extend_payouts(&mut payouts, slots);
		payouts
	}

	/// Neuron `uid`'s entry in `payouts`; the zero entry past the vector's end.
	pub(crate) fn entry_of(payouts: &PayoutsOf<T>, uid: u16) -> NeuronPayout<BalanceOf<T>> {
		payouts.get(usize::from(uid)).copied().unwrap_or_default()
	}

	/// Appends zero entries to `payouts` until it has `slots`, or as many as the bound allows,
	/// which is at least the number of uids.
	pub(crate) fn extend_payouts(payouts: &mut PayoutsOf<T>, slots: usize) {
		while payouts.len() < slots {
			if payouts.try_push(NeuronPayout::default()).is_err() {
				break;
			}
		}
	}
}
