//! Prometheus metrics of a miner, served at `http://<host>:<--metrics-port>/metrics` when the
//! flag is given (off by default), with the ecosystem's exporter (`substrate-prometheus-endpoint`,
//! the one `tensor-node` uses).
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `tensor_miner_steps_total` | counter | |
//! | `tensor_miner_skipped_steps_total` | counter | |
//! | `tensor_miner_train_loss` | gauge (nats/byte, latest step) | |
//! | `tensor_miner_heldout_loss` | gauge (latest evaluation) | `with` = `peers` / `alone` |
//! | `tensor_miner_peer_latency_seconds` | histogram | `peer` (address) |
//! | `tensor_miner_peer_wait_seconds_total` | counter (seconds) | |
//! | `tensor_miner_peer_errors_total` | counter | `peer` |
//! | `tensor_miner_peer_score` | gauge | `peer` |
//! | `tensor_miner_axon_requests_total` | counter | `outcome` |
//! | `tensor_miner_chain_submissions_total` | counter | `call`, `outcome` |
//!
//! The metrics are process-wide: [`init`] once, then every part records through [`get`], which
//! is `None` (recording nothing) when metrics are off.

use std::net::SocketAddr;
use std::sync::OnceLock;

use substrate_prometheus_endpoint::{
	exponential_buckets, register, Counter, CounterVec, Gauge, GaugeVec, HistogramOpts,
	HistogramVec, Opts, PrometheusError, Registry, F64, U64,
};

/// Every metric of the miner.
pub struct Metrics {
	/// Optimizer steps taken.
	pub steps: Counter<U64>,
	/// Steps skipped for a non-finite loss.
	pub skipped_steps: Counter<U64>,
	/// Own training loss of the latest step.
	pub train_loss: Gauge<F64>,
	/// Held-out loss of the latest evaluation, `with` = `peers` or `alone`.
	pub heldout_loss: GaugeVec<F64>,
	/// Time of each peer query, by peer.
	pub peer_latency: HistogramVec,
	/// Time training steps waited for their peers after their own work.
	pub peer_wait: Counter<F64>,
	/// Peer queries that gave nothing usable, by peer.
	pub peer_errors: CounterVec<U64>,
	/// Each peer's score after the latest evaluation.
	pub peer_score: GaugeVec<F64>,
	/// Axon requests by outcome (`ok`, `busy`, `unauthorized`, `invalid`, `timeout`,
	/// `not_ready`, `failed`).
	pub axon_requests: CounterVec<U64>,
	/// Chain submissions by call and outcome (`ok` or the error's name).
	pub chain_submissions: CounterVec<U64>,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

impl Metrics {
	fn new(registry: &Registry) -> Result<Self, PrometheusError> {
		let counter = |name: &str, help: &str| register(Counter::new(name, help)?, registry);
		let vec = |name: &str, help: &str, labels: &[&str]| {
			register(CounterVec::new(Opts::new(name, help), labels)?, registry)
		};
		let gauges = |name: &str, help: &str, labels: &[&str]| {
			register(GaugeVec::new(Opts::new(name, help), labels)?, registry)
		};
		let latency = HistogramOpts::new(
			"tensor_miner_peer_latency_seconds",
			"Time of each axon_forward query to a peer",
		)
		.buckets(exponential_buckets(0.001, 2.0, 14)?);
		Ok(Self {
			steps: counter("tensor_miner_steps_total", "Optimizer steps taken")?,
			skipped_steps: counter(
				"tensor_miner_skipped_steps_total",
				"Steps skipped because peers made the loss non-finite",
			)?,
			train_loss: register(
				Gauge::new("tensor_miner_train_loss", "Own training loss of the latest step")?,
				registry,
			)?,
			heldout_loss: gauges(
				"tensor_miner_heldout_loss",
				"Held-out loss of the latest evaluation, with peers or alone",
				&["with"],
			)?,
			peer_latency: register(HistogramVec::new(latency, &["peer"])?, registry)?,
			peer_wait: register(
				Counter::new(
					"tensor_miner_peer_wait_seconds_total",
					"Time training steps waited for their peers after their own work",
				)?,
				registry,
			)?,
			peer_errors: vec(
				"tensor_miner_peer_errors_total",
				"Peer queries that gave nothing usable",
				&["peer"],
			)?,
			peer_score: gauges(
				"tensor_miner_peer_score",
				"Peer score (nats per byte saved, smoothed) after the latest evaluation",
				&["peer"],
			)?,
			axon_requests: vec(
				"tensor_miner_axon_requests_total",
				"Axon requests by outcome",
				&["outcome"],
			)?,
			chain_submissions: vec(
				"tensor_miner_chain_submissions_total",
				"Extrinsics submitted, by call and outcome",
				&["call", "outcome"],
			)?,
		})
	}
}

/// The metrics, when [`init`] ran.
pub fn get() -> Option<&'static Metrics> {
	METRICS.get()
}

/// Registers the metrics and serves them on `addr` from `runtime` (for the life of the
/// process). Calling it again is an error.
pub fn init(addr: SocketAddr, runtime: &tokio::runtime::Handle) -> anyhow::Result<()> {
	let registry = Registry::new();
	let metrics = Metrics::new(&registry)?;
	if METRICS.set(metrics).is_err() {
		anyhow::bail!("metrics are already being served");
	}
	// Bind here, so that a port in use is an error now rather than a log line later.
	let std_listener = std::net::TcpListener::bind(addr)
		.map_err(|e| anyhow::anyhow!("cannot serve metrics on {addr} (port in use?): {e}"))?;
	drop(std_listener);
	runtime.spawn(async move {
		if let Err(e) = substrate_prometheus_endpoint::init_prometheus(addr, registry).await {
			log::error!("metrics server on {addr} stopped: {e}");
		}
	});
	log::info!("metrics on http://{addr}/metrics");
	Ok(())
}

/// Counts an axon request's outcome from its JSON-RPC error code (`None`: answered).
pub fn axon_outcome(code: Option<i32>) {
	let Some(m) = get() else { return };
	let outcome = match code {
		None => "ok",
		Some(crate::peers::axon::BUSY) => "busy",
		Some(crate::peers::axon::UNAUTHORIZED) => "unauthorized",
		Some(crate::peers::axon::INVALID_PARAMS) => "invalid",
		Some(crate::peers::axon::TIMEOUT) => "timeout",
		Some(crate::peers::axon::NOT_READY) => "not_ready",
		Some(_) => "failed",
	};
	m.axon_requests.with_label_values(&[outcome]).inc();
}

/// Counts a chain submission of `call` with its outcome (`ok` or the error's name).
pub fn chain_outcome(call: &str, outcome: &str) {
	if let Some(m) = get() {
		m.chain_submissions.with_label_values(&[call, outcome]).inc();
	}
}
