//! The demo account: what the embedded gateway is seeded with, so the simulator can be tried
//! at once, and what scenarios type with `{email}`, `{password}` and `{app-password}`.
//!
//! The account has two-step verification on, as in the seed document: its primary password is
//! refused on the device (with the app-password explanation), and the app password made here
//! works.

use padlock_server::{Gateway, GatewayConfig, UnixMillis};

pub use crate::network::EPOCH;

/// The demo account's email address.
pub const EMAIL: &str = "alex.morgan@outlook.com";
/// Its display name.
pub const DISPLAY_NAME: &str = "Alex Morgan";
/// Its primary password (refused on devices: two-step is on).
pub const PASSWORD: &str = "couch-potato-42";
/// The name of the app password made for the simulated device.
pub const APP_PASSWORD_NAME: &str = "Padlock simulator";

/// The demo account, as seeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    /// Email address.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Primary password.
    pub password: String,
    /// The app password created for the device, as shown to the player ("abcd efgh ijkl mnop").
    pub app_password: String,
    /// Its id on the gateway (to revoke it).
    pub app_password_id: i64,
}

/// Adds the demo account (two-step on) to `gateway` and creates its app password at `now`.
///
/// # Errors
/// The gateway's errors (an account of that address already exists, a database error).
pub fn seed(gateway: &Gateway, now: UnixMillis) -> Result<DemoAccount, padlock_server::Error> {
    gateway.add_account(EMAIL, DISPLAY_NAME, PASSWORD, true)?;
    let app = gateway.create_app_password(EMAIL, APP_PASSWORD_NAME, now)?;
    Ok(DemoAccount {
        email: EMAIL.to_owned(),
        display_name: DISPLAY_NAME.to_owned(),
        password: PASSWORD.to_owned(),
        app_password: app.formatted.clone(),
        app_password_id: app.id,
    })
}

/// A fresh in-memory gateway (cheap hashing, randomness from `seed`) with the demo account.
///
/// # Errors
/// The gateway's errors.
pub fn embedded_gateway(rng_seed: u64) -> Result<(Gateway, DemoAccount), padlock_server::Error> {
    let mut bytes = [0u8; 32];
    let words = [
        rng_seed,
        !rng_seed,
        rng_seed.rotate_left(17),
        0x7061_646c_6f63_6b21,
    ];
    for (chunk, word) in bytes.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    let gateway = Gateway::in_memory(GatewayConfig::default().fast_hashing().seeded(bytes))?;
    let demo = seed(&gateway, EPOCH)?;
    Ok((gateway, demo))
}
