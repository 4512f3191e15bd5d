//! `padlock-server`: the gateway's TCP listener and its administration commands.
//!
//! Every command works on one database (`--db`): a SQLite file, whose gateway keys live beside
//! it, or a `postgres://` URL, which several `serve` processes share, each reading the same key
//! file (`--keys`). `serve` and `account add` create the database (a SQLite file, or the schema
//! in an empty PostgreSQL database) and its keys; every other command wants them to exist, so a
//! typo in the path is an error rather than a fresh empty gateway.
//!
//! Exit status: 0 on success, 1 when the command failed (the reason on one stderr line), 2 for
//! bad arguments.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{ArgGroup, Args, Parser, Subcommand};
use padlock_protocol::LinkAddress;
use padlock_server::keys::{
    self,
    sealed::{KEK_ENV, Kek},
};
use padlock_server::serve::{ServeConfig, serve, shutdown_signal};
use padlock_server::store::copy;
use padlock_server::store::postgres::is_postgres_url;
use padlock_server::terminal::for_terminal;
use padlock_server::{Error, Gateway, GatewayConfig, PostgresStore, SqliteStore, UnixMillis, web};

/// Padlock's reference sign-in gateway.
#[derive(Parser)]
#[command(name = "padlock-server", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve sign-ins over TCP until SIGINT or SIGTERM (creates the database if needed).
    ///
    /// Logs go to stderr (`RUST_LOG` filters them; default `info`); once the socket is bound
    /// the line "listening on ADDR" says where.
    Serve(ServeArgs),
    /// Accounts: add, list, two-step verification, primary password.
    #[command(subcommand)]
    Account(AccountCommand),
    /// App passwords of an account: create, list, revoke.
    #[command(subcommand)]
    AppPassword(AppPasswordCommand),
    /// Remember-me tokens of an account: list, revoke.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The gateway's keys: show the public key; share the keys between gateways, sealed.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Phone links waiting for approval, for support staff.
    #[command(subcommand)]
    Link(LinkCommand),
    /// The database as a whole: copy it to another.
    #[command(subcommand)]
    Store(StoreCommand),
}

#[derive(Subcommand)]
enum StoreCommand {
    /// Copy every account, app password, token, throttling counter, known device, replay record
    /// and Security info page datum into a new, empty database, then check the copy (rows and a
    /// SHA-256 digest per table, printed). Stop the gateways on the source first. The keys move
    /// separately: `key export` and `key import`.
    Copy {
        /// The SQLite database to copy.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The new database: a SQLite file that does not exist yet, or a PostgreSQL URL
        /// (postgres://…) of an empty database.
        #[arg(long, value_name = "FILE|URL")]
        to: String,
    },
}

#[derive(Args)]
struct Db {
    /// The gateway's database: a SQLite file (its keys are kept beside it, in FILE.keys), or a
    /// PostgreSQL URL such as postgres://padlock@db.example/padlock, which several gateways
    /// share. Also read from PADLOCK_DB (keeps a URL's password out of the process list).
    #[arg(
        long,
        value_name = "FILE|URL",
        env = "PADLOCK_DB",
        hide_env_values = true
    )]
    db: String,
    /// The gateway's key file. Default with a SQLite file: FILE.keys beside it. Required with a
    /// PostgreSQL URL: every gateway on the database reads a copy of the same file (the first,
    /// on an empty database, creates it).
    #[arg(long, value_name = "FILE")]
    keys: Option<PathBuf>,
}

impl Db {
    /// The gateway on this database; with `create`, a missing SQLite file (or an empty
    /// PostgreSQL database) and its keys are created.
    fn open(&self, create: bool) -> Result<Gateway, String> {
        self.open_with(create, GatewayConfig::default())
    }

