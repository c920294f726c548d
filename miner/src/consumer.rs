//! Using what miners learned: `generate` samples text from a trained miner (alone or mixing
//! in its peers), `query` asks the chain's top-ranked peers for their hidden states on a text
//! and measures how much each one helps a local model predict it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use burn::backend::Flex;
use clap::Args;
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::Serialize;

use crate::data::tokenizer;
use crate::model::{ids_tensor, peer_inputs, Model, PeerFeatures};
use crate::peers::{Dendrite, PeerReply, Scores};
use crate::training::{load_checkpoint, Checkpoint};

/// Options of `generate`.
#[derive(Args, Debug, Clone)]
pub struct GenerateArgs {
	/// Data directory of a trained miner.
	#[arg(long)]
	pub data_dir: PathBuf,
	/// Mix in these peers (host:port,…) at every token, in the miner's peer slots in this order.
	#[arg(long, value_delimiter = ',')]
	pub with_peers: Vec<String>,
	/// Tokens (bytes) to generate.
	#[arg(long, default_value_t = 200)]
	pub tokens: usize,
	/// Sampling temperature; 0 picks the most likely byte.
	#[arg(long, default_value_t = 0.8)]
	pub temperature: f64,
	/// Seed of the sampler.
	#[arg(long, default_value_t = 1)]
	pub seed: u64,
	/// Time limit of one peer query, in milliseconds.
	#[arg(long, default_value_t = 1000)]
	pub peer_timeout_ms: u64,
	/// The text to continue.
	pub prompt: String,
}

/// Options of `query`.
#[derive(Args, Debug, Clone)]
pub struct QueryArgs {
	/// The node's WebSocket RPC endpoint.
	#[arg(long, default_value = "ws://127.0.0.1:9944")]
	pub node: String,
	/// Data directory of the local model that judges the answers.
	#[arg(long)]
	pub data_dir: PathBuf,
	/// How many of the top-ranked serving neurons to ask.
	#[arg(long, default_value_t = 4)]
	pub top: usize,
	/// Time limit of one peer query, in milliseconds.
	#[arg(long, default_value_t = 2000)]
	pub peer_timeout_ms: u64,
	/// Print JSON instead of a table.
	#[arg(long)]
	pub json: bool,
	/// The text to ask about: the local model predicts one byte in every `2 × peer_window + 1`
	/// (17) from the `peer_window` bytes before it, alone and with each peer, and the peers are
	/// sent those windows (never the bytes predicted, nor the bytes right after them).
	pub text: String,
}

fn load_model(dir: &Path) -> anyhow::Result<Checkpoint<Flex>> {
	load_checkpoint::<Flex>(dir, &Default::default())?
		.with_context(|| format!("{} holds no trained miner (no state.json)", dir.display()))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
	tokio::runtime::Builder::new_multi_thread()
		.worker_threads(2)
		.enable_all()
		.build()
		.context("cannot start the async runtime")
}

/// Picks the next token from `logits` (one row of the vocabulary).
fn sample(logits: &[f32], temperature: f64, rng: &mut StdRng) -> u32 {
	let argmax =
		|| logits.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i as u32);
	if temperature <= 0.0 {
		return argmax();
	}
	let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
	let weights: Vec<f64> =
		logits.iter().map(|&l| ((f64::from(l - max)) / temperature).exp()).collect();
	match WeightedIndex::new(&weights) {
		Ok(dist) => dist.sample(rng) as u32,
		Err(_) => argmax(),
	}
}

/// Runs `generate`: prints the prompt and its continuation.
pub fn generate_cmd(args: GenerateArgs) -> anyhow::Result<()> {
	let Checkpoint { config, model, step, .. } = load_model(&args.data_dir)?;
	let slots = config.model.max_peers;
	if args.with_peers.len() > slots {
		anyhow::bail!("{} peers given but the model has {slots} peer slots", args.with_peers.len());
	}
	let placed = place_in_slots(&peer_table(&args.data_dir), &args.with_peers, slots);
	let rt = runtime()?;
	let timeout = Duration::from_millis(args.peer_timeout_ms);
	let dendrite = Dendrite::new(&args.with_peers, timeout, config.model.max_peer_dim);
	let device = Default::default();
	let mut rng = StdRng::seed_from_u64(args.seed);
	let mut tokens = tokenizer::encode(&args.prompt);
	if tokens.is_empty() {
		tokens.push(u32::from(b'\n'));
	}
	let prompt_len = tokens.len();
	let mut absent = vec![0usize; args.with_peers.len()];
	for _ in 0..args.tokens {
		// With peers the model reads what it was trained to mix them on: the window they see.
		let reads = if args.with_peers.is_empty() {
			config.model.context
		} else {
			config.model.peer_window
		};
		let start = tokens.len().saturating_sub(reads.max(1));
		let context = tokens.get(start..).unwrap_or_default().to_vec();
		// Peers see the window ending at the last token, as in training.
		let w = config.model.peer_window.clamp(1, context.len());
		let window = context[context.len() - w..].to_vec();
		let replies = rt.block_on(dendrite.forward(&window, 1));
		let mut features = vec![None; slots];
		for (reply, &k) in present(&replies, &mut absent).into_iter().zip(&placed) {
			if let Some(f) = features.get_mut(k) {
				*f = reply;
			}
		}
		let peers = peer_inputs::<Flex>(&features, 1, w, config.model.max_peer_dim, &device);
		let logits = model.next_logits(ids_tensor::<Flex>(&context, 1, &device), &peers);
		let last = logits.into_data().to_vec::<f32>();
		let last = last.map_err(|e| anyhow::anyhow!("cannot read the logits: {e:?}"))?;
		tokens.push(sample(&last, args.temperature, &mut rng));
	}
	for (addr, missed) in args.with_peers.iter().zip(&absent) {
		if *missed > 0 {
			log::warn!("peer {addr} was absent for {missed} of {} tokens", args.tokens);
		}
	}
	log::info!("model of step {step}, {} peers", args.with_peers.len());
	println!("{}{}", args.prompt, tokenizer::decode(&tokens[prompt_len..]));
	Ok(())
}

