//! The runtime's side of `pallet_incentive_runtime_api::IncentiveApi`: reads the incentive
//! pallet's storage and hands it to that crate's view constructors. `apis.rs` forwards each API
//! method to the function of the same name here.
//!
//! Neurons are listed by ascending uid. Each read is of the block's state as committed, so the
//! views of one call agree with each other (e.g. `total_stake` is the sum of the listed stakes).

use alloc::vec::Vec;
use pallet_incentive::{
	counted_edges, EdgeCount, IncentiveParams, NeuronCount, NeuronInfoOf, Neurons, OperatorOffers,
	Params,
	PendingEmission, TotalBurned, TotalPaid, UidEnd, Weights,
};
use pallet_incentive_runtime_api::{
	next_payout_block, total_stake, Emissions, Metagraph, NeuronEmission, NeuronView,
};

use crate::{AccountId, Balance, BlockNumber, Incentive, Runtime, System};

/// [`NeuronView`] with the runtime's types.
pub type RuntimeNeuronView = NeuronView<AccountId, Balance, BlockNumber>;

/// [`Metagraph`] with the runtime's types.
pub type RuntimeMetagraph = Metagraph<AccountId, Balance, BlockNumber>;

/// [`Emissions`] with the runtime's types.
pub type RuntimeEmissions = Emissions<AccountId, Balance, BlockNumber>;

/// Each uid's registration block up to `uid_end`, `None` for empty uids: which edges count.
fn registration_blocks(
	neurons: &[(u16, NeuronInfoOf<Runtime>)],
	uid_end: u32,
) -> Vec<Option<BlockNumber>> {
	let mut blocks = alloc::vec![None; usize::try_from(uid_end).unwrap_or_default()];
	for (uid, info) in neurons {
		if let Some(block) = blocks.get_mut(usize::from(*uid)) {
			*block = Some(info.registered_at);
		}
	}
	blocks
}

/// The view of neuron `uid` with `info`, reading its posted weights; `registered_at` is
/// [`registration_blocks`].
fn view(
	uid: u16,
	info: NeuronInfoOf<Runtime>,
	registered_at: &[Option<BlockNumber>],
	uid_end: u32,
) -> RuntimeNeuronView {
	let edges = Weights::<Runtime>::get(uid).map(|edges| edges.into_inner()).unwrap_or_default();
	let counted = counted_edges(uid, info.last_weights_at, &edges, registered_at);
	let mut view = NeuronView::new(uid, info, edges, &counted, uid_end);
	view.operator_offer = OperatorOffers::<Runtime>::get(uid);
	view
}

/// `IncentiveApi::metagraph`: every neuron, the totals and the parameters.
pub fn metagraph() -> RuntimeMetagraph {
	let uid_end = UidEnd::<Runtime>::get();
	let all = Incentive::neurons();
	let registered_at = registration_blocks(&all, uid_end);
	let neurons: Vec<RuntimeNeuronView> = all
		.into_iter()
		.map(|(uid, info)| view(uid, info, &registered_at, uid_end))
		.collect();
	Metagraph {
		block: System::block_number(),
		total_stake: total_stake(&neurons),
		neurons,
		neuron_count: NeuronCount::<Runtime>::get(),
		edge_count: EdgeCount::<Runtime>::get(),
		pending_emission: PendingEmission::<Runtime>::get(),
		total_paid: TotalPaid::<Runtime>::get(),
		registration_fee: Incentive::registration_fee(),
		total_burned: TotalBurned::<Runtime>::get(),
		params: Params::<Runtime>::get(),
	}
}

/// `IncentiveApi::neuron`: the neuron at `uid`, if any.
pub fn neuron(uid: u16) -> Option<RuntimeNeuronView> {
	let info = Incentive::neuron(uid)?;
	let uid_end = UidEnd::<Runtime>::get();
	// Only the targets' registration blocks are needed, not the whole metagraph.
	let mut registered_at = alloc::vec![None; usize::try_from(uid_end).unwrap_or_default()];
	for (target, _) in Weights::<Runtime>::get(uid).unwrap_or_default() {
		if let Some(block) = registered_at.get_mut(usize::from(target)) {
			*block = Neurons::<Runtime>::get(target).map(|record| record.registered_at);
		}
	}
	Some(view(uid, info, &registered_at, uid_end))
}

/// `IncentiveApi::neuron_by_account`: the neuron `account` owns or, failing that, operates.
pub fn neuron_by_account(account: AccountId) -> Option<RuntimeNeuronView> {
	neuron(Incentive::uid_of_account(&account)?)
}

/// `IncentiveApi::emissions`: the pot, the payout schedule and each neuron's emission.
pub fn emissions() -> RuntimeEmissions {
	let block = System::block_number();
	let params = Params::<Runtime>::get();
	Emissions {
		block,
		emission_per_block: params.emission_per_block,
		tempo: params.tempo,
		emission_destination: params.emission_destination,
		next_payout_block: next_payout_block(block, params.tempo),
		pending_emission: PendingEmission::<Runtime>::get(),
		total_paid: TotalPaid::<Runtime>::get(),
		neurons: Incentive::neurons()
			.into_iter()
			.map(|(uid, info)| NeuronEmission::new(uid, info))
			.collect(),
	}
}

/// `IncentiveApi::params`: the parameters in force.
pub fn params() -> IncentiveParams<Balance, BlockNumber> {
	Params::<Runtime>::get()
}

/// `IncentiveApi::registration_fee`: the registration fee in force at this block.
pub fn registration_fee() -> Balance {
	Incentive::registration_fee()
}
