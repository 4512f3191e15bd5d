//! One suite, every store: each rule of the store's contract (the docs of the role traits in
//! `padlock_server::store`) is a function over `&dyn Store`, and every backend runs all of them.
//!
//! A backend is added with one line, `conformance!(name, fixture)`: `fixture` is an expression
//! that makes a fresh, empty store (anything [`Fixture`]: a store, or a wrapper that cleans up
//! after it) and is evaluated once per rule; attributes before the name (an `ignore` when the
//! database is missing) go on every test. Each rule then shows as its own test,
//! `name::rule`. The rules are grouped by role, one module each, and `shared` holds those
//! about two gateways on one database ([`Fixture::another`]).
//!
//! Rules that only one backend can break the way they are written (SQLite's file modes, its
//! migrations from older files, a database edited by hand) stay with that backend's own tests.

mod accounts;
mod app_passwords;
mod devices;
mod links;
mod replays;
mod shared;
mod throttle;
mod tokens;
mod web;

use padlock_protocol::PublicKey;
use padlock_server::store::NewToken;
use padlock_server::{PostgresStore, SqliteStore, Store, UnixMillis};

/// A fresh store for one rule.
pub trait Fixture {
    /// The store under test.
    fn store(&self) -> &dyn Store;
    /// The store of another gateway process on the same database, if the backend can open one.
    /// Without (an in-memory database is its process's alone), the `shared` rules play both
    /// gateways on the one store.
    fn another(&self) -> Option<Box<dyn Store>> {
        None
    }
}

impl<S: Store> Fixture for S {
    fn store(&self) -> &dyn Store {
        self
    }
}

/// A SQLite store in a file of its own: reads go through the reader connections, writes are
/// synced, as in a deployment.
struct SqliteFile {
    store: SqliteStore,
    dir: tempfile::TempDir,
}

impl SqliteFile {
    const NAME: &str = "gateway.db";

    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join(Self::NAME)).unwrap();
        Self { store, dir }
    }
}

impl Fixture for SqliteFile {
    fn store(&self) -> &dyn Store {
        &self.store
    }

    fn another(&self) -> Option<Box<dyn Store>> {
        Some(Box::new(
            SqliteStore::open(&self.dir.path().join(Self::NAME)).unwrap(),
        ))
    }
}

