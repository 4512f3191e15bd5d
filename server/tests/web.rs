//! The Security info page over HTTP: every page, and every refusal, through the page's real
//! router (and, for the limits hyper enforces, a real socket), against an in-process gateway.
//! The device door is driven with the real protocol client (`common::Device`), so what the page
//! does is checked where it matters: on the device.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use common::{Device, EMAIL, PRIMARY, config, denied, granted_token, is_granted};
use padlock_protocol::{
    DenyReason, DeviceInfo, DeviceKind, LinkAddress, LinkCode, Request as DeviceRequest, Response,
};
use padlock_server::web::player::form_encode as encode;
use padlock_server::web::{self, WebConfig, totp};
use padlock_server::{Gateway, UnixMillis};
use tower::ServiceExt;

/// A browser: a cookie jar, a language, and the last page's form token.
struct Browser {
    router: Router,
    clock: Arc<AtomicU64>,
    cookies: BTreeMap<String, String>,
    accept_language: &'static str,
}

/// A page as the browser got it.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The form token of the first form on the page.
    fn csrf(&self) -> String {
        self.between("name=\"csrf\" value=\"", "\"")
            .expect("a form token")
    }

    fn between(&self, start: &str, end: &str) -> Option<String> {
        let from = self.body.find(start)? + start.len();
        let len = self.body[from..].find(end)?;
        Some(self.body[from..from + len].to_owned())
    }

    fn shows(&self, text: &str) -> bool {
        self.body.contains(text)
    }
}

impl Browser {
    fn now(&self) -> UnixMillis {
        UnixMillis(self.clock.load(Ordering::SeqCst))
    }

    fn advance(&self, by: Duration) {
        self.clock
            .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }

    async fn send(&mut self, request: Request<Body>) -> Page {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for cookie in headers.get_all(header::SET_COOKIE) {
            let cookie = cookie.to_str().unwrap();
            let (pair, attributes) = cookie.split_once(';').unwrap_or((cookie, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.into(), value.into());
            }
        }
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Page {
            status,
            headers,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }

    fn builder(&self, method: &str, path: &str) -> axum::http::request::Builder {
        let cookies: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::ACCEPT_LANGUAGE, self.accept_language);
        if cookies.is_empty() {
            builder
        } else {
            builder.header(header::COOKIE, cookies.join("; "))
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = self.builder("GET", path).body(Body::empty()).unwrap();
        self.send(request).await
    }

    /// Posts `fields` as a form, exactly as given (no token added).
    async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        let request = self
            .builder("POST", path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.join("&")))
            .unwrap();
        self.send(request).await
    }

    /// Posts `fields` with the form token of the page at `from` (as a browser submitting a
    /// form it was shown).
    async fn submit(&mut self, from: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.get(from).await.csrf();
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    async fn sign_in(&mut self, password: &str, code: &str) -> Page {
        self.submit(
            "/sign-in",
            "/sign-in",
            &[("email", EMAIL), ("password", password), ("code", code)],
        )
        .await
    }
}

struct PageAndGateway {
    gateway: Arc<Gateway>,
    clock: Arc<AtomicU64>,
    router: Router,
}

impl PageAndGateway {
    fn new(two_step: bool) -> Self {
        let link = LinkAddress::new("https://account.example.com/link").unwrap();
        let gateway = Arc::new(Gateway::in_memory(config().with_link_address(link)).unwrap());
        gateway
            .add_account(EMAIL, "Ann", PRIMARY, two_step)
            .unwrap();
        let clock = Arc::new(AtomicU64::new(common::t(0).0));
        let read = clock.clone();
        let router = web::router_with_clock(
            gateway.clone(),
            WebConfig::new("https://account.example.com"),
            Arc::new(move || UnixMillis(read.load(Ordering::SeqCst))),
        )
        .unwrap();
        Self {
            gateway,
            clock,
            router,
        }
    }

