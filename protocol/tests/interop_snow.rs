//! Interoperability with an independent Noise implementation: `snow` plays the other side of
//! a real sign-in in each direction, with the same keys, prologue and framing a third-party
//! client would use from `docs/protocol.md`.

use padlock_protocol::frame::{FrameDecoder, encode_frame};
use padlock_protocol::limits::MAX_WIRE_FRAME_LEN;
use padlock_protocol::session::{
    Initiator, NOISE_PROTOCOL_NAME, PROTOCOL_VERSION, ReplyStatus, Responder, prologue,
};
use padlock_protocol::{
    DeviceInfo, DeviceKind, Password, RememberToken, Request, Response, SessionTicket,
    StaticKeypair,
};
use rand_core::OsRng;

fn sign_in() -> Request {
    Request::SignIn {
        account: "player@outlook.com".try_into().unwrap(),
        password: Password::new("abcdefghijklmnop").unwrap(),
        remember: true,
        device: DeviceInfo {
            kind: DeviceKind::Zune,
            model: "Zune 80".try_into().unwrap(),
            firmware: "3.3".try_into().unwrap(),
        },
    }
}

fn granted() -> Response {
    Response::Granted {
        display_name: "Player One".try_into().unwrap(),
        ticket: SessionTicket::from_bytes([0x11; 32]),
        remember: Some(RememberToken::from_bytes([0x22; 32])),
    }
}

fn body_of(wire: &[u8]) -> Vec<u8> {
    let mut decoder: FrameDecoder = FrameDecoder::new();
    let mut input = wire;
    let body = decoder.feed(&mut input).unwrap().unwrap().to_vec();
    assert!(input.is_empty(), "one frame expected");
    body
}

fn snow_builder(own: &StaticKeypair) -> snow::Builder<'static> {
    let secret: &'static [u8; 32] = Box::leak(Box::new(*own.secret_bytes()));
    let prologue: &'static [u8; 8] = Box::leak(Box::new(prologue(PROTOCOL_VERSION)));
    snow::Builder::new(NOISE_PROTOCOL_NAME.parse().unwrap())
        .local_private_key(secret)
        .unwrap()
        .prologue(prologue)
        .unwrap()
}

#[test]
fn padlock_device_signs_in_to_a_snow_gateway() {
    let device =
        StaticKeypair::derive_from_device_secret(b"device secret of a test console").unwrap();
    let gateway = StaticKeypair::generate(&mut OsRng);
    let mut wire = [0u8; MAX_WIRE_FRAME_LEN];

    let mut initiator = Initiator::new(&device, gateway.public());
    let n = initiator
        .write_request(&sign_in(), &mut OsRng, &mut wire)
        .unwrap();
    let body = body_of(&wire[..n]);

    // The gateway side, written from the spec with snow.
    let mut snow_gateway = snow_builder(&gateway).build_responder().unwrap();
    assert_eq!(body[0], PROTOCOL_VERSION);
    let mut plain = [0u8; 1024];
    let len = snow_gateway.read_message(&body[1..], &mut plain).unwrap();
    assert_eq!(Request::decode(&plain[..len]).unwrap(), sign_in());
    assert_eq!(snow_gateway.get_remote_static().unwrap(), device.public().0);

    let mut payload = [0u8; 256];
    let payload = granted().encode(&mut payload).unwrap().to_vec();
    let mut reply = vec![ReplyStatus::Ok as u8; 1 + 1024];
    let len = snow_gateway
        .write_message(&payload, &mut reply[1..])
        .unwrap();
    let n = encode_frame(&reply[..1 + len], &mut wire).unwrap();

    let response = initiator.read_reply(&body_of(&wire[..n])).unwrap();
    assert_eq!(response, granted());
    assert_eq!(
        initiator.handshake_hash().unwrap(),
        snow_gateway.get_handshake_hash()
    );
}

#[test]
fn snow_device_signs_in_to_a_padlock_gateway() {
    let device = StaticKeypair::generate(&mut OsRng);
    let gateway = StaticKeypair::generate(&mut OsRng);
    let gateway_public: &'static [u8; 32] = Box::leak(Box::new(gateway.public().0));

    let mut snow_device = snow_builder(&device)
        .remote_public_key(gateway_public)
        .unwrap()
        .build_initiator()
        .unwrap();
    let mut payload = [0u8; 512];
    let payload = sign_in().encode(&mut payload).unwrap().to_vec();
    let mut body = vec![PROTOCOL_VERSION; 1 + 1024];
    let len = snow_device.write_message(&payload, &mut body[1..]).unwrap();
    let mut wire = [0u8; MAX_WIRE_FRAME_LEN];
    let n = encode_frame(&body[..1 + len], &mut wire).unwrap();

    let mut responder = Responder::new(&gateway);
    let request = responder
        .read_request(&body_of(&wire[..n]), &mut OsRng)
        .unwrap();
    assert_eq!(request, sign_in());
    assert_eq!(responder.device_key(), Some(device.public()));
    let n = responder.write_reply(&granted(), &mut wire).unwrap();

    let reply = body_of(&wire[..n]);
    assert_eq!(reply[0], ReplyStatus::Ok as u8);
    let mut plain = [0u8; 512];
    let len = snow_device.read_message(&reply[1..], &mut plain).unwrap();
    assert_eq!(Response::decode(&plain[..len]).unwrap(), granted());
    assert!(snow_device.is_handshake_finished());
    assert_eq!(
        responder.handshake_hash().unwrap(),
        snow_device.get_handshake_hash()
    );
}

#[test]
fn a_device_with_the_wrong_gateway_key_is_rejected_not_misread() {
    let device = StaticKeypair::generate(&mut OsRng);
    let gateway = StaticKeypair::generate(&mut OsRng);
    let impostor = StaticKeypair::generate(&mut OsRng);
    let mut wire = [0u8; MAX_WIRE_FRAME_LEN];
    let mut initiator = Initiator::new(&device, impostor.public());
    let n = initiator
        .write_request(&sign_in(), &mut OsRng, &mut wire)
        .unwrap();
    let mut responder = Responder::new(&gateway);
    assert_eq!(
        responder.read_request(&body_of(&wire[..n]), &mut OsRng),
        Err(padlock_protocol::SessionError::Handshake)
    );
    assert_eq!(responder.device_key(), None);
    assert!(responder.write_reply(&granted(), &mut wire).is_err());
}
