//! Tests of the JSON conversion, the `uid_or_account` parser and the error mapping (no node).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::{
	error::{codes, Error},
	json::*,
	query::{NeuronQuery, QueryError},
	AccountId,
};
use jsonrpsee::types::ErrorObjectOwned;
use pallet_incentive_runtime_api::{
	AxonInfo, EmissionDestination, Emissions, IncentiveParams, Metagraph, NeuronEmission,
	NeuronInfo, NeuronView, Perquintill,
};
use serde_json::json;
use sp_core::crypto::{Ss58AddressFormat, Ss58Codec};

/// Alice's well-known dev key (`//Alice`, sr25519) and its generic-prefix address.
const ALICE_HEX: &str = "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";
const ALICE_SS58: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
/// Bob's.
const BOB_HEX: &str = "8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48";
const BOB_SS58: &str = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty";

fn account(hex: &str) -> AccountId {
	let bytes = sp_core::bytes::from_hex(hex).unwrap();
	AccountId::new(bytes.try_into().unwrap())
}

fn alice() -> AccountId {
	account(ALICE_HEX)
}

fn bob() -> AccountId {
	account(BOB_HEX)
}

fn view(
	uid: u16,
	who: AccountId,
	stake: u128,
	edges: Vec<(u16, u16)>,
) -> NeuronView<AccountId, u128, u32> {
	let info = NeuronInfo {
		operator: who.clone(),
		account: who,
		stake,
		held_stake: stake,
		unsettled_stake: 0,
		registered_at: 4,
		last_weights_at: None,
		axon: None,
		rank: Perquintill::zero(),
		last_emission: 0,
		total_emission: 0,
		ranked_stake: stake,
		incentive: Perquintill::from_percent(10),
		dividends: Perquintill::from_percent(20),
	};
	let counted = edges.clone();
	NeuronView::new(uid, info, edges, &counted, 2)
}

fn params() -> IncentiveParams<u128, u32> {
	IncentiveParams {
		emission_per_block: 1_000_000_000,
		tempo: 2,
		emission_destination: EmissionDestination::Stake,
		max_ranking_passes: 100,
		max_neurons: 16,
		max_edges: 8,
		min_stake: 10_000_000_000,
		weights_rate_limit: 0,
		immunity_period: 4096,
		unbonding_period: 4,
		registration_fee_floor: 1_000_000_000,
		registration_fee_ceiling: 1_000_000_000_000,
		registration_fee_growth_percent: 200,
		registration_fee_half_life: 300,
	}
}

#[test]
fn neuron_converts_to_the_documented_json() {
	let mut neuron = view(0, alice(), 123_456_789_012_345_678_901, vec![(0, 1), (1, 3)]);
	neuron.rank = Perquintill::from_parts(250_000_000_000_000_001);
	neuron.last_emission = 7;
	neuron.total_emission = 40_000_000_000_000_000_000;
	neuron.last_weights_at = Some(9);
	neuron.axon = Some(AxonInfo::ipv4([192, 168, 1, 20], 8091, 3));
	neuron.ranked_stake = 100_000_000_000_000_000_000;
	neuron.operator = bob();
	neuron.stale_edges = 1;
	neuron.bonds = vec![(1, 1 << 30)];

	let value = serde_json::to_value(neuron_json(neuron)).unwrap();
	assert_eq!(
		value,
		json!({
			"uid": 0,
			"account": ALICE_SS58,
			"operator": BOB_SS58,
			"operator_offer": null,
			"stake": "123456789012345678901",
			"ranked_stake": "100000000000000000000",
			"rank": 0.25,
			"rank_raw": "250000000000000001",
			"self_weight": 0.25,
			"self_weight_raw": "250000000000000000",
			"last_emission": "7",
			"total_emission": "40000000000000000000",
			"registered_at": 4,
			"last_weights_at": 9,
			"axon": { "ip": "192.168.1.20", "port": 8091, "version": 3 },
			"edges": [[0, 1], [1, 3]],
			"stale_edges": 1,
			"incentive": 0.1,
			"incentive_raw": "100000000000000000",
			"dividends": 0.2,
			"dividends_raw": "200000000000000000",
			"bonds": [[1, 1073741824]],
		})
	);
}

