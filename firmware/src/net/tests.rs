//! The sign-in client against the minimal test gateway on a virtual wire.

use super::test_gateway::{Behaviour, TestGatewayLink, sign_in};
use super::wire::Faults;
use super::*;
use padlock_protocol::RememberToken;
use rand_core::OsRng;

/// One attempt with `request` from a fresh device, run on virtual time for at most
/// `limit_ms`. `setup` adjusts the configuration and the network before the start.
fn attempt(
    rig: &mut TestGatewayLink,
    request: Request,
    limit_ms: u64,
    setup: impl FnOnce(&mut NetConfig),
    before_start: impl FnOnce(&mut Network<'_, '_>),
) -> Option<Finished> {
    let keys = StaticKeypair::derive_from_device_secret(&[9; 32]).unwrap();
    let mut buffers = NetBuffers::new();
    let mut config = rig.config();
    setup(&mut config);
    let mut net = Network::new(
        config,
        &keys,
        &mut rig.device_end,
        &mut buffers,
        &mut OsRng,
        0,
    );
    before_start(&mut net);
    net.start(request, 0);
    let done = rig.run(&mut net, limit_ms);
    assert!(
        done.is_none() || !net.busy(),
        "a finished attempt leaves the network idle"
    );
    done
}

fn plain(rig: &mut TestGatewayLink, request: Request, limit_ms: u64) -> Option<Finished> {
    attempt(rig, request, limit_ms, |_| {}, |_| {})
}

#[test]
fn signs_in() {
    let mut rig = TestGatewayLink::new(true, Behaviour::Answer, Faults::default());
    let done = plain(&mut rig, sign_in(), 20_000).expect("finishes");
    assert!(matches!(done, Ok(Response::Granted { .. })), "{done:?}");
    assert_eq!(rig.gateway.requests, [sign_in()]);
}

#[test]
fn signs_in_through_loss_and_latency() {
    let faults = Faults {
        latency_ms: 200,
        loss: 0.10,
        ..Faults::default()
    };
    for seed in 0..5 {
        let mut rig = TestGatewayLink::seeded(seed, true, Behaviour::Answer, faults);
        let patient = |config: &mut NetConfig| {
            config.exchange_timeout_ms = 30_000;
            config.connect_timeout_ms = 15_000;
        };
        let done = attempt(&mut rig, sign_in(), 120_000, patient, |_| {}).expect("finishes");
        assert!(
            matches!(done, Ok(Response::Granted { .. })),
            "seed {seed}: {done:?}"
        );
    }
}

#[test]
fn nobody_listening_is_cannot_reach_after_bounded_retries() {
    let mut rig = TestGatewayLink::new(false, Behaviour::Answer, Faults::default());
    assert_eq!(
        plain(&mut rig, sign_in(), 20_000),
        Some(Err(Failure::CannotReach))
    );
    // Three connects, 0.5 s then 1 s apart.
    assert!(rig.now_ms >= 1_500 && rig.now_ms < 5_000, "{}", rig.now_ms);
}

#[test]
fn a_dead_wire_times_out() {
    let down = Faults {
        down: true,
        ..Faults::default()
    };
    let mut rig = TestGatewayLink::new(true, Behaviour::Answer, down);
    assert_eq!(
        plain(&mut rig, sign_in(), 60_000),
        Some(Err(Failure::TimedOut))
    );
}

#[test]
fn link_down_is_no_network() {
    let mut rig = TestGatewayLink::new(true, Behaviour::Answer, Faults::default());
    let done = attempt(
        &mut rig,
        sign_in(),
        1_000,
        |_| {},
        |net| net.set_link(false),
    );
    assert_eq!(done, Some(Err(Failure::NoNetwork)));
}

#[cfg(feature = "dhcp")]
#[test]
fn no_dhcp_answer_is_no_network() {
    let mut rig = TestGatewayLink::new(true, Behaviour::Answer, Faults::default());
    let dhcp = |config: &mut NetConfig| config.ip = IpConfig::Dhcp;
    let done = attempt(&mut rig, sign_in(), 30_000, dhcp, |_| {});
    assert_eq!(done, Some(Err(Failure::NoNetwork)));
    assert!(rig.now_ms >= 10_000, "waited for an address first");
}

#[test]
fn a_hang_up_after_the_request_is_retried_once_then_connection_lost() {
    let mut rig = TestGatewayLink::new(true, Behaviour::HangUpAfterRequest, Faults::default());
    assert_eq!(
        plain(&mut rig, sign_in(), 30_000),
        Some(Err(Failure::ConnectionLost))
    );
    assert_eq!(rig.gateway.frames, 2);
}

/// How an attempt ends against a gateway that behaves so, and how many requests it got.
fn requests_sent(
    request: Request,
    behaviour: Behaviour,
    exchange_timeout_ms: u64,
) -> (Option<Finished>, usize) {
    let mut rig = TestGatewayLink::new(true, behaviour, Faults::default());
    let slow = |config: &mut NetConfig| config.exchange_timeout_ms = exchange_timeout_ms;
    let done = attempt(&mut rig, request, 200_000, slow, |_| {});
    (done, rig.gateway.frames)
}

#[test]
fn a_lost_resume_is_retried_only_inside_the_grace_window() {
    let resume = || Request::Resume {
        token: RememberToken::from_bytes([5; 32]),
    };
    // Lost at once: retried (the gateway gives a retry the same successor).
    let (done, sent) = requests_sent(resume(), Behaviour::HangUpAfterRequest, 10_000);
    assert_eq!((done, sent), (Some(Err(Failure::ConnectionLost)), 2));
    // Lost after 50 s of silence, outside the window: a second resume would look like reuse.
    let (done, sent) = requests_sent(resume(), Behaviour::Silent, 50_000);
    assert_eq!((done, sent), (Some(Err(Failure::TimedOut)), 1));
    // A sign-in has no such window: retried once.
    let (done, sent) = requests_sent(sign_in(), Behaviour::Silent, 50_000);
    assert_eq!((done, sent), (Some(Err(Failure::TimedOut)), 2));
}

#[test]
fn a_garbage_reply_is_a_protocol_error() {
    let mut rig = TestGatewayLink::new(true, Behaviour::Garbage, Faults::default());
    let done = plain(&mut rig, sign_in(), 20_000);
    assert!(matches!(done, Some(Err(Failure::Protocol(_)))), "{done:?}");
}

#[test]
fn cancel_stops_the_attempt() {
    let mut rig = TestGatewayLink::new(true, Behaviour::Answer, Faults::default());
    let keys = StaticKeypair::derive_from_device_secret(&[9; 32]).unwrap();
    let mut buffers = NetBuffers::new();
    let mut net = Network::new(
        rig.config(),
        &keys,
        &mut rig.device_end,
        &mut buffers,
        &mut OsRng,
        0,
    );
    net.start(sign_in(), 0);
    net.cancel();
    assert!(!net.busy());
    assert_eq!(rig.run(&mut net, 2_000), None);
    assert!(rig.gateway.requests.is_empty());
}
