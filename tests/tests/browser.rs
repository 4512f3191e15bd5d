//! The seed's story in a real browser: a player signs in to the Security info page in Chromium,
//! turns two-step verification on (the test reads the key off the page and computes codes as an
//! authenticator app would), creates an app password, reads it off the page and types it on the
//! device module, which signs in over the virtual wire to the same gateway (the firmware's
//! end-to-end rig). The page then shows the app password used and the device listed; the player
//! revokes the app password, and the device's remembered token is refused at its next start.
//!
//! The phone link in the same browser: the device asks for a link code (Done on the empty
//! email keyboard), the test reads the code off what the device's display shows, and Chromium
//! opens the QR code's `/link?code=` address, signs in with two-step, sees which device asks
//! with the warning, and approves; the device's next poll signs it in.
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
use padlock_firmware::render::Renderer;
use padlock_firmware::render::report::{Drawn, How};
use padlock_firmware::ui::{Part, Screen, Ui};
use padlock_server::UnixMillis;
use padlock_server::web::player::form_encode;
use padlock_server::web::{self, WebConfig, i18n, totp};
use rig::{DISPLAY_NAME, EMAIL, Flash, GatewayPair, LINK_ADDRESS, PRIMARY_PASSWORD, device_keys};

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

    /// The text of the element `#id`.
    async fn text_of(&self, id: &str) -> String {
        self.client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("#{id}: {e}"))
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

/// The Security info page of a rig's gateway, served on a loopback port on the rig's virtual
/// clock, and chromedriver with a headless Chromium to open it; both stop when this is dropped.
struct PageInChromium {
    /// Runs the page and the WebDriver client.
    runtime: tokio::runtime::Runtime,
    /// The page's clock: the rig's virtual time as last [`PageInChromium::sync`]ed.
    clock: Arc<AtomicU64>,
    _driver: Started,
}

impl PageInChromium {
    /// Serves `rig`'s gateway's page and opens a fresh Chromium profile on it; screenshots go
    /// to `target/tmp/{name}/`.
    fn open(rig: &GatewayPair, name: &str) -> (Self, Session) {
        let (chromium, chromedriver) = (program("chromium"), program("chromedriver"));
        // The page reads the rig's virtual clock, so the device, the gateway and the page agree.
        let clock = Arc::new(AtomicU64::new(rig.unix().0));
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
        let driver = Started(
            Command::new(chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts"),
        );
        let profile = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-profile"));
        let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        let _ = std::fs::remove_dir_all(&profile);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).expect("the screenshot folder");

        let session = runtime.block_on(async {
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
            let client =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(capabilities)
                    .connect(&format!("http://127.0.0.1:{port}"))
                    .await
                    .expect("a WebDriver session");
            Session {
                client,
                base,
                shots,
                pages: Vec::new(),
                actions: 0,
            }
        });
        let page = Self {
            runtime,
            clock,
            _driver: driver,
        };
        (page, session)
    }

    /// Sets the page's clock to the rig's virtual time.
    fn sync(&self, rig: &GatewayPair) {
        self.clock.store(rig.unix().0, Ordering::SeqCst);
    }
}

