//! The bridge to a real gateway: the simulated device's network, carried over host TCP.
//!
//! With `--gateway HOST:PORT`, the far end of the device's virtual wire is still a smoltcp
//! interface (`padlock_server::virtual_net`), but instead of answering each request frame with
//! the gateway core in-process, it hands the frame to [`Bridge`], which opens a host TCP
//! connection to `padlock-server serve`, sends the frame, and returns the reply frame byte for
//! byte. The device's Noise session runs end to end with the real server: the bridge sees only
//! ciphertext, exactly what a router between a console and the gateway would see.
//!
//! One request is one connection (docs/protocol.md section 2), so the bridge keeps no state
//! between requests. It frames and checks what it relays with `padlock_protocol::frame` (a
//! length of 1 to 1024 bytes, section 3), so a broken server cannot make it allocate or wait
//! without bound, and it gives every exchange a deadline.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use padlock_protocol::frame::{FrameDecoder, FrameError, encode_frame};
use padlock_protocol::limits::{FRAME_HEADER_LEN, MAX_WIRE_FRAME_LEN};

/// Why an exchange with the real gateway failed.
#[derive(Debug)]
pub enum BridgeError {
    /// The request does not make a frame (empty, or longer than a frame may be).
    Request(FrameError),
    /// The gateway could not be reached.
    Connect(SocketAddr, io::Error),
    /// Reading or writing the connection failed (a timeout included).
    Io(io::Error),
    /// The gateway's reply is not a frame (a bad length, or closed inside it).
    Reply(FrameError),
}

impl std::fmt::Display for BridgeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BridgeError::Request(e) => write!(f, "request: {e}"),
            BridgeError::Connect(addr, e) => write!(f, "cannot reach the gateway at {addr}: {e}"),
            BridgeError::Io(e) => write!(f, "gateway connection: {e}"),
            BridgeError::Reply(e) => write!(f, "gateway reply: {e}"),
        }
    }
}

impl std::error::Error for BridgeError {}

/// A link to one real gateway over host TCP.
#[derive(Debug, Clone)]
pub struct Bridge {
    addr: SocketAddr,
    timeout: Duration,
}

impl Bridge {
    /// Time allowed for one whole exchange: the server's password hashing is the slow part.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// A bridge to the gateway listening at `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// The same bridge with another deadline per exchange.
    pub fn with_timeout(self, timeout: Duration) -> Self {
        Self { timeout, ..self }
    }

    /// The gateway's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sends one request frame (its body, without the length prefix) and returns the whole
    /// reply frame, length prefix included; `Ok(None)` when the gateway closed the connection
    /// without a reply (its answer to malformed input).
    pub fn exchange(&self, body: &[u8]) -> Result<Option<Vec<u8>>, BridgeError> {
        let mut frame = [0u8; MAX_WIRE_FRAME_LEN];
        let len = encode_frame(body, &mut frame).map_err(BridgeError::Request)?;
        let deadline = Instant::now() + self.timeout;
        let mut stream = TcpStream::connect_timeout(&self.addr, self.timeout)
            .map_err(|e| BridgeError::Connect(self.addr, e))?;
        // Best effort: the frame goes out in one segment either way on loopback.
        let _ = stream.set_nodelay(true);
        set_deadline(&stream, deadline)?;
        stream
            .write_all(frame.get(..len).unwrap_or_default())
            .map_err(BridgeError::Io)?;

        let mut decoder = FrameDecoder::<{ padlock_protocol::limits::MAX_FRAME_LEN }>::new();
        let mut chunk = [0u8; 512];
        loop {
            set_deadline(&stream, deadline)?;
            let n = match stream.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(BridgeError::Io(e)),
            };
            if n == 0 {
                decoder.finish().map_err(BridgeError::Reply)?;
                return Ok(None);
            }
            let mut input = chunk.get(..n).unwrap_or_default();
            if let Some(reply) = decoder.feed(&mut input).map_err(BridgeError::Reply)? {
                let mut whole = Vec::with_capacity(FRAME_HEADER_LEN + reply.len());
                // Reply bodies are at most MAX_FRAME_LEN (the decoder checked), so this fits.
                whole.extend_from_slice(&(reply.len() as u16).to_be_bytes());
                whole.extend_from_slice(reply);
                return Ok(Some(whole));
            }
        }
    }
}

/// Makes the socket's blocking calls give up at `deadline`.
fn set_deadline(stream: &TcpStream, deadline: Instant) -> Result<(), BridgeError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(BridgeError::Io(io::ErrorKind::TimedOut.into()));
    }
    stream
        .set_read_timeout(Some(left))
        .map_err(BridgeError::Io)?;
    stream
        .set_write_timeout(Some(left))
        .map_err(BridgeError::Io)
}

