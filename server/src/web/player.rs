//! The player at the page, as a program: signs in over HTTP and approves or declines a device's
//! link code, exactly as a browser submitting the page's own forms would (cookies, form tokens,
//! redirects). The QA runner's `approve link` / `decline link` steps and the end-to-end tests
//! use it against a served page ([`super::serve_router`]); it speaks plain HTTP/1.1 over TCP,
//! so it works against any listening `padlock-server serve --web`, not only an embedded one.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// What the player does with the device's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkChoice {
    /// Approve: the device gets a remember-me token at its next poll.
    Approve,
    /// Decline: the device is told so at its next poll.
    Decline,
}

/// Who signs in on the page.
#[derive(Debug, Clone, Copy)]
pub struct PlayerLogin<'a> {
    /// The account's email address.
    pub email: &'a str,
    /// Its primary password.
    pub password: &'a str,
    /// The second step's code (authenticator or recovery code), `""` for an account without one.
    pub code: &'a str,
}

/// Why acting on the page failed.
#[derive(Debug)]
pub enum PlayerError {
    /// The page could not be reached, or broke off.
    Io(std::io::Error),
    /// A step got another answer than a player who did it right would (wrong password, an
    /// unknown or expired code, throttled): the step and the HTTP status.
    Refused {
        /// What the player was doing.
        step: &'static str,
        /// The page's status code.
        status: u16,
    },
}

impl std::fmt::Display for PlayerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(error) => write!(f, "the page could not be reached: {error}"),
            Self::Refused { step, status } => write!(f, "{step}: the page answered {status}"),
        }
    }
}

impl std::error::Error for PlayerError {}

impl From<std::io::Error> for PlayerError {
    fn from(error: std::io::Error) -> Self {
        Self::Io(error)
    }
}

/// Signs in at the page on `page` as `login` and approves or declines the link `code` (as the
/// device shows it, `WDJB-MJHT`): the whole flow a player goes through after scanning the QR
/// code, starting at `/link?code=`.
///
/// # Errors
/// [`PlayerError::Refused`] naming the step that went otherwise, [`PlayerError::Io`] if the
/// page could not be reached.
pub fn answer_link(
    page: SocketAddr,
    login: &PlayerLogin<'_>,
    code: &str,
    choice: LinkChoice,
) -> Result<(), PlayerError> {
    let mut browser = Browser {
        page,
        cookies: BTreeMap::new(),
    };
    let scanned = browser.get(&format!("/link?code={}", form_encode(code)))?;
    if scanned.location() == Some("/sign-in") {
        let form = browser
            .get("/sign-in")?
            .expect("open the sign-in page", 200)?;
        let signed_in = browser.post(
            "/sign-in",
            &[
                ("csrf", &form.csrf()),
                ("email", login.email),
                ("password", login.password),
                ("code", login.code),
            ],
        )?;
        if signed_in.status != 303 || signed_in.location() != Some("/link") {
            return Err(refused("sign in", signed_in.status));
        }
    }
    let entry = browser.get("/link")?.expect("open the link page", 200)?;
    let approval = browser
        .post("/link", &[("csrf", &entry.csrf()), ("code", code)])?
        .expect("enter the code", 200)?;
    let (path, step) = match choice {
        LinkChoice::Approve => ("/link/approve", "approve"),
        LinkChoice::Decline => ("/link/decline", "decline"),
    };
    browser
        .post(
            path,
            &[
                ("csrf", &approval.csrf()),
                ("link_code", code),
                ("password", login.password),
                ("code", login.code),
            ],
        )?
        .expect(step, 200)?;
    Ok(())
}

fn refused(step: &'static str, status: u16) -> PlayerError {
    PlayerError::Refused { step, status }
}

/// Percent-encoding for a form field or a query value (`application/x-www-form-urlencoded`):
/// letters, digits, `-`, `.` and `_` as they are, every other byte as `%XX`.
pub fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An answer from the page.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn location(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("location"))
            .map(|(_, value)| value.as_str())
    }

    /// The form token of the page's forms.
    fn csrf(&self) -> String {
        let start = "name=\"csrf\" value=\"";
        self.body
            .find(start)
            .map(|at| &self.body[at + start.len()..])
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned()
    }

    fn expect(self, step: &'static str, status: u16) -> Result<Self, PlayerError> {
        if self.status == status {
            Ok(self)
        } else {
            Err(refused(step, self.status))
        }
    }
}

/// One player's browser: a cookie jar.
struct Browser {
    page: SocketAddr,
    cookies: BTreeMap<String, String>,
}

/// The most of an answer read (the page's largest is a few kilobytes).
const MAX_ANSWER: u64 = 256 * 1024;

impl Browser {
    fn get(&mut self, path: &str) -> Result<Answer, PlayerError> {
        self.send("GET", path, None)
    }

    fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Result<Answer, PlayerError> {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect();
        self.send("POST", path, Some(body.join("&")))
    }

    fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<Answer, PlayerError> {
        let mut stream = TcpStream::connect_timeout(&self.page, Duration::from_secs(5))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAccept-Language: en\r\n",
            self.page
        );
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            request.push_str(&format!("Cookie: {}\r\n", jar.join("; ")));
        }
        let body = body.unwrap_or_default();
        if method == "POST" {
            request.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        request.push_str(&body);
        stream.write_all(request.as_bytes())?;
        let mut raw = Vec::new();
        stream.take(MAX_ANSWER).read_to_end(&mut raw)?;
        let answer = parse(&raw)
            .ok_or_else(|| std::io::Error::other("the page's answer is not HTTP/1.1"))?;
        for (name, value) in &answer.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let (pair, attributes) = value.split_once(';').unwrap_or((value, ""));
            if let Some((key, val)) = pair.split_once('=') {
                if attributes.contains("Max-Age=0") {
                    self.cookies.remove(key.trim());
                } else {
                    self.cookies
                        .insert(key.trim().to_owned(), val.trim().to_owned());
                }
            }
        }
        Ok(answer)
    }
}

/// An HTTP/1.1 answer read to the end of the connection (`Connection: close`; the page sends
/// whole bodies with a length, never chunks one).
fn parse(raw: &[u8]) -> Option<Answer> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    Some(Answer {
        status,
        headers,
        body: body.to_owned(),
    })
}
