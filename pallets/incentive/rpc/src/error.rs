//! The RPC's errors: each kind has its own JSON-RPC error code (see [`codes`]), a message that
//! says what was wrong, and where useful a `data` string with the underlying cause.

use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};

use crate::query::QueryError;

/// The JSON-RPC error codes of the incentive RPC, in the server-defined range a client can
/// switch on.
pub mod codes {
	/// The block hash is not known to the node (`at` names no block it has).
	pub const UNKNOWN_BLOCK: i32 = 8000;
	/// The runtime at that block has no `IncentiveApi` (a runtime from before the API).
	pub const API_UNAVAILABLE: i32 = 8001;
	/// The runtime API call failed (e.g. the block's state was pruned, or the block's runtime
	/// predates the method or the layout of its answer, as `registration_fee` and the
	/// metagraph's fee and ranked stake fields of spec 103 are); `data` says why.
	pub const RUNTIME_ERROR: i32 = 8002;
	/// `uid_or_account` is not a uid, an SS58 address or a `0x` public key.
	pub const BAD_ACCOUNT: i32 = 8010;
	/// No neuron is registered at the uid.
	pub const UNKNOWN_UID: i32 = 8011;
	/// The account has no neuron.
	pub const UNKNOWN_ACCOUNT: i32 = 8012;
	/// A metagraph page's `limit` is 0 or above the most a page holds.
	pub const BAD_PAGE_SIZE: i32 = 8013;
}

/// An error of an incentive RPC method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
	/// The block `hash` is unknown; `cause` is the client's error, if it gave one.
	UnknownBlock {
		/// The hash asked for, `0x` hex.
		hash: String,
		/// The client's error, if looking the block up failed rather than finding nothing.
		cause: Option<String>,
	},
	/// The runtime at block `hash` does not provide `IncentiveApi`.
	ApiUnavailable {
		/// The block, `0x` hex.
		hash: String,
	},
	/// Calling the runtime API `method` failed with `cause`.
	Runtime {
		/// The runtime API method.
		method: &'static str,
		/// What the client said.
		cause: String,
	},
	/// The `uid_or_account` parameter could not be read.
	BadAccount(QueryError),
	/// No neuron at this uid.
	UnknownUid(u16),
	/// No neuron for this account (SS58).
	UnknownAccount(String),
	/// A metagraph page of `limit` neurons was asked for; pages hold `1..=max`.
	BadPageSize {
		/// The limit asked for.
		limit: u32,
		/// The most a page holds.
		max: u32,
	},
}

impl Error {
	/// The JSON-RPC error code, one of [`codes`].
	pub fn code(&self) -> i32 {
		match self {
			Self::UnknownBlock { .. } => codes::UNKNOWN_BLOCK,
			Self::ApiUnavailable { .. } => codes::API_UNAVAILABLE,
			Self::Runtime { .. } => codes::RUNTIME_ERROR,
			Self::BadAccount(_) => codes::BAD_ACCOUNT,
			Self::UnknownUid(_) => codes::UNKNOWN_UID,
			Self::UnknownAccount(_) => codes::UNKNOWN_ACCOUNT,
			Self::BadPageSize { .. } => codes::BAD_PAGE_SIZE,
		}
	}

	/// The error message.
	pub fn message(&self) -> String {
		match self {
			Self::UnknownBlock { hash, .. } => format!("unknown block {hash}"),
			Self::ApiUnavailable { hash } => {
				format!("the runtime at block {hash} has no IncentiveApi")
			}
			Self::Runtime { method, .. } => {
				format!("runtime API call IncentiveApi_{method} failed")
			}
			Self::BadAccount(error) => error.to_string(),
			Self::UnknownUid(uid) => format!("no neuron is registered at uid {uid}"),
			Self::UnknownAccount(account) => format!("account {account} has no neuron"),
			Self::BadPageSize { limit, max } => {
				format!("a metagraph page holds 1 to {max} neurons, not {limit}")
			}
		}
	}

	/// Extra detail for the `data` field: the underlying cause, where there is one.
	pub fn data(&self) -> Option<String> {
		match self {
			Self::UnknownBlock { cause, .. } => cause.clone(),
			Self::Runtime { cause, .. } => Some(cause.clone()),
			_ => None,
		}
	}
}

impl From<Error> for ErrorObjectOwned {
	fn from(error: Error) -> Self {
		ErrorObject::owned(error.code(), error.message(), error.data())
	}
}