    /// [`Db::open`] with a gateway configuration other than the default.
    fn open_with(&self, create: bool, config: GatewayConfig) -> Result<Gateway, String> {
        let opened = if is_postgres_url(&self.db) {
            let keys = self.keys.as_deref().ok_or(
                "--keys FILE is required with a PostgreSQL database (every gateway on it reads \
                 the same keys)",
            )?;
            if !create && !keys.exists() {
                return Err(Error::MissingKeys(keys.to_owned()).to_string());
            }
            Gateway::open_postgres(&self.db, keys, config)
        } else {
            let path = Path::new(&self.db);
            if self.keys.is_some() {
                return Err(
                    "--keys is for a PostgreSQL database; a SQLite file's keys are \
                            FILE.keys beside it"
                        .into(),
                );
            }
            if create {
                Gateway::open(path, config)
            } else {
                Gateway::open_existing(path, config)
            }
        };
        opened.map_err(|e| self.open_failed(&e))
    }

    fn open_or_create(&self) -> Result<Gateway, String> {
        self.open(true)
    }

    /// Where this database's gateway keys are kept: `--keys` for PostgreSQL, FILE.keys beside a
    /// SQLite file.
    fn key_file(&self) -> Result<PathBuf, String> {
        if is_postgres_url(&self.db) {
            self.keys
                .clone()
                .ok_or_else(|| "--keys FILE is required with a PostgreSQL database".into())
        } else if self.keys.is_some() {
            Err(
                "--keys is for a PostgreSQL database; a SQLite file's keys are FILE.keys beside it"
                    .into(),
            )
        } else {
            Ok(keys::key_file_path(Path::new(&self.db)))
        }
    }

    fn open_existing(&self) -> Result<Gateway, String> {
        self.open(false)
    }

    /// The reason the database could not be opened, naming it once (a PostgreSQL URL without
    /// its password).
    fn open_failed(&self, e: &Error) -> String {
        match e {
            Error::MissingDatabase(_) => format!("{e} (`serve` or `account add` creates one)"),
            Error::CorruptDatabase(_)
            | Error::NewerDatabase { .. }
            | Error::Database(_)
            | Error::Postgres(_)
            | Error::PostgresPool(_) => format!("{}: {e}", redacted(&self.db)),
            _ => e.to_string(),
        }
    }
}

/// `db` as it may be shown: a URL's password (`user:password@`) replaced by `***`.
fn redacted(db: &str) -> String {
    let Some(scheme_end) = db.find("://").map(|i| i + 3) else {
        return db.to_owned();
    };
    let authority_end = db[scheme_end..]
        .find('/')
        .map_or(db.len(), |i| scheme_end + i);
    match db[scheme_end..authority_end].rfind('@') {
        Some(at) => {
            let userinfo = &db[scheme_end..scheme_end + at];
            match userinfo.split_once(':') {
                Some((user, _)) => {
                    format!("{}{user}:***{}", &db[..scheme_end], &db[scheme_end + at..])
                }
                None => db.to_owned(),
            }
        }
        None => db.to_owned(),
    }
}

