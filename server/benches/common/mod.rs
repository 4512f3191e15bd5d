//! What the gateway benches share: the gateway as `padlock-server serve` runs it, and the
//! sign-in a console sends.

use std::path::Path;

use padlock_protocol::{DeviceInfo, DeviceKind, Password, Request};
use padlock_server::pace::Pace;
use padlock_server::{Gateway, GatewayConfig, UnixMillis};

/// The benches' account: two-step on, signed in to with an app password.
pub const EMAIL: &str = "alex.jansen@outlook.com";

/// A gateway with a database file in `dir` and production settings, holding [`EMAIL`]; and
/// that account's app password.
///
/// One exception to production settings: each bench client stands for many devices signing in
/// and resuming, so the budget of successes per device key (10, then one sign-in per 5 minutes
/// and one resume a minute, `padlock_server::pace`) would refuse them after the tenth.
pub fn production_gateway(dir: &Path) -> (Gateway, String) {
    let gateway =
        Gateway::open(&dir.join("gateway.db"), production_config()).expect("open gateway");
    let app_password = add_account(&gateway);
    (gateway, app_password)
}

/// Production settings, but for the success budgets (see [`production_gateway`]).
pub fn production_config() -> GatewayConfig {
    GatewayConfig {
        sign_in_pace: Pace::UNLIMITED,
        resume_pace: Pace::UNLIMITED,
        ..GatewayConfig::default()
    }
}

/// Adds [`EMAIL`] to `gateway`'s database; its app password.
pub fn add_account(gateway: &Gateway) -> String {
    gateway
        .add_account(EMAIL, "Alex Jansen", "a long primary password", true)
        .expect("add account");
    gateway
        .create_app_password(EMAIL, "Xbox 360", UnixMillis::now())
        .expect("app password")
        .formatted
        .clone()
}

/// A sign-in to `account` with `password` from an Xbox 360.
pub fn sign_in(account: &str, password: &str, remember: bool) -> Request {
    Request::SignIn {
        account: account.try_into().unwrap_or_default(),
        password: Password::new(password).unwrap_or_else(|| unreachable!()),
        remember,
        device: DeviceInfo {
            kind: DeviceKind::Xbox360,
            model: "Xbox 360 S".try_into().unwrap_or_default(),
            firmware: "2.0.17559.0".try_into().unwrap_or_default(),
        },
    }
}
