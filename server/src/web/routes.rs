//! The page's routes: HTTP in, a [`Gateway`] call on a blocking thread, HTML out.
//!
//! | route | what |
//! |---|---|
//! | `GET /sign-in`, `POST /sign-in` | email, password, and (if on) the code in one form |
//! | `GET/POST /sign-in/code` | the code, when the sign-in form came without one |
//! | `POST /sign-out` | ends the session |
//! | `POST /confirm` | the password (and code) again, when the last check is too old |
//! | `GET /`, `POST /app-passwords[/revoke, /revoke-all]` | app passwords |
//! | `GET /two-step`, `POST /two-step/{begin, confirm, off}` | two-step verification |
//! | `GET /devices`, `POST /devices/{sign-out, sign-out-all}` | remembered devices |
//! | `GET/POST /password` | the primary password |
//! | `GET /activity` | recent activity |
//! | `GET /link[?code=]`, `POST /link[/approve, /decline]` | a device's phone link: code, approval |
//! | `GET /lang/{en,nl}` | the page's language (a cookie) |
//!
//! Order of checks on a `POST`: body size (413), form encoding (415/400), anti-forgery token
//! (403), session (else to sign-in), freshness of the last password check for changes, then
//! the change. Refusals are pages with the reason in the language of the page and a status
//! that says it: 401 wrong password or code, 429 throttled, 400 bad input.

use std::sync::Arc;

use axum::Form;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::Markup;
use tokio::sync::Semaphore;

use super::WebConfig;
use super::account::Checked;
use super::csrf;
use super::i18n::Lang;
use super::pages::{self, AppPasswordsView, DeviceView, Frame, LinkView, Notice};
use super::qr;
use super::sessions::{self, LANG_COOKIE, LINK_COOKIE, PRE_COOKIE, SESSION_COOKIE, Session};
use super::totp;
use crate::account::check_password;
use crate::error::Error;
use crate::gateway::Gateway;
use crate::link::LinkLookup;
use crate::store::security::{ActivityKind, SessionStage};
use crate::store::{AccountRecord, LinkRecord};
use crate::time::UnixMillis;

/// What the routes share.
#[derive(Clone)]
pub(crate) struct App {
    pub gateway: Arc<Gateway>,
    pub config: Arc<WebConfig>,
    /// Password checks (argon2id) running at once: at most one per core, so a flood of
    /// sign-ins queues instead of taking every thread and its memory.
    pub checks: Arc<Semaphore>,
    /// The time.
    pub clock: super::Clock,
}

/// An answer before it becomes HTTP.
struct Reply {
    status: StatusCode,
    body: Option<Markup>,
    location: Option<&'static str>,
    cookies: Vec<String>,
}

impl Reply {
    fn page(status: StatusCode, body: Markup) -> Self {
        Self {
            status,
            body: Some(body),
            location: None,
            cookies: Vec::new(),
        }
    }

    fn redirect(to: &'static str) -> Self {
        Self {
            status: StatusCode::SEE_OTHER,
            body: None,
            location: Some(to),
            cookies: Vec::new(),
        }
    }

    fn with_cookie(mut self, cookie: String) -> Self {
        self.cookies.push(cookie);
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = match self.body {
            Some(body) => (self.status, axum::response::Html(body.into_string())).into_response(),
            None => self.status.into_response(),
        };
        let headers = response.headers_mut();
        if let Some(to) = self.location {
            headers.insert(header::LOCATION, HeaderValue::from_static(to));
        }
        for cookie in self.cookies {
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                headers.append(header::SET_COOKIE, value);
            }
        }
        response
    }
}

/// One request as the handlers see it.
struct Ctx {
    path: String,
    /// The query string (only `/link` reads one: `?code=`).
    query: String,
    /// Where the request came from (the TCP peer's address), for throttling typed link codes.
    source: String,
    lang: Lang,
    headers: HeaderMap,
    now: UnixMillis,
}

impl Ctx {
    fn cookie(&self, name: &str) -> Option<String> {
        cookie_in(&self.headers, name)
    }

