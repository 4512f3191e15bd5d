//! Sign in with your phone: the device's side of the link (RFC 8628's device authorization),
//! without IO.
//!
//! ```text
//!  Account ──Phone (Done on an empty field)──▶ LinkStarting ──LinkOffer──▶ LinkCode
//!     ▲                                          │    ▲                       │  ▲ every poll interval:
//!     └──────────── Back (any time) ─────────────┘    └── New code ──┐        │  │ LinkPoll ─▶ LinkWaiting
//!                                                                    │        │  └──────────────┘
//!  Granted (remember-me token) ◀──────────────────────────────────────┼────────┤
//!    └──▶ SignedIn                             Problem(LinkExpired, LinkDeclined,
//!                                                no network, cannot reach, busy ...)
//!  UnsupportedVersion to LinkStart: the gateway has no links; the phone choice is hidden.
//! ```
//!
//! [`Link`] is one code on screen: the code, the address, when it expires, when the next poll
//! is due and whether one is in flight. The screens ([`super::Ui`]) own one while the code
//! screen shows, ask the module for a `LinkStart` or a `LinkPoll` through their
//! [`super::UiRequest`]s, and hear the gateway's answers as [`LinkAnswer`]s with the time they
//! arrived, so expiry and polling follow the device's clock and nothing here opens a socket.
//!
//! The poll interval is the gateway's: a `LinkWaiting` with a larger interval than before is
//! RFC 8628's "slow down", and the device keeps the larger one from then on. A code past its
//! expiry is given up at once, without asking the gateway: the player sees it expire on the
//! countdown, and the way on is a new code.

use heapless::String;
use padlock_protocol::DisplayName;

use super::Outcome;

/// Letters in a link code.
pub const CODE_LEN: usize = 8;

/// Longest link address the gateway sends (the protocol's bound).
pub const MAX_ADDRESS_LEN: usize = 48;

/// The code as shown, in two groups of four: `WDJB-MJHT`.
pub type ShownCode = String<{ CODE_LEN + 1 }>;

/// What the QR code holds: `{address}?code={CODE}`.
pub type QrText = String<{ MAX_ADDRESS_LEN + 6 + CODE_LEN }>;

/// The shortest poll interval the device keeps to, whatever the gateway says.
const MIN_INTERVAL_MS: u64 = 1_000;

/// The gateway's answer to a link request, as the screens hear it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LinkAnswer {
    /// A code to show (the answer to `LinkStart`).
    Offer {
        /// The code's eight letters.
        code: [u8; CODE_LEN],
        /// The page where the player enters it (`https://gw.example/link`).
        address: String<MAX_ADDRESS_LEN>,
        /// Seconds the code stays valid.
        expires_in_secs: u16,
        /// Seconds between polls.
        poll_interval_secs: u8,
    },
    /// Not approved yet; poll again after this many seconds.
    Waiting {
        /// Seconds before the next poll (larger than before: slow down).
        poll_interval_secs: u8,
    },
    /// Approved: signed in (the module has stored the remember-me token).
    Granted {
        /// The account's display name.
        display_name: DisplayName,
    },
    /// The player declined on the phone.
    Declined,
    /// The code expired or is unknown to the gateway.
    Expired,
    /// The gateway does not know link requests (an older gateway).
    Unsupported,
    /// The exchange failed, or the gateway refused for another reason (busy, throttled).
    Failed(Outcome),
}

/// What a link needs done at a moment ([`Link::due`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Due {
    /// Nothing.
    Nothing,
    /// The countdown shows another second.
    Countdown,
    /// Time to ask whether the link is approved.
    Poll,
    /// The code is past its expiry.
    Expired,
}

/// One link code on screen, and its timing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    code: [u8; CODE_LEN],
    shown: ShownCode,
    address: String<MAX_ADDRESS_LEN>,
    expires_at_ms: u64,
    interval_ms: u64,
    next_poll_ms: u64,
    polling: bool,
    /// The seconds left that the screen shows.
    shown_secs: u32,
}

