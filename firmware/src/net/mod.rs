//! Sign-in over TCP/IP: a smoltcp interface and one exchange at a time with the gateway.
//!
//! The platform gives the module any smoltcp `phy::Device` and calls [`Network::poll`] from
//! its main loop; [`Network::poll_delay`] says when to call again. Nothing blocks and nothing
//! allocates: socket buffers come from the caller ([`NetBuffers`]).
//!
//! One attempt runs like this:
//!
//! ```text
//! start ─▶ [no address yet] ─▶ connect ─▶ send the request frame ─▶ read the reply frame ─▶ done
//!              │ link down            │ refused: CannotReach        │ closed early: ConnectionLost
//!              └▶ NoNetwork           │ too slow: TimedOut          │ too slow: TimedOut
//!                                     └─ retried with backoff       └─ retried only where safe
//! ```
//!
//! A connect that fails has sent nothing, so it is retried (bounded, with backoff). Once the
//! request has gone out, a retry is safe for `SignIn` and `SignOut`, and for `Resume` too: the
//! reference gateway answers a retried resume from the same device key with the same successor
//! token until that successor is first used (`docs/protocol.md` section 12), and a device that
//! lost the reply cannot have used it. The automatic retry still stays within
//! [`RESUME_RETRY_WINDOW_MS`] of the first send, the window of gateways that follow the earlier
//! 60-second rule, where a later retry would look like token reuse.

pub mod unplugged;
#[cfg(any(test, feature = "std"))]
pub mod wire;

use padlock_protocol::frame::FrameDecoder;
use padlock_protocol::limits::{MAX_REPLY_FRAME_LEN, MAX_REQUEST_FRAME_LEN, MAX_WIRE_FRAME_LEN};
use padlock_protocol::session::{Initiator, SessionError};
use padlock_protocol::{PublicKey, Request, Response, StaticKeypair};
use rand_core::{CryptoRng, RngCore};
use smoltcp::iface::{
    Config, Interface, PollIngressSingleResult, PollResult, SocketHandle, SocketSet, SocketStorage,
};
use smoltcp::phy::Device;
#[cfg(feature = "medium-ip")]
use smoltcp::phy::Medium;
#[cfg(feature = "dhcp")]
use smoltcp::socket::dhcpv4;
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpCidr, Ipv4Address, Ipv4Cidr};

/// How the device gets its IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpConfig {
    /// A fixed address and, if the gateway is on another network, a router.
    Static {
        /// Address and prefix, e.g. 10.0.2.15/24.
        address: Ipv4Cidr,
        /// Default router.
        router: Option<Ipv4Address>,
    },
    /// Ask a DHCP server (feature `dhcp`; an Ethernet device only, which
    /// [`crate::module::Module::new`] checks).
    #[cfg(feature = "dhcp")]
    Dhcp,
}

/// Where the gateway is and how patient to be with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetConfig {
    /// How the device gets its address.
    pub ip: IpConfig,
    /// The gateway's address.
    pub gateway: Ipv4Address,
    /// The gateway's TCP port.
    pub port: u16,
    /// The gateway's static public key, as provisioned.
    pub gateway_key: PublicKey,
    /// The Ethernet address, on Ethernet devices.
    pub mac: [u8; 6],
    /// How long to wait for an address (DHCP) before "no network".
    pub address_timeout_ms: u64,
    /// How long one TCP connect may take.
    pub connect_timeout_ms: u64,
    /// How long the request and reply may take once connected.
    pub exchange_timeout_ms: u64,
    /// Connects tried before "cannot reach" or "timed out" (at least 1).
    pub connect_attempts: u8,
    /// Wait before the second connect; doubled for each further one.
    pub backoff_ms: u64,
}

