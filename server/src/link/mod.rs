//! Sign in with your phone: a code on the device, one approval on the Security info page.
//!
//! ```text
//!  device ── LinkStart ──▶ link_start: a code bound to the device key ──▶ LinkStore
//!  phone  ── /link, code ─▶ find_link (throttled) ─▶ approve_link / decline_link
//!  device ── LinkPoll ───▶ link_poll: Waiting (slow down) | Granted | Declined | Expired
//! ```
//!
//! [`rules`] holds the decisions, free of IO; this module reads and writes the [`LinkStore`]
//! around them. What it guarantees (docs/protocol.md sections 6.4 and 12.5):
//!
//! - **Bound to the device key.** A poll is matched only from the device static key of the
//!   `LinkStart` (authenticated by Noise); from any other key a live code is answered
//!   `LinkExpired` like an unknown one. The code is something the player reads off a screen, not
//!   a secret that would let its reader take the token.
//! - **The approval is a credential.** Approving makes an app password row named after the
//!   device (`Link · Zune HD`) whose keyed hash is of 32 random bytes nobody keeps, so it never
//!   signs in by itself; the device's token family is bound to it. It is listed with the
//!   account's app passwords and devices, and revoking it revokes the family, so the token is
//!   refused at the next `Resume`.
//! - **A lost reply is harmless.** The approved token is derived from the link's random seed
//!   under the gateway's hashing key (`HMAC(key, "link token" || seed)`), and the store keeps
//!   only its keyed hash; every poll of the approved link from its device gets that same token
//!   while it has not been used by a `Resume`. The seed is deleted with the link when it expires.
//! - **Guessing codes is bounded.** Every code typed on the page (entered, approved or declined)
//!   is an attempt on two throttling subjects of the link door's own: the signed-in account and
//!   the request's source address, with the schedule of [`crate::throttle`] (5 free failures,
//!   then doubling waits; at most [`crate::throttle::MAX_GUESSES_PER_DAY`] wrong codes a day each). A right code
//!   clears nothing (a player's own code cannot buy more guesses). With at most
//!   [`rules::LinkPolicy::max_live`] codes live, one account or one source hits any live code
//!   with a chance of at most `max_live × 40 ÷ 20^8` a day ([`rules::guess_odds`]: 1.6 × 10^-5).

pub mod rules;

use padlock_protocol::{
    DenyReason, DeviceInfo, DeviceKind, LinkCode, PublicKey, RememberToken, Response,
};
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;

use crate::error::Error;
use crate::gateway::Gateway;
use crate::hashing::{ct_eq, domain};
use crate::rules::{KNOWN_DEVICE_RESOLUTION, describe, throttled};
use crate::store::{LinkApproval, LinkRecord, LinkStore, NewToken, TokenState};
use crate::throttle::{Admission, Claimant, retry_after_secs};
use crate::time::UnixMillis;
use rules::{LinkState, PollClock, PollVerdict};

/// Draws of a code before giving up on finding a free one (with 10 000 live of 2.56 × 10^10, a
/// second draw is already rare).
const CODE_DRAWS: usize = 8;

const NOT_OFFERED: Response = Response::Denied {
    reason: DenyReason::UnsupportedVersion,
    retry_after_secs: 0,
};

const EXPIRED: Response = Response::Denied {
    reason: DenyReason::LinkExpired,
    retry_after_secs: 0,
};

/// What a code typed on the page found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkLookup {
    /// Too many wrong codes from this account or source: nothing was looked up; try again in
    /// this many seconds.
    Throttled(u32),
    /// No pending link has this code (counted as a wrong guess).
    NotFound,
    /// The pending link.
    Found(LinkRecord),
}

/// The device kind with protocol index `kind`.
pub fn device_kind(kind: u8) -> DeviceKind {
    match kind {
        0 => DeviceKind::Xbox360,
        1 => DeviceKind::Zune,
        _ => DeviceKind::Other,
    }
}

fn kind_index(kind: DeviceKind) -> u8 {
    match kind {
        DeviceKind::Xbox360 => 0,
        DeviceKind::Zune => 1,
        DeviceKind::Other => 2,
    }
}