/// The peer table of the checkpoint in `data_dir` (the scores file of an older one), if any.
fn peer_table(data_dir: &Path) -> Option<Scores> {
	Scores::load(&data_dir.join("peers.json"))
		.or_else(|_| Scores::load(&data_dir.join("scores.json")))
		.ok()
}

/// The slot each of `addrs` (at most `slots` of them) is mixed in: the one the miner trained
/// for it, by address in `table`, else the first slot no other given peer takes.
fn place_in_slots(table: &Option<Scores>, addrs: &[String], slots: usize) -> Vec<usize> {
	let trained: Vec<Option<usize>> = addrs
		.iter()
		.map(|a| table.as_ref().and_then(|t| t.slot_of_addr(a)).filter(|&k| k < slots))
		.collect();
	let mut taken: Vec<usize> = trained.iter().flatten().copied().collect();
	trained
		.iter()
		.map(|known| {
			known.unwrap_or_else(|| {
				let free = (0..slots).find(|k| !taken.contains(k)).unwrap_or(0);
				taken.push(free);
				free
			})
		})
		.collect()
}

/// The usable features of `replies`, counting the absent ones in `absent`.
fn present(replies: &[PeerReply], absent: &mut [usize]) -> Vec<Option<PeerFeatures>> {
	replies
		.iter()
		.zip(absent.iter_mut())
		.map(|(reply, missed)| {
			if reply.is_err() {
				*missed += 1;
			}
			reply.as_ref().ok().cloned()
		})
		.collect()
}

/// What `query` found out about one neuron.
#[derive(Clone, Debug, Serialize)]
pub struct PeerAnswer {
	/// Its uid.
	pub uid: u16,
	/// Its axon.
	pub addr: String,
	/// Its rank at the last payout.
	pub rank: f64,
	/// Width of the hidden state it returned.
	pub dim: Option<usize>,
	/// Root mean square of the values it returned.
	pub rms: Option<f64>,
	/// The local model's loss (nats per token) on the text with this peer mixed in.
	pub loss_with: Option<f64>,
	/// `loss_alone − loss_with`: what it saved.
	pub saved: Option<f64>,
	/// Why it gave nothing usable.
	pub error: Option<String>,
}

/// The result of `query`.
#[derive(Clone, Debug, Serialize)]
pub struct QueryReport {
	/// Predictions the loss is measured on (one per window of the text).
	pub tokens: usize,
	/// The local model's loss alone.
	pub loss_alone: f64,
	/// One entry per neuron asked, by rank.
	pub peers: Vec<PeerAnswer>,
}

/// The windows of `ids` the local model is judged on, as `(windows, targets)` row-major: a
/// window of `len` tokens every `2 × len + 1`, each with the token after it as its target. They
/// are what peers are sent: no peer is sent a target, nor the `len` tokens after one.
fn windows(ids: &[u32], len: usize) -> (Vec<u32>, Vec<u32>) {
	let mut tokens = Vec::new();
	let mut targets = Vec::new();
	for w in ids.chunks(2 * len + 1).filter(|w| w.len() > len).map(|w| &w[..=len]) {
		tokens.extend_from_slice(&w[..len]);
		targets.extend_from_slice(&w[1..]);
	}
	(tokens, targets)
}

