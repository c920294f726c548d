//! Parameters: genesis, the root call and their ranges.

use super::*;
use crate::{
	Error, Event, GenesisConfig, IncentiveParams, IncentiveParamsUpdate, Params, MAX_RANKING_PASSES,
};
use frame_support::{assert_noop, assert_ok};
use sp_arithmetic::Perquintill;
use sp_runtime::{BuildStorage, DispatchError};

type Update = IncentiveParamsUpdate<Balance, BlockNumber>;

#[test]
fn genesis_stores_the_params() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(Params::<Test>::get(), test_params());
		assert_eq!(Incentive::params(), test_params());
	});
}

#[test]
#[should_panic(expected = "invalid incentive genesis params: InvalidTempo")]
fn genesis_rejects_invalid_params() {
	let _ = ExtBuilder::default().with_params(|p| p.tempo = 0).build();
}

#[test]
fn default_genesis_fits_the_runtime_limits() {
	let default = GenesisConfig::<Test>::default();
	assert_eq!(default.params.max_neurons, MAX_NEURONS_LIMIT);
	assert_eq!(default.params.max_edges, MAX_EDGES_LIMIT);
	assert_eq!(default.params.tempo, 100);
	assert_eq!(default.params.max_ranking_passes, 100);
	// It builds.
	let _ = default.build_storage().unwrap();
}

#[test]
fn params_use_camel_case_names_in_json() {
	let params = IncentiveParams::<Balance, BlockNumber> {
		emission_destination: crate::EmissionDestination::Free,
		..test_params()
	};
	let json = serde_json::to_value(&params).unwrap();
	assert_eq!(
		json,
		serde_json::json!({
			"emissionPerBlock": 1_000,
			"tempo": 10,
			"emissionDestination": "free",
			"maxRankingPasses": 100,
			"maxNeurons": 8,
			"maxEdges": 4,
			"minStake": 100,
			"weightsRateLimit": 5,
			"immunityPeriod": 20,
			"unbondingPeriod": 15,
			"registrationFeeFloor": 0,
			"registrationFeeCeiling": 0,
			"registrationFeeGrowthPercent": 200,
			"registrationFeeHalfLife": 10,
		})
	);
	let back: IncentiveParams<Balance, BlockNumber> = serde_json::from_value(json).unwrap();
	assert_eq!(back, params);

	let config: GenesisConfig<Test> = serde_json::from_value(serde_json::json!({
		"params": {
			"emissionPerBlock": 5, "tempo": 1, "emissionDestination": "Stake",
			"maxRankingPasses": 10, "maxNeurons": 3, "maxEdges": 2, "minStake": 1,
			"weightsRateLimit": 0, "immunityPeriod": 0
		}
	}))
	.unwrap();
	assert_eq!(config.params.emission_per_block, 5);
	// Specs written before the unbonding and fee parameters get their defaults.
	let defaults = IncentiveParams::<Balance, BlockNumber>::default();
	assert_eq!(config.params.unbonding_period, defaults.unbonding_period);
	assert_eq!(config.params.registration_fee_floor, defaults.registration_fee_floor);
	assert_eq!(config.params.emission_destination, crate::EmissionDestination::Stake);
	assert!(serde_json::from_value::<IncentiveParams<Balance, BlockNumber>>(
		serde_json::json!({ "tempoo": 1 })
	)
	.is_err());
}

#[test]
fn genesis_weights_read_as_a_list_or_packed_in_a_string() {
	use serde_json::{json, Value};
	let neurons = |weights: Value| {
		let mut config = serde_json::to_value(GenesisConfig::<Test>::default()).unwrap();
		config["neurons"] = json!([[1, 300, weights], [2, 200, ""]]);
		serde_json::from_value::<GenesisConfig<Test>>(config).map(|c| c.neurons)
	};
	let listed = neurons(json!([[1, 2], [0, 65535]])).unwrap();
	assert_eq!(listed, vec![(1, 300, vec![(1, 2), (0, 65535)]), (2, 200, vec![])]);
	assert_eq!(neurons(json!(" 1:2, 0 : 65535 ")).unwrap(), listed);
	// What is written out stays the list.
	let config = GenesisConfig::<Test> { neurons: listed, ..Default::default() };
	assert_eq!(
		serde_json::to_value(&config).unwrap()["neurons"][0][2],
		json!([[1, 2], [0, 65535]])
	);
	// A malformed packed edge is refused, and named.
	for (bad, says) in [
		("1:2,3", "edge 1 of the packed weights: \"3\" is not uid:weight"),
		("1:65536", "edge 0 of the packed weights: \"65536\" is not a number"),
		("1:2,", "edge 1"),
		("1:-1", "edge 0"),
		("x:1", "edge 0"),
	] {
		let error = neurons(json!(bad)).unwrap_err().to_string();
		assert!(error.contains(says), "{bad:?}: {error}");
	}
	assert!(neurons(json!(7)).is_err(), "a number is neither form");
}

