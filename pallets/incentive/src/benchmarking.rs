//! Benchmarks of the calls and the hook (frame-benchmarking v2).
//!
//! Component names: `n` neurons (uid slots), `e` edges (per neuron for `unregister` and
//! `set_weights`, in all for the hook). Every benchmark sets up its
//! own worst case for the given components.
//!
//! The hook is priced in parts (see `emission.rs`): `on_initialize_payout(n)` is a whole payout
//! block into stake with the ranking held to one pass, `ranking_pass_neurons(n)` is one more
//! pass, `payout_edges(e)` and `ranking_pass_edges(e)` measure what edges add to each (over the
//! most neurons), and `pay_free(n)` is what paying into free balance adds.

use crate::*;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, Mutate},
		Hooks,
	},
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use incentive_ranking::NeuronInput;
use sp_arithmetic::Perquintill;
use sp_runtime::traits::{Bounded, CheckedDiv, Saturating, Zero};

const SEED: u32 = 0;

/// The stake each benchmark neuron registers with: a thousand existential deposits.
fn stake_unit<T: Config>() -> BalanceOf<T> {
	T::Currency::minimum_balance().max(1u32.into()).saturating_mul(1_000u32.into())
}

/// Parameters with every limit at its storage bound, payouts every block into stake, one
/// ranking pass, and neither rate limit nor immunity.
fn bench_params<T: Config>() -> IncentiveParamsOf<T> {
	IncentiveParams {
		emission_per_block: stake_unit::<T>(),
		tempo: 1u32.into(),
		emission_destination: EmissionDestination::Stake,
		max_ranking_passes: 1,
		max_neurons: max_neurons::<T>(),
		max_edges: T::MaxEdgesLimit::get(),
		min_stake: stake_unit::<T>(),
		weights_rate_limit: BlockNumberFor::<T>::from(0u32),
		immunity_period: BlockNumberFor::<T>::from(0u32),
		unbonding_period: BlockNumberFor::<T>::from(1u32),
		// A fee is charged, so `register` pays for the burn.
		registration_fee_floor: stake_unit::<T>(),
		registration_fee_ceiling: stake_unit::<T>().saturating_mul(1_000u32.into()),
		registration_fee_growth_percent: 200,
		registration_fee_half_life: BlockNumberFor::<T>::from(100u32),
	}
}

fn max_neurons<T: Config>() -> u32 {
	T::MaxNeuronsLimit::get().min(MAX_ADDRESSABLE_NEURONS)
}

/// Sets the benchmark parameters with `max_neurons = neurons` and block 1, and makes the
/// [`Payouts`] vector as long as it can be: every call that reads it pays for its longest form.
fn set_up<T: Config>(neurons: u32) {
	let mut params = bench_params::<T>();
	params.max_neurons = neurons.clamp(1, max_neurons::<T>());
	Params::<T>::put(params);
	frame_system::Pallet::<T>::set_block_number(1u32.into());
	Payouts::<T>::put(Pallet::<T>::payouts_with_slots(max_neurons::<T>() as usize));
	// As genesis does; a failure shows as a failed settlement in the benchmark.
	let _ = Pallet::<T>::endow_account();
}

/// Gives neuron `uid` one stake unit of unsettled stake, minted into the pallet's account: the
/// calls that settle it then do their most work.
fn give_unsettled<T: Config>(uid: u16) -> Result<(), BenchmarkError> {
	let amount = stake_unit::<T>();
	T::Currency::mint_into(&Pallet::<T>::account_id(), amount)?;
	let mut payouts = Payouts::<T>::get();
	let entry = payouts.get_mut(usize::from(uid)).ok_or("no payout entry")?;
	entry.unsettled_stake = entry.unsettled_stake.saturating_add(amount);
	Payouts::<T>::put(payouts);
	Ok(())
}

/// Neuron `uid`'s whole stake.
fn stake_of<T: Config>(uid: u16) -> BalanceOf<T> {
	Pallet::<T>::neuron(uid).map(|info| info.stake).unwrap_or_default()
}

