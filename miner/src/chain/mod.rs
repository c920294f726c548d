//! Everything that touches the chain: the node's JSON-RPC, the runtime's types and signing.
//! No other module of the miner names a chain type.
//!
//! - [`keys`]: the signing key (`--suri` or a private `--key-file`).
//! - [`client`]: [`ChainClient`], a WebSocket connection that reads the metagraph and storage
//!   and submits signed calls, waiting for inclusion and naming dispatch errors.
//! - [`metagraph`]: the JSON answers of `incentive_metagraph` and `incentive_emissions`.
//!
//! The incentive pallet's calls the miner makes are helpers on [`ChainClient`]:
//! [`ChainClient::register`], [`ChainClient::serve_axon`], [`ChainClient::set_weights`] (the
//! operator key's), and [`ChainClient::owner_call`] for what the owner key signs
//! (`tensor-miner owner`).

pub mod client;
pub mod commit;
pub mod keys;
pub mod metagraph;

use std::net::{IpAddr, SocketAddr};

pub use client::{dispatch_error_name, ChainClient, Included};
pub use keys::{parse_account, ss58, Signer};
pub use metagraph::{fmt_tao, Emissions, MechanismJson, Metagraph, NeuronJson, TAO};

use pallet_incentive::AxonInfo;
use tensor_runtime::RuntimeCall;

/// What a neuron's owner key signs, besides registering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnerCall {
	/// Hold this much more (base units) as stake.
	AddStake(u128),
	/// Move this much (base units) of the stake into unbonding.
	RemoveStake(u128),
	/// Leave: all stake unbonds.
	Unregister,
	/// Release the unbonded stake whose release block has come.
	WithdrawUnbonded,
	/// Offer the operator role to this account (it accepts with `accept_operator`), or take
	/// it back when it is the owner's own.
	SetOperator(sp_core::crypto::AccountId32),
}

/// The axon protocol version this miner announces.
pub const AXON_VERSION: u32 = 1;

/// What went wrong talking to the chain. None of these stops the miner: it logs them and tries
/// again (reconnecting first when [`ChainError::is_connection`]).
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
	/// No connection could be made.
	#[error(
		"cannot connect to the node at {url}: {reason}; is tensor-node running with its RPC on \
		 that port (--rpc-port)?"
	)]
	Connect {
		/// The URL tried.
		url: String,
		/// Why it failed.
		reason: String,
	},
	/// The connection dropped (or a request timed out) during `method`.
	#[error("lost the connection to the node during {method}: {reason}")]
	Disconnected {
		/// The RPC method.
		method: String,
		/// What the client reported.
		reason: String,
	},
	/// The node answered with a JSON-RPC error.
	#[error("the node answered {method} with an error: {reason}")]
	Rpc {
		/// The RPC method.
		method: String,
		/// The error object.
		reason: String,
	},
	/// The node's answer did not have the expected shape.
	#[error("cannot decode the node's answer to {method}: {reason}")]
	Decode {
		/// The RPC method.
		method: String,
		/// What did not fit.
		reason: String,
	},
	/// The transaction pool refused the call (bad nonce, fees, pool full, outdated versions).
	#[error("{call} was refused by the node's transaction pool: {reason}")]
	Rejected {
		/// The call.
		call: &'static str,
		/// The pool's message.
		reason: String,
	},
	/// The call was not included (dropped, usurped, timed out).
	#[error("{call} was not included: {reason}")]
	NotIncluded {
		/// The call.
		call: &'static str,
		/// What happened instead.
		reason: String,
	},
	/// The call was included but failed.
	#[error("{call} failed in block {block}: {name}")]
	Dispatch {
		/// The call.
		call: &'static str,
		/// The dispatch error's name (`NotRegistered`, `SettingWeightsTooFast`, …).
		name: String,
		/// The block it was in.
		block: u64,
	},
	/// The signing key could not be loaded.
	#[error("{0}")]
	Key(String),
	/// The axon address cannot be announced.
	#[error("{0}")]
	Address(String),
}

impl ChainError {
	/// Whether the connection is gone, so the miner should reconnect before trying again.
	pub fn is_connection(&self) -> bool {
		matches!(self, ChainError::Connect { .. } | ChainError::Disconnected { .. })
	}

	/// Whether the pool refused a transaction as badly signed: what a runtime upgrade looks like
	/// to a client that signs with the old `spec_version`/`transaction_version` (both are in
	/// the signed payload). The miner reconnects then, which rereads them.
	pub fn is_bad_signature(&self) -> bool {
		matches!(self, ChainError::Rejected { reason, .. } if reason.contains("bad signature"))
	}

	/// The dispatch error's name, when the call failed on chain.
	pub fn dispatch_name(&self) -> Option<&str> {
		match self {
			ChainError::Dispatch { name, .. } => Some(name),
			_ => None,
		}
	}
}

/// The on-chain form of an axon address: IPv4 is stored IPv4-mapped (`::ffff:a.b.c.d`).
pub fn axon_info(addr: SocketAddr) -> Result<AxonInfo, ChainError> {
	if addr.ip().is_unspecified() || addr.port() == 0 {
		return Err(ChainError::Address(format!(
			"{addr} cannot be dialled by peers; pass --external-addr with the public IP and port \
			 of the axon"
		)));
	}
	Ok(match addr.ip() {
		IpAddr::V4(v4) => AxonInfo::ipv4(v4.octets(), addr.port(), AXON_VERSION),
		IpAddr::V6(v6) => AxonInfo::ipv6(v6.octets(), addr.port(), AXON_VERSION),
	})
}

