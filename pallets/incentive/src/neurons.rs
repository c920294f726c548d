//! Neurons: uid allocation, registration (with replacement when the network is full), axons,
//! and leaving.
//!
//! Uids are handed out lowest-free-first: [`FreeUids`] lists the holes below [`UidEnd`], and a
//! new uid comes from the holes before `UidEnd` grows. When the highest uid is freed, `UidEnd`
//! shrinks past any free uids below it, so it is always one past the highest uid in use.

use alloc::vec::Vec;
use core::cmp::Reverse;
use frame_support::{defensive, pallet_prelude::*};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_arithmetic::Perquintill;
use sp_runtime::traits::{CheckedAdd, Saturating, Zero};

use crate::{
	AxonInfo, BalanceOf, Bonds, Config, ConsensusShare, ConsensusShares, Error, Event, FreeUids,
	NeuronCount, NeuronInfo, NeuronInfoOf, NeuronPayout, NeuronRecord, NeuronRecordOf, Neurons,
	OperatorOffers, Operators, Pallet, Params, Payouts, PayoutsOf, UidEnd, Uids, WeightCommits,
	WeightInfo,
};

/// What removing a neuron put into unbonding and cleared.
pub(crate) struct RemovedNeuron<AccountId, Balance, BlockNumber> {
	/// The neuron's account.
	pub account: AccountId,
	/// Stake moved into unbonding.
	pub unbonding: Balance,
	/// The block from which it can be withdrawn.
	pub release_at: BlockNumber,
	/// Edges the neuron had posted.
	pub outbound: u32,
}

impl<T: Config> Pallet<T> {
	/// The most neurons there can be when a call that is being validated now executes: the count
	/// grows only up to `max_neurons`, and a lowered `max_neurons` leaves a larger count as it is.
	///
	/// The pre-dispatch weights of `register` and `unregister` scale with it rather than with
	/// `MaxNeuronsLimit`, so that the limit a runtime can afford in storage does not make every
	/// registration priced (and validated against the block limit) as if it were reached.
	pub(crate) fn neuron_bound() -> u32 {
		NeuronCount::<T>::get().max(Params::<T>::get().max_neurons)
	}

	/// Weight of `register` in the state it executes in: a free uid while fewer than
	/// `max_neurons` are registered, else a replacement scanning `neuron_bound` neurons (never
	/// less than the free path, which it includes; the linear fit's intercept can say less in
	/// small networks).
	///
	/// The weight is computed from storage right before the call is applied in a block, so the
	/// path priced is the path taken; a fee quoted earlier (`paymentInfo`) prices the state it
	/// was quoted in. The replacement's actual weight is refunded down to what it scanned.
	pub(crate) fn register_weight() -> Weight {
		if NeuronCount::<T>::get() < Params::<T>::get().max_neurons {
			T::WeightInfo::register()
		} else {
			Self::replacement_weight(Self::neuron_bound())
		}
	}

	/// Weight of a registration that replaces a neuron after scanning `scanned` neurons.
	fn replacement_weight(scanned: u32) -> Weight {
		T::WeightInfo::register_replace(scanned).max(T::WeightInfo::register())
	}

	/// The uid of the neuron `who` owns. An operator key gets `NotOwner`, so that it is told
	/// why it cannot move stake.
	pub(crate) fn owned_uid(who: &T::AccountId) -> Result<u16, Error<T>> {
		match Uids::<T>::get(who) {
			Some(uid) => Ok(uid),
			None if Operators::<T>::contains_key(who) => Err(Error::<T>::NotOwner),
			None => Err(Error::<T>::NotRegistered),
		}
	}

	/// The uid of the neuron `who` operates. An owner that handed the role to another key gets
	/// `NotOperator`.
	pub(crate) fn operated_uid(who: &T::AccountId) -> Result<u16, Error<T>> {
		match Operators::<T>::get(who) {
			Some(uid) => Ok(uid),
			None if Uids::<T>::contains_key(who) => Err(Error::<T>::NotOperator),
			None => Err(Error::<T>::NotRegistered),
		}
	}

	/// The uid of the neuron `who` owns or, failing that, operates.
	pub fn uid_of_account(who: &T::AccountId) -> Option<u16> {
		Uids::<T>::get(who).or_else(|| Operators::<T>::get(who))
	}

	/// Port first, then address.
	pub(crate) fn ensure_valid_axon(axon: &AxonInfo) -> Result<(), Error<T>> {
		ensure!(axon.has_valid_port(), Error::<T>::InvalidAxonPort);
		ensure!(axon.has_valid_ip(), Error::<T>::InvalidAxonIp);
		Ok(())
	}

