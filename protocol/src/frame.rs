//! Length-prefixed framing over a TCP byte stream.
//!
//! A frame is a 2-byte big-endian length `n` (1 ≤ `n` ≤ [`MAX_FRAME_LEN`]) followed by `n` bytes
//! of body. TCP delivers a stream, not messages, so the receiving side must be ready for a frame
//! to arrive in any number of pieces, and for one read to hold the end of one frame and the start
//! of the next. [`FrameDecoder`] takes the stream in whatever pieces it comes and hands back whole
//! bodies; it never reads past the frame it is filling, so the caller keeps the rest.
//!
//! ```
//! use padlock_protocol::frame::{encode_frame, FrameDecoder};
//!
//! let mut wire = [0u8; 16];
//! let n = encode_frame(b"hello", &mut wire).unwrap();
//! assert_eq!(&wire[..n], b"\x00\x05hello");
//!
//! // The stream arrives a byte at a time; the body comes out whole.
//! let mut decoder: FrameDecoder = FrameDecoder::new();
//! let mut body = None;
//! for byte in wire[..n].chunks(1) {
//!     let mut input = byte;
//!     if let Some(frame) = decoder.feed(&mut input).unwrap() {
//!         body = Some(frame.len());
//!     }
//! }
//! assert_eq!(body, Some(5));
//! ```

use crate::limits::{FRAME_HEADER_LEN, MAX_FRAME_LEN, MAX_REQUEST_FRAME_LEN};

/// Why a frame could not be written or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FrameError {
    /// The length prefix announced zero bytes; v1 has no empty frames.
    Empty,
    /// The length prefix (or a body to send) exceeds the decoder's or protocol's maximum.
    Oversize {
        /// The length that was announced or asked for.
        len: usize,
    },
    /// The stream ended in the middle of a frame.
    Truncated,
    /// The output buffer is too small for the frame.
    BufferTooSmall,
}

impl core::fmt::Display for FrameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Empty => f.write_str("empty frame"),
            Self::Oversize { len } => write!(f, "frame of {len} bytes exceeds the limit"),
            Self::Truncated => f.write_str("stream ended inside a frame"),
            Self::BufferTooSmall => f.write_str("output buffer too small for the frame"),
        }
    }
}

impl core::error::Error for FrameError {}

/// Writes `body` as one frame into `out` and returns the number of bytes written.
///
/// # Errors
/// [`FrameError::Empty`] or [`FrameError::Oversize`] if `body` is not 1 to [`MAX_FRAME_LEN`]
/// bytes long; [`FrameError::BufferTooSmall`] if `out` cannot hold the frame.
pub fn encode_frame(body: &[u8], out: &mut [u8]) -> Result<usize, FrameError> {
    let len = check_len(body.len(), MAX_FRAME_LEN)?;
    let total = FRAME_HEADER_LEN + body.len();
    let out = out.get_mut(..total).ok_or(FrameError::BufferTooSmall)?;
    let (header, rest) = out.split_at_mut(FRAME_HEADER_LEN);
    header.copy_from_slice(&len.to_be_bytes());
    rest.copy_from_slice(body);
    Ok(total)
}

fn check_len(len: usize, max: usize) -> Result<u16, FrameError> {
    match len {
        0 => Err(FrameError::Empty),
        n if n > max => Err(FrameError::Oversize { len: n }),
        // `max` never exceeds MAX_FRAME_LEN, so this always fits.
        n => u16::try_from(n).map_err(|_| FrameError::Oversize { len: n }),
    }
}

/// The decoder a gateway reads request frames with: a length prefix above the largest request
/// frame of this version ([`MAX_REQUEST_FRAME_LEN`], derived from the largest encoded request)
/// is refused as soon as it is read, so no peer can make the gateway wait for, or hold, a body
/// no valid request has (docs/protocol.md section 7).
pub type RequestFrameDecoder = FrameDecoder<MAX_REQUEST_FRAME_LEN>;

/// Incremental frame decoder over a caller-sized buffer of `N` bytes (the largest body it
/// accepts; at most [`MAX_FRAME_LEN`]).
///
/// A receiver that knows its peer's largest message can use a smaller `N` (the device reads only
/// replies, see [`MAX_REPLY_FRAME_LEN`](crate::limits::MAX_REPLY_FRAME_LEN)); an announced
/// length above `N` is rejected as soon as the two length bytes are in, before any body is kept.
#[derive(Debug, Clone)]
pub struct FrameDecoder<const N: usize = MAX_FRAME_LEN> {
    header: [u8; FRAME_HEADER_LEN],
    header_filled: usize,
    body: [u8; N],
    body_len: usize,
    body_filled: usize,
    complete: bool,
}

impl<const N: usize> Default for FrameDecoder<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> FrameDecoder<N> {
    /// A decoder waiting for the first byte of a frame.
    pub const fn new() -> Self {
        Self {
            header: [0; FRAME_HEADER_LEN],
            header_filled: 0,
            body: [0; N],
            body_len: 0,
            body_filled: 0,
            complete: false,
        }
    }