/// Gives `who` plenty to stake.
fn fund<T: Config>(who: &T::AccountId) {
	let amount =
		BalanceOf::<T>::max_value().min(stake_unit::<T>().saturating_mul(1_000_000u32.into()));
	T::Currency::set_balance(who, amount);
}

/// The whitelisted caller, funded.
fn caller<T: Config>() -> T::AccountId {
	let who: T::AccountId = whitelisted_caller();
	fund::<T>(&who);
	who
}

/// Registers `who` with one stake unit; returns its uid.
fn register_one<T: Config>(who: &T::AccountId) -> Result<u16, BenchmarkError> {
	fund::<T>(who);
	Pallet::<T>::do_register(
		who.clone(),
		stake_unit::<T>(),
		Some(AxonInfo::ipv4([10, 0, 0, 1], 8091, 1)),
		None,
	)?;
	Ok(Uids::<T>::get(who).ok_or("registration failed")?)
}

/// Registers `count` fresh accounts; returns them in uid order.
fn register_many<T: Config>(count: u32) -> Result<Vec<T::AccountId>, BenchmarkError> {
	let mut accounts = Vec::new();
	for index in 0..count {
		let who: T::AccountId = account("neuron", index, SEED);
		register_one::<T>(&who)?;
		accounts.push(who);
	}
	Ok(accounts)
}

/// `count` edges `(uid, 1)` to the uids of `targets`.
fn edges_to(targets: impl Iterator<Item = u32>) -> Vec<(u16, u16)> {
	targets.filter_map(|target| u16::try_from(target).ok()).map(|target| (target, 1)).collect()
}

/// `total` edges spread over `neurons` neurons as evenly as the per-neuron bound allows; neuron
/// `k` points at `k + 1, k + 2, ...` (mod `neurons`).
fn spread_edges<T: Config>(neurons: u32, total: u32) -> Vec<Vec<(u16, u16)>> {
	let per_neuron = T::MaxEdgesLimit::get().min(neurons);
	let total = total.min(neurons.saturating_mul(per_neuron));
	let base = total.checked_div(neurons).unwrap_or(0);
	let extra = total.checked_rem(neurons).unwrap_or(0);
	(0..neurons)
		.map(|source| {
			let count = if source < extra { base.saturating_add(1) } else { base };
			edges_to(
				(1..=count).filter_map(|step| source.saturating_add(step).checked_rem(neurons)),
			)
		})
		.collect()
}

/// `n` registered neurons with `e` edges in all (each neuron's first edge a self weight, so
/// that every neuron keeps some stake in one pass and is paid), and a pot to pay.
fn set_up_payout<T: Config>(n: u32, e: u32) -> Result<(), BenchmarkError> {
	set_up::<T>(n);
	register_many::<T>(n)?;
	let mut total = 0u32;
	for (slot, mut edges) in spread_edges::<T>(n, e).into_iter().enumerate() {
		total = total.saturating_add(u32::try_from(edges.len()).unwrap_or(u32::MAX));
		if let (Ok(uid), false) = (u16::try_from(slot), edges.is_empty()) {
			if let Some(first) = edges.first_mut() {
				*first = (uid, 1);
			}
			let bounded: EdgesOf<T> = edges.try_into().map_err(|_| "too many edges")?;
			Weights::<T>::insert(uid, bounded);
		}
	}
	EdgeCount::<T>::put(total);
	PendingEmission::<T>::put(stake_unit::<T>().saturating_mul(n.into()));
	Ok(())
}