#[test]
#[cfg_attr(
    padlock_no_browser,
    ignore = "needs chromium and chromedriver (Debian: sudo apt-get install chromium chromium-driver)"
)]
fn a_player_makes_an_app_password_in_chromium_and_the_device_signs_in_with_it() {
    let mut rig = GatewayPair::new(13, Faults::default());
    let (page, mut s) = PageInChromium::open(&rig, "security-info");
    let mut flash = Flash::new();
    let (app_password, to_app_password) = page.runtime.block_on(async {
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
        let key = s.text_of("totp-secret").await;
        let secret = totp::from_base32(&key).expect("base32");
        assert!(
            s.client.find(Locator::Css("svg.qr")).await.is_ok(),
            "a QR code"
        );
        s.page("two-step-setup").await;
        let code = current_code(&secret, &page.clock);
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
        page.sync(&rig);
        s.actions = 0;
        s.goto("/sign-in").await;
        s.fill("email", EMAIL).await;
        s.fill("password", PRIMARY_PASSWORD).await;
        let code = current_code(&secret, &page.clock);
        s.fill("code", &code).await;
        s.enter("#code").await;
        assert_eq!(s.path().await, "/", "signed in with the code");
        s.enter("form[action='/app-passwords'] button").await;
        let app_password = s.text_of("app-password").await;
        let to_app_password = s.actions;
        assert_eq!(app_password.len(), 19, "{app_password}");
        assert!(s.text().await.contains("instead of your password"));
        s.page("new-app-password").await;
        (app_password, to_app_password)
    });

    // The device signs in with what the page showed.
    flash = sign_in_on_the_device(&mut rig, flash, &app_password.replace(' ', ""));
    page.sync(&rig);
    page.runtime.block_on(async {
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
    page.runtime.block_on(async {
        s.client.close().await.expect("the browser closes");
    });
}

/// What the Xbox 360's display shows of `ui`'s screen, piece by piece, as the renderer reports
/// it drew it (what the simulator's `expect text` reads): a piece the display cut or left out
/// is not whole here.
fn on_screen(ui: &Ui) -> Vec<(Part, String, How)> {
    let mut drawn = Vec::new();
    let mut report = |d: &Drawn<'_>| drawn.push((d.part, d.shown.to_owned(), d.how));
    Renderer::new(XBOX360.display.size()).report(ui, &mut report);
    drawn
}

#[test]
#[cfg_attr(
    padlock_no_browser,
    ignore = "needs chromium and chromedriver (Debian: sudo apt-get install chromium chromium-driver)"
)]
fn a_player_approves_a_phone_link_in_chromium_and_the_device_signs_in_at_its_next_poll() {
    let mut rig = GatewayPair::with_links(14, Faults::default());
    // Two-step is on with an authenticator app: signing in on the page asks its code.
    let setup = rig
        .gateway
        .set_up_authenticator(EMAIL, rig.unix())
        .expect("an authenticator");
    let secret = totp::from_base32(&setup.secret).expect("base32");
    let (page, mut s) = PageInChromium::open(&rig, "phone-link");

    // Done on the empty email keyboard (Start on the Xbox 360): the device asks for a code.
    let keys = device_keys();
    let mut buffers = NetBuffers::new();
    let mut module = rig.power_on(&XBOX360, &keys, &mut buffers, Flash::new());
    rig.settle(&mut module);
    assert_eq!(module.ui().screen(), Screen::Account);
    assert!(module.ui().phone_choice(), "the phone choice is offered");
    press(&mut module, Physical::Press(Button::Start), rig.now_ms);
    let answered = rig.run_until(&mut module, 60_000, |m| {
        m.ui().screen() != Screen::LinkStarting
    });
    assert!(answered, "the gateway answered");
    assert_eq!(module.ui().screen(), Screen::LinkCode);

    // The player reads the code and the address off the display.
    let shown = on_screen(module.ui());
    let code = shown
        .iter()
        .find(|(part, _, how)| *part == Part::Code && *how == How::Whole)
        .map(|(_, text, _)| text.clone())
        .unwrap_or_else(|| panic!("no whole code on the display: {shown:?}"));
    let address = LINK_ADDRESS.trim_start_matches("https://");
    assert!(
        shown.iter().any(|(_, text, _)| text.contains(address)),
        "the address on the display: {shown:?}"
    );
    // The device polls while the player walks to the phone; still no answer.
    rig.run_until(&mut module, 12_000, |_| false);
    assert_eq!(module.ui().screen(), Screen::LinkCode);

    page.sync(&rig);
    page.runtime.block_on(async {
        // The QR code's address, opened signed out: sign in first, the code kept.
        s.goto(&format!("/link?code={}", form_encode(&code))).await;
        assert_eq!(s.path().await, "/sign-in");
        assert!(s.text().await.contains(i18n::EN.link_sign_in_first));
        s.fill("email", EMAIL).await;
        s.fill("password", PRIMARY_PASSWORD).await;
        s.fill("code", &current_code(&secret, &page.clock)).await;
        s.enter("#code").await;
        assert_eq!(s.path().await, "/link", "back to the link after signing in");
        let kept = s
            .client
            .find(Locator::Id("code"))
            .await
            .expect("the code field")
            .prop("value")
            .await
            .expect("its value");
        assert_eq!(kept.as_deref(), Some(code.as_str()), "the code came along");
        s.page("link-entry").await;

        // Next: which device asks, and the warning.
        s.enter("#code").await;
        let mut device = Vec::new();
        for dd in s
            .client
            .find_all(Locator::Css("#link-device dd"))
            .await
            .expect("the device's description")
        {
            device.push(dd.text().await.expect("its text"));
        }
        assert_eq!(
            device[..4],
            [
                code.clone(),
                "Xbox 360".to_owned(), // the kind
                XBOX360.model.to_owned(),
                "1.0.0".to_owned(), // the firmware the rig's device reports
            ],
            "{device:?}"
        );
        let approval = s.text().await;
        assert!(approval.contains(i18n::EN.link_warning), "{approval}");
        s.page("link-approval").await;

        // Approve, by keyboard.
        s.enter("form[action='/link/approve'] button").await;
        let outcome = s.text_of("link-outcome").await;
        assert_eq!(outcome, i18n::EN.link_approved);
        s.page("link-approved").await;
        s.client.close().await.expect("the browser closes");
    });

    // The device's next poll: signed in, greeting the player by name.
    let signed_in = rig.run_until(&mut module, 60_000, |m| m.ui().screen() == Screen::SignedIn);
    assert!(
        signed_in,
        "signed in at the next poll: {:?}",
        module.ui().screen()
    );
    let shown = on_screen(module.ui());
    assert!(
        shown.iter().any(|(_, text, _)| text.contains(DISPLAY_NAME)),
        "the name on the display: {shown:?}"
    );
    assert!(
        rig.gateway
            .pending_links(rig.unix())
            .expect("listed")
            .is_empty()
    );
}