    /// The link code the player is on: from the QR code's `?code=`, else the cookie the
    /// signed-out `/link` set before sending them to sign in.
    fn link_code(&self) -> Option<padlock_protocol::LinkCode> {
        let from_query = self
            .query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == "code")
            .and_then(|(_, value)| padlock_protocol::LinkCode::parse(value));
        from_query.or_else(|| {
            self.cookie(LINK_COOKIE)
                .and_then(|value| padlock_protocol::LinkCode::parse(&value))
        })
    }
}

/// The value of the cookie `name` the request sent.
fn cookie_in(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// The page's language: the `lang` cookie, else the browser's `Accept-Language`.
fn lang_of(headers: &HeaderMap) -> Lang {
    cookie_in(headers, LANG_COOKIE)
        .and_then(|code| Lang::from_code(&code))
        .unwrap_or_else(|| {
            Lang::from_accept(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            )
        })
}

/// The stylesheet, the page's only other resource.
pub(crate) async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        super::STYLESHEET,
    )
        .into_response()
}

/// Every page: reads the request, runs the handler on a blocking thread (the store and argon2
/// block), and turns its reply or error into HTTP.
pub(crate) async fn dispatch(State(app): State<App>, request: Request) -> Response {
    let method = request.method().clone();
    let ctx = Ctx {
        path: request.uri().path().to_owned(),
        query: request.uri().query().unwrap_or("").to_owned(),
        source: request
            .extensions()
            .get::<super::PeerAddr>()
            .map_or_else(|| "unknown".to_owned(), |peer| peer.0.to_string()),
        lang: lang_of(request.headers()),
        headers: request.headers().clone(),
        now: (app.clock)(),
    };
    let lang = ctx.lang;
    let fields = if method == Method::POST {
        match Form::<Vec<(String, String)>>::from_request(request, &()).await {
            Ok(Form(fields)) => Some(fields),
            Err(rejection) => {
                let status = rejection.status();
                let t = lang.text();
                let title = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    t.too_large
                } else {
                    t.form_expired
                };
                return Reply::page(status, problem(lang, title)).into_response();
            }
        }
    } else if method == Method::GET || method == Method::HEAD {
        None
    } else {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    };
    let permit = match fields {
        Some(_) => app.checks.clone().acquire_owned().await.ok(),
        None => None,
    };
    let answer = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        match fields {
            Some(fields) => post(&app, &ctx, &fields),
            None => get(&app, &ctx),
        }
    })
    .await;
    match answer {
        Ok(Ok(reply)) => reply.into_response(),
        Ok(Err(error)) => {
            tracing::error!(%error, "web request failed");
            Reply::page(
                StatusCode::INTERNAL_SERVER_ERROR,
                problem(lang, lang.text().server_error),
            )
            .into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn problem(lang: Lang, title: &str) -> Markup {
    pages::problem(
        &Frame {
            lang,
            csrf: String::new(),
            signed_in: None,
            notice: None,
        },
        title,
    )
}

/// The session, and its account, if the browser has a live one.
fn session(app: &App, ctx: &Ctx) -> Result<Option<(Session, AccountRecord)>, Error> {
    let Some(cookie) = ctx.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(session) = app.gateway.web_session(&cookie, &app.config, ctx.now)? else {
        return Ok(None);
    };
    Ok(app
        .gateway
        .store
        .account_by_id(session.record.account_id)?
        .map(|account| (session, account)))
}

fn secure(app: &App) -> bool {
    app.config.public_url.starts_with("https://")
}

fn session_cookie(app: &App, value: &str) -> String {
    sessions::set_cookie(
        SESSION_COOKIE,
        value,
        app.config.session_lifetime.as_secs(),
        secure(app),
    )
}

fn clear_session_cookie(app: &App) -> String {
    sessions::set_cookie(SESSION_COOKIE, "", 0, secure(app))
}

fn get(app: &App, ctx: &Ctx) -> Result<Reply, Error> {
    if let Some(code) = ctx.path.strip_prefix("/lang/") {
        let Some(lang) = Lang::from_code(code) else {
            return Ok(not_found(ctx));
        };
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{}",
            lang.code(),
            if secure(app) { "; Secure" } else { "" }
        );
        return Ok(Reply::redirect("/").with_cookie(cookie));
    }
    let current = session(app, ctx)?;
    let (session, account) = match current {
        Some((session, account)) if session.record.stage == SessionStage::SignedIn => {
            (session, account)
        }
        Some((session, _)) if ctx.path == "/sign-in/code" => {
            return Ok(Reply::page(
                StatusCode::OK,
                pages::second_step(&frame(app, ctx, &session.cookie, None, None)),
            ));
        }
        _ => return signed_out_get(app, ctx),
    };
    let page = |notice| Page {
        app,
        ctx,
        session: &session,
        account: &account,
        notice,
    };
    match ctx.path.as_str() {
        "/sign-in" | "/sign-in/code" => Ok(Reply::redirect("/")),
        "/" => page(None).app_passwords(StatusCode::OK),
        "/two-step" => page(None).two_step(StatusCode::OK),
        "/devices" => page(None).devices(),
        "/password" => page(None).password(StatusCode::OK),
        "/activity" => page(None).activity(),
        "/link" => page(None).link_entry(StatusCode::OK, ""),
        _ => Ok(not_found(ctx)),
    }
}

/// A signed-out browser: the sign-in form (with its `pre` cookie), or a redirect to it.
fn signed_out_get(app: &App, ctx: &Ctx) -> Result<Reply, Error> {
    if ctx.path == "/link" {
        // Sign in first, then back here (signed_in) with the code kept in a cookie.
        let reply = Reply::redirect("/sign-in");
        return Ok(match ctx.link_code() {
            Some(code) => reply.with_cookie(link_cookie(app, code.as_str())),
            None => reply,
        });
    }
    if ctx.path != "/sign-in" {
        return Ok(match ctx.path.as_str() {
            "/" | "/two-step" | "/devices" | "/password" | "/activity" | "/sign-in/code" => {
                Reply::redirect("/sign-in")
            }
            _ => not_found(ctx),
        });
    }
    let notice = ctx
        .cookie(LINK_COOKIE)
        .map(|_| Notice::Info(ctx.lang.text().link_sign_in_first.into()));
    Ok(sign_in_page(app, ctx, StatusCode::OK, "", notice))
}

/// The cookie that keeps a link code across the sign-in (15 minutes, longer than a code lives).
fn link_cookie(app: &App, code: &str) -> String {
    sessions::set_cookie(LINK_COOKIE, code, 900, secure(app))
}

fn sign_in_page(
    app: &App,
    ctx: &Ctx,
    status: StatusCode,
    email: &str,
    notice: Option<Notice>,
) -> Reply {
    let (pre, fresh) = match ctx.cookie(PRE_COOKIE).filter(|c| c.len() == 64) {
        Some(pre) => (pre, false),
        None => (sessions::random_cookie(&app.gateway), true),
    };
    let reply = Reply::page(
        status,
        pages::sign_in(&frame(app, ctx, &pre, None, notice), email),
    );
    if fresh {
        reply.with_cookie(sessions::set_cookie(PRE_COOKIE, &pre, 3600, secure(app)))
    } else {
        reply
    }
}

fn frame<'a>(
    app: &App,
    ctx: &Ctx,
    cookie: &str,
    signed_in: Option<&'a str>,
    notice: Option<Notice>,
) -> Frame<'a> {
    Frame {
        lang: ctx.lang,
        csrf: csrf::token(&app.gateway, cookie),
        signed_in,
        notice,
    }
}

