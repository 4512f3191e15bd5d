//! Property tests: whatever bytes arrive, from whichever side, the protocol answers with an
//! error and never panics; and every valid message survives the trip.

use padlock_protocol::frame::{FrameDecoder, FrameError};
use padlock_protocol::limits::{
    MAX_EMAIL_LEN, MAX_FIRMWARE_VERSION_LEN, MAX_MODEL_LEN, MAX_PASSWORD_LEN, MAX_WIRE_FRAME_LEN,
};
use padlock_protocol::session::{Initiator, Responder, SessionError};
use padlock_protocol::{
    DenyReason, DeviceInfo, DeviceKind, Password, RememberToken, Request, Response, SessionTicket,
    StaticKeypair,
};
use proptest::prelude::*;
use rand_core::OsRng;

fn keys() -> (StaticKeypair, StaticKeypair) {
    (
        StaticKeypair::from_secret([0x0d; 32]),
        StaticKeypair::from_secret([0x9a; 32]),
    )
}

fn bounded(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(".*")
        .unwrap()
        .prop_map(move |s| {
            let mut end = s.len().min(max);
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s[..end].to_string()
        })
}

fn request() -> impl Strategy<Value = Request> {
    let device = (
        0..3u8,
        bounded(MAX_MODEL_LEN),
        bounded(MAX_FIRMWARE_VERSION_LEN),
    )
        // Device text may hold anything but control characters (docs/protocol.md 6.2).
        .prop_map(|(kind, model, firmware)| DeviceInfo {
            kind: [DeviceKind::Xbox360, DeviceKind::Zune, DeviceKind::Other][usize::from(kind)],
            model: model
                .replace(char::is_control, "")
                .as_str()
                .try_into()
                .unwrap(),
            firmware: firmware
                .replace(char::is_control, "")
                .as_str()
                .try_into()
                .unwrap(),
        });
    prop_oneof![
        (
            bounded(MAX_EMAIL_LEN),
            bounded(MAX_PASSWORD_LEN),
            any::<bool>(),
            device
        )
            .prop_map(|(account, password, remember, device)| Request::SignIn {
                account: account.as_str().try_into().unwrap(),
                password: Password::new(&password).unwrap(),
                remember,
                device,
            }),
        any::<[u8; 32]>().prop_map(|t| Request::Resume {
            token: RememberToken::from_bytes(t)
        }),
        any::<[u8; 32]>().prop_map(|t| Request::SignOut {
            token: RememberToken::from_bytes(t)
        }),
    ]
}

fn response() -> impl Strategy<Value = Response> {
    prop_oneof![
        (
            bounded(64),
            any::<[u8; 32]>(),
            proptest::option::of(any::<[u8; 32]>())
        )
            .prop_map(|(name, ticket, token)| Response::Granted {
                display_name: name.as_str().try_into().unwrap(),
                ticket: SessionTicket::from_bytes(ticket),
                remember: token.map(RememberToken::from_bytes),
            }),
        (0..5usize, any::<u32>()).prop_map(|(r, secs)| Response::Denied {
            reason: [
                DenyReason::WrongCredentials,
                DenyReason::Throttled,
                DenyReason::TokenInvalid,
                DenyReason::UnsupportedVersion,
                DenyReason::ServerError,
            ][r],
            retry_after_secs: secs,
        }),
        Just(Response::SignedOut),
    ]
}

