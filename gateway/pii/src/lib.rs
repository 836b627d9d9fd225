//! Personal identity numbers and the keys that protect them: the two
//! things both the gateway and the synthetic-data generator must get
//! exactly right, so they live in one small crate of their own.

pub mod crypto;
pub mod personnummer;
