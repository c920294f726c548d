//! The plain data types of the pallet: what it stores per neuron, the axon endpoint a neuron
//! advertises, and the root-settable parameters with their update form.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::net::{Ipv4Addr, Ipv6Addr};
use frame_support::DefaultNoBound;
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_arithmetic::Perquintill;
use sp_runtime::traits::{AtLeast32BitUnsigned, Saturating};

/// The network endpoint where a neuron serves its model (its "axon").
///
/// The address is always 16 bytes: IPv6 as is, IPv4 mapped into IPv6 (`::ffff:a.b.c.d`, see
/// [`AxonInfo::ipv4`]). The pallet accepts any address except the unspecified one (`::` and
/// `::ffff:0.0.0.0`) and any port except 0; loopback and private addresses are allowed, so that
/// local and dev networks work.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct AxonInfo {
	/// IPv6 address in network byte order; IPv4 is stored IPv4-mapped.
	pub ip: [u8; 16],
	/// TCP port.
	pub port: u16,
	/// Protocol version the axon speaks, chosen by the miner software.
	pub version: u32,
}

impl AxonInfo {
	/// An axon at the IPv4 address `octets`, stored as `::ffff:a.b.c.d`.
	pub fn ipv4(octets: [u8; 4], port: u16, version: u32) -> Self {
		Self { ip: Ipv4Addr::from(octets).to_ipv6_mapped().octets(), port, version }
	}

	/// An axon at the IPv6 address `ip` (16 bytes, network order).
	pub fn ipv6(ip: [u8; 16], port: u16, version: u32) -> Self {
		Self { ip, port, version }
	}

	/// The address as IPv6 (IPv4-mapped for IPv4 axons).
	pub fn ip_addr(&self) -> Ipv6Addr {
		Ipv6Addr::from(self.ip)
	}

	/// Whether the address could be dialled: anything but `::` and `::ffff:0.0.0.0`.
	pub fn has_valid_ip(&self) -> bool {
		let ip = self.ip_addr();
		let unspecified_v4 = ip.to_ipv4_mapped().is_some_and(|v4| v4.is_unspecified());
		!ip.is_unspecified() && !unspecified_v4
	}

	/// Whether the port could be dialled: anything but 0.
	pub fn has_valid_port(&self) -> bool {
		self.port != 0
	}
}

/// What the pallet keeps about one registered neuron, stored under its uid in `Neurons`.
///
/// Only what calls change lives here; what every payout changes for every neuron lives in the
/// one `Payouts` vector ([`NeuronPayout`]), so that a payout writes one storage item rather than
/// one per neuron. [`NeuronInfo`] joins the two.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct NeuronRecord<AccountId, Balance, BlockNumber> {
	/// The owner: the account that registered the neuron, holds its stake and signs what moves
	/// money (`add_stake`, `remove_stake`, `unregister`, `set_operator`).
	pub account: AccountId,
	/// The operator key: signs `set_weights` and `serve_axon`, the calls a miner makes. The
	/// owner at registration; the owner changes it with `set_operator`.
	pub operator: AccountId,
	/// The part of the stake that the account holds for the pallet (hold reason `Stake`):
	/// always equal to the account's balance on hold for that reason.
	pub held_stake: Balance,
	/// Block of registration; the neuron cannot be replaced before `registered_at +
	/// immunity_period`.
	pub registered_at: BlockNumber,
	/// Block of the last accepted `set_weights`, for the rate limit and for which of its edges
	/// count (those to neurons registered before it, see the pallet's `edge_counts`). `None`
	/// before the first.
	pub last_weights_at: Option<BlockNumber>,
	/// The endpoint the neuron serves at, if it announced one.
	pub axon: Option<AxonInfo>,
}

