//! `{email}`, `{password}`, `{app-password}` and `{name}`: a scenario's words for the demo
//! account's details, filled in when a step is played.
//!
//! The two passwords are secrets: they are typed and looked for, never written out. A step's
//! text goes into the transcript with only the public placeholders filled in, and messages
//! about a text quote it as written.

use crate::demo::DemoAccount;

/// The demo account's details, by placeholder.
#[derive(Debug, Clone)]
pub struct Placeholders {
    email: String,
    name: String,
    password: String,
    /// As the player types it: sixteen letters, no spaces.
    app_password: String,
}

/// The placeholders that stand for a secret.
const SECRET: [&str; 2] = ["{password}", "{app-password}"];

impl Placeholders {
    /// The placeholders of `demo`.
    pub fn new(demo: &DemoAccount) -> Self {
        Self {
            email: demo.email.clone(),
            name: demo.display_name.clone(),
            password: demo.password.clone(),
            app_password: demo.app_password.replace(' ', ""),
        }
    }

    /// `written` with every placeholder filled in.
    ///
    /// # Errors
    /// A `{...}` that is not a placeholder: what the known ones are.
    pub fn expand(&self, written: &str) -> Result<String, String> {
        let out = self
            .public(written)
            .replace("{password}", &self.password)
            .replace("{app-password}", &self.app_password);
        if let Some(at) = out.find('{')
            && out.get(at..).is_some_and(|rest| rest.contains('}'))
        {
            return Err(format!(
                "unknown placeholder in {written:?}; expected {{email}}, {{password}}, \
                 {{app-password}} or {{name}}"
            ));
        }
        Ok(out)
    }

    /// `written` with the placeholders that are no secret filled in, for the transcript.
    pub fn public(&self, written: &str) -> String {
        written
            .replace("{email}", &self.email)
            .replace("{name}", &self.name)
    }

    /// Whether `written` names a secret (so a message must not quote what it stands for).
    pub fn is_secret(written: &str) -> bool {
        SECRET.iter().any(|secret| written.contains(secret))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Placeholders {
        Placeholders::new(&DemoAccount {
            email: "a@b.c".into(),
            display_name: "A".into(),
            password: "pw".into(),
            app_password: "abcd efgh ijkl mnop".into(),
            app_password_id: 1,
        })
    }

    #[test]
    fn placeholders_fill_in_and_secrets_stay_out_of_the_public_text() {
        let p = demo();
        assert_eq!(
            p.expand("{email} {password} {app-password} {name}")
                .unwrap(),
            "a@b.c pw abcdefghijklmnop A"
        );
        assert_eq!(p.public("{email} {password}"), "a@b.c {password}");
        assert!(Placeholders::is_secret("x{app-password}"));
        assert!(!Placeholders::is_secret("{email}"));
        let unknown = p.expand("{mail}").unwrap_err();
        assert!(
            unknown.starts_with("unknown placeholder in \"{mail}\""),
            "{unknown}"
        );
        assert_eq!(p.expand("a { b").unwrap(), "a { b");
    }
}
