//! The pages, as compiled templates ([`maud`]): every string comes from the language's
//! [`Text`] table, every value is escaped by the template, every form carries its anti-forgery
//! token, and every input has a `<label>`. Plain HTML forms and links only: no script.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::i18n::{Lang, Text};
use crate::admin::AppPasswordInfo;
use crate::store::security::ActivityRecord;
use crate::time::UnixMillis;

/// A message at the top of a page.
#[derive(Debug, Clone)]
pub enum Notice {
    /// Something was refused.
    Error(String),
    /// Something was done.
    Info(String),
}

/// What every page needs: its language, the form token, and who is signed in.
pub struct Frame<'a> {
    /// The page's language.
    pub lang: Lang,
    /// The anti-forgery token for its forms.
    pub csrf: String,
    /// The signed-in account's email (`None`: signed out).
    pub signed_in: Option<&'a str>,
    /// A message to show first.
    pub notice: Option<Notice>,
}

impl Frame<'_> {
    fn t(&self) -> &'static Text {
        self.lang.text()
    }
}

/// The whole document around `body`.
pub fn layout(frame: &Frame<'_>, title: &str, body: Markup) -> Markup {
    let t = frame.t();
    html! {
        (DOCTYPE)
        html lang=(frame.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (t.security_info) }
                link rel="stylesheet" href="/style.css";
            }
            body {
                header {
                    strong { "Padlock" }
                    @if let Some(email) = frame.signed_in {
                        nav aria-label=(t.security_info) {
                            a href="/" { (t.app_passwords) }
                            a href="/two-step" { (t.two_step) }
                            a href="/devices" { (t.devices) }
                            a href="/password" { (t.password) }
                            a href="/activity" { (t.recent_activity) }
                            a href="/link" { (t.link_title) }
                        }
                        form.inline method="post" action="/sign-out" {
                            (token(frame))
                            button.quiet type="submit" title={ (t.signed_in_as) " " (email) } { (t.sign_out) }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    @match &frame.notice {
                        Some(Notice::Error(text)) => p.error role="alert" { (text) },
                        Some(Notice::Info(text)) => p.info role="status" { (text) },
                        None => {},
                    }
                    (body)
                }
                footer {
                    a href={ "/lang/" (frame.lang.other().code()) } lang=(frame.lang.other().code()) {
                        (frame.lang.other().text().name_in_own_language)
                    }
                }
            }
        }
    }
}

fn token(frame: &Frame<'_>) -> Markup {
    html! { input type="hidden" name=(super::csrf::FIELD) value=(&frame.csrf); }
}

/// A labelled input.
fn field(id: &str, label: &str, kind: &str, autocomplete: &str, value: &str) -> Markup {
    html! {
        label for=(id) { (label) }
        input type=(kind) id=(id) name=(id) autocomplete=(autocomplete) value=(value)
            spellcheck="false" autocapitalize="none";
    }
}

/// The password (and code) a sensitive change asks for again.
fn confirm_fields(t: &Text, two_step: bool) -> Markup {
    html! {
        (field("password", t.password, "password", "current-password", ""))
        @if two_step {
            (field("code", t.code_or_recovery, "text", "one-time-code", ""))
        }
    }
}

/// Sign in: email, password, and the code for accounts with two-step on, all on one form.
pub fn sign_in(frame: &Frame<'_>, email: &str) -> Markup {
    let t = frame.t();
    layout(
        frame,
        t.sign_in,
        html! {
            form.card method="post" action="/sign-in" {
                (token(frame))
                (field("email", t.email, "email", "username", email))
                (field("password", t.password, "password", "current-password", ""))
                (field("code", t.code_if_on, "text", "one-time-code", ""))
                button type="submit" { (t.sign_in) }
            }
        },
    )
}

/// The second step, when the sign-in form came without a code.
pub fn second_step(frame: &Frame<'_>) -> Markup {
    let t = frame.t();
    layout(
        frame,
        t.two_step,
        html! {
            form.card method="post" action="/sign-in/code" {
                (token(frame))
                p { (t.code_intro) }
                (field("code", t.code_or_recovery, "text", "one-time-code", ""))
                button type="submit" { (t.verify) }
            }
        },
    )
}

