//! [`Gateway`]: the sans-IO core. One call, [`Gateway::answer`], turns a request frame body into
//! a reply frame: decode (the Noise handshake through
//! [`Responder`]), dispatch to the rules ([`crate::rules`], [`crate::token`]), reply.
//!
//! What each kind of input gets (`docs/protocol.md` section 8):
//!
//! | input | answer |
//! |---|---|
//! | another protocol version | status frame `UnsupportedVersion` |
//! | message 1 that does not authenticate | status frame `HandshakeRejected` |
//! | a request kind newer than this gateway | `Denied { UnsupportedVersion, 0 }` |
//! | any other malformed body | `None`: close without a reply |
//! | a replay of a message 1 whose `SignIn` was granted (within 90 days) | `None`: close without a reply, change nothing, before any password work ([`crate::rules`]) |
//! | a request | the rules' answer; a store failure is `Denied { ServerError, 0 }` |
//!
//! The gateway reads no clock (the caller passes `now`) and owns no socket. It is `Send + Sync`:
//! the listener calls `answer` from many threads at once.
//!
//! **Staged answers.** [`Gateway::answer`] does everything in one call. A listener under load
//! uses [`Gateway::answer_staged`] instead, which hands two decisions back to it without doing
//! any IO itself: whether to spend an argon2id verification on this request now (requests
//! needing none are answered without waiting behind those that do), and when a `Granted` may
//! leave (after its replay record is synced, [`Gateway::commit_grants`], shared by every grant
//! of the batch).

use std::path::Path;
use std::sync::Mutex;

use padlock_protocol::limits::MAX_WIRE_FRAME_LEN;
use padlock_protocol::session::{ReplyStatus, write_status};
use padlock_protocol::{
    DenyReason, PayloadError, PublicKey, Request, Responder, Response, SessionError,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, RngCore, SeedableRng};

use crate::config::GatewayConfig;
use crate::error::Error;
use crate::hashing::{KeyedHasher, PasswordHasher, domain};
use crate::keys::{GatewayKeys, key_file_path};
use crate::pace::Pacer;
use crate::store::{PostgresStore, SqliteStore, Store};
use crate::throttle::Throttle;
use crate::time::UnixMillis;

/// The sign-in gateway: accounts, app passwords, tokens and throttling over a [`Store`], answering
/// protocol frames. Share it between threads with an `Arc`.
pub struct Gateway {
    pub(crate) config: GatewayConfig,
    pub(crate) keys: GatewayKeys,
    pub(crate) store: Box<dyn Store>,
    pub(crate) passwords: PasswordHasher,
    pub(crate) keyed: KeyedHasher,
    pub(crate) throttle: Throttle,
    pub(crate) pacer: Pacer,
    /// Granted sign-ins so far (to prune the remembered ones now and then).
    pub(crate) grants: std::sync::atomic::AtomicU64,
    rng: Mutex<ChaCha20Rng>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("public_key", &self.keys.noise.public())
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Opens the gateway whose database is the SQLite file `db`, creating the file and the
    /// gateway's keys (in `db` + `.keys`, mode 0600) if the database does not exist yet.
    ///
    /// # Errors
    /// [`Error::MissingKeys`] if the database exists but its key file does not,
    /// [`Error::CorruptKeys`] / [`Error::CorruptDatabase`] / [`Error::NewerDatabase`] for files
    /// this gateway cannot use, [`Error::Io`] / [`Error::Database`] otherwise.
    pub fn open(db: &Path, config: GatewayConfig) -> Result<Gateway, Error> {
        let mut rng = master_rng(&config)?;
        let keys = load_or_create_keys(&key_file_path(db), !db.exists(), &mut rng)?;
        let store = SqliteStore::open(db)?;
        Self::assemble(Box::new(store), keys, config, rng)
    }

