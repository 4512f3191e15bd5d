//! The demo account: what the embedded gateway is seeded with, so the simulator can be tried
//! at once, and what scenarios type with `{email}`, `{password}` and `{app-password}`.
//!
//! The account has two-step verification on, as in the seed document: its primary password is
//! refused on the device (with the app-password explanation), and the app password made here
//! works.
//!
//! Scenarios seed a fresh in-memory gateway each run ([`embedded_gateway`]). The window keeps
//! its gateway in the device's folder ([`kept_gateway`]), so a remembered sign-in resumes
//! after a restart; its app password is kept there too, one per device folder.

use std::path::Path;

use padlock_server::{Gateway, GatewayConfig, UnixMillis};

use crate::flash::write_private;
pub use crate::network::EPOCH;

/// The demo account's email address.
pub const EMAIL: &str = "alex.morgan@outlook.com";
/// Its display name.
pub const DISPLAY_NAME: &str = "Alex Morgan";
/// Its primary password (refused on devices: two-step is on).
pub const PASSWORD: &str = "couch-potato-42";
/// The name of the app password made for the simulated device.
pub const APP_PASSWORD_NAME: &str = "Padlock simulator";

/// The page where the embedded gateway's links are approved, as devices show it. Scenarios
/// approve links on the page served in-process (`approve link`), whatever this says.
pub const LINK_ADDRESS: &str = "https://padlock.example/link";

/// `config` offering links at [`LINK_ADDRESS`].
pub fn with_links(config: GatewayConfig) -> GatewayConfig {
    match padlock_protocol::LinkAddress::new(LINK_ADDRESS) {
        Some(address) => config.with_link_address(address),
        None => config,
    }
}

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
    let config = with_links(GatewayConfig::default().fast_hashing().seeded(bytes));
    let gateway = Gateway::in_memory(config)?;
    let demo = seed(&gateway, EPOCH)?;
    Ok((gateway, demo))
}

/// The file in a device's folder that keeps the window's demo app password (its id and its
/// text). The gateway keeps only a keyed hash of it, so this file is the one place it can be
/// printed from at the next start; like the device secret beside it, only its owner may read
/// it, and it is never written to a log.
pub const KEPT_APP_PASSWORD_FILE: &str = "demo-app-password";

/// The window's embedded gateway, kept in `dir` (`gateway.sqlite`) with the demo account, and
/// the demo app password to print.
///
/// The first start adds the account and makes the app password; later starts print the same
/// one, so the database holds one per device folder. A new one is made only when the kept one
/// is gone (revoked, or its file deleted); the simulator's older ones are then revoked.
///
/// # Errors
/// The folder, the database or the kept file cannot be read or written: which and why.
pub fn kept_gateway(dir: &Path, now: UnixMillis) -> Result<(Gateway, String), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let db = dir.join("gateway.sqlite");
    let gateway = Gateway::open(&db, with_links(GatewayConfig::default().fast_hashing()))
        .map_err(|e| format!("embedded gateway ({}): {e}", db.display()))?;
    let account = |e: padlock_server::Error| format!("demo account: {e}");
    let known = gateway
        .accounts()
        .map_err(account)?
        .iter()
        .any(|a| a.email == EMAIL);
    if !known {
        gateway
            .add_account(EMAIL, DISPLAY_NAME, PASSWORD, true)
            .map_err(account)?;
    }
    let file = dir.join(KEPT_APP_PASSWORD_FILE);
    let live = gateway.app_passwords(EMAIL).map_err(account)?;
    let kept = read_kept(&file).filter(|(id, _)| live.iter().any(|a| a.id == *id));
    let (id, app_password) = match kept {
        Some(kept) => kept,
        None => {
            let made = gateway
                .create_app_password(EMAIL, APP_PASSWORD_NAME, now)
                .map_err(account)?;
            let text = format!("{}\n{}\n", made.id, made.formatted);
            write_private(&file, text.as_bytes())
                .map_err(|e| format!("{}: {e}", file.display()))?;
            (made.id, made.formatted.clone())
        }
    };
    // Earlier starts (and earlier versions, which made one each start) left others.
    for old in live
        .iter()
        .filter(|a| a.name == APP_PASSWORD_NAME && a.id != id)
    {
        gateway
            .revoke_app_password(EMAIL, old.id)
            .map_err(account)?;
    }
    Ok((gateway, app_password))
}

/// The kept app password's id and text, if the file holds them.
fn read_kept(file: &Path) -> Option<(i64, String)> {
    let text = std::fs::read_to_string(file).ok()?;
    let mut lines = text.lines();
    let id = lines.next()?.trim().parse().ok()?;
    let formatted = lines.next()?.trim();
    let well_formed = formatted.len() == 19
        && formatted
            .split(' ')
            .all(|group| group.len() == 4 && group.bytes().all(|b| b.is_ascii_lowercase()));
    well_formed.then(|| (id, formatted.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_window_start_prints_the_one_kept_app_password() {
        let dir = tempfile::tempdir().unwrap();
        let now = UnixMillis(EPOCH.0);
        let (gateway, first) = kept_gateway(dir.path(), now).unwrap();
        drop(gateway);
        let (gateway, second) = kept_gateway(dir.path(), now).unwrap();
        assert_eq!(first, second);
        assert_eq!(gateway.app_passwords(EMAIL).unwrap().len(), 1);
        let kept = std::fs::read_to_string(dir.path().join(KEPT_APP_PASSWORD_FILE)).unwrap();
        assert!(kept.contains(&first));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(dir.path().join(KEPT_APP_PASSWORD_FILE)).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        }

        // Revoked on the gateway: the next start makes a new one, and keeps that.
        let id = gateway.app_passwords(EMAIL).unwrap()[0].id;
        gateway.revoke_app_password(EMAIL, id).unwrap();
        drop(gateway);
        let (gateway, third) = kept_gateway(dir.path(), now).unwrap();
        assert_ne!(third, first);
        assert_eq!(gateway.app_passwords(EMAIL).unwrap().len(), 1);
    }

    #[test]
    fn app_passwords_piled_up_by_earlier_starts_are_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let now = UnixMillis(EPOCH.0);
        let (gateway, _) = kept_gateway(dir.path(), now).unwrap();
        for _ in 0..3 {
            gateway
                .create_app_password(EMAIL, APP_PASSWORD_NAME, now)
                .unwrap();
        }
        gateway.create_app_password(EMAIL, "Phone", now).unwrap();
        drop(gateway);
        let (gateway, _) = kept_gateway(dir.path(), now).unwrap();
        let names: Vec<String> = gateway
            .app_passwords(EMAIL)
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(
            names,
            [APP_PASSWORD_NAME, "Phone"],
            "the player's own one stays"
        );
    }
}
