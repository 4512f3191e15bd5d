//! What the gateway logs: every sign-in with its account and outcome, and never a password, an
//! app password, a token or a key.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use padlock_protocol::Request;
use padlock_server::Gateway;

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A subscriber writing everything into a buffer.
fn capture() -> (Captured, impl tracing::Subscriber) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured, subscriber)
}

#[test]
fn sign_ins_are_logged_without_secrets() {
    let (captured, subscriber) = capture();
    let mut secrets = vec![PRIMARY.to_owned()];
    tracing::subscriber::with_default(subscriber, || {
        let dir = tempfile::tempdir().unwrap();
        let gateway = Gateway::open(&dir.path().join("g.db"), config()).unwrap();
        gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
        let app = gateway.create_app_password(EMAIL, "Xbox", t(0)).unwrap();
        secrets.push(app.formatted.clone());
        secrets.push(app.formatted.replace(' ', ""));
        let device = Device::new(1);
        device.sign_in(&gateway, EMAIL, PRIMARY, false, t(1));
        device.sign_in(&gateway, EMAIL, "wrong guess", false, t(1));
        let token = granted_token(&device.sign_in(&gateway, EMAIL, &app.formatted, true, t(2)));
        let successor = granted_token(&device.resume(&gateway, &token, t(3)));
        device
            .exchange(
                &gateway,
                &Request::SignOut {
                    token: successor.clone(),
                },
                t(4),
            )
            .unwrap();
        secrets.push(hex(token.as_bytes()));
        secrets.push(hex(successor.as_bytes()));
        let keys = std::fs::read(padlock_server::keys::key_file_path(
            &dir.path().join("g.db"),
        ))
        .unwrap();
        secrets.push(hex(&keys[8..40]));
        secrets.push(hex(&keys[40..72]));
    });
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lowercase_logs = logs.to_lowercase();
    for outcome in ["wrong credentials", "granted", "signed out"] {
        assert!(logs.contains(outcome), "{outcome} logged:\n{logs}");
    }
    assert!(
        logs.contains("ann@example.com"),
        "the account is named:\n{logs}"
    );
    for secret in &secrets {
        assert!(
            !lowercase_logs.contains(&secret.to_lowercase()),
            "a secret in the logs:\n{logs}"
        );
    }
}

/// What is typed into the email field is not logged unless it names an account: it may be a
/// password typed into the wrong field, or text forging log lines.
#[test]
fn an_unknown_account_is_logged_as_a_keyed_hash_prefix() {
    let (captured, subscriber) = capture();
    let typed_password = "Tr0ub4dor&3-in-the-email-field";
    let forged = "x@example.com\n2026-01-01 INFO forged line";
    tracing::subscriber::with_default(subscriber, || {
        let gateway = Gateway::in_memory(config()).unwrap();
        gateway.add_account(EMAIL, "Ann", PRIMARY, false).unwrap();
        let device = Device::new(1);
        device.sign_in(&gateway, typed_password, PRIMARY, false, t(1));
        device.sign_in(&gateway, forged, PRIMARY, false, t(1));
        device.sign_in(&gateway, EMAIL, "wrong", false, t(1));
    });
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        !logs.to_lowercase().contains(&typed_password.to_lowercase()),
        "{logs}"
    );
    assert!(!logs.contains("forged line"), "{logs}");
    assert_eq!(
        logs.matches("account_ref=").count(),
        2,
        "unknown accounts by reference:\n{logs}"
    );
    assert!(
        logs.contains("account=\"ann@example.com\""),
        "a known account by its escaped name:\n{logs}"
    );
}
