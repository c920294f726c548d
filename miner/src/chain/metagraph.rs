//! The JSON answers of the node's `incentive_*` RPC methods (`docs/rpc.md`), as far as the
//! miner reads them. Unknown fields are ignored so that a newer node still parses; balances
//! arrive as decimal strings and are parsed into `u128` base units.

use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Deserializer};

/// Base units per TAO.
pub const TAO: u128 = tensor_runtime::TAO;

fn de_u128<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
	let s = String::deserialize(d)?;
	s.parse().map_err(|_| serde::de::Error::custom(format!("{s:?} is not a balance")))
}

/// Formats base units as TAO with all nine decimals (`1.500000000`).
pub fn fmt_tao(units: u128) -> String {
	format!("{}.{:09}", units / TAO, units % TAO)
}

/// `{"number", "hash"}` of the block an answer describes.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct BlockRef {
	/// Block number.
	pub number: u64,
	/// Block hash, `0x…`.
	pub hash: String,
}

/// Where a neuron serves, as the RPC renders it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct AxonJson {
	/// Dotted IPv4 for IPv4 axons, IPv6 text otherwise.
	pub ip: String,
	/// TCP port.
	pub port: u16,
	/// Protocol version.
	pub version: u32,
}

impl AxonJson {
	/// The socket address, or `None` when the IP does not parse.
	pub fn socket_addr(&self) -> Option<SocketAddr> {
		let ip: IpAddr = self.ip.parse().ok()?;
		Some(SocketAddr::new(ip, self.port))
	}
}

/// One neuron of the metagraph.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct NeuronJson {
	/// Its uid.
	pub uid: u16,
	/// SS58 address of its owner account (registers, holds the stake).
	pub account: String,
	/// SS58 address of its operator key (signs weights and the axon); empty from a node older
	/// than spec 104, whose neurons are operated by their owners.
	#[serde(default)]
	pub operator: String,
	/// SS58 address of the key its owner offered the operator role to, if not accepted yet.
	#[serde(default)]
	pub operator_offer: Option<String>,
	/// Stake in base units.
	#[serde(deserialize_with = "de_u128")]
	pub stake: u128,
	/// Rank at the last payout, in `[0, 1]`.
	pub rank: f64,
	/// Consensus: share of the clipped support at the last consensus payout (zero under
	/// attribution, and from nodes before the consensus mechanism).
	#[serde(default)]
	pub incentive: f64,
	/// Consensus: share of the dividends at the last consensus payout.
	#[serde(default)]
	pub dividends: f64,
	/// Paid at the last payout (base units).
	#[serde(deserialize_with = "de_u128")]
	pub last_emission: u128,
	/// Paid since it registered (base units).
	#[serde(deserialize_with = "de_u128")]
	pub total_emission: u128,
	/// Block of registration.
	pub registered_at: u32,
	/// Block of its last accepted `set_weights`.
	pub last_weights_at: Option<u32>,
	/// Where it serves, if it announced it.
	pub axon: Option<AxonJson>,
	/// Its posted weights `(target uid, raw)`.
	pub edges: Vec<(u16, u16)>,
}

impl NeuronJson {
	/// The operator key's SS58 address: the owner's where the node does not report one.
	pub fn operator_key(&self) -> &str {
		if self.operator.is_empty() {
			&self.account
		} else {
			&self.operator
		}
	}
}

/// The parameters in force.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ParamsJson {
	/// Blocks between payouts.
	pub tempo: u32,
	/// Least stake of a neuron (base units).
	#[serde(deserialize_with = "de_u128")]
	pub min_stake: u128,
	/// Most edges per neuron.
	pub max_edges: u32,
	/// Least number of blocks between two `set_weights` of one neuron.
	pub weights_rate_limit: u32,
}

