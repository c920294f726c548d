//! The miner's signing key: a secret URI from the command line (`--suri //Bob`, for dev chains)
//! or from a file only its owner can read (`--key-file`). Secrets never reach a log or an
//! error message.

use std::path::Path;

use sp_core::crypto::{AccountId32, Ss58Codec};
use sp_core::{sr25519, Pair};

use super::ChainError;

/// The signing key of a miner.
#[derive(Clone)]
pub struct Signer {
	pair: sr25519::Pair,
}

impl std::fmt::Debug for Signer {
	/// Shows the account only, never the secret.
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "Signer({})", self.ss58())
	}
}

impl Signer {
	/// A key from a secret URI: a dev URI such as `//Alice`, a mnemonic (optionally with
	/// `//hard/soft` derivations) or a `0x` hex seed.
	pub fn from_suri(suri: &str) -> Result<Self, ChainError> {
		// The error names what kind of secret was wrong, never the secret itself.
		let pair = sr25519::Pair::from_string(suri.trim(), None).map_err(|e| {
			ChainError::Key(format!(
				"the secret URI is not a valid sr25519 secret ({e:?}); expected e.g. //Alice, a \
				 mnemonic or a 0x seed"
			))
		})?;
		Ok(Self { pair })
	}

	/// A key from a file holding a secret URI (see [`Signer::from_suri`]). The file must be
	/// readable by its owner only (mode 0600 or 0400), as for ssh keys.
	pub fn from_key_file(path: &Path) -> Result<Self, ChainError> {
		let meta = std::fs::metadata(path).map_err(|e| {
			ChainError::Key(format!("cannot read key file {}: {e}", path.display()))
		})?;
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			let mode = meta.permissions().mode() & 0o777;
			if mode & 0o077 != 0 {
				return Err(ChainError::Key(format!(
					"key file {} has mode {mode:03o}: others may read the secret; run \
					 `chmod 600 {}` and start again",
					path.display(),
					path.display()
				)));
			}
		}
		#[cfg(not(unix))]
		let _ = meta;
		let secret = std::fs::read_to_string(path).map_err(|e| {
			ChainError::Key(format!("cannot read key file {}: {e}", path.display()))
		})?;
		Self::from_suri(&secret).map_err(|e| match e {
			ChainError::Key(why) => ChainError::Key(format!("key file {}: {why}", path.display())),
			other => other,
		})
	}

	/// The sr25519 pair (for signing).
	pub fn pair(&self) -> &sr25519::Pair {
		&self.pair
	}

	/// The account id.
	pub fn account(&self) -> AccountId32 {
		AccountId32::from(self.pair.public())
	}

	/// The account as an SS58 address with the chain's prefix (42).
	pub fn ss58(&self) -> String {
		ss58(&self.account())
	}

	/// Signs an axon request (see [`crate::peers::auth`]).
	pub fn sign_request(
		&self,
		axon: &AccountId32,
		nonce: u64,
		tokens: &[Vec<u32>],
	) -> crate::peers::auth::Auth {
		crate::peers::auth::sign(&self.pair, axon, nonce, tokens)
	}
}

/// `account` as an SS58 address with the chain's prefix (42), as the node's RPC shows accounts.
pub fn ss58(account: &AccountId32) -> String {
	account.to_ss58check_with_version(tensor_runtime::SS58_PREFIX.into())
}

/// An account given as an SS58 address (any network prefix).
pub fn parse_account(ss58: &str) -> anyhow::Result<AccountId32> {
	use std::str::FromStr;
	AccountId32::from_str(ss58)
		.map_err(|e| anyhow::anyhow!("{ss58:?} is not an SS58 address: {e:?}"))
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::os::unix::fs::PermissionsExt;

	#[test]
	fn dev_uri_gives_the_well_known_account() {
		let bob = Signer::from_suri("//Bob").unwrap();
		assert_eq!(bob.ss58(), "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty");
		assert!(!format!("{bob:?}").contains("//Bob"));
	}

	#[test]
	fn key_file_must_be_private_and_errors_hide_the_secret() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("key");
		std::fs::write(&path, "//Charlie\n").unwrap();
		std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
		let err = Signer::from_key_file(&path).unwrap_err().to_string();
		assert!(err.contains("chmod 600"), "{err}");
		assert!(!err.contains("Charlie"), "{err}");

		std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
		let charlie = Signer::from_key_file(&path).unwrap();
		assert_eq!(charlie.account(), Signer::from_suri("//Charlie").unwrap().account());

		std::fs::write(&path, "not a secret //x").unwrap();
		let err = Signer::from_key_file(&path).unwrap_err().to_string();
		assert!(!err.contains("not a secret"), "{err}");
	}
}