    fn browser(&self) -> Browser {
        Browser {
            router: self.router.clone(),
            clock: self.clock.clone(),
            cookies: BTreeMap::new(),
            accept_language: "en-GB,en;q=0.9",
        }
    }
}

/// Signs in and turns two-step on; returns the authenticator secret read off the page.
async fn turn_two_step_on(browser: &mut Browser) -> (Vec<u8>, Vec<String>) {
    let setup = browser.submit("/two-step", "/two-step/begin", &[]).await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.body);
    assert!(setup.shows("<svg"), "a QR code");
    let key = setup
        .between("id=\"totp-secret\">", "<")
        .expect("the key as text");
    let secret = totp::from_base32(&key).unwrap();
    assert_eq!(secret.len(), totp::SECRET_LEN);
    let uri = totp::otpauth_uri("Padlock", EMAIL, &secret);
    assert!(uri.contains(&totp::base32(&secret)));

    let wrong = browser
        .post_raw(
            "/two-step/confirm",
            &[("csrf", &setup.csrf()), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.between("id=\"totp-secret\">", "<").unwrap(),
        key,
        "the same secret is shown again"
    );
    let code = current_code(&secret, browser.now());
    let done = browser
        .post_raw(
            "/two-step/confirm",
            &[("csrf", &setup.csrf()), ("code", &code)],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.shows("now need an app password"));
    let list = done.between("id=\"recovery-codes\">", "</ul>").unwrap();
    let codes: Vec<String> = list
        .split("<li>")
        .filter_map(|item| item.split("</li>").next())
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    assert_eq!(codes.len(), 10, "{list}");
    (secret, codes)
}

fn current_code(secret: &[u8], now: UnixMillis) -> String {
    totp::code_text(secret, totp::step_at(now.0 / 1000))
}

#[tokio::test]
async fn the_sign_in_page_is_labelled_and_sends_the_security_headers() {
    let rig = PageAndGateway::new(false);
    let mut browser = rig.browser();
    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location(), "/sign-in");
    let page = browser.get("/sign-in").await;
    assert_eq!(page.status, StatusCode::OK);
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("script-src"), "no script is allowed: {csp}");
    assert_eq!(page.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(page.headers[header::REFERRER_POLICY], "no-referrer");
    // Every visible input has a label pointing at it.
    for input in page.body.split("<input").skip(1) {
        if input.contains("type=\"hidden\"") {
            continue;
        }
        let id = input
            .split("id=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(page.shows(&format!("<label for=\"{id}\">")), "{id}");
    }
    assert!(!page.shows("<script"));
    let css = browser.get("/style.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert_eq!(browser.get("/nowhere").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_the_right_one_starts_a_new_session() {
    let rig = PageAndGateway::new(false);
    let mut browser = rig.browser();
    let wrong = browser.sign_in("not it", "").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.shows("password or code is not right"));
    assert!(
        wrong.shows(&format!("value=\"{EMAIL}\"")),
        "the email is kept"
    );
    assert!(!browser.cookies.contains_key("padlock_session"));

    // A session id planted before sign-in is replaced by a new one.
    browser
        .cookies
        .insert("padlock_session".into(), "ab".repeat(32));
    let right = browser.sign_in(PRIMARY, "").await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.body);
    assert_eq!(right.location(), "/");
    let set = right.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Secure"),
        "{set}"
    );
    let session = browser.cookies["padlock_session"].clone();
    assert_eq!(session.len(), 64);
    assert_ne!(session, "ab".repeat(32));
    for path in ["/", "/two-step", "/devices", "/password", "/activity"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.shows("Sign out"), "{path}");
    }
    assert!(browser.get("/activity").await.shows("Signed in on the web"));
    let out = browser.submit("/", "/sign-out", &[]).await;
    assert_eq!(out.location(), "/sign-in");
    assert_eq!(browser.get("/").await.location(), "/sign-in");
}

