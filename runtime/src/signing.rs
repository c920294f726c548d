//! Building signed extrinsics off-chain (std only): used by the node's end-to-end tests and by
//! clients such as the miner, so that every client signs exactly what the runtime checks.

use crate::{
	Address, Hash, Nonce, Runtime, RuntimeCall, Signature, SignedPayload, TxExtension,
	UncheckedExtrinsic,
};
use codec::Encode;
use sp_core::{sr25519, Pair};
use sp_runtime::{generic::Era, traits::IdentifyAccount, MultiSigner};

/// Chain facts a signer must commit to; read them from the node before signing
/// (`chain_getBlockHash(0)`, `state_getRuntimeVersion`, `system_accountNextIndex`).
#[derive(Clone, Copy, Debug)]
pub struct SigningContext {
	/// Hash of block 0.
	pub genesis_hash: Hash,
	/// `specVersion` of the runtime the transaction is for.
	pub spec_version: u32,
	/// `transactionVersion` of that runtime.
	pub transaction_version: u32,
	/// The signer's next nonce.
	pub nonce: Nonce,
	/// Tip paid to the block author, in base units.
	pub tip: crate::Balance,
}

/// The transaction extensions of an immortal transaction with `nonce` and `tip`.
pub fn tx_extension(nonce: Nonce, tip: crate::Balance) -> TxExtension {
	(
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(tip),
		// Disabled: this signer does not verify the metadata (a hardware wallet would).
		frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
		frame_system::WeightReclaim::<Runtime>::new(),
	)
}

/// Signs `call` with `signer` (sr25519) and returns the SCALE-encoded extrinsic, ready for
/// `author_submitExtrinsic`.
pub fn sign_call(call: RuntimeCall, signer: &sr25519::Pair, ctx: SigningContext) -> Vec<u8> {
	let extension = tx_extension(ctx.nonce, ctx.tip);
	// The implicit data each extension adds to the signed payload, in the order above.
	let implicit = (
		(),
		(),
		ctx.spec_version,
		ctx.transaction_version,
		ctx.genesis_hash,
		ctx.genesis_hash, // immortal era: the checkpoint is the genesis block
		(),
		(),
		(),
		None::<[u8; 32]>, // CheckMetadataHash disabled: no hash in the payload
		(),
	);
	let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
	let signature: Signature = payload.using_encoded(|bytes| signer.sign(bytes)).into();
	let account = MultiSigner::from(signer.public()).into_account();
	UncheckedExtrinsic::new_signed(call, Address::Id(account), signature, extension).encode()
}
