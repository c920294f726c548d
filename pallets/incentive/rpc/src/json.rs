//! The JSON shapes the RPC methods return, and their conversion from the runtime API's SCALE
//! views.
//!
//! Conventions, the same in every response:
//! - field names are `snake_case`;
//! - balances are decimal strings of base units (10^-9 TAO), since JSON numbers lose precision
//!   above 2^53;
//! - fractions (ranks, self weights) come twice: as a JSON number (`rank`, an `f64` for display)
//!   and exactly as a decimal string of parts per 10^18 (`rank_raw`);
//! - accounts are SS58 addresses with prefix [`SS58_PREFIX`];
//! - block numbers are JSON numbers, hashes `0x` hex.

use pallet_incentive_runtime_api::{
	AxonInfo, EmissionDestination, Emissions, IncentiveParams, Mechanism, MechanismParams,
	Metagraph, NeuronEmission, NeuronView, Perquintill,
};
use serde::{Deserialize, Serialize};
use sp_core::crypto::{AccountId32, Ss58AddressFormat, Ss58Codec};

use crate::{AccountId, Balance, BlockNumber};

/// The SS58 prefix accounts are shown with: 42, the generic Substrate prefix, which is this
/// chain's `ss58Format` property.
pub const SS58_PREFIX: u16 = 42;

/// Parts of a [`Perquintill`] that make one: `rank_raw` and `self_weight_raw` are over this.
pub const FRACTION_DENOMINATOR: u64 = 1_000_000_000_000_000_000;

/// The block a response describes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRef {
	/// Block number.
	pub number: u64,
	/// Block hash, `0x` hex.
	pub hash: String,
}

/// Where a neuron serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AxonJson {
	/// The address as text: dotted IPv4 for IPv4 axons (stored IPv4-mapped), IPv6 otherwise.
	pub ip: String,
	/// TCP port.
	pub port: u16,
	/// Protocol version the axon speaks.
	pub version: u32,
}

/// One neuron.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeuronJson {
	/// The neuron's uid.
	pub uid: u16,
	/// The neuron's owner account, SS58.
	pub account: String,
	/// Its operator key (signs weights and the axon), SS58.
	pub operator: String,
	/// The key its owner offered the operator role to and that has not accepted yet, SS58.
	pub operator_offer: Option<String>,
	/// Stake, base units.
	pub stake: String,
	/// The stake it ranks with at the next payout (its least stake since the last payout; zero
	/// for a neuron registered since then), base units.
	pub ranked_stake: String,
	/// Rank at the last payout, as a number in `[0, 1]` (for display: rounded to `f64`).
	pub rank: f64,
	/// The exact rank: parts per 10^18, decimal string.
	pub rank_raw: String,
	/// Fraction of incoming stake the neuron keeps, as a number in `[0, 1]`.
	pub self_weight: f64,
	/// The exact self weight: parts per 10^18, decimal string.
	pub self_weight_raw: String,
	/// Paid at the last payout, base units.
	pub last_emission: String,
	/// Paid over all payouts since registration, base units.
	pub total_emission: String,
	/// Block of registration.
	pub registered_at: BlockNumber,
	/// Block of the last accepted `set_weights`; `null` before the first.
	pub last_weights_at: Option<BlockNumber>,
	/// Where the neuron serves; `null` if it never said.
	pub axon: Option<AxonJson>,
	/// Posted weights, `[[target uid, raw weight], …]`, sorted by uid.
	pub edges: Vec<(u16, u16)>,
	/// How many of `edges` are stale (posted before their target's neuron registered) and so
	/// ignored by the ranking.
	pub stale_edges: u32,
	/// Consensus: share of the clipped support at the last consensus payout, in `[0, 1]`.
	pub incentive: f64,
	/// The exact incentive: parts per 10^18, decimal string.
	pub incentive_raw: String,
	/// Consensus: share of the dividends at the last consensus payout, in `[0, 1]`.
	pub dividends: f64,
	/// The exact dividends: parts per 10^18, decimal string.
	pub dividends_raw: String,
	/// Consensus: the neuron's bonds as an evaluator, `[[target uid, bond], …]`, each bond a
	/// fraction of 2^32 (an integer).
	pub bonds: Vec<(u16, u64)>,
}