impl NetConfig {
    /// Sensible timings for `gateway`:`port` with `gateway_key`: 5 s to connect, 10 s for the
    /// exchange, three connects 0.5 s and 1 s apart, 10 s for DHCP.
    pub const fn new(
        ip: IpConfig,
        gateway: Ipv4Address,
        port: u16,
        gateway_key: PublicKey,
    ) -> Self {
        Self {
            ip,
            gateway,
            port,
            gateway_key,
            mac: [0x02, 0x00, 0x00, 0x00, 0x00, 0x01],
            address_timeout_ms: 10_000,
            connect_timeout_ms: 5_000,
            exchange_timeout_ms: 10_000,
            connect_attempts: 3,
            backoff_ms: 500,
        }
    }
}

/// A resume is retried automatically after its request went out only this long after the first
/// send: inside the 60-second grace window of gateways that follow the earlier rule, with room
/// for clock drift and the round trip (the reference gateway has no window: see the module docs).
pub const RESUME_RETRY_WINDOW_MS: u64 = 45_000;

/// Socket memory, provided by the caller so the module owns no heap: sized for one TCP
/// connection carrying one request frame and one reply frame, and a DHCP client.
pub struct NetBuffers<'a> {
    sockets: [SocketStorage<'a>; 2],
    rx: [u8; 512],
    tx: [u8; 1024],
}

impl Default for NetBuffers<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl NetBuffers<'_> {
    /// Empty buffers (about 1.6 KB plus two socket slots).
    pub const fn new() -> Self {
        Self {
            sockets: [SocketStorage::EMPTY, SocketStorage::EMPTY],
            rx: [0; 512],
            tx: [0; 1024],
        }
    }
}

// The socket buffers must hold a whole frame of each direction.
const _: () = assert!(512 >= MAX_REPLY_FRAME_LEN + 2 && 1024 >= MAX_REQUEST_FRAME_LEN + 2);

/// Why an attempt failed below the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Failure {
    /// The link is down, or no address came.
    NoNetwork,
    /// The gateway refused the connection (or nothing listens there).
    CannotReach,
    /// The gateway did not connect or answer in time.
    TimedOut,
    /// The connection closed before the whole reply arrived.
    ConnectionLost,
    /// The reply was not a valid answer; see the session error.
    Protocol(SessionError),
}

/// How an attempt ended.
pub type Finished = Result<Response, Failure>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    WaitingForAddress { deadline: u64 },
    Connecting { deadline: u64 },
    Backoff { until: u64 },
    Exchanging { deadline: u64 },
}

struct Attempt<'k> {
    request: Request,
    phase: Phase,
    connects: u8,
    /// When the request first went out, for the resume retry window.
    first_sent_ms: Option<u64>,
    /// Retries after a send, so far (at most one).
    resent: bool,
    initiator: Initiator<'k>,
    frame: [u8; MAX_WIRE_FRAME_LEN],
    frame_len: usize,
    sent: usize,
    decoder: FrameDecoder<MAX_REPLY_FRAME_LEN>,
}

/// The device's network: a smoltcp interface, its sockets, and the attempt in progress.
pub struct Network<'a, 'k> {
    config: NetConfig,
    keys: &'k StaticKeypair,
    iface: Interface,
    sockets: SocketSet<'a>,
    tcp: SocketHandle,
    dhcp: Option<SocketHandle>,
    link_up: bool,
    attempt: Option<Attempt<'k>>,
}

