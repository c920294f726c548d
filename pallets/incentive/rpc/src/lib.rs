//! # Incentive RPC
//!
//! JSON-RPC methods that show the incentive pallet's state as plain JSON, for dashboards,
//! scripts and miners that do not want to decode SCALE:
//!
//! - `incentive_metagraph(at?, from_uid?, limit?)`: every neuron with stake, rank, emission, axon
//!   and weights, plus the totals and parameters; with `from_uid` or `limit`, a page of at most
//!   [`json::MAX_PAGE_NEURONS`] neurons and the uid to ask for next, so that no network, however
//!   large its neurons make their entries, outgrows a node's response limit;
//! - `incentive_emissions(at?)`: the pot, the payout schedule and what each neuron was paid;
//! - `incentive_neuron(uid_or_account, at?)`: one neuron, by uid, SS58 address or hex key;
//! - `incentive_registrationFee(at?)`: the registration fee in force, for a `register`'s
//!   `max_fee` (the metagraph has it too, with everything else).
//!
//! `at` is a block hash; without it the node's best block is used. Every method is answered from
//! the runtime API of `pallet-incentive-runtime-api` at that block, so the RPC computes nothing
//! of its own: it only formats (see [`json`] for the conventions: `snake_case`, balances as
//! decimal strings, ranks both as numbers and exactly). The metagraph and emissions answers of
//! the last few blocks are kept ([`cache`]), since the state at a block hash never changes.
//! Errors have distinct codes ([`error::codes`]). `docs/rpc.md` documents each method with examples.
//!
//! The node wires it in its `rpc.rs`:
//! `module.merge(Incentive::new(client.clone()).into_rpc())?`.

use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use sp_api::{ApiError, ApiExt, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;
use sp_runtime::traits::{Block as BlockT, UniqueSaturatedInto};
use std::{marker::PhantomData, sync::Arc};

pub mod cache;
pub mod error;
pub mod json;
pub mod query;

#[cfg(test)]
mod tests;

pub use cache::AnswerCache;
pub use error::Error;
pub use json::{EmissionsJson, MetagraphJson, NeuronResponse, RegistrationFeeJson};
pub use pallet_incentive_runtime_api::IncentiveApi as IncentiveRuntimeApi;
pub use query::NeuronQuery;

/// The chain's account id, which the RPC shows as SS58.
pub type AccountId = sp_core::crypto::AccountId32;
/// The chain's balance type (base units).
pub type Balance = u128;
/// The chain's block number type.
pub type BlockNumber = u32;

/// The incentive RPC methods. `BlockHash` is the chain's block hash type.
#[rpc(client, server, namespace = "incentive")]
pub trait IncentiveApi<BlockHash> {
	/// `incentive_metagraph`: every neuron, the totals and the parameters at block `at` (default:
	/// the best block). With `from_uid` or `limit`, only the page of at most `limit` neurons
	/// (default and most [`json::MAX_PAGE_NEURONS`]) from uid `from_uid` (default 0) on, and
	/// `next_uid` to continue from; ask for the following pages at the first page's block.
	#[method(name = "metagraph", blocking)]
	fn metagraph(
		&self,
		at: Option<BlockHash>,
		from_uid: Option<u16>,
		limit: Option<u32>,
	) -> RpcResult<MetagraphJson>;

	/// `incentive_emissions`: the pot, the next payout block and each neuron's last and total
	/// emission at block `at` (default: the best block).
	#[method(name = "emissions", blocking)]
	fn emissions(&self, at: Option<BlockHash>) -> RpcResult<EmissionsJson>;

	/// `incentive_neuron`: one neuron at block `at` (default: the best block). `uid_or_account`
	/// is a uid (`"3"`), an SS58 address or `0x` and the 32-byte public key in hex.
	#[method(name = "neuron", blocking)]
	fn neuron(&self, uid_or_account: String, at: Option<BlockHash>) -> RpcResult<NeuronResponse>;

	/// `incentive_registrationFee`: the registration fee in force at block `at` (default: the
	/// best block). A `register` in the next block burns at most this.
	#[method(name = "registrationFee", blocking)]
	fn registration_fee(&self, at: Option<BlockHash>) -> RpcResult<RegistrationFeeJson>;
}

/// How many blocks' answers each of `incentive_metagraph` and `incentive_emissions` keeps: the
/// best block and a few before it, for clients that lag a block or two behind.
const CACHED_BLOCKS: usize = 4;

/// The server side of [`IncentiveApiServer`]: answers from the client's runtime API.
pub struct Incentive<C, Block: BlockT> {
	client: Arc<C>,
	metagraphs: AnswerCache<Block::Hash, MetagraphJson>,
	emissions: AnswerCache<Block::Hash, EmissionsJson>,
	_block: PhantomData<fn() -> Block>,
}

impl<C, Block: BlockT> Incentive<C, Block> {
	/// An RPC handler that reads through `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self {
			client,
			metagraphs: AnswerCache::new(CACHED_BLOCKS),
			emissions: AnswerCache::new(CACHED_BLOCKS),
			_block: PhantomData,
		}
	}
}