/// The mechanism in force and its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MechanismJson {
	/// `"attribution"` or `"consensus"`.
	pub mechanism: Mechanism,
	/// Share of eligible voting stake a consensus weight needs, in `[0, 1]`.
	pub kappa: f64,
	/// Weight of each payout in the bonds' moving average, in `[0, 1]`.
	pub bond_alpha: f64,
	/// Share of the pot paid as dividends when all stake judges and is confirmed, in `[0, 1]`;
	/// scaled by the judging share (a neuron's `rank` is its share of the pot).
	pub dividend_share: f64,
	/// Whether `set_weights` is refused for commit-reveal.
	pub commit_reveal_required: bool,
	/// Blocks from a commit until it can be revealed.
	pub reveal_delay: BlockNumber,
	/// Blocks after that in which it can be.
	pub reveal_window: BlockNumber,
}

/// The parameters in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamsJson {
	/// Added to the pot every block, base units.
	pub emission_per_block: String,
	/// Payout every this many blocks.
	pub tempo: BlockNumber,
	/// Where payouts go: `"stake"` or `"free"`.
	pub emission_destination: EmissionDestination,
	/// Most ranking passes per payout.
	pub max_ranking_passes: u32,
	/// Neurons at which registration starts replacing.
	pub max_neurons: u32,
	/// Most edges per `set_weights`.
	pub max_edges: u32,
	/// Least stake, base units.
	pub min_stake: String,
	/// Blocks between two `set_weights` of one neuron.
	pub weights_rate_limit: BlockNumber,
	/// Blocks after registration during which a neuron cannot be replaced.
	pub immunity_period: BlockNumber,
	/// Blocks that removed stake stays on hold before `withdraw_unbonded` releases it.
	pub unbonding_period: BlockNumber,
	/// The least registration fee, base units: the price decays toward it.
	pub registration_fee_floor: String,
	/// The most a registration can cost, base units.
	pub registration_fee_ceiling: String,
	/// Each registration multiplies the price by this many percent (capped at the ceiling).
	pub registration_fee_growth_percent: u32,
	/// Blocks in which the price's excess over the floor halves.
	pub registration_fee_half_life: BlockNumber,
}

/// `incentive_metagraph`: the whole network at a block.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetagraphJson {
	/// The block.
	pub block: BlockRef,
	/// Number of registered neurons.
	pub neuron_count: u32,
	/// Number of stored edges over all neurons.
	pub edge_count: u32,
	/// Sum of all stake, base units.
	pub total_stake: String,
	/// The pot: accrued, not paid yet, base units.
	pub pending_emission: String,
	/// Added to the pot every block, base units (also in `params`).
	pub emission_per_block: String,
	/// Everything paid out so far, base units.
	pub total_paid: String,
	/// The registration fee in force at this block, base units: a `register` in the next block
	/// burns at most this.
	pub registration_fee: String,
	/// Everything burned as registration fees so far, base units.
	pub total_burned: String,
	/// The parameters in force.
	pub params: ParamsJson,
	/// The mechanism in force and its parameters.
	pub mechanism: MechanismJson,
	/// Every neuron, by ascending uid; a page of them when the request asked for one.
	pub neurons: Vec<NeuronJson>,
	/// The uid to ask for next when this is a page and neurons follow it; `null` otherwise
	/// (absent from nodes before paging).
	#[serde(default)]
	pub next_uid: Option<u16>,
}

/// One neuron's entry in `incentive_emissions`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeuronEmissionJson {
	/// The neuron's uid.
	pub uid: u16,
	/// The neuron's account, SS58.
	pub account: String,
	/// Rank at the last payout, as a number in `[0, 1]`.
	pub rank: f64,
	/// The exact rank: parts per 10^18, decimal string.
	pub rank_raw: String,
	/// Paid at the last payout, base units.
	pub last_emission: String,
	/// Paid over all payouts since registration, base units.
	pub total_emission: String,
	/// Consensus: incentive at the last consensus payout, in `[0, 1]`.
	pub incentive: f64,
	/// Consensus: dividends at the last consensus payout, in `[0, 1]`.
	pub dividends: f64,
}

/// `incentive_emissions`: the pot, the payout schedule and what each neuron was paid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmissionsJson {
	/// The block.
	pub block: BlockRef,
	/// Added to the pot every block, base units.
	pub emission_per_block: String,
	/// Payout every this many blocks.
	pub tempo: BlockNumber,
	/// Where payouts go: `"stake"` or `"free"`.
	pub emission_destination: EmissionDestination,
	/// How payouts split the pot: `"attribution"` or `"consensus"`.
	pub mechanism: Mechanism,
	/// The next payout block; `null` only if it would not fit a block number.
	pub next_payout_block: Option<BlockNumber>,
	/// The pot after this block, base units.
	pub pending_emission: String,
	/// Everything paid out so far, base units.
	pub total_paid: String,
	/// Sum of the neurons' `last_emission`, base units: what the last payout paid to the
	/// neurons still registered.
	pub total_last_emission: String,
	/// Every neuron, by ascending uid.
	pub neurons: Vec<NeuronEmissionJson>,
}

