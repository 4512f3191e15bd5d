//! Where the gateway keeps its state, behind the [`Store`] trait and its role traits.
//!
//! The gateway's rules ([`crate::rules`]) speak to the store in the roles' terms only, one small
//! trait per role, each with its records beside it:
//!
//! | role | trait | holds |
//! |---|---|---|
//! | accounts | [`AccountStore`] | email, display name, primary password hash, two-step flag |
//! | app passwords | [`AppPasswordStore`] | their keyed hashes, names, last use |
//! | tokens | [`TokenStore`] | remember-me families, rotation, successor answers |
//! | replays | [`ReplayStore`] | granted sign-ins (their message 1), group commit |
//! | throttle | [`ThrottleStore`] | failure counters per subject, attempts in flight |
//! | pacing | [`PaceStore`] | when each device key's budget of successes is full again |
//! | known devices | [`DeviceStore`] | which device keys signed in to which account |
//! | phone links | [`LinkStore`] | links waiting for approval, bound to a device key |
//! | Security info page | [`SecurityStore`] | web sessions, two-step secrets, activity |
//!
//! [`Store`] is all of them together (the Security info page's and the phone links' optionally,
//! through [`Store::security`] and [`Store::links`]): the gateway takes a `Box<dyn Store>`, and every role's methods are
//! callable on it. A backend implements each role in a module of its own (`sqlite/accounts.rs`,
//! `sqlite/tokens.rs`, …). [`SqliteStore`] is the embedded implementation (a file, or in memory
//! for the simulator); a PostgreSQL backend for deployments that outgrow one machine implements
//! the same traits.
//!
//! What an implementation must guarantee:
//! - **Atomicity where the rules need it**: [`TokenStore::rotate_token`] supersedes a token,
//!   records what consumed it and inserts its successor in one transaction, or does nothing;
//!   revoking an app password revokes its tokens in the same transaction; a token is inserted
//!   only if its credential still signs in, checked in the inserting statement, so no token
//!   outlives a revocation that raced the sign-in.
//! - **Durability of what was acknowledged**: once a method returns `Ok`, a crash of the process
//!   (or, with the SQLite store's `synchronous = FULL`, of the machine) does not lose the write.
//!   [`ReplayStore::remember_granted_sign_in`] may instead keep its claims in memory until
//!   [`ReplayStore::commit_granted_sign_ins`] writes them in one batch (group commit: it runs
//!   on every granted sign-in); the gateway sends no `Granted` before its claim is committed.
//! - **No secret in clear**: the store only ever sees keyed hashes and argon2id strings.
//! - **Bounded per device**: a token family keeps its newest [`GENERATIONS_KEPT`] generations
//!   (older ones are deleted by the rotation that makes them older), one device key keeps at most
//!   [`FAMILIES_PER_DEVICE`] families (starting one more deletes the oldest), a used-up token
//!   keeps at most [`ANSWERS_PER_TOKEN`] recorded retries, and
//!   [`TokenStore::forget_tokens_expired_before`] deletes what expired. With the pacing of
//!   successes ([`crate::pace`]) the database grows with the number of active devices, not their
//!   traffic.
//! - **Shared at once by every process on the database** (several gateways in front of one
//!   database): what one process writes, another's next read sees, and each rule that decides
//!   between racing requests is decided inside the database (one transaction, or one statement),
//!   never in a process's memory. The conformance suite (`server/tests/store_conformance`)
//!   checks it with two stores on one database.
//!
//! # What lives where
//!
//! Every limit that must hold across gateways is in the database: the throttle's counters and
//! its attempts in flight ([`ThrottleStore::begin_attempt`], with a lease, so that a crashed
//! gateway's attempts stop counting), the pacing of successes ([`PaceStore`]), the replay
//! memory of granted sign-ins ([`ReplayStore`]: a claim is in the database when it returns;
//! only its durability waits for the group commit), token generations with their successor
//! answers (the grace-window retries), known devices, and the Security info page's sessions,
//! secrets and codes. A second gateway on the same database therefore counts the same guesses,
//! closes the same replays and answers the same late retries.
//!
//! What each process still keeps in memory, and why that is safe:
//! - **Failures its store could not record** ([`crate::throttle`], "Failing closed"): counted on
//!   top of the stored counters, so they only make this process stricter, never laxer; another
//!   process does not see them, but it does not see the database's write fail either, and the
//!   stored counters stay a floor for everyone.
//! - **The numbering of its own claims** (how many it made, how many are durable): which of its
//!   own held `Granted` replies may leave. The claims themselves, which decide replays, are in
//!   the database.
//! - **Housekeeping cadence** (every so many grants or failures, old rows are deleted):
//!   counters that only say when to prune; any process's pruning serves all.
//! - **Load limits of `serve`** (the password pool, per-source connection and verification
//!   caps, [`crate::serve`]): they protect this process's CPU and sockets, not an account;
//!   each gateway bounds its own machine, and the per-account cap is the throttle's, in the
//!   database.
//! - **The keys** read at start (the Noise static key, the hashing key): the same in every
//!   process of a deployment, so session tickets ([`crate::ticket`]), keyed hashes and replies
//!   are interchangeable between gateways; nothing about a request is kept between requests.

mod accounts;
mod app_passwords;
mod devices;
mod links;
mod pace;
mod replays;
pub mod security;
mod sqlite;
mod throttle;
mod tokens;

pub use accounts::{AccountRecord, AccountStore};
pub use app_passwords::{AppPasswordRecord, AppPasswordStore};
pub use devices::{DeviceStore, KnownDevice};
pub use links::{LinkApproval, LinkRecord, LinkStore};
pub use pace::PaceStore;
pub use replays::ReplayStore;
pub use security::SecurityStore;
pub use sqlite::SqliteStore;
pub use throttle::{AttemptId, SubjectCount, ThrottleRecord, ThrottleStore};
pub use tokens::{
    ANSWERS_PER_TOKEN, FAMILIES_PER_DEVICE, GENERATIONS_KEPT, NewToken, TokenRecord, TokenState,
    TokenStore,
};

/// The gateway's persistent state: every role at once. Implementations are shared between
/// threads.
pub trait Store:
    AccountStore + AppPasswordStore + TokenStore + ReplayStore + ThrottleStore + PaceStore + DeviceStore
{
    /// The Security info page's state ([`SecurityStore`]), if this store keeps it. Default:
    /// `None` (a store for the device door only; `serve --web` refuses to start on it).
    fn security(&self) -> Option<&dyn SecurityStore> {
        None
    }

    /// The phone links' state ([`LinkStore`]), if this store keeps it. Default: `None` (the
    /// gateway then answers link requests as a gateway without them does, and the device hides
    /// its phone choice).
    fn links(&self) -> Option<&dyn LinkStore> {
        None
    }

    /// How many write calls this store has made since it was opened (`padlock-server`'s
    /// `signin` bench divides them by the sign-ins it granted: a database's share of a
    /// sign-in's cost).
    fn writes(&self) -> WriteCount;
}

/// Write calls a store made ([`Store::writes`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteCount {
    /// Writes durable when they returned: a synced commit each (if they changed anything).
    pub synced: u64,
    /// Writes committed at once but synced later, with a synced write of any process
    /// (attempts in flight, success budgets, claims of grants: see each backend).
    pub unsynced: u64,
}
