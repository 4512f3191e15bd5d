//! How a gateway is tuned: password hashing cost, token and ticket lifetimes, randomness.

use std::time::Duration;

use crate::link::rules::LinkPolicy;
use crate::pace::{self, Pace};
use padlock_protocol::LinkAddress;

/// Argon2id cost parameters for primary passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Argon2Params {
    /// OWASP's recommended argon2id setting (19 MiB, 2 passes, 1 lane): tens of milliseconds
    /// per verification on a server core.
    pub const PRODUCTION: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// Cheap parameters for tests and demos (insecure: never for real accounts).
    pub const FAST: Self = Self {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
}

/// A gateway's settings. `Default` is the production setting.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Cost of argon2id for primary passwords (new hashes, and the dummy hash that unknown
    /// accounts are verified against so that their failure costs the same).
    pub argon2: Argon2Params,
    /// How long a remember-me token stays valid after it was issued; every `Resume` starts the
    /// period again (sliding expiry).
    pub token_lifetime: Duration,
    /// How long the session ticket of a `Granted` stays valid ([`crate::ticket`]).
    pub ticket_lifetime: Duration,
    /// How often one device key may be granted a `SignIn` ([`crate::pace`]).
    pub sign_in_pace: Pace,
    /// How often one device key may be granted a `Resume` ([`crate::pace`]).
    pub resume_pace: Pace,
    /// A seed for the gateway's random generator (ChaCha20): the simulator replays a scenario
    /// bit for bit with it. `None`: seeded from the operating system.
    pub seed: Option<[u8; 32]>,
    /// The phone link's rules ([`crate::link`]).
    pub link: LinkPolicy,
    /// The address of the page where players enter a link code (`serve --link-address`, e.g.
    /// `https://gw.example/link`). `None`: this gateway offers no phone link, and answers link
    /// requests `Denied { UnsupportedVersion }` (docs/protocol.md section 9).
    pub link_address: Option<LinkAddress>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            argon2: Argon2Params::PRODUCTION,
            token_lifetime: Duration::from_secs(90 * 24 * 3600),
            ticket_lifetime: Duration::from_secs(12 * 3600),
            sign_in_pace: pace::SIGN_INS,
            resume_pace: pace::RESUMES,
            seed: None,
            link: LinkPolicy::default(),
            link_address: None,
        }
    }
}

impl GatewayConfig {
    /// Cheap argon2 parameters, for tests and the simulator's demo.
    pub fn fast_hashing(self) -> Self {
        Self {
            argon2: Argon2Params::FAST,
            ..self
        }
    }

    /// Offers the phone link, with its page at `address` (`https://gw.example/link`).
    pub fn with_link_address(self, address: LinkAddress) -> Self {
        Self {
            link_address: Some(address),
            ..self
        }
    }

    /// A deterministic random generator seeded with `seed`, for simulator replay. Keys, app
    /// passwords and tokens become predictable from the seed: never in production.
    pub fn seeded(self, seed: [u8; 32]) -> Self {
        Self {
            seed: Some(seed),
            ..self
        }
    }
}
