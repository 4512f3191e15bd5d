//! The gateway's side of the virtual network: what answers at the far end of the firmware's
//! virtual wire, where padlock-server's smoltcp adapter (`padlock_server::virtual_net`, run by
//! the device's [`Pair`](padlock_pair::Pair)) hands each request frame to the embedded gateway
//! or to a bridge to a real one.
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

use padlock_protocol::PublicKey;
use padlock_server::UnixMillis;

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
pub(crate) type Service = Box<dyn FnMut(&[u8], UnixMillis) -> Option<Vec<u8>>>;

/// What the device side knows of the gateway at the far end of the wire; the host itself runs
/// in the device's [`Pair`](padlock_pair::Pair), answering with the [`Service`] made here.
pub(crate) struct FarEnd {
    key: PublicKey,
    embedded: Option<Arc<padlock_server::Gateway>>,
    /// What went wrong relaying to a real gateway, for the transcript.
    bridge_errors: Rc<RefCell<Vec<String>>>,
}

impl FarEnd {
    /// The far end for `choice`, and the service its host answers with.
    pub(crate) fn new(choice: &GatewayChoice) -> (Self, Service) {
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
        let far = Self {
            key,
            embedded,
            bridge_errors,
        };
        (far, service)
    }

    pub(crate) fn public_key(&self) -> PublicKey {
        self.key
    }

    pub(crate) fn embedded(&self) -> Option<&Arc<padlock_server::Gateway>> {
        self.embedded.as_ref()
    }

    /// Errors relaying to a real gateway since the last call.
    pub(crate) fn take_bridge_errors(&mut self) -> Vec<String> {
        std::mem::take(&mut self.bridge_errors.borrow_mut())
    }
}