/// What the payouts left for one uid: an entry of the `Payouts` vector, indexed by uid.
///
/// Emission paid into stake is minted into the pallet's account and recorded here as
/// `unsettled_stake`; it is stake from then on (the ranking counts it). It moves onto the
/// neuron's own account, on hold, when the neuron next changes its stake, and to its free
/// balance when it leaves. Uids without a neuron have the zero entry.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen, Default)]
pub struct NeuronPayout<Balance> {
	/// The neuron's share of the last payout's pot (zero until the first payout after
	/// registration): its rank under attribution; `(1 - d) · incentive + d · dividends` under
	/// consensus, `d` the dividend part (`dividend_share` times the judging share, all support
	/// over all stake, `docs/consensus.md`).
	pub rank: Perquintill,
	/// What the neuron received at the last payout.
	pub last_emission: Balance,
	/// What the neuron received over all payouts since it registered.
	pub total_emission: Balance,
	/// Stake paid out to the neuron and kept in the pallet's account until settled.
	pub unsettled_stake: Balance,
	/// The stake the neuron ranks with at the next payout: the least stake it has held since
	/// the last payout (or since it registered). A payout resets it to the stake after paying,
	/// `add_stake` leaves it alone (added stake counts from the next period on) and
	/// `remove_stake` lowers it with the stake.
	pub ranked_stake: Balance,
}

/// Stake on its way out of the pallet: held under `HoldReason::Unbonding` on its account and
/// released to the free balance by `withdraw_unbonded` from block `release_at` on.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct UnbondingChunk<Balance, BlockNumber> {
	/// What is released.
	pub amount: Balance,
	/// The first block in which it can be withdrawn.
	pub release_at: BlockNumber,
}

/// The registration price's state: the price set by the last registration and its block. The
/// price in force decays from it toward `registration_fee_floor` (see the pallet's
/// `registration_fee`).
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Default,
)]
pub struct RegistrationPrice<Balance, BlockNumber> {
	/// The price right after the last registration.
	pub price: Balance,
	/// The block of the last registration.
	pub at: BlockNumber,
}

/// Everything about one neuron: its [`NeuronRecord`], its [`NeuronPayout`] and, under
/// consensus, its [`ConsensusShare`] together, as the
/// pallet's `neuron` getter, the runtime API and the tests see it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NeuronInfo<AccountId, Balance, BlockNumber> {
	/// The owner: registered the neuron, holds its stake.
	pub account: AccountId,
	/// The operator key: sets weights and the axon.
	pub operator: AccountId,
	/// The neuron's whole stake, its mass in the ranking: `held_stake + unsettled_stake`.
	pub stake: Balance,
	/// The part of the stake on hold in the neuron's account.
	pub held_stake: Balance,
	/// The part of the stake paid out by the chain and still in the pallet's account.
	pub unsettled_stake: Balance,
	/// Block of registration.
	pub registered_at: BlockNumber,
	/// Block of the last accepted `set_weights`.
	pub last_weights_at: Option<BlockNumber>,
	/// The endpoint the neuron serves at, if it announced one.
	pub axon: Option<AxonInfo>,
	/// The rank used at the last payout.
	pub rank: Perquintill,
	/// What the neuron received at the last payout.
	pub last_emission: Balance,
	/// What the neuron received over all payouts since it registered.
	pub total_emission: Balance,
	/// The stake it ranks with at the next payout (see [`NeuronPayout::ranked_stake`]).
	pub ranked_stake: Balance,
	/// Consensus: its incentive at the last payout.
	pub incentive: Perquintill,
	/// Consensus: its dividends at the last payout.
	pub dividends: Perquintill,
}

impl<AccountId, Balance: Copy + Saturating, BlockNumber>
	NeuronInfo<AccountId, Balance, BlockNumber>
{
	/// Joins a neuron's record and its payout entry.
	pub fn new(
		record: NeuronRecord<AccountId, Balance, BlockNumber>,
		payout: NeuronPayout<Balance>,
		share: ConsensusShare,
	) -> Self {
		Self {
			account: record.account,
			operator: record.operator,
			stake: record.held_stake.saturating_add(payout.unsettled_stake),
			held_stake: record.held_stake,
			unsettled_stake: payout.unsettled_stake,
			registered_at: record.registered_at,
			last_weights_at: record.last_weights_at,
			axon: record.axon,
			rank: payout.rank,
			last_emission: payout.last_emission,
			total_emission: payout.total_emission,
			ranked_stake: payout.ranked_stake,
			incentive: share.incentive,
			dividends: share.dividends,
		}
	}
}