/// The caller's neuron with the most edges there can be, all to uids `1..=MaxEdgesLimit`, and
/// `e` new edges for it to the highest uids (disjoint from the old when there are enough
/// neurons): `(caller, its uid, the new edges)`.
fn set_up_reweighting<T: Config>(
	e: u32,
) -> Result<(T::AccountId, u16, Vec<(u16, u16)>), BenchmarkError> {
	let most = T::MaxEdgesLimit::get();
	let neurons = most.saturating_add(e).saturating_add(1).min(max_neurons::<T>());
	set_up::<T>(neurons);
	let caller = caller::<T>();
	let uid = register_one::<T>(&caller)?;
	register_many::<T>(neurons.saturating_sub(1))?;
	Pallet::<T>::do_set_weights(caller.clone(), edges_to(1..most.saturating_add(1).min(neurons)))?;
	Ok((caller, uid, edges_to((1..neurons).rev().take(e as usize))))
}

/// A consensus payout's worst case: `n` neurons with `e` edges in all to other neurons (no self
/// weights, which consensus ignores) and every neuron holding the most bonds it can keep, in
/// other uids, computed at block 1 so that they count at the payout in block 2.
fn set_up_consensus<T: Config>(n: u32, e: u32) -> Result<(), BenchmarkError> {
	set_up::<T>(n);
	MechanismConfig::<T>::mutate(|m| m.mechanism = Mechanism::Consensus);
	frame_system::Pallet::<T>::set_block_number(0u32.into());
	register_many::<T>(n)?;
	let mut total = 0u32;
	for (slot, edges) in spread_edges::<T>(n, e).into_iter().enumerate() {
		total = total.saturating_add(u32::try_from(edges.len()).unwrap_or(u32::MAX));
		let uid = u16::try_from(slot).map_err(|_| "uid")?;
		let targets = (1..n).filter_map(|step| u32::from(uid).saturating_add(step).checked_rem(n));
		let bonds: Vec<(u16, u64)> = targets
			.take(T::MaxEdgesLimit::get() as usize)
			.filter_map(|target| u16::try_from(target).ok())
			.map(|target| (target, 1u64 << 20))
			.collect();
		let mut bonds = bonds;
		bonds.sort_unstable();
		Bonds::<T>::insert(
			uid,
			(BlockNumberFor::<T>::from(1u32), BoundedVec::truncate_from(bonds)),
		);
		if !edges.is_empty() {
			let bounded: EdgesOf<T> = edges.try_into().map_err(|_| "too many edges")?;
			Weights::<T>::insert(uid, bounded);
		}
	}
	EdgeCount::<T>::put(total);
	PendingEmission::<T>::put(stake_unit::<T>().saturating_mul(n.into()));
	frame_system::Pallet::<T>::set_block_number(2u32.into());
	Ok(())
}

/// The consensus payout of block 2 ran.
fn ensure_consensus_ran<T: Config>() -> Result<(), BenchmarkError> {
	ensure!(ConsensusShares::<T>::get().0 == 2u32.into(), "no consensus payout");
	Ok(())
}

/// Every one of the `n` neurons got a share at the last payout.
fn ensure_all_paid<T: Config>(n: u32) -> Result<(), BenchmarkError> {
	let paid = Payouts::<T>::get().iter().filter(|entry| !entry.last_emission.is_zero()).count();
	ensure!(paid == n as usize, "not every neuron was paid");
	Ok(())
}

