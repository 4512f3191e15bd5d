//! The gateway's side of the virtual network: the host at the wire's [`GATEWAY_ADDRESS`] on
//! the far end of the firmware's virtual wire, running padlock-server's smoltcp adapter
//! (`padlock_server::virtual_net`) in front of the embedded gateway or a bridge to a real one.
//!
//! This module knows nothing of the device: [`crate::device`] uses it, never the other way
//! round.
//!
//! The host can stop and start its service: stopped, the host is still on the network and
//! refuses connections (the device says it cannot reach the gateway), as when the server
//! process is down.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use padlock_firmware::net::wire::{GATEWAY_ADDRESS, GATEWAY_PORT, Wire, WireEnd};
use padlock_protocol::PublicKey;
use padlock_server::UnixMillis;
use padlock_server::virtual_net::{VirtualGateway, VirtualNetConfig};
use smoltcp::wire::Ipv4Cidr;

use crate::bridge::Bridge;

/// Virtual time zero on the embedded gateway's clock in scenarios: 2026-01-01T00:00:00Z, so runs
/// are reproducible (token lifetimes, throttling and grace windows count from here). The
/// interactive window starts the clock at the wall clock's time instead, because its gateway's
/// database outlives the run.
pub const EPOCH: UnixMillis = UnixMillis(1_767_225_600_000);

/// The gateway the device signs in with.
#[derive(Clone)]
pub enum GatewayChoice {
    /// padlock-server's core in-process on the virtual network (the demo account seeded by
    /// [`crate::demo::seed`]).
    Embedded(Arc<padlock_server::Gateway>),
    /// The far end forwards each request frame to a real `padlock-server serve` over host TCP.
    Bridge {
        /// Where the real gateway listens.
        addr: std::net::SocketAddr,
        /// Its public key (`padlock-server key show`).
        key: padlock_protocol::PublicKey,
    },
}

/// What answers the request frames: the embedded gateway or the bridge.
type Service = Box<dyn FnMut(&[u8], UnixMillis) -> Option<Vec<u8>>>;

/// The host at the gateway's end of the wire.
pub(crate) struct FarEnd {
    end: WireEnd,
    host: VirtualGateway<Service>,
    key: PublicKey,
    embedded: Option<Arc<padlock_server::Gateway>>,
    /// What went wrong relaying to a real gateway, for the transcript.
    bridge_errors: Rc<RefCell<Vec<String>>>,
    /// The gateway's clock at virtual time zero.
    origin: UnixMillis,
}

impl FarEnd {
    pub(crate) fn new(wire: &Wire, choice: &GatewayChoice, seed: u64, origin: UnixMillis) -> Self {
        let bridge_errors = Rc::new(RefCell::new(Vec::new()));
        let (key, embedded, service): (_, _, Service) = match choice {
            GatewayChoice::Embedded(gateway) => {
                let answering = gateway.clone();
                (
                    gateway.public_key(),
                    Some(gateway.clone()),
                    Box::new(move |body: &[u8], now| answering.answer(body, now)),
                )
            }
            GatewayChoice::Bridge { addr, key } => {
                let bridge = Bridge::new(*addr);
                let errors = bridge_errors.clone();
                (
                    *key,
                    None,
                    Box::new(move |body: &[u8], _| match bridge.exchange(body) {
                        Ok(reply) => reply,
                        Err(e) => {
                            errors.borrow_mut().push(e.to_string());
                            None
                        }
                    }),
                )
            }
        };
        let mut end = wire.end(1);
        let config = VirtualNetConfig {
            seed,
            ..VirtualNetConfig::new(Ipv4Cidr::new(GATEWAY_ADDRESS, 24), GATEWAY_PORT)
        };
        let host = VirtualGateway::new(service, config, &mut end, origin);
        Self {
            end,
            host,
            key,
            embedded,
            bridge_errors,
            origin,
        }
    }

    pub(crate) fn public_key(&self) -> PublicKey {
        self.key
    }

    pub(crate) fn embedded(&self) -> Option<&Arc<padlock_server::Gateway>> {
        self.embedded.as_ref()
    }

    /// The gateway's clock at virtual time `now_ms`.
    fn gateway_time(&self, now_ms: u64) -> UnixMillis {
        UnixMillis(self.origin.0.saturating_add(now_ms))
    }

    pub(crate) fn running(&self) -> bool {
        self.host.accepting()
    }

    pub(crate) fn set_running(&mut self, running: bool) {
        self.host.set_accepting(running);
    }

    pub(crate) fn poll(&mut self, now_ms: u64) {
        let now = self.gateway_time(now_ms);
        self.host.poll(&mut self.end, now);
    }

    pub(crate) fn next_wake(&mut self, now_ms: u64) -> Option<u64> {
        self.host
            .poll_delay(self.gateway_time(now_ms))
            .map(|delay| now_ms.saturating_add(delay))
    }

    /// Errors relaying to a real gateway since the last call.
    pub(crate) fn take_bridge_errors(&mut self) -> Vec<String> {
        std::mem::take(&mut self.bridge_errors.borrow_mut())
    }
}