/// A neuron listed in the genesis config: `(account, stake, [(uid, weight), …])`.
pub type GenesisNeuron<AccountId, Balance> = (AccountId, Balance, alloc::vec::Vec<(u16, u16)>);

/// Reading the genesis neurons from JSON, where a neuron's weights are either the list
/// `[[uid, weight], …]` or the same edges packed in one string, `"uid:weight,uid:weight,…"`.
///
/// Why a string: the node hands the genesis config to the runtime pretty-printed, one number a
/// line, about 60 bytes an edge; the largest graph the runtime admits (4,096 × 256) is then a
/// 62 MB blob, over the wasm allocator's 32 MiB limit on one allocation, and the chain does not
/// start. Packed, an edge is at most 12 bytes (12 MB in all). Either form is checked alike.
pub mod genesis_neurons {
	use super::GenesisNeuron;
	use alloc::{format, vec::Vec};
	use core::fmt;
	use serde::{
		de::{self, DeserializeOwned, SeqAccess, Visitor},
		Deserialize, Deserializer,
	};

	/// One neuron's weights in either form.
	struct Edges(Vec<(u16, u16)>);

	impl<'de> Deserialize<'de> for Edges {
		fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
			deserializer.deserialize_any(EdgesVisitor)
		}
	}

	struct EdgesVisitor;

	impl<'de> Visitor<'de> for EdgesVisitor {
		type Value = Edges;

		fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
			f.write_str("a list of [uid, weight] pairs or a string \"uid:weight,uid:weight,…\"")
		}

		fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Edges, A::Error> {
			let mut edges = Vec::new();
			while let Some(edge) = seq.next_element::<(u16, u16)>()? {
				edges.push(edge);
			}
			Ok(Edges(edges))
		}

		fn visit_str<E: de::Error>(self, packed: &str) -> Result<Edges, E> {
			parse_packed(packed).map(Edges).map_err(E::custom)
		}
	}

	/// `"uid:weight,uid:weight,…"` (spaces around the numbers allowed; empty: no edges).
	pub fn parse_packed(packed: &str) -> Result<Vec<(u16, u16)>, alloc::string::String> {
		if packed.trim().is_empty() {
			return Ok(Vec::new());
		}
		let number = |text: &str, index: usize| {
			text.trim().parse::<u16>().map_err(|_| {
				format!("edge {index} of the packed weights: {text:?} is not a number in 0..=65535")
			})
		};
		packed
			.split(',')
			.enumerate()
			.map(|(index, edge)| {
				let (uid, weight) = edge.split_once(':').ok_or_else(|| {
					format!("edge {index} of the packed weights: {edge:?} is not uid:weight")
				})?;
				Ok((number(uid, index)?, number(weight, index)?))
			})
			.collect()
	}

	/// For `#[serde(deserialize_with)]` on the genesis config's `neurons`.
	pub fn deserialize<'de, D, AccountId, Balance>(
		deserializer: D,
	) -> Result<Vec<GenesisNeuron<AccountId, Balance>>, D::Error>
	where
		D: Deserializer<'de>,
		AccountId: DeserializeOwned,
		Balance: DeserializeOwned,
	{
		let wire = Vec::<(AccountId, Balance, Edges)>::deserialize(deserializer)?;
		Ok(wire.into_iter().map(|(account, stake, Edges(edges))| (account, stake, edges)).collect())
	}
}

/// Where a neuron's share of a payout goes.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum EmissionDestination {
	/// Minted and put on hold as added stake (stake reinforcement: rank compounds). JSON:
	/// `"stake"`.
	#[serde(alias = "Stake")]
	Stake,
	/// Minted into the neuron account's free balance. JSON: `"free"`.
	#[serde(alias = "Free")]
	Free,
}

