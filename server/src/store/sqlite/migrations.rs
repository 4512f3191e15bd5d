//! The SQLite schema, as a list of versioned migrations.
//!
//! `PRAGMA user_version` holds how many migrations a database has had; opening applies the
//! missing ones in order, each in its own transaction with its version bump, so a crash between
//! two leaves a database at a known version. `PRAGMA application_id` marks the file as a Padlock
//! gateway database, so another program's SQLite file is refused instead of being "migrated".
//! A migration is never edited once released: changes are new entries at the end.

/// `PLGW` in ASCII: this file is a Padlock gateway database.
pub(super) const APPLICATION_ID: i32 = 0x504c_4757;

/// Migration `i` takes a database from version `i` to `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: accounts, app passwords, remember-me tokens, throttling counters.
    "
    CREATE TABLE accounts (
        id            INTEGER PRIMARY KEY,
        email         TEXT NOT NULL,
        email_key     TEXT NOT NULL UNIQUE,
        display_name  TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        two_step      INTEGER NOT NULL
    );
    CREATE TABLE app_passwords (
        id          INTEGER PRIMARY KEY,
        account_id  INTEGER NOT NULL REFERENCES accounts(id),
        name        TEXT NOT NULL,
        hash        BLOB NOT NULL,
        created     INTEGER NOT NULL,
        last_used   INTEGER,
        last_device TEXT
    );
    CREATE UNIQUE INDEX app_passwords_by_hash ON app_passwords(account_id, hash);
    CREATE TABLE tokens (
        id              INTEGER PRIMARY KEY,
        family          INTEGER NOT NULL,
        account_id      INTEGER NOT NULL REFERENCES accounts(id),
        app_password_id INTEGER,
        device_key      BLOB NOT NULL,
        hash            BLOB NOT NULL UNIQUE,
        created         INTEGER NOT NULL,
        expires         INTEGER NOT NULL,
        state           INTEGER NOT NULL,
        superseded_at   INTEGER,
        consumed_by     BLOB,
        successor       INTEGER
    );
    CREATE INDEX tokens_by_family ON tokens(family);
    CREATE INDEX tokens_by_account ON tokens(account_id, state);
    CREATE INDEX tokens_by_app_password ON tokens(app_password_id);
    CREATE TABLE throttle (
        subject      BLOB PRIMARY KEY,
        failures     INTEGER NOT NULL,
        last_failure INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX throttle_by_age ON throttle(last_failure);
    ",
    // 2: app password ids are never reused (AUTOINCREMENT), so a token's `app_password_id` can
    // never come to name a newer app password. The sequence starts above every id a table or a
    // token row has ever held.
    "
    ALTER TABLE app_passwords RENAME TO app_passwords_v1;
    DROP INDEX app_passwords_by_hash;
    CREATE TABLE app_passwords (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id  INTEGER NOT NULL REFERENCES accounts(id),
        name        TEXT NOT NULL,
        hash        BLOB NOT NULL,
        created     INTEGER NOT NULL,
        last_used   INTEGER,
        last_device TEXT
    );
    INSERT INTO app_passwords (id, account_id, name, hash, created, last_used, last_device)
        SELECT id, account_id, name, hash, created, last_used, last_device FROM app_passwords_v1;
    DROP TABLE app_passwords_v1;
    CREATE UNIQUE INDEX app_passwords_by_hash ON app_passwords(account_id, hash);
    DELETE FROM sqlite_sequence WHERE name = 'app_passwords';
    INSERT INTO sqlite_sequence (name, seq) SELECT 'app_passwords', max(
        (SELECT coalesce(max(id), 0) FROM app_passwords),
        (SELECT coalesce(max(app_password_id), 0) FROM tokens));
    ",
    // 3: message 1s remembered to recognise replays: of a granted SignIn (for 90 days), and of a
    // Resume retry answered with a token's successor (the first is `tokens.consumed_by`).
    "
    CREATE TABLE granted_sign_ins (
        message_1 BLOB PRIMARY KEY,
        at        INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX granted_sign_ins_by_age ON granted_sign_ins(at);
    CREATE TABLE successor_answers (
        message_1 BLOB PRIMARY KEY,
        token_id  INTEGER NOT NULL
    ) WITHOUT ROWID;
    ",
    // 4: the devices that signed in to an account, as they last described themselves (`NULL`:
    // not since this table exists). A device known to the account is not held back by the
    // account's throttling counter, and the Security info page lists it. Every device that was
    // given a token is known from the start. Tokens are found by device key (to cap the
    // families of one device) and by expiry, and recorded retries by token (to delete them
    // with it).
    "
    CREATE TABLE known_devices (
        account_id  INTEGER NOT NULL REFERENCES accounts(id),
        device_key  BLOB NOT NULL,
        description TEXT,
        first_seen  INTEGER NOT NULL,
        last_seen   INTEGER NOT NULL,
        PRIMARY KEY (account_id, device_key)
    ) WITHOUT ROWID;
    CREATE INDEX known_devices_by_age ON known_devices(last_seen);
    INSERT INTO known_devices (account_id, device_key, first_seen, last_seen)
        SELECT account_id, device_key, min(created), max(created) FROM tokens
        GROUP BY account_id, device_key;
    CREATE INDEX tokens_by_device ON tokens(device_key);
    CREATE INDEX tokens_by_expiry ON tokens(expires);
    CREATE INDEX successor_answers_by_token ON successor_answers(token_id);
    ",
    // 5: the Security info page (crate::web): web sessions (keyed hashes of their cookies),
    // authenticator secrets (sealed) with the last step used, recovery codes (keyed hashes),
    // and recent activity. (The devices it lists are migration 4's known devices.)
    "
    CREATE TABLE web_sessions (
        hash         BLOB PRIMARY KEY,
        account_id   INTEGER NOT NULL REFERENCES accounts(id),
        stage        INTEGER NOT NULL,
        created      INTEGER NOT NULL,
        last_seen    INTEGER NOT NULL,
        last_auth    INTEGER NOT NULL,
        pending_totp BLOB
    ) WITHOUT ROWID;
    CREATE INDEX web_sessions_by_account ON web_sessions(account_id);
    CREATE TABLE totp (
        account_id INTEGER PRIMARY KEY REFERENCES accounts(id),
        sealed     BLOB NOT NULL,
        last_step  INTEGER NOT NULL
    );
    CREATE TABLE recovery_codes (
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        hash       BLOB NOT NULL,
        PRIMARY KEY (account_id, hash)
    ) WITHOUT ROWID;
    CREATE TABLE activity (
        id         INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        at         INTEGER NOT NULL,
        kind       INTEGER NOT NULL,
        detail     TEXT NOT NULL
    );
    CREATE INDEX activity_by_account ON activity(account_id, id);
    ",
    // 6: what several gateway processes on one database must share (crate::store's "What
    // lives where"): password attempts in flight, per throttling subject, each with a lease so
    // that a crashed gateway's attempts stop counting; the success budgets of device keys
    // (crate::pace), as the instant each is full again; and a counter that the group commit of
    // granted sign-ins' claims bumps in the one synced transaction of each batch.
    "
    CREATE TABLE attempts (
        id          INTEGER PRIMARY KEY,
        lease_until INTEGER NOT NULL
    );
    CREATE INDEX attempts_by_lease ON attempts(lease_until);
    CREATE TABLE attempt_subjects (
        subject BLOB NOT NULL,
        attempt INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
        PRIMARY KEY (subject, attempt)
    ) WITHOUT ROWID;
    CREATE INDEX attempt_subjects_by_attempt ON attempt_subjects(attempt);
    CREATE TABLE pace (
        subject BLOB PRIMARY KEY,
        full_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX pace_by_full_at ON pace(full_at);
    CREATE TABLE grant_batches (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        batches INTEGER NOT NULL
    );
    INSERT INTO grant_batches (id, batches) VALUES (1, 0);
    ",
    // 7: phone links waiting for approval (crate::link), by code (its 8 letters), bound to the
    // device key that asked; `state` 0 pending, 1 approved, 2 declined. Deleted once expired.
    "
    CREATE TABLE links (
        code          BLOB PRIMARY KEY,
        device_key    BLOB NOT NULL,
        kind          INTEGER NOT NULL,
        model         TEXT NOT NULL,
        firmware      TEXT NOT NULL,
        created       INTEGER NOT NULL,
        expires       INTEGER NOT NULL,
        interval_secs INTEGER NOT NULL,
        last_poll     INTEGER,
        state         INTEGER NOT NULL,
        seed          BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX links_by_device ON links(device_key, expires);
    CREATE INDEX links_by_expiry ON links(expires);
    ",
];
