//! The gateway on a virtual network: a smoltcp interface that listens for devices and answers
//! each request frame through a [`FrameService`].
//!
//! A device's sign-in code talks TCP/IP through smoltcp. To test it (or to run it in the
//! simulator) without a real network, join it to a [`VirtualGateway`] over any pair of smoltcp
//! `phy::Device`s: an in-memory wire with latency and loss (the firmware's `net::wire`), a TAP
//! device, anything. The far end runs its own smoltcp interface with a small pool of listening
//! TCP sockets; for each connection it reads one request frame with [`RequestFrameDecoder`], hands the
//! body to the service, sends the reply frame and closes, as `docs/protocol.md` section 2 says
//! a gateway does.
//!
//! - Each socket listens again once its connection is over. With several, a client that
//!   connects again at once is served even while its last connection sits in TIME-WAIT.
//! - A frame that is empty or over 1024 bytes, or a service that declines (`None`), closes the
//!   connection without a reply; a device that has not delivered its frame within
//!   [`VirtualNetConfig::request_timeout_ms`] of connecting is reset.
//! - [`VirtualGateway::set_accepting`] takes the server down and up again: while down, the host
//!   still answers on the network and refuses connections, as when the server process stops.
//! - [`VirtualGateway::traffic`] counts connections, requests and payload bytes.
//!
//! ```text
//!  device (smoltcp) ──phy::Device══ wire ══phy::Device── VirtualGateway (smoltcp)
//!                                                            │ one request frame body
//!                                                            ▼
//!                                                  FrameService::answer(body, now)
//!                                                    &Gateway / Arc<Gateway> (in process)
//!                                                    a closure (a bridge over host TCP, ...)
//! ```
//!
//! Nothing here reads a clock or blocks: the caller passes the time to [`VirtualGateway::poll`]
//! (the gateway's clock and the far end's TCP clock are the same [`UnixMillis`]), so a test can
//! run on virtual time, as fast as the CPU allows and the same way every time.
//!
//! # Putting a gateway on a virtual network
//!
//! ```
//! use std::sync::Arc;
//! use padlock_server::virtual_net::{VirtualGateway, VirtualNetConfig};
//! use padlock_server::{Gateway, GatewayConfig, UnixMillis};
//! use smoltcp::phy::Device;
//! use smoltcp::wire::{Ipv4Address, Ipv4Cidr};
//!
//! /// Serves `gateway` at 10.0.0.1:7000 on `device` until `stop` says so.
//! fn serve(device: &mut impl Device, gateway: Arc<Gateway>, clock: impl Fn() -> UnixMillis,
//!          stop: impl Fn() -> bool) {
//!     let config = VirtualNetConfig::new(Ipv4Cidr::new(Ipv4Address::new(10, 0, 0, 1), 24), 7000);
//!     let mut far_end = VirtualGateway::new(gateway, config, device, clock());
//!     while !stop() {
//!         far_end.poll(device, clock());
//!         // Sleep (or advance virtual time) by at most far_end.poll_delay(clock()) ms, or
//!         // until the device has a packet.
//!     }
//! }
//!
//! let gateway = Arc::new(Gateway::in_memory(GatewayConfig::default().fast_hashing()).unwrap());
//! let mut device = smoltcp::phy::Loopback::new(smoltcp::phy::Medium::Ip);
//! serve(&mut device, gateway, UnixMillis::now, || true);
//! ```
//!
//! The service is anything that answers a request body with a whole reply frame: the embedded
//! [`Gateway`] (by reference or `Arc`), a closure (e.g. one that forwards the frame to a real
//! gateway over host TCP and returns what it answers), or a `Box<dyn FrameService + Send>` when
//! the choice is made at run time.

use std::sync::Arc;
use std::vec::Vec;

use padlock_protocol::frame::RequestFrameDecoder;
use smoltcp::iface::{
    Config, Interface, PollIngressSingleResult, PollResult, SocketHandle, SocketSet,
};
use smoltcp::phy::{Device, Medium};
use smoltcp::socket::tcp;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpCidr, Ipv4Cidr};

