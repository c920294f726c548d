//! Command line: `train`, `serve`, `run`, `owner`, `scores`, `generate`, `query`, `bench`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use burn::tensor::backend::AutodiffBackend;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::bench::{self, BenchConfig};
use crate::data::{read_corpus, tokenizer};
use crate::device::{self, CpuBackend, DeviceArg, Selected};
use crate::model::Preset;
use crate::peers::{Axon, AxonConfig, Dendrite, Scores, Served, SlotPolicy};
use crate::{Miner, MinerConfig, PeerLink};

/// Miner of the incentive chain.
#[derive(Parser, Debug)]
#[command(name = "tensor-miner", version, about)]
pub struct Cli {
	/// What to do.
	#[command(subcommand)]
	pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
	/// Train on a corpus (optionally serving an axon and using peers), checkpointing to the data dir.
	Train(TrainArgs),
	/// Like `train` but requires --axon-port; with --steps 0 it trains and serves until stopped.
	Serve(TrainArgs),
	/// Train, serve and take part in the chain: register, announce the axon, find peers in the
	/// metagraph and post weights (until stopped unless --steps is given). Signs with the
	/// neuron's operator key.
	Run(RunArgs),
	/// What the neuron's owner key signs: register, name the operator key, add or remove
	/// stake, unregister, withdraw unbonded stake.
	Owner(crate::owner::OwnerArgs),
	/// Print the peer score table saved in a data dir.
	Scores {
		/// Data directory of a miner.
		#[arg(long)]
		data_dir: PathBuf,
	},
	/// Continue a prompt with a trained miner's model, alone or mixing in peers.
	Generate(crate::consumer::GenerateArgs),
	/// Ask the chain's top-ranked serving neurons for their hidden states on a text and show
	/// how much each helps a local model predict it.
	Query(crate::consumer::QueryArgs),
	/// Measure training throughput (tokens/s) for a fixed model size.
	Bench(BenchArgs),
}

