//! The sign-in client against a gateway on the other end of a virtual wire. The gateway here
//! is a minimal one made from `padlock-protocol`'s responder (this module's tests isolate the
//! client; the end-to-end tests run the real gateway).

use super::wire::{Faults, Wire, WireEnd};
use super::*;
use padlock_protocol::session::Responder;
use padlock_protocol::{
    DenyReason, DeviceInfo, DeviceKind, Password, RememberToken, SessionTicket,
};
use rand_core::OsRng;
use smoltcp::wire::IpAddress;
use std::vec::Vec;

const PORT: u16 = 7000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Answer,
    HangUpAfterRequest,
    Silent,
    Garbage,
}

/// The far end: a smoltcp interface with a listening socket and a Noise responder.
struct Gateway {
    keys: StaticKeypair,
    iface: Interface,
    sockets: SocketSet<'static>,
    tcp: SocketHandle,
    listening: bool,
    behaviour: Behaviour,
    inbox: Vec<u8>,
    requests: Vec<Request>,
    frames: usize,
}

impl Gateway {
    fn new(end: &mut WireEnd, listening: bool, behaviour: Behaviour) -> Self {
        let mut iface = Interface::new(Config::new(HardwareAddress::Ip), end, Instant::ZERO);
        iface.update_ip_addrs(|a| {
            let _ = a.push(IpCidr::new(IpAddress::v4(10, 0, 0, 1), 24));
        });
        // Test memory for the far end lives as long as the test process.
        let storage: &'static mut [SocketStorage<'static>; 1] =
            std::boxed::Box::leak(std::boxed::Box::new([SocketStorage::EMPTY]));
        let mut sockets = SocketSet::new(&mut storage[..]);
        let socket = tcp::Socket::new(
            tcp::SocketBuffer::new(Vec::leak(std::vec![0u8; 2048])),
            tcp::SocketBuffer::new(Vec::leak(std::vec![0u8; 2048])),
        );
        let tcp = sockets.add(socket);
        Self {
            keys: StaticKeypair::from_secret([0x42; 32]),
            iface,
            sockets,
            tcp,
            listening,
            behaviour,
            inbox: Vec::new(),
            requests: Vec::new(),
            frames: 0,
        }
    }

    fn poll(&mut self, end: &mut WireEnd, now_ms: u64) {
        self.iface.poll(instant(now_ms), end, &mut self.sockets);
        let socket = self.sockets.get_mut::<tcp::Socket>(self.tcp);
        if !socket.is_open() {
            if socket.state() == tcp::State::Closed && self.listening {
                socket.listen(PORT).unwrap();
            }
            self.inbox.clear();
        }
        let mut chunk = [0u8; 256];
        while socket.can_recv() {
            let n = socket.recv_slice(&mut chunk).unwrap();
            self.inbox.extend_from_slice(&chunk[..n]);
        }
        if self.inbox.len() >= 2 {
            let len = usize::from(u16::from_be_bytes([self.inbox[0], self.inbox[1]]));
            if self.inbox.len() >= 2 + len {
                let body: Vec<u8> = self.inbox.drain(..2 + len).skip(2).collect();
                self.frames += 1;
                match self.behaviour {
                    Behaviour::HangUpAfterRequest => socket.abort(),
                    Behaviour::Silent => {}
                    Behaviour::Garbage => {
                        socket.send_slice(&[0, 4, 0, 1, 2, 3]).unwrap();
                    }
                    Behaviour::Answer => {
                        let mut responder = Responder::new(&self.keys);
                        let request = responder.read_request(&body, &mut OsRng).unwrap();
                        let response = answer(&request);
                        self.requests.push(request);
                        let mut out = [0u8; 1100];
                        let n = responder.write_reply(&response, &mut out).unwrap();
                        socket.send_slice(&out[..n]).unwrap();
                        socket.close();
                    }
                }
            }
        }
        self.iface.poll(instant(now_ms), end, &mut self.sockets);
    }
}

fn answer(request: &Request) -> Response {
    match request {
        Request::SignIn { password, .. } if password.as_bytes() == b"abcdefghijklmnop" => {
            Response::Granted {
                display_name: "Alex".try_into().unwrap(),
                ticket: SessionTicket::from_bytes([1; 32]),
                remember: Some(RememberToken::from_bytes([2; 32])),
            }
        }
        Request::SignOut { .. } => Response::SignedOut,
        _ => Response::Denied {
            reason: DenyReason::WrongCredentials,
            retry_after_secs: 0,
        },
    }
}

fn sign_in() -> Request {
    Request::SignIn {
        account: "alex@outlook.com".try_into().unwrap(),
        password: Password::new("abcdefghijklmnop").unwrap(),
        remember: true,
        device: DeviceInfo {
            kind: DeviceKind::Xbox360,
            model: "Xbox 360".try_into().unwrap(),
            firmware: "1".try_into().unwrap(),
        },
    }
}

struct Rig {
    wire: Wire,
    device_end: WireEnd,
    gateway_end: WireEnd,
    gateway: Gateway,
    now_ms: u64,
}

impl Rig {
    fn new(listening: bool, behaviour: Behaviour, faults: Faults) -> Self {
        Self::seeded(7, listening, behaviour, faults)
    }

    fn seeded(seed: u64, listening: bool, behaviour: Behaviour, faults: Faults) -> Self {
        let wire = Wire::new(seed);
        wire.set_faults(faults);
        let device_end = wire.end(0);
        let mut gateway_end = wire.end(1);
        let gateway = Gateway::new(&mut gateway_end, listening, behaviour);
        Self {
            wire,
            device_end,
            gateway_end,
            gateway,
            now_ms: 0,
        }
    }