/// `incentive_neuron`: one neuron at a block.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeuronResponse {
	/// The block.
	pub block: BlockRef,
	/// The neuron.
	pub neuron: NeuronJson,
}

/// `incentive_registrationFee`: the registration fee at a block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationFeeJson {
	/// The block.
	pub block: BlockRef,
	/// The registration fee in force at this block, base units: a `register` in the next block
	/// burns at most this (unless another registration or a parameter change comes first), so
	/// it serves as the call's `max_fee`.
	pub registration_fee: String,
}

/// `account` as an SS58 address with [`SS58_PREFIX`].
pub fn ss58(account: &AccountId32) -> String {
	account.to_ss58check_with_version(Ss58AddressFormat::custom(SS58_PREFIX))
}

/// `fraction` as an `f64` in `[0, 1]` (display only: `f64` has 53 bits, the parts need 60).
pub fn fraction_f64(fraction: Perquintill) -> f64 {
	fraction.deconstruct() as f64 / FRACTION_DENOMINATOR as f64
}

/// `fraction` exactly, as a decimal string of parts per 10^18.
pub fn fraction_raw(fraction: Perquintill) -> String {
	fraction.deconstruct().to_string()
}

/// The block `number` with hash `hash` (any hash type that is bytes).
pub fn block_ref(number: u64, hash: &impl AsRef<[u8]>) -> BlockRef {
	BlockRef { number, hash: sp_core::bytes::to_hex(hash.as_ref(), false) }
}

/// The axon as text.
pub fn axon_json(axon: &AxonInfo) -> AxonJson {
	let ip = axon.ip_addr();
	let ip = match ip.to_ipv4_mapped() {
		Some(v4) => v4.to_string(),
		None => ip.to_string(),
	};
	AxonJson { ip, port: axon.port, version: axon.version }
}

/// The parameters as JSON.
pub fn params_json(params: &IncentiveParams<Balance, BlockNumber>) -> ParamsJson {
	ParamsJson {
		emission_per_block: params.emission_per_block.to_string(),
		tempo: params.tempo,
		emission_destination: params.emission_destination,
		max_ranking_passes: params.max_ranking_passes,
		max_neurons: params.max_neurons,
		max_edges: params.max_edges,
		min_stake: params.min_stake.to_string(),
		weights_rate_limit: params.weights_rate_limit,
		immunity_period: params.immunity_period,
		unbonding_period: params.unbonding_period,
		registration_fee_floor: params.registration_fee_floor.to_string(),
		registration_fee_ceiling: params.registration_fee_ceiling.to_string(),
		registration_fee_growth_percent: params.registration_fee_growth_percent,
		registration_fee_half_life: params.registration_fee_half_life,
	}
}

/// One neuron as JSON.
pub fn neuron_json(view: NeuronView<AccountId, Balance, BlockNumber>) -> NeuronJson {
	NeuronJson {
		uid: view.uid,
		account: ss58(&view.account),
		operator: ss58(&view.operator),
		operator_offer: view.operator_offer.as_ref().map(ss58),
		stake: view.stake.to_string(),
		ranked_stake: view.ranked_stake.to_string(),
		rank: fraction_f64(view.rank),
		rank_raw: fraction_raw(view.rank),
		self_weight: fraction_f64(view.self_weight),
		self_weight_raw: fraction_raw(view.self_weight),
		last_emission: view.last_emission.to_string(),
		total_emission: view.total_emission.to_string(),
		registered_at: view.registered_at,
		last_weights_at: view.last_weights_at,
		axon: view.axon.as_ref().map(axon_json),
		edges: view.edges,
		stale_edges: view.stale_edges,
		incentive: fraction_f64(view.incentive),
		incentive_raw: fraction_raw(view.incentive),
		dividends: fraction_f64(view.dividends),
		dividends_raw: fraction_raw(view.dividends),
		bonds: view.bonds,
	}
}

/// The mechanism parameters as JSON.
pub fn mechanism_json(params: &MechanismParams<BlockNumber>) -> MechanismJson {
	MechanismJson {
		mechanism: params.mechanism,
		kappa: fraction_f64(params.kappa),
		bond_alpha: fraction_f64(params.bond_alpha),
		dividend_share: fraction_f64(params.dividend_share),
		commit_reveal_required: params.commit_reveal_required,
		reveal_delay: params.reveal_delay,
		reveal_window: params.reveal_window,
	}
}

