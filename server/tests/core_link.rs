//! The phone link on the gateway core, through the real protocol client: codes bound to the
//! device key, polling and slowing down, the caps, approval as a revocable credential, the
//! throttle on typed codes. (The same flows through the web page's HTTP interface are in
//! `link_e2e.rs`.)

mod common;

use std::time::Duration;

use common::{Device, EMAIL, PRIMARY, config, denied, granted_token, t};
use padlock_protocol::{
    DenyReason, DeviceInfo, DeviceKind, LinkAddress, LinkCode, Request, Response,
};
use padlock_server::link::LinkLookup;
use padlock_server::{Gateway, GatewayConfig, UnixMillis};

const SOURCE: &str = "192.0.2.7";

fn link_config() -> GatewayConfig {
    config().with_link_address(LinkAddress::new("https://gw.example/link").unwrap())
}

fn gateway() -> Gateway {
    let gateway = Gateway::in_memory(link_config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, true).unwrap();
    gateway
}

fn start(device: &Device, gateway: &Gateway, now: UnixMillis) -> Response {
    let request = Request::LinkStart {
        device: DeviceInfo {
            kind: DeviceKind::Zune,
            model: "Zune HD".try_into().unwrap(),
            firmware: "4.5".try_into().unwrap(),
        },
    };
    device.exchange(gateway, &request, now).unwrap()
}

fn offered(response: &Response) -> LinkCode {
    match response {
        Response::LinkOffer {
            code,
            address,
            expires_in_secs: 600,
            poll_interval_secs: 5,
        } => {
            assert_eq!(address.as_str(), "https://gw.example/link");
            *code
        }
        other => panic!("expected a LinkOffer, got {other:?}"),
    }
}

fn poll(device: &Device, gateway: &Gateway, code: LinkCode, now: UnixMillis) -> Response {
    device
        .exchange(gateway, &Request::LinkPoll { code }, now)
        .unwrap()
}

fn approve(gateway: &Gateway, code: LinkCode, now: UnixMillis) {
    let account = gateway.account_id(EMAIL).unwrap();
    let LinkLookup::Found(link) = gateway
        .find_link(account, SOURCE, &code.to_string(), now)
        .unwrap()
    else {
        panic!("the link is pending");
    };
    assert!(gateway.approve_link(account, &link, now).unwrap());
}

#[test]
fn approved_link_grants_a_token_that_resumes() {
    let gateway = gateway();
    let device = Device::new(1);
    let code = offered(&start(&device, &gateway, t(0)));
    assert_eq!(
        poll(&device, &gateway, code, t(5)),
        Response::LinkWaiting {
            poll_interval_secs: 5
        }
    );
    approve(&gateway, code, t(7));
    let granted = poll(&device, &gateway, code, t(10));
    let token = granted_token(&granted);
    // A lost reply: the next poll gets the same token, while it is unused.
    assert_eq!(granted_token(&poll(&device, &gateway, code, t(11))), token);
    let next = granted_token(&device.resume(&gateway, &token, t(20)));
    assert_ne!(next, token);
    // Used: the link gives nothing more.
    assert_eq!(
        poll(&device, &gateway, code, t(21)),
        denied(DenyReason::LinkExpired)
    );
}

#[test]
fn a_poll_from_another_device_key_is_an_unknown_code() {
    let gateway = gateway();
    let (device, stranger) = (Device::new(1), Device::new(2));
    let code = offered(&start(&device, &gateway, t(0)));
    assert_eq!(
        poll(&stranger, &gateway, code, t(5)),
        denied(DenyReason::LinkExpired)
    );
    approve(&gateway, code, t(6));
    assert_eq!(
        poll(&stranger, &gateway, code, t(10)),
        denied(DenyReason::LinkExpired)
    );
    // The device's own poll still gets its token.
    granted_token(&poll(&device, &gateway, code, t(11)));
}

#[test]
fn polling_too_soon_slows_down_then_throttles() {
    let gateway = gateway();
    let device = Device::new(1);
    let code = offered(&start(&device, &gateway, t(0)));
    let waiting = |secs| Response::LinkWaiting {
        poll_interval_secs: secs,
    };
    assert_eq!(poll(&device, &gateway, code, t(5)), waiting(5));
    assert_eq!(poll(&device, &gateway, code, t(6)), waiting(10));
    assert_eq!(poll(&device, &gateway, code, t(16)), waiting(10));
    let mut now = 16;
    for expected in (15..=60).step_by(5) {
        now += 1;
        assert_eq!(poll(&device, &gateway, code, t(now)), waiting(expected));
    }
    let Response::Denied {
        reason: DenyReason::Throttled,
        retry_after_secs,
    } = poll(&device, &gateway, code, t(now + 1))
    else {
        panic!("throttled at the longest interval");
    };
    assert_eq!(retry_after_secs, 59);
    assert_eq!(poll(&device, &gateway, code, t(now + 60)), waiting(60));
}

