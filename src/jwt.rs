//! Unverified JWT decoding, as [`token_keeper_core::jwt`] does it, with each segment decoded by
//! the `base64` crate and read by `serde_json` (the core reads no base64 or JSON itself: each
//! driver hands it the platform's decoder).

pub use token_keeper_core::jwt::{Audience, Claims, Header, JwtError, Segment};

/// Decodes the claims of a compact JWT **without verifying its signature**: for scheduling and
/// display only, never for an access decision.
///
/// # Errors
///
/// A [`JwtError`] naming the first problem found: the segment count, an empty segment, invalid
/// base64url, text that is not UTF-8 or not JSON, JSON that is not an object, or a registered
/// claim of the wrong type.
pub fn decode_unverified(token: &str) -> Result<Claims, JwtError> {
    token_keeper_core::jwt::decode_unverified(token, token_keeper_core::parsed::serde_segment)
}

/// Decodes the JOSE header of a compact JWT without verifying anything.
///
/// # Errors
///
/// As [`decode_unverified`], for the header segment.
pub fn decode_header_unverified(token: &str) -> Result<Header, JwtError> {
    token_keeper_core::jwt::decode_header_unverified(
        token,
        token_keeper_core::parsed::serde_segment,
    )
}