#[tokio::test]
async fn forms_without_their_token_are_refused_with_403() {
    let rig = PageAndGateway::new(false);
    let mut browser = rig.browser();
    browser.get("/sign-in").await;
    let fields = [("email", EMAIL), ("password", PRIMARY)];
    assert_eq!(
        browser.post_raw("/sign-in", &fields).await.status,
        StatusCode::FORBIDDEN,
        "missing"
    );
    let wrong = [
        ("csrf", "00".repeat(32)),
        ("email", EMAIL.into()),
        ("password", PRIMARY.into()),
    ];
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        browser.post_raw("/sign-in", &wrong).await.status,
        StatusCode::FORBIDDEN,
        "wrong"
    );
    // The signed-out form's token does not work for a signed-in session's forms.
    let pre_token = browser.get("/sign-in").await.csrf();
    browser.sign_in(PRIMARY, "").await;
    let forged = browser
        .post_raw(
            "/app-passwords",
            &[("csrf", &pre_token), ("name", "Forged")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(rig.gateway.app_passwords(EMAIL).unwrap().is_empty());
}

#[tokio::test]
async fn an_oversized_body_is_413_and_a_wrong_encoding_is_refused() {
    let rig = PageAndGateway::new(false);
    let mut browser = rig.browser();
    let token = browser.get("/sign-in").await.csrf();
    let huge = "x".repeat(64 * 1024);
    let page = browser
        .post_raw("/sign-in", &[("csrf", &token), ("email", &huge)])
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    let request = browser
        .builder("POST", "/sign-in")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(
        browser.send(request).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
}

#[tokio::test]
async fn an_idle_or_old_session_ends() {
    let rig = PageAndGateway::new(false);
    let mut browser = rig.browser();
    browser.sign_in(PRIMARY, "").await;
    browser.advance(Duration::from_secs(29 * 60));
    assert_eq!(browser.get("/").await.status, StatusCode::OK, "in use");
    browser.advance(Duration::from_secs(31 * 60));
    let token = browser.get("/sign-in").await;
    assert_eq!(token.status, StatusCode::OK, "idle: signed out");
    let late = browser
        .post_raw(
            "/app-passwords",
            &[("csrf", &token.csrf()), ("name", "Late")],
        )
        .await;
    assert_eq!(late.status, StatusCode::UNAUTHORIZED);
    assert!(late.shows("Your session has ended"));

    // Used every 20 minutes, a session still ends 12 hours after sign-in.
    browser.sign_in(PRIMARY, "").await;
    for _ in 0..35 {
        browser.advance(Duration::from_secs(20 * 60));
        assert_eq!(browser.get("/").await.status, StatusCode::OK);
    }
    browser.advance(Duration::from_secs(20 * 60));
    assert_eq!(browser.get("/").await.location(), "/sign-in");
}

#[tokio::test]
async fn app_passwords_are_shown_once_listed_revoked_and_then_refused_on_the_device() {
    let rig = PageAndGateway::new(true);
    let mut browser = rig.browser();
    browser.sign_in(PRIMARY, "").await;
    let created = browser
        .submit("/", "/app-passwords", &[("name", "Xbox 360 living room")])
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let shown = created.between("id=\"app-password\">", "<").unwrap();
    assert_eq!(shown.len(), 19, "{shown}");
    assert!(shown.split(' ').all(|g| g.len() == 4));
    assert!(created.shows("instead of your password"));

    let device = Device::new(1);
    let granted = device.sign_in(&rig.gateway, EMAIL, &shown, true, browser.now());
    let token = granted_token(&granted);
    let list = browser.get("/").await;
    assert!(list.shows("Xbox 360 living room"));
    assert!(
        list.shows("Xbox360 Xbox 360 S (2.0.17559.0)"),
        "last device"
    );
    assert!(!list.shows(&shown), "never shown again");
    let devices = browser.get("/devices").await;
    assert!(devices.shows("Xbox360 Xbox 360 S"), "{}", devices.body);
    assert!(devices.shows("Xbox 360 living room"), "which app password");
    assert!(
        browser
            .get("/activity")
            .await
            .shows("Signed in on a device")
    );

    let id = rig.gateway.app_passwords(EMAIL).unwrap()[0].id.to_string();
    let revoked = browser
        .submit("/", "/app-passwords/revoke", &[("id", &id)])
        .await;
    assert_eq!(revoked.location(), "/");
    assert!(rig.gateway.app_passwords(EMAIL).unwrap().is_empty());
    assert_eq!(
        device.sign_in(&rig.gateway, EMAIL, &shown, false, browser.now()),
        denied(DenyReason::WrongCredentials)
    );
    assert_eq!(
        device.resume(&rig.gateway, &token, browser.now()),
        denied(DenyReason::TokenInvalid),
        "its remembered token too"
    );
    let activity = browser.get("/activity").await;
    assert!(activity.shows("App password created: Xbox 360 living room"));
    assert!(activity.shows("App password revoked: Xbox 360 living room"));

    // Revoke all.
    for name in ["One", "Two"] {
        browser
            .submit("/", "/app-passwords", &[("name", name)])
            .await;
    }
    browser.submit("/", "/app-passwords/revoke-all", &[]).await;
    assert!(rig.gateway.app_passwords(EMAIL).unwrap().is_empty());
    let bad = browser
        .submit("/", "/app-passwords", &[("name", " ")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn changes_ask_for_the_password_again_after_a_few_minutes() {
    let rig = PageAndGateway::new(false);
    let mut browser = rig.browser();
    browser.sign_in(PRIMARY, "").await;
    browser.advance(Duration::from_secs(6 * 60));
    let home = browser.get("/").await;
    assert!(home.shows("confirm your password"));
    let stale = browser
        .post_raw(
            "/app-passwords",
            &[("csrf", &home.csrf()), ("name", "Late")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::UNAUTHORIZED);
    assert!(rig.gateway.app_passwords(EMAIL).unwrap().is_empty());
    let wrong = browser
        .submit("/", "/confirm", &[("password", "nope"), ("next", "/")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let confirmed = browser
        .submit("/", "/confirm", &[("password", PRIMARY), ("next", "/")])
        .await;
    assert_eq!(confirmed.location(), "/");
    let created = browser
        .submit("/", "/app-passwords", &[("name", "Now")])
        .await;
    assert_eq!(created.status, StatusCode::OK);
}

#[tokio::test]
async fn two_step_codes_work_once_and_recovery_codes_are_spent() {
    let rig = PageAndGateway::new(false);
    let mut browser = rig.browser();
    browser.sign_in(PRIMARY, "").await;
    // A primary-password device token dies when two-step goes on.
    let device = Device::new(2);
    let token = granted_token(&device.sign_in(&rig.gateway, EMAIL, PRIMARY, true, browser.now()));
    let (secret, recovery) = turn_two_step_on(&mut browser).await;
    assert!(rig.gateway.accounts().unwrap()[0].two_step);
    assert_eq!(
        device.resume(&rig.gateway, &token, browser.now()),
        denied(DenyReason::TokenInvalid)
    );
    assert!(
        browser
            .get("/two-step")
            .await
            .shows("Recovery codes left: 10")
    );
    browser.submit("/", "/sign-out", &[]).await;

    // The password alone leads to the code page; the code that confirmed set-up is used up.
    let first = browser.sign_in(PRIMARY, "").await;
    assert_eq!(first.location(), "/sign-in/code");
    // Back to the form from the code page: it still submits, and leads to the code page again.
    let again = browser.sign_in(PRIMARY, "").await;
    assert_eq!(again.location(), "/sign-in/code", "{}", again.body);
    assert_eq!(
        browser.get("/").await.location(),
        "/sign-in",
        "not signed in yet"
    );
    let used = current_code(&secret, browser.now());
    let reused = browser
        .submit("/sign-in/code", "/sign-in/code", &[("code", &used)])
        .await;
    assert_eq!(
        reused.status,
        StatusCode::UNAUTHORIZED,
        "a used code is refused"
    );
    assert!(reused.shows("already used"));
    let wrong = browser
        .submit("/sign-in/code", "/sign-in/code", &[("code", "12345x")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    browser.advance(Duration::from_secs(30));
    let next = current_code(&secret, browser.now());
    let passed = browser
        .submit("/sign-in/code", "/sign-in/code", &[("code", &next)])
        .await;
    assert_eq!(passed.location(), "/", "{}", passed.body);
    assert_eq!(browser.get("/").await.status, StatusCode::OK);
    browser.submit("/", "/sign-out", &[]).await;

    // Code on the sign-in form itself; the same code again is refused.
    browser.advance(Duration::from_secs(30));
    let code = current_code(&secret, browser.now());
    assert_eq!(browser.sign_in(PRIMARY, &code).await.location(), "/");
    browser.submit("/", "/sign-out", &[]).await;
    assert_eq!(
        browser.sign_in(PRIMARY, &code).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A wrong password with a right code says nothing more than a wrong password.
    browser.advance(Duration::from_secs(30));
    let code = current_code(&secret, browser.now());
    let wrong_password = browser.sign_in("nope", &code).await;
    assert!(wrong_password.shows("password or code is not right"));

    // A recovery code signs in once.
    let spent = &recovery[0];
    assert_eq!(browser.sign_in(PRIMARY, spent).await.location(), "/");
    browser.submit("/", "/sign-out", &[]).await;
    assert_eq!(
        browser.sign_in(PRIMARY, spent).await.status,
        StatusCode::UNAUTHORIZED
    );
    let upper = recovery[1].to_uppercase().replace('-', " ");
    assert_eq!(browser.sign_in(PRIMARY, &upper).await.location(), "/");
    assert!(
        browser
            .get("/two-step")
            .await
            .shows("Recovery codes left: 8")
    );
    assert!(browser.get("/activity").await.shows("Recovery code used"));

    // Off: password and a code.
    let refused = browser
        .submit(
            "/two-step",
            "/two-step/off",
            &[("password", PRIMARY), ("code", "")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    browser.advance(Duration::from_secs(30));
    let code = current_code(&secret, browser.now());
    let off = browser
        .submit(
            "/two-step",
            "/two-step/off",
            &[("password", PRIMARY), ("code", &code)],
        )
        .await;
    assert_eq!(off.location(), "/two-step");
    assert!(!rig.gateway.accounts().unwrap()[0].two_step);
    assert!(browser.get("/two-step").await.shows("is off"));
}

#[tokio::test]
async fn web_and_device_failures_share_one_throttle() {
    let rig = PageAndGateway::new(true);
    let mut browser = rig.browser();
    for _ in 0..5 {
        assert_eq!(
            browser.sign_in("guess", "").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // The device door now has to wait too, for the web's failures.
    let device = Device::new(3);
    match device.sign_in(
        &rig.gateway,
        EMAIL,
        "abcd efgh ijkl mnop",
        false,
        browser.now(),
    ) {
        Response::Denied {
            reason: DenyReason::Throttled,
            retry_after_secs,
        } => assert!(retry_after_secs >= 1),
        other => panic!("expected throttled, got {other:?}"),
    }
    let throttled = browser.sign_in(PRIMARY, "").await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.shows("Too many attempts"));
    // And device failures hold the web door back.
    let rig = PageAndGateway::new(true);
    let mut browser = rig.browser();
    for _ in 0..5 {
        let refused = device.sign_in(&rig.gateway, EMAIL, "guess", false, browser.now());
        assert_eq!(refused, denied(DenyReason::WrongCredentials));
    }
    assert_eq!(
        browser.sign_in(PRIMARY, "").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    browser.advance(Duration::from_secs(3));
    assert_eq!(browser.sign_in(PRIMARY, "").await.location(), "/");
    assert!(
        browser
            .get("/activity")
            .await
            .shows("id=\"failed-attempts\">0<")
    );
}

#[tokio::test]
async fn a_password_change_signs_out_what_the_old_one_remembered_and_other_sessions() {
    let rig = PageAndGateway::new(false);
    let mut mine = rig.browser();
    let mut other = rig.browser();
    mine.sign_in(PRIMARY, "").await;
    other.sign_in(PRIMARY, "").await;
    let device = Device::new(4);
    let token = granted_token(&device.sign_in(&rig.gateway, EMAIL, PRIMARY, true, mine.now()));
    let differ = mine
        .submit(
            "/password",
            "/password",
            &[
                ("password", PRIMARY),
                ("new", "new one"),
                ("repeat", "new two"),
            ],
        )
        .await;
    assert_eq!(differ.status, StatusCode::BAD_REQUEST);
    let wrong = mine
        .submit(
            "/password",
            "/password",
            &[
                ("password", "nope"),
                ("new", "new one"),
                ("repeat", "new one"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let changed = mine
        .submit(
            "/password",
            "/password",
            &[
                ("password", PRIMARY),
                ("new", "new one"),
                ("repeat", "new one"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert!(changed.shows("Your password is changed"));
    assert_eq!(
        mine.get("/").await.status,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(other.get("/").await.location(), "/sign-in", "others end");
    assert_eq!(
        device.resume(&rig.gateway, &token, mine.now()),
        denied(DenyReason::TokenInvalid)
    );
    assert!(is_granted(&device.sign_in(
        &rig.gateway,
        EMAIL,
        "new one",
        false,
        mine.now()
    )));
}

#[tokio::test]
async fn devices_are_listed_and_signed_out_one_or_all() {
    let rig = PageAndGateway::new(false);
    let mut browser = rig.browser();
    browser.sign_in(PRIMARY, "").await;
    let (a, b) = (Device::new(5), Device::new(6));
    let token_a = granted_token(&a.sign_in(&rig.gateway, EMAIL, PRIMARY, true, browser.now()));
    let token_b = granted_token(&b.sign_in(&rig.gateway, EMAIL, PRIMARY, true, browser.now()));
    let page = browser.get("/devices").await;
    assert_eq!(page.body.matches("name=\"id\"").count(), 2, "{}", page.body);
    let first = rig.gateway.tokens_at(EMAIL, browser.now()).unwrap()[0]
        .id
        .to_string();
    browser
        .submit("/devices", "/devices/sign-out", &[("id", &first)])
        .await;
    assert_eq!(
        a.resume(&rig.gateway, &token_a, browser.now()),
        denied(DenyReason::TokenInvalid)
    );
    assert!(is_granted(&b.resume(&rig.gateway, &token_b, browser.now())));
    browser
        .submit("/devices", "/devices/sign-out-all", &[])
        .await;
    assert!(
        rig.gateway
            .tokens_at(EMAIL, browser.now())
            .unwrap()
            .is_empty()
    );
    let activity = browser.get("/activity").await;
    assert!(activity.shows("Device signed out: Xbox360 Xbox 360 S"));
    assert!(activity.shows("All devices signed out"));
}

#[tokio::test]
async fn the_page_speaks_dutch() {
    let rig = PageAndGateway::new(false);
    let mut browser = rig.browser();
    browser.accept_language = "nl-NL,nl;q=0.9";
    let page = browser.get("/sign-in").await;
    assert!(page.shows("<html lang=\"nl\">"));
    assert!(page.shows("Aanmelden"));
    browser.sign_in(PRIMARY, "").await;
    let home = browser.get("/").await;
    assert!(
        home.shows("Een nieuw app-wachtwoord maken"),
        "{}",
        home.body
    );
    assert!(home.shows("Beveiligingsinformatie"));
    // The link at the foot switches to English and sticks.
    assert_eq!(browser.get("/lang/en").await.location(), "/");
    assert!(browser.get("/").await.shows("Create a new app password"));
}

#[tokio::test]
async fn a_request_head_over_the_limit_is_refused_on_the_socket() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rig = PageAndGateway::new(false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(web::serve_web(
        listener,
        rig.gateway.clone(),
        WebConfig::new("http://127.0.0.1"),
        async {
            let _ = stopped.await;
        },
    ));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "GET /sign-in HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply).await;
    let reply = String::from_utf8_lossy(&reply);
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 431"),
        "{reply}"
    );
    // A normal request on the same server works.
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /sign-in HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.unwrap();
    assert!(String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 200"));
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn an_authenticator_set_up_without_the_page_passes_the_second_step() {
    let rig = PageAndGateway::new(true);
    let mut browser = rig.browser();
    browser.sign_in(PRIMARY, "").await;
    let page = browser.get("/two-step").await;
    assert!(page.shows("is on.") && page.shows("no authenticator app is set up"));
    browser.submit("/", "/sign-out", &[]).await;
    let setup = rig
        .gateway
        .set_up_authenticator(EMAIL, browser.now())
        .unwrap();
    assert_eq!(setup.recovery_codes.len(), 10);
    assert!(
        !format!("{setup:?}").contains(&setup.secret),
        "kept out of logs"
    );
    let secret = totp::from_base32(&setup.secret).unwrap();
    // Nothing is used yet: the current code signs in, once.
    let code = current_code(&secret, browser.now());
    assert_eq!(browser.sign_in(PRIMARY, &code).await.location(), "/");
    browser.submit("/", "/sign-out", &[]).await;
    assert_eq!(
        browser.sign_in(PRIMARY, &code).await.status,
        StatusCode::UNAUTHORIZED
    );
    let recovery = &setup.recovery_codes[0];
    assert_eq!(browser.sign_in(PRIMARY, recovery).await.location(), "/");
}

/// A device asks for a link; its code.
fn link_code(rig: &PageAndGateway, device: &Device, now: UnixMillis) -> LinkCode {
    let request = DeviceRequest::LinkStart {
        device: DeviceInfo {
            kind: DeviceKind::Zune,
            model: "Zune HD".try_into().unwrap(),
            firmware: "4.5".try_into().unwrap(),
        },
    };
    match device.exchange(&rig.gateway, &request, now).unwrap() {
        Response::LinkOffer { code, .. } => code,
        other => panic!("expected a LinkOffer, got {other:?}"),
    }
}

/// The bar for every page: 20 KB with its stylesheet (the page has no script or image).
fn within_page_weight(page: &Page) {
    let bytes = page.body.len() + web::STYLESHEET.len();
    assert!(bytes < 20_000, "{bytes} bytes");
}

#[tokio::test]
async fn a_scanned_link_code_signs_in_first_then_shows_the_device_in_dutch() {
    let rig = PageAndGateway::new(false);
    let device = Device::new(5);
    let mut browser = rig.browser();
    browser.accept_language = "nl-NL,nl;q=0.9";
    let code = link_code(&rig, &device, browser.now());
    // The QR code's address, signed out: to the sign-in, which says why, and back.
    let scanned = browser.get(&format!("/link?code={}", code.as_str())).await;
    assert_eq!(scanned.location(), "/sign-in");
    let sign_in = browser.get("/sign-in").await;
    assert!(sign_in.shows("Meld u eerst aan"), "{}", sign_in.body);
    let signed_in = browser.sign_in(PRIMARY, "").await;
    assert_eq!(signed_in.location(), "/link");
    let entry = browser.get("/link").await;
    assert_eq!(entry.status, StatusCode::OK);
    assert!(
        entry.shows(&format!("value=\"{code}\"")),
        "the code is filled in"
    );
    within_page_weight(&entry);
    let approval = browser
        .submit("/link", "/link", &[("code", &code.to_string())])
        .await;
    assert_eq!(approval.status, StatusCode::OK, "{}", approval.body);
    for shown in [
        "Zune HD",
        "4.5",
        "Zune",
        "Keur alleen een apparaat goed dat voor u staat",
        "Goedkeuren",
        "Weigeren",
    ] {
        assert!(approval.shows(shown), "{shown}: {}", approval.body);
    }
    within_page_weight(&approval);
    let done = browser
        .submit(
            "/link",
            "/link/approve",
            &[("link_code", &code.to_string())],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.shows("Het apparaat is aangemeld"));
    within_page_weight(&done);
    assert!(
        !browser.cookies.contains_key("padlock_link"),
        "the code is forgotten"
    );
    // Listed as a credential and among the devices, and in the activity.
    assert!(browser.get("/").await.shows("Link · Zune HD"));
    let poll = device
        .exchange(
            &rig.gateway,
            &DeviceRequest::LinkPoll { code },
            browser.now(),
        )
        .unwrap();
    granted_token(&poll);
    assert!(browser.get("/devices").await.shows("Zune HD"));
}

#[tokio::test]
async fn link_codes_typed_on_the_page_are_throttled() {
    let rig = PageAndGateway::new(false);
    let device = Device::new(5);
    let mut browser = rig.browser();
    browser.sign_in(PRIMARY, "").await;
    let code = link_code(&rig, &device, browser.now());
    let wrong = if code.as_str() == "BBBBBBBB" {
        "CCCC-CCCC"
    } else {
        "BBBB-BBBB"
    };
    for _ in 0..5 {
        let refused = browser.submit("/link", "/link", &[("code", wrong)]).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(refused.shows("not valid or has expired"));
    }
    // The sixth waits, whatever it is: the right code is not looked at either.
    let held = browser
        .submit("/link", "/link", &[("code", &code.to_string())])
        .await;
    assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS, "{}", held.body);
    // Approving directly is the same attempt.
    let held = browser
        .submit(
            "/link",
            "/link/approve",
            &[("link_code", &code.to_string())],
        )
        .await;
    assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS);
    browser.advance(Duration::from_secs(1));
    let found = browser
        .submit("/link", "/link", &[("code", &code.to_string())])
        .await;
    assert_eq!(found.status, StatusCode::OK);
}

#[tokio::test]
async fn approving_a_link_after_a_few_minutes_asks_the_password_and_code_again() {
    let rig = PageAndGateway::new(false);
    let device = Device::new(5);
    let mut browser = rig.browser();
    browser.sign_in(PRIMARY, "").await;
    let (secret, _) = turn_two_step_on(&mut browser).await;
    browser.submit("/", "/sign-out", &[]).await;
    let code = link_code(&rig, &device, browser.now());
    // Two-step on: the password, then the code, then back to the link.
    browser.get(&format!("/link?code={code}")).await;
    assert_eq!(
        browser.sign_in(PRIMARY, "").await.location(),
        "/sign-in/code"
    );
    browser.advance(Duration::from_secs(30));
    let next = current_code(&secret, browser.now());
    let passed = browser
        .submit("/sign-in/code", "/sign-in/code", &[("code", &next)])
        .await;
    assert_eq!(passed.location(), "/link");
    browser.advance(Duration::from_secs(6 * 60));
    let approval = browser
        .submit("/link", "/link", &[("code", code.as_str())])
        .await;
    assert!(
        approval.shows("name=\"password\""),
        "asks again: {}",
        approval.body
    );
    let refused = browser
        .submit(
            "/link",
            "/link/approve",
            &[("link_code", code.as_str()), ("password", "not it")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let now_code = current_code(&secret, browser.now());
    let done = browser
        .submit(
            "/link",
            "/link/approve",
            &[
                ("link_code", code.as_str()),
                ("password", PRIMARY),
                ("code", &now_code),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    granted_token(
        &device
            .exchange(
                &rig.gateway,
                &DeviceRequest::LinkPoll { code },
                browser.now(),
            )
            .unwrap(),
    );
}