#[derive(Args)]
struct DbAccount {
    #[command(flatten)]
    db: Db,
    /// The account's email address (case-insensitive).
    #[arg(long, value_name = "E")]
    email: String,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    db: Db,
    /// Address to listen on, such as 0.0.0.0:7878 (port 0: any free port, logged).
    #[arg(long, value_name = "ADDR")]
    listen: String,
    /// Connections handled at once; one more gets the `Busy` reply.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..),
          default_value_t = u32::try_from(DEFAULTS.max_connections).unwrap_or(u32::MAX))]
    max_connections: u32,
    /// Connections one source (IPv4 address or IPv6 /64) may hold at once; one more gets
    /// `Busy`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..),
          default_value_t = u32::try_from(DEFAULTS.max_connections_per_source).unwrap_or(u32::MAX))]
    max_connections_per_source: u32,
    /// Threads computing answers (X25519, app passwords, tokens; never argon2). Default: the
    /// number of CPU cores.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_concurrent_answers: Option<u32>,
    /// Threads verifying passwords with argon2id, and the length of their queue; a request
    /// finding the queue full gets `Busy`. Default: half the CPU cores, at least 1.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_concurrent_password_hashes: Option<u32>,
    /// argon2id verifications one source (IPv4 address or IPv6 /64) may cause per second;
    /// past it, requests needing one get `Busy`. 0: none.
    #[arg(long, value_name = "N",
          default_value_t = DEFAULTS.password_hashes_per_source_per_s)]
    password_hashes_per_source_per_s: u32,
    /// Seconds a peer has from connecting to having sent its whole request.
    #[arg(long, value_name = "SECS", default_value_t = Seconds(DEFAULTS.request_timeout))]
    request_timeout: Seconds,
    /// Seconds from the whole request to its reply being ready; a request still queued then
    /// is dropped unanswered. Default: 2 on a SQLite file; 5 on PostgreSQL, where a request may
    /// wait for two pooled connections while the database is down and should still be answered
    /// ServerError rather than dropped.
    #[arg(long, value_name = "SECS")]
    answer_timeout: Option<Seconds>,
    /// Seconds any single read or write may stall before the connection is dropped.
    #[arg(long, value_name = "SECS", default_value_t = Seconds(DEFAULTS.idle_timeout))]
    idle_timeout: Seconds,
    /// Seconds connections in flight get to finish after SIGINT or SIGTERM.
    #[arg(long, value_name = "SECS", default_value_t = Seconds(DEFAULTS.shutdown_grace))]
    shutdown_grace: Seconds,
    /// Also serve the account's Security info web page on ADDR, such as 127.0.0.1:8080. It is
    /// plain HTTP: terminate TLS in front of it (a reverse proxy) for players.
    #[arg(long, value_name = "ADDR")]
    web: Option<String>,
    /// The address players reach the page at, such as https://account.example.com; an https
    /// address makes its cookies Secure. Default: http:// and the --web address.
    #[arg(long, value_name = "URL", requires = "web")]
    public_url: Option<String>,
    /// Offer sign-in with a phone: the address of the page's link entry that devices show
    /// and put in their QR code, such as https://gw.example/link (at most 48 characters of
    /// printable ASCII; the page's `/link`). Without it, devices hide the phone choice.
    #[arg(long, value_name = "URL", requires = "web")]
    link_address: Option<String>,
}

/// The listener's defaults, shown in `serve --help` (one home: [`ServeConfig::default`]).
/// `--answer-timeout` on PostgreSQL: the store's wait for a connection (2 s) twice, and room to
/// answer ServerError.
const POSTGRES_ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

static DEFAULTS: std::sync::LazyLock<ServeConfig> = std::sync::LazyLock::new(ServeConfig::default);

/// Where a primary password comes from. Prefer `PADLOCK_PASSWORD` or `--password-stdin`: a
/// password given with `--password` stays in the shell's history and the process list.
#[derive(Args)]
struct PasswordSource {
    /// The primary password. Also read from the environment variable PADLOCK_PASSWORD, or
    /// give --password-stdin and pipe it in (one line), so it stays out of shell history.
    #[arg(
        long,
        value_name = "PW",
        env = "PADLOCK_PASSWORD",
        hide_env_values = true
    )]
    password: Option<String>,
    /// Read the primary password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Add an account (creates the database if needed).
    Add {
        #[command(flatten)]
        account: DbAccount,
        /// The name shown on the device once signed in.
        #[arg(long, value_name = "NAME")]
        name: String,
        #[command(flatten)]
        password: PasswordSource,
        /// Turn on two-step verification: only app passwords sign in.
        #[arg(long)]
        two_step: bool,
    },
    /// List the accounts.
    List(Db),
    /// Turn two-step verification on or off.
    #[command(group(ArgGroup::new("state").required(true).args(["on", "off"])))]
    SetTwoStep {
        #[command(flatten)]
        account: DbAccount,
        /// Only app passwords sign in.
        #[arg(long)]
        on: bool,
        /// The primary password signs in too.
        #[arg(long)]
        off: bool,
    },
    /// Forget the account's failed sign-ins, so that the owner's new device can sign in at once
    /// (devices that signed in before are never held back by strangers' failures).
    Unlock(DbAccount),
    /// Change the primary password.
    SetPassword {
        #[command(flatten)]
        account: DbAccount,
        #[command(flatten)]
        password: PasswordSource,
    },
}

