//! An adversarial simulator for the incentive mechanisms of `incentive-ranking`.
//!
//! It runs a synthetic network for many payouts under each mechanism and reports what every class
//! of neuron earns against the stake it holds. The classes:
//!
//! - **Honest** evaluators see a hidden true quality of every other neuron through noise and
//!   weight each neuron by what they see.
//! - **Free riders** post only their self weight.
//! - A **cabal** weights its own members (equally, whatever their quality) and nobody else.
//! - **Copiers** post the consensus of the weights that are public when they post: the weights in
//!   use now without commit-reveal, the weights revealed `reveal_lag` payouts ago with it.
//!
//! Every neuron but a free rider keeps `self_share` of its weight for itself (as the miner does);
//! the consensus mechanism ignores it, the attribution walk does not. True quality may drift (a
//! mean-reverting random walk around each neuron's base quality), which is what makes old weights
//! worth less than fresh ones. Stakes stay fixed, so shares of emission compare directly with
//! shares of stake. The maths is the ranking crate's, fixed point, exactly as the pallet runs it;
//! only the agents' views use floats. Everything is drawn from one seed, so a run is repeatable.

// An off-chain simulator: floats and plain indexing are fine here.
#![allow(
	clippy::arithmetic_side_effects,
	clippy::indexing_slicing,
	clippy::cast_precision_loss,
	clippy::cast_possible_truncation,
	clippy::cast_sign_loss
)]

use std::collections::VecDeque;

use incentive_ranking::{
	consensus, rank, split_consensus_emission, split_emission, Bonds, ConsensusParams, NeuronInput,
	Perquintill, FRACTION_ONE,
};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// What a neuron does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
	/// Weights every other neuron by a noisy view of its true quality.
	Honest,
	/// Posts only its self weight.
	FreeRider,
	/// Weights only the other members of the cabal, equally.
	Cabal,
	/// Posts the consensus of the public weights.
	Copier,
}

impl Class {
	/// Every class, in report order.
	pub const ALL: [Class; 4] = [Class::Honest, Class::FreeRider, Class::Cabal, Class::Copier];

	/// The name in reports.
	pub fn name(self) -> &'static str {
		match self {
			Class::Honest => "honest",
			Class::FreeRider => "free riders",
			Class::Cabal => "cabal",
			Class::Copier => "copiers",
		}
	}
}

/// How the pot is split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
	/// The attribution walk of `docs/attribution.md`: emission by rank.
	Attribution,
	/// The consensus of `docs/consensus.md`: incentive and dividends.
	Consensus,
}

impl Mechanism {
	/// The name in reports.
	pub fn name(self) -> &'static str {
		match self {
			Mechanism::Attribution => "Attribution",
			Mechanism::Consensus => "Consensus",
		}
	}
}

/// Some neurons of one class.
#[derive(Clone, Debug)]
pub struct Group {
	/// What they do.
	pub class: Class,
	/// How many.
	pub count: usize,
	/// Their stake together, as a share of all stake (the groups' shares sum to one).
	pub stake_share: f64,
	/// Their base true quality is drawn uniformly from this range.
	pub quality: (f64, f64),
}

/// A network and how it evolves.
#[derive(Clone, Debug)]
pub struct Scenario {
	/// The name in reports.
	pub name: &'static str,
	/// Who takes part.
	pub groups: Vec<Group>,
	/// Standard deviation of an honest evaluator's view of a quality.
	pub noise: f64,
	/// Standard deviation of each payout's step of the qualities' random walk (0: fixed).
	pub drift: f64,
	/// Payouts between committing weights and their use: 0 without commit-reveal.
	pub reveal_lag: usize,
	/// Share of its weight every neuron but a free rider keeps for itself.
	pub self_share: f64,
	/// Payouts to run.
	pub payouts: usize,
	/// The mechanism's parameters.
	pub consensus: ConsensusParams,
	/// Share of the pot paid as dividends under consensus when all stake judges, confirmed.
	pub dividend_share: Perquintill,
	/// Seed of every draw.
	pub seed: u64,
}

/// What one class earned over a run, each figure a share of the run's total.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassReport {
	/// The class.
	pub class: Class,
	/// How many neurons it has.
	pub count: usize,
	/// Its share of the stake.
	pub stake: f64,
	/// Its share of all emission.
	pub emission: f64,
	/// Its share of the incentive (under attribution: of the ranks).
	pub incentive: f64,
	/// Its share of the dividends (zero under attribution, which has none).
	pub dividends: f64,
}