use crate::{Gateway, UnixMillis};

/// What answers the requests that reach the far end.
pub trait FrameService {
    /// Answers one request frame `body` (the bytes after the 2-byte length prefix) with the
    /// whole reply frame, length prefix included. `None`: close the connection without a
    /// reply.
    fn answer(&mut self, body: &[u8], now: UnixMillis) -> Option<Vec<u8>>;
}

impl FrameService for &Gateway {
    fn answer(&mut self, body: &[u8], now: UnixMillis) -> Option<Vec<u8>> {
        Gateway::answer(self, body, now)
    }
}

impl FrameService for Arc<Gateway> {
    fn answer(&mut self, body: &[u8], now: UnixMillis) -> Option<Vec<u8>> {
        Gateway::answer(self, body, now)
    }
}

/// A service chosen at run time (the embedded gateway or a bridge, say).
impl FrameService for Box<dyn FrameService + Send + '_> {
    fn answer(&mut self, body: &[u8], now: UnixMillis) -> Option<Vec<u8>> {
        (**self).answer(body, now)
    }
}

/// Any closure over the body and the time is a service (a bridge, a scripted peer).
impl<F: FnMut(&[u8], UnixMillis) -> Option<Vec<u8>>> FrameService for F {
    fn answer(&mut self, body: &[u8], now: UnixMillis) -> Option<Vec<u8>> {
        self(body, now)
    }
}

/// Where the far end sits on the virtual network and how it treats connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VirtualNetConfig {
    /// The far end's address and prefix, e.g. 10.0.0.1/24.
    pub address: Ipv4Cidr,
    /// The TCP port it listens on.
    pub port: u16,
    /// Its Ethernet address, on Ethernet devices.
    pub mac: [u8; 6],
    /// Listening sockets: connections served at once. More than one also lets a device
    /// connect again while an earlier connection is still closing (TIME-WAIT).
    pub listeners: usize,
    /// How long a device may take, from its connect, to deliver its request frame.
    pub request_timeout_ms: u64,
    /// Seed of smoltcp's choices (initial sequence numbers), for runs that repeat exactly.
    pub seed: u64,
}

impl VirtualNetConfig {
    /// Listens at `address`:`port` with four sockets and 10 s for a request.
    pub const fn new(address: Ipv4Cidr, port: u16) -> Self {
        Self {
            address,
            port,
            mac: [0x02, 0x00, 0x00, 0x00, 0x00, 0xfe],
            listeners: 4,
            request_timeout_ms: 10_000,
            seed: 0,
        }
    }
}

/// What crossed the far end's sockets so far: TCP payload only (no TCP/IP headers, no
/// retransmissions).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Traffic {
    /// Connections accepted.
    pub connections: u64,
    /// Request frames handed to the service.
    pub requests: u64,
    /// Payload bytes received from devices.
    pub received: u64,
    /// Payload bytes sent to devices.
    pub sent: u64,
}

/// Socket buffer size, each way: a whole frame with its length prefix, and room to spare.
const SOCKET_BUFFER_LEN: usize = 2048;

/// The far end of a virtual network, answering through service `S`.
pub struct VirtualGateway<S> {
    service: S,
    config: VirtualNetConfig,
    iface: Interface,
    sockets: SocketSet<'static>,
    slots: Vec<Slot>,
    traffic: Traffic,
    accepting: bool,
}

/// One listening socket and the exchange on it.
struct Slot {
    handle: SocketHandle,
    phase: Phase,
    decoder: Box<RequestFrameDecoder>,
    reply: Vec<u8>,
    sent: usize,
}

