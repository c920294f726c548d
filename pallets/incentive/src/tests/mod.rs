//! Tests of the pallet: a mock runtime (frame-system, pallet-balances and this pallet), an
//! [`ExtBuilder`] for balances and parameters, and one file per concern.

#![allow(
	clippy::arithmetic_side_effects,
	clippy::indexing_slicing,
	clippy::unwrap_used,
	clippy::expect_used
)]

use crate::{self as pallet_incentive, AxonInfo, EmissionDestination, IncentiveParams};
use frame_support::{
	assert_ok, derive_impl,
	traits::{fungible::InspectHold, ConstU128, ConstU32},
};
use sp_runtime::BuildStorage;

mod commit_reveal;
mod consensus;
mod emission;
mod example;
mod fee;
mod graph;
mod migrations;
mod neurons;
mod operator;
mod params;
mod properties;
mod stake;
mod stale;
mod unbonding;
mod view;

type Block = frame_system::mocking::MockBlock<Test>;

/// Account ids of the mock.
pub type AccountId = u64;
/// Balances of the mock (u128, as in the runtime).
pub type Balance = u128;
/// Block numbers of the mock.
pub type BlockNumber = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Incentive: pallet_incentive,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type ExistentialDeposit = ConstU128<1>;
	type AccountStore = System;
}

/// Storage bound on uids in the mock.
pub const MAX_NEURONS_LIMIT: u32 = 64;
/// Storage bound on edges per neuron in the mock.
pub const MAX_EDGES_LIMIT: u32 = 16;

impl pallet_incentive::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MaxNeuronsLimit = ConstU32<MAX_NEURONS_LIMIT>;
	type MaxEdgesLimit = ConstU32<MAX_EDGES_LIMIT>;
	type PalletId = IncentivePalletId;
	type WeightInfo = ();
}

frame_support::parameter_types! {
	pub const IncentivePalletId: frame_support::PalletId = frame_support::PalletId(*b"tsr/incv");
}

/// Free balance of each endowed account.
pub const ENDOWMENT: Balance = 1_000_000;
/// `min_stake` of the test parameters.
pub const MIN_STAKE: Balance = 100;
/// `emission_per_block` of the test parameters.
pub const EMISSION: Balance = 1_000;
/// `tempo` of the test parameters.
pub const TEMPO: BlockNumber = 10;
/// `weights_rate_limit` of the test parameters.
pub const RATE_LIMIT: BlockNumber = 5;
/// `immunity_period` of the test parameters.
pub const IMMUNITY: BlockNumber = 20;
/// `unbonding_period` of the test parameters.
pub const UNBONDING: BlockNumber = 15;

/// The parameters most tests run with.
pub fn test_params() -> IncentiveParams<Balance, BlockNumber> {
	IncentiveParams {
		emission_per_block: EMISSION,
		tempo: TEMPO,
		emission_destination: EmissionDestination::Stake,
		max_ranking_passes: 100,
		max_neurons: 8,
		max_edges: 4,
		min_stake: MIN_STAKE,
		weights_rate_limit: RATE_LIMIT,
		immunity_period: IMMUNITY,
		unbonding_period: UNBONDING,
		// No fee unless a test asks for one (`fee.rs` tests the fee).
		registration_fee_floor: 0,
		registration_fee_ceiling: 0,
		registration_fee_growth_percent: 200,
		registration_fee_half_life: 10,
	}
}

/// Builds test externalities: endowed accounts and incentive parameters, at block 1.
pub struct ExtBuilder {
	balances: Vec<(AccountId, Balance)>,
	params: IncentiveParams<Balance, BlockNumber>,
	neurons: Vec<pallet_incentive::GenesisNeuron<AccountId, Balance>>,
	mechanism: pallet_incentive::MechanismParams<BlockNumber>,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self {
			balances: (1..=40).map(|who| (who, ENDOWMENT)).collect(),
			params: test_params(),
			neurons: Vec::new(),
			mechanism: Default::default(),
		}
	}
}