/// Makes one test per rule for a backend (see the module docs).
macro_rules! conformance {
    ($(#[$attr:meta])* $backend:ident, $fixture:expr) => {
        conformance!(@each [$(#[$attr])*] $backend, $fixture;
            accounts::accounts_are_found_by_key_and_by_id_and_keys_are_unique,
            accounts::changing_the_primary_password_signs_out_what_it_remembered,
            app_passwords::app_passwords_are_found_by_hash_within_their_account,
            app_passwords::revoking_app_passwords_revokes_their_tokens,
            app_passwords::app_password_ids_are_never_given_out_again,
            tokens::rotation_is_all_or_nothing_and_only_once,
            tokens::a_token_is_inserted_and_rotated_only_while_its_credential_signs_in,
            tokens::a_family_keeps_its_newest_generations,
            tokens::a_device_key_keeps_its_newest_families,
            tokens::successor_answers_are_recognised_and_capped,
            tokens::revoking_counts_live_families,
            tokens::expired_tokens_are_not_listed_and_are_forgotten,
            replays::a_granted_sign_in_is_remembered_once_until_forgotten,
            replays::concurrent_claims_succeed_once_each,
            throttle::failures_add_up_per_subject_in_one_call,
            throttle::counters_are_rebased_cleared_and_forgotten,
            devices::a_device_sign_in_is_written_at_most_once_per_resolution,
            devices::a_known_device_holding_a_live_token_is_not_forgotten,
            links::links_are_kept_once_per_code_and_counted_while_pending,
            links::a_poll_is_recorded_only_while_the_link_is_pending,
            links::approving_a_link_is_all_or_nothing_and_its_credential_revokes_the_token,
            web::web_sessions_are_touched_and_expire,
            web::two_step_setup_keeps_codes_single_use,
            web::a_password_change_on_the_page_keeps_only_its_own_session,
            web::activity_is_newest_first_and_bounded,
        ; shared:
            attempts_in_flight_count_on_every_gateway,
            one_attempt_at_a_time_across_gateways,
            success_budgets_are_shared,
            a_grant_claimed_on_one_gateway_is_a_replay_on_the_other,
            tokens_and_counters_written_by_one_gateway_hold_on_the_other,
            a_link_started_on_one_gateway_is_decided_once_on_either,
            pending_link_caps_hold_across_gateways,
        );
    };
    (@each $attrs:tt $backend:ident, $fixture:expr;
        $($role:ident::$rule:ident,)* ; shared: $($shared:ident,)*) => {
        mod $backend {
            use super::*;
            $(conformance!(@one $attrs $fixture; $role::$rule);)*
            $(conformance!(@two $attrs $fixture; $shared);)*
        }
    };
    (@one [$($attr:tt)*] $fixture:expr; $role:ident::$rule:ident) => {
        #[test]
        $($attr)*
        fn $rule() {
            let fixture = $fixture;
            $role::$rule(Fixture::store(&fixture));
        }
    };
    (@two [$($attr:tt)*] $fixture:expr; $rule:ident) => {
        #[test]
        $($attr)*
        fn $rule() {
            let fixture = $fixture;
            let another = Fixture::another(&fixture);
            let store = Fixture::store(&fixture);
            shared::$rule(store, another.as_deref().unwrap_or(store));
        }
    };
}

conformance!(sqlite_memory, SqliteStore::in_memory().unwrap());
conformance!(sqlite_file, SqliteFile::new());
conformance!(
    #[cfg_attr(
        padlock_no_postgres,
        ignore = "needs PostgreSQL: PADLOCK_TEST_POSTGRES is not set (eval \"$(.ci/postgres start)\")"
    )]
    postgres,
    PostgresScratch::new()
);

#[path = "../common/postgres.rs"]
mod postgres_db;

/// A PostgreSQL store on a scratch database of its own, dropped after the rule.
struct PostgresScratch {
    // Declared first: its connections close before the database is dropped.
    store: PostgresStore,
    database: postgres_db::ScratchDatabase,
}

impl PostgresScratch {
    fn new() -> Self {
        let database = postgres_db::ScratchDatabase::new();
        let store = PostgresStore::open(&database.url).unwrap();
        assert!(
            store.links().is_some(),
            "the PostgreSQL store keeps phone links: the link rules must run on it"
        );
        Self { store, database }
    }
}

impl Fixture for PostgresScratch {
    fn store(&self) -> &dyn Store {
        &self.store
    }

    fn another(&self) -> Option<Box<dyn Store>> {
        Some(Box::new(PostgresStore::open(&self.database.url).unwrap()))
    }
}

/// Adds account `n` (1, 2, …: `player{n}@example.com`, primary password hash
/// [`primary_hash`]) and returns its id.
fn add_account(store: &dyn Store, n: u8, two_step: bool) -> i64 {
    let email = format!("player{n}@example.com");
    store
        .insert_account(&email, &email, "Player", &primary_hash(n), two_step)
        .unwrap()
}

/// The primary password hash account `n` is inserted with.
fn primary_hash(n: u8) -> String {
    format!("$argon2id$primary{n}")
}

/// A token generation for `account` from `app_password` (`None`: the primary password), on
/// device key `[device; 32]`, with keyed hash `[hash; 32]`, issued at `at` ms for a second.
fn token(account: i64, app_password: Option<i64>, device: u8, hash: u8, at: u64) -> NewToken {
    NewToken {
        account_id: account,
        app_password_id: app_password,
        device_key: PublicKey([device; 32]),
        hash: [hash; 32],
        created: UnixMillis(at),
        expires: UnixMillis(at + 1_000),
    }
}

/// An account with two-step on and one app password: `(account, app password)`.
fn account_with_app_password(store: &dyn Store) -> (i64, i64) {
    let account = add_account(store, 1, true);
    let app = store
        .insert_app_password(account, "Xbox", &[1; 32], UnixMillis(0))
        .unwrap();
    (account, app)
}