/// What the app-password page shows besides the list.
pub struct AppPasswordsView<'a> {
    /// The account's app passwords.
    pub list: &'a [AppPasswordInfo],
    /// Whether the last check of the player is too old for changes.
    pub confirm_first: bool,
    /// Whether two-step is set up here (the confirmation asks a code).
    pub two_step: bool,
}

/// The Security info page's home: app passwords.
pub fn app_passwords(frame: &Frame<'_>, view: &AppPasswordsView<'_>) -> Markup {
    let t = frame.t();
    let next_name = format!("{} {}", t.default_name, view.list.len() + 1);
    layout(
        frame,
        t.app_passwords,
        html! {
            p { (t.app_passwords_intro) }
            @if view.confirm_first {
                (confirm_form(frame, view.two_step, "/"))
            } @else {
                form.card method="post" action="/app-passwords" {
                    (token(frame))
                    h2 { (t.create_app_password) }
                    (field("name", t.app_password_name, "text", "off", &next_name))
                    button type="submit" { (t.create) }
                }
            }
            @if view.list.is_empty() {
                p { (t.none_yet) }
            } @else {
                table {
                    thead { tr { th { (t.app_password_name) } th { (t.created) } th { (t.last_used) } th { (t.last_device) } th {} } }
                    tbody {
                        @for app in view.list {
                            tr {
                                td { (app.name) }
                                td data-label=(t.created) { (when(app.created)) }
                                td data-label=(t.last_used) {
                                    @match app.last_used { Some(at) => (when(at)), None => (t.never) }
                                }
                                td data-label=(t.last_device) { (app.last_device.as_deref().unwrap_or("–")) }
                                td {
                                    @if !view.confirm_first {
                                        form.inline method="post" action="/app-passwords/revoke" {
                                            (token(frame))
                                            input type="hidden" name="id" value=(app.id);
                                            button.quiet type="submit" aria-label={ (t.revoke) " " (app.name) } { (t.revoke) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if !view.confirm_first {
                    form method="post" action="/app-passwords/revoke-all" {
                        (token(frame))
                        button.quiet type="submit" { (t.revoke_all) }
                    }
                }
            }
        },
    )
}

/// Asks for the password (and code) again before changes, then goes back to `next`.
fn confirm_form(frame: &Frame<'_>, two_step: bool, next: &str) -> Markup {
    let t = frame.t();
    html! {
        form.card method="post" action="/confirm" {
            (token(frame))
            input type="hidden" name="next" value=(next);
            p { (t.confirm_identity) }
            (confirm_fields(t, two_step))
            button type="submit" { (t.verify) }
        }
    }
}

/// A new app password, shown once, large, in groups of four.
pub fn new_app_password(frame: &Frame<'_>, name: &str, formatted: &str) -> Markup {
    let t = frame.t();
    layout(
        frame,
        t.new_app_password,
        html! {
            section {
                h2 { (name) }
                p.secret id="app-password" { (formatted) }
                p { (t.where_to_type) }
                a href="/" { (t.done) }
            }
        },
    )
}

/// Where two-step verification stands for the account.
pub struct TwoStepView {
    /// Whether devices need app passwords (the account's two-step flag).
    pub flag: bool,
    /// Whether an authenticator app is set up here (then signing in here needs a code).
    pub authenticator: bool,
    /// Unspent recovery codes.
    pub codes_left: usize,
    /// Whether the last check of the player is too old for turning it on.
    pub confirm_first: bool,
}

/// Two-step verification: its state and the way to turn it on or off.
pub fn two_step(frame: &Frame<'_>, view: &TwoStepView) -> Markup {
    let t = frame.t();
    let (on, codes_left, confirm_first) = (view.authenticator, view.codes_left, view.confirm_first);
    layout(
        frame,
        t.two_step,
        html! {
            section {
                p { strong { (if on || view.flag { t.two_step_is_on } else { t.two_step_is_off }) } }
                @if view.flag && !on {
                    p { (t.no_authenticator) }
                }
                p { (t.two_step_why) }
                @if on {
                    p { (t.recovery_left) ": " (codes_left) }
                    form method="post" action="/two-step/off" {
                        (token(frame))
                        (confirm_fields(t, true))
                        button.quiet type="submit" { (t.turn_off) }
                    }
                } @else if confirm_first {
                    (confirm_form(frame, false, "/two-step"))
                } @else {
                    form method="post" action="/two-step/begin" {
                        (token(frame))
                        button type="submit" { (t.turn_on) }
                    }
                }
            }
        },
    )
}

/// Enrolment: the secret as a QR code and as text, and the first code to confirm it.
pub fn two_step_setup(frame: &Frame<'_>, qr_svg: &str, key: &str) -> Markup {
    let t = frame.t();
    layout(
        frame,
        t.turn_on,
        html! {
            form.card method="post" action="/two-step/confirm" {
                (token(frame))
                p { (t.setup_scan) }
                (PreEscaped(qr_svg))
                p { (t.secret_key) ": " code.key id="totp-secret" { (key) } }
                (field("code", t.code_from_app, "text", "one-time-code", ""))
                button type="submit" { (t.turn_on) }
            }
        },
    )
}

/// Two-step is on: the recovery codes, once, and what it means for consoles.
pub fn recovery_codes(frame: &Frame<'_>, codes: &[String]) -> Markup {
    let t = frame.t();
    layout(
        frame,
        t.recovery_codes,
        html! {
            p.info role="status" { (t.two_step_is_on) " " (t.consoles_need) " " a href="/" { (t.create_app_password) } }
            section {
                p { (t.recovery_intro) }
                ul.codes id="recovery-codes" { @for code in codes { li { (code) } } }
            }
        },
    )
}

/// One remembered device as listed.
pub struct DeviceView {
    /// The token family's current id (what signing out names).
    pub id: i64,
    /// Kind, model and firmware.
    pub description: String,
    /// The family's first sign-in.
    pub first_signed_in: UnixMillis,
    /// Its last sign-in or resume.
    pub last_seen: UnixMillis,
    /// The app password's name, or the primary password.
    pub credential: String,
}

/// The remembered devices.
pub fn devices(frame: &Frame<'_>, devices: &[DeviceView]) -> Markup {
    let t = frame.t();
    layout(
        frame,
        t.devices,
        html! {
            p { (t.devices_intro) }
            @if devices.is_empty() {
                p { (t.none_yet) }
            } @else {
                table {
                    thead { tr { th { (t.device) } th { (t.first_signed_in) } th { (t.last_seen) } th { (t.signed_in_with) } th {} } }
                    tbody {
                        @for device in devices {
                            tr {
                                td { (device.description) }
                                td data-label=(t.first_signed_in) { (when(device.first_signed_in)) }
                                td data-label=(t.last_seen) { (when(device.last_seen)) }
                                td data-label=(t.signed_in_with) { (device.credential) }
                                td {
                                    form.inline method="post" action="/devices/sign-out" {
                                        (token(frame))
                                        input type="hidden" name="id" value=(device.id);
                                        button.quiet type="submit" aria-label={ (t.sign_out) " " (device.description) } { (t.sign_out) }
                                    }
                                }
                            }
                        }
                    }
                }
                form method="post" action="/devices/sign-out-all" {
                    (token(frame))
                    button.quiet type="submit" { (t.sign_out_all) }
                }
            }
        },
    )
}

/// Changing the primary password.
pub fn password(frame: &Frame<'_>, two_step: bool) -> Markup {
    let t = frame.t();
    layout(
        frame,
        t.change_password,
        html! {
            form.card method="post" action="/password" {
                (token(frame))
                (field("password", t.current_password, "password", "current-password", ""))
                @if two_step {
                    (field("code", t.code_or_recovery, "text", "one-time-code", ""))
                }
                (field("new", t.new_password, "password", "new-password", ""))
                (field("repeat", t.repeat_password, "password", "new-password", ""))
                button type="submit" { (t.change_password) }
            }
        },
    )
}

/// Recent activity, and failed attempts counted.
pub fn activity(frame: &Frame<'_>, failed: u32, lines: &[ActivityRecord]) -> Markup {
    let t = frame.t();
    layout(
        frame,
        t.recent_activity,
        html! {
            p { (t.failed_attempts) ": " strong id="failed-attempts" { (failed) } }
            @if lines.is_empty() {
                p { (t.none_yet) }
            } @else {
                table {
                    thead { tr { th { (t.when) } th { (t.what) } } }
                    tbody {
                        @for line in lines {
                            tr {
                                td { (when(line.at)) }
                                td { (t.activity(line.kind)) @if !line.detail.is_empty() { ": " (line.detail) } }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The phone link's first step: the code the device shows (filled in from the QR code's
/// address when the player scanned it).
pub fn link_entry(frame: &Frame<'_>, code: &str) -> Markup {
    let t = frame.t();
    layout(
        frame,
        t.link_title,
        html! {
            form.card method="post" action="/link" {
                (token(frame))
                p { (t.link_intro) }
                (field("code", t.link_code, "text", "off", code))
                button type="submit" { (t.link_next) }
            }
        },
    )
}

/// The device a link code belongs to, as the approval page shows it.
pub struct LinkView<'a> {
    /// The code, as the device shows it (`WDJB-MJHT`).
    pub code: String,
    /// The device's kind (index into [`Text::kind_names`]).
    pub kind: u8,
    /// Its model, as it described itself.
    pub model: &'a str,
    /// Its firmware version, as it described itself.
    pub firmware: &'a str,
    /// When it asked.
    pub asked: UnixMillis,
    /// Whether the last check of the player is too old: approving asks the password again.
    pub confirm_first: bool,
    /// Whether that check asks a code too.
    pub two_step: bool,
}

/// The approval: which device asks, the warning, Approve and Decline.
pub fn link_approval(frame: &Frame<'_>, view: &LinkView<'_>) -> Markup {
    let t = frame.t();
    let kind = t
        .kind_names
        .get(usize::from(view.kind))
        .copied()
        .unwrap_or(t.unknown_device);
    layout(
        frame,
        t.link_title,
        html! {
            section {
                p { (t.link_asks) }
                dl id="link-device" {
                    dt { (t.link_code) } dd.key { (view.code) }
                    dt { (t.link_kind) } dd { (kind) }
                    dt { (t.link_model) } dd { (view.model) }
                    dt { (t.link_firmware) } dd { (view.firmware) }
                    dt { (t.link_asked_at) } dd { (when(view.asked)) }
                }
                p.error role="alert" { (t.link_warning) }
                form.card method="post" action="/link/approve" {
                    (token(frame))
                    input type="hidden" name="link_code" value=(view.code);
                    @if view.confirm_first {
                        p { (t.confirm_identity) }
                        (confirm_fields(t, view.two_step))
                    }
                    button type="submit" { (t.link_approve) }
                }
                form method="post" action="/link/decline" {
                    (token(frame))
                    input type="hidden" name="link_code" value=(view.code);
                    button.quiet type="submit" { (t.link_decline) }
                }
            }
        },
    )
}

/// The end of a link: approved or declined.
pub fn link_done(frame: &Frame<'_>, approved: bool) -> Markup {
    let t = frame.t();
    layout(
        frame,
        t.link_title,
        html! {
            p.info role="status" id="link-outcome" {
                (if approved { t.link_approved } else { t.link_declined })
            }
            p { a href="/devices" { (t.devices) } }
        },
    )
}

/// A page that only says something went wrong.
pub fn problem(frame: &Frame<'_>, title: &str) -> Markup {
    let t = frame.t();
    layout(
        frame,
        title,
        html! { p { a href="/" { (t.security_info) } } },
    )
}

fn when(at: UnixMillis) -> Markup {
    let iso = at.utc();
    let shown = iso.get(..16).unwrap_or(&iso).replace('T', " ");
    html! { time datetime=(iso) { (shown) " UTC" } }
}