impl ExtBuilder {
	/// Replaces the endowed accounts.
	pub fn balances(mut self, balances: Vec<(AccountId, Balance)>) -> Self {
		self.balances = balances;
		self
	}

	/// Replaces the parameters.
	pub fn params(mut self, params: IncentiveParams<Balance, BlockNumber>) -> Self {
		self.params = params;
		self
	}

	/// Registers neurons at genesis: `(account, stake, weights)`.
	pub fn neurons(
		mut self,
		neurons: Vec<pallet_incentive::GenesisNeuron<AccountId, Balance>>,
	) -> Self {
		self.neurons = neurons;
		self
	}

	/// Changes the parameters.
	pub fn with_params(
		mut self,
		change: impl FnOnce(&mut IncentiveParams<Balance, BlockNumber>),
	) -> Self {
		change(&mut self.params);
		self
	}

	/// Changes the mechanism parameters.
	pub fn with_mechanism(
		mut self,
		change: impl FnOnce(&mut pallet_incentive::MechanismParams<BlockNumber>),
	) -> Self {
		change(&mut self.mechanism);
		self
	}

	/// The externalities, at block 1 (events are only recorded from block 1 on).
	pub fn build(self) -> sp_io::TestExternalities {
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_balances::GenesisConfig::<Test> { balances: self.balances, ..Default::default() }
			.assimilate_storage(&mut storage)
			.unwrap();
		pallet_incentive::GenesisConfig::<Test> {
			params: self.params,
			neurons: self.neurons,
			mechanism_params: self.mechanism,
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Runs `test`, then checks the pallet's storage invariants.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			assert_ok!(Incentive::do_try_state());
		});
	}
}

/// The default externalities (for the benchmark test suite).
#[cfg_attr(not(feature = "runtime-benchmarks"), allow(dead_code))]
pub fn new_test_ext() -> sp_io::TestExternalities {
	ExtBuilder::default().build()
}

/// The events this pallet deposited so far.
pub fn incentive_events() -> Vec<pallet_incentive::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Incentive(event) => Some(event),
			_ => None,
		})
		.collect()
}

/// The last event this pallet deposited.
pub fn last_incentive_event() -> pallet_incentive::Event<Test> {
	incentive_events().pop().expect("an incentive event")
}

/// Registers `who` with `stake` and no axon, paying whatever fee is in force.
pub fn register(who: AccountId, stake: Balance) -> u16 {
	assert_ok!(Incentive::register(RuntimeOrigin::signed(who), stake, None, Balance::MAX));
	pallet_incentive::Uids::<Test>::get(who).expect("registered")
}

/// Posts `weights` for `who`.
pub fn set_weights(who: AccountId, weights: Vec<(u16, u16)>) {
	assert_ok!(Incentive::set_weights(RuntimeOrigin::signed(who), weights));
}

/// Runs blocks up to and including `n` (hooks of every pallet).
pub fn run_to_block(n: BlockNumber) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

/// Balance `who` holds as stake.
pub fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(
		&RuntimeHoldReason::Incentive(pallet_incentive::HoldReason::Stake),
		&who,
	)
}

/// Balance `who` holds as unbonding stake.
pub fn unbonding(who: AccountId) -> Balance {
	Balances::balance_on_hold(
		&RuntimeHoldReason::Incentive(pallet_incentive::HoldReason::Unbonding),
		&who,
	)
}

/// Free balance of `who`.
pub fn free(who: AccountId) -> Balance {
	pallet_balances::Pallet::<Test>::free_balance(who)
}

/// The stored neuron at `uid`.
pub fn neuron(uid: u16) -> pallet_incentive::NeuronInfoOf<Test> {
	Incentive::neuron(uid).expect("a neuron at uid")
}

/// An IPv4 axon on a valid port.
pub fn axon(octets: [u8; 4]) -> AxonInfo {
	AxonInfo::ipv4(octets, 8091, 1)
}