    fn config(&self) -> NetConfig {
        NetConfig::new(
            IpConfig::Static {
                address: Ipv4Cidr::new(Ipv4Address::new(10, 0, 0, 2), 24),
                router: None,
            },
            Ipv4Address::new(10, 0, 0, 1),
            PORT,
            self.gateway.keys.public(),
        )
    }

    /// Runs until the attempt finishes, on virtual time, at most `limit_ms`.
    fn run(&mut self, net: &mut Network<'_, '_>, limit_ms: u64) -> Option<Finished> {
        while self.now_ms <= limit_ms {
            self.wire.set_time(self.now_ms);
            if let Some(done) = net.poll(&mut self.device_end, &mut OsRng, self.now_ms) {
                return Some(done);
            }
            self.gateway.poll(&mut self.gateway_end, self.now_ms);
            let next = net.poll_delay(self.now_ms).unwrap_or(50).clamp(1, 50);
            self.now_ms += next;
        }
        None
    }
}

fn device_keys() -> StaticKeypair {
    StaticKeypair::derive_from_device_secret(&[9; 32]).unwrap()
}

#[test]
fn signs_in() {
    let mut rig = Rig::new(true, Behaviour::Answer, Faults::default());
    let keys = device_keys();
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
    let done = rig.run(&mut net, 20_000).expect("finishes");
    assert!(matches!(done, Ok(Response::Granted { .. })), "{done:?}");
    assert_eq!(rig.gateway.requests, [sign_in()]);
    assert!(!net.busy());
}

#[test]
fn signs_in_through_loss_and_latency() {
    let faults = Faults {
        latency_ms: 200,
        loss: 0.10,
        ..Faults::default()
    };
    for seed in 0..5 {
        let mut rig = Rig::seeded(seed, true, Behaviour::Answer, faults);
        let keys = device_keys();
        let mut buffers = NetBuffers::new();
        let mut config = rig.config();
        config.exchange_timeout_ms = 30_000;
        config.connect_timeout_ms = 15_000;
        let mut net = Network::new(
            config,
            &keys,
            &mut rig.device_end,
            &mut buffers,
            &mut OsRng,
            0,
        );
        net.start(sign_in(), 0);
        let done = rig.run(&mut net, 120_000).expect("finishes");
        assert!(
            matches!(done, Ok(Response::Granted { .. })),
            "seed {seed}: {done:?}"
        );
    }
}

#[test]
fn nobody_listening_is_cannot_reach_after_bounded_retries() {
    let mut rig = Rig::new(false, Behaviour::Answer, Faults::default());
    let keys = device_keys();
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
    let done = rig.run(&mut net, 20_000).expect("finishes");
    assert_eq!(done, Err(Failure::CannotReach));
    // Three connects: backoff 0.5 s then 1 s before giving up.
    assert!(rig.now_ms >= 1_500 && rig.now_ms < 5_000, "{}", rig.now_ms);
}

#[test]
fn a_dead_wire_times_out() {
    let faults = Faults {
        down: true,
        ..Faults::default()
    };
    let mut rig = Rig::new(true, Behaviour::Answer, faults);
    let keys = device_keys();
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
    assert_eq!(rig.run(&mut net, 60_000), Some(Err(Failure::TimedOut)));
}

#[test]
fn link_down_is_no_network() {
    let mut rig = Rig::new(true, Behaviour::Answer, Faults::default());
    let keys = device_keys();
    let mut buffers = NetBuffers::new();
    let mut net = Network::new(
        rig.config(),
        &keys,
        &mut rig.device_end,
        &mut buffers,
        &mut OsRng,
        0,
    );
    net.set_link(false);
    net.start(sign_in(), 0);
    assert_eq!(rig.run(&mut net, 1_000), Some(Err(Failure::NoNetwork)));
}

#[test]
fn no_dhcp_answer_is_no_network() {
    let mut rig = Rig::new(true, Behaviour::Answer, Faults::default());
    let keys = device_keys();
    let mut buffers = NetBuffers::new();
    let mut config = rig.config();
    config.ip = IpConfig::Dhcp;
    let mut net = Network::new(
        config,
        &keys,
        &mut rig.device_end,
        &mut buffers,
        &mut OsRng,
        0,
    );
    net.start(sign_in(), 0);
    assert_eq!(rig.run(&mut net, 30_000), Some(Err(Failure::NoNetwork)));
    assert!(rig.now_ms >= 10_000);
}

#[test]
fn a_hang_up_after_the_request_is_retried_once_then_connection_lost() {
    let mut rig = Rig::new(true, Behaviour::HangUpAfterRequest, Faults::default());
    let keys = device_keys();
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
    assert_eq!(
        rig.run(&mut net, 30_000),
        Some(Err(Failure::ConnectionLost))
    );
}

fn requests_sent(
    request: Request,
    behaviour: Behaviour,
    exchange_timeout_ms: u64,
) -> (Option<Finished>, usize) {
    let mut rig = Rig::new(true, behaviour, Faults::default());
    let keys = device_keys();
    let mut buffers = NetBuffers::new();
    let mut config = rig.config();
    config.exchange_timeout_ms = exchange_timeout_ms;
    let mut net = Network::new(
        config,
        &keys,
        &mut rig.device_end,
        &mut buffers,
        &mut OsRng,
        0,
    );
    net.start(request, 0);
    let done = rig.run(&mut net, 200_000);
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
    let mut rig = Rig::new(true, Behaviour::Garbage, Faults::default());
    let keys = device_keys();
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
    assert!(matches!(
        rig.run(&mut net, 20_000),
        Some(Err(Failure::Protocol(_)))
    ));
}

#[test]
fn cancel_stops_the_attempt() {
    let mut rig = Rig::new(true, Behaviour::Answer, Faults::default());
    let keys = device_keys();
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
}
