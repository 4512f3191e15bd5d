//! The seed's story in a real browser: a player signs in to the Security info page in Chromium,
//! turns two-step verification on (the test reads the key off the page and computes codes as an
//! authenticator app would), creates an app password, reads it off the page and types it on the
//! device module, which signs in over the virtual wire to the same gateway (the firmware's
//! end-to-end rig). The page then shows the app password used and the device listed; the player
//! revokes the app password, and the device's remembered token is refused at its next start.
//!
//! Every task is done with the keyboard alone (typing and Enter, never a click), every input is
//! checked to have a label, and every page is photographed at desktop and phone widths under
//! `target/tmp/security-info/`. The test measures the bytes of each page (HTML and CSS, there is
//! no script) and the actions (fields filled, keys pressed to submit) from a signed-out tab to
//! an app password on screen, and writes them to `docs/benchmarks.md`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (which `.ci/run` installs); without them the
//! test shows as ignored, and under `CI=true` it fails.

#[path = "../../firmware/tests/rig/mod.rs"]
mod rig;

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use padlock_figures::Report;
use padlock_firmware::input::{Button, Physical};
use padlock_firmware::module::player::{press, sign_in, type_text};
use padlock_firmware::net::NetBuffers;
use padlock_firmware::net::wire::Faults;
use padlock_firmware::profile::XBOX360;
use padlock_firmware::ui::Screen;
use padlock_server::UnixMillis;
use padlock_server::web::{self, WebConfig, totp};
use rig::{EMAIL, Flash, GatewayPair, PRIMARY_PASSWORD, device_keys};

/// The bars the page must meet (the issue's): bytes per page, actions to an app password.
const MAX_PAGE_BYTES: usize = 20 * 1024;
const MAX_ACTIONS: usize = 5;

/// The widths every page is photographed at.
const SIZES: [(&str, u32, u32); 2] = [("desktop", 1280, 900), ("phone", 390, 844)];

/// A program this test started, stopped when the test ends.
struct Started(Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn program(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!("{name} is missing: sudo apt-get install chromium chromium-driver")
        })
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The browser, the page's address, and what was measured.
struct Session {
    client: Client,
    base: String,
    shots: PathBuf,
    pages: Vec<(String, usize)>,
    actions: usize,
}

impl Session {
    async fn goto(&mut self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("the page loads");
    }

    async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("a url")
            .path()
            .to_owned()
    }

    async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .expect("a body")
            .text()
            .await
            .expect("its text")
    }

    /// Types `text` into the field `#id` (one action).
    async fn fill(&mut self, id: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("#{id}: {e}"));
        field.send_keys(text).await.expect("typed");
        self.actions += 1;
    }

    /// Presses Enter in the field `#id` or on the button `css` (one action): submits its form,
    /// and waits for the next page.
    async fn enter(&mut self, css: &str) {
        let target = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        // A mark on this document: the next page is a new document, without it.
        self.client
            .execute("window.padlockOldPage = true; return null;", vec![])
            .await
            .expect("marked");
        target
            .send_keys(&Key::Enter.to_string())
            .await
            .expect("Enter");
        self.actions += 1;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let loaded = self
                .client
                .execute(
                    "return document.readyState === 'complete' && !window.padlockOldPage;",
                    vec![],
                )
                .await
                .unwrap_or(serde_json::Value::Bool(false));
            if loaded == serde_json::Value::Bool(true) {
                break;
            }
            assert!(Instant::now() < deadline, "{css}: no new page after Enter");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Checks the page (labels, no script), records its bytes, and photographs it at both
    /// widths as `name`.
    async fn page(&mut self, name: &str) {
        let unlabelled = self
            .client
            .execute(
                "return [...document.querySelectorAll('input:not([type=hidden]),select,textarea')]\
                 .filter(i => !(i.labels && i.labels.length)).map(i => i.name);",
                vec![],
            )
            .await
            .expect("inputs read");
        assert_eq!(
            unlabelled,
            serde_json::json!([]),
            "{name}: inputs without a label"
        );
        let scripts = self
            .client
            .find_all(Locator::Css("script"))
            .await
            .expect("scripts read");
        assert!(scripts.is_empty(), "{name}: the page has a script");
        let bytes = self
            .client
            .execute(
                "const nav = performance.getEntriesByType('navigation')[0];\
                 const css = performance.getEntriesByType('resource')\
                   .filter(e => e.name.endsWith('/style.css'))\
                   .reduce((n, e) => n + e.decodedBodySize, 0);\
                 return nav.decodedBodySize + css;",
                vec![],
            )
            .await
            .expect("sizes read")
            .as_u64()
            .expect("a number") as usize;
        assert!(bytes > 0, "{name}: nothing measured");
        self.pages.push((name.to_owned(), bytes));
        for (label, width, height) in SIZES {
            self.client
                .set_window_size(width, height)
                .await
                .expect("resized");
            let png = self.client.screenshot().await.expect("a screenshot");
            std::fs::write(self.shots.join(format!("{name}-{label}.png")), png)
                .expect("screenshot written");
        }
        self.client
            .set_window_size(SIZES[0].1, SIZES[0].2)
            .await
            .expect("resized");
    }
}