impl Slot {
    /// Listens again once the last connection is over (or there was none).
    fn listen_if_closed(&mut self, socket: &mut tcp::Socket<'_>, port: u16) {
        if socket.state() != tcp::State::Closed {
            return;
        }
        self.decoder.reset();
        self.reply.clear();
        self.sent = 0;
        self.phase = match socket.listen(port) {
            Ok(()) => Phase::Listening,
            // Port 0 is the only way to fail; nothing will connect to it.
            Err(_) => Phase::Idle,
        };
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a device to connect.
    Listening,
    /// Connected; the request frame is arriving until `deadline` (ms).
    Reading { deadline: u64 },
    /// The reply is going into the socket; then close.
    Replying,
    /// No exchange: the socket is closing (it finishes on its own) or closed; once closed, it
    /// listens again while the far end accepts connections.
    Idle,
}

impl<S: FrameService> VirtualGateway<S> {
    /// A far end at `config.address` on `device`, answering through `service`.
    pub fn new(
        service: S,
        config: VirtualNetConfig,
        device: &mut impl Device,
        now: UnixMillis,
    ) -> Self {
        let hardware = match device.capabilities().medium {
            Medium::Ip => HardwareAddress::Ip,
            _ => HardwareAddress::Ethernet(EthernetAddress(config.mac)),
        };
        let mut iface_config = Config::new(hardware);
        iface_config.random_seed = config.seed;
        let mut iface = Interface::new(iface_config, device, instant(now));
        iface.update_ip_addrs(|addrs| {
            // A fresh interface has room for an address.
            let _ = addrs.push(IpCidr::Ipv4(config.address));
        });
        let mut sockets = SocketSet::new(Vec::new());
        let slots = (0..config.listeners.max(1))
            .map(|_| {
                let mut socket = tcp::Socket::new(
                    tcp::SocketBuffer::new(vec![0; SOCKET_BUFFER_LEN]),
                    tcp::SocketBuffer::new(vec![0; SOCKET_BUFFER_LEN]),
                );
                // A device that vanishes mid-exchange frees the socket after this long.
                socket.set_timeout(Some(Duration::from_millis(config.request_timeout_ms)));
                Slot {
                    handle: sockets.add(socket),
                    phase: Phase::Idle,
                    decoder: Box::new(RequestFrameDecoder::new()),
                    reply: Vec::new(),
                    sent: 0,
                }
            })
            .collect();
        let mut far_end = Self {
            service,
            config,
            iface,
            sockets,
            slots,
            traffic: Traffic::default(),
            accepting: true,
        };
        far_end.advance(now);
        far_end
    }

    /// Runs the interface and every exchange: takes in every packet that has arrived, accepts
    /// connections and answers the request frames that are whole, then sends (so a reply
    /// leaves in this poll, carrying the ACK of its request). Call whenever the device may
    /// have a packet or [`VirtualGateway::poll_delay`] has passed.
    pub fn poll(&mut self, device: &mut impl Device, now: UnixMillis) {
        let at = instant(now);
        self.iface.poll_maintenance(at);
        while self
            .iface
            .poll_ingress_single(at, device, &mut self.sockets)
            != PollIngressSingleResult::None
        {}
        self.advance(now);
        while self.iface.poll_egress(at, device, &mut self.sockets) != PollResult::None {}
    }

    /// How long until [`VirtualGateway::poll`] has something to do without a packet arriving,
    /// in milliseconds (0: now); `None`: only a packet can give it work.
    pub fn poll_delay(&mut self, now: UnixMillis) -> Option<u64> {
        let stack = self
            .iface
            .poll_delay(instant(now), &self.sockets)
            .map(|d| d.total_millis());
        let deadlines = self.slots.iter().filter_map(|slot| match slot.phase {
            Phase::Reading { deadline } => Some(deadline.saturating_sub(now.0)),
            _ => None,
        });
        stack.into_iter().chain(deadlines).min()
    }

    /// Stops or resumes accepting connections. Stopped, the far end is still on the network
    /// and refuses connections (a TCP reset), as a host whose server process is down;
    /// exchanges already under way finish.
    pub fn set_accepting(&mut self, accepting: bool) {
        self.accepting = accepting;
        for slot in &mut self.slots {
            let socket = self.sockets.get_mut::<tcp::Socket>(slot.handle);
            if accepting {
                // At once: a connect in the same instant finds a listener.
                slot.listen_if_closed(socket, self.config.port);
            } else if socket.state() == tcp::State::Listen {
                // Closing a listening socket just stops it listening.
                socket.close();
                slot.phase = Phase::Idle;
            }
        }
    }