#[test]
fn declined_and_expired_links_end_the_wait() {
    let gateway = gateway();
    let device = Device::new(1);
    let declined = offered(&start(&device, &gateway, t(0)));
    let expiring = offered(&start(&device, &gateway, t(0)));
    let account = gateway.account_id(EMAIL).unwrap();
    let LinkLookup::Found(link) = gateway
        .find_link(account, SOURCE, declined.as_str(), t(1))
        .unwrap()
    else {
        panic!("pending");
    };
    assert!(gateway.decline_link(&link, t(1)).unwrap());
    assert_eq!(
        poll(&device, &gateway, declined, t(5)),
        denied(DenyReason::LinkDeclined)
    );
    assert_eq!(
        poll(&device, &gateway, expiring, t(599)),
        Response::LinkWaiting {
            poll_interval_secs: 5
        }
    );
    assert_eq!(
        poll(&device, &gateway, expiring, t(600)),
        denied(DenyReason::LinkExpired)
    );
    // An expired code cannot be approved either.
    assert_eq!(
        gateway
            .find_link(account, SOURCE, expiring.as_str(), t(600))
            .unwrap(),
        LinkLookup::NotFound
    );
}

#[test]
fn one_device_key_holds_three_pending_links() {
    let gateway = gateway();
    let device = Device::new(1);
    for _ in 0..3 {
        offered(&start(&device, &gateway, t(0)));
    }
    assert_eq!(
        start(&device, &gateway, t(1)),
        Response::Denied {
            reason: DenyReason::Throttled,
            retry_after_secs: 599
        }
    );
    // Another device is not held back; and the first may start again once its links expire.
    offered(&start(&Device::new(2), &gateway, t(1)));
    offered(&start(&device, &gateway, t(600)));
    assert_eq!(
        gateway.pending_links(t(600)).unwrap().len(),
        2,
        "device 2's and the new one"
    );
}

#[test]
fn revoking_the_approval_refuses_the_token_at_the_next_resume() {
    let gateway = gateway();
    let device = Device::new(1);
    let code = offered(&start(&device, &gateway, t(0)));
    approve(&gateway, code, t(1));
    let token = granted_token(&poll(&device, &gateway, code, t(5)));
    let approval = gateway
        .app_passwords(EMAIL)
        .unwrap()
        .into_iter()
        .find(|a| a.name == "Link · Zune HD")
        .expect("the approval is listed with the app passwords");
    gateway.revoke_app_password(EMAIL, approval.id).unwrap();
    assert_eq!(
        device.resume(&gateway, &token, t(10)),
        denied(DenyReason::TokenInvalid)
    );
}

#[test]
fn a_gateway_without_a_link_address_answers_by_the_version_rule() {
    let gateway = Gateway::in_memory(config()).unwrap();
    let device = Device::new(1);
    assert_eq!(
        start(&device, &gateway, t(0)),
        denied(DenyReason::UnsupportedVersion)
    );
    let code = LinkCode::parse("WDJB-MJHT").unwrap();
    assert_eq!(
        poll(&device, &gateway, code, t(0)),
        denied(DenyReason::UnsupportedVersion)
    );
}

#[test]
fn typed_codes_are_throttled_per_account_and_per_source() {
    let gateway = gateway();
    gateway
        .add_account("bob@example.com", "Bob", PRIMARY, true)
        .unwrap();
    let ann = gateway.account_id(EMAIL).unwrap();
    let bob = gateway.account_id("bob@example.com").unwrap();
    let device = Device::new(1);
    let code = offered(&start(&device, &gateway, t(0)));
    let wrong = if code.as_str() == "BBBBBBBB" {
        "CCCCCCCC"
    } else {
        "BBBBBBBB"
    };
    // Five wrong codes are free; the sixth waits a second, from Ann at any source.
    for i in 0..5 {
        let source = format!("198.51.100.{i}");
        assert_eq!(
            gateway.find_link(ann, &source, wrong, t(1)).unwrap(),
            LinkLookup::NotFound
        );
    }
    assert_eq!(
        gateway
            .find_link(ann, "203.0.113.1", code.as_str(), t(1))
            .unwrap(),
        LinkLookup::Throttled(1),
        "held back before the code is looked at, even the right one"
    );
    // From one source at any account: the same.
    for i in 0..5 {
        let account = 1000 + i;
        assert_eq!(
            gateway.find_link(account, SOURCE, wrong, t(1)).unwrap(),
            LinkLookup::NotFound
        );
    }
    assert_eq!(
        gateway.find_link(bob, SOURCE, code.as_str(), t(1)).unwrap(),
        LinkLookup::Throttled(1)
    );
    // Bob from elsewhere finds it; a right code clears nothing.
    assert!(matches!(
        gateway
            .find_link(bob, "203.0.113.9", code.as_str(), t(1))
            .unwrap(),
        LinkLookup::Found(_)
    ));
    assert_eq!(
        gateway
            .find_link(ann, "203.0.113.2", code.as_str(), t(1))
            .unwrap(),
        LinkLookup::Throttled(1)
    );
}

#[test]
fn at_most_forty_wrong_codes_a_day_per_account() {
    let gateway = gateway();
    let ann = gateway.account_id(EMAIL).unwrap();
    let mut now = t(0);
    let end = now.plus(Duration::from_secs(24 * 3600));
    let mut evaluated = 0;
    let mut source = 0u32;
    while now < end {
        source += 1;
        match gateway
            .find_link(ann, &format!("src{source}"), "BBBBBBBB", now)
            .unwrap()
        {
            LinkLookup::Throttled(secs) => now = now.plus(Duration::from_secs(secs.into())),
            LinkLookup::NotFound => evaluated += 1,
            LinkLookup::Found(_) => unreachable!("no link exists"),
        }
    }
    assert!(evaluated <= 40, "{evaluated} codes looked up in a day");
    assert!(
        evaluated >= 30,
        "the schedule lets the owner's typos through: {evaluated}"
    );
}
