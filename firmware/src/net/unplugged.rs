//! A network device with no cable in: for bringing a board up before its network driver works.
//!
//! [`Unplugged`] is a smoltcp Ethernet device that never receives and never has room to send.
//! The module runs on it as on a real device with the link down: the screens, the keyboard and
//! the vault all work, and Sign in ends in "timed out" once the connect attempts have used
//! their time (about 16 s with the default timeouts). Replace it with
//! the board's Ethernet or Wi-Fi driver (any smoltcp `phy::Device`) once that works.

use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// A smoltcp device whose link is down for good.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unplugged;

/// A token no [`Unplugged`] device ever hands out.
#[derive(Debug)]
pub enum NoPacket {}

impl phy::RxToken for NoPacket {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, _: F) -> R {
        match self {}
    }
}

impl phy::TxToken for NoPacket {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, _: usize, _: F) -> R {
        match self {}
    }
}

impl Device for Unplugged {
    type RxToken<'a> = NoPacket;
    type TxToken<'a> = NoPacket;

    fn receive(&mut self, _: Instant) -> Option<(NoPacket, NoPacket)> {
        None
    }

    fn transmit(&mut self, _: Instant) -> Option<NoPacket> {
        None
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = 1514;
        caps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::test_gateway::sign_in;
    use crate::net::wire::device_config;
    use crate::net::{NetBuffers, Network};
    use padlock_protocol::{PublicKey, StaticKeypair};
    use rand_core::OsRng;

    #[test]
    fn a_sign_in_over_no_cable_ends_and_says_why() {
        let keys = StaticKeypair::derive_from_device_secret(&[9; 32]).unwrap();
        let mut buffers = NetBuffers::new();
        let mut nic = Unplugged;
        let config = device_config(PublicKey([1; 32]));
        let mut net = Network::new(config, &keys, &mut nic, &mut buffers, &mut OsRng, 0);
        net.start(sign_in(), 0);
        let mut now = 0;
        let finished = loop {
            if let Some(finished) = net.poll(&mut nic, &mut OsRng, now) {
                break finished;
            }
            assert!(now < 120_000, "the attempt never ended");
            now += net.poll_delay(now).unwrap_or(100).max(1);
        };
        assert_eq!(
            finished,
            Err(crate::net::Failure::TimedOut),
            "after {now} ms"
        );
    }
}