/// How a payout splits the pot (see `docs/attribution.md` and `docs/consensus.md`).
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Mechanism {
	/// The attribution walk: emission by rank. JSON: `"attribution"`.
	#[serde(alias = "Attribution")]
	Attribution,
	/// Stake-weighted consensus: incentive and dividends. JSON: `"consensus"`.
	#[serde(alias = "Consensus")]
	Consensus,
}

/// A pending weight commit (`commit_weights`): the hash and the block it was made in.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct WeightCommit<BlockNumber> {
	/// `blake2_256` of the SCALE encoding of `(operator account, weights, salt)`.
	pub hash: [u8; 32],
	/// The block of the commit; the reveal window is counted from it.
	pub at: BlockNumber,
}

/// The mechanism and its parameters (storage item `MechanismConfig`), root-settable with
/// `set_params` like [`IncentiveParams`] and kept apart from them because only payouts and
/// weight calls read them.
///
/// Genesis JSON (key `incentive.mechanismParams`, camelCase, every field optional):
/// `mechanism` (`"attribution"` or `"consensus"`), `kappa`, `bondAlpha`, `dividendShare` (parts of
/// 10^18), `commitRevealRequired`, `revealDelay`, `revealWindow`.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(
	rename_all = "camelCase",
	deny_unknown_fields,
	bound(
		serialize = "BlockNumber: Serialize",
		deserialize = "BlockNumber: Deserialize<'de> + AtLeast32BitUnsigned"
	)
)]
pub struct MechanismParams<BlockNumber> {
	/// How payouts split the pot.
	#[serde(default = "default_mechanism")]
	pub mechanism: Mechanism,
	/// Consensus: the share of the eligible voting stake that must give a neuron at least its
	/// consensus weight (1/2: the stake-weighted median). At least 1/2.
	#[serde(default = "default_half")]
	pub kappa: Perquintill,
	/// Consensus: the weight of each payout in the bonds' moving average. Above zero.
	#[serde(default = "default_bond_alpha")]
	pub bond_alpha: Perquintill,
	/// Consensus: the share of the pot paid as dividends to evaluators when all stake judges
	/// and is confirmed; scaled by the judging share (`docs/consensus.md`).
	#[serde(default = "default_half")]
	pub dividend_share: Perquintill,
	/// Whether weights must be committed and revealed (`set_weights` is then refused).
	#[serde(default)]
	pub commit_reveal_required: bool,
	/// Blocks from a commit until it can be revealed. At least 1; against weight copying it
	/// must outlast how fast quality moves (`docs/consensus.md`).
	#[serde(default = "default_reveal_delay")]
	pub reveal_delay: BlockNumber,
	/// Blocks after `reveal_delay` in which a commit can still be revealed. At least 1, and
	/// `reveal_delay + reveal_window >= weights_rate_limit`.
	#[serde(default = "default_reveal_window")]
	pub reveal_window: BlockNumber,
}

impl<BlockNumber: AtLeast32BitUnsigned> Default for MechanismParams<BlockNumber> {
	/// Attribution, as before this mechanism existed; for consensus a median (`kappa` 1/2),
	/// bonds averaged over about ten payouts, up to half the pot to dividends; commit-reveal off, with
	/// a delay of two default tempos (the simulator's copiers lose at that lag, not at one) and
	/// a window of one.
	fn default() -> Self {
		Self {
			mechanism: default_mechanism(),
			kappa: default_half(),
			bond_alpha: default_bond_alpha(),
			dividend_share: default_half(),
			commit_reveal_required: false,
			reveal_delay: default_reveal_delay(),
			reveal_window: default_reveal_window(),
		}
	}
}

/// What a consensus payout left for one uid: an entry of `ConsensusShares`.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Default,
)]
pub struct ConsensusShare {
	/// The neuron's share of the clipped support.
	pub incentive: Perquintill,
	/// The neuron's share of the dividends.
	pub dividends: Perquintill,
}

