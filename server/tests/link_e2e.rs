//! The phone link end to end: a device on the virtual wire (smoltcp, `virtual_net`) speaking
//! the real protocol client (the Noise initiator every end-to-end test uses) to the gateway
//! core, and the player approving or declining on the served Security info page over HTTP
//! (`web::player::answer_link`, the QA runner's `approve link` step). Time is virtual: the wire,
//! the gateway and the page read the same clock, so ten minutes pass in a step.

mod common;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::{EMAIL, PRIMARY, config, denied, granted_token};
use padlock_protocol::limits::MAX_WIRE_FRAME_LEN;
use padlock_protocol::{
    DenyReason, DeviceInfo, DeviceKind, Initiator, LinkAddress, LinkCode, RememberToken, Request,
    Response, StaticKeypair,
};
use padlock_server::virtual_net::{VirtualGateway, VirtualNetConfig};
use padlock_server::web::player::{LinkChoice, PlayerError, PlayerLogin, answer_link};
use padlock_server::web::{self, WebConfig};
use padlock_server::{Gateway, GatewayConfig, UnixMillis};
use rand_core::OsRng;
use smoltcp::iface::{Config, Interface, SocketSet};
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr, Ipv4Address, Ipv4Cidr};

const GATEWAY_IP: Ipv4Address = Ipv4Address::new(10, 0, 0, 1);
const DEVICE_IP: Ipv4Address = Ipv4Address::new(10, 0, 0, 2);
const PORT: u16 = 7000;
const LOGIN: PlayerLogin<'static> = PlayerLogin {
    email: EMAIL,
    password: PRIMARY,
    code: "",
};

fn link_config() -> GatewayConfig {
    config().with_link_address(LinkAddress::new("https://gw.example/link").unwrap())
}

// ---- the wire: two ends of an in-memory IP link ----

type Queue = Rc<RefCell<VecDeque<Vec<u8>>>>;

/// One end of the wire: what it sends lands in the other end's queue.
struct End {
    rx: Queue,
    tx: Queue,
}

fn wire() -> (End, End) {
    let (a, b) = (Queue::default(), Queue::default());
    (
        End {
            rx: a.clone(),
            tx: b.clone(),
        },
        End { rx: b, tx: a },
    )
}

struct Rx(Vec<u8>);
struct Tx(Queue);

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut packet = vec![0; len];
        let result = f(&mut packet);
        self.0.borrow_mut().push_back(packet);
        result
    }
}

impl Device for End {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx;

    fn receive(&mut self, _: Instant) -> Option<(Rx, Tx)> {
        let packet = self.rx.borrow_mut().pop_front()?;
        Some((Rx(packet), Tx(self.tx.clone())))
    }

    fn transmit(&mut self, _: Instant) -> Option<Tx> {
        Some(Tx(self.tx.clone()))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ip;
        caps.max_transmission_unit = 1500;
        caps
    }
}

// ---- the rig: gateway on the wire, page on a socket, one clock ----

struct WireAndPage {
    gateway: Arc<Gateway>,
    far_end: VirtualGateway<Arc<Gateway>>,
    gateway_side: End,
    device_side: End,
    device_iface: Interface,
    clock: Arc<AtomicU64>,
    page: SocketAddr,
    next_port: u16,
    _page_thread: PageThread,
}

/// The served page, stopped when dropped.
struct PageThread {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for PageThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve_page(gateway: Arc<Gateway>, clock: Arc<AtomicU64>) -> (SocketAddr, PageThread) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (bound, address) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            bound.send(listener.local_addr().unwrap()).unwrap();
            let config = WebConfig::new("http://127.0.0.1");
            let router = web::router_with_clock(
                gateway,
                config.clone(),
                Arc::new(move || UnixMillis(clock.load(Ordering::SeqCst))),
            )
            .unwrap();
            web::serve_router(listener, router, &config, async {
                let _ = stopped.await;
            })
            .await;
        });
    });
    let page = address.recv().unwrap();
    (
        page,
        PageThread {
            stop: Some(stop),
            thread: Some(thread),
        },
    )
}

impl WireAndPage {
    fn new(gateway: Gateway) -> Self {
        Self::at(gateway, common::t(0).0)
    }