impl ChainClient {
	/// `Incentive::register(stake, axon, max_fee)`: registers, burning the registration fee in
	/// force if it is at most `max_fee` (the chain refuses with `FeeAboveLimit` otherwise);
	/// returns the new uid.
	pub async fn register(
		&self,
		signer: &Signer,
		stake: u128,
		max_fee: u128,
		axon: Option<SocketAddr>,
	) -> Result<(Included, Option<u16>), ChainError> {
		let axon = axon.map(axon_info).transpose()?;
		let call =
			RuntimeCall::Incentive(pallet_incentive::Call::register { stake, axon, max_fee });
		let included = self.submit(signer, call).await?;
		let uid = included.events.iter().find_map(|e| match e {
			tensor_runtime::RuntimeEvent::Incentive(
				pallet_incentive::Event::NeuronRegistered { uid, .. },
			) => Some(*uid),
			_ => None,
		});
		Ok((included, uid))
	}

	/// `Incentive::serve_axon(addr)`.
	pub async fn serve_axon(
		&self,
		signer: &Signer,
		addr: SocketAddr,
	) -> Result<Included, ChainError> {
		let axon = axon_info(addr)?;
		self.submit(signer, RuntimeCall::Incentive(pallet_incentive::Call::serve_axon { axon }))
			.await
	}

	/// `Incentive::set_weights(weights)`: `(uid, raw)` pairs, the own uid being the self weight.
	pub async fn set_weights(
		&self,
		signer: &Signer,
		weights: Vec<(u16, u16)>,
	) -> Result<Included, ChainError> {
		self.submit(signer, RuntimeCall::Incentive(pallet_incentive::Call::set_weights { weights }))
			.await
	}

	/// `Incentive::commit_weights(hash)`: see [`Self::weights_hash`].
	pub async fn commit_weights(
		&self,
		signer: &Signer,
		hash: [u8; 32],
	) -> Result<Included, ChainError> {
		self.submit(signer, RuntimeCall::Incentive(pallet_incentive::Call::commit_weights { hash }))
			.await
	}

	/// `Incentive::reveal_weights(weights, salt)`.
	pub async fn reveal_weights(
		&self,
		signer: &Signer,
		weights: Vec<(u16, u16)>,
		salt: [u8; 32],
	) -> Result<Included, ChainError> {
		let call = pallet_incentive::Call::reveal_weights { weights, salt };
		self.submit(signer, RuntimeCall::Incentive(call)).await
	}

	/// The hash `signer` commits for `weights` and `salt`: the pallet's own function, so the
	/// two cannot disagree.
	pub fn weights_hash(signer: &Signer, weights: &[(u16, u16)], salt: &[u8; 32]) -> [u8; 32] {
		pallet_incentive::Pallet::<tensor_runtime::Runtime>::weights_hash(
			&signer.account(),
			weights,
			salt,
		)
	}

	/// An owner's call: `add_stake`, `remove_stake`, `unregister`, `withdraw_unbonded` or
	/// `set_operator` (registration is [`Self::register`]).
	pub async fn owner_call(
		&self,
		signer: &Signer,
		call: OwnerCall,
	) -> Result<Included, ChainError> {
		use pallet_incentive::Call;
		let call = match call {
			OwnerCall::AddStake(amount) => Call::add_stake { amount },
			OwnerCall::RemoveStake(amount) => Call::remove_stake { amount },
			OwnerCall::Unregister => Call::unregister {},
			OwnerCall::WithdrawUnbonded => Call::withdraw_unbonded {},
			OwnerCall::SetOperator(operator) => Call::set_operator { operator },
		};
		self.submit(signer, RuntimeCall::Incentive(call)).await
	}

	/// `Incentive::accept_operator(uid, owner)`: the signer takes the operator role that neuron
	/// `uid`, owned by `owner`, offered it (the chain refuses if the uid has another owner now).
	pub async fn accept_operator(
		&self,
		signer: &Signer,
		uid: u16,
		owner: sp_core::crypto::AccountId32,
	) -> Result<Included, ChainError> {
		let call = pallet_incentive::Call::accept_operator { uid, owner };
		self.submit(signer, RuntimeCall::Incentive(call)).await
	}

	/// `Balances::transfer_keep_alive(dest, amount)` (funding miner accounts in scripts/tests).
	pub async fn transfer(
		&self,
		signer: &Signer,
		dest: &Signer,
		amount: u128,
	) -> Result<Included, ChainError> {
		let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: dest.account().into(),
			value: amount,
		});
		self.submit(signer, call).await
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_runtime::{DispatchError, ModuleError};

	#[test]
	fn incentive_errors_are_named() {
		use frame_support::traits::PalletInfoAccess;
		let index = <tensor_runtime::Incentive as PalletInfoAccess>::index() as u8;
		// `SettingWeightsTooFast` is the 12th variant (index 11).
		let e = DispatchError::Module(ModuleError { index, error: [11, 0, 0, 0], message: None });
		assert_eq!(dispatch_error_name(&e), "SettingWeightsTooFast");
		let e = DispatchError::Module(ModuleError { index, error: [0, 0, 0, 0], message: None });
		assert_eq!(dispatch_error_name(&e), "NotRegistered");
		assert_eq!(dispatch_error_name(&DispatchError::BadOrigin), "BadOrigin");
	}

	#[test]
	fn ipv4_axons_are_stored_mapped_and_unspecified_is_refused() {
		let a = axon_info("10.1.2.3:7101".parse().unwrap()).unwrap();
		assert_eq!(&a.ip[..12], &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
		assert_eq!(&a.ip[12..], &[10, 1, 2, 3]);
		assert_eq!(a.port, 7101);
		assert!(axon_info("0.0.0.0:7101".parse().unwrap()).is_err());
	}
}
