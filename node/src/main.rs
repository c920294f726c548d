//! # tensor-node
//!
//! The incentive chain's node: a Substrate solochain client with Aura block authoring and
//! GRANDPA finality (or manual/instant sealing for development), ParityDB storage and a
//! JSON-RPC server. Run `tensor-node --dev` for a single-validator development chain.

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