#[test]
fn neuron_without_weights_or_axon_keeps_everything_and_shows_null() {
	let value = serde_json::to_value(neuron_json(view(1, bob(), 5, vec![]))).unwrap();
	assert_eq!(value["account"], BOB_SS58);
	assert_eq!(value["operator"], BOB_SS58);
	assert_eq!(value["operator_offer"], serde_json::Value::Null);
	assert_eq!(value["stale_edges"], 0);
	assert_eq!(value["axon"], serde_json::Value::Null);
	assert_eq!(value["last_weights_at"], serde_json::Value::Null);
	assert_eq!(value["edges"], json!([]));
	assert_eq!(value["self_weight"], 1.0);
	assert_eq!(value["self_weight_raw"], "1000000000000000000");
	assert_eq!(value["rank"], 0.0);
	assert_eq!(value["rank_raw"], "0");
}

#[test]
fn ipv6_axon_is_shown_as_ipv6() {
	let ip = "2001:db8::7".parse::<std::net::Ipv6Addr>().unwrap().octets();
	let axon = axon_json(&AxonInfo::ipv6(ip, 443, 1));
	assert_eq!(axon, AxonJson { ip: "2001:db8::7".into(), port: 443, version: 1 });
}

#[test]
fn fractions_are_exact_as_strings_and_close_as_numbers() {
	assert_eq!(fraction_raw(Perquintill::one()), "1000000000000000000");
	assert_eq!(fraction_f64(Perquintill::one()), 1.0);
	assert_eq!(fraction_f64(Perquintill::zero()), 0.0);
	let third = Perquintill::from_rational(1u64, 3);
	assert_eq!(fraction_raw(third), "333333333333333333");
	assert!((fraction_f64(third) - 1.0 / 3.0).abs() < 1e-15);
}

#[test]
fn block_ref_is_number_and_hex_hash() {
	let block = block_ref(7, &[0xabu8; 32]);
	assert_eq!(block.number, 7);
	assert_eq!(block.hash, format!("0x{}", "ab".repeat(32)));
}

#[test]
fn metagraph_converts_with_totals_and_params() {
	let a = view(0, alice(), 30_000_000_000, vec![(1, 1)]);
	let b = view(1, bob(), 10_000_000_000, vec![]);
	let metagraph = Metagraph {
		block: 12,
		neurons: vec![a, b],
		neuron_count: 2,
		edge_count: 1,
		total_stake: 40_000_000_000,
		pending_emission: 1_000_000_001,
		total_paid: 11_000_000_000,
		registration_fee: 1_990_000_000,
		total_burned: 3_000_000_000,
		params: params(),
		mechanism: pallet_incentive_runtime_api::MechanismParams {
			mechanism: pallet_incentive_runtime_api::Mechanism::Consensus,
			..Default::default()
		},
	};
	let value = serde_json::to_value(metagraph_json(block_ref(12, &[1u8; 32]), metagraph)).unwrap();
	assert_eq!(value["block"]["number"], 12);
	assert_eq!(value["neuron_count"], 2);
	assert_eq!(value["edge_count"], 1);
	assert_eq!(value["total_stake"], "40000000000");
	assert_eq!(value["pending_emission"], "1000000001");
	assert_eq!(value["emission_per_block"], "1000000000");
	assert_eq!(value["total_paid"], "11000000000");
	assert_eq!(value["registration_fee"], "1990000000");
	assert_eq!(value["total_burned"], "3000000000");
	assert_eq!(
		value["params"],
		json!({
			"emission_per_block": "1000000000",
			"tempo": 2,
			"emission_destination": "stake",
			"max_ranking_passes": 100,
			"max_neurons": 16,
			"max_edges": 8,
			"min_stake": "10000000000",
			"weights_rate_limit": 0,
			"immunity_period": 4096,
			"unbonding_period": 4,
			"registration_fee_floor": "1000000000",
			"registration_fee_ceiling": "1000000000000",
			"registration_fee_growth_percent": 200,
			"registration_fee_half_life": 300,
		})
	);
	assert_eq!(
		value["mechanism"],
		json!({
			"mechanism": "consensus",
			"kappa": 0.5,
			"bond_alpha": 0.1,
			"dividend_share": 0.5,
			"commit_reveal_required": false,
			"reveal_delay": 200,
			"reveal_window": 100,
		})
	);
	let neurons = value["neurons"].as_array().unwrap();
	assert_eq!(neurons.len(), 2);
	assert_eq!(neurons[0]["incentive"], 0.1);
	assert_eq!(neurons[0]["dividends_raw"], "200000000000000000");
	assert_eq!(neurons[0]["bonds"], json!([]));
	assert_eq!(neurons[0]["uid"], 0);
	assert_eq!(neurons[0]["self_weight_raw"], "0");
	assert_eq!(neurons[1]["account"], BOB_SS58);
	assert_eq!(neurons[1]["ranked_stake"], "10000000000");
}

