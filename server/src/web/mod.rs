//! The account's **Security info** page: what a player does for themselves in a browser, beside
//! the device door. `padlock-server serve --web ADDR` serves it; the simulator embeds it.
//!
//! ```text
//!  browser ──▶ [connection cap] ──▶ hyper (header size, header time) ──▶ guard (time limit,
//!             security headers, log) ──▶ routes (body size, form token, session) ──▶ Gateway
//! ```
//!
//! - [`routes`]: the pages and forms, in the order they check things.
//! - [`account`]: what the page does to an account (sign-in with the second step, two-step on
//!   and off), on the sans-IO [`Gateway`], counted by the same throttle as the device door.
//! - [`sessions`] and [`csrf`]: who a request is, and that a form came from this page.
//! - [`totp`] and [`qr`]: authenticator codes (RFC 6238) and the QR code of their secret.
//! - [`pages`] and [`i18n`]: compiled templates and the words in English and Dutch.
//! - [`player`]: the player at the page as a program (QA steps and end-to-end tests approve
//!   a device's link through it, over HTTP).
//!
//! **Security.** Every response carries a Content-Security-Policy that allows nothing but this
//! origin's stylesheet and forms (`default-src 'none'`, no script at all, `frame-ancestors
//! 'none'`), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` and `Cache-Control:
//! no-store` (pages show secrets once). No secret ever goes in a URL: passwords, codes and
//! tokens travel in `POST` bodies and cookies only, and the log line of a request names its
//! method, path and status, never a query, body or cookie. TLS is terminated in front of the
//! gateway (a reverse proxy); [`WebConfig::public_url`] says whether players reach it over
//! https, which makes every cookie `Secure`.
//!
//! **Limits.** Connections at once ([`WebConfig::max_connections`]: the next waits in the
//! kernel's backlog), request head size and the time to send it (hyper's), body size (413), and
//! the time to answer ([`WebConfig::request_timeout`]: 503).

pub mod account;
pub mod csrf;
pub mod i18n;
pub mod pages;
pub mod player;
pub mod qr;
pub mod routes;
pub mod sessions;
pub mod totp;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::gateway::Gateway;
use crate::time::UnixMillis;
use routes::App;

/// The page's one stylesheet.
pub const STYLESHEET: &str = include_str!("style.css");

/// The page's Content-Security-Policy: this origin's stylesheet and forms, nothing else.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// How the page is served. [`WebConfig::new`] gives the defaults each field names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebConfig {
    /// The address players reach the page at (`https://account.example.com`); an `https`
    /// address makes every cookie `Secure`.
    pub public_url: String,
    /// A session unused this long ends. Default 30 minutes.
    pub session_idle: Duration,
    /// A session ends this long after sign-in whatever its use. Default 12 hours.
    pub session_lifetime: Duration,
    /// Changes (app passwords, two-step on) ask for the password again when the last check is
    /// older than this; also how long a password waits for its code. Default 5 minutes.
    pub reauth_after: Duration,
    /// The largest request body. Default 8 KiB (the largest form is a few hundred bytes).
    pub max_body: usize,
    /// The largest request head (request line and headers). Default 16 KiB.
    pub max_head: usize,
    /// Time to send the request head. Default 10 s.
    pub head_timeout: Duration,
    /// Time to answer a request, body included. Default 30 s.
    pub request_timeout: Duration,
    /// Connections served at once. Default 256.
    pub max_connections: usize,
}

impl WebConfig {
    /// The defaults, for a page players reach at `public_url`.
    pub fn new(public_url: impl Into<String>) -> Self {
        Self {
            public_url: public_url.into(),
            session_idle: Duration::from_secs(30 * 60),
            session_lifetime: Duration::from_secs(12 * 3600),
            reauth_after: Duration::from_secs(5 * 60),
            max_body: 8 * 1024,
            max_head: 16 * 1024,
            head_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 256,
        }
    }
}

/// The address a request came from (its TCP peer), set by [`serve_router`] on every request:
/// typed link codes are throttled per source as well as per account ([`crate::link`]). Behind
/// a reverse proxy every request comes from the proxy, and the per-source cap is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub std::net::IpAddr);

/// Where the page reads the time (sessions expire, codes change): the system clock, or a test's.
pub type Clock = Arc<dyn Fn() -> UnixMillis + Send + Sync>;

/// The page as an axum [`Router`] on the system clock (to mount behind another server).
///
/// # Errors
/// [`crate::Error::InvalidInput`] if the gateway's store keeps no Security info state.
pub fn router(gateway: Arc<Gateway>, config: WebConfig) -> Result<Router, crate::Error> {
    router_with_clock(gateway, config, Arc::new(UnixMillis::now))
}

/// [`router`] reading the time from `clock` (tests jump past an expiry with it).
///
/// # Errors
/// As [`router`].
pub fn router_with_clock(
    gateway: Arc<Gateway>,
    config: WebConfig,
    clock: Clock,
) -> Result<Router, crate::Error> {
    gateway.security()?;
    let config = Arc::new(config);
    let checks = std::thread::available_parallelism().map_or(2, usize::from);
    let app = App {
        gateway,
        config: config.clone(),
        checks: Arc::new(Semaphore::new(checks)),
        clock,
    };
    Ok(Router::new()
        .route("/style.css", get(routes::stylesheet))
        .fallback(routes::dispatch)
        .with_state(app)
        .layer(DefaultBodyLimit::max(config.max_body))
        .layer(middleware::from_fn_with_state(config, guard)))
}

/// Around every request: the time limit, the security headers, and one log line.
async fn guard(State(config): State<Arc<WebConfig>>, request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut response = match tokio::time::timeout(config.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "too slow").into_response(),
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    tracing::info!(
        %method,
        path = %path.chars().take(64).collect::<String>(),
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "web request"
    );
    response
}

/// Serves the page on `listener` until `shutdown` resolves.
///
/// # Errors
/// As [`router`].
pub async fn serve_web(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    config: WebConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), crate::Error> {
    let router = router(gateway, config.clone())?;
    serve_router(listener, router, &config, shutdown).await;
    Ok(())
}

/// Serves `router` (from [`router`] or [`router_with_clock`]) on `listener` with `config`'s
/// connection and request-head limits, until `shutdown` resolves.
pub async fn serve_router(
    listener: TcpListener,
    router: Router,
    config: &WebConfig,
    shutdown: impl Future<Output = ()>,
) {
    let connections = Arc::new(Semaphore::new(config.max_connections));
    // hyper's smallest buffer is 8 KiB.
    let (max_head, head_timeout) = (config.max_head.max(8192), config.head_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => return,
            permit = connections.clone().acquire_owned() => permit,
        };
        let Ok(permit) = permit else { return };
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "web: accept failed");
                continue;
            }
        };
        let ip = peer.ip();
        let service = TowerToHyperService::new(tower::ServiceExt::map_request(
            router.clone(),
            move |mut request: Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(PeerAddr(ip));
                request
            },
        ));
        tokio::spawn(async move {
            let _permit = permit;
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(head_timeout)
                .max_buf_size(max_head)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(error) = served {
                tracing::debug!(%error, "web connection ended");
            }
        });
    }
}
