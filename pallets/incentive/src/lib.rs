//! # Incentive pallet
//!
//! Neurons, their stake, the attribution graph they post, and the block emission that flows to
//! them by stake-weighted rank. The ranking itself is the FRAME-free `incentive-ranking` crate;
//! this pallet keeps its inputs in storage, calls it every `tempo` blocks and pays the result.
//!
//! ## Terms
//!
//! - **Neuron**: a registered account, addressed by a `u16` **uid**. A new neuron takes the lowest
//!   free uid; when `max_neurons` are registered it takes the uid of the neuron it replaces.
//! - **Stake**: the neuron's mass in the ranking, at least `min_stake`. It is balance the account
//!   holds for this pallet (hold reason [`HoldReason::Stake`]) plus the emission paid into stake
//!   since the neuron last changed its stake, which the pallet's own account keeps for it
//!   (`unsettled_stake` in [`Payouts`]) until the neuron's next `add_stake`, `remove_stake` or
//!   leaving moves it onto the neuron's account. A payout so writes one storage item, not two
//!   balances per neuron.
//! - **Weights** (the attribution graph): what a neuron posts about its peers, `(target uid, raw
//!   u16)` pairs, stored sorted by uid. Each pair is an **edge**. A neuron keeps the share of
//!   stake its own uid gets (its self weight); one that posted nothing keeps everything. An edge
//!   counts only if it was posted after the uid's current occupant registered; older edges to a
//!   uid that changed hands are **stale** and ignored (and dropped at the poster's next post).
//! - **Owner and operator**: the owner account registers, holds and moves the stake; the
//!   operator key signs weights and the axon. A miner's machine holds only the operator key.
//!   The owner is the operator until it offers the role to another key and that key accepts.
//! - **Axon**: the IP, port and version where a neuron serves ([`AxonInfo`]).
//! - **Pot**: emission minted per block but not paid yet ([`PendingEmission`]). It is not minted
//!   into any account, so total issuance grows only by what is paid.
//! - **Payout**: every `tempo` blocks the pot is split by the mechanism in force
//!   ([`MechanismConfig`]): by rank under attribution (`docs/attribution.md`), by incentive and
//!   dividends under consensus (`docs/consensus.md`, with [`Bonds`] kept between payouts). Each
//!   neuron's share is minted to its stake (into the pallet's account, in one mint) or free
//!   balance; rounding remainders stay in the pot. Ranks and emissions of all neurons are kept in
//!   one vector, [`Payouts`].
//! - **Commit-reveal**: a neuron may commit the hash of its weights ([`WeightCommits`]) and reveal
//!   them within a window, so that others cannot copy them while they are fresh; the mechanism
//!   parameters can make it required.
//!
//! ## Layout
//!
//! `lib.rs` holds the FRAME sections; each call hands off to a `do_*` helper in the file of its
//! concern: `neurons.rs` (uids, registration, replacement, axons), `stake.rs` (held and
//! unsettled stake), `graph.rs` (weights, the edge count and which edges count; `weights.rs` is the generated
//! [`WeightInfo`]), `commit_reveal.rs` (committed weights), `params.rs` (validation),
//! `emission.rs` (the hook, where FRAME meets the ranking crate).
//! `types.rs` has the stored and passed data types.
//!
//! ## Invariants
//!
//! After every call and block: `NeuronCount` is the number of neurons; `EdgeCount` is the total
//! number of stored edges; [`Operators`] maps each neuron's operator key to its uid; each
//! neuron's `held_stake` equals its account's balance on hold for `Stake`; the pallet's account holds at
//! least the sum of `unsettled_stake` above its existential deposit (minted at genesis, so part
//! of genesis issuance); and `total issuance == genesis issuance +
//! TotalPaid - TotalBurned`, `TotalPaid + PendingEmission == sum of emission_per_block over all
//! blocks`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod commit_reveal;
mod emission;
mod fee;
mod graph;
pub mod migrations;
mod neurons;
mod params;
mod stake;
pub mod types;
pub mod weights;

// Natively too (`std`): the runtime-upgrade drill checks a live chain's state with them.
#[cfg(any(feature = "try-runtime", feature = "std", test))]
mod invariants;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;

