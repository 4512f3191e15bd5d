//! The page's words: one table per language, as on the device (`firmware/src/text.rs`).
//!
//! Every string a player reads is a field of [`Text`]; [`EN`] and [`NL`] fill it, so a language
//! that forgets a string does not compile. The Dutch follows the wording players know from the
//! seed ("App-wachtwoorden", "Een nieuw app-wachtwoord maken", "Beveiligingsinformatie",
//! "verificatie in twee stappen", "Aanmelden"). The language is the `lang` cookie if set (the
//! link at the foot of every page sets it), else the first of `Accept-Language` this page knows.

use crate::store::security::ActivityKind;

/// A language the page speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Dutch.
    Nl,
}

impl Lang {
    /// The language's table.
    pub fn text(self) -> &'static Text {
        match self {
            Lang::En => &EN,
            Lang::Nl => &NL,
        }
    }

    /// Its ISO 639-1 code (the `lang` attribute and cookie).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
        }
    }

    /// The other language (the foot of each page links to it).
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Nl,
            Lang::Nl => Lang::En,
        }
    }

    /// The language with `code`.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("en") => Some(Lang::En),
            Some("nl") => Some(Lang::Nl),
            _ => None,
        }
    }

    /// The first language of an `Accept-Language` header this page speaks; English otherwise.
    pub fn from_accept(header: &str) -> Lang {
        header
            .split(',')
            .filter_map(|part| Lang::from_code(part.split(';').next().unwrap_or("")))
            .next()
            .unwrap_or(Lang::En)
    }
}