    fn at(gateway: Gateway, start: u64) -> Self {
        let gateway = Arc::new(gateway);
        let clock = Arc::new(AtomicU64::new(start));
        let (mut gateway_side, mut device_side) = wire();
        let now = UnixMillis(start);
        let far_end = VirtualGateway::new(
            gateway.clone(),
            VirtualNetConfig::new(Ipv4Cidr::new(GATEWAY_IP, 24), PORT),
            &mut gateway_side,
            now,
        );
        let mut device_iface = Interface::new(
            Config::new(HardwareAddress::Ip),
            &mut device_side,
            instant(now),
        );
        device_iface.update_ip_addrs(|addrs| {
            addrs
                .push(IpCidr::Ipv4(Ipv4Cidr::new(DEVICE_IP, 24)))
                .unwrap();
        });
        let (page, page_thread) = serve_page(gateway.clone(), clock.clone());
        Self {
            gateway,
            far_end,
            gateway_side,
            device_side,
            device_iface,
            clock,
            page,
            next_port: 49152,
            _page_thread: page_thread,
        }
    }

    fn now(&self) -> UnixMillis {
        UnixMillis(self.clock.load(Ordering::SeqCst))
    }

    fn advance_secs(&self, secs: u64) {
        self.clock.fetch_add(secs * 1000, Ordering::SeqCst);
    }

    /// One exchange over the wire: connect, the request frame, the reply frame, close.
    fn exchange(&mut self, device: &StaticKeypair, request: &Request) -> Response {
        let mut initiator = Initiator::new(device, self.gateway.public_key());
        let mut frame = [0u8; MAX_WIRE_FRAME_LEN];
        let n = initiator
            .write_request(request, &mut OsRng, &mut frame)
            .unwrap();
        let mut sockets = SocketSet::new(Vec::new());
        let handle = sockets.add(tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; 2048]),
            tcp::SocketBuffer::new(vec![0; 2048]),
        ));
        self.next_port += 1;
        sockets
            .get_mut::<tcp::Socket>(handle)
            .connect(
                self.device_iface.context(),
                (IpAddress::Ipv4(GATEWAY_IP), PORT),
                self.next_port,
            )
            .unwrap();
        let (mut sent, mut reply) = (false, Vec::new());
        for _ in 0..2000 {
            let now = self.now();
            self.device_iface
                .poll(instant(now), &mut self.device_side, &mut sockets);
            let socket = sockets.get_mut::<tcp::Socket>(handle);
            if !sent && socket.can_send() {
                assert_eq!(socket.send_slice(&frame[..n]).unwrap(), n);
                sent = true;
            }
            while socket.can_recv() {
                socket
                    .recv(|data| {
                        reply.extend_from_slice(data);
                        (data.len(), ())
                    })
                    .unwrap();
            }
            if reply.len() >= 2 {
                let len = usize::from(u16::from_be_bytes([reply[0], reply[1]]));
                if reply.len() >= 2 + len {
                    socket.close();
                    self.device_iface
                        .poll(instant(now), &mut self.device_side, &mut sockets);
                    self.far_end.poll(&mut self.gateway_side, now);
                    return initiator.read_reply(&reply[2..2 + len]).unwrap();
                }
            }
            self.device_iface
                .poll(instant(now), &mut self.device_side, &mut sockets);
            self.far_end.poll(&mut self.gateway_side, now);
            // A millisecond of virtual time per round, on the wire's clock only.
            self.clock.fetch_add(1, Ordering::SeqCst);
        }
        panic!("no reply over the wire");
    }

    fn start(&mut self, device: &StaticKeypair) -> LinkCode {
        let request = Request::LinkStart {
            device: DeviceInfo {
                kind: DeviceKind::Xbox360,
                model: "Xbox 360 S".try_into().unwrap(),
                firmware: "2.0.17559.0".try_into().unwrap(),
            },
        };
        match self.exchange(device, &request) {
            Response::LinkOffer { code, .. } => code,
            other => panic!("expected a LinkOffer, got {other:?}"),
        }
    }

    fn poll(&mut self, device: &StaticKeypair, code: LinkCode) -> Response {
        self.exchange(device, &Request::LinkPoll { code })
    }

    fn resume(&mut self, device: &StaticKeypair, token: &RememberToken) -> Response {
        self.exchange(
            device,
            &Request::Resume {
                token: token.clone(),
            },
        )
    }

    fn player(&self, code: LinkCode, choice: LinkChoice) -> Result<(), PlayerError> {
        answer_link(self.page, &LOGIN, &code.to_string(), choice)
    }
}

fn instant(now: UnixMillis) -> Instant {
    Instant::from_millis(i64::try_from(now.0).unwrap())
}

fn device(n: u8) -> StaticKeypair {
    StaticKeypair::derive_from_device_secret(&[n; 32]).unwrap()
}

fn gateway() -> Gateway {
    let gateway = Gateway::in_memory(link_config()).unwrap();
    gateway.add_account(EMAIL, "Ann", PRIMARY, false).unwrap();
    gateway
}

fn waiting(secs: u8) -> Response {
    Response::LinkWaiting {
        poll_interval_secs: secs,
    }
}

