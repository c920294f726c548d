// Included by `lib.rs` and by `build.rs` (whose metadata hash commits to them), so that the
// two cannot disagree: a wallet computes the hash with the chain's own symbol and decimals.

/// Number of decimals of the native token.
pub const TOKEN_DECIMALS: u8 = 9;
/// Symbol of the native token.
pub const TOKEN_SYMBOL: &str = "TAO";