    /// Opens the gateway on the PostgreSQL database at `url` (a `postgres://` URL), which other
    /// gateway processes may share, with its keys in the file `keys`. Every gateway on one
    /// database must read the same keys: the first, which finds the database empty, creates the
    /// file (mode 0600) if it does not exist; the others are given a copy of it.
    ///
    /// # Errors
    /// [`Error::MissingKeys`] if the database was already a gateway's and `keys` does not
    /// exist; [`Error::PostgresPool`] if PostgreSQL cannot be reached; as [`Gateway::open`]
    /// otherwise.
    pub fn open_postgres(url: &str, keys: &Path, config: GatewayConfig) -> Result<Gateway, Error> {
        let mut rng = master_rng(&config)?;
        let store = PostgresStore::open(url)?;
        let keys = load_or_create_keys(keys, store.created(), &mut rng)?;
        Self::assemble(Box::new(store), keys, config, rng)
    }

    /// Like [`Gateway::open`], but a missing database is [`Error::MissingDatabase`] instead of a
    /// new one (for administration commands, where a typo in the path should not make a fresh
    /// gateway).
    pub fn open_existing(db: &Path, config: GatewayConfig) -> Result<Gateway, Error> {
        if !db.exists() {
            return Err(Error::MissingDatabase(db.to_owned()));
        }
        Self::open(db, config)
    }

    /// A gateway on a private in-memory database with fresh keys from the config's random
    /// generator (for the simulator and tests).
    pub fn in_memory(config: GatewayConfig) -> Result<Gateway, Error> {
        Self::with_store(Box::new(SqliteStore::in_memory()?), config)
    }

    /// A gateway over any [`Store`] implementation, with fresh keys from the config's random
    /// generator (for other backends, and for tests isolating the rules from SQLite).
    pub fn with_store(store: Box<dyn Store>, config: GatewayConfig) -> Result<Gateway, Error> {
        let mut rng = master_rng(&config)?;
        let keys = GatewayKeys::generate(&mut rng);
        Self::assemble(store, keys, config, rng)
    }

    fn assemble(
        store: Box<dyn Store>,
        keys: GatewayKeys,
        config: GatewayConfig,
        mut rng: ChaCha20Rng,
    ) -> Result<Gateway, Error> {
        let passwords = PasswordHasher::new(config.argon2, &mut rng)?;
        let keyed = KeyedHasher::new(&keys.hashing)?;
        let pacer = Pacer::new(config.sign_in_pace, config.resume_pace);
        Ok(Gateway {
            config,
            keys,
            store,
            passwords,
            keyed,
            throttle: Throttle::default(),
            pacer,
            grants: std::sync::atomic::AtomicU64::new(0),
            rng: Mutex::new(rng),
        })
    }

    /// The gateway's static public key: what devices are provisioned with.
    pub fn public_key(&self) -> PublicKey {
        self.keys.noise.public()
    }

    /// A random generator for one call, forked from the gateway's: the shared one is locked only
    /// to draw a seed.
    pub(crate) fn rng(&self) -> ChaCha20Rng {
        let mut seed = [0u8; 32];
        self.rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .fill_bytes(&mut seed);
        ChaCha20Rng::from_seed(seed)
    }

    /// Answers one request frame body (the bytes after the 2-byte length prefix) with the whole
    /// reply frame (length prefix included). `None`: close the connection without a reply
    /// (malformed input). Never panics on any input. May take argon2 time and, for a grant,
    /// the store's sync of its replay record (call it from a thread that may block).
    pub fn answer(&self, body: &[u8], now: UnixMillis) -> Option<Vec<u8>> {
        // In the listener's two steps, so that a replay is recognised before any hashing. The
        // second step gets the generator as the first found it: one draw from the gateway's
        // per answer, whatever the steps, so a seeded gateway replays bit for bit.
        let mut rng = self.rng();
        let staged = match self.answer_with(body, now, PasswordHashing::Defer, &mut rng.clone()) {
            Staged::NeedsPasswordHash => {
                self.answer_with(body, now, PasswordHashing::Run, &mut rng)
            }
            staged => staged,
        };
        match staged {
            Staged::Reply(reply) => self.release(reply),
            // Not returned when hashing runs; closing is the safe answer if it ever were.
            Staged::NeedsPasswordHash => None,
        }
    }

