//! The `uid_or_account` parameter of `incentive_neuron`: a uid, an SS58 address or a hex public
//! key.

use core::{fmt, str::FromStr};
use sp_core::crypto::{AccountId32, Ss58Codec};

/// Which neuron `incentive_neuron` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NeuronQuery {
	/// By uid: the parameter was a decimal number in `0..=65535`.
	Uid(u16),
	/// By account: the parameter was an SS58 address (any network prefix; the key is what
	/// counts) or `0x` followed by the 32-byte public key in hex.
	Account(AccountId32),
}

/// Why a `uid_or_account` parameter could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryError {
	/// The parameter was empty (or only whitespace).
	Empty,
	/// A decimal number too large for a uid.
	UidOutOfRange(String),
	/// `0x…` that is not 32 bytes of hex.
	BadHexKey(String),
	/// Neither a number nor a hex key, and not a valid SS58 address either.
	BadAddress {
		/// The parameter as given.
		input: String,
		/// What the SS58 decoder said.
		reason: String,
	},
}

impl fmt::Display for QueryError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::Empty => write!(f, "expected a uid, an SS58 address or a 0x public key; got ''"),
			Self::UidOutOfRange(input) => {
				write!(f, "uid {input} is out of range: uids are 0..=65535")
			}
			Self::BadHexKey(input) => {
				write!(f, "{input} is not a public key: expected 0x and 64 hex digits")
			}
			Self::BadAddress { input, reason } => {
				write!(f, "'{input}' is not a uid, an SS58 address or a 0x public key ({reason})")
			}
		}
	}
}

impl std::error::Error for QueryError {}

impl FromStr for NeuronQuery {
	type Err = QueryError;

	/// Reads a uid (`"3"`), an SS58 address (`"5Grw…"`) or a hex public key (`"0xd435…"`).
	/// Surrounding whitespace is ignored.
	fn from_str(input: &str) -> Result<Self, Self::Err> {
		let input = input.trim();
		if input.is_empty() {
			return Err(QueryError::Empty);
		}
		if let Some(hex) = input.strip_prefix("0x").or_else(|| input.strip_prefix("0X")) {
			return parse_hex_key(hex)
				.map(Self::Account)
				.ok_or_else(|| QueryError::BadHexKey(input.to_owned()));
		}
		if input.bytes().all(|b| b.is_ascii_digit()) {
			if let Ok(uid) = input.parse::<u16>() {
				return Ok(Self::Uid(uid));
			}
			// Base58 has digits too: a long all-digit string might still be an address.
			return AccountId32::from_ss58check_with_version(input)
				.map(|(account, _)| Self::Account(account))
				.map_err(|_| QueryError::UidOutOfRange(input.to_owned()));
		}
		AccountId32::from_ss58check_with_version(input)
			.map(|(account, _)| Self::Account(account))
			.map_err(|error| QueryError::BadAddress {
				input: input.to_owned(),
				reason: error.to_string(),
			})
	}
}

/// 64 hex digits (no prefix) as a 32-byte account id.
fn parse_hex_key(hex: &str) -> Option<AccountId32> {
	// `from_hex` skips whitespace, so check the digits first.
	if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
		return None;
	}
	let bytes = sp_core::bytes::from_hex(hex).ok()?;
	let raw: [u8; 32] = bytes.try_into().ok()?;
	Some(AccountId32::new(raw))
}
