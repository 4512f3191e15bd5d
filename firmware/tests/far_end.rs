//! `padlock_server::virtual_net` seen from a plain smoltcp client on the virtual wire: how the
//! far end treats connections (one frame, one reply, close; listening again; refusing while
//! stopped; dropping what is malformed or too slow), whatever the service behind it.

use padlock_firmware::net::wire::{Faults, GATEWAY_ADDRESS, GATEWAY_PORT, WireEnd};
use padlock_pair::{Pair, Party};
use padlock_protocol::frame::encode_frame;
use padlock_server::UnixMillis;
use padlock_server::virtual_net::{FrameService, VirtualNetConfig};
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::{HardwareAddress, IpCidr, Ipv4Address, Ipv4Cidr};

/// Chosen at run time, as the simulator chooses between the embedded gateway and a bridge.
type Service = Box<dyn FrameService + Send>;

/// Echoes the request body back as the reply frame.
fn echo(body: &[u8], _: UnixMillis) -> Option<Vec<u8>> {
    let mut reply = vec![0; body.len() + 2];
    let n = encode_frame(body, &mut reply).ok()?;
    reply.truncate(n);
    Some(reply)
}

/// Declines every request.
fn decline(_: &[u8], _: UnixMillis) -> Option<Vec<u8>> {
    None
}

/// A bare smoltcp client: the device's side of the [`Pair`].
struct Client {
    iface: Interface,
    sockets: SocketSet<'static>,
    tcp: SocketHandle,
}

impl Client {
    fn socket(&mut self) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut::<tcp::Socket>(self.tcp)
    }
}

impl Party for Client {
    type Polled = ();

    fn poll(&mut self, end: &mut WireEnd, now_ms: u64) {
        let now = Instant::from_millis(now_ms as i64);
        self.iface.poll(now, end, &mut self.sockets);
    }

    fn next_wake(&mut self, now_ms: u64) -> Option<u64> {
        let now = Instant::from_millis(now_ms as i64);
        self.iface
            .poll_delay(now, &self.sockets)
            .map(|delay| now_ms + delay.total_millis())
    }
}

/// The client at 10.0.0.2 on the device's end, the far end on the other, on virtual time.
struct Net {
    pair: Pair<Service>,
    client: Client,
    next_port: u16,
}

impl Net {
    fn new(service: fn(&[u8], UnixMillis) -> Option<Vec<u8>>, listeners: usize) -> Self {
        let mut config = VirtualNetConfig::new(Ipv4Cidr::new(GATEWAY_ADDRESS, 24), GATEWAY_PORT);
        config.listeners = listeners;
        config.request_timeout_ms = 2_000;
        let mut pair = Pair::with_config(
            3,
            Faults::default(),
            Box::new(service) as Service,
            config,
            UnixMillis(0),
        );
        let mut iface = Interface::new(
            Config::new(HardwareAddress::Ip),
            &mut pair.device_end,
            Instant::ZERO,
        );
        iface.update_ip_addrs(|a| {
            let _ = a.push(IpCidr::new(Ipv4Address::new(10, 0, 0, 2).into(), 24));
        });
        let mut sockets = SocketSet::new(Vec::new());
        let tcp = sockets.add(tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; 2048]),
            tcp::SocketBuffer::new(vec![0; 2048]),
        ));
        Self {
            pair,
            client: Client {
                iface,
                sockets,
                tcp,
            },
            next_port: 50_000,
        }
    }

    fn socket(&mut self) -> &mut tcp::Socket<'static> {
        self.client.socket()
    }

    /// Runs both ends until `done` or `limit_ms` passed.
    fn run(
        &mut self,
        limit_ms: u64,
        mut done: impl FnMut(&mut tcp::Socket<'static>) -> bool,
    ) -> bool {
        self.pair
            .run_until(&mut self.client, limit_ms, |client| done(client.socket()))
    }

    /// Connects from a fresh port; whether the far end accepted.
    fn connect(&mut self) -> bool {
        self.next_port += 1;
        let port = self.next_port;
        let cx = self.client.iface.context();
        let socket = self.client.sockets.get_mut::<tcp::Socket>(self.client.tcp);
        socket
            .connect(cx, (GATEWAY_ADDRESS, GATEWAY_PORT), port)
            .unwrap();
        self.run(5_000, |s| s.state() != tcp::State::SynSent)
            && self.socket().state() == tcp::State::Established
    }

    /// Sends `bytes`, then reads until the far end closes its side (5 s at most): what it
    /// sent back, and whether it closed.
    fn exchange(&mut self, bytes: &[u8]) -> (Vec<u8>, bool) {
        self.socket().send_slice(bytes).unwrap();
        let mut reply = Vec::new();
        let closed = self.run(5_000, |s| {
            let mut chunk = [0u8; 256];
            while let Ok(n @ 1..) = s.recv_slice(&mut chunk) {
                reply.extend_from_slice(&chunk[..n]);
            }
            !s.may_recv()
        });
        (reply, closed)
    }

    /// Closes the client's side gracefully (a FIN, not a reset) and waits until it is closed,
    /// which leaves the far end's socket in TIME-WAIT.
    fn close(&mut self) {
        self.socket().close();
        assert!(self.run(5_000, |s| s.state() == tcp::State::Closed));
    }
}