/// The mechanism in force, as far as the miner needs it (`mechanism` in the metagraph).
#[derive(Clone, Debug, Deserialize, PartialEq, Default)]
pub struct MechanismJson {
	/// `"attribution"` or `"consensus"`.
	#[serde(default)]
	pub mechanism: String,
	/// Whether weights must be committed and revealed.
	#[serde(default)]
	pub commit_reveal_required: bool,
	/// Blocks from a commit until it can be revealed.
	#[serde(default)]
	pub reveal_delay: u32,
	/// Blocks after that in which it can be.
	#[serde(default)]
	pub reveal_window: u32,
}

/// Answer of `incentive_metagraph`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Metagraph {
	/// The block answered for.
	pub block: BlockRef,
	/// Sum of all stake (base units).
	#[serde(deserialize_with = "de_u128")]
	pub total_stake: u128,
	/// The pot not paid yet (base units).
	#[serde(deserialize_with = "de_u128")]
	pub pending_emission: u128,
	/// Everything paid out since genesis (base units).
	#[serde(deserialize_with = "de_u128")]
	pub total_paid: u128,
	/// The parameters.
	pub params: ParamsJson,
	/// The mechanism (absent from nodes before it existed: attribution, no commit-reveal).
	#[serde(default)]
	pub mechanism: MechanismJson,
	/// Every neuron, by uid (a page of them in one page's answer).
	pub neurons: Vec<NeuronJson>,
	/// In one page's answer, the uid the next page starts at, if neurons follow.
	#[serde(default)]
	pub next_uid: Option<u16>,
}

impl Metagraph {
	/// The neuron whose operator key has SS58 address `ss58` (prefix 42): the one a miner
	/// running with that key serves and posts weights for.
	pub fn neuron_operated_by(&self, ss58: &str) -> Option<&NeuronJson> {
		self.neurons.iter().find(|n| n.operator_key() == ss58)
	}

	/// The neuron owned by `owner` (SS58) that offers its operator role to `key` (SS58).
	pub fn operator_offer(&self, owner: &str, key: &str) -> Option<&NeuronJson> {
		self.neuron_owned_by(owner).filter(|n| n.operator_offer.as_deref() == Some(key))
	}

	/// The neuron owned by the account with SS58 address `ss58`.
	pub fn neuron_owned_by(&self, ss58: &str) -> Option<&NeuronJson> {
		self.neurons.iter().find(|n| n.account == ss58)
	}

	/// The neuron with `uid`.
	pub fn neuron(&self, uid: u16) -> Option<&NeuronJson> {
		self.neurons.iter().find(|n| n.uid == uid)
	}

	/// Checks that this answer is the page of the metagraph asked for from uid `from` with at
	/// most `limit` neurons, after neurons up to uid `after`: uids ascending, at or above
	/// `from` and above `after`; when it says neurons follow, not empty, within `limit`, all
	/// below `next_uid`. An answer that says nothing follows may hold any number of neurons
	/// (a node from before paging answers with all of them).
	pub fn check_page(&self, from: u16, after: Option<u16>, limit: usize) -> Result<(), String> {
		let uids: Vec<u16> = self.neurons.iter().map(|n| n.uid).collect();
		let ascending = uids.windows(2).all(|w| matches!(w, [a, b] if a < b));
		let first = uids.first().copied();
		if !ascending || first.is_some_and(|u| u < from || after.is_some_and(|a| u <= a)) {
			return Err(format!(
				"the page from uid {from} (after uid {after:?}) has uids out of order: {:?}…",
				uids.get(..8.min(uids.len())).unwrap_or_default()
			));
		}
		if let Some(next) = self.next_uid {
			let last = uids.last().copied();
			if uids.is_empty() || uids.len() > limit || last.is_some_and(|l| l >= next) {
				return Err(format!(
					"the page from uid {from} says the next starts at uid {next} but holds {} \
					 neurons (at most {limit}), the last at uid {last:?}",
					uids.len()
				));
			}
		}
		Ok(())
	}