/// Options of `train` and `serve`.
#[derive(Args, Debug, Clone)]
pub struct TrainArgs {
	/// A text file, or a directory of .txt files.
	#[arg(long)]
	pub corpus: PathBuf,
	/// Where the checkpoint, loss curve and scores live; resumed from if it holds a checkpoint.
	#[arg(long)]
	pub data_dir: PathBuf,
	/// Steps to train in this run: default 1000 for `train` and `serve`; `serve --steps 0` and
	/// `run` (its default) train until stopped.
	#[arg(long)]
	pub steps: Option<u64>,
	/// Training device.
	#[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
	pub device: DeviceArg,
	/// Serve the axon on this port (on --axon-host).
	#[arg(long)]
	pub axon_port: Option<u16>,
	/// Address the axon binds to.
	#[arg(long, default_value = "0.0.0.0")]
	pub axon_host: String,
	/// Peers as host:port,host:port,...
	#[arg(long, value_delimiter = ',')]
	pub peers: Vec<String>,
	/// Serve random hidden states of the right shape instead of the model's (tests, demos).
	#[arg(long)]
	pub serve_noise: bool,
	/// Serve ±3e38 in every cell instead of the model's hidden states: a hostile peer, for
	/// tests and drills (peers must shrug it off).
	#[arg(long, conflicts_with = "serve_noise")]
	pub serve_huge: bool,
	/// Time limit of one peer query, in milliseconds.
	#[arg(long, default_value_t = 1000)]
	pub peer_timeout_ms: u64,
	/// Model size (new models only): `tiny` trains on a laptop core in minutes, `small` is a
	/// CPU miner, `gpu` wants a GPU.
	#[arg(long, value_enum, default_value_t = Preset::Small)]
	pub preset: Preset,
	/// Width of the hidden state, overriding the preset's (new models only).
	#[arg(long)]
	pub d_model: Option<usize>,
	/// Context length in tokens (bytes), overriding the preset's (new models only).
	#[arg(long)]
	pub context: Option<usize>,
	/// Peer slots in the gate (new models only).
	#[arg(long, default_value_t = 4)]
	pub max_peers: usize,
	/// Sequences per step (new models only).
	#[arg(long, default_value_t = 16)]
	pub batch_size: usize,
	/// Weight of the distillation term KL(mixture ‖ own prediction) (new models only).
	#[arg(long, default_value_t = 0.5)]
	pub distill: f64,
	/// Probability of leaving each peer out of a training step (new models only).
	#[arg(long, default_value_t = 0.25)]
	pub peer_dropout: f64,
	/// Adam learning rate (new models only).
	#[arg(long, default_value_t = 3e-3)]
	pub lr: f64,
	/// Steps between held-out evaluations and peer scoring (new models only).
	#[arg(long, default_value_t = 50)]
	pub eval_every: u64,
	/// Held-out probes per evaluation (new models only): more probes make the peers' scores
	/// less noisy and let copy detection see relays of answers spanning more directions, at
	/// the cost of a longer evaluation. At least 16: copy detection needs 16 distinct probes.
	#[arg(long, default_value_t = 128,
		value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(16..=4096))]
	pub eval_batch: usize,
	/// Seed (new models only).
	#[arg(long, default_value_t = 42)]
	pub seed: u64,
	/// Fraction of its weight the miner keeps when peers save it loss; the rest is split among
	/// the peers by the loss each saves.
	#[arg(long, default_value_t = 0.5)]
	pub self_share: f64,
	/// With more peers than slots: scoring rounds a peer holds its slot before it can make
	/// room for a waiting one.
	#[arg(long, default_value_t = 2)]
	pub slot_trial_rounds: u64,
	/// With more peers than slots: slots handed to waiting peers after each scoring round
	/// (each time the weakest occupant past its trial).
	#[arg(long, default_value_t = 1)]
	pub rotate_per_round: usize,
	/// CPU threads for the Flex backend (default: all cores).
	#[arg(long)]
	pub threads: Option<usize>,
	/// Serve Prometheus metrics on this port (at --axon-host), path /metrics; off by default.
	#[arg(long)]
	pub metrics_port: Option<u16>,
}

/// Starts the metrics server if `--metrics-port` was given.
pub(crate) fn start_metrics(
	args: &TrainArgs,
	runtime: &tokio::runtime::Handle,
) -> anyhow::Result<()> {
	let Some(port) = args.metrics_port else { return Ok(()) };
	let host: std::net::IpAddr = args.axon_host.parse().map_err(|e| {
		anyhow::anyhow!("--axon-host {:?} is not an IP address: {e}", args.axon_host)
	})?;
	crate::metrics::init(std::net::SocketAddr::new(host, port), runtime)
}

/// The node to talk to and the key to sign with (`run`: the operator key; `owner`: the owner
/// key).
#[derive(Args, Debug, Clone)]
pub struct ChainArgs {
	/// The node's WebSocket RPC endpoint.
	#[arg(long, default_value = "ws://127.0.0.1:9944")]
	pub node: String,
	/// Secret URI of the signing key, e.g. //Bob on a dev chain. Visible to other users of
	/// this machine (in `ps`); prefer --key-file outside development.
	#[arg(long, conflicts_with = "key_file", required_unless_present = "key_file")]
	pub suri: Option<String>,
	/// File holding the secret URI or seed; must be mode 0600 (readable by its owner only).
	#[arg(long)]
	pub key_file: Option<PathBuf>,
}

impl ChainArgs {
	/// The signing key from --suri or --key-file.
	pub fn signer(&self) -> anyhow::Result<crate::chain::Signer> {
		use crate::chain::Signer;
		Ok(match (&self.suri, &self.key_file) {
			(Some(suri), _) => Signer::from_suri(suri)?,
			(None, Some(path)) => Signer::from_key_file(path)?,
			(None, None) => anyhow::bail!("pass --suri or --key-file"),
		})
	}
}

