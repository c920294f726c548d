//! # Tensor runtime
//!
//! The state-transition function of the incentive chain, compiled to wasm. It composes
//! FRAME's system, timestamp, Aura (block authoring), GRANDPA (finality), balances,
//! transaction payment and sudo with the incentive pallet (neurons, stake, the attribution
//! graph, ranking and emission).
//!
//! - Token: `TAO` with 9 decimals; SS58 prefix 42. Both are chain properties (see the node's
//!   chain specs) so explorers format balances correctly.
//! - Blocks: one every 6 seconds ([`MILLISECS_PER_BLOCK`]).
//!
//! Layout: this file holds the types and the pallet composition, `configs/` one `impl Config`
//! per pallet, `apis.rs` the runtime APIs, `genesis_config_presets.rs` the `development` and
//! `local_testnet` presets.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`-generated items carry no docs of their own.
#![allow(missing_docs)]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;
use alloc::vec::Vec;

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
pub mod incentive_api;
#[cfg(feature = "std")]
pub mod signing;
#[cfg(test)]
mod tests;

use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::{runtime_version, RuntimeVersion};

pub use apis::RuntimeApi;
pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_incentive::Call as IncentiveCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Opaque types the node uses without knowing the runtime's call and extrinsic formats.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block hash.
	pub type Hash = <BlakeTwo256 as sp_runtime::traits::Hash>::Output;
}

impl_opaque_keys! {
	/// The session keys of a validator: its Aura (authoring) and GRANDPA (finality) keys.
	pub struct SessionKeys {
		pub aura: Aura,
		pub grandpa: Grandpa,
	}
}

/// The runtime's version. Bump `spec_version` on every runtime change that reaches a network,
/// and the `upgrade-drill` one below with it.
#[cfg(not(feature = "upgrade-drill"))]
#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("tensor"),
	impl_name: alloc::borrow::Cow::Borrowed("tensor"),
	authoring_version: 1,
	spec_version: 109,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 4,
	system_version: 1,
};

// The drill's version is only ever compiled into its wasm.
#[cfg(all(feature = "std", feature = "upgrade-drill"))]
compile_error!("`upgrade-drill` is for the drill's inner wasm build; use `upgrade-drill-wasm`");

/// The drill's runtime: this one with `spec_version` one higher, so `system.set_code` takes it
/// and the executive runs the migrations (see `upgrade_drill`).
#[cfg(feature = "upgrade-drill")]
#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("tensor"),
	impl_name: alloc::borrow::Cow::Borrowed("tensor"),
	authoring_version: 1,
	spec_version: 110,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 4,
	system_version: 1,
};

/// The wasm of this runtime with `spec_version` one higher, built only with the
/// `upgrade-drill-wasm` feature (see `build.rs`; under `SKIP_WASM_BUILD` whatever an earlier
/// build left, which `node/tests/chain_specs.rs` checks against `VERSION`). The runtime-upgrade
/// drill (`miner/tests/drills.rs`) hands it to `sudo(system.set_code)` on a running network;
/// never put it on a real one.
#[cfg(feature = "std")]
pub mod upgrade_drill {
	include!(concat!(env!("OUT_DIR"), "/wasm_binary_upgrade_drill.rs"));
}

/// Target block time. Aura's slot is this long; it cannot change after genesis.
pub const MILLISECS_PER_BLOCK: u64 = 6000;
/// Aura slot duration, read by pallet-timestamp and pallet-aura.
pub const SLOT_DURATION: u64 = MILLISECS_PER_BLOCK;
/// Blocks per minute.
pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);
/// Blocks per hour.
pub const HOURS: BlockNumber = MINUTES * 60;
/// Blocks per day.
pub const DAYS: BlockNumber = HOURS * 24;

include!("token.rs");
/// SS58 address prefix (42: the generic Substrate prefix).
pub const SS58_PREFIX: u16 = 42;
/// One TAO in base units.
pub const TAO: Balance = 1_000_000_000;
/// One thousandth of a TAO.
pub const MILLI_TAO: Balance = TAO / 1_000;
/// The smallest balance an account may hold; accounts below it are reaped.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_TAO;

/// A signature over a transaction (sr25519, ed25519 or ecdsa).
pub type Signature = MultiSignature;
/// An account identifier: the public key of the signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// A balance in base units (10^-9 TAO).
pub type Balance = u128;
/// A transaction counter of an account.
pub type Nonce = u32;
/// A block hash.
pub type Hash = sp_core::H256;
/// A block number.
pub type BlockNumber = u32;
/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// A block with its justifications.
pub type SignedBlock = generic::SignedBlock<Block>;
/// A block identifier.
pub type BlockId = generic::BlockId<Block>;

/// The checks every signed transaction goes through, in order.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	// Signers that verify what they sign (RFC-0078) enable it; it commits to the metadata hash,
	// which a build with the `metadata-hash` feature embeds.
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// An extrinsic as it appears in a block.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload a signer signs.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Storage migrations run on runtime upgrade, besides the pallets' own. Each is versioned and
/// runs once; a later release may drop the ones every live chain has passed.
type Migrations = (
	pallet_incentive::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_incentive::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_incentive::migrations::v3::MigrateV2ToV3<Runtime>,
);

/// Dispatches blocks and transactions to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(7)]
	pub type Incentive = pallet_incentive;
}
