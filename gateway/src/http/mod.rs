//! The HTTP layer: the router and its middleware, the request pipeline as
//! named steps (`pipeline`), persisted-query and safelist admission, the
//! dashboard response cache, browser sign-in, health and graceful
//! shutdown. `serve`, `demo` and the tests all build the app through
//! [`build_state`] and [`router`], so tests exercise exactly what runs in
//! production.

pub mod dashboard_cache;
pub mod dev_issuer;
pub mod health;
pub mod login;
pub mod pending_login;
pub mod persisted;
pub mod pipeline;
pub mod response;
pub mod router;
pub mod serve;
pub mod state;

pub use router::router;
pub use serve::{serve, serve_until, shutdown_signal};
pub use state::{build_state, AppState, BuildError, KeySource};