fn current_code(secret: &[u8], clock: &AtomicU64) -> String {
    totp::code_text(secret, totp::step_at(clock.load(Ordering::SeqCst) / 1000))
}

/// Types the account and `password` on the device, ticks "Remember my info", signs in.
fn sign_in_on_the_device(rig: &mut GatewayPair, flash: Flash, password: &str) -> Flash {
    let keys = device_keys();
    let mut buffers = NetBuffers::new();
    let mut module = rig.power_on(&XBOX360, &keys, &mut buffers, flash);
    rig.settle(&mut module);
    assert_eq!(module.ui().screen(), Screen::Account);
    type_text(&mut module, EMAIL, rig.now_ms).expect("the email is typed");
    press(&mut module, Physical::Press(Button::Start), rig.now_ms);
    type_text(&mut module, password, rig.now_ms).expect("the app password is typed");
    sign_in(&mut module, true, rig.now_ms);
    rig.settle(&mut module);
    assert_eq!(module.ui().screen(), Screen::SignedIn, "signed in with it");
    module.into_flash()
}

/// Starts the device on `flash` and lets it do what it does at power-up; its screen then.
fn start_device(rig: &mut GatewayPair, flash: Flash) -> (Screen, Flash) {
    let keys = device_keys();
    let mut buffers = NetBuffers::new();
    let mut module = rig.power_on(&XBOX360, &keys, &mut buffers, flash);
    rig.settle(&mut module);
    let screen = module.ui().screen();
    (screen, module.into_flash())
}

