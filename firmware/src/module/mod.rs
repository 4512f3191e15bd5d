//! The whole module: screens, sign-in and vault, wired together behind one small surface.
//!
//! An integrator gives it what DESIGN.md section 2 lists (a smoltcp device, a `NorFlash`
//! range, a CSPRNG, the device secret, the time) and runs this loop (`docs/integrating.md`
//! builds every argument of [`Module::new`]; `boards/template/src/main.rs` is the same code on
//! a board):
//!
//! ```text
//! let mut module = Module::new(ui, net, keys, &mut nic, buffers, vault, rng, version, now)?;
//! let renderer = Renderer::new(profile.display.check(&display)?);
//! renderer.draw(&mut display, module.ui()); display.flush();
//! loop {
//!     let now = now_ms();
//!     let mut step = Step::default();
//!     while let Some(event) = buttons.poll(now) {      // Down and Up: releases end auto-repeat
//!         step.merge(module.input(event, now));
//!     }
//!     step.merge(module.poll(&mut nic, now));          // network, auto-repeat, animation
//!     renderer.redraw(&mut display, module.ui(), step.redraw);
//!     display.flush();                                 // a buffered display shows nothing until then
//!     if step.leave { /* show the device's own menu */ }
//!     sleep_until(module.next_wake(now));              // an absolute time, or until an input
//! }
//! ```
//!
//! [`Module::new`] checks the profile and the network configuration first ([`StartError`]).
//!
//! What the module does between them:
//! - at start, a sealed token in the vault means "Signing in as …" and a `Resume`;
//! - `Granted` with a token stores it (a resume's successor replaces the token it used);
//!   a sign-in without "remember" forgets any token;
//! - `TokenInvalid` forgets the token; the screens ask for the password, email filled in;
//! - sign-out sends `SignOut` (best effort) and erases the vault.
//!
//! `tests/end_to_end.rs` drives it with `player` (feature `std`) against the real gateway core over the
//! virtual wire, on a perfect network and a lossy, slow one.

use embedded_storage::nor_flash::NorFlash;
use padlock_protocol::session::SessionError;
use padlock_protocol::{
    DenyReason, DeviceInfo, LinkCode, Password, Request, Response, StaticKeypair,
};
use rand_core::{CryptoRng, RngCore};
use smoltcp::phy::Device;

use crate::input::{Controller, RawInput};
use crate::net::{Failure, Finished, NetBuffers, NetConfig, Network};
use crate::profile::ProfileError;
use crate::ui::{Effects, LinkAnswer, Outcome, Redraw, Ui, UiConfig, UiRequest};
use crate::vault::Vault;

/// What the module tells the platform besides what to redraw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Step {
    /// What to redraw.
    pub redraw: Redraw,
    /// The player backed out of the sign-in: show the device's own menu.
    pub leave: bool,
}

impl Step {
    /// Combines two steps taken before one draw.
    pub fn merge(&mut self, other: Step) {
        self.redraw = self.redraw.merge(other.redraw);
        self.leave |= other.leave;
    }
}

/// Why the module cannot start: a configuration the device cannot work with. Each names what
/// to change; none depends on the network or the flash's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum StartError {
    /// The profile in [`UiConfig::profile`] cannot be served ([`crate::profile::Profile::check`]).
    Profile(ProfileError),
    /// [`crate::net::IpConfig::Dhcp`] on a network device without Ethernet framing (DHCP
    /// runs over Ethernet only): use a static address.
    DhcpNeedsEthernet,
}

impl From<ProfileError> for StartError {
    fn from(error: ProfileError) -> Self {
        Self::Profile(error)
    }
}

/// Which request is in flight, for what to do with its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    SignIn {
        remember: bool,
    },
    Resume,
    SignOut,
    /// A link request: `LinkStart` or `LinkPoll`.
    Link,
}

/// The sign-in module over flash `F` and random generator `R`.
pub struct Module<'a, 'k, F: NorFlash, R: RngCore + CryptoRng> {
    ui: Ui,
    net: Network<'a, 'k>,
    vault: Vault<F>,
    rng: R,
    controller: Controller,
    device: DeviceInfo,
    pending: Option<Pending>,
}

