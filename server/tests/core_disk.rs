//! Disk growth: whatever one device does, what it leaves in the database stays bounded by a
//! constant per device (`padlock_server::pace`, `padlock_server::store`).

mod common;

use common::*;
use padlock_protocol::Response;
use padlock_server::Gateway;
use padlock_server::pace::SIGN_INS;
use padlock_server::store::{ANSWERS_PER_TOKEN, FAMILIES_PER_DEVICE, GENERATIONS_KEPT};

fn rows(db: &rusqlite::Connection, table: &str) -> u64 {
    db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// One device with a valid app password signs in 10,000 times, a second apart, asking to be
/// remembered each time, and resumes and retries every token it gets. The rows it leaves are
/// bounded by the per-device constants, not by its 10,000 requests.
#[test]
fn ten_thousand_sign_ins_from_one_device_leave_bounded_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.db");
    let gateway = Gateway::open(&path, config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
    let app = gateway.create_app_password(EMAIL, "Xbox", t(0)).unwrap();
    let device = Device::new(1);
    const ATTEMPTS: u64 = 10_000;
    let (mut granted, mut resumed) = (0u64, 0u64);
    for second in 0..ATTEMPTS {
        let now = t(second);
        let Response::Granted {
            remember: Some(token),
            ..
        } = device.sign_in(&gateway, EMAIL, &app.formatted, true, now)
        else {
            continue;
        };
        granted += 1;
        // Rotate it, retry the used-up token (a lost reply), rotate the successor: as far as the
        // device's budget of resumes allows.
        let Response::Granted {
            remember: Some(successor),
            ..
        } = device.resume(&gateway, &token, now)
        else {
            continue;
        };
        resumed += 1;
        for again in [&token, &successor] {
            resumed += u64::from(is_granted(&device.resume(&gateway, again, now)));
        }
    }
    assert!(resumed > granted, "{resumed} resumes granted");
    drop(gateway);

    let elapsed = std::time::Duration::from_secs(ATTEMPTS);
    let budget = u64::from(SIGN_INS.burst) + elapsed.as_secs() / SIGN_INS.every.as_secs();
    assert!(granted >= budget - 1, "the device got in {granted} times");
    assert!(
        granted <= budget,
        "{granted} sign-ins granted, budget {budget}"
    );

    let db = rusqlite::Connection::open(&path).unwrap();
    let generations = u64::try_from(FAMILIES_PER_DEVICE * GENERATIONS_KEPT).unwrap();
    assert!(
        rows(&db, "tokens") <= generations,
        "{} token rows",
        rows(&db, "tokens")
    );
    let answers = generations * u64::try_from(ANSWERS_PER_TOKEN).unwrap();
    assert!(rows(&db, "successor_answers") <= answers);
    assert!(
        rows(&db, "granted_sign_ins") <= budget,
        "{} replay records",
        rows(&db, "granted_sign_ins")
    );
    assert_eq!(rows(&db, "known_devices"), 1);
    assert_eq!(rows(&db, "throttle"), 0);
}
