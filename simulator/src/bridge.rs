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
//! between requests. It checks the framing of what it relays (a length of 1 to 1024 bytes,
//! section 3) so a broken server cannot make it allocate or wait without bound, and it gives
//! every exchange a deadline.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The largest frame body the protocol allows (docs/protocol.md section 3).
pub const MAX_FRAME_BODY: usize = 1024;

/// Why an exchange with the real gateway failed.
#[derive(Debug)]
pub enum BridgeError {
    /// The request body is empty or longer than a frame may be.
    RequestSize(usize),
    /// The gateway could not be reached.
    Connect(SocketAddr, io::Error),
    /// Reading or writing the connection failed (a timeout included).
    Io(io::Error),
    /// The gateway replied with a frame length outside 1..=1024.
    ReplyLength(usize),
    /// The gateway closed the connection inside its reply frame.
    Truncated,
}

impl std::fmt::Display for BridgeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BridgeError::RequestSize(n) => {
                write!(
                    f,
                    "request frame of {n} bytes (1 to {MAX_FRAME_BODY} allowed)"
                )
            }
            BridgeError::Connect(addr, e) => write!(f, "cannot reach the gateway at {addr}: {e}"),
            BridgeError::Io(e) => write!(f, "gateway connection: {e}"),
            BridgeError::ReplyLength(n) => {
                write!(
                    f,
                    "gateway replied with a frame of {n} bytes (1 to {MAX_FRAME_BODY} allowed)"
                )
            }
            BridgeError::Truncated => write!(f, "gateway closed the connection inside its reply"),
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
        if body.is_empty() || body.len() > MAX_FRAME_BODY {
            return Err(BridgeError::RequestSize(body.len()));
        }
        let deadline = Instant::now() + self.timeout;
        let mut stream = TcpStream::connect_timeout(&self.addr, self.timeout)
            .map_err(|e| BridgeError::Connect(self.addr, e))?;
        // Best effort: the frame goes out in one segment either way on loopback.
        let _ = stream.set_nodelay(true);
        let mut frame = Vec::with_capacity(2 + body.len());
        // The length fits: checked against MAX_FRAME_BODY above.
        frame.extend_from_slice(&(body.len() as u16).to_be_bytes());
        frame.extend_from_slice(body);
        set_deadline(&stream, deadline)?;
        stream.write_all(&frame).map_err(BridgeError::Io)?;

        let mut length = [0u8; 2];
        match read_full(&mut stream, &mut length, deadline)? {
            0 => return Ok(None),
            2 => {}
            _ => return Err(BridgeError::Truncated),
        }
        let n = usize::from(u16::from_be_bytes(length));
        if n == 0 || n > MAX_FRAME_BODY {
            return Err(BridgeError::ReplyLength(n));
        }
        let mut body = vec![0u8; n];
        if read_full(&mut stream, &mut body, deadline)? != n {
            return Err(BridgeError::Truncated);
        }
        let mut reply = Vec::with_capacity(2 + n);
        reply.extend_from_slice(&length);
        reply.extend_from_slice(&body);
        Ok(Some(reply))
    }
}

/// Reads until `buf` is full or the peer closes; returns how much was read.
fn read_full(
    stream: &mut TcpStream,
    buf: &mut [u8],
    deadline: Instant,
) -> Result<usize, BridgeError> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..).filter(|r| !r.is_empty()) {
        set_deadline(stream, deadline)?;
        match stream.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(BridgeError::Io(e)),
        }
    }
    Ok(filled)
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
            Err(BridgeError::ReplyLength(1025))
        ));
        let (addr, _) = peer(vec![0, 5, 1, 2]);
        assert!(matches!(
            Bridge::new(addr).exchange(b"x"),
            Err(BridgeError::Truncated)
        ));
    }

    #[test]
    fn refuses_oversized_requests_and_reports_an_unreachable_gateway() {
        let bridge = Bridge::new("127.0.0.1:9".parse().expect("addr"));
        assert!(matches!(
            bridge.exchange(&[]),
            Err(BridgeError::RequestSize(0))
        ));
        assert!(matches!(
            bridge.exchange(&[0; 1025]),
            Err(BridgeError::RequestSize(1025))
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