impl<'a, 'k, F: NorFlash, R: RngCore + CryptoRng> Module<'a, 'k, F, R> {
    /// Starts the module: checks the configuration, reads the vault and, with a remembered
    /// account, begins resuming.
    ///
    /// # Errors
    /// [`StartError`] for a profile the screens cannot serve or a network configuration the
    /// device cannot use; nothing has been sent or stored then.
    #[allow(
        clippy::too_many_arguments,
        reason = "the integrator surface, each argument once"
    )]
    pub fn new(
        ui: UiConfig,
        net: NetConfig,
        keys: &'k StaticKeypair,
        nic: &mut impl Device,
        buffers: &'a mut NetBuffers<'a>,
        vault: Vault<F>,
        mut rng: R,
        firmware_version: &str,
        now_ms: u64,
    ) -> Result<Self, StartError> {
        ui.profile.check()?;
        #[cfg(feature = "dhcp")]
        if net.ip == crate::net::IpConfig::Dhcp
            && nic.capabilities().medium != smoltcp::phy::Medium::Ethernet
        {
            return Err(StartError::DhcpNeedsEthernet);
        }
        let network = Network::new(net, keys, nic, buffers, &mut rng, now_ms);
        let mut vault = vault;
        let remembered = vault.load();
        let device = DeviceInfo {
            kind: ui.profile.kind,
            model: truncated(ui.profile.model),
            firmware: truncated(firmware_version),
        };
        let mut module = Self {
            ui: Ui::new(ui, remembered.as_ref().map(|r| r.email.as_str())),
            net: network,
            vault,
            rng,
            controller: Controller::new(ui.profile.input),
            device,
            pending: None,
        };
        let effects = module.ui.start();
        module.apply(effects, now_ms);
        Ok(module)
    }

    /// The screens' state, for the renderer.
    pub fn ui(&self) -> &Ui {
        &self.ui
    }

    /// The network, for link state and diagnostics.
    pub fn network(&mut self) -> &mut Network<'a, 'k> {
        &mut self.net
    }

    /// Reacts to a button or stick event.
    pub fn input(&mut self, event: RawInput, now_ms: u64) -> Step {
        match self.controller.event(event, now_ms) {
            Some(physical) => {
                let effects = self.ui.input(physical);
                self.apply(effects, now_ms)
            }
            None => Step::default(),
        }
    }

    /// Runs the network, auto-repeat and animation; call from the main loop.
    pub fn poll(&mut self, nic: &mut impl Device, now_ms: u64) -> Step {
        let mut step = Step::default();
        if let Some(physical) = self.controller.poll(now_ms) {
            let effects = self.ui.input(physical);
            step.merge(self.apply(effects, now_ms));
        }
        if let Some(finished) = self.net.poll(nic, &mut self.rng, now_ms) {
            step.merge(self.finished(finished, now_ms));
        }
        let tick = self.ui.tick(now_ms);
        step.merge(self.apply(tick, now_ms));
        step
    }

    /// When the main loop should run next, as an absolute time on the `now_ms` clock (not a
    /// delay): the platform may sleep until then or until an input.
    pub fn next_wake(&mut self, now_ms: u64) -> u64 {
        let mut wake = now_ms.saturating_add(1000);
        for due in [
            self.net
                .poll_delay(now_ms)
                .map(|d| now_ms.saturating_add(d)),
            self.controller.next_due(),
            self.ui.next_tick(),
        ]
        .into_iter()
        .flatten()
        {
            wake = wake.min(due);
        }
        wake
    }

    fn apply(&mut self, effects: Effects, now_ms: u64) -> Step {
        let mut step = Step {
            redraw: effects.redraw,
            leave: false,
        };
        match effects.request {
            None => {}
            Some(UiRequest::SignIn) => {
                let (Ok(account), Some(password)) = (
                    self.ui.email().text().try_into(),
                    Password::new(self.ui.password().text()),
                ) else {
                    return step;
                };
                let remember = self.ui.remember();
                self.pending = Some(Pending::SignIn { remember });
                self.net.start(
                    Request::SignIn {
                        account,
                        password,
                        remember,
                        device: self.device.clone(),
                    },
                    now_ms,
                );
            }
            Some(UiRequest::Resume) => match self.vault.load() {
                Some(remembered) => {
                    self.pending = Some(Pending::Resume);
                    self.net.start(
                        Request::Resume {
                            token: remembered.token,
                        },
                        now_ms,
                    );
                }
                None => {
                    let effects = self.ui.outcome(Outcome::Denied {
                        reason: DenyReason::TokenInvalid,
                        retry_after_secs: 0,
                    });
                    step.merge(self.apply(effects, now_ms));
                }
            },
            Some(UiRequest::Cancel) => {
                self.net.cancel();
                self.pending = None;
            }
            Some(UiRequest::SignOut) => {
                if let Some(remembered) = self.vault.load() {
                    self.pending = Some(Pending::SignOut);
                    self.net.start(
                        Request::SignOut {
                            token: remembered.token,
                        },
                        now_ms,
                    );
                }
                self.forget();
            }
            Some(UiRequest::Leave) => step.leave = true,
            Some(UiRequest::LinkStart) => {
                self.pending = Some(Pending::Link);
                self.net.start(
                    Request::LinkStart {
                        device: self.device.clone(),
                    },
                    now_ms,
                );
            }
            Some(UiRequest::LinkPoll) => {
                let Some(code) = self.ui.link().and_then(|l| LinkCode::from_bytes(*l.code()))
                else {
                    return step;
                };
                self.pending = Some(Pending::Link);
                self.net.start(Request::LinkPoll { code }, now_ms);
            }
        }
        step
    }

    fn finished(&mut self, finished: Finished, now_ms: u64) -> Step {
        let pending = self.pending.take();
        if pending == Some(Pending::SignOut) {
            // Best effort: the vault is already erased and the screens have moved on.
            return Step::default();
        }
        if pending == Some(Pending::Link) {
            let answer = self.link_answer(finished);
            let effects = self.ui.link_answer(answer, now_ms);
            return self.apply(effects, now_ms);
        }
        let outcome = match finished {
            Ok(Response::Granted {
                display_name,
                remember,
                ..
            }) => {
                let keep = matches!(
                    pending,
                    Some(Pending::Resume | Pending::SignIn { remember: true })
                );
                match (keep, remember) {
                    (true, Some(token)) => self.keep(&token),
                    (false, _) => self.forget(),
                    (true, None) => {}
                }
                Outcome::Granted { display_name }
            }
            Ok(Response::Denied {
                reason,
                retry_after_secs,
            }) => {
                if reason == DenyReason::TokenInvalid {
                    self.forget();
                }
                Outcome::Denied {
                    reason,
                    retry_after_secs,
                }
            }
            Ok(Response::SignedOut) => return Step::default(),
            // Link answers to a sign-in: the gateway answered something else than was asked.
            Ok(Response::LinkOffer { .. } | Response::LinkWaiting { .. }) => Outcome::ProtocolError,
            Err(failure) => failed(failure),
        };
        let effects = self.ui.outcome(outcome);
        self.apply(effects, now_ms)
    }

    /// What the screens hear of a link request's answer; an approval's remember-me token is
    /// stored first, like a remembered sign-in's (with no address: the player typed none).
    fn link_answer(&mut self, finished: Finished) -> LinkAnswer {
        match finished {
            Ok(Response::LinkOffer {
                code,
                address,
                expires_in_secs,
                poll_interval_secs,
            }) => match address.as_str().try_into() {
                Ok(address) => LinkAnswer::Offer {
                    code: *code.as_bytes(),
                    address,
                    expires_in_secs,
                    poll_interval_secs,
                },
                Err(_) => LinkAnswer::Failed(Outcome::ProtocolError),
            },
            Ok(Response::LinkWaiting { poll_interval_secs }) => {
                LinkAnswer::Waiting { poll_interval_secs }
            }
            Ok(Response::Granted {
                display_name,
                remember,
                ..
            }) => {
                match remember {
                    // The email field is empty: the phone choice is only offered then.
                    Some(token) => self.keep(&token),
                    // A link always gives a token; without one there is nothing to keep.
                    None => self.forget(),
                }
                LinkAnswer::Granted { display_name }
            }
            Ok(Response::Denied {
                reason: DenyReason::LinkDeclined,
                ..
            }) => LinkAnswer::Declined,
            Ok(Response::Denied {
                reason: DenyReason::LinkExpired,
                ..
            }) => LinkAnswer::Expired,
            // Authenticated: this gateway does not know link requests.
            Ok(Response::Denied {
                reason: DenyReason::UnsupportedVersion,
                ..
            }) => LinkAnswer::Unsupported,
            Ok(Response::Denied {
                reason,
                retry_after_secs,
            }) => LinkAnswer::Failed(Outcome::Denied {
                reason,
                retry_after_secs,
            }),
            Ok(Response::SignedOut) => LinkAnswer::Failed(Outcome::ProtocolError),
            Err(failure) => LinkAnswer::Failed(failed(failure)),
        }
    }

    /// Stores `token` for the account on screen (none, after a phone link).
    fn keep(&mut self, token: &padlock_protocol::RememberToken) {
        let email = self.ui.email().text();
        if self.vault.store(email, token, &mut self.rng).is_err() {
            // Signed in all the same; the next start will ask again.
            padlock_fmt::warn!("vault: could not store the token");
        }
    }

    fn forget(&mut self) {
        if self.vault.forget().is_err() {
            padlock_fmt::warn!("vault: could not erase");
        }
    }

    /// Takes the module apart (for a simulated reboot): the vault's flash.
    pub fn into_flash(self) -> F {
        self.vault.into_flash()
    }
}