fn not_found(ctx: &Ctx) -> Reply {
    Reply::page(
        StatusCode::NOT_FOUND,
        problem(ctx.lang, ctx.lang.text().not_found),
    )
}

fn field<'f>(fields: &'f [(String, String)], name: &str) -> &'f str {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

fn post(app: &App, ctx: &Ctx, fields: &[(String, String)]) -> Result<Reply, Error> {
    let t = ctx.lang.text();
    let current = session(app, ctx)?;
    // The anti-forgery token belongs to the live session's cookie, else to the `pre` cookie;
    // the sign-in form may carry the `pre` cookie's even beside a session (one awaiting its
    // code, where the player went back to the form).
    let presented = field(fields, csrf::FIELD);
    let session_cookie = current.as_ref().map(|(session, _)| session.cookie.clone());
    let pre_cookie = (session_cookie.is_none() || ctx.path == "/sign-in")
        .then(|| ctx.cookie(PRE_COOKIE))
        .flatten();
    let token_ok = [session_cookie, pre_cookie]
        .into_iter()
        .flatten()
        .any(|cookie| csrf::check(&app.gateway, &cookie, presented));
    if !token_ok {
        tracing::info!(path = %ctx.path, "form refused: anti-forgery token missing or wrong");
        return Ok(Reply::page(
            StatusCode::FORBIDDEN,
            problem(ctx.lang, t.form_expired),
        ));
    }
    match (ctx.path.as_str(), current) {
        ("/sign-in", current) => sign_in(app, ctx, fields, current.map(|(s, _)| s)),
        ("/sign-in/code", Some((session, _)))
            if session.record.stage == SessionStage::AwaitingCode =>
        {
            second_step(app, ctx, fields, session)
        }
        ("/sign-out", Some((session, _))) => {
            app.gateway.end_web_session(&session)?;
            Ok(Reply::redirect("/sign-in").with_cookie(clear_session_cookie(app)))
        }
        (_, Some((session, account))) if session.record.stage == SessionStage::SignedIn => Page {
            app,
            ctx,
            session: &session,
            account: &account,
            notice: None,
        }
        .post(fields),
        _ => {
            let notice = Some(Notice::Error(t.session_ended.into()));
            Ok(sign_in_page(app, ctx, StatusCode::UNAUTHORIZED, "", notice)
                .with_cookie(clear_session_cookie(app)))
        }
    }
}