/// Options of `run`: those of `train` plus the chain's.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
	/// Training and axon options.
	#[command(flatten)]
	pub train: TrainArgs,
	/// The node and the neuron's operator key (which is its owner too when the miner registers
	/// it, see --stake).
	#[command(flatten)]
	pub chain: ChainArgs,
	/// Address peers reach the axon at, IP:PORT (default 127.0.0.1:<axon port>, reachable from
	/// this machine only).
	#[arg(long)]
	pub external_addr: Option<std::net::SocketAddr>,
	/// Stake to register with if the key neither operates nor owns a neuron yet: TAO (`100`,
	/// `2.5`) or base units with the suffix `base` (`2500000000base`); 1 TAO = 10^9 base
	/// units. The key then owns the neuron too; to keep the owner key off this machine,
	/// register with `tensor-miner owner register --operator` instead.
	#[arg(long, value_parser = crate::run::parse_stake)]
	pub stake: Option<u128>,
	/// The most the miner pays to register (burned, not refunded), in the same units as
	/// --stake. The chain's fee rises with each registration and decays back to its floor; the
	/// miner waits while it is above this.
	#[arg(long, value_parser = crate::run::parse_stake, default_value = "10")]
	pub max_registration_fee: u128,
	/// SS58 address of the neuron's owner, when the owner registered it elsewhere and offered
	/// this key the operator role (`tensor-miner owner register --operator`): the miner accepts
	/// that offer, and no other.
	#[arg(long)]
	pub owner: Option<String>,
	/// Milliseconds between metagraph reads.
	#[arg(long, default_value_t = 1000)]
	pub chain_poll_ms: u64,
	/// Pause after each training step, in milliseconds, to leave CPU to a node on the same
	/// machine.
	#[arg(long, default_value_t = 0)]
	pub step_pause_ms: u64,
	/// Seconds between training summaries in the log (steps/s, held-out losses, peers); every
	/// evaluation is logged at debug level, and the metrics (`--metrics-port`) have the detail.
	/// 0 logs every evaluation.
	#[arg(long, default_value_t = 10)]
	pub log_every_secs: u64,
	/// Longest wait between reconnection attempts, in seconds.
	#[arg(long, default_value_t = 30)]
	pub max_backoff_secs: u64,
	/// Which callers of the axon go first when it is busy: `stake` (the caller's neuron's
	/// stake) or `weight` (the weight the caller's neuron gives this miner: its knowledge goes
	/// first to those who pay for it). Only callers that sign with a registered operator key
	/// queue; others share --anonymous-workers.
	#[arg(long, value_enum, default_value_t = Priority::Stake)]
	pub axon_priority: Priority,
	/// Axon workers that unsigned callers, or callers no registered neuron operates, may use
	/// at once.
	#[arg(long, default_value_t = 1)]
	pub anonymous_workers: usize,
	/// Refuse unsigned axon requests (by default they get the anonymous workers).
	#[arg(long)]
	pub require_signed: bool,
}

/// How an axon orders known callers; see `--axon-priority`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Priority {
	/// By the caller neuron's stake.
	Stake,
	/// By the weight the caller's neuron gives this miner.
	Weight,
}

