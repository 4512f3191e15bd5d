//! The gateway's Noise responder on any request frame body: it never panics, and whenever it
//! accepts a request (or a request kind newer than this version, which is answered) a reply can
//! be written and the exchange is over.
//!
//! The gateway key is the one of docs/protocol.md section 11.1, so the spec's request frames
//! (the seed corpus) authenticate, and their mutations reach the payload decoder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use padlock_protocol::limits::MAX_WIRE_FRAME_LEN;
use padlock_protocol::session::SessionError;
use padlock_protocol::{DenyReason, PayloadError, Responder, Response, StaticKeypair};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fuzz_target!(|body: &[u8]| {
    let gateway = StaticKeypair::from_secret([0x42; 32]);
    let mut responder = Responder::new(&gateway);
    let mut rng = ChaCha20Rng::from_seed([1; 32]);
    let answer = match responder.read_request(body, &mut rng) {
        Ok(_) => Response::SignedOut,
        Err(SessionError::Payload(PayloadError::UnknownMessage)) => Response::Denied {
            reason: DenyReason::UnsupportedVersion,
            retry_after_secs: 0,
        },
        Err(_) => {
            assert!(
                responder
                    .write_reply(&Response::SignedOut, &mut [0; 512])
                    .is_err()
            );
            return;
        }
    };
    assert!(
        responder.device_key().is_some(),
        "accepted without a device key"
    );
    let mut wire = [0u8; MAX_WIRE_FRAME_LEN];
    assert!(responder.write_reply(&answer, &mut wire).is_ok());
    assert!(
        responder.read_request(body, &mut rng).is_err(),
        "one request per exchange"
    );
});