impl ClassReport {
	/// Dividends per stake: the dividend share over the stake share.
	pub fn dividends_per_stake(&self) -> f64 {
		if self.stake > 0.0 {
			self.dividends / self.stake
		} else {
			0.0
		}
	}
}

/// What one neuron earned over a run.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronReport {
	/// Its class.
	pub class: Class,
	/// Its base true quality.
	pub quality: f64,
	/// Its share of the stake.
	pub stake: f64,
	/// Its share of all emission.
	pub emission: f64,
	/// Its share of all incentive.
	pub incentive: f64,
}

/// The outcome of [`run`].
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
	/// The mechanism run.
	pub mechanism: Mechanism,
	/// Per class present, in [`Class::ALL`] order.
	pub classes: Vec<ClassReport>,
	/// Per neuron, by uid.
	pub neurons: Vec<NeuronReport>,
}

impl Report {
	/// The report of `class`, if the scenario has it.
	pub fn class(&self, class: Class) -> Option<&ClassReport> {
		self.classes.iter().find(|report| report.class == class)
	}
}

/// Base units of stake in the whole network, and of the pot paid at every payout.
const TOTAL_STAKE: f64 = 1e15;
const POT: u128 = 1_000_000_000_000;
/// How strongly a drifting quality is pulled back to its base each payout.
const REVERSION: f64 = 0.9;

struct Neuron {
	class: Class,
	stake: u128,
	base: f64,
	offset: f64,
}

/// Runs `scenario` under `mechanism`. The network and every draw come from the seed alone, so
/// both mechanisms see the same neurons, qualities and views.
pub fn run(scenario: &Scenario, mechanism: Mechanism) -> Report {
	let mut rng = StdRng::seed_from_u64(scenario.seed);
	let mut neurons = network(scenario, &mut rng);
	let n = neurons.len();
	let cabal: Vec<u16> = uids_of(&neurons, Class::Cabal);
	// Weights posted by honest evaluators, oldest first: the one in use is `reveal_lag` old.
	let mut committed: VecDeque<Vec<Vec<(u16, u16)>>> = VecDeque::new();
	let mut bonds: Vec<Bonds> = Vec::new();
	let mut copier_weights: VecDeque<Vec<(u16, u16)>> = VecDeque::new();
	let (mut emission, mut incentive, mut dividends) =
		(vec![0u128; n], vec![0u128; n], vec![0u128; n]);

	for _ in 0..scenario.payouts {
		for neuron in &mut neurons {
			neuron.offset = REVERSION * neuron.offset + scenario.drift * normal(&mut rng);
		}
		let quality: Vec<f64> =
			neurons.iter().map(|n| (n.base + n.offset).clamp(0.0, 1.0)).collect();
		committed.push_back(honest_weights(&neurons, &quality, scenario, &mut rng));
		while committed.len() > scenario.reveal_lag + 1 {
			committed.pop_front();
		}
		let honest_in_use = committed.front().cloned().unwrap_or_default();

		let mut posted: Vec<Vec<(u16, u16)>> = (0..n)
			.map(|uid| match neurons[uid].class {
				Class::Honest => honest_in_use[uid].clone(),
				Class::FreeRider => vec![(uid as u16, u16::MAX)],
				Class::Cabal => cabal_weights(uid as u16, &cabal, scenario.self_share),
				Class::Copier => Vec::new(),
			})
			.collect();
		// Copiers copy the consensus of what is public when they post, which takes
		// `reveal_lag` payouts to come into use as well.
		let public = copy_of_consensus(&neurons, &posted, &scenario.consensus, scenario.self_share);
		copier_weights.push_back(public);
		while copier_weights.len() > scenario.reveal_lag + 1 {
			copier_weights.pop_front();
		}
		let copied = copier_weights.front().cloned().unwrap_or_default();
		for (uid, weights) in posted.iter_mut().enumerate() {
			if neurons[uid].class == Class::Copier {
				*weights = copied
					.iter()
					.copied()
					.filter(|&(target, _)| usize::from(target) != uid)
					.collect();
				weights.push((uid as u16, self_raw(scenario.self_share)));
			}
		}

		let inputs: Vec<NeuronInput<'_>> = neurons
			.iter()
			.zip(&posted)
			.map(|(neuron, weights)| NeuronInput { stake: neuron.stake, weights })
			.collect();
		let (paid, incentive_now, dividends_now) = match mechanism {
			Mechanism::Attribution => {
				let ranks = rank(&inputs, 100).ranks;
				let (paid, _) = split_emission(POT, &ranks);
				(paid, ranks, vec![Perquintill::zero(); n])
			}
			Mechanism::Consensus => {
				let outcome = consensus(&inputs, &bonds, &scenario.consensus);
				let (paid, _) = split_consensus_emission(POT, &outcome, scenario.dividend_share);
				bonds = outcome.bonds;
				(paid, outcome.incentive, outcome.dividends)
			}
		};
		for uid in 0..n {
			emission[uid] += paid[uid];
			incentive[uid] += u128::from(incentive_now[uid].deconstruct());
			dividends[uid] += u128::from(dividends_now[uid].deconstruct());
		}
	}
	report(scenario, mechanism, &neurons, &emission, &incentive, &dividends)
}