/// Options of `bench`.
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
	/// Device to benchmark.
	#[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
	pub device: DeviceArg,
	/// Model size.
	#[arg(long, value_enum, default_value_t = Preset::Small)]
	pub preset: Preset,
	/// Timed steps.
	#[arg(long, default_value_t = 20)]
	pub steps: usize,
	/// Untimed steps first (a GPU compiles its kernels and tunes its matrix products in them).
	#[arg(long, default_value_t = 3)]
	pub warmup: usize,
	/// Sequences per step.
	#[arg(long, default_value_t = 16)]
	pub batch_size: usize,
	/// CPU threads for the Flex backend (default: all cores).
	#[arg(long)]
	pub threads: Option<usize>,
	/// Row shards of each step's batch on the CPU, each trained on its own thread (default: one
	/// per thread); 1 trains the whole batch on one thread, to compare.
	#[arg(long)]
	pub shards: Option<usize>,
	/// Also run PyTorch's side, this script (`scripts/bench_torch.py`), with the same shape
	/// after each Burn run, and print the ratio.
	#[arg(long, value_name = "SCRIPT")]
	pub against_torch: Option<PathBuf>,
	/// Runs of each side, alternating (the machine's noise shows in the spread).
	#[arg(long, default_value_t = 1)]
	pub rounds: usize,
	/// The Python interpreter that has PyTorch, for `--against-torch`.
	#[arg(long, default_value = "python3")]
	pub python: PathBuf,
}

/// Flex parallelizes with rayon; its global pool reads this variable when first used.
pub(crate) fn set_threads(threads: Option<usize>) {
	if let Some(n) = threads {
		std::env::set_var("RAYON_NUM_THREADS", n.max(1).to_string());
	}
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
	match cli.command {
		Command::Train(args) => train_cmd(args, false),
		Command::Serve(args) => train_cmd(args, true),
		Command::Run(args) => crate::run::run_cmd(args),
		Command::Owner(args) => crate::owner::owner_cmd(args),
		Command::Scores { data_dir } => {
			let scores = Scores::load(&data_dir.join("scores.json"))?;
			print!("{}", scores.render());
			println!("weights (index, u16): {:?}", scores.weights());
			Ok(())
		}
		Command::Generate(args) => crate::consumer::generate_cmd(args),
		Command::Query(args) => crate::consumer::query_cmd(args),
		Command::Bench(args) => bench_cmd(args),
	}
}

/// `bench`: Burn's training throughput, and beside it PyTorch's when `--against-torch` names
/// the script, each round Burn then PyTorch, with the ratio.
fn bench_cmd(args: BenchArgs) -> anyhow::Result<()> {
	set_threads(args.threads);
	let cfg = BenchConfig {
		preset: args.preset,
		steps: args.steps.max(1),
		warmup: args.warmup,
		batch: args.batch_size.max(1),
		..Default::default()
	};
	let selected = device::select(args.device)?;
	let cfg = match selected {
		Selected::Cpu => {
			let shards = args.shards.unwrap_or_else(|| device::cpu_shards(args.threads));
			BenchConfig { shards: shards.max(1), ..cfg }
		}
		#[cfg(feature = "cuda")]
		Selected::Cuda => {
			if args.shards.is_some() {
				log::warn!("--shards applies to the CPU only: a CUDA step is one shard");
			}
			cfg
		}
	};
	let preset = clap::ValueEnum::to_possible_value(&cfg.preset)
		.map(|value| value.get_name().to_string())
		.unwrap_or_default();
	let peak = card_peak(selected);
	let mut ratios = Vec::new();
	for _ in 0..args.rounds.max(1) {
		let (name, result, cuda) = match selected {
			Selected::Cpu => {
				("cpu (flex)", bench::run::<CpuBackend>(&Default::default(), &cfg), false)
			}
			#[cfg(feature = "cuda")]
			Selected::Cuda => ("cuda", bench::run::<device::CudaBackend>(&Default::default(), &cfg), true),
		};
		println!(
			"device={name} preset={:?} context={} batch={} shards={} params={} steps={} \
			 secs={:.3} tokens_per_sec={:.1} gflops={:.1}{} last_loss={:.4}",
			cfg.preset,
			result.context,
			cfg.batch,
			cfg.shards,
			result.params,
			cfg.steps,
			result.secs,
			result.tokens_per_sec,
			result.flops_per_sec / 1e9,
			peak_share(result.flops_per_sec, peak),
			result.last_loss
		);
		if let Some(script) = &args.against_torch {
			let torch = bench::run_torch(&args.python, script, &preset, &cfg, args.threads, cuda)?;
			let ratio = result.tokens_per_sec / torch;
			let torch_flops = torch * bench::train_flops_per_token(&cfg.preset.config(0));
			println!(
				"torch tokens_per_sec={torch:.1} gflops={:.1}{} burn/torch={ratio:.2}",
				torch_flops / 1e9,
				peak_share(torch_flops, peak)
			);
			ratios.push(ratio);
		}
	}
	if ratios.len() > 1 {
		ratios.sort_by(f64::total_cmp);
		// The middle one, or the mean of the two middle ones.
		let upper = ratios.get(ratios.len() / 2).copied().unwrap_or(f64::NAN);
		let lower = ratios.get((ratios.len() - 1) / 2).copied().unwrap_or(upper);
		let median = (lower + upper) / 2.0;
		let (low, high) = (ratios.first().unwrap_or(&median), ratios.last().unwrap_or(&median));
		println!(
			"burn/torch over {} rounds: median {median:.2} (from {low:.2} to {high:.2})",
			ratios.len()
		);
	}
	Ok(())
}