#[test]
fn registration_fee_is_a_decimal_string_at_its_block() {
	let fee = registration_fee_json(block_ref(6, &[3u8; 32]), 340_282_366_920_938_463_463);
	let value = serde_json::to_value(&fee).unwrap();
	assert_eq!(
		value,
		json!({
			"block": { "number": 6, "hash": format!("0x{}", "03".repeat(32)) },
			"registration_fee": "340282366920938463463",
		})
	);
	let text = serde_json::to_string(&fee).unwrap();
	assert_eq!(serde_json::from_str::<RegistrationFeeJson>(&text).unwrap(), fee);
}

#[test]
fn emissions_convert_with_the_sum_of_last_emissions() {
	let record = |uid, who, last, total| NeuronEmission {
		uid,
		account: who,
		rank: Perquintill::from_percent(50),
		last_emission: last,
		total_emission: total,
		incentive: Perquintill::from_percent(25),
		dividends: Perquintill::zero(),
	};
	let emissions = Emissions {
		block: 8,
		emission_per_block: 5,
		tempo: 2,
		emission_destination: EmissionDestination::Free,
		mechanism: pallet_incentive_runtime_api::Mechanism::Attribution,
		next_payout_block: Some(10),
		pending_emission: 1,
		total_paid: 39,
		neurons: vec![record(0, alice(), 4, 20), record(3, bob(), 5, 19)],
	};
	let value = serde_json::to_value(emissions_json(block_ref(8, &[2u8; 32]), emissions)).unwrap();
	assert_eq!(value["emission_per_block"], "5");
	assert_eq!(value["tempo"], 2);
	assert_eq!(value["emission_destination"], "free");
	assert_eq!(value["mechanism"], "attribution");
	assert_eq!(value["next_payout_block"], 10);
	assert_eq!(value["pending_emission"], "1");
	assert_eq!(value["total_paid"], "39");
	assert_eq!(value["total_last_emission"], "9");
	assert_eq!(
		value["neurons"][1],
		json!({
			"uid": 3,
			"account": BOB_SS58,
			"rank": 0.5,
			"rank_raw": "500000000000000000",
			"last_emission": "5",
			"total_emission": "19",
			"incentive": 0.25,
			"dividends": 0.0,
		})
	);
}

#[test]
fn json_round_trips_for_clients() {
	let response = NeuronResponse {
		block: block_ref(3, &[9u8; 32]),
		neuron: neuron_json(view(0, alice(), 1, vec![(0, 1)])),
	};
	let text = serde_json::to_string(&response).unwrap();
	assert_eq!(serde_json::from_str::<NeuronResponse>(&text).unwrap(), response);
}

#[test]
fn parser_reads_uids() {
	assert_eq!("0".parse(), Ok(NeuronQuery::Uid(0)));
	assert_eq!(" 17 ".parse(), Ok(NeuronQuery::Uid(17)));
	assert_eq!("65535".parse(), Ok(NeuronQuery::Uid(65535)));
	assert_eq!("007".parse(), Ok(NeuronQuery::Uid(7)));
}

#[test]
fn parser_rejects_uids_out_of_range() {
	assert_eq!("65536".parse::<NeuronQuery>(), Err(QueryError::UidOutOfRange("65536".into())));
	assert!(matches!(
		"99999999999999999999999999".parse::<NeuronQuery>(),
		Err(QueryError::UidOutOfRange(_))
	));
}

#[test]
fn parser_reads_ss58_addresses_of_any_prefix() {
	assert_eq!(ALICE_SS58.parse(), Ok(NeuronQuery::Account(alice())));
	assert_eq!(BOB_SS58.parse(), Ok(NeuronQuery::Account(bob())));
	let polkadot_style = alice().to_ss58check_with_version(Ss58AddressFormat::custom(0));
	assert_eq!(polkadot_style.parse(), Ok(NeuronQuery::Account(alice())));
}

