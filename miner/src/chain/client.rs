//! [`ChainClient`]: one WebSocket connection to a node's JSON-RPC. It reads the metagraph and
//! storage, signs calls with the runtime's own signing code and submits them, waiting until they
//! are in a block and reporting how they were dispatched.

use std::time::Duration;

use codec::Decode;
use frame_support::traits::{GetCallMetadata, PalletInfoAccess};
use jsonrpsee::core::client::{ClientT, Subscription, SubscriptionClientT};
use jsonrpsee::core::ClientError;
use jsonrpsee::rpc_params;
use jsonrpsee::ws_client::{WsClient, WsClientBuilder};
use serde_json::{json, Value};
use sp_core::H256;
use sp_runtime::DispatchError;
use tensor_runtime::signing::{sign_call, SigningContext};
use tensor_runtime::{Balance, Nonce, Runtime, RuntimeCall, RuntimeEvent};

use super::keys::Signer;
use super::metagraph::{Emissions, Metagraph};
use super::ChainError;

/// How long a submitted call may take to reach a block before the miner stops waiting (it may
/// still be included later; the next call reads the nonce afresh).
pub const INCLUSION_TIMEOUT: Duration = Duration::from_secs(60);

/// Limit of one RPC request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Neurons per `incentive_metagraph` page: the most a node serves in one (about 6 MB at the
/// runtime's largest neuron, under every node's default response limit).
pub const METAGRAPH_PAGE: u32 = 512;
/// The smallest page asked for when a node refuses larger ones.
pub const MIN_METAGRAPH_PAGE: u32 = 16;
const METAGRAPH: &str = "incentive_metagraph";

/// A call that made it into a block.
#[derive(Clone, Debug)]
pub struct Included {
	/// Hash of the block.
	pub block_hash: H256,
	/// Number of the block.
	pub block_number: u64,
	/// Index of the extrinsic in the block.
	pub index: u32,
	/// The events the extrinsic emitted (`ExtrinsicSuccess` among them).
	pub events: Vec<RuntimeEvent>,
}

/// Chain facts read once per connection: they change only with a runtime upgrade, which the
/// node reports by rejecting the next transaction as badly signed
/// ([`ChainError::is_bad_signature`]; the miner then reconnects and rereads them).
#[derive(Clone, Copy, Debug)]
struct ChainFacts {
	genesis_hash: H256,
	spec_version: u32,
	transaction_version: u32,
}

/// A connection to one node.
pub struct ChainClient {
	client: WsClient,
	url: String,
	facts: ChainFacts,
}

/// Whether a jsonrpsee error means the connection is gone (reconnect) rather than an answer.
fn is_connection_error(e: &ClientError) -> bool {
	!matches!(e, ClientError::Call(_) | ClientError::ParseError(_))
}

fn rpc_error(method: &str, e: ClientError) -> ChainError {
	if is_connection_error(&e) {
		ChainError::Disconnected { method: method.into(), reason: e.to_string() }
	} else {
		ChainError::Rpc { method: method.into(), reason: e.to_string() }
	}
}

fn decode_error(method: &str, reason: impl std::fmt::Display) -> ChainError {
	ChainError::Decode { method: method.into(), reason: reason.to_string() }
}

/// The storage key of a plain storage value `pallet::item`
/// (`twox128(pallet) ++ twox128(item)`).
pub fn storage_value_key(pallet: &str, item: &str) -> Vec<u8> {
	frame_support::storage::storage_prefix(pallet.as_bytes(), item.as_bytes()).to_vec()
}