	/// Registers `who` with `stake` held. All checks come before the first write.
	///
	/// `max_fee: Some(max)` burns the registration fee in force if it is at most `max`, and the
	/// stake ranks from the payout after next (it was not held for the whole of the next
	/// payout's period). `None` is a genesis registration: no fee, and the stake ranks at the
	/// first payout, since it is held from block 0.
	pub(crate) fn do_register(
		who: T::AccountId,
		stake: BalanceOf<T>,
		axon: Option<AxonInfo>,
		max_fee: Option<BalanceOf<T>>,
	) -> DispatchResultWithPostInfo {
		ensure!(!Uids::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
		ensure!(!Operators::<T>::contains_key(&who), Error::<T>::OperatorInUse);
		let params = Params::<T>::get();
		ensure!(stake >= params.min_stake, Error::<T>::StakeBelowMinimum);
		if let Some(axon) = &axon {
			Self::ensure_valid_axon(axon)?;
		}
		let fee = max_fee.map(|max_fee| Self::quote_fee(&params, max_fee)).transpose()?;
		let fee_and_stake =
			stake.checked_add(&fee.unwrap_or_default()).ok_or(Error::<T>::InsufficientBalance)?;
		Self::ensure_can_hold(&who, fee_and_stake)?;

		let now = frame_system::Pallet::<T>::block_number();
		let count = NeuronCount::<T>::get();
		// Read once, written once: a replacement changes the victim's entry too.
		let mut payouts = Payouts::<T>::get();
		let (uid, actual_weight) = if count < params.max_neurons {
			let uid = Self::take_free_uid()?;
			NeuronCount::<T>::put(count.saturating_add(1));
			(uid, T::WeightInfo::register())
		} else {
			let (victim, scanned) =
				Self::replacement_candidate(&payouts, now, params.immunity_period);
			let uid = victim.ok_or(Error::<T>::NetworkFull)?;
			let removed = Self::remove_neuron(&mut payouts, uid)?;
			Self::deposit_event(Event::NeuronReplaced {
				uid,
				old: removed.account,
				new: who.clone(),
				unbonding: removed.unbonding,
				release_at: removed.release_at,
			});
			(uid, Self::replacement_weight(scanned))
		};

		if let Some(fee) = fee {
			Self::burn_fee(&params, &who, fee)?;
		}
		Self::hold_stake(&who, stake)?;
		Neurons::<T>::insert(
			uid,
			NeuronRecord {
				account: who.clone(),
				operator: who.clone(),
				held_stake: stake,
				registered_at: now,
				last_weights_at: None,
				axon,
			},
		);
		// A new neuron starts from the zero entry, with room made for it.
		Self::extend_payouts(&mut payouts, usize::from(uid).saturating_add(1));
		if let Some(entry) = payouts.get_mut(usize::from(uid)) {
			let ranked_stake = if fee.is_none() { stake } else { Zero::zero() };
			*entry = NeuronPayout { ranked_stake, ..NeuronPayout::default() };
		}
		Payouts::<T>::put(payouts);
		Uids::<T>::insert(&who, uid);
		Operators::<T>::insert(&who, uid);
		Self::deposit_event(Event::NeuronRegistered { uid, account: who, stake });
		Ok(Some(actual_weight).into())
	}

	/// Sets the axon of the neuron `who` operates.
	pub(crate) fn do_serve_axon(who: T::AccountId, axon: AxonInfo) -> DispatchResult {
		let uid = Self::operated_uid(&who)?;
		Self::ensure_valid_axon(&axon)?;
		Neurons::<T>::try_mutate(uid, |maybe| -> Result<(), Error<T>> {
			let record = maybe.as_mut().ok_or(Error::<T>::NotRegistered)?;
			record.axon = Some(axon);
			Ok(())
		})?;
		Self::deposit_event(Event::AxonServed { uid, axon });
		Ok(())
	}

	/// The owner `who` offers its neuron's operator role to `operator`, or takes it back when
	/// `operator` is `who`. An offer binds nothing until the key accepts it, so no owner can
	/// tie up someone else's key.
	pub(crate) fn do_set_operator(who: T::AccountId, operator: T::AccountId) -> DispatchResult {
		let uid = Self::owned_uid(&who)?;
		if operator == who {
			let record = Neurons::<T>::get(uid).ok_or(Error::<T>::NotRegistered)?;
			Self::make_operator(uid, record, operator)?;
			OperatorOffers::<T>::remove(uid);
			return Ok(());
		}
		// Checked again on acceptance; here for an early, clear answer.
		Self::ensure_can_operate(&operator, uid)?;
		OperatorOffers::<T>::insert(uid, &operator);
		Self::deposit_event(Event::OperatorOffered { uid, operator });
		Ok(())
	}

	/// `who` accepts the operator role of neuron `uid` owned by `owner`, which offered it.
	/// Naming the owner keeps a key from taking a role at a uid that changed hands between
	/// the offer it saw and its acceptance.
	pub(crate) fn do_accept_operator(
		who: T::AccountId,
		uid: u16,
		owner: T::AccountId,
	) -> DispatchResult {
		let offered = OperatorOffers::<T>::get(uid).as_ref() == Some(&who);
		let record = Neurons::<T>::get(uid).filter(|record| record.account == owner);
		let record = record.filter(|_| offered).ok_or(Error::<T>::NoOperatorOffer)?;
		Self::make_operator(uid, record, who)?;
		OperatorOffers::<T>::remove(uid);
		Ok(())
	}

	/// `key` may operate neuron `uid`: it operates no other neuron (`OperatorInUse`).
	fn ensure_can_operate(key: &T::AccountId, uid: u16) -> Result<(), Error<T>> {
		match Operators::<T>::get(key) {
			Some(operated) if operated != uid => Err(Error::<T>::OperatorInUse),
			_ => Ok(()),
		}
	}

	/// Makes `operator` the operator key of neuron `uid` (whose stored `record` the caller
	/// read), releasing the previous key. The key must not operate another neuron; the index
	/// entry is (re)written either way.
	fn make_operator(
		uid: u16,
		mut record: NeuronRecordOf<T>,
		operator: T::AccountId,
	) -> DispatchResult {
		Self::ensure_can_operate(&operator, uid)?;
		if record.operator != operator {
			Operators::<T>::remove(&record.operator);
			record.operator = operator.clone();
			Neurons::<T>::insert(uid, record);
			// The commit binds the old key, which could neither be revealed by the new one nor
			// be replaced until its window passed: it goes with the old key.
			WeightCommits::<T>::remove(uid);
		}
		Operators::<T>::insert(&operator, uid);
		Self::deposit_event(Event::OperatorSet { uid, operator });
		Ok(())
	}

	/// Removes the neuron `who` owns and frees its uid.
	pub(crate) fn do_unregister(who: T::AccountId) -> DispatchResultWithPostInfo {
		let uid = Self::owned_uid(&who)?;
		let mut payouts = Payouts::<T>::get();
		let removed = Self::remove_neuron(&mut payouts, uid)?;
		Payouts::<T>::put(payouts);
		Self::release_uid(uid);
		NeuronCount::<T>::mutate(|count| *count = count.saturating_sub(1));
		Self::deposit_event(Event::NeuronUnregistered {
			uid,
			account: removed.account,
			unbonding: removed.unbonding,
			release_at: removed.release_at,
		});
		Ok(Some(T::WeightInfo::unregister(removed.outbound)).into())
	}

	/// The neuron a registration into a full network replaces, and how many neurons were looked
	/// at to find it.
	///
	/// Among the neurons whose immunity is over (`registered_at + immunity_period <= now`) it is
	/// the one with the lowest rank from the last payout; ties go to the lowest stake, then to
	/// the highest uid. Neurons that registered after the last payout have rank zero, and a
	/// registrant's own stake first ranks at the payout after next, so an immunity period longer
	/// than twice `tempo` gives each neuron at least one payout that counts its stake.
	pub(crate) fn replacement_candidate(
		payouts: &PayoutsOf<T>,
		now: BlockNumberFor<T>,
		immunity_period: BlockNumberFor<T>,
	) -> (Option<u16>, u32) {
		let mut best: Option<(Perquintill, BalanceOf<T>, Reverse<u16>)> = None;
		let mut scanned = 0u32;
		for (uid, record) in Neurons::<T>::iter() {
			scanned = scanned.saturating_add(1);
			if record.registered_at.saturating_add(immunity_period) > now {
				continue;
			}
			let payout = Self::entry_of(payouts, uid);
			let stake = record.held_stake.saturating_add(payout.unsettled_stake);
			let key = (payout.rank, stake, Reverse(uid));
			if best.as_ref().is_none_or(|current| key < *current) {
				best = Some(key);
			}
		}
		(best.map(|(_, _, Reverse(uid))| uid), scanned)
	}

	/// Deletes the neuron at `uid`: its record, owner and operator indexes and any operator
	/// offer, its stake (all of it into unbonding), its entry in `payouts` (which the caller
	/// stores) and its own edges. Edges to `uid` stay; the next occupant's later
	/// `registered_at` makes them stale. The uid itself and [`NeuronCount`] are left to the
	/// caller, which either frees the uid or reuses it.
	pub(crate) fn remove_neuron(
		payouts: &mut PayoutsOf<T>,
		uid: u16,
	) -> Result<RemovedNeuron<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>, DispatchError> {
		let record = Neurons::<T>::take(uid).ok_or(Error::<T>::NotRegistered)?;
		Uids::<T>::remove(&record.account);
		Operators::<T>::remove(&record.operator);
		OperatorOffers::<T>::remove(uid);
		let (unbonding, release_at) = Self::unbond_all(payouts, uid, &record.account)?;
		if let Some(entry) = payouts.get_mut(usize::from(uid)) {
			*entry = NeuronPayout::default();
		}
		let outbound = Self::clear_edges(uid);
		Bonds::<T>::remove(uid);
		WeightCommits::<T>::remove(uid);
		Ok(RemovedNeuron { account: record.account, unbonding, release_at, outbound })
	}

	/// The last consensus payout's share for neuron `uid`, registered at `registered_at`; zero
	/// if that payout came before the neuron (the uid's earlier occupant earned it).
	pub(crate) fn consensus_share_of(
		shares: &crate::ConsensusSharesOf<T>,
		uid: u16,
		registered_at: BlockNumberFor<T>,
	) -> ConsensusShare {
		let (at, entries) = shares;
		if !crate::edge_counts(Some(*at), registered_at) {
			return ConsensusShare::default();
		}
		entries.get(usize::from(uid)).copied().unwrap_or_default()
	}

	/// Everything about neuron `uid` (its record, payout entry and consensus share), if it is
	/// registered.
	pub fn neuron(uid: u16) -> Option<NeuronInfoOf<T>> {
		let shares = ConsensusShares::<T>::get();
		Neurons::<T>::get(uid).map(|record| {
			let share = Self::consensus_share_of(&shares, uid, record.registered_at);
			NeuronInfo::new(record, Self::payout_of(uid), share)
		})
	}

	/// Neuron `uid`'s payout entry; the zero entry for a uid without one.
	pub fn payout_of(uid: u16) -> NeuronPayout<BalanceOf<T>> {
		Self::entry_of(&Payouts::<T>::get(), uid)
	}

	/// Every registered neuron by ascending uid, each with its payout entry (the vector is read
	/// once for the whole list).
	pub fn neurons() -> Vec<(u16, NeuronInfoOf<T>)> {
		let payouts = Payouts::<T>::get();
		let shares = ConsensusShares::<T>::get();
		let mut neurons: Vec<(u16, NeuronInfoOf<T>)> = Neurons::<T>::iter()
			.map(|(uid, record)| {
				let share = Self::consensus_share_of(&shares, uid, record.registered_at);
				(uid, NeuronInfo::new(record, Self::entry_of(&payouts, uid), share))
			})
			.collect();
		neurons.sort_by_key(|&(uid, _)| uid);
		neurons
	}

	/// The lowest free uid, taken out of the free set.
	fn take_free_uid() -> Result<u16, Error<T>> {
		let mut free = FreeUids::<T>::get();
		if let Some(&lowest) = free.first() {
			free.retain(|uid| *uid != lowest);
			FreeUids::<T>::put(free);
			return Ok(lowest);
		}
		// With no holes, uids `0..end` are all in use, so `end` is the neuron count, which is
		// below `max_neurons <= 65_536`: it fits a u16.
		let end = UidEnd::<T>::get();
		let uid = u16::try_from(end).map_err(|_| Error::<T>::NetworkFull)?;
		UidEnd::<T>::put(end.saturating_add(1));
		Ok(uid)
	}

	/// Puts `uid` back into the free set, shrinking [`UidEnd`] when it was the highest.
	pub(crate) fn release_uid(uid: u16) {
		let mut free = FreeUids::<T>::get();
		let mut end = UidEnd::<T>::get();
		if u32::from(uid).saturating_add(1) == end {
			end = u32::from(uid);
			while let Some(&highest) = free.last() {
				if u32::from(highest).saturating_add(1) != end {
					break;
				}
				free.pop();
				end = u32::from(highest);
			}
			UidEnd::<T>::put(end);
		} else if let Err(position) = free.binary_search(&uid) {
			// Free uids are distinct and below `UidEnd <= MaxNeuronsLimit`, and `uid` was in
			// use, so there is room.
			if free.try_insert(position, uid).is_err() {
				defensive!("free uids exceed MaxNeuronsLimit");
			}
		}
		FreeUids::<T>::put(free);
	}
}
