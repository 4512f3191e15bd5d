//! Provisioning: what makes one device this device, and where its gateway is.
//!
//! Under QEMU the image reads, through semihosting, from the directory QEMU runs in:
//! - `padlock-provision.txt`: `gateway = 10.0.2.2:7700` and `gateway_key = <64 hex digits>`
//!   (the output of `padlock-server key show`), one per line;
//! - `padlock-device-secret.bin`: 32 bytes, made from the entropy source on first boot if
//!   missing, and kept.
//!
//! Without a record the gateway defaults to 10.0.2.2:7700 (QEMU's host) and the key to the
//! build-time `PADLOCK_GATEWAY_KEY`, if set. On a production device the record lives in a
//! protected flash page written at the factory, and the device secret in one-time-programmable
//! memory or a key store; no device secret is ever compiled into an image, and a gateway key
//! compiled in is only a default that a record overrides.

use padlock_protocol::PublicKey;
use rand_core::RngCore;
use smoltcp::wire::Ipv4Address;

use crate::drivers::semihosting::{File, Mode};

/// The provisioning record.
pub struct Record {
    /// Gateway address.
    pub gateway: Ipv4Address,
    /// Gateway TCP port.
    pub port: u16,
    /// Gateway static public key, if known.
    pub gateway_key: Option<PublicKey>,
}

/// Reads the record, falling back to the defaults above.
pub fn read() -> Record {
    let mut record = Record {
        gateway: Ipv4Address::new(10, 0, 2, 2),
        port: 7700,
        gateway_key: option_env!("PADLOCK_GATEWAY_KEY").and_then(|k| PublicKey::from_hex(k).ok()),
    };
    let mut text = [0u8; 512];
    let Some(mut file) = File::open(b"padlock-provision.txt\0", Mode::Read) else {
        defmt::warn!("no padlock-provision.txt: using defaults");
        return record;
    };
    let len = file.read(&mut text);
    let text = core::str::from_utf8(&text[..len]).unwrap_or("");
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match key.trim() {
            "gateway" => {
                if let Some((ip, port)) = value.trim().split_once(':') {
                    if let (Some(ip), Ok(port)) = (parse_ipv4(ip), port.parse()) {
                        record.gateway = ip;
                        record.port = port;
                    }
                }
            }
            "gateway_key" => record.gateway_key = PublicKey::from_hex(value).ok(),
            _ => {}
        }
    }
    record
}

fn parse_ipv4(text: &str) -> Option<Ipv4Address> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        *octet = parts.next()?.parse().ok()?;
    }
    parts
        .next()
        .is_none()
        .then(|| Ipv4Address::from_octets(octets))
}

/// The device secret: read from the host file, or made from `rng` and kept there.
pub fn device_secret(rng: &mut impl RngCore) -> [u8; 32] {
    let mut secret = [0u8; 32];
    if let Some(mut file) = File::open(b"padlock-device-secret.bin\0", Mode::Read) {
        if file.read(&mut secret) == secret.len() {
            return secret;
        }
    }
    rng.fill_bytes(&mut secret);
    let kept = File::open(b"padlock-device-secret.bin\0", Mode::Create)
        .is_some_and(|mut file| file.write(&secret));
    if kept {
        defmt::info!("new device secret made");
    } else {
        defmt::warn!("could not keep the device secret: a new one next boot");
    }
    secret
}

/// Entropy for the CSPRNG seed: the host's `/dev/urandom`.
pub fn entropy_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    let filled = File::open(b"/dev/urandom\0", Mode::Read)
        .is_some_and(|mut file| file.read(&mut seed) == seed.len());
    if !filled {
        defmt::panic!("no entropy source: refusing to run with a predictable generator");
    }
    seed
}
