//! Text from the database made safe to print on an administrator's terminal.
//!
//! Some of what the admin commands list came from the network: the device model and firmware
//! version of an app password's last use are what a device sent. A terminal obeys the control
//! characters in what it prints (an escape sequence can retitle the window, rewrite lines
//! already shown, or on some terminals answer with keystrokes), so a hostile device could reach
//! the administrator's terminal through `app-password list`. The protocol now refuses control
//! characters in `DeviceInfo`, but a database may hold rows written before that rule, or by
//! another tool; the listings therefore escape on the way out as well.
//!
//! [`for_terminal`] writes every control character (Unicode category Cc, tabs and newlines
//! included, since the listings are tab-separated lines) as a Rust escape such as `\u{1b}`, and a
//! backslash as `\\`, so the printed text reads back unambiguously. Everything else passes.

use std::borrow::Cow;

/// `text` with its control characters and backslashes escaped (see the module docs); borrowed
/// when there is nothing to escape.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    let needs_escape = |c: char| c.is_control() || c == '\\';
    if !text.contains(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_backslashes_are_escaped_the_rest_passes() {
        assert!(matches!(for_terminal("Xbox 360 S"), Cow::Borrowed(_)));
        assert_eq!(for_terminal("caf\u{e9} \u{2603}"), "caf\u{e9} \u{2603}");
        assert_eq!(
            for_terminal("a\u{1b}]0;owned\u{7}b"),
            "a\\u{1b}]0;owned\\u{7}b"
        );
        assert_eq!(
            for_terminal("\u{9b}31m\t\n\u{7f}"),
            "\\u{9b}31m\\t\\n\\u{7f}"
        );
        assert_eq!(for_terminal("C:\\u{1b}"), "C:\\\\u{1b}");
    }
}
