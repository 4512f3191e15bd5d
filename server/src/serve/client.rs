//! The device's side of one exchange over tokio TCP: what the tests, the bench and an operator's
//! probe use to talk to a listening gateway.
//!
//! The protocol work is `padlock-protocol`'s [`Initiator`]; this module only moves its frames.
//! Writing message 1 and sending it are separate steps ([`PreparedRequest`]) so that a load
//! generator can do the first ahead of a timed window.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use padlock_protocol::frame::{FrameDecoder, FrameError};
use padlock_protocol::limits::{MAX_REPLY_FRAME_LEN, MAX_WIRE_FRAME_LEN};
use padlock_protocol::session::Initiator;
use padlock_protocol::{PublicKey, Request, Response, SessionError, StaticKeypair};
use rand_core::{CryptoRng, RngCore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

/// Why an exchange produced no response.
#[derive(Debug)]
pub enum ClientError {
    /// Connecting, writing or reading failed.
    Io(io::Error),
    /// The whole exchange took longer than allowed.
    TimedOut,
    /// The gateway closed the connection before a whole reply frame.
    Closed,
    /// The reply's framing was wrong.
    Frame(FrameError),
    /// The reply did not authenticate or decode, or was a status frame (`Busy`, ...).
    Session(SessionError),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "connection failed: {e}"),
            Self::TimedOut => f.write_str("timed out"),
            Self::Closed => f.write_str("connection closed before the reply"),
            Self::Frame(e) => write!(f, "bad reply frame: {e}"),
            Self::Session(e) => write!(f, "reply refused: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// Message 1 written and waiting to be sent, with the handshake state that will read the reply.
pub struct PreparedRequest<'k> {
    initiator: Initiator<'k>,
    frame: Vec<u8>,
}

impl<'k> PreparedRequest<'k> {
    /// Writes the request frame for `request` from `device` to the gateway key `gateway`.
    ///
    /// # Errors
    /// [`ClientError::Session`] if the request cannot be encoded.
    pub fn new(
        device: &'k StaticKeypair,
        gateway: PublicKey,
        request: &Request,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Self, ClientError> {
        let mut initiator = Initiator::new(device, gateway);
        let mut wire = [0u8; MAX_WIRE_FRAME_LEN];
        let n = initiator
            .write_request(request, rng, &mut wire)
            .map_err(ClientError::Session)?;
        let frame = wire.get(..n).unwrap_or_default().to_vec();
        Ok(Self { initiator, frame })
    }

    /// The whole request frame, length prefix included.
    pub fn frame(&self) -> &[u8] {
        &self.frame
    }

    /// Connects to `addr`, sends the request, reads and authenticates the reply, all within
    /// `limit`.
    ///
    /// # Errors
    /// See [`ClientError`]; a `Busy` gateway is `ClientError::Session(SessionError::Busy)`.
    pub async fn send(self, addr: SocketAddr, limit: Duration) -> Result<Response, ClientError> {
        self.send_from(None, addr, limit).await
    }

    /// [`PreparedRequest::send`] from the local address `from` (any port), or the system's
    /// choice with `None`: how a test or bench poses as several hosts on loopback
    /// (127.0.0.2, 127.0.0.3, ...).
    ///
    /// # Errors
    /// See [`ClientError`].
    pub async fn send_from(
        mut self,
        from: Option<IpAddr>,
        addr: SocketAddr,
        limit: Duration,
    ) -> Result<Response, ClientError> {
        let body = timeout(limit, async {
            let mut stream = connect_from(from, addr).await.map_err(ClientError::Io)?;
            stream.set_nodelay(true).map_err(ClientError::Io)?;
            stream
                .write_all(&self.frame)
                .await
                .map_err(ClientError::Io)?;
            read_frame(&mut stream).await
        })
        .await
        .map_err(|_| ClientError::TimedOut)??;
        self.initiator
            .read_reply(&body)
            .map_err(ClientError::Session)
    }
}

/// A TCP connection to `addr` from the local address `from` (any port), or from the system's
/// choice with `None`.
///
/// # Errors
/// Binding or connecting failed.
pub async fn connect_from(from: Option<IpAddr>, addr: SocketAddr) -> io::Result<TcpStream> {
    let Some(from) = from else {
        return TcpStream::connect(addr).await;
    };
    let socket = match from {
        IpAddr::V4(_) => TcpSocket::new_v4()?,
        IpAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(addr).await
}

/// One whole exchange: [`PreparedRequest::new`] then [`PreparedRequest::send`].
///
/// # Errors
/// See [`ClientError`].
pub async fn exchange(
    addr: SocketAddr,
    device: &StaticKeypair,
    gateway: PublicKey,
    request: &Request,
    limit: Duration,
) -> Result<Response, ClientError> {
    let mut rng = rand_core::OsRng;
    PreparedRequest::new(device, gateway, request, &mut rng)?
        .send(addr, limit)
        .await
}

/// Reads one reply frame's body from `stream` (replies are at most
/// [`MAX_REPLY_FRAME_LEN`] bytes).
///
/// # Errors
/// [`ClientError::Closed`] if the stream ends before a whole frame, [`ClientError::Frame`] for
/// a bad length, [`ClientError::Io`] if reading fails.
pub async fn read_frame(stream: &mut TcpStream) -> Result<Vec<u8>, ClientError> {
    let mut decoder = FrameDecoder::<MAX_REPLY_FRAME_LEN>::new();
    let mut buf = [0u8; MAX_REPLY_FRAME_LEN + 2];
    loop {
        let n = stream.read(&mut buf).await.map_err(ClientError::Io)?;
        if n == 0 {
            return Err(ClientError::Closed);
        }
        let mut input = buf.get(..n).unwrap_or_default();
        if let Some(body) = decoder.feed(&mut input).map_err(ClientError::Frame)? {
            return Ok(body.to_vec());
        }
    }
}
