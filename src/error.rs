//! The one error type is the core's ([`token_keeper_core::Error`]), with the stable codes of the
//! JavaScript API ([`ErrorKind::code`]).

pub use token_keeper_core::error::{Error, ErrorKind};