    /// [`Gateway::answer`] in steps, for a listener that schedules the slow parts itself:
    ///
    /// - with [`PasswordHashing::Defer`], a request that would need an argon2id verification
    ///   changes nothing and comes back as [`Staged::NeedsPasswordHash`]: the caller decides
    ///   whether and where to spend one (then calls again with [`PasswordHashing::Run`]), and
    ///   everything else (Resume, SignOut, app passwords, replays of granted sign-ins,
    ///   throttled attempts) is answered without one;
    /// - a reply comes back with the grant record it waits for ([`Reply::hold_for`]): the
    ///   caller sends it only once [`Gateway::commit_grants`] has returned that number or more.
    pub fn answer_staged(&self, body: &[u8], now: UnixMillis, hashing: PasswordHashing) -> Staged {
        self.answer_with(body, now, hashing, &mut self.rng())
    }

    /// [`Gateway::answer_staged`] drawing from `rng`.
    fn answer_with(
        &self,
        body: &[u8],
        now: UnixMillis,
        hashing: PasswordHashing,
        rng: &mut ChaCha20Rng,
    ) -> Staged {
        let mut out = vec![0u8; MAX_WIRE_FRAME_LEN];
        let mut responder = Responder::new(&self.keys.noise);
        let request = match responder.read_request(body, rng) {
            Ok(request) => Some(request),
            Err(SessionError::Payload(PayloadError::UnknownMessage)) => None,
            Err(SessionError::UnsupportedVersion { version }) => {
                tracing::debug!(version, "request in an unsupported version");
                return Reply::now(status_frame(ReplyStatus::UnsupportedVersion, out));
            }
            Err(SessionError::Handshake) => {
                tracing::debug!("message 1 did not authenticate");
                return Reply::now(status_frame(ReplyStatus::HandshakeRejected, out));
            }
            Err(error) => {
                tracing::debug!(%error, "malformed request");
                return Reply::now(None);
            }
        };
        let Some(device_key) = responder.device_key() else {
            return Reply::now(None);
        };
        let mut hold_for = 0;
        let response = match request {
            None => Response::Denied {
                reason: DenyReason::UnsupportedVersion,
                retry_after_secs: 0,
            },
            Some(request) => {
                let sign_in = matches!(request, Request::SignIn { .. });
                match self.respond(request, device_key, body, hashing, rng, now) {
                    Ok(None) => return Reply::now(None),
                    Ok(Some(response)) => {
                        if sign_in && matches!(response, Response::Granted { .. }) {
                            // This grant's claim is among those made so far.
                            hold_for = self.store.granted_sign_ins_claimed();
                        }
                        response
                    }
                    Err(Error::PasswordHashDeferred) => return Staged::NeedsPasswordHash,
                    Err(error) => {
                        tracing::error!(%error, "request failed");
                        Response::Denied {
                            reason: DenyReason::ServerError,
                            retry_after_secs: 0,
                        }
                    }
                }
            }
        };
        let frame = responder.write_reply(&response, &mut out).ok().map(|n| {
            out.truncate(n);
            out
        });
        Staged::Reply(Reply { frame, hold_for })
    }

    /// The write calls its store has made since it was opened ([`Store::writes`]).
    pub fn store_writes(&self) -> crate::store::WriteCount {
        self.store.writes()
    }

    /// Makes every granted sign-in's replay record so far durable, in one batch with one sync
    /// (group commit); returns the number up to which held replies may be sent
    /// ([`Reply::hold_for`]). Callers at once share a batch.
    ///
    /// # Errors
    /// The store could not write; the records stay in memory for the next call.
    pub fn commit_grants(&self) -> Result<u64, Error> {
        self.store.commit_granted_sign_ins()
    }

    /// The frame of `reply` once what it waits for is durable; `None` (no reply) if the
    /// commit fails: a `Granted` whose replay record might be lost is never sent.
    fn release(&self, reply: Reply) -> Option<Vec<u8>> {
        if reply.hold_for == 0 {
            return reply.frame;
        }
        match self.commit_grants() {
            Ok(durable) if durable >= reply.hold_for => reply.frame,
            Ok(_) => None,
            Err(error) => {
                tracing::error!(%error, "grant not recorded; reply withheld");
                None
            }
        }
    }