impl LinkRecord {
    /// How the device appears among the account's known devices (as after a password sign-in).
    pub fn description(&self) -> String {
        let device = DeviceInfo {
            kind: device_kind(self.kind),
            model: self.model.as_str().try_into().unwrap_or_default(),
            firmware: self.firmware.as_str().try_into().unwrap_or_default(),
        };
        describe(&device)
    }
}

impl Gateway {
    /// The link store, if this gateway offers links: a link page address is configured and the
    /// store keeps links.
    fn link_store(&self) -> Option<&dyn LinkStore> {
        self.config.link_address.as_ref()?;
        self.store.links()
    }

    fn link_token(&self, seed: &[u8; 32]) -> RememberToken {
        RememberToken::from_bytes(self.keyed.hash(domain::LINK_TOKEN, &[seed]))
    }

    /// Answers a `LinkStart` from `device_key`.
    pub(crate) fn link_start(
        &self,
        device: &DeviceInfo,
        device_key: PublicKey,
        rng: &mut ChaCha20Rng,
        now: UnixMillis,
    ) -> Result<Response, Error> {
        let (Some(links), Some(address)) = (self.link_store(), &self.config.link_address) else {
            return Ok(NOT_OFFERED);
        };
        let policy = &self.config.link;
        links.forget_links_expired_before(now)?;
        let mut refused = None;
        let mut admit =
            |mine: &[UnixMillis], live: usize| match rules::may_start(policy, mine, live, now) {
                Ok(()) => true,
                Err(wait) => {
                    refused = Some(wait);
                    false
                }
            };
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        for _ in 0..CODE_DRAWS {
            let link = LinkRecord {
                code: rules::draw_code(rng),
                device_key,
                kind: kind_index(device.kind),
                model: device.model.to_string(),
                firmware: device.firmware.to_string(),
                created: now,
                expires: now.plus(policy.lifetime),
                interval_secs: policy.poll_interval_secs,
                last_poll: None,
                state: LinkState::Pending,
                seed,
            };
            // The caps are checked and the link stored with no other start in between, on any
            // gateway of the database (the store's part).
            match links.insert_link_admitted(&link, &mut admit)? {
                None => {
                    tracing::info!(outcome = "throttled", "link start");
                    return Ok(throttled(refused.unwrap_or_default()));
                }
                Some(true) => {
                    tracing::info!(outcome = "offered", "link start");
                    return Ok(Response::LinkOffer {
                        code: link.code,
                        address: address.clone(),
                        expires_in_secs: u16::try_from(policy.lifetime.as_secs())
                            .unwrap_or(u16::MAX),
                        poll_interval_secs: policy.poll_interval_secs,
                    });
                }
                Some(false) => {}
            }
        }
        Err(Error::InvalidInput("no free link code".into()))
    }

    /// Answers a `LinkPoll` for `code` from `device_key`.
    pub(crate) fn link_poll(
        &self,
        code: &LinkCode,
        device_key: PublicKey,
        now: UnixMillis,
    ) -> Result<Response, Error> {
        let Some(links) = self.link_store() else {
            return Ok(NOT_OFFERED);
        };
        let Some(link) = links.link(code)? else {
            return Ok(EXPIRED);
        };
        if !ct_eq(&link.device_key.0, &device_key.0) {
            tracing::info!(outcome = "another device key", "link poll");
            return Ok(EXPIRED);
        }
        let clock = PollClock {
            state: link.state,
            expires: link.expires,
            interval_secs: link.interval_secs,
            last_poll: link.last_poll,
        };
        Ok(match rules::poll(&self.config.link, &clock, now) {
            PollVerdict::Expired => EXPIRED,
            PollVerdict::Declined => Response::Denied {
                reason: DenyReason::LinkDeclined,
                retry_after_secs: 0,
            },
            PollVerdict::TooFast(wait) => throttled(wait),
            PollVerdict::Waiting { interval_secs } => {
                links.record_link_poll(code, interval_secs, now)?;
                Response::LinkWaiting {
                    poll_interval_secs: interval_secs,
                }
            }
            PollVerdict::Approved => self.deliver_link(&link, device_key, now)?,
        })
    }