impl Link {
    /// The code offered at `now_ms`. `None` if the code is not eight letters A–Z.
    pub fn new(
        code: [u8; CODE_LEN],
        address: &str,
        expires_in_secs: u16,
        poll_interval_secs: u8,
        now_ms: u64,
    ) -> Option<Self> {
        if !code.iter().all(u8::is_ascii_uppercase) {
            return None;
        }
        let mut shown = ShownCode::new();
        for (i, letter) in code.iter().enumerate() {
            if i == CODE_LEN / 2 {
                shown.push('-').ok()?;
            }
            shown.push(char::from(*letter)).ok()?;
        }
        let interval_ms = interval_ms(poll_interval_secs);
        let expires_at_ms = now_ms.saturating_add(u64::from(expires_in_secs) * 1000);
        Some(Self {
            code,
            shown,
            address: address.try_into().ok()?,
            expires_at_ms,
            interval_ms,
            next_poll_ms: now_ms.saturating_add(interval_ms),
            polling: false,
            shown_secs: u32::from(expires_in_secs),
        })
    }

    /// The code's eight letters, as sent back in each poll.
    pub fn code(&self) -> &[u8; CODE_LEN] {
        &self.code
    }

    /// The code as shown: `WDJB-MJHT`.
    pub fn shown_code(&self) -> &str {
        &self.shown
    }

    /// The address as the gateway sent it.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The address to type: without `https://` (or `http://`).
    pub fn short_address(&self) -> &str {
        let address = self.address.as_str();
        address
            .strip_prefix("https://")
            .or_else(|| address.strip_prefix("http://"))
            .unwrap_or(address)
    }

    /// What the QR code holds: the address with the code in it, so a phone that scans it
    /// opens the page with the code filled in.
    pub fn qr_text(&self) -> QrText {
        let mut text = QrText::new();
        // Cannot fail: the capacity is the address's bound plus the rest.
        let _ = text.push_str(&self.address);
        let _ = text.push_str("?code=");
        for letter in self.code {
            let _ = text.push(char::from(letter));
        }
        text
    }

    /// Whole seconds the code is still valid at `now_ms` (rounded up: `0` only once expired).
    pub fn remaining_secs(&self, now_ms: u64) -> u32 {
        let left = self.expires_at_ms.saturating_sub(now_ms);
        u32::try_from(left.div_ceil(1000)).unwrap_or(u32::MAX)
    }

    /// The seconds left the screen shows (updated by [`Link::due`]).
    pub fn shown_secs(&self) -> u32 {
        self.shown_secs
    }

    /// The poll interval in force, in milliseconds.
    pub fn interval_ms(&self) -> u64 {
        self.interval_ms
    }

    /// Whether a poll is in flight.
    pub fn polling(&self) -> bool {
        self.polling
    }

    /// What is due at `now_ms`, most urgent first; a poll is marked in flight and the
    /// countdown's shown seconds move on as they are reported.
    pub fn due(&mut self, now_ms: u64) -> Due {
        if now_ms >= self.expires_at_ms {
            return Due::Expired;
        }
        if !self.polling && now_ms >= self.next_poll_ms {
            self.polling = true;
            return Due::Poll;
        }
        let left = self.remaining_secs(now_ms);
        if left != self.shown_secs {
            self.shown_secs = left;
            return Due::Countdown;
        }
        Due::Nothing
    }

    /// When [`Link::due`] next has something to do.
    pub fn next_due(&self) -> u64 {
        // The next whole second of the countdown.
        let next_second = self
            .expires_at_ms
            .saturating_sub(u64::from(self.shown_secs.saturating_sub(1)) * 1000);
        let mut due = self.expires_at_ms.min(next_second);
        if !self.polling {
            due = due.min(self.next_poll_ms);
        }
        due
    }

    /// The gateway answered a poll at `now_ms`: still waiting, poll again after its interval.
    /// A longer interval than before is the gateway's "slow down" and stays; a shorter one is
    /// ignored, so a forged or confused answer can only make the device poll less often.
    pub fn waiting(&mut self, poll_interval_secs: u8, now_ms: u64) {
        self.interval_ms = self.interval_ms.max(interval_ms(poll_interval_secs));
        self.polling = false;
        self.next_poll_ms = now_ms.saturating_add(self.interval_ms);
    }
}

fn interval_ms(secs: u8) -> u64 {
    (u64::from(secs) * 1000).max(MIN_INTERVAL_MS)
}