/// A genuine request frame's body and the initiator waiting for its reply.
fn genuine_request<'k>(
    device: &'k StaticKeypair,
    gateway: &StaticKeypair,
) -> (Initiator<'k>, Vec<u8>) {
    let mut initiator = Initiator::new(device, gateway.public());
    let mut wire = [0u8; MAX_WIRE_FRAME_LEN];
    let request = Request::Resume {
        token: RememberToken::from_bytes([1; 32]),
    };
    let n = initiator
        .write_request(&request, &mut OsRng, &mut wire)
        .unwrap();
    (initiator, wire[2..n].to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn frame_decoder_takes_any_stream_in_any_pieces(
        stream in proptest::collection::vec(any::<u8>(), 0..3000),
        cuts in proptest::collection::vec(1usize..64, 1..64),
    ) {
        let mut decoder: FrameDecoder<300> = FrameDecoder::new();
        let mut rest = &stream[..];
        let mut cut = cuts.iter().cycle();
        'stream: while !rest.is_empty() {
            let take = (*cut.next().unwrap()).min(rest.len());
            let (mut piece, after) = rest.split_at(take);
            rest = after;
            while !piece.is_empty() {
                match decoder.feed(&mut piece) {
                    Ok(Some(body)) => prop_assert!(!body.is_empty() && body.len() <= 300),
                    Ok(None) => prop_assert!(piece.is_empty()),
                    Err(FrameError::Oversize { len }) => { prop_assert!(len > 300); break 'stream; }
                    Err(FrameError::Empty) => break 'stream,
                    Err(other) => prop_assert!(false, "unexpected {:?}", other),
                }
            }
        }
        let _ = decoder.finish();
    }

    #[test]
    fn payload_decoders_take_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(request) = Request::decode(&bytes) {
            let mut buf = [0u8; 600];
            let again = request.encode(&mut buf).unwrap();
            prop_assert_eq!(Request::decode(again).unwrap(), request);
        }
        if let Ok(response) = Response::decode(&bytes) {
            let mut buf = [0u8; 600];
            let again = response.encode(&mut buf).unwrap();
            prop_assert_eq!(Response::decode(again).unwrap(), response);
        }
    }

    #[test]
    fn responder_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1100)) {
        let (_, gateway) = keys();
        let mut responder = Responder::new(&gateway);
        let result = responder.read_request(&bytes, &mut OsRng);
        prop_assert!(result.is_err());
        prop_assert_eq!(responder.device_key(), None);
    }

    #[test]
    fn responder_rejects_every_bit_flip(bit in 0usize..(8 * 300)) {
        let (device, gateway) = keys();
        let (_, mut body) = genuine_request(&device, &gateway);
        let bit = bit % (8 * body.len());
        body[bit / 8] ^= 1 << (bit % 8);
        let mut responder = Responder::new(&gateway);
        let result = responder.read_request(&body, &mut OsRng);
        prop_assert!(
            matches!(result, Err(SessionError::Handshake | SessionError::UnsupportedVersion { .. })),
            "{:?}", result
        );
    }

    #[test]
    fn initiator_takes_any_reply(bytes in proptest::collection::vec(any::<u8>(), 0..1100)) {
        let (device, gateway) = keys();
        let (mut initiator, _) = genuine_request(&device, &gateway);
        match initiator.read_reply(&bytes) {
            Ok(response) => prop_assert!(false, "forged reply accepted: {:?}", response),
            Err(SessionError::GatewayVersion { .. } | SessionError::Rejected | SessionError::Busy) => {
                // Plain status frames are unauthenticated by design; they only end the attempt.
                prop_assert!(bytes.len() <= 3);
            }
            Err(_) => {}
        }
        prop_assert!(initiator.read_reply(&bytes).is_err(), "an exchange ends at its first reply");
    }

    #[test]
    fn every_valid_exchange_round_trips(request in request(), response in response()) {
        let (device, gateway) = keys();
        let mut wire = [0u8; MAX_WIRE_FRAME_LEN];
        let mut initiator = Initiator::new(&device, gateway.public());
        let n = initiator.write_request(&request, &mut OsRng, &mut wire).unwrap();
        let mut responder = Responder::new(&gateway);
        prop_assert_eq!(responder.read_request(&wire[2..n], &mut OsRng).unwrap(), request);
        let n = responder.write_reply(&response, &mut wire).unwrap();
        prop_assert_eq!(initiator.read_reply(&wire[2..n]).unwrap(), response);
    }
}
