//! `libtorch-bench PRESET THREADS ROUNDS PYTHON SCRIPT`: the miner's training step
//! (`miner/src/bench.rs`) on Flex, on LibTorch under Burn's autodiff, and in PyTorch
//! (`scripts/bench_torch.py`), alternating each round, with both ratios.

#[path = "../../src/bench.rs"]
pub mod bench;
#[path = "../../src/model.rs"]
pub mod model;
#[path = "../../src/shards.rs"]
pub mod shards;
pub mod data {
	/// The one constant the model takes from the miner's tokenizer.
	pub mod tokenizer {
		pub const VOCAB_SIZE: usize = 256;
	}
}

use std::path::PathBuf;

use anyhow::Context;
use burn::backend::{Autodiff, Flex, LibTorch};

fn main() -> anyhow::Result<()> {
	let args: Vec<String> = std::env::args().skip(1).collect();
	let [preset_name, threads, rounds, python, script] = args.as_slice() else {
		anyhow::bail!("usage: libtorch-bench PRESET THREADS ROUNDS PYTHON SCRIPT");
	};
	let preset = <model::Preset as clap::ValueEnum>::from_str(preset_name, true)
		.map_err(|e| anyhow::anyhow!("preset: {e}"))?;
	let threads: usize = threads.parse().context("THREADS")?;
	let rounds: usize = rounds.parse().context("ROUNDS")?;
	// As the miner does before training (`device::keep_freed_memory`).
	// SAFETY: only allocator parameters, set before any thread starts.
	unsafe {
		libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
		libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
	}
	std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
	tch::set_num_threads(threads as i32);
	let cfg = bench::BenchConfig { preset, steps: 10, ..Default::default() };
	let (python, script) = (PathBuf::from(python), PathBuf::from(script));
	let mut ratios = Vec::new();
	for round in 1..=rounds.max(1) {
		let flex = bench::run::<Autodiff<Flex>>(&Default::default(), &cfg).tokens_per_sec;
		let tch = bench::run::<Autodiff<LibTorch>>(&Default::default(), &cfg).tokens_per_sec;
		let torch = bench::run_torch(&python, &script, preset_name, &cfg, Some(threads), false)?;
		println!(
			"round={round} preset={preset_name} threads={threads} batch={} flex={flex:.1} \
			 libtorch={tch:.1} pytorch={torch:.1} flex/torch={:.2} libtorch/torch={:.2}",
			cfg.batch,
			flex / torch,
			tch / torch
		);
		ratios.push((flex / torch, tch / torch));
	}
	let n = ratios.len() as f64;
	let (f, t) = ratios.iter().fold((0.0, 0.0), |(f, t), (a, b)| (f + a / n, t + b / n));
	println!("mean over {} rounds: flex/torch={f:.2} libtorch/torch={t:.2}", ratios.len());
	Ok(())
}
