//! `tensor-miner` binary; see the library docs.

use clap::Parser;

fn main() {
	env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(
		// Burn warns on every checkpoint that it overwrites the previous one (that is the point),
		// and jsonrpsee logs every connection.
		"info,burn_core::record::file=error,jsonrpsee_server=warn",
	))
	.init();
	// After the logger, so that a refusal is logged; before any training thread starts.
	tensor_miner::device::keep_freed_memory();
	let cli = tensor_miner::cli::Cli::parse();
	if let Err(e) = tensor_miner::cli::run(cli) {
		eprintln!("error: {e:#}");
		std::process::exit(1);
	}
}
