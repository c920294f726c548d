//! What the node's `benchmark block|extrinsic|overhead|storage|machine` subcommands need from
//! this chain: extrinsics to fill blocks with and the inherents every block carries.
//!
//! `overhead` builds its own `system.remark` extrinsics from the runtime's metadata (the
//! builder frame-benchmarking-cli ships); `extrinsic` also measures a `transfer_keep_alive`,
//! signed here with the runtime's own signing code, as the miner signs.

use std::sync::Arc;

use frame_benchmarking_cli::ExtrinsicBuilder;
use sc_cli::Result;
use sp_api::{Core, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;
use sp_core::sr25519;
use sp_inherents::{InherentData, InherentDataProvider};
use sp_keyring::Sr25519Keyring;
use sp_runtime::OpaqueExtrinsic;
use tensor_runtime::{opaque::Block, signing, BalancesCall, RuntimeCall, EXISTENTIAL_DEPOSIT};

/// Builds `balances.transfer_keep_alive` of the existential deposit from //Alice to //Bob.
pub struct TransferKeepAliveBuilder<C> {
	client: Arc<C>,
	alice: sr25519::Pair,
	bob: sp_runtime::AccountId32,
}

impl<C> TransferKeepAliveBuilder<C> {
	/// A builder signing with the dev key //Alice against `client`'s best block.
	pub fn new(client: Arc<C>) -> Self {
		Self {
			client,
			alice: Sr25519Keyring::Alice.pair(),
			bob: Sr25519Keyring::Bob.to_account_id(),
		}
	}
}

impl<C> ExtrinsicBuilder for TransferKeepAliveBuilder<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync,
	C::Api: Core<Block>,
{
	fn pallet(&self) -> &str {
		"balances"
	}

	fn extrinsic(&self) -> &str {
		"transfer_keep_alive"
	}

	fn build(&self, nonce: u32) -> std::result::Result<OpaqueExtrinsic, &'static str> {
		let info = self.client.info();
		let version = self
			.client
			.runtime_api()
			.version(info.best_hash)
			.map_err(|_| "cannot read the runtime version")?;
		let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
			dest: self.bob.clone().into(),
			value: EXISTENTIAL_DEPOSIT,
		});
		let ctx = signing::SigningContext {
			genesis_hash: info.genesis_hash,
			spec_version: version.spec_version,
			transaction_version: version.transaction_version,
			nonce,
			tip: 0,
		};
		let encoded = signing::sign_call(call, &self.alice, ctx);
		OpaqueExtrinsic::try_from_encoded_extrinsic(&encoded)
			.map_err(|_| "the signed transfer does not decode as an extrinsic")
	}
}

/// The inherents of a benchmark block: the timestamp, at 0, so that its slot is the genesis
/// slot Aura expects of the first block.
pub fn inherent_benchmark_data() -> Result<InherentData> {
	let mut data = InherentData::new();
	let timestamp = sp_timestamp::InherentDataProvider::new(0.into());
	futures::executor::block_on(timestamp.provide_inherent_data(&mut data))
		.map_err(|e| format!("cannot create the timestamp inherent: {e:?}"))?;
	Ok(data)
}