/// The local model's mean cross-entropy at the windows' last positions with `features` (the
/// peers' answers for the same windows) in the slots.
fn local_loss(
	model: &Model<Flex>,
	(tokens, targets): &(Vec<u32>, Vec<u32>),
	sequences: usize,
	features: &[Option<PeerFeatures>],
	max_dim: usize,
) -> f64 {
	let device = Default::default();
	let len = tokens.len().checked_div(sequences).unwrap_or(0);
	let peers = peer_inputs::<Flex>(features, sequences, len, max_dim, &device);
	let input = ids_tensor::<Flex>(tokens, sequences, &device);
	let target = ids_tensor::<Flex>(targets, sequences, &device);
	let loss = model.loss(input, target, &peers, 0.0).last;
	loss.into_data()
		.to_vec::<f32>()
		.ok()
		.and_then(|v| v.first().copied())
		.map_or(f64::NAN, f64::from)
}

/// Runs `query`.
pub fn query_cmd(args: QueryArgs) -> anyhow::Result<()> {
	let Checkpoint { config, model, .. } = load_model(&args.data_dir)?;
	let ids = tokenizer::encode(&args.text);
	if ids.len() < 2 {
		anyhow::bail!("the text must be at least 2 bytes long");
	}
	// The local model reads the same window as the peers: one prediction every
	// `2 × peer_window + 1` bytes, each from the `peer_window` bytes before it.
	let len = config.model.peer_window.clamp(1, ids.len() - 1).min(config.model.context);
	let batch = windows(&ids, len);
	let sequences = batch.0.len() / len;
	let rt = runtime()?;
	let metagraph = rt.block_on(async {
		let client = crate::chain::ChainClient::connect(&args.node).await?;
		client.metagraph().await
	})?;
	let mut serving: Vec<(u16, std::net::SocketAddr, f64)> = metagraph
		.peers(None)
		.into_iter()
		.map(|(uid, addr)| (uid, addr, metagraph.neuron(uid).map_or(0.0, |n| n.rank)))
		.collect();
	serving.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
	serving.truncate(args.top);
	let addrs: Vec<String> = serving.iter().map(|(_, addr, _)| addr.to_string()).collect();
	let max_dim = config.model.max_peer_dim;
	let timeout = Duration::from_millis(args.peer_timeout_ms);
	let dendrite = Dendrite::new(&addrs, timeout, max_dim);
	let replies = rt.block_on(dendrite.forward(&batch.0, sequences));
	let loss_alone = local_loss(&model, &batch, sequences, &[], max_dim);
	// A peer is judged in the slot the local miner trained for it (by address, from its peer
	// table), else in the first slot.
	let known = peer_table(&args.data_dir);
	let peers = serving
		.iter()
		.zip(replies)
		.map(|((uid, addr, rank), reply)| {
			let mut answer = PeerAnswer {
				uid: *uid,
				addr: addr.to_string(),
				rank: *rank,
				dim: None,
				rms: None,
				loss_with: None,
				saved: None,
				error: None,
			};
			match reply {
				Ok(features) => {
					let n = features.values.len().max(1) as f64;
					let sum: f64 = features.values.iter().map(|&v| f64::from(v).powi(2)).sum();
					answer.dim = Some(features.dim);
					answer.rms = Some((sum / n).sqrt());
					let slot = known
						.as_ref()
						.and_then(|s| s.slot_of_addr(&answer.addr))
						.filter(|&k| k < config.model.max_peers)
						.unwrap_or(0);
					let mut slots = vec![None; slot + 1];
					slots[slot] = Some(features);
					let with = local_loss(&model, &batch, sequences, &slots, max_dim);
					answer.loss_with = Some(with);
					answer.saved = Some(loss_alone - with);
				}
				Err(why) => answer.error = Some(why),
			}
			answer
		})
		.collect();
	let report = QueryReport { tokens: sequences, loss_alone, peers };
	if args.json {
		println!("{}", serde_json::to_string_pretty(&report)?);
	} else {
		print!("{}", render(&report));
	}
	Ok(())
}

/// `report` as a table.
pub fn render(report: &QueryReport) -> String {
	let mut out = format!(
		"{} tokens; local model alone: {:.4} nats/token\n{:<5} {:<22} {:>7} {:>5} {:>8} {:>9} {:>9}\n",
		report.tokens, report.loss_alone, "uid", "axon", "rank", "dim", "rms", "loss", "saved"
	);
	for p in &report.peers {
		let num =
			|v: Option<f64>, w: usize| v.map_or(format!("{:>w$}", "-"), |v| format!("{v:>w$.4}"));
		out.push_str(&format!(
			"{:<5} {:<22} {:>7.4} {:>5} {} {} {}{}\n",
			p.uid,
			p.addr,
			p.rank,
			p.dim.map_or("-".to_string(), |d| d.to_string()),
			num(p.rms, 8),
			num(p.loss_with, 9),
			num(p.saved, 9),
			p.error.as_ref().map_or(String::new(), |e| format!("  absent: {e}")),
		));
	}
	out
}
