//! Command-line interface: the standard Substrate commands and flags plus `--sealing`.

/// How blocks are produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Sealing {
	/// Aura authoring with GRANDPA finality, one block per 6-second slot.
	#[default]
	Aura,
	/// A block only when the `engine_createBlock` RPC asks for one; finality via
	/// `engine_finalizeBlock`. For tests and development.
	Manual,
	/// A block as soon as a transaction enters the pool, finalized at once. For development.
	Instant,
}

/// The node's arguments.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	/// A maintenance subcommand; none runs the node.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// Node options (see `tensor-node --help`).
	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	/// Block production: `aura` (default: Aura + GRANDPA), `manual` or `instant` sealing.
	#[arg(long, value_enum, default_value_t = Sealing::Aura)]
	pub sealing: Sealing,
}

/// Maintenance subcommands.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect, insert keys into the keystore.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Write a chain specification (JSON) to stdout.
	#[clap(name = "build-spec")]
	#[allow(deprecated)]
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain database.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Runtime benchmarks (build with `--features runtime-benchmarks`).
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Database metadata.
	ChainInfo(sc_cli::ChainInfoCmd),
}
