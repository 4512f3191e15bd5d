//! The one error type of the gateway's administration and start-up.
//!
//! `answer` never returns an error: a failure while answering becomes a `Denied { ServerError }`
//! reply (or a closed connection), and is logged. Everything else (opening the database, the
//! admin commands) returns [`Error`], whose `Display` is meant for the operator.

use std::path::PathBuf;

/// What went wrong, in words an operator can act on.
#[derive(Debug)]
pub enum Error {
    /// No account has this email address.
    UnknownAccount(String),
    /// An account with this email address (compared case-insensitively) already exists.
    DuplicateAccount(String),
    /// The account has no app password with this id.
    UnknownAppPassword(i64),
    /// The account has no remember-me token with this id.
    UnknownToken(i64),
    /// An argument the gateway cannot accept (empty email, name too long, ...).
    InvalidInput(String),
    /// The database file does not exist (and the caller asked not to create it).
    MissingDatabase(PathBuf),
    /// The database exists but its key file does not: without it no app password or token in the
    /// database can be checked, so the gateway refuses to make new keys silently.
    MissingKeys(PathBuf),
    /// The key file is not a Padlock gateway key file, or is damaged.
    CorruptKeys(PathBuf),
    /// The database file is not a Padlock gateway database, or is damaged.
    CorruptDatabase(String),
    /// The database was written by a newer gateway whose schema this one does not know.
    NewerDatabase {
        /// Schema version found in the file.
        found: u32,
        /// Highest schema version this gateway knows.
        supported: u32,
    },
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// SQLite failed.
    Database(rusqlite::Error),
    /// PostgreSQL failed (or the connection to it broke).
    Postgres(postgres::Error),
    /// No connection to PostgreSQL could be had in time (it is down or unreachable, or every
    /// pooled connection is busy).
    PostgresPool(r2d2::Error),
    /// Password hashing failed (bad parameters).
    Hashing(String),
    /// The operating system's random generator failed.
    Random(String),
    /// The request needs an argon2id verification and the caller asked the core to leave it to
    /// another thread ([`crate::gateway::PasswordHashing::Defer`]); nothing was changed. Only
    /// the core's staged answer sees it; no administration method returns it.
    PasswordHashDeferred,
    /// A database or key file the gateway will not use: a symbolic link, another user's file,
    /// or one open to group or others (see the `files` module).
    UnsafeFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it, and what to do.
        why: String,
    },
    /// A key-encryption key or a sealed key bundle was refused ([`crate::keys::sealed`]).
    SealedKeys(crate::keys::sealed::SealError),
    /// `store copy` was refused or its check failed ([`crate::store::copy`]).
    Copy(crate::store::copy::CopyError),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownAccount(email) => write!(f, "unknown account {email}"),
            Self::DuplicateAccount(email) => write!(f, "an account {email} already exists"),
            Self::UnknownAppPassword(id) => write!(f, "the account has no app password {id}"),
            Self::UnknownToken(id) => write!(f, "the account has no remember-me token {id}"),
            Self::InvalidInput(what) => write!(f, "invalid input: {what}"),
            Self::MissingDatabase(path) => write!(f, "database {} does not exist", path.display()),
            Self::MissingKeys(path) => write!(
                f,
                "gateway key file {} is missing; the database cannot be used without it",
                path.display()
            ),
            Self::CorruptKeys(path) => write!(
                f,
                "gateway key file {} is not a valid Padlock key file",
                path.display()
            ),
            Self::CorruptDatabase(why) => {
                write!(f, "not a valid Padlock gateway database: {why}")
            }
            Self::NewerDatabase { found, supported } => write!(
                f,
                "database schema version {found} is newer than this gateway's ({supported}); upgrade the gateway"
            ),
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Self::Database(e) => write!(f, "database error: {e}"),
            Self::Postgres(e) => write!(f, "PostgreSQL error: {e}"),
            Self::PostgresPool(e) => write!(f, "no PostgreSQL connection: {e}"),
            Self::Hashing(why) => write!(f, "password hashing failed: {why}"),
            Self::Random(why) => write!(f, "the system random generator failed: {why}"),
            Self::PasswordHashDeferred => f.write_str("the password check was deferred"),
            Self::UnsafeFile { path, why } => {
                write!(f, "refusing to use {}: {why}", path.display())
            }
            Self::SealedKeys(why) => why.fmt(f),
            Self::Copy(why) => why.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Database(e) => Some(e),
            Self::Postgres(e) => Some(e),
            Self::PostgresPool(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
                Self::CorruptDatabase(e.to_string())
            }
            _ => Self::Database(e),
        }
    }
}

impl From<crate::keys::sealed::SealError> for Error {
    fn from(why: crate::keys::sealed::SealError) -> Self {
        Self::SealedKeys(why)
    }
}

impl From<crate::store::copy::CopyError> for Error {
    fn from(why: crate::store::copy::CopyError) -> Self {
        Self::Copy(why)
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        Self::Postgres(e)
    }
}

impl From<r2d2::Error> for Error {
    fn from(e: r2d2::Error) -> Self {
        Self::PostgresPool(e)
    }
}