#[test]
fn set_params_changes_only_the_named_fields() {
	ExtBuilder::default().build_and_execute(|| {
		let update = Update {
			tempo: Some(3),
			emission_destination: Some(crate::EmissionDestination::Free),
			..Default::default()
		};
		assert_ok!(Incentive::set_params(RuntimeOrigin::root(), update));
		let expected = IncentiveParams {
			tempo: 3,
			emission_destination: crate::EmissionDestination::Free,
			..test_params()
		};
		assert_eq!(Params::<Test>::get(), expected);
		assert_eq!(
			last_incentive_event(),
			Event::ParamsUpdated { params: expected, mechanism: Default::default() }
		);
	});
}

#[test]
fn set_params_sets_every_field() {
	ExtBuilder::default().build_and_execute(|| {
		let update = Update {
			emission_per_block: Some(7),
			tempo: Some(2),
			emission_destination: Some(crate::EmissionDestination::Free),
			max_ranking_passes: Some(MAX_RANKING_PASSES),
			max_neurons: Some(MAX_NEURONS_LIMIT),
			max_edges: Some(MAX_EDGES_LIMIT),
			min_stake: Some(1),
			weights_rate_limit: Some(0),
			immunity_period: Some(0),
			unbonding_period: Some(2),
			registration_fee_floor: Some(3),
			registration_fee_ceiling: Some(30),
			registration_fee_growth_percent: Some(1000),
			registration_fee_half_life: Some(1),
			mechanism: Some(crate::Mechanism::Consensus),
			kappa: Some(Perquintill::from_percent(60)),
			bond_alpha: Some(Perquintill::from_percent(20)),
			dividend_share: Some(Perquintill::from_percent(30)),
			commit_reveal_required: Some(true),
			reveal_delay: Some(5),
			reveal_window: Some(6),
		};
		assert_ok!(Incentive::set_params(RuntimeOrigin::root(), update));
		assert_eq!(
			crate::MechanismConfig::<Test>::get(),
			crate::MechanismParams {
				mechanism: crate::Mechanism::Consensus,
				kappa: Perquintill::from_percent(60),
				bond_alpha: Perquintill::from_percent(20),
				dividend_share: Perquintill::from_percent(30),
				commit_reveal_required: true,
				reveal_delay: 5,
				reveal_window: 6,
			}
		);
		assert_eq!(
			Params::<Test>::get(),
			IncentiveParams {
				emission_per_block: 7,
				tempo: 2,
				emission_destination: crate::EmissionDestination::Free,
				max_ranking_passes: MAX_RANKING_PASSES,
				max_neurons: MAX_NEURONS_LIMIT,
				max_edges: MAX_EDGES_LIMIT,
				min_stake: 1,
				weights_rate_limit: 0,
				immunity_period: 0,
				unbonding_period: 2,
				registration_fee_floor: 3,
				registration_fee_ceiling: 30,
				registration_fee_growth_percent: 1000,
				registration_fee_half_life: 1,
			}
		);
	});
}

#[test]
fn set_params_requires_root() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Incentive::set_params(RuntimeOrigin::signed(1), Update::default()),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn set_params_rejects_invalid_tempo() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Incentive::set_params(
				RuntimeOrigin::root(),
				Update { tempo: Some(0), ..Default::default() }
			),
			Error::<Test>::InvalidTempo
		);
	});
}

