//! A minimal gateway for the client's tests: a smoltcp interface on the far end of a virtual
//! wire, a listening socket, and `padlock-protocol`'s responder answering from a fixed script.
//! It isolates the client; the end-to-end tests run the real gateway.
//!
//! **Why it runs its own loop** ([`TestGatewayLink::run`]) instead of the one every other
//! two-party test shares (`padlock-pair`'s `Pair`): these are the firmware's *unit* tests,
//! compiled as a second copy of this crate. `padlock-pair` links the firmware library (and the
//! server's smoltcp host), so its `WireEnd`, `Network` and `Module` are the other copy's types
//! and cannot be handed to it from here; and the firmware must not depend on the server to
//! make them one. Sharing the loop would mean moving it out of `padlock-pair` into this crate
//! (a `Party` trait and the clock over `net::wire`, which `Pair` would then wrap): the loop
//! here is ten lines, polls the client under test directly and jumps by its own `poll_delay`,
//! so it stays, and the end-to-end tests (the real gateway, the real module) use `Pair`.

use super::wire::{Faults, GATEWAY_ADDRESS, GATEWAY_PORT, Wire, WireEnd, device_config};
use super::*;
use padlock_protocol::session::Responder;
use padlock_protocol::{
    DenyReason, DeviceInfo, DeviceKind, Password, RememberToken, SessionTicket,
};
use rand_core::OsRng;
use std::vec::Vec;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Behaviour {
    Answer,
    HangUpAfterRequest,
    Silent,
    Garbage,
}

/// The far end: a smoltcp interface with a listening socket and a Noise responder.
pub(crate) struct Gateway {
    pub(crate) keys: StaticKeypair,
    iface: Interface,
    sockets: SocketSet<'static>,
    tcp: SocketHandle,
    listening: bool,
    pub(crate) behaviour: Behaviour,
    inbox: Vec<u8>,
    pub(crate) requests: Vec<Request>,
    pub(crate) frames: usize,
}

impl Gateway {
    pub(crate) fn new(end: &mut WireEnd, listening: bool, behaviour: Behaviour) -> Self {
        let mut iface = Interface::new(Config::new(HardwareAddress::Ip), end, Instant::ZERO);
        iface.update_ip_addrs(|a| {
            let _ = a.push(IpCidr::new(GATEWAY_ADDRESS.into(), 24));
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

    pub(crate) fn poll(&mut self, end: &mut WireEnd, now_ms: u64) {
        self.iface.poll(instant(now_ms), end, &mut self.sockets);
        let socket = self.sockets.get_mut::<tcp::Socket>(self.tcp);
        if !socket.is_open() {
            if socket.state() == tcp::State::Closed && self.listening {
                socket.listen(GATEWAY_PORT).unwrap();
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

/// The script: the app password `abcdefghijklmnop` signs in and gets token 2; token 2 resumes
/// and gets token 3; token 3 resumes and gets token 4; any other token is no longer valid.
pub(crate) fn answer(request: &Request) -> Response {
    let granted = |next: u8| Response::Granted {
        display_name: "Alex".try_into().unwrap(),
        ticket: SessionTicket::from_bytes([1; 32]),
        remember: Some(RememberToken::from_bytes([next; 32])),
    };
    match request {
        Request::Resume { token }
            if matches!(token.as_bytes()[0], 2 | 3)
                && token.as_bytes().iter().all(|b| *b == token.as_bytes()[0]) =>
        {
            granted(token.as_bytes()[0] + 1)
        }
        Request::Resume { .. } => Response::Denied {
            reason: DenyReason::TokenInvalid,
            retry_after_secs: 0,
        },
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

pub(crate) fn sign_in() -> Request {
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

/// The client's end of a virtual wire, this scripted gateway on the other, and the clock.
pub(crate) struct TestGatewayLink {
    pub(crate) wire: Wire,
    pub(crate) device_end: WireEnd,
    pub(crate) gateway_end: WireEnd,
    pub(crate) gateway: Gateway,
    pub(crate) now_ms: u64,
}

impl TestGatewayLink {
    pub(crate) fn new(listening: bool, behaviour: Behaviour, faults: Faults) -> Self {
        Self::seeded(7, listening, behaviour, faults)
    }

    pub(crate) fn seeded(seed: u64, listening: bool, behaviour: Behaviour, faults: Faults) -> Self {
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

    pub(crate) fn config(&self) -> NetConfig {
        device_config(self.gateway.keys.public())
    }

    /// Runs until the attempt finishes, on virtual time, at most `limit_ms`.
    pub(crate) fn run(&mut self, net: &mut Network<'_, '_>, limit_ms: u64) -> Option<Finished> {
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