#[derive(Subcommand)]
enum AppPasswordCommand {
    /// Create an app password; stdout is the password itself, shown this once.
    Create {
        #[command(flatten)]
        account: DbAccount,
        /// What it is for, such as "Xbox 360".
        #[arg(long, value_name = "NAME")]
        name: String,
    },
    /// List an account's app passwords (never the passwords themselves).
    List(DbAccount),
    /// Revoke one app password and the remember-me tokens it created.
    Revoke {
        #[command(flatten)]
        account: DbAccount,
        /// The id shown by `app-password list`.
        #[arg(long, value_name = "N")]
        id: i64,
    },
    /// Revoke all of an account's app passwords and their tokens.
    RevokeAll(DbAccount),
}

#[derive(Subcommand)]
enum TokenCommand {
    /// List an account's remember-me tokens.
    List(DbAccount),
    /// Revoke one remember-me token (--id) or all of the account's (--all).
    #[command(group(ArgGroup::new("which").required(true).args(["id", "all"])))]
    Revoke {
        #[command(flatten)]
        account: DbAccount,
        /// The id shown by `token list`.
        #[arg(long, value_name = "N")]
        id: Option<i64>,
        /// Every token of the account.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
enum LinkCommand {
    /// List the links waiting for approval: code, device, age, expiry.
    List(Db),
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Print the gateway's static public key as devices are provisioned with it (64 hex digits).
    Show(Db),
    /// Make a new key-encryption key (KEK) in a new file (mode 0600), to seal the gateway's
    /// keys with; give the same KEK to every gateway machine.
    NewKek {
        /// The file to create (never overwritten).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Seal the gateway's keys under a KEK (see docs/deploying.md); the sealed bundle goes to
    /// stdout, or to --out. The keys themselves are never printed.
    Export {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        kek: KekSource,
        /// Write the bundle to this new file instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Give a database the keys of a sealed bundle (opened with the KEK). A database that
    /// already has other keys is refused.
    Import {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        kek: KekSource,
        /// The file holding the bundle `key export` made; `-` reads it from stdin.
        #[arg(long, value_name = "FILE")]
        bundle: PathBuf,
    },
}

/// Where the key-encryption key comes from: a private file, or the environment.
#[derive(Args)]
struct KekSource {
    /// A file holding the KEK (64 hex digits), private to the server's user, as `key new-kek`
    /// makes it. Without it, the environment variable PADLOCK_KEK holds the KEK itself.
    #[arg(long, value_name = "FILE", env = "PADLOCK_KEK_FILE")]
    kek_file: Option<PathBuf>,
}

impl KekSource {
    fn read(&self) -> Result<Kek, String> {
        if let Some(path) = &self.kek_file {
            return Kek::load(path).map_err(|e| e.to_string());
        }
        match std::env::var(KEK_ENV) {
            Ok(hex) => Kek::from_hex(&hex).map_err(|e| format!("{KEK_ENV}: {e}")),
            Err(_) => Err(format!(
                "a key-encryption key is needed: --kek-file FILE, PADLOCK_KEK_FILE or {KEK_ENV}"
            )),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("padlock-server: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A failed command's one-line reason.
type CommandResult = Result<(), String>;

fn run(command: Command) -> CommandResult {
    match command {
        Command::Serve(args) => run_serve(args),
        Command::Account(command) => account(command),
        Command::AppPassword(command) => app_password(command),
        Command::Token(command) => token(command),
        Command::Link(LinkCommand::List(db)) => link_list(&db),
        Command::Key(command) => key(command),
        Command::Store(StoreCommand::Copy { from, to }) => store_copy(&from, &to),
    }
}

fn store_copy(from: &Path, to: &str) -> CommandResult {
    if !from.exists() {
        return Err(Error::MissingDatabase(from.to_owned()).to_string());
    }
    let source = SqliteStore::open(from).map_err(|e| format!("{}: {e}", from.display()))?;
    let target: Box<dyn copy::CopyRows> = if is_postgres_url(to) {
        Box::new(PostgresStore::open(to).map_err(|e| format!("{}: {e}", redacted(to)))?)
    } else {
        if Path::new(to).exists() {
            return Err(format!("{to} exists; the copy makes a new database"));
        }
        Box::new(SqliteStore::open(Path::new(to)).map_err(|e| format!("{to}: {e}"))?)
    };
    let checks = copy::copy(&source, target.as_ref()).map_err(|e| e.to_string())?;
    println!("{}", copy::REPORT_HEADER);
    for check in &checks {
        println!("{check}");
    }
    let rows: u64 = checks.iter().map(|c| c.rows).sum();
    let to = redacted(to);
    eprintln!(
        "copied {rows} rows from {} to {to}; both read back the same. Give the copy the \
         gateway's keys: key export --db {}, then key import --db {to}",
        from.display(),
        from.display(),
    );
    Ok(())
}

fn key(command: KeyCommand) -> CommandResult {
    match command {
        KeyCommand::Show(db) => println!("{}", db.open_existing()?.public_key()),
        KeyCommand::NewKek { out } => {
            let kek = Kek::generate(&mut rand_core::OsRng);
            kek.create(&out).map_err(|e| e.to_string())?;
            eprintln!(
                "key-encryption key {} written to {}",
                kek.id_hex(),
                out.display()
            );
        }
        KeyCommand::Export { db, kek, out } => {
            let kek = kek.read()?;
            let bundle = keys::export(&db.key_file()?, &kek).map_err(|e| e.to_string())?;
            match out {
                Some(path) => {
                    keys::sealed::create_bundle_file(&path, &bundle).map_err(|e| e.to_string())?;
                    eprintln!("sealed keys written to {}", path.display());
                }
                None => println!("{bundle}"),
            }
            eprintln!("sealed under key-encryption key {}", kek.id_hex());
        }
        KeyCommand::Import { db, kek, bundle } => {
            let kek = kek.read()?;
            let text = if bundle.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin().lock())
                    .map_err(|e| format!("cannot read the bundle from stdin: {e}"))?
            } else {
                std::fs::read_to_string(&bundle)
                    .map_err(|e| format!("{}: {e}", bundle.display()))?
            };
            let key_file = db.key_file()?;
            match keys::import(&key_file, &text, &kek).map_err(|e| e.to_string())? {
                keys::Imported::Written(public) => {
                    eprintln!("gateway keys {public} written to {}", key_file.display());
                }
                keys::Imported::AlreadyPresent(public) => {
                    eprintln!("{} already has gateway keys {public}", key_file.display());
                }
            }
        }
    }
    Ok(())
}

fn account(command: AccountCommand) -> CommandResult {
    match command {
        AccountCommand::Add {
            account,
            name,
            password,
            two_step,
        } => {
            let password = password.read()?;
            account
                .db
                .open_or_create()?
                .add_account(&account.email, &name, &password, two_step)
                .map_err(|e| e.to_string())?;
            eprintln!("added account {}", account.email);
        }
        AccountCommand::List(db) => {
            for info in db.open_existing()?.accounts().map_err(|e| e.to_string())? {
                let two_step = if info.two_step { "two-step" } else { "-" };
                println!(
                    "{}\t{}\t{two_step}",
                    for_terminal(&info.email),
                    for_terminal(&info.display_name)
                );
            }
        }
        AccountCommand::SetTwoStep { account, on, .. } => {
            account
                .db
                .open_existing()?
                .set_two_step(&account.email, on)
                .map_err(|e| e.to_string())?;
            let state = if on { "on" } else { "off" };
            eprintln!("two-step verification {state} for {}", account.email);
        }
        AccountCommand::Unlock(account) => {
            let cleared = account
                .db
                .open_existing()?
                .unlock_account(&account.email)
                .map_err(|e| e.to_string())?;
            eprintln!(
                "unlocked {}: {cleared} throttling counters cleared",
                account.email
            );
        }
        AccountCommand::SetPassword { account, password } => {
            let password = password.read()?;
            account
                .db
                .open_existing()?
                .set_password(&account.email, &password)
                .map_err(|e| e.to_string())?;
            eprintln!("password changed for {}", account.email);
        }
    }
    Ok(())
}

fn app_password(command: AppPasswordCommand) -> CommandResult {
    match command {
        AppPasswordCommand::Create { account, name } => {
            let created = account
                .db
                .open_existing()?
                .create_app_password(&account.email, &name, UnixMillis::now())
                .map_err(|e| e.to_string())?;
            println!("{}", created.formatted);
            eprintln!(
                "app password {} ({name}) created for {}; it is shown only now",
                created.id, account.email
            );
        }
        AppPasswordCommand::List(account) => {
            let gateway = account.db.open_existing()?;
            let list = gateway
                .app_passwords(&account.email)
                .map_err(|e| e.to_string())?;
            println!("id\tname\tcreated\tlast used\tlast device");
            for info in list {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    info.id,
                    for_terminal(&info.name),
                    utc(info.created),
                    info.last_used.map_or_else(|| "never".into(), utc),
                    for_terminal(info.last_device.as_deref().unwrap_or("-")),
                );
            }
        }
        AppPasswordCommand::Revoke { account, id } => {
            account
                .db
                .open_existing()?
                .revoke_app_password(&account.email, id)
                .map_err(|e| e.to_string())?;
            eprintln!(
                "revoked app password {id} of {} and its tokens",
                account.email
            );
        }
        AppPasswordCommand::RevokeAll(account) => {
            let n = account
                .db
                .open_existing()?
                .revoke_all_app_passwords(&account.email)
                .map_err(|e| e.to_string())?;
            eprintln!(
                "revoked {n} app passwords of {} and their tokens",
                account.email
            );
        }
    }
    Ok(())
}

fn token(command: TokenCommand) -> CommandResult {
    match command {
        TokenCommand::List(account) => {
            let gateway = account.db.open_existing()?;
            let list = gateway.tokens(&account.email).map_err(|e| e.to_string())?;
            println!("id\tissued\texpires\tapp password\tdevice key");
            for info in list {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    info.id,
                    utc(info.issued),
                    utc(info.expires),
                    info.app_password_id
                        .map_or_else(|| "-".into(), |id| id.to_string()),
                    info.device_key,
                );
            }
        }
        TokenCommand::Revoke { account, id, .. } => {
            let gateway = account.db.open_existing()?;
            match id {
                Some(id) => {
                    gateway
                        .revoke_token(&account.email, id)
                        .map_err(|e| e.to_string())?;
                    eprintln!("revoked token {id} of {}", account.email);
                }
                None => {
                    let n = gateway
                        .revoke_all_tokens(&account.email)
                        .map_err(|e| e.to_string())?;
                    eprintln!("revoked {n} tokens of {}", account.email);
                }
            }
        }
    }
    Ok(())
}

/// `link list`: what a support agent needs to find a player's code. Device text is escaped
/// for the terminal (it came from the device).
fn link_list(db: &Db) -> CommandResult {
    let gateway = db.open_existing()?;
    let now = UnixMillis::now();
    let links = gateway.pending_links(now).map_err(|e| e.to_string())?;
    println!("code\tdevice\tage\texpires");
    for link in links {
        println!(
            "{}\t{}\t{}s\t{}",
            link.code,
            for_terminal(&link.description()),
            now.since(link.created).as_secs(),
            utc(link.expires),
        );
    }
    Ok(())
}

fn run_serve(args: ServeArgs) -> CommandResult {
    init_logs();
    let link_address = match &args.link_address {
        Some(text) => Some(LinkAddress::new(text).ok_or_else(|| {
            format!("--link-address {text:?}: at most 48 characters of printable ASCII, no space")
        })?),
        None => None,
    };
    let config = GatewayConfig {
        link_address,
        ..GatewayConfig::default()
    };
    let gateway = Arc::new(args.db.open_with(true, config)?);
    match gateway.outdated_password_hashes() {
        Ok(0) => {}
        Ok(outdated) => tracing::warn!(
            outdated,
            "primary password hashes use other argon2id parameters than this gateway's: their \
             sign-ins take another time than an unknown account's, until each signs in once and \
             is re-hashed"
        ),
        Err(error) => tracing::warn!(%error, "cannot check the stored password hashes"),
    }
    let config = ServeConfig {
        max_connections: args.max_connections as usize,
        max_connections_per_source: args.max_connections_per_source as usize,
        max_concurrent_answers: args
            .max_concurrent_answers
            .map_or(DEFAULTS.max_concurrent_answers, |n| n as usize),
        max_concurrent_password_hashes: args
            .max_concurrent_password_hashes
            .map_or(DEFAULTS.max_concurrent_password_hashes, |n| n as usize),
        password_hashes_per_source_per_s: args.password_hashes_per_source_per_s,
        request_timeout: args.request_timeout.0,
        answer_timeout: args.answer_timeout.map_or(
            if is_postgres_url(&args.db.db) {
                POSTGRES_ANSWER_TIMEOUT
            } else {
                DEFAULTS.answer_timeout
            },
            |s| s.0,
        ),
        idle_timeout: args.idle_timeout.0,
        shutdown_grace: args.shutdown_grace.0,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let shutdown =
            shutdown_signal().map_err(|e| format!("cannot install signal handlers: {e}"))?;
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let local: Option<SocketAddr> = listener.local_addr().ok();
        let shown = local.map_or_else(|| args.listen.clone(), |a| a.to_string());
        tracing::info!(key = %gateway.public_key(), "listening on {shown}");
        if let Some(web) = &args.web {
            let web_listener = tokio::net::TcpListener::bind(web)
                .await
                .map_err(|e| format!("cannot listen on {web}: {e}"))?;
            let bound = web_listener
                .local_addr()
                .map_or_else(|_| web.clone(), |a| a.to_string());
            let public = args.public_url.clone().unwrap_or(format!("http://{bound}"));
            tracing::info!(public_url = %public, "Security info page on {bound}");
            let page = web::serve_web(
                web_listener,
                gateway.clone(),
                web::WebConfig::new(public),
                std::future::pending(),
            );
            // Ends with the runtime, when the device door has drained.
            tokio::spawn(async move {
                if let Err(error) = page.await {
                    tracing::error!(%error, "the Security info page stopped");
                }
            });
        }
        let summary = serve(listener, gateway, config, shutdown).await;
        tracing::info!(
            accepted = summary.accepted,
            busy = summary.busy,
            password_hashes = summary.password_hashes,
            dropped_unrun = summary.dropped_unrun,
            unfinished = summary.unfinished,
            "stopped"
        );
        Ok(())
    })
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`); colour only on a terminal.
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

impl PasswordSource {
    fn read(self) -> Result<String, String> {
        if self.password_stdin {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
            let password = line.trim_end_matches(['\r', '\n']).to_owned();
            if password.is_empty() {
                return Err("no password on stdin".into());
            }
            return Ok(password);
        }
        self.password.filter(|p| !p.is_empty()).ok_or_else(|| {
            "a password is needed: --password PW, PADLOCK_PASSWORD, or --password-stdin".into()
        })
    }
}

/// A duration given in seconds, fractions allowed (`0.5`).
#[derive(Debug, Clone, Copy)]
struct Seconds(Duration);

impl std::str::FromStr for Seconds {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse::<f64>()
            .ok()
            .filter(|s| *s > 0.0)
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .map(Seconds)
            .ok_or_else(|| format!("`{text}` is not a positive number of seconds"))
    }
}

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.as_secs_f64())
    }
}

/// `ms` as an ISO 8601 UTC time to the second, such as `2026-11-25T09:41:07Z`.
fn utc(ms: UnixMillis) -> String {
    ms.utc()
}