#[cfg(test)]
mod tests;

pub use graph::{counted_edges, edge_counts, registration_blocks};
pub use types::{
	AxonInfo, ConsensusShare, EmissionDestination, GenesisNeuron, IncentiveParams,
	IncentiveParamsUpdate, Mechanism, MechanismParams, NeuronInfo, NeuronPayout, NeuronRecord,
	RegistrationPrice, UnbondingChunk, WeightCommit, MAX_ADDRESSABLE_NEURONS, MAX_RANKING_PASSES,
};
pub use weights::WeightInfo;

// The FRAME macros expand to `expect` on lookups that a correctly built runtime always satisfies
// (e.g. the pallet's name in `PalletInfo`). The module's own code has none: it only declares and
// delegates to the helpers in the sibling files, which keep the crate's `deny`.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{pallet_prelude::*, traits::fungible, PalletId};
	use frame_system::pallet_prelude::*;

	/// The account id of the runtime.
	pub type AccountIdOf<T> = <T as frame_system::Config>::AccountId;

	/// The balance type of [`Config::Currency`].
	pub type BalanceOf<T> = <<T as Config>::Currency as fungible::Inspect<AccountIdOf<T>>>::Balance;

	/// [`NeuronInfo`] with the runtime's types.
	pub type NeuronInfoOf<T> = NeuronInfo<AccountIdOf<T>, BalanceOf<T>, BlockNumberFor<T>>;

	/// [`NeuronRecord`] of the runtime's types.
	pub type NeuronRecordOf<T> = NeuronRecord<AccountIdOf<T>, BalanceOf<T>, BlockNumberFor<T>>;

	/// The [`Payouts`] vector of the runtime's types.
	pub type PayoutsOf<T> = BoundedVec<NeuronPayout<BalanceOf<T>>, <T as Config>::MaxNeuronsLimit>;

	/// [`IncentiveParams`] with the runtime's types.
	pub type IncentiveParamsOf<T> = IncentiveParams<BalanceOf<T>, BlockNumberFor<T>>;

	/// [`IncentiveParamsUpdate`] with the runtime's types.
	pub type IncentiveParamsUpdateOf<T> = IncentiveParamsUpdate<BalanceOf<T>, BlockNumberFor<T>>;

	/// [`MechanismParams`] with the runtime's types.
	pub type MechanismParamsOf<T> = MechanismParams<BlockNumberFor<T>>;

	/// An evaluator's [`Bonds`] entry: the payout block that computed them (a bond in a uid
	/// whose neuron registered at or after it was meant for someone else and is dropped) and
	/// `(target uid, bond)` sorted by uid, each bond a fraction of 2^32.
	pub type BondsEntryOf<T> =
		(BlockNumberFor<T>, BoundedVec<(u16, u64), <T as Config>::MaxEdgesLimit>);

	/// The [`ConsensusShares`] item: the payout block and every uid's share.
	pub type ConsensusSharesOf<T> =
		(BlockNumberFor<T>, BoundedVec<ConsensusShare, <T as Config>::MaxNeuronsLimit>);

	/// [`UnbondingChunk`] with the runtime's types.
	pub type UnbondingChunkOf<T> = UnbondingChunk<BalanceOf<T>, BlockNumberFor<T>>;

	/// Most unbonding chunks one account keeps; further unbonding merges into the latest.
	pub type MaxUnbondingChunks = ConstU32<16>;

	/// An account's [`Unbonding`] chunks, oldest first.
	pub type UnbondingOf<T> = BoundedVec<UnbondingChunkOf<T>, MaxUnbondingChunks>;

	/// [`RegistrationPrice`] with the runtime's types.
	pub type RegistrationPriceOf<T> = RegistrationPrice<BalanceOf<T>, BlockNumberFor<T>>;

	/// The storage version (see [`migrations`]): 1 added the registration fee and unbonding
	/// parameters to [`Params`] and `ranked_stake` to [`Payouts`]; 2 added the operator key
	/// ([`Operators`], `NeuronRecord::operator`) and dropped the reverse edge index, since edges
	/// to a replaced neuron are now ignored rather than deleted; 3 added the consensus mechanism
	/// ([`MechanismConfig`], [`Bonds`], [`ConsensusShares`]) and commit-reveal
	/// ([`WeightCommits`]), all new items whose empty state is their correct start.
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(3);

	/// A neuron's posted weights: `(target uid, raw weight)`, sorted by uid, no zero weights.
	pub type EdgesOf<T> = BoundedVec<(u16, u16), <T as Config>::MaxEdgesLimit>;

	/// The incentive pallet.
	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency stake is held in and emission is minted in.
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Hard storage bound on the number of uids (`params.max_neurons <= this`). At most
		/// 65 536, since uids are `u16`.
		#[pallet::constant]
		type MaxNeuronsLimit: Get<u32>;

		/// Hard storage bound on the edges of one neuron (`params.max_edges <= this`); it bounds
		/// the stored weight vectors.
		#[pallet::constant]
		type MaxEdgesLimit: Get<u32>;

		/// Identifies the pallet's account, which keeps emission paid into stake until the
		/// neurons settle it.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// Weights of the calls and the hook, from the benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A neuron's stake.
		#[codec(index = 0)]
		Stake,
		/// Stake removed from a neuron and not withdrawn yet ([`Unbonding`]).
		#[codec(index = 1)]
		Unbonding,
	}

	/// The parameters of the mechanism, set at genesis and by root.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, IncentiveParamsOf<T>, ValueQuery>;

	/// The mechanism in force and its parameters, set at genesis and by root (`set_params`).
	#[pallet::storage]
	pub type MechanismConfig<T: Config> = StorageValue<_, MechanismParamsOf<T>, ValueQuery>;

	/// Consensus: each evaluator's bonds, by its uid, from the last consensus payout.
	#[pallet::storage]
	pub type Bonds<T: Config> = StorageMap<_, Twox64Concat, u16, BondsEntryOf<T>, OptionQuery>;

	/// Consensus: the block of the last consensus payout and each uid's incentive and dividends
	/// then (for the runtime API; a uid whose neuron registered later shows zero).
	#[pallet::storage]
	pub type ConsensusShares<T: Config> = StorageValue<_, ConsensusSharesOf<T>, ValueQuery>;

	/// A neuron's pending weight commit, by uid, until it is revealed or replaced.
	#[pallet::storage]
	pub type WeightCommits<T: Config> =
		StorageMap<_, Twox64Concat, u16, WeightCommit<BlockNumberFor<T>>, OptionQuery>;

	/// The registered neurons by uid.
	#[pallet::storage]
	pub type Neurons<T: Config> = StorageMap<_, Twox64Concat, u16, NeuronRecordOf<T>, OptionQuery>;

	/// What the payouts left for each uid (rank, emissions, unsettled stake), indexed by uid. One
	/// item for all neurons, because every payout changes every entry. Uids without a neuron, and
	/// any beyond the vector's end, have the zero entry.
	#[pallet::storage]
	pub type Payouts<T: Config> = StorageValue<_, PayoutsOf<T>, ValueQuery>;

	/// The uid of each neuron's owner account.
	#[pallet::storage]
	pub type Uids<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u16, OptionQuery>;

	/// Posted weights by the uid that posted them; absent when the neuron has none.
	#[pallet::storage]
	pub type Weights<T: Config> = StorageMap<_, Twox64Concat, u16, EdgesOf<T>, OptionQuery>;

	/// The uid each operator key operates: one entry per neuron, for its `operator`. An
	/// account operates at most one neuron.
	#[pallet::storage]
	pub type Operators<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u16, OptionQuery>;

	/// The key each neuron's owner offered the operator role to, until that key accepts it
	/// (`accept_operator`) or the owner offers it elsewhere.
	#[pallet::storage]
	pub type OperatorOffers<T: Config> =
		StorageMap<_, Twox64Concat, u16, T::AccountId, OptionQuery>;

	/// Number of registered neurons.
	#[pallet::storage]
	pub type NeuronCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Number of edges in [`Weights`], over all neurons. Kept exact on every change so that the
	/// hook knows its weight before it works.
	#[pallet::storage]
	pub type EdgeCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// One past the highest uid in use (0 when there are no neurons): the length of the ranking
	/// input.
	#[pallet::storage]
	pub type UidEnd<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// The free uids below [`UidEnd`], ascending; registration takes the first.
	#[pallet::storage]
	pub type FreeUids<T: Config> = StorageValue<_, BoundedVec<u16, T::MaxNeuronsLimit>, ValueQuery>;

	/// The pot: emission accrued but not paid yet. Not minted anywhere.
	#[pallet::storage]
	pub type PendingEmission<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// Everything ever paid out (and so minted) by the pallet.
	#[pallet::storage]
	pub type TotalPaid<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// Everything ever burned by the pallet as registration fees.
	#[pallet::storage]
	pub type TotalBurned<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// Stake on its way out, by account: held under [`HoldReason::Unbonding`], released by
	/// `withdraw_unbonded` once each chunk's block is reached.
	#[pallet::storage]
	pub type Unbonding<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, UnbondingOf<T>, ValueQuery>;

	/// The price the last registration set and its block; the fee in force decays from it
	/// (the pallet's `registration_fee`).
	#[pallet::storage]
	pub type LastRegistrationPrice<T: Config> = StorageValue<_, RegistrationPriceOf<T>, ValueQuery>;

	/// Events of the pallet.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A neuron registered.
		NeuronRegistered {
			/// Its uid.
			uid: u16,
			/// Its account.
			account: T::AccountId,
			/// The stake it holds.
			stake: BalanceOf<T>,
		},
		/// Registration into a full network replaced a neuron (its stake went to unbonding);
		/// `NeuronRegistered` for the new one follows.
		NeuronReplaced {
			/// The uid that changed hands.
			uid: u16,
			/// The replaced neuron's account.
			old: T::AccountId,
			/// The registering account.
			new: T::AccountId,
			/// The replaced neuron's stake, now unbonding.
			unbonding: BalanceOf<T>,
			/// The block from which it can be withdrawn.
			release_at: BlockNumberFor<T>,
		},
		/// A registration burned its fee.
		RegistrationFeeBurned {
			/// The registering account.
			account: T::AccountId,
			/// What was burned.
			fee: BalanceOf<T>,
			/// The price the next registration starts from (it decays from here).
			next_price: BalanceOf<T>,
		},
		/// Unbonded stake went back to an account's free balance.
		Withdrawn {
			/// The account.
			account: T::AccountId,
			/// What was released.
			amount: BalanceOf<T>,
		},
		/// A neuron announced where it serves.
		AxonServed {
			/// The neuron's uid.
			uid: u16,
			/// Its endpoint.
			axon: AxonInfo,
		},
		/// A neuron added to its stake.
		StakeAdded {
			/// The neuron's uid.
			uid: u16,
			/// What was added.
			amount: BalanceOf<T>,
			/// The stake now.
			stake: BalanceOf<T>,
		},
		/// A neuron took some of its stake out of the ranking; it unbonds.
		StakeRemoved {
			/// The neuron's uid.
			uid: u16,
			/// What now unbonds.
			amount: BalanceOf<T>,
			/// The stake now.
			stake: BalanceOf<T>,
			/// The block from which the amount can be withdrawn.
			release_at: BlockNumberFor<T>,
		},
		/// A neuron left; its whole stake unbonds.
		NeuronUnregistered {
			/// Its former uid, now free.
			uid: u16,
			/// Its account.
			account: T::AccountId,
			/// The stake that now unbonds.
			unbonding: BalanceOf<T>,
			/// The block from which it can be withdrawn.
			release_at: BlockNumberFor<T>,
		},
		/// A neuron posted weights.
		WeightsSet {
			/// The neuron's uid.
			uid: u16,
			/// How many edges are stored (the non-zero entries).
			edges: u32,
		},
		/// Root changed the parameters.
		ParamsUpdated {
			/// The parameters now in force.
			params: IncentiveParamsOf<T>,
			/// The mechanism parameters now in force.
			mechanism: MechanismParamsOf<T>,
		},
		/// A neuron committed the hash of its next weights.
		WeightsCommitted {
			/// The neuron's uid.
			uid: u16,
			/// The hash.
			hash: [u8; 32],
			/// The first block in which it can be revealed.
			reveal_from: BlockNumberFor<T>,
			/// The last block in which it can be revealed.
			reveal_until: BlockNumberFor<T>,
		},
		/// A payout happened.
		EmissionPaid {
			/// The payout block.
			block: BlockNumberFor<T>,
			/// What was minted to neurons.
			total_paid: BalanceOf<T>,
			/// What stays in the pot for the next payout.
			pot_left: BalanceOf<T>,
			/// How many neurons received a non-zero share.
			neurons: u32,
		},
		/// A neuron's operator key changed: a key accepted the owner's offer, or the owner took
		/// the role back.
		OperatorSet {
			/// The neuron's uid.
			uid: u16,
			/// The key that now signs its weights and axon.
			operator: T::AccountId,
		},
		/// A neuron's owner offered the operator role to a key, which must accept it.
		OperatorOffered {
			/// The neuron's uid.
			uid: u16,
			/// The key offered the role.
			operator: T::AccountId,
		},
	}

	/// Errors of the pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// The signer neither owns nor operates a neuron.
		NotRegistered,
		/// The signer already owns a neuron.
		AlreadyRegistered,
		/// The stake would be below `min_stake`.
		StakeBelowMinimum,
		/// The free balance cannot cover the amount to hold (an existential deposit stays free).
		InsufficientBalance,
		/// An amount of zero.
		ZeroAmount,
		/// More stake to remove than the neuron has.
		InsufficientStake,
		/// `max_neurons` are registered and every one of them is still immune.
		NetworkFull,
		/// A uid appears twice in the weights.
		DuplicateUid,
		/// The weights name a uid that has no neuron.
		UnknownUid,
		/// More weights than `max_edges`.
		TooManyEdges,
		/// Weights were posted but every one is zero.
		AllWeightsZero,
		/// Fewer than `weights_rate_limit` blocks since this neuron's last `set_weights`.
		SettingWeightsTooFast,
		/// The axon port is 0.
		InvalidAxonPort,
		/// The axon address is unspecified (`::` or `::ffff:0.0.0.0`).
		InvalidAxonIp,
		/// The stake would overflow the balance type.
		StakeOverflow,
		/// `tempo` must be at least 1.
		InvalidTempo,
		/// `max_ranking_passes` must be in `1..=1000`.
		InvalidMaxPasses,
		/// `max_neurons` must be in `1..=MaxNeuronsLimit` and at most 65 536.
		InvalidMaxNeurons,
		/// `max_edges` must be in `1..=MaxEdgesLimit`.
		InvalidMaxEdges,
		/// `min_stake` must be greater than zero.
		InvalidMinStake,
		/// `unbonding_period` must be at least `tempo`.
		InvalidUnbondingPeriod,
		/// `registration_fee_floor` must not exceed `registration_fee_ceiling`.
		InvalidFeeBounds,
		/// `registration_fee_growth_percent` must be in `100..=1000`.
		InvalidFeeGrowth,
		/// `registration_fee_half_life` must be at least 1.
		InvalidFeeHalfLife,
		/// The registration fee in force is above the most the caller would pay.
		FeeAboveLimit,
		/// No unbonding stake of the signer has reached its release block.
		NothingToWithdraw,
		/// More genesis neurons than `max_neurons`.
		TooManyGenesisNeurons,
		/// A payout at `max_neurons` neurons with `max_edges` edges each and
		/// `max_ranking_passes` passes would take more than half of a block's weight.
		PayoutTooHeavy,
		/// The signer is a neuron's operator key, which cannot register, move stake, leave or
		/// change the operator: the owner signs those.
		NotOwner,
		/// The signer owns a neuron whose operator is another key, which signs weights and the
		/// axon (the owner can take the role back with `set_operator`).
		NotOperator,
		/// The key already operates another neuron (an account operates at most one).
		OperatorInUse,
		/// The neuron at that uid is not owned by the named owner, or its owner has not offered
		/// the operator role to the signer.
		NoOperatorOffer,
		/// `kappa` must be at least 1/2.
		InvalidKappa,
		/// `bond_alpha` must be above zero.
		InvalidBondAlpha,
		/// `reveal_delay` must be at least 1.
		InvalidRevealDelay,
		/// `reveal_window` must be at least 1, and `reveal_delay + reveal_window` at least
		/// `weights_rate_limit`.
		InvalidRevealWindow,
		/// Commit-reveal is required: commit the weights' hash, then reveal them.
		CommitRevealRequired,
		/// The neuron has no pending commit to reveal.
		NoCommit,
		/// Fewer than `reveal_delay` blocks since the commit.
		RevealTooEarly,
		/// The commit's reveal window has passed; commit again.
		RevealTooLate,
		/// The weights and salt do not hash to the commit.
		RevealMismatch,
		/// A commit is pending and its window has not passed: reveal it first.
		CommitPending,
	}

	/// Genesis: the parameters and, optionally, neurons registered from the first block (for
	/// test networks and the RPC load benchmark).
	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// The initial [`Params`]; see [`IncentiveParams`] for the JSON field names.
		pub params: IncentiveParamsOf<T>,
		/// Neurons as `[account, stake, [[uid, weight], …]]`, given uids 0, 1, … in order; the
		/// weights may also be packed in one string, `"uid:weight,uid:weight,…"`, which a large
		/// graph needs (see [`genesis_neurons`](crate::types::genesis_neurons)). Each account
		/// needs `stake` free in the balances genesis; the weights may name any listed uid.
		/// Checked like `register` and `set_weights`: an invalid entry aborts the genesis build
		/// with the error's name.
		#[serde(default, deserialize_with = "crate::types::genesis_neurons::deserialize")]
		pub neurons: Vec<GenesisNeuron<T::AccountId, BalanceOf<T>>>,
		/// The initial [`MechanismConfig`]; see [`MechanismParams`] for the JSON field names.
		/// Attribution when absent.
		#[serde(default)]
		pub mechanism_params: MechanismParamsOf<T>,
	}

	impl<T: Config> Default for GenesisConfig<T> {
		/// The public-network defaults of [`IncentiveParams`], lowered to the runtime's limits.
		fn default() -> Self {
			Self {
				params: IncentiveParams::default()
					.clamped_to(T::MaxNeuronsLimit::get(), T::MaxEdgesLimit::get()),
				neurons: Vec::new(),
				mechanism_params: MechanismParams::default(),
			}
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		/// Stores the parameters and registers the neurons; anything invalid aborts the genesis
		/// build with the error's name (a chain must not start from a state its calls reject).
		fn build(&self) {
			if let Err(error) = Pallet::<T>::validate_params(&self.params) {
				let name: &'static str = error.into();
				panic!("invalid incentive genesis params: {name}");
			}
			Params::<T>::put(&self.params);
			let mechanism = &self.mechanism_params;
			if let Err(error) = Pallet::<T>::validate_mechanism_params(mechanism, &self.params) {
				let name: &'static str = error.into();
				panic!("invalid incentive genesis mechanism params: {name}");
			}
			MechanismConfig::<T>::put(self.mechanism_params);
			if super::graph::len_u32(self.neurons.len()) > self.params.max_neurons {
				let name: &'static str = Error::<T>::TooManyGenesisNeurons.into();
				panic!("invalid incentive genesis neurons: {name}");
			}
			if let Err(error) = Pallet::<T>::endow_account() {
				panic!("cannot endow the incentive pallet's account: {error:?}");
			}
			// All registrations first, so that weights may point at any genesis neuron.
			for (index, (account, stake, _)) in self.neurons.iter().enumerate() {
				// Genesis neurons pay no fee and rank with their stake at the first payout: they
				// hold it from block 0, the start of the first period.
				let registered = Pallet::<T>::do_register(account.clone(), *stake, None, None);
				if let Err(error) = registered {
					let name: &'static str = error.error.into();
					panic!("invalid incentive genesis neuron {index}: {name}");
				}
			}
			for (index, (account, _, weights)) in self.neurons.iter().enumerate() {
				if weights.is_empty() {
					continue;
				}
				if let Err(error) = Pallet::<T>::do_set_weights(account.clone(), weights.clone()) {
					let name: &'static str = error.into();
					panic!("invalid incentive genesis weights of neuron {index}: {name}");
				}
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Accrues the block's emission and, every `tempo` blocks, ranks and pays.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::on_block(now)
		}

		/// The storage limits must fit `u16` uids and a `u32` edge count.
		fn integrity_test() {
			let neurons = T::MaxNeuronsLimit::get();
			let edges = T::MaxEdgesLimit::get();
			assert!(
				(1..=MAX_ADDRESSABLE_NEURONS).contains(&neurons),
				"MaxNeuronsLimit must be in 1..=65536"
			);
			assert!(edges >= 1, "MaxEdgesLimit must be at least 1");
			assert!(
				u64::from(neurons).saturating_mul(u64::from(edges)) <= u64::from(u32::MAX),
				"MaxNeuronsLimit * MaxEdgesLimit must fit in u32 (EdgeCount)"
			);
			// The default genesis parameters, as lowered to this runtime's limits, must pass the
			// checks `set_params` applies, the payout's worst case among them.
			let defaults = GenesisConfig::<T>::default().params;
			if let Err(error) = Pallet::<T>::validate_params(&defaults) {
				let name: &'static str = error.into();
				panic!("the default incentive params are invalid for this runtime: {name}");
			}
		}

		/// Checks the pallet's storage invariants.
		#[cfg(feature = "try-runtime")]
		fn try_state(_now: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	/// Read-only queries with a stable interface, for clients (through the runtime's
	/// `RuntimeViewFunction` API) and for the runtime itself. The metagraph and emission views,
	/// which join several pallets' state, are the `IncentiveApi` runtime API's.
	#[pallet::view_functions]
	impl<T: Config> Pallet<T> {
		/// The parameters in force.
		pub fn params() -> IncentiveParamsOf<T> {
			Params::<T>::get()
		}

		/// The mechanism parameters in force.
		pub fn mechanism_params() -> MechanismParamsOf<T> {
			MechanismConfig::<T>::get()
		}

		/// The registration fee in force now (what `register` burns, at most its `max_fee`).
		pub fn registration_fee() -> BalanceOf<T> {
			Self::fee_at(
				&Params::<T>::get(),
				LastRegistrationPrice::<T>::get(),
				frame_system::Pallet::<T>::block_number(),
			)
		}

		/// The uid of the neuron `account` owns, if any.
		pub fn uid_of(account: T::AccountId) -> Option<u16> {
			Self::uid_of_account(&account)
		}

		/// Neuron `uid`'s bonds as the next consensus payout counts them.
		pub fn bonds(uid: u16) -> Vec<(u16, u64)> {
			Self::bonds_of(uid)
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers the signer as a neuron holding `stake` (at least `min_stake`), optionally
		/// announcing its axon, and burns the registration fee in force, which must be at most
		/// `max_fee` (`FeeAboveLimit` otherwise). The fee rises with each registration and
		/// decays back toward its floor (see `registration_fee`). The new stake ranks from the
		/// payout after the next one: the next payout's period began before it was held.
		///
		/// It takes the lowest free uid. When `max_neurons` are registered it replaces the neuron
		/// with the lowest rank from the last payout among those past their immunity period
		/// (ties: lowest stake, then highest uid); that neuron's stake unbonds and its edges are
		/// removed, and edges posted to it stop counting. The signer becomes the owner and the
		/// operator key (see `set_operator`); it must not operate another neuron. Priced by the
		/// path the state implies when it executes: a free uid, or a replacement that scans
		/// `max(NeuronCount, max_neurons)` neurons.
		#[pallet::call_index(0)]
		#[pallet::weight(Pallet::<T>::register_weight())]
		pub fn register(
			origin: OriginFor<T>,
			#[pallet::compact] stake: BalanceOf<T>,
			axon: Option<AxonInfo>,
			#[pallet::compact] max_fee: BalanceOf<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::do_register(who, stake, axon, Some(max_fee))
		}

		/// Announces (or changes) where the neuron serves. Signed by its operator key.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::serve_axon())]
		pub fn serve_axon(origin: OriginFor<T>, axon: AxonInfo) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_serve_axon(who, axon)
		}

		/// Holds `amount` more of the signer's free balance as its neuron's stake. Signed by the
		/// owner.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::add_stake())]
		pub fn add_stake(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_add_stake(who, amount)
		}

		/// Takes `amount` of the signer's stake out of the ranking at once; it unbonds for
		/// `unbonding_period` blocks and then `withdraw_unbonded` releases it. What stays must be
		/// at least `min_stake` (to leave entirely, `unregister`). Signed by the owner.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::remove_stake())]
		pub fn remove_stake(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_remove_stake(who, amount)
		}

		/// Removes the signer's neuron: all its stake unbonds (as `remove_stake`), its uid is
		/// freed and its own edges are removed. Edges other neurons posted to the uid stay
		/// stored but no longer count: they predate whoever registers there next. Signed by the
		/// owner. Charged for the most edges; the actual weight is refunded.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::unregister(T::MaxEdgesLimit::get()))]
		pub fn unregister(origin: OriginFor<T>) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::do_unregister(who)
		}

		/// Replaces the neuron's weights with `weights`: `(target uid, raw weight)` pairs, at
		/// most `max_edges`, each uid registered and named once, the own uid allowed (it is the
		/// self weight). Zero entries are dropped. An empty list clears the weights, so the
		/// neuron keeps all stake that reaches it. At most one call per `weights_rate_limit`
		/// blocks. Signed by the operator key. An edge counts in the ranking only while the
		/// neuron it was posted to holds the uid: one posted before the uid's occupant
		/// registered is ignored. Refused with `CommitRevealRequired` while the mechanism
		/// parameters require commit-reveal.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_weights(Pallet::<T>::posted_edges_for_weight(weights)))]
		pub fn set_weights(origin: OriginFor<T>, weights: Vec<(u16, u16)>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(
				!MechanismConfig::<T>::get().commit_reveal_required,
				Error::<T>::CommitRevealRequired
			);
			Self::do_set_weights(who, weights)
		}

		/// Sets the parameters named in `update`; all of them are checked together.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(
			origin: OriginFor<T>,
			update: IncentiveParamsUpdateOf<T>,
		) -> DispatchResult {
			ensure_root(origin)?;
			Self::do_set_params(update)
		}

		/// Releases to the signer's free balance every unbonding chunk whose release block has
		/// come. Anyone who removed stake may call it, registered or not.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_unbonded(who)
		}

		/// Offers the role of the key that signs the neuron's `set_weights` and `serve_axon` to
		/// `operator`, which takes it with `accept_operator`; until then the current operator
		/// stays. Naming the owner's own account takes the role back at once. Signed by the
		/// owner. The key must not operate another neuron (`OperatorInUse`). A new offer
		/// replaces an earlier one.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::set_operator())]
		pub fn set_operator(origin: OriginFor<T>, operator: T::AccountId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_operator(who, operator)
		}

		/// Accepts the operator role of neuron `uid`, owned by `owner`, that the owner offered
		/// the signer (`NoOperatorOffer` otherwise, also when the uid has another owner now).
		/// The signer must not operate another neuron, its own included (`OperatorInUse`).
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::accept_operator())]
		pub fn accept_operator(
			origin: OriginFor<T>,
			uid: u16,
			owner: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_accept_operator(who, uid, owner)
		}

		/// Commits `hash = blake2_256(SCALE((signer, weights, salt)))` of the weights the neuron
		/// will reveal with `reveal_weights` from `reveal_delay` blocks on, for `reveal_window`
		/// blocks. One commit at a time: `CommitPending` while an earlier one can still be
		/// revealed; one whose window has passed is replaced. Signed by the operator key.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::commit_weights())]
		pub fn commit_weights(origin: OriginFor<T>, hash: [u8; 32]) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit_weights(who, hash)
		}

		/// Reveals the committed weights with the commit's `salt`: checked against the hash
		/// (`RevealMismatch`) and the window (`RevealTooEarly`, `RevealTooLate`), then stored as
		/// `set_weights` stores them, with its checks and rate limit, except that entries for a
		/// uid that is empty now or changed hands since the commit are dropped. Signed by the
		/// operator key that committed (a new operator key drops the pending commit).
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::reveal_weights(Pallet::<T>::posted_edges_for_weight(weights)))]
		pub fn reveal_weights(
			origin: OriginFor<T>,
			weights: Vec<(u16, u16)>,
			salt: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_reveal_weights(who, weights, salt)
		}
	}
}