/// ` of_fp32_peak=…` for a bench line: `flops` over the card's peak, when there is one.
fn peak_share(flops: f64, peak: Option<f64>) -> String {
	peak.map(|peak| format!(" of_fp32_peak={:.4}", flops / peak)).unwrap_or_default()
}

/// The FP32 peak of the card a CUDA bench runs on (GPU 0), printed once with the card.
fn card_peak(selected: Selected) -> Option<f64> {
	if selected == Selected::Cpu {
		return None;
	}
	let gpu = device::driver::probe().ok()?.gpu?;
	let peak = gpu.peak_fp32_flops();
	println!(
		"gpu: {gpu}; fp32_peak_tflops={:.1} ({} lanes x SMs x clock x 2, without tensor cores)",
		peak / 1e12,
		gpu.fp32_lanes()
	);
	Some(peak)
}

fn train_cmd(args: TrainArgs, serve: bool) -> anyhow::Result<()> {
	set_threads(args.threads);
	if serve && args.axon_port.is_none() {
		anyhow::bail!("serve needs --axon-port");
	}
	match device::select(args.device)? {
		Selected::Cpu => train_on::<CpuBackend>(&args, serve, device::cpu_shards(args.threads)),
		#[cfg(feature = "cuda")]
		Selected::Cuda => train_on::<device::CudaBackend>(&args, serve, 1),
	}
}

/// Applies the command line's self share and slot rotation (these may change between runs).
fn with_peer_policy<B: AutodiffBackend>(mut miner: Miner<B>, args: &TrainArgs) -> Miner<B> {
	miner.set_self_share(args.self_share);
	let policy = SlotPolicy {
		trial_rounds: args.slot_trial_rounds,
		rotate_per_round: args.rotate_per_round,
		..SlotPolicy::default()
	};
	miner.set_slot_policy(policy);
	miner
}

pub(crate) fn open_miner<B: AutodiffBackend>(
	args: &TrainArgs,
	text: &str,
) -> anyhow::Result<Miner<B>> {
	let device = B::Device::default();
	if let Some(miner) = Miner::<B>::resume(&args.data_dir, text, device.clone())? {
		log::info!(
			"resumed {} at step {} (model options on the command line are ignored)",
			args.data_dir.display(),
			miner.step_count()
		);
		return Ok(with_peer_policy(miner, args));
	}
	let mut model = args.preset.config(args.max_peers);
	if let Some(d) = args.d_model {
		model.d_model = d;
		model.d_ff = 4 * d;
	}
	if let Some(context) = args.context {
		model.context = context;
	}
	let config = MinerConfig::new(model)
		.with_batch_size(args.batch_size)
		.with_learning_rate(args.lr)
		.with_distill(args.distill)
		.with_peer_dropout(args.peer_dropout)
		.with_eval_every(args.eval_every)
		.with_eval_batch(args.eval_batch)
		.with_seed(args.seed);
	let mut miner = with_peer_policy(Miner::<B>::new(config, text, device)?, args);
	miner.save(&args.data_dir)?;
	log::info!("new model in {}", args.data_dir.display());
	Ok(miner)
}