/// The root-settable parameters of the incentive mechanism (storage item `Params`).
///
/// In the genesis config (JSON key `incentive.params`) the fields are camelCase:
/// `emissionPerBlock`, `tempo`, `emissionDestination` (`"stake"` or `"free"`),
/// `maxRankingPasses`, `maxNeurons`, `maxEdges`, `minStake`, `weightsRateLimit`,
/// `immunityPeriod`, `unbondingPeriod`, `registrationFeeFloor`, `registrationFeeCeiling`,
/// `registrationFeeGrowthPercent`, `registrationFeeHalfLife`. Unknown fields are rejected.
/// The mechanism's own parameters are [`MechanismParams`]. A preset patch may name only some of them: the
/// genesis builder merges it into the defaults.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(
	rename_all = "camelCase",
	deny_unknown_fields,
	bound(
		serialize = "Balance: Serialize, BlockNumber: Serialize",
		deserialize = "Balance: Deserialize<'de> + AtLeast32BitUnsigned, \
		               BlockNumber: Deserialize<'de> + AtLeast32BitUnsigned"
	)
)]
pub struct IncentiveParams<Balance, BlockNumber> {
	/// Base units added to the pending pot in every block. May be zero.
	pub emission_per_block: Balance,
	/// A payout happens in every block whose number is a multiple of `tempo` (1 = every block).
	/// At least 1.
	pub tempo: BlockNumber,
	/// Where payouts go.
	pub emission_destination: EmissionDestination,
	/// Upper bound on the passes of one ranking, `1..=MAX_RANKING_PASSES`.
	pub max_ranking_passes: u32,
	/// Number of neurons at which registration starts replacing neurons,
	/// `1..=min(MaxNeuronsLimit, 65_536)`. Lowering it evicts nobody.
	pub max_neurons: u32,
	/// Most entries one `set_weights` may post, `1..=MaxEdgesLimit`. Lowering it leaves posted
	/// weights as they are until the neuron posts again.
	pub max_edges: u32,
	/// Least stake a neuron may register with or reduce its stake to. Greater than zero.
	pub min_stake: Balance,
	/// Blocks that must pass between two `set_weights` of one neuron; 0 = no limit.
	pub weights_rate_limit: BlockNumber,
	/// Blocks after registration during which a neuron cannot be replaced.
	pub immunity_period: BlockNumber,
	/// Blocks that removed stake (by `remove_stake`, `unregister` or replacement) stays on hold,
	/// neither ranked nor spendable, before `withdraw_unbonded` can release it. At least
	/// `tempo`.
	#[serde(default = "default_unbonding_period")]
	pub unbonding_period: BlockNumber,
	/// The least registration fee: the price decays toward it. Zero turns the fee off (once a
	/// price set under a higher floor has decayed).
	#[serde(default = "default_fee_floor")]
	pub registration_fee_floor: Balance,
	/// The most a registration can cost. At least the floor.
	#[serde(default = "default_fee_ceiling")]
	pub registration_fee_ceiling: Balance,
	/// Each registration multiplies the price by this many percent (at least 100, at most
	/// 1000), capped at the ceiling.
	#[serde(default = "default_fee_growth")]
	pub registration_fee_growth_percent: u32,
	/// Blocks in which the price's excess over the floor halves. At least 1.
	#[serde(default = "default_fee_half_life")]
	pub registration_fee_half_life: BlockNumber,
}

fn default_mechanism() -> Mechanism {
	Mechanism::Attribution
}
fn default_half() -> Perquintill {
	Perquintill::from_percent(50)
}
fn default_bond_alpha() -> Perquintill {
	Perquintill::from_percent(10)
}
fn default_reveal_delay<B: AtLeast32BitUnsigned>() -> B {
	B::from(200u32)
}
fn default_reveal_window<B: AtLeast32BitUnsigned>() -> B {
	B::from(100u32)
}