/// Every string of the page in one language.
#[allow(missing_docs, reason = "each field is the text it names")]
pub struct Text {
    pub name_in_own_language: &'static str,
    pub security_info: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub code_if_on: &'static str,
    pub code_or_recovery: &'static str,
    pub two_step: &'static str,
    pub code_intro: &'static str,
    pub verify: &'static str,
    pub wrong_credentials: &'static str,
    pub wrong_code: &'static str,
    pub throttled_before: &'static str,
    pub throttled_after: &'static str,
    pub session_ended: &'static str,
    pub app_passwords: &'static str,
    pub app_passwords_intro: &'static str,
    pub create_app_password: &'static str,
    pub app_password_name: &'static str,
    pub default_name: &'static str,
    pub create: &'static str,
    pub new_app_password: &'static str,
    pub where_to_type: &'static str,
    pub done: &'static str,
    pub created: &'static str,
    pub last_used: &'static str,
    pub last_device: &'static str,
    pub never: &'static str,
    pub revoke: &'static str,
    pub revoke_all: &'static str,
    pub none_yet: &'static str,
    pub confirm_identity: &'static str,
    pub two_step_is_on: &'static str,
    pub two_step_is_off: &'static str,
    pub two_step_why: &'static str,
    pub no_authenticator: &'static str,
    pub turn_on: &'static str,
    pub turn_off: &'static str,
    pub setup_scan: &'static str,
    pub secret_key: &'static str,
    pub qr_label: &'static str,
    pub code_from_app: &'static str,
    pub recovery_codes: &'static str,
    pub recovery_intro: &'static str,
    pub consoles_need: &'static str,
    pub recovery_left: &'static str,
    pub devices: &'static str,
    pub devices_intro: &'static str,
    pub device: &'static str,
    pub first_signed_in: &'static str,
    pub last_seen: &'static str,
    pub signed_in_with: &'static str,
    pub primary_password: &'static str,
    pub unknown_device: &'static str,
    pub sign_out_all: &'static str,
    pub change_password: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub repeat_password: &'static str,
    pub password_changed: &'static str,
    pub passwords_differ: &'static str,
    pub bad_password: &'static str,
    pub bad_name: &'static str,
    pub recent_activity: &'static str,
    pub failed_attempts: &'static str,
    pub when: &'static str,
    pub what: &'static str,
    pub form_expired: &'static str,
    pub not_found: &'static str,
    pub too_large: &'static str,
    pub too_slow: &'static str,
    pub server_error: &'static str,
    pub signed_in_as: &'static str,
    pub link_title: &'static str,
    pub link_intro: &'static str,
    pub link_code: &'static str,
    pub link_next: &'static str,
    pub link_sign_in_first: &'static str,
    pub link_wrong: &'static str,
    pub link_asks: &'static str,
    pub link_kind: &'static str,
    pub link_model: &'static str,
    pub link_firmware: &'static str,
    pub link_asked_at: &'static str,
    pub link_warning: &'static str,
    pub link_approve: &'static str,
    pub link_decline: &'static str,
    pub link_approved: &'static str,
    pub link_declined: &'static str,
    pub kind_names: [&'static str; 3],
    pub activity: [&'static str; ActivityKind::ALL.len()],
}

impl Text {
    /// How `kind` reads in the activity list.
    pub fn activity(&self, kind: ActivityKind) -> &'static str {
        let index = ActivityKind::ALL.iter().position(|k| *k == kind);
        index
            .and_then(|i| self.activity.get(i))
            .copied()
            .unwrap_or("")
    }
}

/// English.
pub static EN: Text = Text {
    name_in_own_language: "English",
    security_info: "Security info",
    sign_in: "Sign in",
    sign_out: "Sign out",
    email: "Email address",
    password: "Password",
    code_if_on: "Code from your authenticator app (only if two-step verification is on)",
    code_or_recovery: "Code from your authenticator app, or a recovery code",
    two_step: "Two-step verification",
    code_intro: "Enter the 6-digit code your authenticator app shows.",
    verify: "Verify",
    wrong_credentials: "That email address, password or code is not right.",
    wrong_code: "That code is not right, or it was already used.",
    throttled_before: "Too many attempts. Try again in",
    throttled_after: "seconds.",
    session_ended: "Your session has ended. Sign in again.",
    app_passwords: "App passwords",
    app_passwords_intro: "Consoles and apps that cannot ask for a security code sign in with an app password instead of your password: one for each device.",
    create_app_password: "Create a new app password",
    app_password_name: "Name (what it is for)",
    default_name: "App password",
    create: "Create",
    new_app_password: "Your new app password",
    where_to_type: "Type it on your console or app where it asks for your password, instead of your password. Spaces do not matter. It is shown only now.",
    done: "Done",
    created: "Created",
    last_used: "Last used",
    last_device: "Last device",
    never: "never",
    revoke: "Revoke",
    revoke_all: "Revoke all app passwords",
    none_yet: "None yet.",
    confirm_identity: "You signed in a while ago: confirm your password (and code) to go on.",
    two_step_is_on: "Two-step verification is on.",
    two_step_is_off: "Two-step verification is off.",
    no_authenticator: "Devices need app passwords, but no authenticator app is set up yet: set one up so that signing in here needs a code too.",
    two_step_why: "With two-step verification on, signing in here needs your password and a code from an authenticator app on your phone.",
    turn_on: "Turn on two-step verification",
    turn_off: "Turn off two-step verification",
    setup_scan: "Scan this code with your authenticator app, or type the key below into it. Then enter the code the app shows.",
    secret_key: "Key",
    qr_label: "QR code of the key for your authenticator app",
    code_from_app: "Code from the app",
    recovery_codes: "Recovery codes",
    recovery_intro: "Keep these ten codes somewhere safe. Each one signs you in once if you lose your phone. They are shown only now.",
    consoles_need: "Consoles and other devices that cannot ask for a security code now need an app password to sign in.",
    recovery_left: "Recovery codes left",
    devices: "Devices",
    devices_intro: "Devices that remember your sign-in.",
    device: "Device",
    first_signed_in: "First signed in",
    last_seen: "Last seen",
    signed_in_with: "Signed in with",
    primary_password: "your password",
    unknown_device: "unknown device",
    sign_out_all: "Sign out all devices",
    change_password: "Change password",
    current_password: "Current password",
    new_password: "New password",
    repeat_password: "New password again",
    password_changed: "Your password is changed. Devices it signed in and your other web sessions are signed out.",
    passwords_differ: "The two new passwords are not the same.",
    bad_password: "A password has 1 to 128 bytes.",
    bad_name: "A name has 1 to 64 bytes.",
    recent_activity: "Recent activity",
    failed_attempts: "Failed sign-in attempts since the last successful one",
    when: "When",
    what: "What",
    form_expired: "This form has expired. Go back, reload the page and try again.",
    not_found: "There is no such page.",
    too_large: "That was too much to send.",
    too_slow: "That took too long. Try again.",
    server_error: "Something went wrong on our side. Try again.",
    signed_in_as: "Signed in as",
    link_title: "Sign in a device",
    link_intro: "Enter the code that your console or player shows.",
    link_code: "Code",
    link_next: "Next",
    link_sign_in_first: "Sign in first; then you can approve the device.",
    link_wrong: "This code is not valid or has expired. Check the code on the screen of the device.",
    link_asks: "This device asks to sign in to your account.",
    link_kind: "Kind",
    link_model: "Model",
    link_firmware: "Firmware",
    link_asked_at: "Asked at",
    link_warning: "Approve only a device that is in front of you. Whoever gets you to approve a code can use your account on their device.",
    link_approve: "Approve",
    link_decline: "Decline",
    link_approved: "The device is signed in. It stays signed in until you sign it out under Devices or revoke its link under App passwords.",
    link_declined: "The device was not signed in.",
    kind_names: ["Xbox 360", "Zune", "Other device"],
    activity: [
        "Signed in on the web",
        "Signed in on a device",
        "App password created",
        "App password revoked",
        "All app passwords revoked",
        "Device signed out",
        "All devices signed out",
        "Two-step verification turned on",
        "Two-step verification turned off",
        "Password changed",
        "Recovery code used",
    ],
};

/// Dutch.
pub static NL: Text = Text {
    name_in_own_language: "Nederlands",
    security_info: "Beveiligingsinformatie",
    sign_in: "Aanmelden",
    sign_out: "Afmelden",
    email: "E-mailadres",
    password: "Wachtwoord",
    code_if_on: "Beveiligingscode uit uw verificatie-app (alleen als verificatie in twee stappen is ingeschakeld)",
    code_or_recovery: "Beveiligingscode uit uw verificatie-app, of een herstelcode",
    two_step: "Verificatie in twee stappen",
    code_intro: "Voer de code van 6 cijfers in die uw verificatie-app weergeeft.",
    verify: "Verifiëren",
    wrong_credentials: "Het e-mailadres, het wachtwoord of de code is onjuist.",
    wrong_code: "Die code is onjuist of is al gebruikt.",
    throttled_before: "Te veel pogingen. Probeer het over",
    throttled_after: "seconden opnieuw.",
    session_ended: "Uw sessie is verlopen. Meld u opnieuw aan.",
    app_passwords: "App-wachtwoorden",
    app_passwords_intro: "Apps en apparaten die niet om een beveiligingscode vragen, melden zich aan met een app-wachtwoord in plaats van uw wachtwoord: een voor elk apparaat.",
    create_app_password: "Een nieuw app-wachtwoord maken",
    app_password_name: "Naam (waarvoor het is)",
    default_name: "App-wachtwoord",
    create: "Maken",
    new_app_password: "Uw nieuwe app-wachtwoord",
    where_to_type: "Voer dit app-wachtwoord in waar u anders uw normale wachtwoord zou hebben opgegeven. Spaties tellen niet mee. Het wordt alleen nu weergegeven.",
    done: "Gereed",
    created: "Gemaakt",
    last_used: "Laatst gebruikt",
    last_device: "Laatste apparaat",
    never: "nooit",
    revoke: "Intrekken",
    revoke_all: "Alle app-wachtwoorden intrekken",
    none_yet: "Nog geen.",
    confirm_identity: "U hebt zich een tijd geleden aangemeld: bevestig uw wachtwoord (en code) om door te gaan.",
    two_step_is_on: "Verificatie in twee stappen is ingeschakeld.",
    two_step_is_off: "Verificatie in twee stappen is uitgeschakeld.",
    no_authenticator: "Apparaten hebben een app-wachtwoord nodig, maar er is nog geen verificatie-app ingesteld: stel er een in, zodat u hier ook een beveiligingscode nodig hebt om u aan te melden.",
    two_step_why: "Met verificatie in twee stappen hebt u hier uw wachtwoord en een beveiligingscode uit een verificatie-app op uw telefoon nodig om u aan te melden.",
    turn_on: "Verificatie in twee stappen inschakelen",
    turn_off: "Verificatie in twee stappen uitschakelen",
    setup_scan: "Scan deze code met uw verificatie-app of voer de sleutel hieronder in de app in. Voer daarna de code in die de app weergeeft.",
    secret_key: "Sleutel",
    qr_label: "QR-code van de sleutel voor uw verificatie-app",
    code_from_app: "Code uit de app",
    recovery_codes: "Herstelcodes",
    recovery_intro: "Bewaar deze tien codes op een veilige plek. Met elke code kunt u zich één keer aanmelden als u uw telefoon kwijt bent. Ze worden alleen nu weergegeven.",
    consoles_need: "Apps en apparaten die niet om een beveiligingscode vragen, zoals een Xbox 360, hebben nu een app-wachtwoord nodig om u aan te melden.",
    recovery_left: "Resterende herstelcodes",
    devices: "Apparaten",
    devices_intro: "Apparaten die uw aanmelding onthouden.",
    device: "Apparaat",
    first_signed_in: "Eerst aangemeld",
    last_seen: "Laatst gezien",
    signed_in_with: "Aangemeld met",
    primary_password: "uw wachtwoord",
    unknown_device: "onbekend apparaat",
    sign_out_all: "Alle apparaten afmelden",
    change_password: "Wachtwoord wijzigen",
    current_password: "Huidig wachtwoord",
    new_password: "Nieuw wachtwoord",
    repeat_password: "Nieuw wachtwoord herhalen",
    password_changed: "Uw wachtwoord is gewijzigd. Apparaten die ermee waren aangemeld en uw andere websessies zijn afgemeld.",
    passwords_differ: "De twee nieuwe wachtwoorden zijn niet gelijk.",
    bad_password: "Een wachtwoord heeft 1 tot 128 bytes.",
    bad_name: "Een naam heeft 1 tot 64 bytes.",
    recent_activity: "Recente activiteit",
    failed_attempts: "Mislukte aanmeldpogingen sinds de laatste geslaagde",
    when: "Wanneer",
    what: "Wat",
    form_expired: "Dit formulier is verlopen. Ga terug, laad de pagina opnieuw en probeer het nog eens.",
    not_found: "Deze pagina bestaat niet.",
    too_large: "Dat was te veel om te verzenden.",
    too_slow: "Dat duurde te lang. Probeer het opnieuw.",
    server_error: "Er is aan onze kant iets misgegaan. Probeer het opnieuw.",
    signed_in_as: "Aangemeld als",
    link_title: "Een apparaat aanmelden",
    link_intro: "Voer de code in die uw console of speler weergeeft.",
    link_code: "Code",
    link_next: "Volgende",
    link_sign_in_first: "Meld u eerst aan; daarna kunt u het apparaat goedkeuren.",
    link_wrong: "Deze code is ongeldig of verlopen. Controleer de code op het scherm van het apparaat.",
    link_asks: "Dit apparaat vraagt om zich aan te melden bij uw account.",
    link_kind: "Soort",
    link_model: "Model",
    link_firmware: "Firmware",
    link_asked_at: "Gevraagd om",
    link_warning: "Keur alleen een apparaat goed dat voor u staat. Wie u een code laat goedkeuren, kan uw account op zijn apparaat gebruiken.",
    link_approve: "Goedkeuren",
    link_decline: "Weigeren",
    link_approved: "Het apparaat is aangemeld. Het blijft aangemeld totdat u het afmeldt onder Apparaten of de koppeling intrekt onder App-wachtwoorden.",
    link_declined: "Het apparaat is niet aangemeld.",
    kind_names: ["Xbox 360", "Zune", "Ander apparaat"],
    activity: [
        "Aangemeld op internet",
        "Aangemeld op een apparaat",
        "App-wachtwoord gemaakt",
        "App-wachtwoord ingetrokken",
        "Alle app-wachtwoorden ingetrokken",
        "Apparaat afgemeld",
        "Alle apparaten afgemeld",
        "Verificatie in twee stappen ingeschakeld",
        "Verificatie in twee stappen uitgeschakeld",
        "Wachtwoord gewijzigd",
        "Herstelcode gebruikt",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_comes_from_a_code_or_the_browser() {
        assert_eq!(Lang::from_accept("nl-NL,nl;q=0.9,en;q=0.8"), Lang::Nl);
        assert_eq!(Lang::from_accept("de-DE,en-GB;q=0.5"), Lang::En);
        assert_eq!(Lang::from_accept(""), Lang::En);
        assert_eq!(Lang::from_code("nl"), Some(Lang::Nl));
        assert_eq!(Lang::from_code("x"), None);
        assert_eq!(
            NL.activity(ActivityKind::RecoveryCodeUsed),
            "Herstelcode gebruikt"
        );
    }
}
