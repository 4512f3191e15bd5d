//! Every user-visible string, one table per language.
//!
//! Screens ask for a [`Text`] and get it in the player's [`Language`]; no string lives anywhere
//! else. Each table is an exhaustive `match`, so adding a [`Text`] without translating it does
//! not compile. The Dutch follows the wording players know from their consoles and from the
//! account help pages (`Aanmelden`, `app-wachtwoord`, `Mijn gegevens onthouden`).
//!
//! A few strings carry one `{}` where the screen puts a value (a name, a duration); see
//! [`Text`]'s variants.

/// A language the module's strings exist in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Language {
    /// English.
    English,
    /// Dutch.
    Dutch,
}

impl Language {
    /// Every language, for tests and menus.
    pub const ALL: [Language; 2] = [Language::English, Language::Dutch];

    /// The language's two-letter code (`en`, `nl`), as the simulator's `--lang` takes it.
    pub const fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Dutch => "nl",
        }
    }

    /// The language with `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }
}

/// The strings the module shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Text {
    /// Title of the account (email) screen.
    SignInTitle,
    /// Label of the email field.
    EmailLabel,
    /// Label of the password field.
    PasswordLabel,
    /// Hint under the password field: an app password works here.
    PasswordHint,
    /// The remember checkbox (consoles).
    RememberMyInfo,
    /// The remember checkbox (media players).
    RememberMyIdAndPassword,
    /// The sign-in button.
    SignInButton,
    /// Progress screen, with the account: `{}` is the email address.
    SigningInAs,
    /// Progress screen without an account name.
    SigningIn,
    /// Signed-in screen: `{}` is the display name.
    Welcome,
    /// The sign-out button.
    SignOutButton,
    /// Wrong credentials: the title.
    WrongCredentialsTitle,
    /// Wrong credentials: one line on app passwords.
    AppPasswordExplained,
    /// Wrong credentials: where to create one; the URL follows.
    CreateAppPasswordAt,
    /// Too many tries: `{}` is a duration.
    Throttled,
    /// The remembered sign-in no longer works.
    TokenInvalid,
    /// No network link or address.
    NoNetwork,
    /// The gateway refused the connection or there is no route.
    CannotReach,
    /// The gateway did not answer in time.
    TimedOut,
    /// The connection dropped mid-exchange.
    ConnectionLost,
    /// The gateway's answer made no sense, or it could not authenticate us.
    ProtocolError,
    /// The gateway speaks another protocol version.
    UpdateNeeded,
    /// The gateway failed or is busy.
    ServiceUnavailable,
    /// Button: try again.
    Retry,
    /// Button: enter a password instead of the remembered sign-in.
    UsePassword,
    /// Button: back.
    Back,
    /// Button: OK.
    Ok,
    /// Button: stop signing in.
    Cancel,
    /// Duration unit: seconds, `{}` is the number.
    Seconds,
    /// Duration unit: minutes, `{}` is the number.
    Minutes,
    /// Duration unit: hours, `{}` is the number.
    Hours,
    /// Keyboard key: backspace.
    KeyBackspace,
    /// Keyboard key: shift.
    KeyShift,
    /// Keyboard key: symbols page.
    KeySymbols,
    /// Keyboard key: letters page (shown on the symbols page).
    KeyLetters,
    /// Keyboard key: show the password.
    KeyShow,
    /// Keyboard key: hide the password.
    KeyHide,
    /// Keyboard key: done.
    KeyDone,
    /// Keyboard key: space.
    KeySpace,
    /// Keyboard key: type another kind of password (switch from app-password letters to the
    /// full keyboard).
    KeyOtherPassword,
    /// The phone choice on an empty email field (the key or button that is Done otherwise).
    KeyPhone,
    /// Title of the link screens: sign in by approving the device on a phone.
    LinkTitle,
    /// Link screen: where to go; the short address follows.
    LinkGoTo,
    /// Link screen: what to do there; the code follows.
    LinkEnterCode,
    /// Link screen: how long the code stays valid, `{}` is a duration (`9:58`).
    LinkValidFor,
    /// Asking the gateway for a code.
    LinkAsking,
    /// The code expired before it was approved.
    LinkExpired,
    /// The player declined the sign-in on the phone.
    LinkDeclined,
    /// Button: ask for a new code.
    NewCode,
}

impl Text {
    /// This text in `language`.
    pub const fn get(self, language: Language) -> &'static str {
        match language {
            Language::English => english(self),
            Language::Dutch => dutch(self),
        }
    }
}