fn refusal(t: &super::i18n::Text, checked: Checked, wrong: &str) -> (StatusCode, Notice) {
    match checked {
        Checked::Throttled(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            Notice::Error(format!(
                "{} {secs} {}",
                t.throttled_before, t.throttled_after
            )),
        ),
        _ => (StatusCode::UNAUTHORIZED, Notice::Error(wrong.into())),
    }
}

fn sign_in(
    app: &App,
    ctx: &Ctx,
    fields: &[(String, String)],
    replaced: Option<Session>,
) -> Result<Reply, Error> {
    let t = ctx.lang.text();
    let email = field(fields, "email");
    let code = Some(field(fields, "code"));
    let checked = app
        .gateway
        .web_sign_in(email, field(fields, "password"), code, ctx.now)?;
    let account_id = match checked {
        Checked::Passed { account_id, .. } => {
            return signed_in(app, ctx, account_id, replaced.as_ref());
        }
        Checked::NeedsCode(account_id) => account_id,
        other => {
            let (status, notice) = refusal(t, other, t.wrong_credentials);
            return Ok(sign_in_page(app, ctx, status, email, Some(notice)));
        }
    };
    let cookie = app.gateway.start_web_session(
        account_id,
        SessionStage::AwaitingCode,
        replaced.as_ref(),
        &app.config,
        ctx.now,
    )?;
    Ok(Reply::redirect("/sign-in/code").with_cookie(session_cookie(app, &cookie)))
}

/// A new signed-in session for `account_id` (ending `replaced`), its sign-in recorded, and
/// the way home.
fn signed_in(
    app: &App,
    ctx: &Ctx,
    account_id: i64,
    replaced: Option<&Session>,
) -> Result<Reply, Error> {
    let cookie = app.gateway.start_web_session(
        account_id,
        SessionStage::SignedIn,
        replaced,
        &app.config,
        ctx.now,
    )?;
    app.gateway
        .security()?
        .record_activity(account_id, ActivityKind::WebSignIn, "", ctx.now)?;
    // Back to the device's link, if that is what the player came for.
    let home = if ctx.cookie(LINK_COOKIE).is_some() {
        "/link"
    } else {
        "/"
    };
    Ok(Reply::redirect(home).with_cookie(session_cookie(app, &cookie)))
}