    /// Whether the far end accepts connections.
    pub fn accepting(&self) -> bool {
        self.accepting
    }

    /// What crossed the far end's sockets so far.
    pub fn traffic(&self) -> Traffic {
        self.traffic
    }

    /// The service answering requests.
    pub fn service(&self) -> &S {
        &self.service
    }

    /// Where the far end listens.
    pub fn config(&self) -> &VirtualNetConfig {
        &self.config
    }

    fn advance(&mut self, now: UnixMillis) {
        let port = self.config.port;
        for slot in &mut self.slots {
            let socket = self.sockets.get_mut::<tcp::Socket>(slot.handle);
            if self.accepting {
                slot.listen_if_closed(socket, port);
            }
            match slot.phase {
                Phase::Listening => {
                    if socket.state() != tcp::State::Listen {
                        self.traffic.connections += 1;
                        slot.phase = Phase::Reading {
                            deadline: now.0.saturating_add(self.config.request_timeout_ms),
                        };
                        Self::read(slot, socket, &mut self.service, &mut self.traffic, now);
                    }
                }
                Phase::Reading { .. } => {
                    Self::read(slot, socket, &mut self.service, &mut self.traffic, now);
                }
                Phase::Replying => Self::reply(slot, socket, &mut self.traffic),
                Phase::Idle => {}
            }
        }
    }

    /// Reads the request frame as it arrives; answers it once whole.
    fn read(
        slot: &mut Slot,
        socket: &mut tcp::Socket<'_>,
        service: &mut S,
        traffic: &mut Traffic,
        now: UnixMillis,
    ) {
        let Phase::Reading { deadline } = slot.phase else {
            return;
        };
        let mut chunk = [0u8; 256];
        while socket.can_recv() {
            // Only up to the end of the frame: bytes after it are ignored (protocol.md §2).
            let Ok(n) = socket.recv_slice(&mut chunk) else {
                break;
            };
            traffic.received += n as u64;
            let mut input = chunk.get(..n).unwrap_or(&[]);
            match slot.decoder.feed(&mut input) {
                Ok(Some(body)) => {
                    traffic.requests += 1;
                    match service.answer(body, now) {
                        Some(reply) => {
                            slot.reply = reply;
                            slot.phase = Phase::Replying;
                            Self::reply(slot, socket, traffic);
                        }
                        None => {
                            socket.close();
                            slot.phase = Phase::Idle;
                        }
                    }
                    return;
                }
                Ok(None) => {}
                Err(_) => {
                    // An empty or oversized frame: close without a reply.
                    socket.close();
                    slot.phase = Phase::Idle;
                    return;
                }
            }
        }
        let peer_closed = matches!(
            socket.state(),
            tcp::State::CloseWait
                | tcp::State::LastAck
                | tcp::State::Closing
                | tcp::State::TimeWait
        );
        if peer_closed {
            // The device gave up (or closed its side) before its request was whole.
            socket.close();
            slot.phase = Phase::Idle;
        } else if now.0 >= deadline {
            socket.abort();
            slot.phase = Phase::Idle;
        }
    }

    /// Puts as much of the reply into the socket as fits; closes once all of it is in.
    fn reply(slot: &mut Slot, socket: &mut tcp::Socket<'_>, traffic: &mut Traffic) {
        let unsent = slot.reply.get(slot.sent..).unwrap_or(&[]);
        if !unsent.is_empty() {
            match socket.send_slice(unsent) {
                Ok(n) => {
                    slot.sent += n;
                    traffic.sent += n as u64;
                }
                Err(_) => {
                    // The device closed its side completely: nobody left to answer.
                    socket.abort();
                    slot.phase = Phase::Idle;
                    return;
                }
            }
        }
        if slot.sent >= slot.reply.len() {
            socket.close();
            slot.phase = Phase::Idle;
        }
    }
}

fn instant(now: UnixMillis) -> Instant {
    Instant::from_millis(i64::try_from(now.0).unwrap_or(i64::MAX))
}