impl<'a, 'k> Network<'a, 'k> {
    /// The interface over `device`, signing in with the device's static `keys`.
    pub fn new(
        config: NetConfig,
        keys: &'k StaticKeypair,
        device: &mut impl Device,
        buffers: &'a mut NetBuffers<'a>,
        rng: &mut impl RngCore,
        now_ms: u64,
    ) -> Self {
        let hardware = match device.capabilities().medium {
            #[cfg(feature = "medium-ip")]
            Medium::Ip => HardwareAddress::Ip,
            _ => HardwareAddress::Ethernet(EthernetAddress(config.mac)),
        };
        let mut iface_config = Config::new(hardware);
        iface_config.random_seed = rng.next_u64();
        let mut iface = Interface::new(iface_config, device, instant(now_ms));
        let mut sockets = SocketSet::new(&mut buffers.sockets[..]);
        let tcp = sockets.add(tcp::Socket::new(
            tcp::SocketBuffer::new(&mut buffers.rx[..]),
            tcp::SocketBuffer::new(&mut buffers.tx[..]),
        ));
        let dhcp = match config.ip {
            IpConfig::Static { address, router } => {
                iface.update_ip_addrs(|addrs| {
                    let _ = addrs.push(IpCidr::Ipv4(address));
                });
                if let Some(router) = router {
                    let _ = iface.routes_mut().add_default_ipv4_route(router);
                }
                None
            }
            // DHCP needs Ethernet framing (smoltcp refuses it on other media): on an IP-only
            // device it cannot work, so there is no address and attempts end in NoNetwork.
            #[cfg(feature = "dhcp")]
            IpConfig::Dhcp if matches!(hardware, HardwareAddress::Ethernet(_)) => {
                Some(sockets.add(dhcpv4::Socket::new()))
            }
            #[cfg(feature = "dhcp")]
            IpConfig::Dhcp => {
                padlock_fmt::warn!("dhcp needs an Ethernet device; no address");
                None
            }
        };
        Self {
            config,
            keys,
            iface,
            sockets,
            tcp,
            dhcp,
            link_up: true,
            attempt: None,
        }
    }

    /// Tells the module whether the cable (or radio) is connected.
    pub fn set_link(&mut self, up: bool) {
        self.link_up = up;
    }

    /// The device's IPv4 address, once it has one.
    pub fn address(&self) -> Option<Ipv4Address> {
        self.iface.ipv4_addr()
    }

    /// Whether an attempt is in progress.
    pub fn busy(&self) -> bool {
        self.attempt.is_some()
    }

    /// Starts an attempt with `request`, replacing any attempt in progress.
    pub fn start(&mut self, request: Request, now_ms: u64) {
        self.cancel();
        self.attempt = Some(Attempt {
            request,
            phase: Phase::WaitingForAddress {
                deadline: now_ms.saturating_add(self.config.address_timeout_ms),
            },
            connects: 0,
            first_sent_ms: None,
            resent: false,
            initiator: Initiator::new(self.keys, self.config.gateway_key),
            frame: [0; MAX_WIRE_FRAME_LEN],
            frame_len: 0,
            sent: 0,
            decoder: FrameDecoder::new(),
        });
    }

    /// Abandons the attempt in progress (the player pressed B).
    pub fn cancel(&mut self) {
        if self.attempt.take().is_some() {
            self.sockets.get_mut::<tcp::Socket>(self.tcp).abort();
        }
    }

    /// Runs the interface and the attempt; returns how the attempt ended, when it does.
    ///
    /// In three steps: take in every packet that has arrived, let the attempt react (connect,
    /// queue the request, read the reply), then send. Sending last puts what the attempt just
    /// queued in this poll's packets: the request rides with the handshake's final ACK instead
    /// of waiting for another poll (and costing a packet of its own).
    pub fn poll(
        &mut self,
        device: &mut impl Device,
        rng: &mut (impl RngCore + CryptoRng),
        now_ms: u64,
    ) -> Option<Finished> {
        let now = instant(now_ms);
        self.iface.poll_maintenance(now);
        while self
            .iface
            .poll_ingress_single(now, device, &mut self.sockets)
            != PollIngressSingleResult::None
        {}
        self.poll_dhcp();
        let finished = self.advance(rng, now_ms);
        if finished.is_some() {
            let socket = self.sockets.get_mut::<tcp::Socket>(self.tcp);
            socket.abort();
            self.attempt = None;
        }
        while self.iface.poll_egress(now, device, &mut self.sockets) != PollResult::None {}
        finished
    }