/// The metagraph at `block` as JSON.
pub fn metagraph_json(
	block: BlockRef,
	metagraph: Metagraph<AccountId, Balance, BlockNumber>,
) -> MetagraphJson {
	MetagraphJson {
		block,
		neuron_count: metagraph.neuron_count,
		edge_count: metagraph.edge_count,
		total_stake: metagraph.total_stake.to_string(),
		pending_emission: metagraph.pending_emission.to_string(),
		emission_per_block: metagraph.params.emission_per_block.to_string(),
		total_paid: metagraph.total_paid.to_string(),
		registration_fee: metagraph.registration_fee.to_string(),
		total_burned: metagraph.total_burned.to_string(),
		params: params_json(&metagraph.params),
		mechanism: mechanism_json(&metagraph.mechanism),
		neurons: metagraph.neurons.into_iter().map(neuron_json).collect(),
		next_uid: None,
	}
}

/// The most neurons one `incentive_metagraph` page holds: at the runtime's largest neuron
/// (256 edges and 256 bonds of the widest values, about 12 kB of JSON) a page stays near 6 MB,
/// well under the node's default 15 MiB response limit, whatever the neurons post.
pub const MAX_PAGE_NEURONS: u32 = 512;

/// The page of `full` that starts at the first neuron with uid `from_uid` or above and holds at
/// most `limit` neurons (`1..=MAX_PAGE_NEURONS`), with the totals and parameters of the whole
/// network and `next_uid` set when neurons follow.
pub fn metagraph_page(
	full: &MetagraphJson,
	from_uid: u16,
	limit: u32,
) -> Result<MetagraphJson, crate::Error> {
	if limit == 0 || limit > MAX_PAGE_NEURONS {
		return Err(crate::Error::BadPageSize { limit, max: MAX_PAGE_NEURONS });
	}
	let start = full.neurons.partition_point(|n| n.uid < from_uid);
	let end = start.saturating_add(limit as usize).min(full.neurons.len());
	Ok(MetagraphJson {
		block: full.block.clone(),
		neuron_count: full.neuron_count,
		edge_count: full.edge_count,
		total_stake: full.total_stake.clone(),
		pending_emission: full.pending_emission.clone(),
		emission_per_block: full.emission_per_block.clone(),
		total_paid: full.total_paid.clone(),
		registration_fee: full.registration_fee.clone(),
		total_burned: full.total_burned.clone(),
		params: full.params.clone(),
		mechanism: full.mechanism.clone(),
		neurons: full.neurons.get(start..end).unwrap_or_default().to_vec(),
		next_uid: full.neurons.get(end).map(|n| n.uid),
	})
}

/// The registration fee at `block` as JSON.
pub fn registration_fee_json(block: BlockRef, fee: Balance) -> RegistrationFeeJson {
	RegistrationFeeJson { block, registration_fee: fee.to_string() }
}

/// One neuron's emission as JSON.
pub fn neuron_emission_json(record: NeuronEmission<AccountId, Balance>) -> NeuronEmissionJson {
	NeuronEmissionJson {
		uid: record.uid,
		account: ss58(&record.account),
		rank: fraction_f64(record.rank),
		rank_raw: fraction_raw(record.rank),
		last_emission: record.last_emission.to_string(),
		total_emission: record.total_emission.to_string(),
		incentive: fraction_f64(record.incentive),
		dividends: fraction_f64(record.dividends),
	}
}

/// The emissions at `block` as JSON.
pub fn emissions_json(
	block: BlockRef,
	emissions: Emissions<AccountId, Balance, BlockNumber>,
) -> EmissionsJson {
	let total_last_emission = emissions
		.neurons
		.iter()
		.fold(0u128, |sum, record| sum.saturating_add(record.last_emission));
	EmissionsJson {
		block,
		emission_per_block: emissions.emission_per_block.to_string(),
		tempo: emissions.tempo,
		emission_destination: emissions.emission_destination,
		mechanism: emissions.mechanism,
		next_payout_block: emissions.next_payout_block,
		pending_emission: emissions.pending_emission.to_string(),
		total_paid: emissions.total_paid.to_string(),
		total_last_emission: total_last_emission.to_string(),
		neurons: emissions.neurons.into_iter().map(neuron_emission_json).collect(),
	}
}