    /// The `Granted` of an approved link: its token, while that is its family's first
    /// generation, unused and bound to this device.
    fn deliver_link(
        &self,
        link: &LinkRecord,
        device_key: PublicKey,
        now: UnixMillis,
    ) -> Result<Response, Error> {
        let token = self.link_token(&link.seed);
        let Some(record) = self.store.token_by_hash(&self.token_hash(&token))? else {
            return Ok(EXPIRED);
        };
        let deliverable = record.state == TokenState::Active
            && record.family == record.id
            && record.expires > now
            && record.device_key == device_key;
        let account = match deliverable {
            true => self.store.account_by_id(record.account_id)?,
            false => None,
        };
        let Some(account) = account else {
            tracing::info!(outcome = "token used or revoked", "link poll");
            return Ok(EXPIRED);
        };
        tracing::info!(outcome = "granted", "link poll");
        Ok(self.granted(&account, Some(token), &device_key, now))
    }

    /// Looks up a code typed on the page by the signed-in account `account_id`, from `source`
    /// (the request's address): an attempt on both throttling subjects (see the module docs).
    pub fn find_link(
        &self,
        account_id: i64,
        source: &str,
        typed: &str,
        now: UnixMillis,
    ) -> Result<LinkLookup, Error> {
        let claimant = Claimant {
            account: self.keyed.hash(
                domain::LINK_SUBJECT,
                &[b"account", &account_id.to_be_bytes()],
            ),
            device: Some(
                self.keyed
                    .hash(domain::LINK_SUBJECT, &[b"source", source.as_bytes()]),
            ),
            known: false,
        };
        let attempt = match self.throttle.admit(&*self.store, &claimant, now)? {
            Admission::Admitted(attempt) => attempt,
            Admission::Throttled(wait) => return Ok(LinkLookup::Throttled(retry_after_secs(wait))),
        };
        let found = match (self.link_store(), LinkCode::parse(typed)) {
            (Some(links), Some(code)) => links
                .link(&code)?
                .filter(|l| l.state == LinkState::Pending && l.expires > now),
            _ => None,
        };
        match found {
            // Dropped: a right code clears no counter.
            Some(link) => Ok(LinkLookup::Found(link)),
            None => {
                attempt.failed(&*self.store, now)?;
                tracing::info!(outcome = "no such link", "link code");
                Ok(LinkLookup::NotFound)
            }
        }
    }

    /// Approves `link` (from [`Gateway::find_link`]) for the account `account_id`. `false`: it
    /// stopped being pending meanwhile (or the account is gone), and nothing changed.
    pub fn approve_link(
        &self,
        account_id: i64,
        link: &LinkRecord,
        now: UnixMillis,
    ) -> Result<bool, Error> {
        let (Some(links), Some(account)) =
            (self.link_store(), self.store.account_by_id(account_id)?)
        else {
            return Ok(false);
        };
        let mut rng = self.rng();
        let mut unkept = [0u8; 32];
        rng.fill_bytes(&mut unkept);
        let token = self.link_token(&link.seed);
        let approval = LinkApproval {
            name: format!("Link · {}", link.model),
            credential_hash: self.keyed.hash(domain::LINK_CREDENTIAL, &[&unkept]),
            token: NewToken {
                account_id: account.id,
                app_password_id: None,
                device_key: link.device_key,
                hash: self.token_hash(&token),
                created: now,
                expires: now.plus(self.config.token_lifetime),
            },
        };
        if links
            .approve_link(&link.code, account.id, &approval, now)?
            .is_none()
        {
            return Ok(false);
        }
        self.store.device_signed_in(
            account.id,
            &link.device_key,
            &link.description(),
            now,
            KNOWN_DEVICE_RESOLUTION,
        )?;
        tracing::info!(outcome = "approved", "link");
        Ok(true)
    }

    /// Declines `link` (from [`Gateway::find_link`]). `false`: it stopped being pending meanwhile.
    pub fn decline_link(&self, link: &LinkRecord, now: UnixMillis) -> Result<bool, Error> {
        let Some(links) = self.link_store() else {
            return Ok(false);
        };
        let declined = links.decline_link(&link.code, now)?;
        tracing::info!(declined, "link declined");
        Ok(declined)
    }

    /// The links waiting for approval at `now`, oldest first (`padlock-server link list`).
    pub fn pending_links(&self, now: UnixMillis) -> Result<Vec<LinkRecord>, Error> {
        match self.store.links() {
            Some(links) => links.pending_links(now),
            None => Ok(Vec::new()),
        }
    }
}