    /// When to call [`Network::poll`] next, in milliseconds from `now_ms` (0: at once).
    pub fn poll_delay(&mut self, now_ms: u64) -> Option<u64> {
        let stack = self
            .iface
            .poll_delay(instant(now_ms), &self.sockets)
            .map(|d| d.total_millis());
        let attempt = self.attempt.as_ref().map(|a| match a.phase {
            Phase::WaitingForAddress { deadline }
            | Phase::Connecting { deadline }
            | Phase::Exchanging { deadline } => deadline.saturating_sub(now_ms),
            Phase::Backoff { until } => until.saturating_sub(now_ms),
        });
        match (stack, attempt) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    #[cfg(not(feature = "dhcp"))]
    fn poll_dhcp(&mut self) {
        let _ = self.dhcp;
    }

    #[cfg(feature = "dhcp")]
    fn poll_dhcp(&mut self) {
        let Some(handle) = self.dhcp else { return };
        let event = self.sockets.get_mut::<dhcpv4::Socket>(handle).poll();
        match event {
            Some(dhcpv4::Event::Configured(config)) => {
                padlock_fmt::info!("dhcp: address configured");
                self.iface.update_ip_addrs(|addrs| {
                    addrs.clear();
                    let _ = addrs.push(IpCidr::Ipv4(config.address));
                });
                if let Some(router) = config.router {
                    let _ = self.iface.routes_mut().add_default_ipv4_route(router);
                } else {
                    self.iface.routes_mut().remove_default_ipv4_route();
                }
            }
            Some(dhcpv4::Event::Deconfigured) => {
                padlock_fmt::warn!("dhcp: address lost");
                self.iface.update_ip_addrs(|addrs| addrs.clear());
                self.iface.routes_mut().remove_default_ipv4_route();
            }
            None => {}
        }
    }

    fn advance(&mut self, rng: &mut (impl RngCore + CryptoRng), now_ms: u64) -> Option<Finished> {
        let have_address = self.iface.ipv4_addr().is_some();
        let attempt = self.attempt.as_mut()?;
        if !self.link_up {
            return Some(Err(Failure::NoNetwork));
        }
        let socket = self.sockets.get_mut::<tcp::Socket>(self.tcp);
        match attempt.phase {
            Phase::WaitingForAddress { deadline } => {
                if have_address {
                    attempt.phase = Phase::Backoff { until: now_ms };
                    return self.advance(rng, now_ms);
                }
                (now_ms >= deadline).then_some(Err(Failure::NoNetwork))
            }
            Phase::Backoff { until } => {
                if now_ms < until {
                    return None;
                }
                // A fresh handshake for every connection: a new ephemeral key each time.
                attempt.initiator = Initiator::new(self.keys, self.config.gateway_key);
                attempt.decoder.reset();
                attempt.sent = 0;
                attempt.frame_len =
                    match attempt
                        .initiator
                        .write_request(&attempt.request, rng, &mut attempt.frame)
                    {
                        Ok(n) => n,
                        Err(e) => return Some(Err(Failure::Protocol(e))),
                    };
                let local_port = 49152 + (rng.next_u32() % 16384) as u16;
                let remote = (self.config.gateway, self.config.port);
                if socket
                    .connect(self.iface.context(), remote, local_port)
                    .is_err()
                {
                    return Some(Err(Failure::CannotReach));
                }
                attempt.connects += 1;
                attempt.phase = Phase::Connecting {
                    deadline: now_ms.saturating_add(self.config.connect_timeout_ms),
                };
                None
            }
            Phase::Connecting { deadline } => match socket.state() {
                tcp::State::Established => {
                    attempt.phase = Phase::Exchanging {
                        deadline: now_ms.saturating_add(self.config.exchange_timeout_ms),
                    };
                    self.advance(rng, now_ms)
                }
                tcp::State::Closed => self.connect_failed(Failure::CannotReach, now_ms),
                _ if now_ms >= deadline => self.connect_failed(Failure::TimedOut, now_ms),
                _ => None,
            },
            Phase::Exchanging { deadline } => {
                let unsent = attempt
                    .frame
                    .get(attempt.sent..attempt.frame_len)
                    .unwrap_or(&[]);
                if !unsent.is_empty()
                    && socket.can_send()
                    && let Ok(n) = socket.send_slice(unsent)
                {
                    attempt.sent += n;
                    if attempt.sent == attempt.frame_len {
                        attempt.first_sent_ms.get_or_insert(now_ms);
                    }
                }
                let mut chunk = [0u8; 128];
                while socket.can_recv() {
                    let Ok(n) = socket.recv_slice(&mut chunk) else {
                        break;
                    };
                    let mut input = chunk.get(..n).unwrap_or(&[]);
                    while !input.is_empty() {
                        match attempt.decoder.feed(&mut input) {
                            Ok(Some(body)) => {
                                return Some(
                                    attempt
                                        .initiator
                                        .read_reply(body)
                                        .map_err(Failure::Protocol),
                                );
                            }
                            Ok(None) => {}
                            Err(_) => return Some(Err(Failure::Protocol(SessionError::Malformed))),
                        }
                    }
                }
                if !socket.may_recv() && !socket.can_recv() {
                    return self.lost_after_send(Failure::ConnectionLost, now_ms);
                }
                if now_ms >= deadline {
                    return self.lost_after_send(Failure::TimedOut, now_ms);
                }
                None
            }
        }
    }

    /// A connect failed: nothing was sent, so try again after a backoff while attempts last.
    fn connect_failed(&mut self, failure: Failure, now_ms: u64) -> Option<Finished> {
        let attempt = self.attempt.as_mut()?;
        if attempt.connects >= self.config.connect_attempts.max(1) {
            return Some(Err(failure));
        }
        let doublings = u32::from(attempt.connects.saturating_sub(1)).min(8);
        let wait = self.config.backoff_ms.saturating_mul(1 << doublings);
        padlock_fmt::debug!("connect failed; retrying in {} ms", wait);
        attempt.phase = Phase::Backoff {
            until: now_ms.saturating_add(wait),
        };
        self.drop_connection();
        None
    }

    /// Resets the connection now, so the reset reaches the gateway during the backoff and
    /// frees its side before the next connect.
    fn drop_connection(&mut self) {
        self.sockets.get_mut::<tcp::Socket>(self.tcp).abort();
    }

    /// The exchange broke after (part of) the request went out: retry once where safe.
    fn lost_after_send(&mut self, failure: Failure, now_ms: u64) -> Option<Finished> {
        let attempt = self.attempt.as_mut()?;
        let safe = match attempt.request {
            // A poll is answered the same again (the gateway keeps an approval's token until it
            // is used); a second LinkStart at worst leaves one more pending link to expire.
            Request::SignIn { .. }
            | Request::SignOut { .. }
            | Request::LinkStart { .. }
            | Request::LinkPoll { .. } => true,
            Request::Resume { .. } => attempt
                .first_sent_ms
                .is_none_or(|sent| now_ms.saturating_sub(sent) <= RESUME_RETRY_WINDOW_MS),
        };
        if attempt.resent || !safe {
            return Some(Err(failure));
        }
        attempt.resent = true;
        attempt.connects = 0;
        attempt.phase = Phase::Backoff {
            until: now_ms.saturating_add(self.config.backoff_ms),
        };
        self.drop_connection();
        None
    }
}

fn instant(now_ms: u64) -> Instant {
    Instant::from_millis(i64::try_from(now_ms).unwrap_or(i64::MAX))
}

#[cfg(test)]
pub(crate) mod test_gateway;
#[cfg(test)]
mod tests;
