//! Time of one `rank` call, and of one `consensus` call beside it, on random sparse graphs.
//!
//! Graphs of 256, 1024 and 4096 neurons with 64 or 256 out-edges each, random stakes, raw weights
//! and self weights (uniform in `[0, 0.9)`), drawn from a fixed-seed xorshift so every run ranks
//! the same graphs. The number of passes each graph takes (cap 100) is part of the benchmark's
//! name.

// A benchmark is test code: the generator below relies on wrapping integer maths by design.
#![allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]

use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use incentive_ranking::{consensus, rank, Bonds, ConsensusParams, NeuronInput, Perquintill};

/// The pallet's default pass cap.
const MAX_PASSES: u32 = 100;

/// Marsaglia's xorshift64: tiny, deterministic, good enough to scatter edges.
struct XorShift(u64);

impl XorShift {
	fn next(&mut self) -> u64 {
		self.0 ^= self.0 << 13;
		self.0 ^= self.0 >> 7;
		self.0 ^= self.0 << 17;
		self.0
	}

	/// Uniform-ish in `0..bound` (modulo bias is irrelevant here).
	fn below(&mut self, bound: u64) -> u64 {
		self.next() % bound
	}
}

/// Stakes and weights of a graph with `n` neurons and `edges` out-edges each, plus a self weight.
///
/// The self weight is drawn as a fraction, uniform in `[0, 0.9)`, and converted to the raw weight
/// that gives it. Drawing raw self weights on the same scale as the edges would make self weights
/// of about `1 / edges`, a graph that barely absorbs and always runs into the pass cap.
fn graph(n: usize, edges: usize, seed: u64) -> (Vec<u128>, Vec<Vec<(u16, u16)>>) {
	// Keeps the edges' raw sum under 6000, so a self weight of 0.9 (9 × 6000) still fits in u16.
	let max_edge_raw = (6000 / edges).max(1) as u64;
	let mut rng = XorShift(seed);
	let stakes = (0..n).map(|_| u128::from(rng.below(1_000_000_000_000)) + 1).collect();
	let weights = (0..n)
		.map(|uid| {
			let mut own: Vec<(u16, u16)> = (0..edges)
				.map(|_| {
					let target = loop {
						let target = rng.below(n as u64) as u16;
						if usize::from(target) != uid {
							break target;
						}
					};
					(target, (rng.below(max_edge_raw) + 1) as u16)
				})
				.collect();
			let edge_sum: u64 = own.iter().map(|&(_, raw)| u64::from(raw)).sum();
			let self_permille = rng.below(900);
			own.push((uid as u16, (edge_sum * self_permille / (1000 - self_permille)) as u16));
			own
		})
		.collect();
	(stakes, weights)
}

/// The neurons of a graph, as the ranking crate takes them.
fn inputs<'a>(stakes: &[u128], weights: &'a [Vec<(u16, u16)>]) -> Vec<NeuronInput<'a>> {
	stakes.iter().zip(weights).map(|(&stake, weights)| NeuronInput { stake, weights }).collect()
}

fn bench_rank(c: &mut Criterion) {
	let mut group = c.benchmark_group("rank");
	group
		.sample_size(10)
		.warm_up_time(Duration::from_millis(500))
		.measurement_time(Duration::from_secs(2));
	for n in [256usize, 1024, 4096] {
		for edges in [64usize, 256] {
			let (stakes, weights) = graph(n, edges, 0x9e37_79b9_7f4a_7c15 ^ (n * edges) as u64);
			let neurons = inputs(&stakes, &weights);
			let passes = rank(&neurons, MAX_PASSES).passes;
			let id =
				BenchmarkId::new(format!("{edges}_edges"), format!("{n}_neurons/{passes}_passes"));
			group.bench_with_input(id, &neurons, |b, neurons| b.iter(|| rank(neurons, MAX_PASSES)));
		}
	}
	group.finish();
}

/// `consensus` on the same graphs as `rank` (the self weights are ignored by it), with the bonds
/// of a payout before (so the bond merge does its full work), beside `rank` in one run.
fn bench_consensus(c: &mut Criterion) {
	let mut group = c.benchmark_group("consensus");
	group
		.sample_size(10)
		.warm_up_time(Duration::from_millis(500))
		.measurement_time(Duration::from_secs(2));
	let params = ConsensusParams {
		kappa: Perquintill::from_percent(50),
		bond_alpha: Perquintill::from_percent(10),
		max_bonds: 256,
	};
	for n in [256usize, 1024, 4096] {
		for edges in [64usize, 256] {
			let (stakes, weights) = graph(n, edges, 0x9e37_79b9_7f4a_7c15 ^ (n * edges) as u64);
			let neurons = inputs(&stakes, &weights);
			let bonds: Vec<Bonds> = consensus(&neurons, &[], &params).bonds;
			let id = BenchmarkId::new(format!("{edges}_edges"), format!("{n}_neurons"));
			group.bench_with_input(id, &neurons, |b, neurons| {
				b.iter(|| consensus(neurons, &bonds, &params))
			});
		}
	}
	group.finish();
}

// Written out rather than through `criterion_group!`/`criterion_main!`, whose generated public
// function would trip the workspace's `missing_docs` lint.
fn main() {
	let mut criterion = Criterion::default().configure_from_args();
	bench_rank(&mut criterion);
	bench_consensus(&mut criterion);
	criterion.final_summary();
}