/// The incentive runtime API with the chain's types, as a trait object for version queries.
type RuntimeApiOf<Block> = dyn IncentiveRuntimeApi<Block, AccountId, Balance, BlockNumber>;

impl<C, Block> Incentive<C, Block>
where
	Block: BlockT,
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: IncentiveRuntimeApi<Block, AccountId, Balance, BlockNumber>,
{
	/// The block to answer at (`at`, or the best block), checked to exist and to have the API.
	fn resolve(&self, at: Option<Block::Hash>) -> Result<(Block::Hash, json::BlockRef), Error> {
		let hash = at.unwrap_or_else(|| self.client.info().best_hash);
		let hex = || sp_core::bytes::to_hex(hash.as_ref(), false);
		let number = self
			.client
			.number(hash)
			.map_err(|cause| Error::UnknownBlock { hash: hex(), cause: Some(cause.to_string()) })?
			.ok_or_else(|| Error::UnknownBlock { hash: hex(), cause: None })?;
		let has_api = self
			.client
			.runtime_api()
			.has_api::<RuntimeApiOf<Block>>(hash)
			.map_err(|cause| runtime_error("has_api", cause))?;
		if !has_api {
			return Err(Error::ApiUnavailable { hash: hex() });
		}
		let number: u64 = UniqueSaturatedInto::<u64>::unique_saturated_into(number);
		Ok((hash, json::block_ref(number, &hash)))
	}
}

/// A failed runtime API call to `method`.
fn runtime_error(method: &'static str, cause: ApiError) -> Error {
	Error::Runtime { method, cause: cause.to_string() }
}

impl<C, Block> IncentiveApiServer<Block::Hash> for Incentive<C, Block>
where
	Block: BlockT,
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: IncentiveRuntimeApi<Block, AccountId, Balance, BlockNumber>,
{
	fn metagraph(
		&self,
		at: Option<Block::Hash>,
		from_uid: Option<u16>,
		limit: Option<u32>,
	) -> RpcResult<MetagraphJson> {
		let (hash, block) = self.resolve(at)?;
		let answer = self.metagraphs.get_or_build(hash, || {
			let metagraph = self
				.client
				.runtime_api()
				.metagraph(hash)
				.map_err(|cause| runtime_error("metagraph", cause))?;
			Ok::<_, Error>(json::metagraph_json(block, metagraph))
		})?;
		if from_uid.is_none() && limit.is_none() {
			return Ok(MetagraphJson::clone(&answer));
		}
		let limit = limit.unwrap_or(json::MAX_PAGE_NEURONS);
		Ok(json::metagraph_page(&answer, from_uid.unwrap_or(0), limit)?)
	}

	fn emissions(&self, at: Option<Block::Hash>) -> RpcResult<EmissionsJson> {
		let (hash, block) = self.resolve(at)?;
		let answer = self.emissions.get_or_build(hash, || {
			let emissions = self
				.client
				.runtime_api()
				.emissions(hash)
				.map_err(|cause| runtime_error("emissions", cause))?;
			Ok::<_, Error>(json::emissions_json(block, emissions))
		})?;
		Ok(EmissionsJson::clone(&answer))
	}

	fn neuron(&self, uid_or_account: String, at: Option<Block::Hash>) -> RpcResult<NeuronResponse> {
		let query: NeuronQuery = uid_or_account.parse().map_err(Error::BadAccount)?;
		let (hash, block) = self.resolve(at)?;
		let api = self.client.runtime_api();
		let view = match query {
			NeuronQuery::Uid(uid) => api
				.neuron(hash, uid)
				.map_err(|cause| runtime_error("neuron", cause))?
				.ok_or(Error::UnknownUid(uid))?,
			NeuronQuery::Account(account) => {
				let address = json::ss58(&account);
				api.neuron_by_account(hash, account)
					.map_err(|cause| runtime_error("neuron_by_account", cause))?
					.ok_or(Error::UnknownAccount(address))?
			}
		};
		Ok(NeuronResponse { block, neuron: json::neuron_json(view) })
	}

	fn registration_fee(&self, at: Option<Block::Hash>) -> RpcResult<RegistrationFeeJson> {
		let (hash, block) = self.resolve(at)?;
		let fee = self
			.client
			.runtime_api()
			.registration_fee(hash)
			.map_err(|cause| runtime_error("registration_fee", cause))?;
		Ok(json::registration_fee_json(block, fee))
	}
}