#[test]
fn set_params_rejects_invalid_max_passes() {
	ExtBuilder::default().build_and_execute(|| {
		for passes in [0, MAX_RANKING_PASSES + 1] {
			assert_noop!(
				Incentive::set_params(
					RuntimeOrigin::root(),
					Update { max_ranking_passes: Some(passes), ..Default::default() }
				),
				Error::<Test>::InvalidMaxPasses
			);
		}
	});
}

#[test]
fn set_params_rejects_invalid_max_neurons() {
	ExtBuilder::default().build_and_execute(|| {
		for neurons in [0, MAX_NEURONS_LIMIT + 1] {
			assert_noop!(
				Incentive::set_params(
					RuntimeOrigin::root(),
					Update { max_neurons: Some(neurons), ..Default::default() }
				),
				Error::<Test>::InvalidMaxNeurons
			);
		}
	});
}

#[test]
fn set_params_rejects_invalid_max_edges() {
	ExtBuilder::default().build_and_execute(|| {
		for edges in [0, MAX_EDGES_LIMIT + 1] {
			assert_noop!(
				Incentive::set_params(
					RuntimeOrigin::root(),
					Update { max_edges: Some(edges), ..Default::default() }
				),
				Error::<Test>::InvalidMaxEdges
			);
		}
	});
}

#[test]
fn set_params_rejects_invalid_min_stake() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Incentive::set_params(
				RuntimeOrigin::root(),
				Update { min_stake: Some(0), ..Default::default() }
			),
			Error::<Test>::InvalidMinStake
		);
	});
}

#[test]
fn lowering_max_neurons_evicts_nobody() {
	ExtBuilder::default().build_and_execute(|| {
		for who in 1..=5u64 {
			register(who, MIN_STAKE);
		}
		assert_ok!(Incentive::set_params(
			RuntimeOrigin::root(),
			Update { max_neurons: Some(2), ..Default::default() }
		));
		assert_eq!(crate::NeuronCount::<Test>::get(), 5);
		// Registration now replaces instead of adding (once immunity is over).
		assert_noop!(
			Incentive::register(RuntimeOrigin::signed(6), MIN_STAKE, None, Balance::MAX),
			Error::<Test>::NetworkFull
		);
		System::set_block_number(1 + IMMUNITY);
		assert_ok!(Incentive::register(RuntimeOrigin::signed(6), MIN_STAKE, None, Balance::MAX));
		assert_eq!(crate::NeuronCount::<Test>::get(), 5);
	});
}

#[test]
fn set_params_rejects_unbonding_shorter_than_tempo() {
	ExtBuilder::default().build_and_execute(|| {
		for update in [
			Update { unbonding_period: Some(TEMPO - 1), ..Default::default() },
			Update { tempo: Some(UNBONDING + 1), ..Default::default() },
		] {
			assert_noop!(
				Incentive::set_params(RuntimeOrigin::root(), update),
				Error::<Test>::InvalidUnbondingPeriod
			);
		}
		assert_ok!(Incentive::set_params(
			RuntimeOrigin::root(),
			Update { unbonding_period: Some(TEMPO), ..Default::default() }
		));
	});
}

#[test]
fn set_params_rejects_invalid_fee_parameters() {
	ExtBuilder::default().build_and_execute(|| {
		let cases = [
			(
				Update { registration_fee_floor: Some(1), ..Default::default() },
				Error::<Test>::InvalidFeeBounds,
			),
			(
				Update { registration_fee_growth_percent: Some(99), ..Default::default() },
				Error::<Test>::InvalidFeeGrowth,
			),
			(
				Update { registration_fee_growth_percent: Some(1001), ..Default::default() },
				Error::<Test>::InvalidFeeGrowth,
			),
			(
				Update { registration_fee_half_life: Some(0), ..Default::default() },
				Error::<Test>::InvalidFeeHalfLife,
			),
		];
		for (update, error) in cases {
			assert_noop!(Incentive::set_params(RuntimeOrigin::root(), update), error);
		}
	});
}

#[test]
#[should_panic(expected = "invalid incentive genesis neurons: TooManyGenesisNeurons")]
fn genesis_rejects_more_neurons_than_max_neurons() {
	let _ = ExtBuilder::default()
		.with_params(|p| p.max_neurons = 2)
		.neurons((1..=3).map(|who| (who, MIN_STAKE, vec![])).collect())
		.build();
}