fn default_unbonding_period<B: AtLeast32BitUnsigned>() -> B {
	B::from(200u32)
}
fn default_fee_floor<B: AtLeast32BitUnsigned>() -> B {
	B::from(1_000_000_000u32)
}
fn default_fee_ceiling<B: AtLeast32BitUnsigned>() -> B {
	B::from(1_000_000_000u32).saturating_mul(B::from(1_000u32))
}
fn default_fee_growth() -> u32 {
	200
}
fn default_fee_half_life<B: AtLeast32BitUnsigned>() -> B {
	B::from(300u32)
}

/// Upper bound of [`IncentiveParams::max_ranking_passes`].
pub const MAX_RANKING_PASSES: u32 = 1_000;

/// Upper bound of [`IncentiveParams::max_neurons`] whatever the runtime's limit: uids are `u16`.
pub const MAX_ADDRESSABLE_NEURONS: u32 = 1 << 16;

impl<Balance: AtLeast32BitUnsigned, BlockNumber: AtLeast32BitUnsigned> Default
	for IncentiveParams<Balance, BlockNumber>
{
	/// Defaults for a public network with 9-decimal tokens and 6 s blocks: 1 token per block,
	/// paid every 100 blocks (10 minutes) into stake, 256 neurons of up to 64 edges each, 1 token
	/// minimum stake, one `set_weights` per 100 blocks, 4096 blocks (about 7 hours) of immunity,
	/// the spec's 100 ranking passes, 200 blocks (two payouts) of unbonding, and a registration
	/// fee between 1 and 1000 tokens that doubles with each registration and halves its excess
	/// over the floor every 300 blocks (30 minutes).
	fn default() -> Self {
		Self {
			emission_per_block: Balance::from(1_000_000_000u32),
			tempo: BlockNumber::from(100u32),
			emission_destination: EmissionDestination::Stake,
			max_ranking_passes: 100,
			max_neurons: 256,
			max_edges: 64,
			min_stake: Balance::from(1_000_000_000u32),
			weights_rate_limit: BlockNumber::from(100u32),
			immunity_period: BlockNumber::from(4096u32),
			unbonding_period: default_unbonding_period(),
			registration_fee_floor: default_fee_floor(),
			registration_fee_ceiling: default_fee_ceiling(),
			registration_fee_growth_percent: default_fee_growth(),
			registration_fee_half_life: default_fee_half_life(),
		}
	}
}

impl<Balance, BlockNumber> IncentiveParams<Balance, BlockNumber> {
	/// The same parameters with `max_neurons` and `max_edges` lowered to fit the runtime's
	/// storage limits (used for the default genesis config).
	pub fn clamped_to(mut self, max_neurons_limit: u32, max_edges_limit: u32) -> Self {
		self.max_neurons =
			self.max_neurons.min(max_neurons_limit).clamp(1, MAX_ADDRESSABLE_NEURONS);
		self.max_edges = self.max_edges.min(max_edges_limit).max(1);
		self
	}
}