    /// The answer to a decoded request; `None`: close without a reply.
    fn respond(
        &self,
        request: Request,
        device_key: PublicKey,
        body: &[u8],
        hashing: PasswordHashing,
        rng: &mut ChaCha20Rng,
        now: UnixMillis,
    ) -> Result<Option<Response>, Error> {
        // What the request was: kept to recognise an exact replay of this message 1.
        let message_1 = self.keyed.hash(domain::MESSAGE_1, &[body]);
        match request {
            Request::SignIn {
                account,
                password,
                remember,
                device,
            } => {
                let answer = self.sign_in(
                    &account,
                    password.as_bytes(),
                    remember,
                    &device,
                    device_key,
                    &message_1,
                    hashing,
                    rng,
                    now,
                );
                // A replay of a granted sign-in that would need a password hash ends here,
                // without one. (One that needs none, an app password, is recognised when its
                // grant is claimed, as every grant is.)
                if matches!(answer, Err(Error::PasswordHashDeferred))
                    && self.store.granted_sign_in_known(&message_1)?
                {
                    tracing::warn!(outcome = "replayed, closed", "sign-in");
                    return Ok(None);
                }
                answer
            }
            Request::Resume { token } => self.resume(&token, device_key, &message_1, now).map(Some),
            Request::SignOut { token } => self.sign_out(&token, device_key).map(Some),
            Request::LinkStart { device } => {
                self.link_start(&device, device_key, rng, now).map(Some)
            }
            Request::LinkPoll { code } => self.link_poll(&code, device_key, now).map(Some),
        }
    }
}

/// Whether one call of [`Gateway::answer_staged`] may run argon2id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordHashing {
    /// Verify passwords here (the call may take argon2id's time).
    Run,
    /// Stop where a verification would start, changing nothing: [`Staged::NeedsPasswordHash`].
    Defer,
}

/// What [`Gateway::answer_staged`] did with a request.
#[derive(Debug)]
pub enum Staged {
    /// Answered.
    Reply(Reply),
    /// Answering needs one argon2id verification, deferred ([`PasswordHashing::Defer`]).
    NeedsPasswordHash,
}

/// A reply frame and what must be durable before it is sent.
#[derive(Debug)]
pub struct Reply {
    /// The whole reply frame; `None`: close the connection without a reply.
    pub frame: Option<Vec<u8>>,
    /// 0, or the grant record this reply (a `Granted`) waits for: send it once
    /// [`Gateway::commit_grants`] has returned at least this.
    pub hold_for: u64,
}

impl Reply {
    fn now(frame: Option<Vec<u8>>) -> Staged {
        Staged::Reply(Reply { frame, hold_for: 0 })
    }
}

// The listener shares one gateway between its threads.
const _: () = {
    const fn shared_between_threads<T: Send + Sync>() {}
    shared_between_threads::<Gateway>();
};

/// The gateway's keys from the file `path`; if it does not exist, new keys written to it when
/// `may_create` (the database is new too), else [`Error::MissingKeys`]: without its keys no app
/// password or token in an existing database can be checked.
fn load_or_create_keys(
    path: &Path,
    may_create: bool,
    rng: &mut ChaCha20Rng,
) -> Result<GatewayKeys, Error> {
    if path.exists() {
        return GatewayKeys::load(path);
    }
    if !may_create {
        return Err(Error::MissingKeys(path.to_owned()));
    }
    let keys = GatewayKeys::generate(rng);
    keys.create(path)?;
    tracing::info!(keys = %path.display(), public_key = %keys.noise.public(), "gateway keys created");
    Ok(keys)
}

fn master_rng(config: &GatewayConfig) -> Result<ChaCha20Rng, Error> {
    match config.seed {
        Some(seed) => Ok(ChaCha20Rng::from_seed(seed)),
        None => ChaCha20Rng::from_rng(OsRng).map_err(|e| Error::Random(e.to_string())),
    }
}

fn status_frame(status: ReplyStatus, mut out: Vec<u8>) -> Option<Vec<u8>> {
    let n = write_status(status, &mut out).ok()?;
    out.truncate(n);
    Some(out)
}
