//! Where data comes from. Resolvers call these functions and loaders; no
//! resolver builds SQL itself. Today everything is in the gateway's own
//! database (`db`); agencies' upstream APIs join later behind the same calls.

pub mod db;
