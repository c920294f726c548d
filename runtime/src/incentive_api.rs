//! The runtime's side of `pallet_incentive_runtime_api::IncentiveApi`: reads the incentive
//! pallet's storage and hands it to that crate's view constructors. `apis.rs` forwards each API
//! method to the function of the same name here.
//!
//! Neurons are listed by ascending uid. Each read is of the block's state as committed, so the
//! views of one call agree with each other (e.g. `total_stake` is the sum of the listed stakes).

use alloc::vec::Vec;
use pallet_incentive::{
	counted_edges, registration_blocks, EdgeCount, IncentiveParams, MechanismConfig,
	MechanismParams, NeuronCount, NeuronInfoOf, Neurons, OperatorOffers, Params, PendingEmission,
	TotalBurned, TotalPaid, UidEnd, Weights,
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

/// The view of neuron `uid` with `info` and its stored `edges`; `registered_at` is each uid's
/// registration block as far as `edges` need it ([`registration_blocks`]).
fn view(
	uid: u16,
	info: NeuronInfoOf<Runtime>,
	edges: Vec<(u16, u16)>,
	registered_at: &[Option<BlockNumber>],
	uid_end: u32,
) -> RuntimeNeuronView {
	let counted = counted_edges(uid, info.last_weights_at, &edges, registered_at);
	let mut view = NeuronView::new(uid, info, edges, &counted, uid_end);
	view.operator_offer = OperatorOffers::<Runtime>::get(uid);
	view.bonds = Incentive::bonds_of(uid);
	view
}

/// Neuron `uid`'s stored edges.
fn edges_of(uid: u16) -> Vec<(u16, u16)> {
	Weights::<Runtime>::get(uid).map(|edges| edges.into_inner()).unwrap_or_default()
}

/// `uid_end` as a vector length.
fn slots(uid_end: u32) -> usize {
	usize::try_from(uid_end).unwrap_or_default()
}

/// `IncentiveApi::metagraph`: every neuron, the totals and the parameters.
pub fn metagraph() -> RuntimeMetagraph {
	let uid_end = UidEnd::<Runtime>::get();
	let all = Incentive::neurons();
	let registered_at = registration_blocks(
		slots(uid_end),
		all.iter().map(|(uid, info)| (*uid, info.registered_at)),
	);
	let neurons: Vec<RuntimeNeuronView> = all
		.into_iter()
		.map(|(uid, info)| view(uid, info, edges_of(uid), &registered_at, uid_end))
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
		mechanism: MechanismConfig::<Runtime>::get(),
	}
}

/// `IncentiveApi::neuron`: the neuron at `uid`, if any.
pub fn neuron(uid: u16) -> Option<RuntimeNeuronView> {
	let info = Incentive::neuron(uid)?;
	let uid_end = UidEnd::<Runtime>::get();
	let edges = edges_of(uid);
	// Only the targets' registration blocks are needed, not the whole metagraph.
	let targets = edges.iter().filter_map(|&(target, _)| {
		Neurons::<Runtime>::get(target).map(|record| (target, record.registered_at))
	});
	let registered_at = registration_blocks(slots(uid_end), targets);
	Some(view(uid, info, edges, &registered_at, uid_end))
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
		mechanism: MechanismConfig::<Runtime>::get().mechanism,
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

/// `IncentiveApi::mechanism_params`: the mechanism in force and its parameters.
pub fn mechanism_params() -> MechanismParams<BlockNumber> {
	MechanismConfig::<Runtime>::get()
}

/// `IncentiveApi::registration_fee`: the registration fee in force at this block.
pub fn registration_fee() -> Balance {
	Incentive::registration_fee()
}