	/// Appends `page`, the page from uid `from` of at most `limit` neurons, after checking it
	/// (see [`Self::check_page`]) and that it describes this metagraph's block.
	pub fn append_page(&mut self, page: Metagraph, from: u16, limit: usize) -> Result<(), String> {
		if page.block != self.block {
			return Err(format!(
				"the page from uid {from} is of block {} ({}), not of block {} ({})",
				page.block.number, page.block.hash, self.block.number, self.block.hash
			));
		}
		page.check_page(from, self.neurons.last().map(|n| n.uid), limit)?;
		self.neurons.extend(page.neurons);
		self.next_uid = page.next_uid;
		Ok(())
	}

	/// Every neuron other than `me` that announced a dialable axon, as `(uid, address)` by uid.
	/// Neurons without an axon are not peers.
	pub fn peers(&self, me: Option<u16>) -> Vec<(u16, SocketAddr)> {
		self.neurons
			.iter()
			.filter(|n| Some(n.uid) != me)
			.filter_map(|n| Some((n.uid, n.axon.as_ref()?.socket_addr()?)))
			.filter(|(_, addr)| !addr.ip().is_unspecified() && addr.port() != 0)
			.collect()
	}
}

/// One neuron in `incentive_emissions`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct NeuronEmissionJson {
	/// Its uid.
	pub uid: u16,
	/// Rank at the last payout.
	pub rank: f64,
	/// Paid at the last payout (base units).
	#[serde(deserialize_with = "de_u128")]
	pub last_emission: u128,
	/// Paid since it registered (base units).
	#[serde(deserialize_with = "de_u128")]
	pub total_emission: u128,
}

/// Answer of `incentive_emissions`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Emissions {
	/// The block answered for.
	pub block: BlockRef,
	/// Emission per block (base units).
	#[serde(deserialize_with = "de_u128")]
	pub emission_per_block: u128,
	/// Blocks between payouts.
	pub tempo: u32,
	/// The next payout block.
	pub next_payout_block: Option<u32>,
	/// Everything paid since genesis (base units).
	#[serde(deserialize_with = "de_u128")]
	pub total_paid: u128,
	/// What the last payout paid to neurons still registered (base units).
	#[serde(deserialize_with = "de_u128")]
	pub total_last_emission: u128,
	/// Per neuron, by uid.
	pub neurons: Vec<NeuronEmissionJson>,
}

#[cfg(test)]
mod tests {
	use super::*;

	/// A page of neurons at `uids` at block 7, saying the next starts at `next`.
	fn page(uids: &[u16], next: Option<u16>, block_hash: &str) -> Metagraph {
		let neurons: Vec<serde_json::Value> = uids
			.iter()
			.map(|uid| {
				serde_json::json!({"uid": uid, "account": "5A", "stake": "1", "rank": 0.0,
					"last_emission": "0", "total_emission": "0", "registered_at": 1,
					"last_weights_at": null, "axon": null, "edges": []})
			})
			.collect();
		serde_json::from_value(serde_json::json!({
			"block": {"number": 7, "hash": block_hash},
			"total_stake": "1", "pending_emission": "0", "total_paid": "0",
			"params": {"emission_per_block": "1", "tempo": 10, "emission_destination": "stake",
				"max_ranking_passes": 100, "max_neurons": 256, "max_edges": 64,
				"min_stake": "1", "weights_rate_limit": 1, "immunity_period": 100},
			"neurons": neurons, "next_uid": next,
		}))
		.unwrap()
	}

