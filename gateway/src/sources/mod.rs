//! Where data comes from. Resolvers call these functions and loaders; no
//! resolver builds SQL or HTTP itself. The municipality's data is in the
//! gateway's own database (`db`); AF's and FK's records are either there
//! too (written by those agencies through the API) or read live from the
//! agency's own API (`upstream` over `http`), per agency, by config.

pub mod db;
pub mod http;
pub mod upstream;
