//! The frame decoder on any byte stream, cut into pieces of any size: it never panics, never
//! hands out a body outside 1 to its bound, and cutting the stream differently never changes
//! the frames that come out (TCP may split a stream anywhere).
//!
//! Input: the first byte is the piece size (0 means 1), the rest is the stream. Both decoders
//! of the protocol run on it: the gateway's ([`RequestFrameDecoder`]) and the device's (bounded
//! by the largest reply).
#![no_main]

use libfuzzer_sys::fuzz_target;
use padlock_protocol::frame::{FrameDecoder, FrameError, RequestFrameDecoder};
use padlock_protocol::limits::{MAX_REPLY_FRAME_LEN, MAX_REQUEST_FRAME_LEN};

/// The frames `stream` holds, fed in pieces of `piece` bytes, and how the stream ended.
fn frames<const N: usize>(
    decoder: &mut FrameDecoder<N>,
    stream: &[u8],
    piece: usize,
) -> (Vec<Vec<u8>>, Result<(), FrameError>) {
    let mut out = Vec::new();
    for chunk in stream.chunks(piece) {
        let mut input = chunk;
        while !input.is_empty() {
            match decoder.feed(&mut input) {
                Ok(Some(body)) => {
                    assert!(
                        (1..=N).contains(&body.len()),
                        "body of {} bytes",
                        body.len()
                    );
                    out.push(body.to_vec());
                }
                Ok(None) => assert!(input.is_empty(), "input left over without a frame"),
                Err(error) => return (out, Err(error)),
            }
        }
    }
    (out, decoder.finish())
}

fn check<const N: usize>(stream: &[u8], piece: usize) {
    let whole = frames(&mut FrameDecoder::<N>::new(), stream, stream.len().max(1));
    let pieces = frames(&mut FrameDecoder::<N>::new(), stream, piece);
    assert_eq!(whole, pieces, "cut into {piece}-byte pieces");
}

fuzz_target!(|data: &[u8]| {
    let Some((&piece, stream)) = data.split_first() else {
        return;
    };
    let piece = usize::from(piece).max(1);
    check::<MAX_REQUEST_FRAME_LEN>(stream, piece);
    check::<MAX_REPLY_FRAME_LEN>(stream, piece);
    // The type the gateway names is the bound checked above.
    let _: RequestFrameDecoder = FrameDecoder::<MAX_REQUEST_FRAME_LEN>::new();
});
