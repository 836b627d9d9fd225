//! The words every layer speaks: error codes and the API's error type, the
//! clock, and who is calling (`Principal`, `Role`). Depends on no other
//! module of the gateway.

pub mod clock;
pub mod error;
pub mod principal;

pub use principal::{Principal, Role};