/// `secs` as minutes and seconds, `9:58`, into `out`.
///
/// # Errors
/// Whatever `out` returns.
pub fn clock(out: &mut impl core::fmt::Write, secs: u32) -> core::fmt::Result {
    let mut digits = [0u8; 10];
    out.write_str(crate::text::decimal(secs / 60, &mut digits))?;
    out.write_str(if secs % 60 < 10 { ":0" } else { ":" })?;
    out.write_str(crate::text::decimal(secs % 60, &mut digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(now: u64) -> Link {
        Link::new(*b"WDJBMJHT", "https://gw.example/link", 600, 5, now).unwrap()
    }

    #[test]
    fn the_code_shows_in_two_groups_and_the_qr_carries_it() {
        let link = link(0);
        assert_eq!(link.shown_code(), "WDJB-MJHT");
        assert_eq!(link.short_address(), "gw.example/link");
        assert_eq!(link.qr_text(), "https://gw.example/link?code=WDJBMJHT");
        let longest = "https://".to_owned() + &"a".repeat(MAX_ADDRESS_LEN - 8);
        let long = Link::new(*b"WDJBMJHT", &longest, 600, 5, 0).unwrap();
        assert!(long.qr_text().ends_with("?code=WDJBMJHT"));
    }

    #[test]
    fn a_code_that_is_not_letters_is_refused() {
        assert!(Link::new(*b"WDJB-MJH", "https://gw.example/link", 600, 5, 0).is_none());
        assert!(Link::new(*b"wdjbmjht", "https://gw.example/link", 600, 5, 0).is_none());
        let too_long = "x".repeat(MAX_ADDRESS_LEN + 1);
        assert!(Link::new(*b"WDJBMJHT", &too_long, 600, 5, 0).is_none());
    }

    #[test]
    fn polls_come_at_the_interval_one_at_a_time() {
        let mut link = link(1_000);
        assert_eq!(link.due(5_999), Due::Countdown);
        assert_eq!(link.due(5_999), Due::Nothing);
        assert_eq!(link.next_due(), 6_000);
        assert_eq!(link.due(6_000), Due::Poll);
        // In flight: no second poll however long the answer takes.
        assert_eq!(link.due(20_000), Due::Countdown);
        assert_eq!(link.due(20_500), Due::Nothing);
        link.waiting(5, 21_000);
        assert_eq!(link.due(25_999), Due::Countdown);
        assert_eq!(link.due(26_000), Due::Poll);
    }

    #[test]
    fn slow_down_lengthens_the_interval_for_good() {
        let mut link = link(0);
        assert_eq!(link.due(5_000), Due::Poll);
        link.waiting(10, 5_000);
        assert_eq!(link.interval_ms(), 10_000);
        assert_eq!(link.due(14_999), Due::Countdown);
        assert_eq!(link.due(15_000), Due::Poll);
        // A shorter interval later does not speed the device up again.
        link.waiting(1, 15_000);
        assert_eq!(link.interval_ms(), 10_000);
        assert_eq!(link.due(16_000), Due::Countdown);
        assert_eq!(link.due(24_999), Due::Countdown);
        assert_eq!(link.due(25_000), Due::Poll);
        // Zero from the gateway still leaves a second between polls.
        let mut eager = Link::new(*b"WDJBMJHT", "https://gw.example/link", 600, 0, 0).unwrap();
        assert_eq!(eager.interval_ms(), MIN_INTERVAL_MS);
        assert_eq!(eager.due(999), Due::Nothing);
        assert_eq!(eager.due(1_000), Due::Poll);
    }

    #[test]
    fn the_countdown_reaches_expiry() {
        let mut link = link(0);
        assert_eq!(link.remaining_secs(0), 600);
        assert_eq!(link.remaining_secs(1), 600);
        assert_eq!(link.remaining_secs(1_000), 599);
        assert_eq!(link.due(599_999), Due::Poll);
        assert_eq!(link.due(599_999), Due::Countdown);
        assert_eq!(link.shown_secs(), 1);
        assert_eq!(link.next_due(), 600_000);
        assert_eq!(link.due(600_000), Due::Expired);
    }

    #[test]
    fn clocks_read_minutes_and_seconds() {
        let mut out = std::string::String::new();
        clock(&mut out, 598).unwrap();
        assert_eq!(out, "9:58");
        out.clear();
        clock(&mut out, 65).unwrap();
        assert_eq!(out, "1:05");
        out.clear();
        clock(&mut out, 0).unwrap();
        assert_eq!(out, "0:00");
    }
}