#[test]
fn parser_reads_hex_public_keys() {
	assert_eq!(format!("0x{ALICE_HEX}").parse(), Ok(NeuronQuery::Account(alice())));
	assert_eq!(
		format!("0x{}", ALICE_HEX.to_uppercase()).parse(),
		Ok(NeuronQuery::Account(alice()))
	);
}

#[test]
fn parser_rejects_bad_input() {
	assert_eq!("".parse::<NeuronQuery>(), Err(QueryError::Empty));
	assert_eq!("   ".parse::<NeuronQuery>(), Err(QueryError::Empty));
	assert!(matches!("0x1234".parse::<NeuronQuery>(), Err(QueryError::BadHexKey(_))));
	let spaced = format!("0x{} ", &ALICE_HEX[..62]);
	assert!(matches!(format!("{spaced}7d").parse::<NeuronQuery>(), Err(QueryError::BadHexKey(_))));
	let not_hex = format!("0x{}zz", &ALICE_HEX[..62]);
	assert!(matches!(not_hex.parse::<NeuronQuery>(), Err(QueryError::BadHexKey(_))));
	assert!(matches!("alice".parse::<NeuronQuery>(), Err(QueryError::BadAddress { .. })));
	assert!(matches!("-1".parse::<NeuronQuery>(), Err(QueryError::BadAddress { .. })));
	// One character changed: the checksum fails.
	let typo = ALICE_SS58.replacen('G', "H", 1);
	assert!(matches!(typo.parse::<NeuronQuery>(), Err(QueryError::BadAddress { .. })));
}

#[test]
fn error_codes_are_distinct_and_messages_clear() {
	let errors = [
		Error::UnknownBlock { hash: "0x01".into(), cause: None },
		Error::ApiUnavailable { hash: "0x01".into() },
		Error::Runtime { method: "metagraph", cause: "state pruned".into() },
		Error::BadAccount(QueryError::Empty),
		Error::UnknownUid(9),
		Error::UnknownAccount(ALICE_SS58.into()),
	];
	let mut seen: Vec<i32> = errors.iter().map(Error::code).collect();
	seen.sort_unstable();
	seen.dedup();
	assert_eq!(seen.len(), errors.len());

	let object: ErrorObjectOwned = Error::UnknownUid(9).into();
	assert_eq!(object.code(), codes::UNKNOWN_UID);
	assert_eq!(object.message(), "no neuron is registered at uid 9");
	assert!(object.data().is_none());

	let object: ErrorObjectOwned =
		Error::Runtime { method: "metagraph", cause: "state pruned".into() }.into();
	assert_eq!(object.code(), codes::RUNTIME_ERROR);
	assert_eq!(object.message(), "runtime API call IncentiveApi_metagraph failed");
	assert_eq!(object.data().map(|raw| raw.get().to_owned()), Some("\"state pruned\"".into()));

	let object: ErrorObjectOwned =
		Error::BadAccount("65536".parse::<NeuronQuery>().unwrap_err()).into();
	assert_eq!(object.code(), codes::BAD_ACCOUNT);
	assert_eq!(object.message(), "uid 65536 is out of range: uids are 0..=65535");

	let object: ErrorObjectOwned = Error::UnknownBlock { hash: "0x01".into(), cause: None }.into();
	assert_eq!(object.code(), codes::UNKNOWN_BLOCK);
	assert_eq!(object.message(), "unknown block 0x01");
}

/// A metagraph of neurons at `uids` (ascending), as JSON.
fn metagraph_of(uids: &[u16]) -> MetagraphJson {
	let neurons: Vec<_> = uids.iter().map(|&uid| view(uid, alice(), 1, vec![])).collect();
	metagraph_json(
		block_ref(3, &[2u8; 32]),
		Metagraph {
			block: 3,
			neuron_count: neurons.len() as u32,
			neurons,
			edge_count: 0,
			total_stake: 5,
			pending_emission: 0,
			total_paid: 0,
			registration_fee: 1,
			total_burned: 0,
			params: params(),
			mechanism: Default::default(),
		},
	)
}