#[cfg(test)]
mod tests {
    //! Framing and failure handling against scripted TCP peers; the exchange with the real
    //! gateway is tested in tests/tests/window.rs's neighbour, the bridge test.
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    /// A peer that reads one request and answers with `reply` bytes, then closes.
    fn peer(reply: Vec<u8>) -> (SocketAddr, thread::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let handle = thread::spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            let mut len = [0u8; 2];
            s.read_exact(&mut len).expect("length");
            let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
            s.read_exact(&mut body).expect("body");
            s.write_all(&reply).expect("reply");
            body
        });
        (addr, handle)
    }

    #[test]
    fn relays_the_request_and_returns_the_whole_reply_frame() {
        let (addr, handle) = peer(vec![0, 3, 7, 8, 9]);
        let reply = Bridge::new(addr).exchange(b"hello").expect("exchange");
        assert_eq!(reply, Some(vec![0, 3, 7, 8, 9]));
        assert_eq!(handle.join().expect("peer"), b"hello");
    }

    #[test]
    fn a_close_without_reply_is_none_and_bad_replies_are_errors() {
        let (addr, _) = peer(vec![]);
        assert_eq!(Bridge::new(addr).exchange(b"x").expect("exchange"), None);
        let (addr, _) = peer(vec![0x04, 0x01]);
        assert!(matches!(
            Bridge::new(addr).exchange(b"x"),
            Err(BridgeError::Reply(FrameError::Oversize { len: 1025 }))
        ));
        let (addr, _) = peer(vec![0, 5, 1, 2]);
        assert!(matches!(
            Bridge::new(addr).exchange(b"x"),
            Err(BridgeError::Reply(FrameError::Truncated))
        ));
    }

    #[test]
    fn refuses_oversized_requests_and_reports_an_unreachable_gateway() {
        let bridge = Bridge::new("127.0.0.1:9".parse().expect("addr"));
        assert!(matches!(
            bridge.exchange(&[]),
            Err(BridgeError::Request(FrameError::Empty))
        ));
        assert!(matches!(
            bridge.exchange(&[0; 1025]),
            Err(BridgeError::Request(FrameError::Oversize { len: 1025 }))
        ));
        // A port nobody listens on: a freshly bound and dropped listener's.
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("addr");
        let err = Bridge::new(addr)
            .exchange(b"x")
            .expect_err("nobody listens");
        assert!(
            err.to_string().contains("cannot reach the gateway"),
            "{err}"
        );
    }

    /// A real `padlock_server::serve` on a loopback port, with the demo account, on a tokio
    /// runtime of its own; dropped, it shuts down.
    struct RealGateway {
        addr: SocketAddr,
        key: padlock_protocol::PublicKey,
        app_password: String,
        stop: Option<tokio::sync::oneshot::Sender<()>>,
        thread: Option<thread::JoinHandle<()>>,
    }

    impl RealGateway {
        fn start() -> Self {
            let (gateway, demo) = crate::demo::embedded_gateway(7).expect("gateway");
            let key = gateway.public_key();
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.set_nonblocking(true).expect("nonblocking");
            let addr = listener.local_addr().expect("addr");
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let thread = thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                    padlock_server::serve::serve(
                        listener,
                        std::sync::Arc::new(gateway),
                        padlock_server::serve::ServeConfig::default(),
                        async {
                            let _ = stopped.await;
                        },
                    )
                    .await;
                });
            });
            Self {
                addr,
                key,
                app_password: demo.app_password,
                stop: Some(stop),
                thread: Some(thread),
            }
        }
    }

    impl Drop for RealGateway {
        fn drop(&mut self) {
            if let Some(stop) = self.stop.take() {
                let _ = stop.send(());
            }
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }

    /// A device's sign-in request through the bridge, and what the gateway said.
    fn sign_in(gateway: &RealGateway, password: &str) -> padlock_protocol::Response {
        use padlock_protocol::session::Initiator;
        use padlock_protocol::{DeviceInfo, DeviceKind, Password, Request, StaticKeypair};
        use rand_core::SeedableRng;
        let device = StaticKeypair::from_secret([9; 32]);
        let mut initiator = Initiator::new(&device, gateway.key);
        let request = Request::SignIn {
            account: crate::demo::EMAIL.try_into().expect("email"),
            password: Password::new(password).expect("password"),
            remember: true,
            device: DeviceInfo {
                kind: DeviceKind::Xbox360,
                model: "Xbox 360".try_into().expect("model"),
                firmware: "test".try_into().expect("firmware"),
            },
        };
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let mut frame = [0u8; MAX_WIRE_FRAME_LEN];
        let n = initiator
            .write_request(&request, &mut rng, &mut frame)
            .expect("request");
        let reply = Bridge::new(gateway.addr)
            .exchange(&frame[FRAME_HEADER_LEN..n])
            .expect("exchange")
            .expect("a reply");
        initiator
            .read_reply(&reply[FRAME_HEADER_LEN..])
            .expect("an authentic reply")
    }

    #[test]
    fn a_device_signs_in_with_a_real_gateway_through_the_bridge() {
        let gateway = RealGateway::start();
        let app_password = gateway.app_password.clone();
        match sign_in(&gateway, &app_password) {
            padlock_protocol::Response::Granted {
                display_name,
                remember,
                ..
            } => {
                assert_eq!(display_name.as_str(), crate::demo::DISPLAY_NAME);
                assert!(remember.is_some(), "a remember-me token was asked for");
            }
            other => panic!("not granted: {other:?}"),
        }
        // Two-step is on: the primary password is refused, end to end through the bridge.
        assert!(matches!(
            sign_in(&gateway, crate::demo::PASSWORD),
            padlock_protocol::Response::Denied { .. }
        ));
        // Garbage gets the gateway's status frame (not status 0, no Noise message), relayed
        // as it came.
        let reply = Bridge::new(gateway.addr)
            .exchange(&[0xff; 40])
            .expect("exchange")
            .expect("a status frame");
        assert_ne!(reply[FRAME_HEADER_LEN], 0, "{reply:?}");
    }

    #[test]
    fn a_silent_gateway_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let bridge = Bridge::new(addr).with_timeout(Duration::from_millis(200));
        let err = bridge.exchange(b"x").expect_err("silent");
        assert!(matches!(err, BridgeError::Io(_)), "{err}");
        drop(listener);
    }
}