const fn english(text: Text) -> &'static str {
    match text {
        Text::SignInTitle => "Sign in",
        Text::EmailLabel => "Email address",
        Text::PasswordLabel => "Password",
        Text::PasswordHint => "Two-step verification on? Enter an app password.",
        Text::RememberMyInfo => "Remember my info",
        Text::RememberMyIdAndPassword => "Remember my ID and password",
        Text::SignInButton => "Sign in",
        Text::SigningInAs => "Signing in as {}",
        Text::SigningIn => "Signing in",
        Text::Welcome => "Welcome, {}",
        Text::SignOutButton => "Sign out",
        Text::WrongCredentialsTitle => "That email or password didn't work",
        Text::AppPasswordExplained => {
            "Two-step verification on? Sign in with an app password, not your account password."
        }
        Text::CreateAppPasswordAt => "Create one on your Security info page:",
        Text::Throttled => "Too many tries. Try again in {}.",
        Text::TokenInvalid => "Please sign in again.",
        Text::NoNetwork => "No network connection. Check the cable or Wi-Fi.",
        Text::CannotReach => "Can't reach the sign-in service.",
        Text::TimedOut => "The sign-in service didn't answer in time.",
        Text::ConnectionLost => "The connection dropped while signing in.",
        Text::ProtocolError => "Something went wrong talking to the sign-in service.",
        Text::UpdateNeeded => "This device needs an update to sign in.",
        Text::ServiceUnavailable => "The sign-in service is busy. Try again later.",
        Text::Retry => "Try again",
        Text::UsePassword => "Use password",
        Text::Back => "Back",
        Text::Ok => "OK",
        Text::Cancel => "Cancel",
        Text::Seconds => "{} s",
        Text::Minutes => "{} min",
        Text::Hours => "{} h",
        Text::KeyBackspace => "Del",
        Text::KeyShift => "Shift",
        Text::KeySymbols => "#?!",
        Text::KeyLetters => "abc",
        Text::KeyShow => "Show",
        Text::KeyHide => "Hide",
        Text::KeyDone => "Done",
        Text::KeySpace => "Space",
        Text::KeyOtherPassword => "#?! Other",
        Text::KeyPhone => "Phone",
        Text::LinkTitle => "Sign in by phone",
        Text::LinkGoTo => "On your phone, go to",
        Text::LinkEnterCode => "and enter this code:",
        Text::LinkValidFor => "Code valid for {}",
        Text::LinkAsking => "Getting a code",
        Text::LinkExpired => "The code expired before it was approved.",
        Text::LinkDeclined => "The sign-in was declined on the phone.",
        Text::NewCode => "New code",
    }
}

const fn dutch(text: Text) -> &'static str {
    match text {
        Text::SignInTitle => "Aanmelden",
        Text::EmailLabel => "E-mailadres",
        Text::PasswordLabel => "Wachtwoord",
        Text::PasswordHint => "Verificatie in twee stappen aan? Voer een app-wachtwoord in.",
        Text::RememberMyInfo => "Mijn gegevens onthouden",
        Text::RememberMyIdAndPassword => "Mijn ID en wachtwoord onthouden",
        Text::SignInButton => "Aanmelden",
        Text::SigningInAs => "Aanmelden als {}",
        Text::SigningIn => "Bezig met aanmelden",
        Text::Welcome => "Welkom, {}",
        Text::SignOutButton => "Afmelden",
        Text::WrongCredentialsTitle => "Dat e-mailadres of wachtwoord klopt niet",
        Text::AppPasswordExplained => {
            "Verificatie in twee stappen aan? Meld u aan met een app-wachtwoord, niet met uw accountwachtwoord."
        }
        Text::CreateAppPasswordAt => "Maak er een op de pagina Beveiligingsinformatie:",
        Text::Throttled => "Te veel pogingen. Probeer het over {} opnieuw.",
        Text::TokenInvalid => "Meld u opnieuw aan.",
        Text::NoNetwork => "Geen netwerkverbinding. Controleer de kabel of wifi.",
        Text::CannotReach => "De aanmeldservice is niet bereikbaar.",
        Text::TimedOut => "De aanmeldservice reageerde niet op tijd.",
        Text::ConnectionLost => "De verbinding werd verbroken tijdens het aanmelden.",
        Text::ProtocolError => "Er ging iets mis in het contact met de aanmeldservice.",
        Text::UpdateNeeded => "Dit apparaat heeft een update nodig om aan te melden.",
        Text::ServiceUnavailable => "De aanmeldservice is bezet. Probeer het later opnieuw.",
        Text::Retry => "Opnieuw",
        Text::UsePassword => "Met wachtwoord",
        Text::Back => "Terug",
        Text::Ok => "OK",
        Text::Cancel => "Annuleren",
        Text::Seconds => "{} s",
        Text::Minutes => "{} min",
        Text::Hours => "{} uur",
        Text::KeyBackspace => "Wis",
        Text::KeyShift => "Shift",
        Text::KeySymbols => "#?!",
        Text::KeyLetters => "abc",
        Text::KeyShow => "Toon",
        Text::KeyHide => "Verberg",
        Text::KeyDone => "Klaar",
        Text::KeySpace => "Spatie",
        Text::KeyOtherPassword => "#?! Ander",
        Text::KeyPhone => "Telefoon",
        Text::LinkTitle => "Aanmelden via telefoon",
        Text::LinkGoTo => "Ga op uw telefoon naar",
        Text::LinkEnterCode => "en voer deze code in:",
        Text::LinkValidFor => "Code geldig: nog {}",
        Text::LinkAsking => "Bezig met code ophalen",
        Text::LinkExpired => "De code is verlopen voordat deze werd goedgekeurd.",
        Text::LinkDeclined => "De aanmelding is op de telefoon geweigerd.",
        Text::NewCode => "Nieuwe code",
    }
}

