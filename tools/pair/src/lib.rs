//! # padlock-pair
//!
//! The deterministic two-party harness: a device and the gateway on the two ends of the
//! firmware's virtual [`Wire`], polled on **virtual time** that jumps straight to the next
//! thing either side or the wire has to do. A sign-in over a 200 ms link with losses takes
//! milliseconds of real time and runs the same way every time for a given seed.
//!
//! ```text
//!  device (a Module, or any Party)               gateway (padlock-server's VirtualGateway)
//!        │ poll(device_end, now)                                 │ poll(gateway_end, now)
//!      WireEnd 0 ══════ Wire (latency, loss, ...) ══════ WireEnd 1
//!
//!  Pair::poll    both sides handle what is due now
//!  Pair::advance time moves to the earliest of: the device's wake-up, the gateway's,
//!                the next packet's arrival (at least 1 ms on, at most to a limit)
//! ```
//!
//! Modelled on quinn-proto's test `Pair`: the harness owns the link and the clock and drives
//! both ends; the test owns what it drives ([`Pair::poll`] takes the device by reference, so
//! a module that borrows its buffers and keys from the test's stack fits, and so does the
//! simulator's device that can lose power).
//!
//! **Who uses it.** The simulator's device (every scenario and the window run on it), the
//! firmware's end-to-end tests and sign-in bench (through their `tests/rig`), and the
//! firmware's test of the gateway's smoltcp host (`tests/far_end.rs`, whose device side is a
//! bare smoltcp client: anything that is a [`Party`] fits).
//!
//! **Why a crate of its own.** It needs `padlock-firmware` (the device side, the wire) and
//! `padlock-server` (the gateway's host). As a part of the server, the server's library would
//! depend on the firmware; as a part of the firmware, the firmware's library would depend on the
//! server, which a `no_std` device module must not. Here no library of those two depends on it:
//! the simulator takes it as a dependency, the firmware only as a dev-dependency (its
//! integration tests and benches link the one firmware library this crate links too), so no
//! dependency cycle appears. The firmware's *unit* tests cannot use it (they are a second copy of
//! the firmware crate, whose types would not match), which is why `firmware/src/net/
//! test_gateway.rs` keeps its scripted gateway and its own small loop.

use padlock_firmware::module::{Module, Step};
use padlock_firmware::net::wire::{
    Capture, Fate, Faults, GATEWAY_ADDRESS, GATEWAY_PORT, Wire, WireEnd,
};
use padlock_server::UnixMillis;
use padlock_server::virtual_net::{FrameService, VirtualGateway, VirtualNetConfig};
use smoltcp::wire::Ipv4Cidr;

/// The device's side of the link: something polled with its end of the wire at a virtual
/// time (the gateway's side is always padlock-server's host).
pub trait Party {
    /// What a poll tells the caller (the module's [`Step`]: what to redraw).
    type Polled;

    /// Handles everything due at `now_ms`: packets that arrived, timers, replies to send.
    fn poll(&mut self, end: &mut WireEnd, now_ms: u64) -> Self::Polled;

    /// When it next has something to do on its own (a packet's arrival aside); `None`: nothing
    /// until something arrives.
    fn next_wake(&mut self, now_ms: u64) -> Option<u64>;
}

impl<F, R> Party for Module<'_, '_, F, R>
where
    F: embedded_storage::nor_flash::NorFlash,
    R: rand_core::RngCore + rand_core::CryptoRng,
{
    type Polled = Step;

    fn poll(&mut self, end: &mut WireEnd, now_ms: u64) -> Step {
        Module::poll(self, end, now_ms)
    }

    fn next_wake(&mut self, now_ms: u64) -> Option<u64> {
        Some(Module::next_wake(self, now_ms))
    }
}

/// A device that may be off: while it is `None` nothing is polled and it never wakes.
impl<P: Party> Party for Option<P> {
    type Polled = Option<P::Polled>;

    fn poll(&mut self, end: &mut WireEnd, now_ms: u64) -> Self::Polled {
        self.as_mut().map(|party| party.poll(end, now_ms))
    }

    fn next_wake(&mut self, now_ms: u64) -> Option<u64> {
        self.as_mut().and_then(|party| party.next_wake(now_ms))
    }
}