	#[test]
	fn pages_join_only_in_order_at_one_block() {
		let mut whole = page(&[0, 1, 2], Some(3), "0xaa");
		whole.check_page(0, None, 3).unwrap();
		whole.append_page(page(&[3, 5], Some(6), "0xaa"), 3, 3).unwrap();
		whole.append_page(page(&[6], None, "0xaa"), 6, 3).unwrap();
		assert_eq!(whole.neurons.iter().map(|n| n.uid).collect::<Vec<_>>(), [0, 1, 2, 3, 5, 6]);
		assert_eq!(whole.next_uid, None);
		// A node from before paging: every neuron at once, nothing follows.
		page(&[0, 1, 2, 3, 4], None, "0xaa").check_page(0, None, 3).unwrap();

		let start = || page(&[0, 1], Some(2), "0xaa");
		let refused = [
			(page(&[2], None, "0xbb"), "of block 7 (0xbb)"),
			(page(&[1, 2], None, "0xaa"), "out of order"),
			(page(&[3, 2], None, "0xaa"), "out of order"),
			(page(&[2, 2], None, "0xaa"), "out of order"),
			(page(&[], Some(3), "0xaa"), "holds 0 neurons"),
			(page(&[2, 3, 4, 5], Some(6), "0xaa"), "holds 4 neurons (at most 3)"),
			(page(&[2, 3], Some(3), "0xaa"), "the last at uid Some(3)"),
		];
		for (bad, why) in refused {
			let mut whole = start();
			let error = whole.append_page(bad, 2, 3).unwrap_err();
			assert!(error.contains(why), "{error}");
			assert_eq!(whole.neurons.len(), 2, "a refused page changed the metagraph");
		}
		assert!(page(&[1], None, "0xaa").check_page(2, None, 3).is_err(), "below from_uid");
	}

	#[test]
	fn parses_the_documented_shape_and_lists_peers_with_axons_only() {
		let json = serde_json::json!({
			"block": {"number": 12, "hash": "0xab"},
			"neuron_count": 3, "edge_count": 1, "total_stake": "3000000000",
			"pending_emission": "0", "emission_per_block": "1000000000", "total_paid": "20",
			"params": {"emission_per_block": "1000000000", "tempo": 10,
				"emission_destination": "stake", "max_ranking_passes": 100, "max_neurons": 256,
				"max_edges": 64, "min_stake": "1000000000", "weights_rate_limit": 1,
				"immunity_period": 100},
			"neurons": [
				{"uid": 0, "account": "5A", "operator": "5A", "stake": "1000000000", "rank": 0.5,
				 "rank_raw": "500000000000000000", "self_weight": 1.0,
				 "self_weight_raw": "1000000000000000000", "last_emission": "5",
				 "total_emission": "10", "registered_at": 1, "last_weights_at": 3,
				 "axon": {"ip": "127.0.0.1", "port": 7101, "version": 1}, "edges": [[0, 10]]},
				{"uid": 1, "account": "5B", "operator": "5X", "stake": "1000000000", "rank": 0.5,
				 "rank_raw": "0", "self_weight": 1.0, "self_weight_raw": "0",
				 "last_emission": "5", "total_emission": "10", "registered_at": 1,
				 "last_weights_at": null, "axon": null, "edges": []},
				{"uid": 2, "account": "5C", "stake": "1000000000", "rank": 0.0,
				 "rank_raw": "0", "self_weight": 1.0, "self_weight_raw": "0",
				 "last_emission": "0", "total_emission": "0", "registered_at": 1,
				 "last_weights_at": null, "axon": {"ip": "::1", "port": 7103, "version": 1},
				 "operator_offer": "5Y",
				 "edges": []}
			]
		});
		let m: Metagraph = serde_json::from_value(json).unwrap();
		assert_eq!(m.params.weights_rate_limit, 1);
		assert_eq!(m.total_stake, 3 * TAO);
		assert_eq!(m.neuron_operated_by("5X").map(|n| n.uid), Some(1));
		assert_eq!(m.neuron_owned_by("5B").map(|n| n.uid), Some(1));
		assert_eq!(m.neuron_operated_by("5B"), None);
		assert_eq!(m.operator_offer("5C", "5Y").map(|n| n.uid), Some(2));
		// Without an `operator` field (a node before spec 104) the owner operates.
		assert_eq!(m.neuron_operated_by("5C").map(|n| n.uid), Some(2));
		assert_eq!(m.operator_offer("5B", "5Y"), None);
		let peers = m.peers(Some(0));
		assert_eq!(peers, vec![(2, "[::1]:7103".parse().unwrap())]);
		assert_eq!(fmt_tao(1_500_000_000), "1.500000000");
	}
}