#[test]
fn one_frame_gets_one_reply_then_the_far_end_closes() {
    let mut net = Net::new(echo, 4);
    assert!(net.connect());
    // A second frame on the same connection is ignored (docs/protocol.md section 2).
    let (reply, closed) = net.exchange(&[0, 3, 1, 2, 3, 0, 1, 9]);
    assert_eq!(reply, [0, 3, 1, 2, 3]);
    assert!(closed);
    let traffic = net.pair.far_end.traffic();
    assert_eq!(
        (traffic.connections, traffic.requests, traffic.sent),
        (1, 1, 5)
    );
}

#[test]
fn connections_in_turn_are_served_while_earlier_sockets_wait_in_time_wait() {
    let mut net = Net::new(echo, 4);
    for round in 0..4 {
        assert!(net.connect(), "connection {round} refused");
        assert_eq!(net.exchange(&[0, 1, round]).0, [0, 1, round]);
        net.close();
    }
    assert_eq!(net.pair.far_end.traffic().connections, 4);
}

#[test]
fn a_single_listener_listens_again_once_its_time_wait_is_over() {
    let mut net = Net::new(echo, 1);
    assert!(net.connect());
    assert!(net.exchange(&[0, 1, 7]).1);
    net.close();
    assert!(!net.connect(), "the only socket is in TIME-WAIT: refused");
    net.run(11_000, |_| false);
    assert!(net.connect(), "served again after TIME-WAIT");
    assert_eq!(net.exchange(&[0, 1, 8]).0, [0, 1, 8]);
}

#[test]
fn stopped_it_refuses_connections_and_resumed_it_serves_them() {
    let mut net = Net::new(echo, 2);
    net.pair.far_end.set_accepting(false);
    let before = net.pair.now_ms;
    assert!(!net.connect());
    assert!(
        net.pair.now_ms - before < 100,
        "refused at once, not timed out"
    );
    net.pair.far_end.set_accepting(true);
    assert!(net.connect());
    assert_eq!(net.exchange(&[0, 1, 5]).0, [0, 1, 5]);
}

#[test]
fn an_empty_frame_is_closed_without_a_reply() {
    let mut net = Net::new(echo, 1);
    assert!(net.connect());
    assert_eq!(net.exchange(&[0, 0, 1]), (Vec::new(), true));
    assert_eq!(net.pair.far_end.traffic().requests, 0);
}

#[test]
fn a_request_the_service_declines_is_closed_without_a_reply() {
    let mut net = Net::new(decline, 1);
    assert!(net.connect());
    assert_eq!(net.exchange(&[0, 2, 1, 2]), (Vec::new(), true));
    assert_eq!(net.pair.far_end.traffic().requests, 1);
}

#[test]
fn a_request_that_never_completes_is_dropped_after_the_timeout() {
    let mut net = Net::new(echo, 1);
    assert!(net.connect());
    let start = net.pair.now_ms;
    net.socket().send_slice(&[0, 10, 1, 2]).unwrap();
    assert!(net.run(5_000, |s| s.state() == tcp::State::Closed), "reset");
    assert!(net.pair.now_ms - start >= 2_000, "not before the timeout");
    assert_eq!(net.pair.far_end.traffic().requests, 0);
}