/// One line on what is being trained and on which data.
pub(crate) fn log_model<B: AutodiffBackend>(miner: &Miner<B>) {
	let m = &miner.config().model;
	log::info!(
		"model: {} layers of width {}, {} heads, context {} tokens, {} peer slots; tokenizer {} \
		 (bytes); {} training / {} held-out tokens",
		m.n_layers,
		m.d_model,
		m.n_heads,
		m.context,
		m.max_peers,
		tokenizer::hash(),
		miner.corpus().train_tokens(),
		miner.corpus().heldout_tokens()
	);
}

fn train_on<B: AutodiffBackend>(
	args: &TrainArgs,
	serve: bool,
	shards: usize,
) -> anyhow::Result<()> {
	let text = read_corpus(&args.corpus)?;
	let mut miner = open_miner::<B>(args, &text)?;
	miner.set_shards(shards);
	log_model(&miner);
	// Two workers are plenty for the axon and the dendrite; training runs on this thread.
	let runtime = tokio::runtime::Builder::new_multi_thread()
		.worker_threads(2)
		.enable_all()
		.build()
		.context("cannot start the async runtime")?;
	start_metrics(args, runtime.handle())?;
	let axon = match args.axon_port {
		Some(port) => {
			let served = Served::default();
			miner.serve_into(served.clone());
			let config = AxonConfig {
				serve_noise: args.serve_noise,
				serve_huge: args.serve_huge,
				..Default::default()
			};
			let addr = format!("{}:{port}", args.axon_host);
			Some(runtime.block_on(Axon::start(&addr, served, config))?)
		}
		None => None,
	};
	if !args.peers.is_empty() {
		let max_dim = miner.config().model.max_peer_dim;
		let dendrite =
			Dendrite::new(&args.peers, Duration::from_millis(args.peer_timeout_ms), max_dim);
		miner.set_peers(PeerLink { dendrite, handle: runtime.handle().clone() })?;
	}
	let steps = args.steps.unwrap_or(1000);
	let forever = serve && steps == 0;
	let bar = if forever { ProgressBar::new_spinner() } else { ProgressBar::new(steps) };
	bar.set_style(
		ProgressStyle::with_template(
			"{elapsed_precise} [{bar:30}] {pos}/{len} steps {per_sec} {msg}",
		)
		.unwrap_or_else(|_| ProgressStyle::default_bar()),
	);
	let mut last_eval = String::new();
	let mut final_eval = None;
	let mut done = 0u64;
	while forever || done < steps {
		let report = miner.step()?;
		done += 1;
		if let Some(e) = &report.eval {
			last_eval = format!("heldout {:.4} (no peers {:.4})", e.loss, e.loss_no_peers);
		}
		final_eval = report.eval;
		bar.set_message(format!(
			"loss {:.4} {last_eval} peers {}/{}",
			report.loss,
			report.peers_present,
			args.peers.len()
		));
		bar.inc(1);
	}
	bar.finish();
	// Evaluate once more unless the last step just did.
	let eval = match final_eval {
		Some(e) => e,
		None => miner.evaluate_and_score()?,
	};
	miner.save(&args.data_dir)?;
	println!(
		"step {}: held-out loss {:.4} (without peers {:.4}, uniform {:.4}); checkpoint in {}",
		miner.step_count(),
		eval.loss,
		eval.loss_no_peers,
		(tokenizer::VOCAB_SIZE as f64).ln(),
		args.data_dir.display()
	);
	if !miner.scores().peers.is_empty() {
		print!("{}", miner.scores().render());
	}
	if let Some(axon) = axon {
		runtime.block_on(axon.stop());
	}
	Ok(())
}
