//! Every size the protocol bounds, in one place.
//!
//! Both ends rely on these: the device sizes its buffers from them at compile time, the gateway
//! rejects anything larger before it does any work. Changing one is a protocol version change.

/// Largest frame body (one Noise message with its one-byte header), in bytes.
pub const MAX_FRAME_LEN: usize = 1024;

/// Size of the big-endian length prefix in front of every frame body.
pub const FRAME_HEADER_LEN: usize = 2;

/// Longest email address accepted, in bytes (the SMTP path limit of RFC 5321, 256, less the
/// angle brackets).
pub const MAX_EMAIL_LEN: usize = 254;

/// Longest password accepted, in bytes (a primary password; an app password is shorter).
pub const MAX_PASSWORD_LEN: usize = 128;

/// Letters in an app password, not counting the spaces it is displayed with.
pub const APP_PASSWORD_LEN: usize = 16;

/// Longest display name a gateway may return, in bytes.
pub const MAX_DISPLAY_NAME_LEN: usize = 64;

/// Longest device model string (`"Xbox 360 S"`), in bytes.
pub const MAX_MODEL_LEN: usize = 32;

/// Longest device firmware version string (`"2.0.17559.0"`), in bytes.
pub const MAX_FIRMWARE_VERSION_LEN: usize = 24;

/// Size of a remember-me token, in bytes.
pub const REMEMBER_TOKEN_LEN: usize = 32;

/// Size of a session ticket, in bytes.
pub const SESSION_TICKET_LEN: usize = 32;

/// Letters in a link code (shown as two groups of four, `WDJB-MJHT`).
pub const LINK_CODE_LEN: usize = 8;

/// Longest link page address (`https://gw.example/link`), in bytes.
pub const MAX_LINK_ADDRESS_LEN: usize = 48;

/// Bytes that a postcard length prefix takes for a length up to `max`.
const fn varint_len(max: usize) -> usize {
    if max < 0x80 {
        1
    } else if max < 0x4000 {
        2
    } else {
        3
    }
}

/// Size of an encoded `DeviceInfo` at its largest.
const MAX_DEVICE_INFO_LEN: usize = 1
    + varint_len(MAX_MODEL_LEN)
    + MAX_MODEL_LEN
    + varint_len(MAX_FIRMWARE_VERSION_LEN)
    + MAX_FIRMWARE_VERSION_LEN;

/// Largest encoded [`Request`](crate::Request): a `SignIn` with every field full.
pub const MAX_REQUEST_LEN: usize = 1
    + varint_len(MAX_EMAIL_LEN)
    + MAX_EMAIL_LEN
    + varint_len(MAX_PASSWORD_LEN)
    + MAX_PASSWORD_LEN
    + 1
    + MAX_DEVICE_INFO_LEN;

/// Largest encoded [`Response`](crate::Response): a `Granted` with every field full.
pub const MAX_RESPONSE_LEN: usize = 1
    + varint_len(MAX_DISPLAY_NAME_LEN)
    + MAX_DISPLAY_NAME_LEN
    + SESSION_TICKET_LEN
    + 1
    + REMEMBER_TOKEN_LEN;

/// Noise bytes around the request in message 1: `e` (32), encrypted `s` (32 + 16), payload tag (16).
pub const NOISE_MESSAGE_1_OVERHEAD: usize = 32 + 48 + 16;

/// Noise bytes around the response in message 2: `e` (32), payload tag (16).
pub const NOISE_MESSAGE_2_OVERHEAD: usize = 32 + 16;

/// Largest request frame body: version byte, Noise message 1 around the largest request.
pub const MAX_REQUEST_FRAME_LEN: usize = 1 + NOISE_MESSAGE_1_OVERHEAD + MAX_REQUEST_LEN;

/// Largest reply frame body: status byte, Noise message 2 around the largest response.
pub const MAX_REPLY_FRAME_LEN: usize = 1 + NOISE_MESSAGE_2_OVERHEAD + MAX_RESPONSE_LEN;

/// Buffer that holds any whole frame of either direction, length prefix included.
pub const MAX_WIRE_FRAME_LEN: usize = FRAME_HEADER_LEN + MAX_FRAME_LEN;

// The v1 messages must fit a frame with room to spare; a failure here is a compile error.
const _: () = assert!(MAX_REQUEST_FRAME_LEN <= MAX_FRAME_LEN);
const _: () = assert!(MAX_REPLY_FRAME_LEN <= MAX_FRAME_LEN);