    /// Takes bytes from the front of `input`, advancing it past what was used.
    ///
    /// Returns `Some(body)` once a whole frame is in; `input` then holds whatever followed it,
    /// and the next call starts a new frame. Returns `None` when all of `input` was used and the
    /// frame is still incomplete.
    ///
    /// # Errors
    /// [`FrameError::Empty`] or [`FrameError::Oversize`] as soon as the length prefix is read.
    /// After an error the stream is out of step: close the connection.
    pub fn feed(&mut self, input: &mut &[u8]) -> Result<Option<&[u8]>, FrameError> {
        if self.complete {
            self.reset();
        }
        while self.header_filled < FRAME_HEADER_LEN {
            let Some((&byte, rest)) = input.split_first() else {
                return Ok(None);
            };
            *input = rest;
            if let Some(slot) = self.header.get_mut(self.header_filled) {
                *slot = byte;
            }
            self.header_filled += 1;
            if self.header_filled == FRAME_HEADER_LEN {
                let announced = usize::from(u16::from_be_bytes(self.header));
                check_len(announced, N.min(MAX_FRAME_LEN))?;
                self.body_len = announced;
            }
        }
        let wanted = self.body_len - self.body_filled;
        let take = wanted.min(input.len());
        let (now, rest) = input.split_at(take);
        let dest = self
            .body
            .get_mut(self.body_filled..self.body_filled + take)
            .ok_or(FrameError::Oversize { len: self.body_len })?;
        dest.copy_from_slice(now);
        *input = rest;
        self.body_filled += take;
        if self.body_filled < self.body_len {
            return Ok(None);
        }
        self.complete = true;
        Ok(self.body.get(..self.body_len))
    }

    /// Whether part of a frame has been read but not all of it.
    pub fn is_mid_frame(&self) -> bool {
        !self.complete && self.header_filled > 0
    }

    /// Call when the stream ends: an error if it ended inside a frame.
    ///
    /// # Errors
    /// [`FrameError::Truncated`] if a frame was started and not finished.
    pub fn finish(&self) -> Result<(), FrameError> {
        if self.is_mid_frame() {
            Err(FrameError::Truncated)
        } else {
            Ok(())
        }
    }

    /// Forgets any partial frame.
    pub fn reset(&mut self) {
        self.header_filled = 0;
        self.body_len = 0;
        self.body_filled = 0;
        self.complete = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &[u8]) -> ([u8; MAX_FRAME_LEN + 2], usize) {
        let mut out = [0u8; MAX_FRAME_LEN + 2];
        let n = encode_frame(body, &mut out).unwrap();
        (out, n)
    }

    #[test]
    fn round_trip_in_every_split() {
        let (wire, n) = frame(b"abcdef");
        for split in 0..=n {
            let mut decoder = FrameDecoder::<16>::new();
            let (first, second) = wire[..n].split_at(split);
            let mut input = first;
            let got = decoder.feed(&mut input).unwrap().map(<[u8]>::to_vec);
            let body = match got {
                Some(body) => body,
                None => {
                    let mut input = second;
                    decoder.feed(&mut input).unwrap().unwrap().to_vec()
                }
            };
            assert_eq!(body, b"abcdef");
        }
    }

    #[test]
    fn two_frames_in_one_read_leave_the_second_in_input() {
        let mut wire = [0u8; 32];
        let a = encode_frame(b"one", &mut wire).unwrap();
        let b = encode_frame(b"two!", &mut wire[a..]).unwrap();
        let mut decoder = FrameDecoder::<8>::new();
        let mut input = &wire[..a + b];
        assert_eq!(decoder.feed(&mut input).unwrap(), Some(&b"one"[..]));
        assert_eq!(input.len(), b);
        assert_eq!(decoder.feed(&mut input).unwrap(), Some(&b"two!"[..]));
        assert!(input.is_empty());
        decoder.finish().unwrap();
    }

    #[test]
    fn oversize_length_is_rejected_before_the_body() {
        let mut decoder = FrameDecoder::<8>::new();
        let mut input = &[0x00, 0x09][..];
        assert_eq!(
            decoder.feed(&mut input),
            Err(FrameError::Oversize { len: 9 })
        );
        let mut decoder = FrameDecoder::<MAX_FRAME_LEN>::new();
        let mut input = &[0xff, 0xff, 1, 2, 3][..];
        assert_eq!(
            decoder.feed(&mut input),
            Err(FrameError::Oversize { len: 0xffff })
        );
    }

    #[test]
    fn empty_frame_is_rejected() {
        let mut decoder = FrameDecoder::<8>::new();
        let mut input = &[0x00, 0x00][..];
        assert_eq!(decoder.feed(&mut input), Err(FrameError::Empty));
        assert_eq!(encode_frame(&[], &mut [0u8; 4]), Err(FrameError::Empty));
    }

    #[test]
    fn truncated_stream_is_reported() {
        let mut decoder = FrameDecoder::<8>::new();
        decoder.finish().unwrap();
        let mut input = &[0x00][..];
        assert_eq!(decoder.feed(&mut input), Ok(None));
        assert_eq!(decoder.finish(), Err(FrameError::Truncated));
        let mut input = &[0x04, b'a'][..];
        assert_eq!(decoder.feed(&mut input), Ok(None));
        assert_eq!(decoder.finish(), Err(FrameError::Truncated));
    }

    #[test]
    fn encode_checks_limits_and_buffer() {
        let big = [0u8; MAX_FRAME_LEN + 1];
        let mut out = [0u8; MAX_FRAME_LEN + 8];
        assert_eq!(
            encode_frame(&big, &mut out),
            Err(FrameError::Oversize {
                len: MAX_FRAME_LEN + 1
            })
        );
        assert!(encode_frame(&big[..MAX_FRAME_LEN], &mut out).is_ok());
        assert_eq!(
            encode_frame(b"abc", &mut [0u8; 4]),
            Err(FrameError::BufferTooSmall)
        );
    }
}