/// What the player is told of an exchange that failed below the answer.
fn failed(failure: Failure) -> Outcome {
    match failure {
        Failure::NoNetwork => Outcome::NoNetwork,
        Failure::CannotReach => Outcome::CannotReach,
        Failure::TimedOut => Outcome::TimedOut,
        Failure::ConnectionLost => Outcome::ConnectionLost,
        Failure::Protocol(SessionError::Busy) => Outcome::Busy,
        // Every other plain status (unsupported version, handshake rejected) included:
        // unauthenticated, so only a failed attempt (docs/protocol.md section 4.2).
        Failure::Protocol(_) => Outcome::ProtocolError,
    }
}

fn truncated<const N: usize>(text: &str) -> heapless::String<N> {
    let mut out = heapless::String::new();
    for c in text.chars() {
        if out.push(c).is_err() {
            break;
        }
    }
    out
}

#[cfg(feature = "std")]
pub mod player;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::IpConfig;
    use crate::net::unplugged::Unplugged;
    use crate::net::wire::device_config;
    use crate::profile::{MONO_128X64, Profile};
    use crate::text::Language;
    use crate::vault::mem_flash::MemFlash;
    use padlock_protocol::PublicKey;
    use rand_core::OsRng;
    use std::boxed::Box;

    fn start(
        profile: &'static Profile,
        ip: IpConfig,
        nic: &mut impl Device,
    ) -> Result<(), StartError> {
        let keys = Box::leak(Box::new(
            StaticKeypair::derive_from_device_secret(&[3; 32]).unwrap(),
        ));
        let buffers = Box::leak(Box::new(NetBuffers::new()));
        let vault = Vault::new(MemFlash::<2048, 1024, 4>::new(), 0..2048, &[3; 32]).unwrap();
        let ui = UiConfig {
            profile,
            language: Language::English,
            security_info_url: "https://account.example.com/security",
        };
        let mut net = device_config(PublicKey([1; 32]));
        net.ip = ip;
        Module::new(ui, net, keys, nic, buffers, vault, OsRng, "1", 0).map(|_| ())
    }

    #[test]
    fn a_profile_the_screens_cannot_serve_does_not_start() {
        static SQUEEZED: Profile = Profile {
            grid: (4, 10),
            ..crate::profile::MONO_128X32
        };
        let static_ip = device_config(PublicKey([1; 32])).ip;
        assert_eq!(start(&MONO_128X64, static_ip, &mut Unplugged), Ok(()));
        assert!(matches!(
            start(&SQUEEZED, static_ip, &mut Unplugged),
            Err(StartError::Profile(
                ProfileError::GridTooLargeForDisplay { .. }
            ))
        ));
    }

    #[cfg(feature = "dhcp")]
    #[test]
    fn dhcp_needs_an_ethernet_device() {
        // The virtual wire carries bare IP packets; the unplugged device is Ethernet.
        let mut ip_only = crate::net::wire::Wire::new(1).end(0);
        assert_eq!(
            start(&MONO_128X64, IpConfig::Dhcp, &mut ip_only),
            Err(StartError::DhcpNeedsEthernet)
        );
        assert_eq!(start(&MONO_128X64, IpConfig::Dhcp, &mut Unplugged), Ok(()));
    }
}
