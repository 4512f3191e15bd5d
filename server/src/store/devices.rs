//! The known devices role: which device keys signed in to which account, and when.

use std::time::Duration;

use padlock_protocol::PublicKey;

use crate::error::Error;
use crate::time::UnixMillis;

/// A device that signed in to an account ([`DeviceStore::device_signed_in`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDevice {
    /// Its static key.
    pub device_key: PublicKey,
    /// Kind, model and firmware, as it last described itself; `None`: it was known from a token
    /// it was given before devices were recorded with their description, and has not signed in
    /// since.
    pub description: Option<String>,
    /// Its first recorded sign-in to the account.
    pub first_seen: UnixMillis,
    /// Its last recorded sign-in to the account (recorded again only once stale, see
    /// [`DeviceStore::device_signed_in`]).
    pub last_seen: UnixMillis,
}

impl KnownDevice {
    /// Whether a sign-in at `now` describing the device as `description` has nothing new to
    /// record: the description is the same, and the last recorded sign-in is less than
    /// `resolution` before `now` (or after it: the clock was set back).
    pub fn seen_within(&self, description: &str, now: UnixMillis, resolution: Duration) -> bool {
        self.description.as_deref() == Some(description) && now.since(self.last_seen) < resolution
    }
}

/// Known devices (the throttle lets them past the account's counter, the Security info page
/// lists them).
pub trait DeviceStore: Send + Sync {
    /// The device `device_key` as known to the account, if it is (it signed in and was not
    /// forgotten since, see [`crate::throttle`]).
    fn known_device(
        &self,
        account_id: i64,
        device_key: &PublicKey,
    ) -> Result<Option<KnownDevice>, Error>;
    /// Every device known to the account.
    fn known_devices(&self, account_id: i64) -> Result<Vec<KnownDevice>, Error>;
    /// Records that `device_key`, describing itself as `description`, signed in to the account
    /// at `now`: it becomes (or stays) known to the account, with that description, first seen
    /// now if it was not known, last seen at the later of `now` and its last sighting. Nothing
    /// is written if it was known with the same description and last seen less than
    /// `resolution` before `now` ([`KnownDevice::seen_within`]: a device signing in again and
    /// again costs no write), checked in the writing statement. What is written is one
    /// transaction: a store that keeps the Security info page's state
    /// ([`Store::security`](super::Store::security)) adds the sign-in to the account's activity
    /// ([`ActivityKind::DeviceSignIn`](super::security::ActivityKind::DeviceSignIn)) in it.
    fn device_signed_in(
        &self,
        account_id: i64,
        device_key: &PublicKey,
        description: &str,
        now: UnixMillis,
        resolution: Duration,
    ) -> Result<(), Error>;
    /// Forgets the known devices last seen before `cutoff` that hold no live remember-me token
    /// for the account; returns how many.
    fn forget_known_devices_before(&self, cutoff: UnixMillis) -> Result<usize, Error>;
}
