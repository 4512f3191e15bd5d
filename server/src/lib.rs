//! # padlock-server
//!
//! Padlock's reference sign-in gateway, as a sans-IO core: [`Gateway::answer`] turns one
//! request frame into one reply frame, and the administration methods manage accounts, app
//! passwords and remember-me tokens. The tokio listener and the admin CLI are thin adapters
//! over it; the simulator and the firmware's end-to-end tests embed it in-process.
//!
//! ```text
//!  request body ──▶ gateway (decode: Noise responder) ──▶ rules / token ──▶ store (SQLite)
//!                        │                                 │   ▲
//!                        ◀── reply frame ◀── Response ◀────┘   └── throttle, hashing, keys
//! ```
//!
//! Where each rule lives:
//! - [`gateway`]: decode, dispatch, reply; what malformed input gets.
//! - [`account`]: what an account is and which emails, names and passwords it accepts.
//! - [`admin`]: the administration methods and what they list.
//! - [`rules`]: the sign-in rules, the two-step matrix, equal work on every failure.
//! - [`token`]: remember-me tokens: rotation, reuse detection and its two exceptions, binding.
//! - [`throttle`]: exponential backoff per account, per device and per (account, device), the
//!   daily cap, and why strangers cannot lock out a known device.
//! - [`pace`]: how often one device may succeed, which bounds what it leaves on disk.
//! - [`ticket`]: session tickets the gateway can verify later without storing them.
//! - [`app_password`]: the 16 letters, their format and normalisation.
//! - [`hashing`]: argon2id, the keyed hash, constant-time comparison.
//! - [`keys`]: the gateway's key file.
//! - [`store`]: the [`Store`] trait and its SQLite implementation, with versioned migrations.
//! - [`web`]: the account's Security info page (sign-in, two-step, app passwords, devices).
//!
//! The adapters around the core: [`serve`] (the tokio TCP listener the binary runs) and, with the
//! feature `virtual-net`, `virtual_net` (the far end of a simulated device's smoltcp wire).
//!
//! ```
//! use padlock_server::{Gateway, GatewayConfig, UnixMillis};
//! let gateway = Gateway::in_memory(GatewayConfig::default().fast_hashing())?;
//! gateway.add_account("ann@example.com", "Ann", "primary password", true)?;
//! let app = gateway.create_app_password("ann@example.com", "Xbox 360", UnixMillis(0))?;
//! assert_eq!(app.formatted.len(), 19); // "abcd efgh ijkl mnop"
//! // Devices are provisioned with gateway.public_key(); their frames go to gateway.answer().
//! # Ok::<(), padlock_server::Error>(())
//! ```
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod account;
pub mod admin;
pub mod app_password;
pub mod config;
pub mod error;
mod files;
pub mod gateway;
pub mod hashing;
pub mod keys;
pub mod link;
pub mod pace;
pub mod rules;
pub mod serve;
pub mod store;
pub mod terminal;
pub mod throttle;
pub mod ticket;
pub mod time;
pub mod token;
#[cfg(feature = "virtual-net")]
pub mod virtual_net;
pub mod web;

pub use admin::{AccountInfo, AppPasswordInfo, NewAppPassword, TokenInfo};
pub use config::{Argon2Params, GatewayConfig};
pub use error::Error;
pub use gateway::Gateway;
pub use store::{SqliteStore, Store};
pub use time::UnixMillis;