fn second_step(
    app: &App,
    ctx: &Ctx,
    fields: &[(String, String)],
    session: Session,
) -> Result<Reply, Error> {
    let t = ctx.lang.text();
    let checked =
        app.gateway
            .web_second_step(session.record.account_id, field(fields, "code"), ctx.now)?;
    if let Checked::Passed { account_id, .. } = checked {
        return signed_in(app, ctx, account_id, Some(&session));
    }
    let (status, notice) = refusal(t, checked, t.wrong_code);
    Ok(Reply::page(
        status,
        pages::second_step(&frame(app, ctx, &session.cookie, None, Some(notice))),
    ))
}

/// A signed-in page and its forms.
struct Page<'a> {
    app: &'a App,
    ctx: &'a Ctx,
    session: &'a Session,
    account: &'a AccountRecord,
    notice: Option<Notice>,
}

impl Page<'_> {
    fn frame(&self) -> Frame<'_> {
        frame(
            self.app,
            self.ctx,
            &self.session.cookie,
            Some(&self.account.email),
            self.notice.clone(),
        )
    }

    fn gateway(&self) -> &Gateway {
        &self.app.gateway
    }

    fn record(&self, kind: ActivityKind, detail: &str) -> Result<(), Error> {
        self.gateway()
            .security()?
            .record_activity(self.account.id, kind, detail, self.ctx.now)
    }

    /// Whether the player proved who they are recently enough for a change.
    fn fresh(&self) -> bool {
        self.ctx.now.since(self.session.record.last_auth) < self.app.config.reauth_after
    }

    /// Checks the form's password and code again: `Err` holds the refusal to show.
    fn confirmed(
        &self,
        fields: &[(String, String)],
    ) -> Result<Result<(), (StatusCode, Notice)>, Error> {
        let t = self.ctx.lang.text();
        let checked = self.gateway().web_confirm(
            self.account,
            field(fields, "password"),
            Some(field(fields, "code")),
            self.ctx.now,
        )?;
        Ok(match checked {
            Checked::Passed { .. } => Ok(()),
            other => Err(refusal(t, other, t.wrong_credentials)),
        })
    }

    fn with(self, notice: Notice) -> Self {
        Self {
            notice: Some(notice),
            ..self
        }
    }

    fn app_passwords(&self, status: StatusCode) -> Result<Reply, Error> {
        let list = self.gateway().app_passwords(&self.account.email)?;
        let view = AppPasswordsView {
            list: &list,
            confirm_first: !self.fresh(),
            two_step: self.gateway().has_authenticator(self.account.id)?,
        };
        Ok(Reply::page(
            status,
            pages::app_passwords(&self.frame(), &view),
        ))
    }

    fn two_step(&self, status: StatusCode) -> Result<Reply, Error> {
        let security = self.gateway().security()?;
        let view = pages::TwoStepView {
            flag: self.account.two_step,
            authenticator: security.totp(self.account.id)?.is_some(),
            codes_left: security.recovery_codes_left(self.account.id)?,
            confirm_first: !self.fresh(),
        };
        Ok(Reply::page(status, pages::two_step(&self.frame(), &view)))
    }

    fn devices(&self) -> Result<Reply, Error> {
        let t = self.ctx.lang.text();
        let gateway = self.gateway();
        let known = gateway.store.known_devices(self.account.id)?;
        let apps = gateway.app_passwords(&self.account.email)?;
        let mut list = Vec::new();
        for token in gateway.tokens_at(&self.account.email, self.ctx.now)? {
            let first = gateway
                .store
                .token_by_id(token.id)?
                .and_then(|current| gateway.store.token_by_id(current.family).ok().flatten())
                .map_or(token.issued, |first| first.created);
            let description = known
                .iter()
                .find(|d| d.device_key == token.device_key)
                .and_then(|d| d.description.clone())
                .unwrap_or_else(|| t.unknown_device.to_owned());
            let credential = match token.app_password_id {
                None => t.primary_password.to_owned(),
                Some(id) => apps
                    .iter()
                    .find(|a| a.id == id)
                    .map_or_else(|| format!("#{id}"), |a| a.name.clone()),
            };
            list.push(DeviceView {
                id: token.id,
                description,
                first_signed_in: first,
                last_seen: token.issued,
                credential,
            });
        }
        Ok(Reply::page(
            StatusCode::OK,
            pages::devices(&self.frame(), &list),
        ))
    }

    /// How the device holding token `id` described itself (for the activity list).
    fn device_name(&self, id: i64) -> Result<String, Error> {
        let gateway = self.gateway();
        let Some(token) = gateway.store.token_by_id(id)? else {
            return Ok(String::new());
        };
        Ok(gateway
            .store
            .known_device(self.account.id, &token.device_key)?
            .and_then(|d| d.description)
            .unwrap_or_default())
    }

    fn password(&self, status: StatusCode) -> Result<Reply, Error> {
        let two_step = self.gateway().has_authenticator(self.account.id)?;
        Ok(Reply::page(
            status,
            pages::password(&self.frame(), two_step),
        ))
    }

    fn activity(&self) -> Result<Reply, Error> {
        let failed = self.gateway().failed_attempts(self.account)?;
        let lines = self.gateway().security()?.activity(self.account.id, 50)?;
        Ok(Reply::page(
            StatusCode::OK,
            pages::activity(&self.frame(), failed, &lines),
        ))
    }

    fn post(self, fields: &[(String, String)]) -> Result<Reply, Error> {
        let t = self.ctx.lang.text();
        let path = self.ctx.path.as_str();
        let needs_fresh = matches!(
            path,
            "/app-passwords"
                | "/app-passwords/revoke"
                | "/app-passwords/revoke-all"
                | "/two-step/begin"
        );
        if needs_fresh && !self.fresh() {
            let page = self.with(Notice::Error(t.confirm_identity.into()));
            return if path == "/two-step/begin" {
                page.two_step(StatusCode::UNAUTHORIZED)
            } else {
                page.app_passwords(StatusCode::UNAUTHORIZED)
            };
        }
        match path {
            "/confirm" => self.confirm(fields),
            "/app-passwords" => self.create_app_password(field(fields, "name")),
            "/app-passwords/revoke" => {
                let id: i64 = field(fields, "id").parse().unwrap_or(-1);
                let name = self
                    .gateway()
                    .app_passwords(&self.account.email)?
                    .into_iter()
                    .find(|a| a.id == id)
                    .map(|a| a.name);
                if let Some(name) = name {
                    self.gateway()
                        .revoke_app_password(&self.account.email, id)?;
                    self.record(ActivityKind::AppPasswordRevoked, &name)?;
                }
                Ok(Reply::redirect("/"))
            }
            "/app-passwords/revoke-all" => {
                self.gateway()
                    .revoke_all_app_passwords(&self.account.email)?;
                self.record(ActivityKind::AllAppPasswordsRevoked, "")?;
                Ok(Reply::redirect("/"))
            }
            "/two-step/begin" => self.begin_two_step(None),
            "/two-step/confirm" => self.confirm_two_step(field(fields, "code")),
            "/two-step/off" => {
                if let Err((status, notice)) = self.confirmed(fields)? {
                    return self.with(notice).two_step(status);
                }
                self.gateway()
                    .disable_two_step(self.account, self.ctx.now)?;
                Ok(Reply::redirect("/two-step"))
            }
            "/devices/sign-out" => {
                let id: i64 = field(fields, "id").parse().unwrap_or(-1);
                let name = self.device_name(id)?;
                match self.gateway().revoke_token(&self.account.email, id) {
                    Ok(()) => self.record(ActivityKind::DeviceSignedOut, &name)?,
                    Err(Error::UnknownToken(_)) => {}
                    Err(error) => return Err(error),
                }
                Ok(Reply::redirect("/devices"))
            }
            "/devices/sign-out-all" => {
                self.gateway().revoke_all_tokens(&self.account.email)?;
                self.record(ActivityKind::AllDevicesSignedOut, "")?;
                Ok(Reply::redirect("/devices"))
            }
            "/password" => self.change_password(fields),
            "/link" => self.link_lookup(field(fields, "code")),
            "/link/approve" => self.link_approve(fields),
            "/link/decline" => self.link_decline(field(fields, "link_code")),
            _ => Ok(not_found(self.ctx)),
        }
    }

    fn confirm(self, fields: &[(String, String)]) -> Result<Reply, Error> {
        let back_to_two_step = field(fields, "next") == "/two-step";
        match self.confirmed(fields)? {
            Ok(()) => {
                self.gateway()
                    .security()?
                    .reauthenticated(&self.session.hash, self.ctx.now)?;
                Ok(Reply::redirect(if back_to_two_step {
                    "/two-step"
                } else {
                    "/"
                }))
            }
            Err((status, notice)) if back_to_two_step => self.with(notice).two_step(status),
            Err((status, notice)) => self.with(notice).app_passwords(status),
        }
    }

    fn create_app_password(self, name: &str) -> Result<Reply, Error> {
        let t = self.ctx.lang.text();
        let name = name.trim();
        let created =
            match self
                .gateway()
                .create_app_password(&self.account.email, name, self.ctx.now)
            {
                Ok(created) => created,
                Err(Error::InvalidInput(_)) => {
                    return self
                        .with(Notice::Error(t.bad_name.into()))
                        .app_passwords(StatusCode::BAD_REQUEST);
                }
                Err(error) => return Err(error),
            };
        self.record(ActivityKind::AppPasswordCreated, name)?;
        Ok(Reply::page(
            StatusCode::OK,
            pages::new_app_password(&self.frame(), name, &created.formatted),
        ))
    }

    /// Shows a fresh authenticator secret (kept sealed in the session until confirmed), or the
    /// pending one again with `notice`.
    fn begin_two_step(self, notice: Option<Notice>) -> Result<Reply, Error> {
        let gateway = self.gateway();
        let security = gateway.security()?;
        if security.totp(self.account.id)?.is_some() {
            return Ok(Reply::redirect("/two-step"));
        }
        let (secret, status) = match (&notice, &self.session.record.pending_totp) {
            (Some(_), Some(sealed)) => (
                gateway.unseal_totp(self.account.id, sealed)?,
                StatusCode::UNAUTHORIZED,
            ),
            _ => {
                let (secret, sealed) = gateway.new_authenticator_secret(self.account.id)?;
                security.set_pending_totp(&self.session.hash, Some(&sealed))?;
                (secret, StatusCode::OK)
            }
        };
        let t = self.ctx.lang.text();
        let uri = totp::otpauth_uri("Padlock", &self.account.email, &secret);
        let svg = qr::svg(&uri, t.qr_label).unwrap_or_default();
        let key = totp::grouped(&totp::base32(&secret));
        let page = Page { notice, ..self };
        Ok(Reply::page(
            status,
            pages::two_step_setup(&page.frame(), &svg, &key),
        ))
    }

    fn confirm_two_step(self, code: &str) -> Result<Reply, Error> {
        let t = self.ctx.lang.text();
        let Some(sealed) = self.session.record.pending_totp.clone() else {
            return Ok(Reply::redirect("/two-step"));
        };
        match self
            .gateway()
            .enable_two_step(self.account, &sealed, code, self.ctx.now)?
        {
            Some(codes) => {
                self.gateway()
                    .security()?
                    .set_pending_totp(&self.session.hash, None)?;
                Ok(Reply::page(
                    StatusCode::OK,
                    pages::recovery_codes(&self.frame(), &codes),
                ))
            }
            None => self.begin_two_step(Some(Notice::Error(t.wrong_code.into()))),
        }
    }

    /// The code form, with `code` (or the one the player came with) filled in.
    fn link_entry(&self, status: StatusCode, code: &str) -> Result<Reply, Error> {
        let shown = match self.ctx.link_code() {
            Some(code) if status == StatusCode::OK => code.to_string(),
            _ => code.to_owned(),
        };
        Ok(Reply::page(
            status,
            pages::link_entry(&self.frame(), &shown),
        ))
    }

    /// The pending link with the typed `code` (a throttled attempt, see [`crate::link`]), or
    /// the code form again with the reason.
    fn find_link(&self, code: &str) -> Result<Result<LinkRecord, Reply>, Error> {
        let t = self.ctx.lang.text();
        let found =
            self.gateway()
                .find_link(self.account.id, &self.ctx.source, code, self.ctx.now)?;
        let (status, notice) = match found {
            LinkLookup::Found(link) => return Ok(Ok(link)),
            LinkLookup::Throttled(secs) => refusal(t, Checked::Throttled(secs), t.link_wrong),
            LinkLookup::NotFound => (StatusCode::BAD_REQUEST, Notice::Error(t.link_wrong.into())),
        };
        let page = Page {
            app: self.app,
            ctx: self.ctx,
            session: self.session,
            account: self.account,
            notice: Some(notice),
        };
        Ok(Err(page.link_entry(status, code)?))
    }

    fn link_approval(&self, status: StatusCode, link: &LinkRecord) -> Result<Reply, Error> {
        let view = LinkView {
            code: link.code.to_string(),
            kind: link.kind,
            model: &link.model,
            firmware: &link.firmware,
            asked: link.created,
            confirm_first: !self.fresh(),
            two_step: self.gateway().has_authenticator(self.account.id)?,
        };
        Ok(Reply::page(
            status,
            pages::link_approval(&self.frame(), &view),
        ))
    }

    fn link_lookup(self, code: &str) -> Result<Reply, Error> {
        match self.find_link(code)? {
            Ok(link) => self.link_approval(StatusCode::OK, &link),
            Err(reply) => Ok(reply),
        }
    }

    /// Approves: a credential like an app password, so an old sign-in asks the password
    /// (and code) again first, as creating an app password does.
    fn link_approve(self, fields: &[(String, String)]) -> Result<Reply, Error> {
        let link = match self.find_link(field(fields, "link_code"))? {
            Ok(link) => link,
            Err(reply) => return Ok(reply),
        };
        if !self.fresh() {
            if let Err((status, notice)) = self.confirmed(fields)? {
                return self.with(notice).link_approval(status, &link);
            }
            self.gateway()
                .security()?
                .reauthenticated(&self.session.hash, self.ctx.now)?;
        }
        if !self
            .gateway()
            .approve_link(self.account.id, &link, self.ctx.now)?
        {
            let t = self.ctx.lang.text();
            return self
                .with(Notice::Error(t.link_wrong.into()))
                .link_entry(StatusCode::BAD_REQUEST, "");
        }
        self.record(
            ActivityKind::AppPasswordCreated,
            &format!("Link · {}", link.model),
        )?;
        Ok(
            Reply::page(StatusCode::OK, pages::link_done(&self.frame(), true))
                .with_cookie(sessions::set_cookie(LINK_COOKIE, "", 0, secure(self.app))),
        )
    }

    fn link_decline(self, code: &str) -> Result<Reply, Error> {
        let link = match self.find_link(code)? {
            Ok(link) => link,
            Err(reply) => return Ok(reply),
        };
        self.gateway().decline_link(&link, self.ctx.now)?;
        Ok(
            Reply::page(StatusCode::OK, pages::link_done(&self.frame(), false))
                .with_cookie(sessions::set_cookie(LINK_COOKIE, "", 0, secure(self.app))),
        )
    }

    fn change_password(self, fields: &[(String, String)]) -> Result<Reply, Error> {
        let t = self.ctx.lang.text();
        let new = field(fields, "new");
        if new != field(fields, "repeat") {
            return self
                .with(Notice::Error(t.passwords_differ.into()))
                .password(StatusCode::BAD_REQUEST);
        }
        if check_password(new).is_err() {
            return self
                .with(Notice::Error(t.bad_password.into()))
                .password(StatusCode::BAD_REQUEST);
        }
        if let Err((status, notice)) = self.confirmed(fields)? {
            return self.with(notice).password(status);
        }
        let gateway = self.gateway();
        let hash = gateway.passwords.hash(new.as_bytes(), &mut gateway.rng())?;
        let security = gateway.security()?;
        security.change_password(self.account.id, &hash, &self.session.hash)?;
        security.reauthenticated(&self.session.hash, self.ctx.now)?;
        self.record(ActivityKind::PasswordChanged, "")?;
        self.with(Notice::Info(t.password_changed.into()))
            .password(StatusCode::OK)
    }
}
