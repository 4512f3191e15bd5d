//! # padlock-firmware
//!
//! The sign-in module a console or media player runs: `no_std`, no heap. It asks the platform
//! for a display, buttons, a network device, flash, entropy, a device secret and a clock, and
//! gives the player a sign-in that works from the couch.
//!
//! - [`profile`]: what the module knows about a kind of device, in one place;
//! - [`input`]: logical buttons, stick sectors, auto-repeat;
//! - [`bindings`]: which button does what, one table per profile;
//! - [`keyboard`]: the on-screen keyboard as a pure state machine, its layouts, the adapter from
//!   buttons, and (host only) the planner that finds the fewest presses for a string;
//! - [`module`]: all of it wired together: the integrator's one object;
//! - [`net`]: the sign-in over a smoltcp interface: connect, one Noise exchange, bounded
//!   retries where safe, a distinct failure for each way it can go wrong;
//! - [`render`]: the keyboard and the screens on any embedded-graphics `DrawTarget`, redrawing
//!   only what changed;
//! - [`text`]: every user-visible string, one table per language;
//! - [`ui`]: the screens as a state machine, and the [`ui::Outcome`] seam the sign-in plugs into;
//! - [`vault`]: the sealed remember-me token in the platform's flash.
//!
//! ## Features
//! - `defmt` / `log`: where logs go (target / host; exclusive).
//! - `std`: host-only tools over the real logic (the keyboard planner).
//! - `large-text` (default): text faces above 13 pixels, for television and player screens
//!   (~15 KB of flash); `qr` (default): the app-password page's QR code (~9 KB). A board with
//!   a small display can build without both (`default-features = false`).
#![cfg_attr(not(feature = "std"), no_std)]
// Input paths must not panic on a device.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

#[cfg(test)]
extern crate std;

pub mod bindings;
pub mod input;
pub mod keyboard;
pub mod module;
pub mod net;
pub mod profile;
pub mod render;
pub mod text;
pub mod ui;
pub mod vault;

/// `docs/integrating.md`, compiled: its code is a doctest of this crate, so the page cannot
/// drift from the API (and `tests/integrating_page.rs` keeps it equal to the template board).
#[cfg(doctest)]
#[doc = include_str!("../../docs/integrating.md")]
pub struct IntegratingPage;
