//! The seam between the screens and the sign-in below them.
//!
//! The screens ask for a sign-in ([`super::UiRequest`]) and later hear how it went as an
//! [`Outcome`]. Whatever does the asking (the smoltcp client on a device, a test, the
//! simulator) only has to produce these; the screens know nothing of sockets or tokens.

use padlock_protocol::{DenyReason, DisplayName};

/// How a sign-in, resume or sign-out attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Outcome {
    /// Signed in.
    Granted {
        /// The account's display name.
        display_name: DisplayName,
    },
    /// The gateway said no.
    Denied {
        /// Why.
        reason: DenyReason,
        /// Seconds before a retry can succeed (for [`DenyReason::Throttled`]).
        retry_after_secs: u32,
    },
    /// No network link, or no address yet.
    NoNetwork,
    /// The gateway refused the connection, or there is no route to it.
    CannotReach,
    /// The gateway did not answer in time.
    TimedOut,
    /// The connection dropped before the answer.
    ConnectionLost,
    /// The answer was not a valid reply, or a plain status said the gateway could not
    /// authenticate the device (its provisioned key is wrong) or does not speak its protocol
    /// version. Plain statuses are not authenticated (anyone on the path can forge one), so
    /// none of them may say more than "this attempt failed": the player may try again, and only
    /// an authenticated `Denied { UnsupportedVersion }` says the device needs an update.
    ProtocolError,
    /// The gateway is at capacity (also a plain status: retryable like the others).
    Busy,
}