/// Writes `template` with its `{}` replaced by `value` into `out`.
///
/// Plain string pushes, not `write!`: the formatting machinery would cost a device several
/// kilobytes of flash for this one job.
///
/// # Errors
/// Whatever `out` returns (a full `heapless::String`, say).
pub fn fill(out: &mut impl core::fmt::Write, template: &str, value: &str) -> core::fmt::Result {
    match template.split_once("{}") {
        Some((before, after)) => {
            out.write_str(before)?;
            out.write_str(value)?;
            out.write_str(after)
        }
        None => out.write_str(template),
    }
}

/// `value` in decimal digits, in `buffer`.
pub fn decimal(value: u32, buffer: &mut [u8; 10]) -> &str {
    let mut at = buffer.len();
    let mut rest = value;
    loop {
        at -= 1;
        if let Some(digit) = buffer.get_mut(at) {
            *digit = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 || at == 0 {
            break;
        }
    }
    core::str::from_utf8(buffer.get(at..).unwrap_or_default()).unwrap_or_default()
}

/// Writes a wait of `secs` seconds as the largest whole unit that fits (`5 min`), rounding up
/// so that "try again in" never comes too early.
///
/// # Errors
/// Whatever `out` returns.
pub fn duration(
    out: &mut impl core::fmt::Write,
    language: Language,
    secs: u32,
) -> core::fmt::Result {
    let (unit, value) = match secs {
        0..=99 => (Text::Seconds, secs),
        100..=5999 => (Text::Minutes, secs.div_ceil(60)),
        _ => (Text::Hours, secs.div_ceil(3600)),
    };
    let mut digits = [0u8; 10];
    fill(out, unit.get(language), decimal(value, &mut digits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    #[test]
    fn templates_fill_and_durations_round_up() {
        let mut out = String::new();
        fill(&mut out, Text::Welcome.get(Language::Dutch), "Sam").unwrap();
        assert_eq!(out, "Welkom, Sam");
        let mut out = String::new();
        duration(&mut out, Language::English, 61).unwrap();
        assert_eq!(out, "61 s");
        let mut out = String::new();
        duration(&mut out, Language::Dutch, 301).unwrap();
        assert_eq!(out, "6 min");
        let mut out = String::new();
        duration(&mut out, Language::Dutch, 7200).unwrap();
        assert_eq!(out, "2 uur");
    }

    #[test]
    fn decimals() {
        let mut buffer = [0u8; 10];
        assert_eq!(decimal(0, &mut buffer), "0");
        assert_eq!(decimal(7, &mut buffer), "7");
        assert_eq!(decimal(4_294_967_295, &mut buffer), "4294967295");
    }

    #[test]
    fn codes_round_trip() {
        for language in Language::ALL {
            assert_eq!(Language::from_code(language.code()), Some(language));
        }
        assert_eq!(Language::from_code("fr"), None);
    }
}
