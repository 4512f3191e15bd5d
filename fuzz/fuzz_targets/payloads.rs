//! The request and response decoders on any bytes: they never panic, and what they accept is
//! the one valid encoding of what they return (docs/protocol.md section 6.1: encoding it again
//! gives back exactly the input).
#![no_main]

use libfuzzer_sys::fuzz_target;
use padlock_protocol::limits::{MAX_REQUEST_LEN, MAX_RESPONSE_LEN};
use padlock_protocol::{Request, Response};

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = Request::decode(data) {
        let mut buf = [0u8; MAX_REQUEST_LEN];
        assert_eq!(request.encode(&mut buf).ok(), Some(data), "{request:?}");
    }
    if let Ok(response) = Response::decode(data) {
        let mut buf = [0u8; MAX_RESPONSE_LEN];
        assert_eq!(response.encode(&mut buf).ok(), Some(data), "{response:?}");
    }
});