/// The walk's input for neurons with `edges` and equal stake.
fn ranking_graph(edges: &[Vec<(u16, u16)>]) -> incentive_ranking::RankingGraph {
	let inputs: Vec<NeuronInput<'_>> = edges
		.iter()
		.map(|weights| NeuronInput { stake: 1_000_000_000_000, weights: weights.as_slice() })
		.collect();
	incentive_ranking::RankingGraph::new(&inputs)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// Registration into a free uid taken from the longest possible list of free uids.
	#[benchmark]
	fn register() -> Result<(), BenchmarkError> {
		let limit = max_neurons::<T>();
		set_up::<T>(limit);
		// Fill every uid, then free all but the last two: the longest free list.
		let accounts = register_many::<T>(limit)?;
		for who in accounts.iter().take(limit.saturating_sub(2) as usize) {
			Pallet::<T>::do_unregister(who.clone())?;
		}
		let caller = caller::<T>();
		let stake = stake_unit::<T>();

		#[extrinsic_call]
		_(
			RawOrigin::Signed(caller.clone()),
			stake,
			Some(AxonInfo::ipv4([10, 0, 0, 2], 8091, 1)),
			BalanceOf::<T>::max_value(),
		);

		ensure!(Uids::<T>::get(&caller) == Some(0), "caller did not take the lowest free uid");
		Ok(())
	}

	/// Registration into a full network of `n` neurons, replacing one that has the most edges,
	/// while every other neuron points at it (those edges stay, stale, at no cost).
	#[benchmark]
	fn register_replace(n: Linear<1, { max_neurons::<T>() }>) -> Result<(), BenchmarkError> {
		set_up::<T>(n);
		let accounts = register_many::<T>(n)?;
		// All ranks are zero and all stakes equal, so the highest uid is replaced.
		let victim = n.saturating_sub(1);
		let victim_account = accounts.last().ok_or("no neurons")?.clone();
		let out_degree = T::MaxEdgesLimit::get().min(n);
		Pallet::<T>::do_set_weights(victim_account.clone(), edges_to(0..out_degree))?;
		for who in accounts.iter().take(victim as usize) {
			Pallet::<T>::do_set_weights(who.clone(), edges_to(core::iter::once(victim)))?;
		}
		let caller = caller::<T>();
		let stake = stake_unit::<T>();
		// The victim's unsettled stake goes to its account too. Every neuron gets the same, so
		// that stakes stay equal (ranks are all zero) and the highest uid is still the victim.
		for uid in 0..n {
			give_unsettled::<T>(u16::try_from(uid).map_err(|_| "uid")?)?;
		}

		#[extrinsic_call]
		register(RawOrigin::Signed(caller.clone()), stake, None, BalanceOf::<T>::max_value());

		ensure!(Uids::<T>::get(&caller) == u16::try_from(victim).ok(), "victim not replaced");
		ensure!(!Uids::<T>::contains_key(&victim_account), "victim still registered");
		Ok(())
	}

	#[benchmark]
	fn serve_axon() -> Result<(), BenchmarkError> {
		set_up::<T>(max_neurons::<T>());
		let caller = caller::<T>();
		let uid = register_one::<T>(&caller)?;
		let axon =
			AxonInfo::ipv6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 443, 2);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), axon);

		ensure!(Neurons::<T>::get(uid).and_then(|info| info.axon) == Some(axon), "axon not set");
		Ok(())
	}

	#[benchmark]
	fn add_stake() -> Result<(), BenchmarkError> {
		set_up::<T>(max_neurons::<T>());
		let caller = caller::<T>();
		let uid = register_one::<T>(&caller)?;
		give_unsettled::<T>(uid)?;
		let amount = stake_unit::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), amount);

		let expected = stake_unit::<T>().saturating_mul(2u32.into()).saturating_add(amount);
		ensure!(stake_of::<T>(uid) == expected, "stake not added");
		ensure!(Pallet::<T>::payout_of(uid).unsettled_stake.is_zero(), "stake not settled");
		Ok(())
	}

	#[benchmark]
	fn remove_stake() -> Result<(), BenchmarkError> {
		set_up::<T>(max_neurons::<T>());
		let caller = caller::<T>();
		let uid = register_one::<T>(&caller)?;
		let amount = stake_unit::<T>();
		Pallet::<T>::do_add_stake(caller.clone(), amount)?;
		give_unsettled::<T>(uid)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), amount);

		ensure!(stake_of::<T>(uid) == stake_unit::<T>().saturating_mul(2u32.into()), "not removed");
		ensure!(Pallet::<T>::payout_of(uid).unsettled_stake.is_zero(), "stake not settled");
		Ok(())
	}

	/// Leaving with `e` edges of its own, while every other neuron points at the leaver.
	#[benchmark]
	fn unregister(e: Linear<0, { T::MaxEdgesLimit::get() }>) -> Result<(), BenchmarkError> {
		let neurons = e.max(1).min(max_neurons::<T>());
		set_up::<T>(neurons);
		let caller = caller::<T>();
		let uid = register_one::<T>(&caller)?;
		let others = register_many::<T>(neurons.saturating_sub(1))?;
		Pallet::<T>::do_set_weights(caller.clone(), edges_to(0..e.min(neurons)))?;
		for who in &others {
			Pallet::<T>::do_set_weights(who.clone(), edges_to(core::iter::once(u32::from(uid))))?;
		}
		give_unsettled::<T>(uid)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));

		ensure!(!Uids::<T>::contains_key(&caller), "still registered");
		ensure!(Weights::<T>::get(uid).is_none(), "the leaver's edges remain");
		Ok(())
	}

	/// Posting `e` edges over the most edges there can be, all to other targets.
	#[benchmark]
	fn set_weights(e: Linear<0, { T::MaxEdgesLimit::get() }>) -> Result<(), BenchmarkError> {
		let (caller, uid, new) = set_up_reweighting::<T>(e)?;
		let posted = new.len();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), new);

		ensure!(
			Weights::<T>::get(uid).map(|edges| edges.len()).unwrap_or(0) == posted,
			"weights not set"
		);
		Ok(())
	}

	/// Offering the operator role to a fresh key.
	#[benchmark]
	fn set_operator() -> Result<(), BenchmarkError> {
		set_up::<T>(max_neurons::<T>());
		let caller = caller::<T>();
		let uid = register_one::<T>(&caller)?;
		let operator: T::AccountId = account("operator", 0, SEED);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), operator.clone());

		ensure!(OperatorOffers::<T>::get(uid) == Some(operator), "operator not offered");
		Ok(())
	}

	/// A fresh key accepting the operator role it was offered.
	#[benchmark]
	fn accept_operator() -> Result<(), BenchmarkError> {
		set_up::<T>(max_neurons::<T>());
		let owner = caller::<T>();
		let uid = register_one::<T>(&owner)?;
		let operator: T::AccountId = account("operator", 0, SEED);
		Pallet::<T>::do_set_operator(owner.clone(), operator.clone())?;

		#[extrinsic_call]
		_(RawOrigin::Signed(operator.clone()), uid, owner);

		ensure!(Operators::<T>::get(&operator) == Some(uid), "operator not set");
		Ok(())
	}

	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let update = IncentiveParamsUpdate {
			emission_per_block: Some(stake_unit::<T>()),
			tempo: Some(2u32.into()),
			emission_destination: Some(EmissionDestination::Free),
			// One pass and half the neurons: at the most neurons and edges the worst payout (of
			// either mechanism, into free balance) may not fit half a block in a real runtime
			// (`PayoutTooHeavy`), and the checks cost the same at any size.
			max_ranking_passes: Some(1),
			max_neurons: Some(max_neurons::<T>().saturating_div(2).max(1)),
			max_edges: Some(T::MaxEdgesLimit::get()),
			min_stake: Some(stake_unit::<T>()),
			weights_rate_limit: Some(1u32.into()),
			immunity_period: Some(1u32.into()),
			unbonding_period: Some(2u32.into()),
			registration_fee_floor: Some(stake_unit::<T>()),
			registration_fee_ceiling: Some(stake_unit::<T>().saturating_mul(10u32.into())),
			registration_fee_growth_percent: Some(150),
			registration_fee_half_life: Some(10u32.into()),
			mechanism: Some(Mechanism::Consensus),
			kappa: Some(Perquintill::from_percent(60)),
			bond_alpha: Some(Perquintill::from_percent(20)),
			dividend_share: Some(Perquintill::from_percent(40)),
			commit_reveal_required: Some(true),
			reveal_delay: Some(2u32.into()),
			reveal_window: Some(3u32.into()),
		};

		#[extrinsic_call]
		_(RawOrigin::Root, update);

		ensure!(Params::<T>::get().tempo == 2u32.into(), "params not set");
		Ok(())
	}

	/// A payout block with no neurons: the most the hook does without paying.
	#[benchmark]
	fn on_initialize_idle() -> Result<(), BenchmarkError> {
		set_up::<T>(max_neurons::<T>());
		let block: BlockNumberFor<T> = 1u32.into();

		#[block]
		{
			Pallet::<T>::on_initialize(block);
		}

		ensure!(PendingEmission::<T>::get() == stake_unit::<T>(), "emission not accrued");
		Ok(())
	}

	/// A payout to `n` neurons with no edges (each keeps its own stake, so every neuron is
	/// paid), into stake, ranked in one pass. See `payout_edges` for what edges add.
	#[benchmark]
	fn on_initialize_payout(n: Linear<1, { max_neurons::<T>() }>) -> Result<(), BenchmarkError> {
		set_up_payout::<T>(n, 0)?;

		#[block]
		{
			Pallet::<T>::on_initialize(1u32.into());
		}

		ensure_all_paid::<T>(n)
	}

	/// A payout to the most neurons with `e` edges in all. The hook charges what `e` edges add,
	/// `payout_edges(e) - payout_edges(0)`, on top of `on_initialize_payout(n)`: sweeping `n`
	/// and `e` in one benchmark cannot work, since `n` neurons hold at most `n · min(n,
	/// MaxEdgesLimit)` edges and the fit would be given edge counts the graph does not have.
	#[benchmark]
	fn payout_edges(
		e: Linear<0, { max_neurons::<T>().saturating_mul(T::MaxEdgesLimit::get()) }>,
	) -> Result<(), BenchmarkError> {
		let n = max_neurons::<T>();
		set_up_payout::<T>(n, e)?;

		#[block]
		{
			Pallet::<T>::on_initialize(1u32.into());
		}

		ensure_all_paid::<T>(n)
	}

	/// What paying into free balance adds to a payout to `n` neurons: a mint into each
	/// neuron's account (through the hook's own code path, `pay_free`).
	#[benchmark]
	fn consensus_payout(n: Linear<1, { max_neurons::<T>() }>) -> Result<(), BenchmarkError> {
		// One edge per neuron, to the next: every neuron is evaluated and evaluates.
		set_up_consensus::<T>(n, n)?;

		#[block]
		{
			Pallet::<T>::on_initialize(2u32.into());
		}

		ensure_consensus_ran::<T>()
	}

	#[benchmark]
	fn consensus_payout_edges(
		e: Linear<0, { max_neurons::<T>().saturating_mul(T::MaxEdgesLimit::get()) }>,
	) -> Result<(), BenchmarkError> {
		set_up_consensus::<T>(max_neurons::<T>(), e)?;

		#[block]
		{
			Pallet::<T>::on_initialize(2u32.into());
		}

		ensure_consensus_ran::<T>()
	}

	#[benchmark]
	fn commit_weights() -> Result<(), BenchmarkError> {
		set_up::<T>(1);
		let caller = caller::<T>();
		let uid = register_one::<T>(&caller)?;
		// An expired commit to replace: the longest path.
		WeightCommits::<T>::insert(uid, WeightCommit { hash: [1; 32], at: 0u32.into() });
		let (_, last) = Pallet::<T>::reveal_window_of(0u32.into());
		frame_system::Pallet::<T>::set_block_number(last.saturating_add(1u32.into()));

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), [2; 32]);

		ensure!(WeightCommits::<T>::get(uid).map(|c| c.hash) == Some([2; 32]), "not committed");
		Ok(())
	}

	#[benchmark]
	fn reveal_weights(e: Linear<0, { T::MaxEdgesLimit::get() }>) -> Result<(), BenchmarkError> {
		// As `set_weights`: old edges to replace, new ones to other uids.
		let (caller, uid, new) = set_up_reweighting::<T>(e)?;
		let posted = new.len();
		let salt = [7u8; 32];
		// Committed in the block after the targets registered, so every entry counts.
		frame_system::Pallet::<T>::set_block_number(2u32.into());
		let now = frame_system::Pallet::<T>::block_number();
		let hash = Pallet::<T>::weights_hash(&caller, &new, &salt);
		WeightCommits::<T>::insert(uid, WeightCommit { hash, at: now });
		let (first, _) = Pallet::<T>::reveal_window_of(now);
		let rate = Params::<T>::get().weights_rate_limit;
		frame_system::Pallet::<T>::set_block_number(first.max(now.saturating_add(rate)));

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), new, salt);

		ensure!(
			Weights::<T>::get(uid).map(|edges| edges.len()).unwrap_or(0) == posted,
			"weights not revealed"
		);
		Ok(())
	}

	#[benchmark]
	fn pay_free(n: Linear<1, { max_neurons::<T>() }>) -> Result<(), BenchmarkError> {
		set_up::<T>(n);
		register_many::<T>(n)?;
		let neurons: Vec<(u16, NeuronRecordOf<T>)> = Neurons::<T>::iter().collect();
		let amount = stake_unit::<T>();

		#[block]
		{
			for (uid, record) in &neurons {
				Pallet::<T>::pay_free(*uid, record, amount);
			}
		}

		let account = &neurons.first().ok_or("no neurons")?.1.account;
		ensure!(T::Currency::balance(account) > amount, "not paid");
		Ok(())
	}

	/// One pass of the ranking walk over `n` neurons without edges. The weights are normalized
	/// before the measured block, and the ranks' division per neuron is not in it: both run once
	/// per ranking, which the payout benchmarks pay for. The walk's per-call set-up is in it, so
	/// it bounds one extra pass from above. See `ranking_pass_edges` for what edges add.
	#[benchmark]
	fn ranking_pass_neurons(n: Linear<1, { max_neurons::<T>() }>) -> Result<(), BenchmarkError> {
		let edges = spread_edges::<T>(n, 0);
		let graph = ranking_graph(&edges);

		#[block]
		{
			core::hint::black_box(graph.absorb(1));
		}

		ensure!(graph.absorb(1).passes == 1, "not one pass");
		Ok(())
	}

	/// One pass of the walk over the most neurons with `e` edges in all; the hook charges
	/// `ranking_pass_edges(e) - ranking_pass_edges(0)` per pass on top of
	/// `ranking_pass_neurons(n)` (see `payout_edges` for why).
	#[benchmark]
	fn ranking_pass_edges(
		e: Linear<0, { max_neurons::<T>().saturating_mul(T::MaxEdgesLimit::get()) }>,
	) -> Result<(), BenchmarkError> {
		let edges = spread_edges::<T>(max_neurons::<T>(), e);
		let graph = ranking_graph(&edges);

		#[block]
		{
			core::hint::black_box(graph.absorb(1));
		}

		ensure!(graph.absorb(1).passes == 1, "not one pass");
		Ok(())
	}

	/// Withdrawing the most unbonding chunks an account can have, all due.
	#[benchmark]
	fn withdraw_unbonded() -> Result<(), BenchmarkError> {
		set_up::<T>(max_neurons::<T>());
		let caller = caller::<T>();
		register_one::<T>(&caller)?;
		Pallet::<T>::do_add_stake(caller.clone(), stake_unit::<T>())?;
		let chunks = <MaxUnbondingChunks as Get<u32>>::get();
		let piece = stake_unit::<T>().checked_div(&chunks.into()).unwrap_or_default();
		for block in 1..=chunks {
			frame_system::Pallet::<T>::set_block_number(block.into());
			Pallet::<T>::do_remove_stake(caller.clone(), piece.max(1u32.into()))?;
		}
		frame_system::Pallet::<T>::set_block_number(chunks.saturating_add(10).into());

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));

		ensure!(Unbonding::<T>::get(&caller).is_empty(), "chunks left");
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::tests::new_test_ext(), crate::tests::Test);
}
