//! `tensor-miner`: one neuron of the machine-intelligence market.
//!
//! A miner trains a small causal transformer ([`model`]) on a text corpus ([`data`]) with Burn,
//! on CUDA when available ([`device`]), over the network's byte-level tokenizer. It serves what
//! it learned — its hidden state at every position of any text a peer sends — through its
//! *axon* (a JSON-RPC server), asks its peers for theirs through its *dendrite*, mixes them
//! into its own with a learned per-position gate (a distributed mixture of experts) and distills
//! the mixture into its own path, so it keeps what it learned from them. It scores every peer
//! by the held-out loss that peer's features save (leave-one-out) and turns the scores into
//! weights ([`peers::scoring`]), which `run` ([`run`]) posts on chain; [`chain`] is the only
//! module that talks to the node.
//!
//! Terms: *peer* — another miner, addressed `host:port`; *tokenizer hash* — identifies the
//! token ids, peers must match; *step* — one optimizer update on one batch.

// Tests may unwrap: a panic is how they fail.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod bench;
pub mod chain;
pub mod cli;
pub mod config;
pub mod consumer;
pub mod data;
pub mod device;
pub mod metrics;
pub mod model;
pub mod owner;
pub mod peers;
pub mod run;
pub mod shards;
pub mod training;

pub use config::MinerConfig;
pub use training::{Evaluation, Miner, PeerLink, StepReport};