#[test]
fn metagraph_pages_cover_every_neuron_once_and_say_where_to_go_on() {
	// Uids with a gap (4 is free): pages go by uid, not by position.
	let full = metagraph_of(&[0, 1, 2, 3, 5, 6, 7]);
	assert_eq!(full.next_uid, None);
	let uids = |page: &MetagraphJson| page.neurons.iter().map(|n| n.uid).collect::<Vec<_>>();
	let (mut from, mut seen) = (Some(0), Vec::new());
	while let Some(uid) = from {
		let page = metagraph_page(&full, uid, 3).unwrap();
		assert!(page.neurons.len() <= 3);
		assert_eq!((page.block.clone(), page.neuron_count), (full.block.clone(), 7));
		assert_eq!((&page.params, &page.total_stake), (&full.params, &full.total_stake));
		seen.extend(uids(&page));
		from = page.next_uid;
	}
	assert_eq!(seen, uids(&full));
	assert_eq!(uids(&metagraph_page(&full, 3, 3).unwrap()), vec![3, 5, 6]);
	let from_gap = metagraph_page(&full, 4, 2).unwrap();
	assert_eq!((uids(&from_gap), from_gap.next_uid), (vec![5, 6], Some(7)));
	let past_the_end = metagraph_page(&full, 8, 3).unwrap();
	assert_eq!((past_the_end.neurons.len(), past_the_end.next_uid), (0, None));
	let whole = metagraph_page(&full, 0, MAX_PAGE_NEURONS).unwrap();
	assert_eq!((whole.neurons, whole.next_uid), (full.neurons.clone(), None));

	for limit in [0, MAX_PAGE_NEURONS + 1] {
		let error = metagraph_page(&full, 0, limit).unwrap_err();
		assert_eq!(error, Error::BadPageSize { limit, max: MAX_PAGE_NEURONS });
		let object: ErrorObjectOwned = error.into();
		assert_eq!(object.code(), codes::BAD_PAGE_SIZE);
		assert_eq!(
			object.message(),
			format!("a metagraph page holds 1 to {MAX_PAGE_NEURONS} neurons, not {limit}")
		);
	}
}

#[test]
fn a_full_page_of_the_largest_neurons_fits_well_within_the_default_response_limit() {
	// The largest entry a neuron can have in the runtime (MaxEdgesLimit 256 in
	// runtime/src/configs/mod.rs; a larger limit needs a smaller MAX_PAGE_NEURONS): every
	// field at its widest, 256 edges and 256 bonds of the widest values, an IPv6 axon, an
	// operator offer.
	let mut widest =
		view(u16::MAX, alice(), u128::MAX, (0..256).map(|k| (65279 + k, 65535)).collect());
	widest.operator_offer = Some(bob());
	widest.ranked_stake = u128::MAX;
	widest.last_emission = u128::MAX;
	widest.total_emission = u128::MAX;
	widest.registered_at = u32::MAX;
	widest.last_weights_at = Some(u32::MAX);
	widest.rank = Perquintill::from_parts(123_456_789_012_345_678);
	widest.self_weight = Perquintill::from_parts(123_456_789_012_345_678);
	widest.incentive = Perquintill::from_parts(123_456_789_012_345_678);
	widest.dividends = Perquintill::from_parts(123_456_789_012_345_678);
	let ip = "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff".parse::<std::net::Ipv6Addr>().unwrap();
	widest.axon = Some(AxonInfo::ipv6(ip.octets(), u16::MAX, u32::MAX));
	widest.bonds = (0..256).map(|k| (65279 + k, u64::MAX)).collect();
	let bytes = serde_json::to_vec(&neuron_json(widest)).unwrap().len();
	let page = bytes * MAX_PAGE_NEURONS as usize;
	// The node's default --rpc-max-response-size is 15 MiB; a page keeps more than half of it
	// free for the totals, the parameters and the JSON-RPC envelope.
	assert!(page < 15 * 1024 * 1024 / 2, "{bytes} bytes a neuron, {page} a page");
	// 256 edges of 14 bytes and 256 bonds of 29 (`[65535,18446744073709551615],`) and the
	// rest: the widest there is, to within the few bytes of a number's printed form.
	assert!((11_400..12_500).contains(&bytes), "the widest neuron is {bytes} bytes");
}