/// A change to [`IncentiveParams`] for `set_params`: `Some` fields are set, `None` fields kept.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	DefaultNoBound,
)]
pub struct IncentiveParamsUpdate<Balance, BlockNumber> {
	/// New [`IncentiveParams::emission_per_block`].
	pub emission_per_block: Option<Balance>,
	/// New [`IncentiveParams::tempo`].
	pub tempo: Option<BlockNumber>,
	/// New [`IncentiveParams::emission_destination`].
	pub emission_destination: Option<EmissionDestination>,
	/// New [`IncentiveParams::max_ranking_passes`].
	pub max_ranking_passes: Option<u32>,
	/// New [`IncentiveParams::max_neurons`].
	pub max_neurons: Option<u32>,
	/// New [`IncentiveParams::max_edges`].
	pub max_edges: Option<u32>,
	/// New [`IncentiveParams::min_stake`].
	pub min_stake: Option<Balance>,
	/// New [`IncentiveParams::weights_rate_limit`].
	pub weights_rate_limit: Option<BlockNumber>,
	/// New [`IncentiveParams::immunity_period`].
	pub immunity_period: Option<BlockNumber>,
	/// New [`IncentiveParams::unbonding_period`].
	pub unbonding_period: Option<BlockNumber>,
	/// New [`IncentiveParams::registration_fee_floor`].
	pub registration_fee_floor: Option<Balance>,
	/// New [`IncentiveParams::registration_fee_ceiling`].
	pub registration_fee_ceiling: Option<Balance>,
	/// New [`IncentiveParams::registration_fee_growth_percent`].
	pub registration_fee_growth_percent: Option<u32>,
	/// New [`IncentiveParams::registration_fee_half_life`].
	pub registration_fee_half_life: Option<BlockNumber>,
	/// New [`MechanismParams::mechanism`].
	pub mechanism: Option<Mechanism>,
	/// New [`MechanismParams::kappa`].
	pub kappa: Option<Perquintill>,
	/// New [`MechanismParams::bond_alpha`].
	pub bond_alpha: Option<Perquintill>,
	/// New [`MechanismParams::dividend_share`].
	pub dividend_share: Option<Perquintill>,
	/// New [`MechanismParams::commit_reveal_required`].
	pub commit_reveal_required: Option<bool>,
	/// New [`MechanismParams::reveal_delay`].
	pub reveal_delay: Option<BlockNumber>,
	/// New [`MechanismParams::reveal_window`].
	pub reveal_window: Option<BlockNumber>,
}

impl<Balance, BlockNumber: Clone> IncentiveParamsUpdate<Balance, BlockNumber> {
	/// `params` with the mechanism fields of this update applied.
	pub fn apply_to_mechanism(
		&self,
		mut params: MechanismParams<BlockNumber>,
	) -> MechanismParams<BlockNumber> {
		if let Some(v) = self.mechanism {
			params.mechanism = v;
		}
		if let Some(v) = self.kappa {
			params.kappa = v;
		}
		if let Some(v) = self.bond_alpha {
			params.bond_alpha = v;
		}
		if let Some(v) = self.dividend_share {
			params.dividend_share = v;
		}
		if let Some(v) = self.commit_reveal_required {
			params.commit_reveal_required = v;
		}
		if let Some(v) = &self.reveal_delay {
			params.reveal_delay = v.clone();
		}
		if let Some(v) = &self.reveal_window {
			params.reveal_window = v.clone();
		}
		params
	}

	/// `params` with the `Some` fields of this update applied.
	pub fn apply_to(
		self,
		mut params: IncentiveParams<Balance, BlockNumber>,
	) -> IncentiveParams<Balance, BlockNumber> {
		if let Some(v) = self.emission_per_block {
			params.emission_per_block = v;
		}
		if let Some(v) = self.tempo {
			params.tempo = v;
		}
		if let Some(v) = self.emission_destination {
			params.emission_destination = v;
		}
		if let Some(v) = self.max_ranking_passes {
			params.max_ranking_passes = v;
		}
		if let Some(v) = self.max_neurons {
			params.max_neurons = v;
		}
		if let Some(v) = self.max_edges {
			params.max_edges = v;
		}
		if let Some(v) = self.min_stake {
			params.min_stake = v;
		}
		if let Some(v) = self.weights_rate_limit {
			params.weights_rate_limit = v;
		}
		if let Some(v) = self.immunity_period {
			params.immunity_period = v;
		}
		if let Some(v) = self.unbonding_period {
			params.unbonding_period = v;
		}
		if let Some(v) = self.registration_fee_floor {
			params.registration_fee_floor = v;
		}
		if let Some(v) = self.registration_fee_ceiling {
			params.registration_fee_ceiling = v;
		}
		if let Some(v) = self.registration_fee_growth_percent {
			params.registration_fee_growth_percent = v;
		}
		if let Some(v) = self.registration_fee_half_life {
			params.registration_fee_half_life = v;
		}
		params
	}
}