#[test]
fn approved_on_the_page_the_device_is_granted_and_resumes() {
    let mut rig = WireAndPage::new(gateway());
    let console = device(1);
    let code = rig.start(&console);
    rig.advance_secs(5);
    assert_eq!(rig.poll(&console, code), waiting(5));
    rig.player(code, LinkChoice::Approve).unwrap();
    rig.advance_secs(5);
    let granted = rig.poll(&console, code);
    let Response::Granted { display_name, .. } = &granted else {
        panic!("{granted:?}");
    };
    assert_eq!(display_name.as_str(), "Ann");
    let token = granted_token(&granted);
    rig.advance_secs(60);
    granted_token(&rig.resume(&console, &token));
    // The approval is listed with the app passwords, and the device with the account's devices.
    let apps = rig.gateway.app_passwords(EMAIL).unwrap();
    assert!(
        apps.iter().any(|a| a.name == "Link · Xbox 360 S"),
        "{apps:?}"
    );
}

#[test]
fn declined_on_the_page_the_device_is_told() {
    let mut rig = WireAndPage::new(gateway());
    let console = device(1);
    let code = rig.start(&console);
    rig.player(code, LinkChoice::Decline).unwrap();
    rig.advance_secs(5);
    assert_eq!(rig.poll(&console, code), denied(DenyReason::LinkDeclined));
    // Declined is final: the code cannot be approved afterwards.
    assert!(matches!(
        rig.player(code, LinkChoice::Approve),
        Err(PlayerError::Refused {
            step: "enter the code",
            status: 400
        })
    ));
}

#[test]
fn an_expired_code_is_refused_on_both_sides() {
    let mut rig = WireAndPage::new(gateway());
    let console = device(1);
    let code = rig.start(&console);
    rig.advance_secs(600);
    assert_eq!(rig.poll(&console, code), denied(DenyReason::LinkExpired));
    assert!(matches!(
        rig.player(code, LinkChoice::Approve),
        Err(PlayerError::Refused {
            step: "enter the code",
            status: 400
        })
    ));
    // A new code works.
    let fresh = rig.start(&console);
    rig.player(fresh, LinkChoice::Approve).unwrap();
    granted_token(&rig.poll(&console, fresh));
}

#[test]
fn polling_too_soon_is_told_to_slow_down() {
    let mut rig = WireAndPage::new(gateway());
    let console = device(1);
    let code = rig.start(&console);
    rig.advance_secs(5);
    assert_eq!(rig.poll(&console, code), waiting(5));
    rig.advance_secs(1);
    assert_eq!(rig.poll(&console, code), waiting(10));
    rig.advance_secs(10);
    assert_eq!(rig.poll(&console, code), waiting(10));
}

#[test]
fn a_poll_from_another_device_key_learns_nothing_and_takes_nothing() {
    let mut rig = WireAndPage::new(gateway());
    let (console, stranger) = (device(1), device(2));
    let code = rig.start(&console);
    rig.player(code, LinkChoice::Approve).unwrap();
    assert_eq!(rig.poll(&stranger, code), denied(DenyReason::LinkExpired));
    granted_token(&rig.poll(&console, code));
}

#[test]
fn revoking_the_approval_later_refuses_the_token_at_the_next_start() {
    let mut rig = WireAndPage::new(gateway());
    let console = device(1);
    let code = rig.start(&console);
    rig.player(code, LinkChoice::Approve).unwrap();
    let token = granted_token(&rig.poll(&console, code));
    let approval = rig
        .gateway
        .app_passwords(EMAIL)
        .unwrap()
        .into_iter()
        .find(|a| a.name.starts_with("Link"))
        .unwrap();
    rig.gateway.revoke_app_password(EMAIL, approval.id).unwrap();
    rig.advance_secs(3600);
    assert_eq!(
        rig.resume(&console, &token),
        denied(DenyReason::TokenInvalid)
    );
}

#[test]
fn a_pending_link_survives_a_gateway_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    let first = Gateway::open(&db, link_config()).unwrap();
    first.add_account(EMAIL, "Ann", PRIMARY, false).unwrap();
    let console = device(1);
    let (code, stopped_at) = {
        let mut rig = WireAndPage::new(first);
        let code = rig.start(&console);
        rig.advance_secs(5);
        assert_eq!(rig.poll(&console, code), waiting(5));
        (code, rig.now())
    };
    // The gateway process is gone (wire, page and core); a new one opens the same files.
    let mut rig = WireAndPage::at(
        Gateway::open(&db, link_config()).unwrap(),
        stopped_at.0 + 30_000,
    );
    assert_eq!(rig.poll(&console, code), waiting(5));
    rig.player(code, LinkChoice::Approve).unwrap();
    granted_token(&rig.poll(&console, code));
}
