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
//! | throttle | [`ThrottleStore`] | failure counters per subject |
//! | known devices | [`DeviceStore`] | which device keys signed in to which account |
//! | Security info page | [`SecurityStore`] | web sessions, two-step secrets, activity |
//!
//! [`Store`] is all of them together (the Security info page's optionally, through
//! [`Store::security`]): the gateway takes a `Box<dyn Store>`, and every role's methods are
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

mod accounts;
mod app_passwords;
pub mod copy;
mod devices;
pub mod postgres;
mod replays;
pub mod security;
mod sqlite;
mod throttle;
mod tokens;

pub use accounts::{AccountRecord, AccountStore};
pub use app_passwords::{AppPasswordRecord, AppPasswordStore};
pub use devices::{DeviceStore, KnownDevice};
pub use postgres::PostgresStore;
pub use replays::ReplayStore;
pub use security::SecurityStore;
pub use sqlite::SqliteStore;
pub use throttle::{ThrottleRecord, ThrottleStore};
pub use tokens::{
    ANSWERS_PER_TOKEN, FAMILIES_PER_DEVICE, GENERATIONS_KEPT, NewToken, TokenRecord, TokenState,
    TokenStore,
};

/// The gateway's persistent state: every role at once. Implementations are shared between
/// threads.
pub trait Store:
    AccountStore + AppPasswordStore + TokenStore + ReplayStore + ThrottleStore + DeviceStore
{
    /// The Security info page's state ([`SecurityStore`]), if this store keeps it. Default:
    /// `None` (a store for the device door only; `serve --web` refuses to start on it).
    fn security(&self) -> Option<&dyn SecurityStore> {
        None
    }

    /// Rows this store has inserted, updated or deleted since it was opened, if the backend
    /// counts them: what the benchmarks divide by sign-ins to give a database's share of the
    /// work. Default: `None`.
    fn rows_written(&self) -> Option<u64> {
        None
    }
}