/// The neurons of `scenario`: stakes drawn within each group and scaled to its share, base
/// qualities drawn from its range.
fn network(scenario: &Scenario, rng: &mut StdRng) -> Vec<Neuron> {
	let mut neurons = Vec::new();
	for group in &scenario.groups {
		let draws: Vec<f64> = (0..group.count).map(|_| rng.gen_range(0.5..1.5)).collect();
		let sum: f64 = draws.iter().sum();
		for draw in draws {
			let stake = (TOTAL_STAKE * group.stake_share * draw / sum) as u128;
			let base = rng.gen_range(group.quality.0..=group.quality.1);
			neurons.push(Neuron { class: group.class, stake, base, offset: 0.0 });
		}
	}
	neurons
}

fn uids_of(neurons: &[Neuron], class: Class) -> Vec<u16> {
	(0..neurons.len()).filter(|&uid| neurons[uid].class == class).map(|uid| uid as u16).collect()
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut StdRng) -> f64 {
	let u: f64 = rng.gen_range(f64::EPSILON..1.0);
	let v: f64 = rng.gen_range(0.0..1.0);
	(-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// The raw self weight for `self_share` when the other weights sum to `u16::MAX · (1 - share)`.
fn self_raw(self_share: f64) -> u16 {
	(self_share * f64::from(u16::MAX)).round() as u16
}

/// Raw weights for `shares` (fractions summing to at most one) plus the self weight.
fn to_raw(uid: u16, shares: &[(u16, f64)], self_share: f64) -> Vec<(u16, u16)> {
	let total: f64 = shares.iter().map(|s| s.1).sum();
	let mut raw: Vec<(u16, u16)> = shares
		.iter()
		.filter(|s| s.1 > 0.0 && total > 0.0)
		.map(|&(target, share)| {
			(target, (share / total * (1.0 - self_share) * f64::from(u16::MAX)).round() as u16)
		})
		.filter(|&(_, w)| w > 0)
		.collect();
	if self_share > 0.0 {
		raw.push((uid, self_raw(self_share)));
	}
	raw
}

/// Every honest evaluator's weights this payout: each other neuron by its noisy view of the
/// neuron's quality (views below zero are zero). Other classes get an empty entry.
fn honest_weights(
	neurons: &[Neuron],
	quality: &[f64],
	scenario: &Scenario,
	rng: &mut StdRng,
) -> Vec<Vec<(u16, u16)>> {
	(0..neurons.len())
		.map(|uid| {
			if neurons[uid].class != Class::Honest {
				return Vec::new();
			}
			let views: Vec<(u16, f64)> = (0..neurons.len())
				.filter(|&target| target != uid)
				.map(|target| {
					let view = quality[target] + scenario.noise * normal(rng);
					(target as u16, view.max(0.0))
				})
				.collect();
			to_raw(uid as u16, &views, scenario.self_share)
		})
		.collect()
}

/// A cabal member's weights: the other members, equally.
fn cabal_weights(uid: u16, cabal: &[u16], self_share: f64) -> Vec<(u16, u16)> {
	let others: Vec<(u16, f64)> =
		cabal.iter().filter(|&&member| member != uid).map(|&member| (member, 1.0)).collect();
	to_raw(uid, &others, self_share)
}

/// The copiers' pick: the consensus weights of the weights posted so far (copiers excluded), as
/// raw weights (without a self entry; each copier adds its own).
fn copy_of_consensus(
	neurons: &[Neuron],
	posted: &[Vec<(u16, u16)>],
	params: &ConsensusParams,
	self_share: f64,
) -> Vec<(u16, u16)> {
	let inputs: Vec<NeuronInput<'_>> = neurons
		.iter()
		.zip(posted)
		.map(|(neuron, weights)| NeuronInput { stake: neuron.stake, weights })
		.collect();
	let seen = consensus(&inputs, &[], params).consensus;
	let shares: Vec<(u16, f64)> = seen
		.iter()
		.enumerate()
		.map(|(target, &c)| (target as u16, c as f64 / FRACTION_ONE as f64))
		.collect();
	// `to_raw` adds a self entry for uid 0 only when asked: ask for none.
	let mut raw = to_raw(0, &shares, 0.0);
	for entry in &mut raw {
		entry.1 = (f64::from(entry.1) * (1.0 - self_share)).round() as u16;
	}
	raw.retain(|&(_, w)| w > 0);
	raw
}

fn report(
	scenario: &Scenario,
	mechanism: Mechanism,
	neurons: &[Neuron],
	emission: &[u128],
	incentive: &[u128],
	dividends: &[u128],
) -> Report {
	let share = |values: &[u128], uid: usize| {
		let total: u128 = values.iter().sum();
		if total == 0 {
			0.0
		} else {
			values[uid] as f64 / total as f64
		}
	};
	let stakes: Vec<u128> = neurons.iter().map(|n| n.stake).collect();
	let per_neuron: Vec<NeuronReport> = (0..neurons.len())
		.map(|uid| NeuronReport {
			class: neurons[uid].class,
			quality: neurons[uid].base,
			stake: share(&stakes, uid),
			emission: share(emission, uid),
			incentive: share(incentive, uid),
		})
		.collect();
	let classes = Class::ALL
		.iter()
		.filter(|&&class| scenario.groups.iter().any(|g| g.class == class && g.count > 0))
		.map(|&class| {
			let members: Vec<usize> =
				(0..neurons.len()).filter(|&uid| neurons[uid].class == class).collect();
			let sum = |values: &[u128]| members.iter().map(|&uid| share(values, uid)).sum::<f64>();
			ClassReport {
				class,
				count: members.len(),
				stake: sum(&stakes),
				emission: sum(emission),
				incentive: sum(incentive),
				dividends: sum(dividends),
			}
		})
		.collect();
	Report { mechanism, classes, neurons: per_neuron }
}

/// The default consensus parameters (the chain's genesis defaults).
pub fn default_consensus() -> ConsensusParams {
	ConsensusParams {
		kappa: Perquintill::from_percent(50),
		bond_alpha: Perquintill::from_percent(10),
		max_bonds: 256,
	}
}

/// The scenarios the targets are asserted on (`tests/targets.rs`) and the docs' table shows.
pub fn scenarios(seed: u64, payouts: usize) -> Vec<Scenario> {
	let group = |class, count, stake_share, quality| Group { class, count, stake_share, quality };
	let base = |name, groups, drift, reveal_lag| Scenario {
		name,
		groups,
		noise: 0.05,
		drift,
		reveal_lag,
		self_share: 0.5,
		payouts,
		consensus: default_consensus(),
		dividend_share: Perquintill::from_percent(50),
		seed,
	};
	let market = || {
		vec![
			group(Class::Honest, 32, 0.60, (0.0, 1.0)),
			group(Class::FreeRider, 8, 0.10, (0.0, 1.0)),
			group(Class::Cabal, 12, 0.15, (0.0, 0.2)),
			group(Class::Copier, 12, 0.15, (0.0, 1.0)),
		]
	};
	vec![
		base(
			"cabal: 40% of the stake, low quality, weights only itself",
			vec![
				group(Class::Honest, 36, 0.60, (0.0, 1.0)),
				group(Class::Cabal, 24, 0.40, (0.0, 0.2)),
			],
			0.0,
			0,
		),
		base("market, quality drifting, commit-reveal on (lag 2)", market(), 0.1, 2),
		base("market, quality drifting, commit-reveal on (lag 1)", market(), 0.1, 1),
		base("market, quality drifting, no commit-reveal", market(), 0.1, 0),
	]
}