/// The wire, its two ends, the gateway on the far one, and the clock.
pub struct Pair<S> {
    /// The wire (faults, the packet tap).
    pub wire: Wire,
    /// The device's end, for the device's constructor and its polls.
    pub device_end: WireEnd,
    gateway_end: WireEnd,
    /// The gateway's host on the far end: padlock-server's smoltcp adapter answering with
    /// `S` (stop and start its service, read its counters).
    pub far_end: VirtualGateway<S>,
    /// The gateway's clock at virtual time zero.
    origin: UnixMillis,
    /// Virtual milliseconds since the pair was made.
    pub now_ms: u64,
}

impl<S: FrameService> Pair<S> {
    /// A wire whose random choices (and the gateway host's) follow `seed`, with `faults`, and
    /// the gateway answering with `service` on its usual address, its clock at `origin`.
    pub fn new(seed: u64, faults: Faults, service: S, origin: UnixMillis) -> Self {
        let config = VirtualNetConfig {
            seed,
            ..VirtualNetConfig::new(Ipv4Cidr::new(GATEWAY_ADDRESS, 24), GATEWAY_PORT)
        };
        Self::with_config(seed, faults, service, config, origin)
    }

    /// As [`Pair::new`], with the gateway host set up by `config` (its address, listeners,
    /// timeouts).
    pub fn with_config(
        seed: u64,
        faults: Faults,
        service: S,
        config: VirtualNetConfig,
        origin: UnixMillis,
    ) -> Self {
        let wire = Wire::new(seed);
        wire.set_faults(faults);
        let device_end = wire.end(0);
        let mut gateway_end = wire.end(1);
        let far_end = VirtualGateway::new(service, config, &mut gateway_end, origin);
        Self {
            wire,
            device_end,
            gateway_end,
            far_end,
            origin,
            now_ms: 0,
        }
    }

    /// The gateway's clock now.
    pub fn unix(&self) -> UnixMillis {
        UnixMillis(self.origin.0.saturating_add(self.now_ms))
    }

    /// Polls the device, then the gateway, at the current time; what the device's poll said.
    pub fn poll<D: Party>(&mut self, device: &mut D) -> D::Polled {
        self.wire.set_time(self.now_ms);
        let polled = device.poll(&mut self.device_end, self.now_ms);
        let unix = self.unix();
        self.far_end.poll(&mut self.gateway_end, unix);
        polled
    }

    /// When something is next due: the device's wake-up, the gateway's, a packet's arrival.
    pub fn next_event<D: Party>(&mut self, device: &mut D) -> Option<u64> {
        let now = self.now_ms;
        let unix = self.unix();
        [
            device.next_wake(now),
            self.far_end
                .poll_delay(unix)
                .map(|delay| now.saturating_add(delay)),
            self.wire.next_arrival(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Moves time to the next event, at least 1 ms on (what was due now has just been polled)
    /// and at most to `limit_ms`.
    pub fn advance<D: Party>(&mut self, device: &mut D, limit_ms: u64) {
        let next = self.next_event(device).unwrap_or(limit_ms);
        self.now_ms = next.clamp(self.now_ms.saturating_add(1), limit_ms.max(self.now_ms + 1));
    }

    /// Polls, then asks `done`, then moves time on, until `done` says so (at the time it first
    /// does) or `limit_ms` of virtual time passed; whether it did.
    pub fn run_until<D: Party>(
        &mut self,
        device: &mut D,
        limit_ms: u64,
        mut done: impl FnMut(&mut D) -> bool,
    ) -> bool {
        let limit = self.now_ms.saturating_add(limit_ms);
        loop {
            self.poll(device);
            if done(device) {
                return true;
            }
            if self.now_ms >= limit {
                return false;
            }
            self.advance(device, limit);
        }
    }

    /// The packets the wire's tap saw since the last call (turn it on with
    /// `wire.capture(true)`).
    pub fn take_captures(&mut self) -> Vec<Capture> {
        self.wire.take_captures()
    }

    /// How many packets the tap saw meet `fate` since the last call; forgets what it saw.
    pub fn take_packets(&mut self, fate: Fate) -> usize {
        self.take_captures()
            .iter()
            .filter(|c| c.fate == fate)
            .count()
    }
}