/// The name of a dispatch error: the pallet error's variant (`NotRegistered`,
/// `SettingWeightsTooFast`, …) for the incentive and balances pallets, otherwise its debug form
/// (`BadOrigin`, `Token(FundsUnavailable)`, `Module { index, error }`).
pub fn dispatch_error_name(error: &DispatchError) -> String {
	if let DispatchError::Module(m) = error {
		let bytes = &m.error[..];
		if usize::from(m.index) == <tensor_runtime::Incentive as PalletInfoAccess>::index() {
			if let Ok(e) = pallet_incentive::Error::<Runtime>::decode(&mut &bytes[..]) {
				return <&'static str>::from(e).to_string();
			}
		}
		if usize::from(m.index) == <tensor_runtime::Balances as PalletInfoAccess>::index() {
			if let Ok(e) = pallet_balances::Error::<Runtime>::decode(&mut &bytes[..]) {
				return format!("Balances::{}", <&'static str>::from(e));
			}
		}
		return format!("Module {{ index: {}, error: {:?} }}", m.index, m.error);
	}
	format!("{error:?}")
}

fn parse_hex_number(v: &Value) -> Option<u64> {
	u64::from_str_radix(v.as_str()?.trim_start_matches("0x"), 16).ok()
}

impl ChainClient {
	/// Connects to `url` (`ws://host:port`) and reads the genesis hash and runtime versions.
	pub async fn connect(url: &str) -> Result<Self, ChainError> {
		let client = WsClientBuilder::default()
			.connection_timeout(Duration::from_secs(10))
			.request_timeout(REQUEST_TIMEOUT)
			// A node from before metagraph paging answers with the whole metagraph: at most
			// 4,096 neurons of about 12 kB at the runtime's limits.
			.max_response_size(64 * 1024 * 1024)
			.build(url)
			.await
			.map_err(|e| ChainError::Connect { url: url.into(), reason: e.to_string() })?;
		let genesis_hash: H256 = client
			.request("chain_getBlockHash", rpc_params![0])
			.await
			.map_err(|e| rpc_error("chain_getBlockHash", e))?;
		let mut this = Self {
			client,
			url: url.into(),
			facts: ChainFacts { genesis_hash, spec_version: 0, transaction_version: 0 },
		};
		this.refresh_versions().await?;
		Ok(this)
	}

	/// Rereads `specVersion` and `transactionVersion` (after a runtime upgrade).
	pub async fn refresh_versions(&mut self) -> Result<(), ChainError> {
		let m = "state_getRuntimeVersion";
		let version: Value =
			self.client.request(m, rpc_params![]).await.map_err(|e| rpc_error(m, e))?;
		let field = |name: &str| -> Result<u32, ChainError> {
			version
				.get(name)
				.and_then(Value::as_u64)
				.and_then(|v| u32::try_from(v).ok())
				.ok_or_else(|| decode_error(m, format!("no {name} in {version}")))
		};
		self.facts.spec_version = field("specVersion")?;
		self.facts.transaction_version = field("transactionVersion")?;
		Ok(())
	}

	/// The URL this client is connected to.
	pub fn url(&self) -> &str {
		&self.url
	}

	/// Whether the connection is still up.
	pub fn is_connected(&self) -> bool {
		self.client.is_connected()
	}

	/// The genesis hash.
	pub fn genesis_hash(&self) -> H256 {
		self.facts.genesis_hash
	}

	/// Any JSON-RPC request (for methods this client has no helper for).
	pub async fn request<R: serde::de::DeserializeOwned>(
		&self,
		method: &str,
		params: Vec<Value>,
	) -> Result<R, ChainError> {
		let mut p = jsonrpsee::core::params::ArrayParams::new();
		for v in params {
			p.insert(v).map_err(|e| decode_error(method, e))?;
		}
		self.client.request(method, p).await.map_err(|e| rpc_error(method, e))
	}

	/// `incentive_metagraph` at the best block, read in pages (see [`Self::metagraph_paged`]).
	pub async fn metagraph(&self) -> Result<Metagraph, ChainError> {
		self.metagraph_paged(None).await
	}

	/// `incentive_metagraph` at block `at`, read in pages.
	pub async fn metagraph_at(&self, at: H256) -> Result<Metagraph, ChainError> {
		self.metagraph_paged(Some(at)).await
	}

	/// The whole metagraph at `at` (default: the best block), [`METAGRAPH_PAGE`] neurons a
	/// request, every page at the first page's block: however large the network's neurons
	/// make their entries, no answer outgrows the node's response limit, so no neuron can stop
	/// the miners from reading the network. Each page is checked ([`Metagraph::append_page`]):
	/// a node that answers out of order, at another block or with no progress gets a clear
	/// error, not a loop or a metagraph with a neuron twice. A node from before paging answers
	/// the first request with every neuron and no `next_uid`, and that is the whole metagraph.
	pub async fn metagraph_paged(&self, at: Option<H256>) -> Result<Metagraph, ChainError> {
		let mut limit = METAGRAPH_PAGE;
		let mut metagraph = self.metagraph_page(json!(at), 0, &mut limit).await?;
		let checked = |r: Result<(), String>| r.map_err(|e| decode_error(METAGRAPH, e));
		checked(metagraph.check_page(0, None, limit as usize))?;
		let block = json!(metagraph.block.hash);
		while let Some(from) = metagraph.next_uid.take() {
			let page = self.metagraph_page(block.clone(), from, &mut limit).await?;
			checked(metagraph.append_page(page, from, limit as usize))?;
		}
		Ok(metagraph)
	}

	/// The metagraph page from uid `from` of at most `limit` neurons at `at`. A node that
	/// refuses it (one whose `--rpc-max-response-size` is below a page's size) is asked again
	/// for half as many, down to [`MIN_METAGRAPH_PAGE`]; `limit` keeps the size that worked.
	async fn metagraph_page(
		&self,
		at: Value,
		from: u16,
		limit: &mut u32,
	) -> Result<Metagraph, ChainError> {
		loop {
			let params = vec![at.clone(), json!(from), json!(*limit)];
			match self.request(METAGRAPH, params).await {
				Err(ChainError::Rpc { reason, .. }) if *limit > MIN_METAGRAPH_PAGE => {
					*limit /= 2;
					log::warn!(
						"{METAGRAPH} from uid {from} refused ({reason}); asking for {limit} \
						 neurons a page"
					);
				}
				answer => return answer,
			}
		}
	}

	/// `incentive_emissions` at the best block (`at: None`) or at a block.
	pub async fn emissions(&self, at: Option<H256>) -> Result<Emissions, ChainError> {
		self.request("incentive_emissions", vec![serde_json::json!(at)]).await
	}

	/// Number of the best block.
	pub async fn best_number(&self) -> Result<u64, ChainError> {
		let header: Value = self.request("chain_getHeader", vec![]).await?;
		parse_hex_number(&header["number"])
			.ok_or_else(|| decode_error("chain_getHeader", format!("no number in {header}")))
	}

	/// Hash of block `number`, if the node has it.
	pub async fn block_hash(&self, number: u64) -> Result<Option<H256>, ChainError> {
		self.request("chain_getBlockHash", vec![serde_json::json!(number)]).await
	}

	/// Raw storage at `key` at block `at` (best block when `None`).
	pub async fn storage(
		&self,
		key: &[u8],
		at: Option<H256>,
	) -> Result<Option<Vec<u8>>, ChainError> {
		let m = "state_getStorage";
		let hex = sp_core::bytes::to_hex(key, false);
		let raw: Option<String> = self.request(m, vec![hex.into(), serde_json::json!(at)]).await?;
		raw.map(|r| sp_core::bytes::from_hex(&r).map_err(|e| decode_error(m, e))).transpose()
	}

	/// `Balances::TotalIssuance` at block `at` (best block when `None`).
	pub async fn total_issuance(&self, at: Option<H256>) -> Result<Balance, ChainError> {
		let key = storage_value_key("Balances", "TotalIssuance");
		match self.storage(&key, at).await? {
			Some(bytes) => Balance::decode(&mut &bytes[..])
				.map_err(|e| decode_error("state_getStorage(Balances::TotalIssuance)", e)),
			None => Ok(0),
		}
	}

	/// Every event of block `at`, with the phase it happened in.
	pub async fn events(
		&self,
		at: H256,
	) -> Result<Vec<frame_system::EventRecord<RuntimeEvent, H256>>, ChainError> {
		let key = storage_value_key("System", "Events");
		let Some(bytes) = self.storage(&key, Some(at)).await? else { return Ok(Vec::new()) };
		Vec::<frame_system::EventRecord<RuntimeEvent, H256>>::decode(&mut &bytes[..]).map_err(|e| {
			decode_error(
				"state_getStorage(System::Events)",
				format!("{e} (is the miner built for this runtime?)"),
			)
		})
	}

	/// The signing context for `signer` now: its next nonce (counting its transactions in the
	/// pool) and this chain's genesis and versions.
	pub async fn signing_context(&self, signer: &Signer) -> Result<SigningContext, ChainError> {
		let nonce: Nonce =
			self.request("system_accountNextIndex", vec![signer.ss58().into()]).await?;
		Ok(SigningContext {
			genesis_hash: self.facts.genesis_hash,
			spec_version: self.facts.spec_version,
			transaction_version: self.facts.transaction_version,
			nonce,
			tip: 0,
		})
	}

	/// Signs `call` as `signer`, submits it and waits (at most [`INCLUSION_TIMEOUT`]) until it is
	/// in a block. A call that was included but failed is a [`ChainError::Dispatch`] carrying the
	/// error's name.
	pub async fn submit(&self, signer: &Signer, call: RuntimeCall) -> Result<Included, ChainError> {
		let name = call.get_call_metadata().function_name;
		let ctx = self.signing_context(signer).await?;
		let xt = sign_call(call, signer.pair(), ctx);
		let xt_hex = sp_core::bytes::to_hex(&xt, false);
		let m = "author_submitAndWatchExtrinsic";
		let sub: Subscription<Value> = self
			.client
			.subscribe(m, rpc_params![xt_hex.clone()], "author_unwatchExtrinsic")
			.await
			.map_err(|e| match rpc_error(m, e) {
				// The pool's verdict (bad nonce, cannot pay fees, pool full, …) is in the message.
				ChainError::Rpc { reason, .. } => ChainError::Rejected { call: name, reason },
				other => other,
			})?;
		let block_hash = tokio::time::timeout(INCLUSION_TIMEOUT, wait_in_block(sub, name))
			.await
			.map_err(|_| ChainError::NotIncluded {
			call: name,
			reason: format!(
				"not in a block within {INCLUSION_TIMEOUT:?} (is the node producing blocks?)"
			),
		})??;
		self.outcome(name, &xt_hex, block_hash).await
	}

	/// Finds the extrinsic `xt_hex` in block `block_hash` and how it was dispatched.
	async fn outcome(
		&self,
		name: &'static str,
		xt_hex: &str,
		block_hash: H256,
	) -> Result<Included, ChainError> {
		let m = "chain_getBlock";
		let block: Value = self.request(m, vec![serde_json::json!(block_hash)]).await?;
		let number = parse_hex_number(&block["block"]["header"]["number"])
			.ok_or_else(|| decode_error(m, "no block number"))?;
		let index = block["block"]["extrinsics"]
			.as_array()
			.and_then(|xts| xts.iter().position(|x| x.as_str() == Some(xt_hex)))
			.and_then(|i| u32::try_from(i).ok())
			.ok_or_else(|| decode_error(m, format!("{name} is not in block {block_hash:?}")))?;
		let mut events = Vec::new();
		for record in self.events(block_hash).await? {
			if record.phase != frame_system::Phase::ApplyExtrinsic(index) {
				continue;
			}
			if let RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
				dispatch_error,
				..
			}) = &record.event
			{
				return Err(ChainError::Dispatch {
					call: name,
					name: dispatch_error_name(dispatch_error),
					block: number,
				});
			}
			events.push(record.event);
		}
		Ok(Included { block_hash, block_number: number, index, events })
	}

	/// Seals a block on a node started with `--sealing manual` (tests and demos).
	pub async fn create_block(&self) -> Result<(), ChainError> {
		let _: Value =
			self.request("engine_createBlock", vec![true.into(), true.into(), Value::Null]).await?;
		Ok(())
	}
}

