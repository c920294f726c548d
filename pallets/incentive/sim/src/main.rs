//! `incentive-sim`: runs the simulator's scenarios under both mechanisms and prints, per class,
//! its share of stake, emission, incentive and dividends (Markdown, as `docs/consensus.md` shows).

#![allow(clippy::arithmetic_side_effects)]

use clap::Parser;
use incentive_sim::{run, scenarios, Mechanism, Report};

/// Runs the adversarial scenarios under Attribution and Consensus.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
	/// Seed of every draw (the tests use 1, 2 and 3).
	#[arg(long, default_value_t = 1)]
	seed: u64,
	/// Payouts per run.
	#[arg(long, default_value_t = 200)]
	payouts: usize,
}

fn main() {
	let args = Args::parse();
	println!("seed {}, {} payouts per run\n", args.seed, args.payouts);
	for scenario in scenarios(args.seed, args.payouts) {
		println!("### {}\n", scenario.name);
		println!("| mechanism | class | neurons | stake | emission | incentive | dividends | dividends / stake |");
		println!("|---|---|---:|---:|---:|---:|---:|---:|");
		for mechanism in [Mechanism::Attribution, Mechanism::Consensus] {
			print_rows(&run(&scenario, mechanism));
		}
		println!();
	}
}

fn print_rows(report: &Report) {
	for class in &report.classes {
		let percent = |share: f64| format!("{:.1}%", share * 100.0);
		let dividends = match report.mechanism {
			Mechanism::Attribution => ("-".to_string(), "-".to_string()),
			Mechanism::Consensus => {
				(percent(class.dividends), format!("{:.2}", class.dividends_per_stake()))
			}
		};
		println!(
			"| {} | {} | {} | {} | {} | {} | {} | {} |",
			report.mechanism.name(),
			class.class.name(),
			class.count,
			percent(class.stake),
			percent(class.emission),
			percent(class.incentive),
			dividends.0,
			dividends.1,
		);
	}
}