#[test]
#[cfg_attr(
    padlock_no_browser,
    ignore = "needs chromium and chromedriver (Debian: sudo apt-get install chromium chromium-driver)"
)]
fn a_player_makes_an_app_password_in_chromium_and_the_device_signs_in_with_it() {
    let (chromium, chromedriver) = (program("chromium"), program("chromedriver"));
    let mut rig = GatewayPair::new(13, Faults::default());
    // The page reads the rig's virtual clock, so the device, the gateway and the page agree.
    let clock = Arc::new(AtomicU64::new(rig.unix().0));
    let sync = |rig: &GatewayPair| clock.store(rig.unix().0, Ordering::SeqCst);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let read = clock.clone();
    let config = WebConfig::new("http://127.0.0.1");
    let router = web::router_with_clock(
        rig.gateway.clone(),
        config.clone(),
        Arc::new(move || UnixMillis(read.load(Ordering::SeqCst))),
    )
    .expect("the page's router");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a port for the page");
    let base = format!("http://{}", listener.local_addr().expect("its address"));
    runtime.spawn(async move {
        web::serve_router(listener, router, &config, std::future::pending()).await;
    });

    let port = free_port();
    let _driver = Started(
        Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let profile = Path::new(env!("CARGO_TARGET_TMPDIR")).join("security-info-profile");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("security-info");
    let _ = std::fs::remove_dir_all(&profile);
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).expect("the screenshot folder");

    let mut flash = Flash::new();
    let (mut s, app_password, to_app_password) = runtime.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let capabilities = serde_json::json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", profile.display()),
                    "--lang=en-GB",
                ],
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session");
        let mut s = Session {
            client,
            base,
            shots,
            pages: Vec::new(),
            actions: 0,
        };

        // Sign in with the password (two-step is not set up on the page yet).
        s.goto("/").await;
        assert_eq!(
            s.path().await,
            "/sign-in",
            "a signed-out tab goes to sign-in"
        );
        s.page("sign-in").await;
        s.fill("email", EMAIL).await;
        s.fill("password", PRIMARY_PASSWORD).await;
        s.enter("#password").await;
        assert_eq!(s.path().await, "/");
        s.page("app-passwords-empty").await;

        // Two-step on: the key off the page, a code from it.
        s.goto("/two-step").await;
        s.page("two-step-off").await;
        s.enter("form[action='/two-step/begin'] button").await;
        let key = s
            .client
            .find(Locator::Id("totp-secret"))
            .await
            .expect("the key as text")
            .text()
            .await
            .expect("its text");
        let secret = totp::from_base32(&key).expect("base32");
        assert!(
            s.client.find(Locator::Css("svg.qr")).await.is_ok(),
            "a QR code"
        );
        s.page("two-step-setup").await;
        let code = current_code(&secret, &clock);
        s.fill("code", &code).await;
        s.enter("#code").await;
        let shown = s.text().await;
        assert!(shown.contains("now need an app password"), "{shown}");
        let codes = s
            .client
            .find_all(Locator::Css("#recovery-codes li"))
            .await
            .expect("recovery codes");
        assert_eq!(codes.len(), 10);
        s.page("recovery-codes").await;
        s.enter("form[action='/sign-out'] button").await;
        assert_eq!(s.path().await, "/sign-in");

        // From a signed-out tab to an app password on screen, counting what the player does.
        rig.now_ms += 31_000; // the enrolment's code is used; the app shows the next one
        sync(&rig);
        s.actions = 0;
        s.goto("/sign-in").await;
        s.fill("email", EMAIL).await;
        s.fill("password", PRIMARY_PASSWORD).await;
        let code = current_code(&secret, &clock);
        s.fill("code", &code).await;
        s.enter("#code").await;
        assert_eq!(s.path().await, "/", "signed in with the code");
        s.enter("form[action='/app-passwords'] button").await;
        let app_password = s
            .client
            .find(Locator::Id("app-password"))
            .await
            .expect("the new app password")
            .text()
            .await
            .expect("its text");
        let to_app_password = s.actions;
        assert_eq!(app_password.len(), 19, "{app_password}");
        assert!(s.text().await.contains("instead of your password"));
        s.page("new-app-password").await;
        (s, app_password, to_app_password)
    });

    // The device signs in with what the page showed.
    flash = sign_in_on_the_device(&mut rig, flash, &app_password.replace(' ', ""));
    sync(&rig);
    runtime.block_on(async {
        s.goto("/").await;
        let list = s.text().await;
        assert!(list.contains("App password 1"), "{list}");
        assert!(list.contains("Xbox360"), "last device: {list}");
        assert!(!list.contains("never"), "last used: {list}");
        s.page("app-passwords").await;
        s.goto("/devices").await;
        let devices = s.text().await;
        assert!(
            devices.contains("Xbox360") && devices.contains("App password 1"),
            "{devices}"
        );
        s.page("devices").await;
        s.goto("/activity").await;
        assert!(s.text().await.contains("Signed in on a device"));
        s.page("activity").await;
        s.goto("/password").await;
        s.page("password").await;
        s.goto("/lang/nl").await;
        assert!(s.text().await.contains("Een nieuw app-wachtwoord maken"));
        s.page("app-passwords-nl").await;
        s.goto("/lang/en").await;
        // Revoke it, by keyboard.
        s.enter("form[action='/app-passwords/revoke'] button").await;
        assert!(s.text().await.contains("None yet."));
    });
    assert!(rig.gateway.app_passwords(EMAIL).expect("listed").is_empty());

    // The device's remembered token is refused at its next start: it asks for the password.
    let (screen, _) = start_device(&mut rig, flash);
    assert_eq!(
        screen,
        Screen::Password,
        "the remembered sign-in is refused"
    );

    let largest = s.pages.iter().map(|(_, b)| *b).max().unwrap_or(0);
    let mut report = Report::new(
        "padlock-server Security info page",
        "cargo test -p padlock-tests --test browser -- --nocapture",
    );
    report.note(
        "Measured in headless Chromium by the browser test: the bytes of each page as the \
         browser decoded them (HTML plus the one stylesheet; no page has a script), and the \
         actions from a signed-out tab to a new app password on screen with two-step on \
         (each field filled and each Enter that submits a form counts one; the app \
         password's name comes filled in). Bars: 20 KB per page, 5 actions.",
    );
    report.figure(
        "web_actions_to_app_password",
        to_app_password as f64,
        "actions",
    );
    report.figure("web_largest_page", largest as f64, "bytes");
    for (name, bytes) in &s.pages {
        report.figure(&format!("web_page_{name}"), *bytes as f64, "bytes");
    }
    report.write_docs().expect("docs/benchmarks.md written");
    assert!(largest <= MAX_PAGE_BYTES, "a page of {largest} bytes");
    assert!(to_app_password <= MAX_ACTIONS, "{to_app_password} actions");
    runtime.block_on(async {
        s.client.close().await.expect("the browser closes");
    });
}