/// Follows a `author_submitAndWatchExtrinsic` subscription until the block the call is in.
async fn wait_in_block(
	mut sub: Subscription<Value>,
	name: &'static str,
) -> Result<H256, ChainError> {
	loop {
		let status = match sub.next().await {
			Some(Ok(status)) => status,
			Some(Err(e)) => return Err(decode_error("author_submitAndWatchExtrinsic", e)),
			None => {
				return Err(ChainError::Disconnected {
					method: "author_submitAndWatchExtrinsic".into(),
					reason: format!("the node closed the subscription of {name}"),
				})
			}
		};
		if let Some(hash) = status.get("inBlock").or_else(|| status.get("finalized")) {
			return serde_json::from_value(hash.clone())
				.map_err(|e| decode_error("author_submitAndWatchExtrinsic", e));
		}
		// Terminal states other than inclusion: "invalid", "dropped", {"usurped": hash}.
		let terminal = match &status {
			Value::String(s) if s == "invalid" || s == "dropped" => Some(s.clone()),
			Value::Object(o) if o.contains_key("usurped") => Some("usurped".into()),
			Value::Object(o) if o.contains_key("finalityTimeout") => {
				Some("finality timeout".into())
			}
			_ => None,
		};
		if let Some(state) = terminal {
			return Err(ChainError::NotIncluded {
				call: name,
				reason: format!("the pool reported it {state}"),
			});
		}
	}
}
