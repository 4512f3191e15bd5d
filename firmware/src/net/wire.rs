//! A virtual wire for host tests and the simulator: two smoltcp devices joined in memory, with
//! latency, loss and corruption drawn from a seeded generator, on virtual time.
//!
//! Each end is a `phy::Device` of the IP medium. A packet sent at time `t` reaches the other
//! end at `t + latency` unless the wire drops it; the caller advances time with
//! [`Wire::set_time`], so a test runs the same way every time, and as fast as the CPU allows.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::vec::Vec;

use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// What the wire does to packets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    /// One-way delay, in milliseconds.
    pub latency_ms: u64,
    /// Share of packets dropped, 0.0 to 1.0.
    pub loss: f64,
    /// Share of packets with one byte flipped, 0.0 to 1.0.
    pub corruption: f64,
    /// The link is down: nothing passes.
    pub down: bool,
}

impl Default for Faults {
    /// A perfect wire.
    fn default() -> Self {
        Self {
            latency_ms: 0,
            loss: 0.0,
            corruption: 0.0,
            down: false,
        }
    }
}

#[derive(Debug, Default)]
struct Shared {
    now_ms: u64,
    faults: Faults,
    /// Packets in flight towards end 0 and end 1: (arrival time, bytes).
    queues: [VecDeque<(u64, Vec<u8>)>; 2],
    rng: u64,
    /// Bytes delivered towards each end.
    delivered: [u64; 2],
}

impl Shared {
    /// xorshift64*: small, seeded, good enough to choose which packets to drop.
    fn random(&mut self) -> f64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The wire: make one, then take its two ends.
#[derive(Debug, Clone)]
pub struct Wire(Rc<RefCell<Shared>>);

impl Wire {
    /// A perfect wire whose random choices follow `seed`.
    pub fn new(seed: u64) -> Self {
        Self(Rc::new(RefCell::new(Shared {
            rng: seed | 1,
            ..Shared::default()
        })))
    }

    /// End 0 or end 1 (any other number is end 1).
    pub fn end(&self, index: usize) -> WireEnd {
        WireEnd {
            wire: self.clone(),
            index: index.min(1),
        }
    }

    /// Sets the virtual time.
    pub fn set_time(&self, now_ms: u64) {
        self.0.borrow_mut().now_ms = now_ms;
    }

    /// Sets what the wire does to packets from now on.
    pub fn set_faults(&self, faults: Faults) {
        self.0.borrow_mut().faults = faults;
    }

    /// Bytes delivered towards end 0 and end 1 so far (IP packets, headers included).
    pub fn delivered(&self) -> [u64; 2] {
        self.0.borrow().delivered
    }

    /// When the next packet in flight arrives, if any.
    pub fn next_arrival(&self) -> Option<u64> {
        let shared = self.0.borrow();
        shared
            .queues
            .iter()
            .filter_map(|q| q.front().map(|(t, _)| *t))
            .min()
    }
}

/// One end of a [`Wire`], a smoltcp device.
#[derive(Debug)]
pub struct WireEnd {
    wire: Wire,
    index: usize,
}

impl Device for WireEnd {
    type RxToken<'a> = RxToken;
    type TxToken<'a> = TxToken;

    fn receive(&mut self, _: Instant) -> Option<(RxToken, TxToken)> {
        let mut shared = self.wire.0.borrow_mut();
        let now = shared.now_ms;
        let queue = shared.queues.get_mut(self.index)?;
        if queue.front().is_none_or(|(arrival, _)| *arrival > now) {
            return None;
        }
        let (_, packet) = queue.pop_front()?;
        if let Some(count) = shared.delivered.get_mut(self.index) {
            *count += packet.len() as u64;
        }
        Some((
            RxToken(packet),
            TxToken {
                wire: self.wire.clone(),
                to: 1 - self.index,
            },
        ))
    }

    fn transmit(&mut self, _: Instant) -> Option<TxToken> {
        Some(TxToken {
            wire: self.wire.clone(),
            to: 1 - self.index,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ip;
        caps.max_transmission_unit = 1500;
        caps
    }
}

/// A received packet.
#[derive(Debug)]
pub struct RxToken(Vec<u8>);

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

/// Room for a packet to send.
#[derive(Debug)]
pub struct TxToken {
    wire: Wire,
    to: usize,
}

impl phy::TxToken for TxToken {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut packet = std::vec![0u8; len];
        let result = f(&mut packet);
        let mut shared = self.wire.0.borrow_mut();
        let faults = shared.faults;
        if faults.down || shared.random() < faults.loss {
            return result;
        }
        if shared.random() < faults.corruption && !packet.is_empty() {
            let at = (shared.random() * packet.len() as f64) as usize % packet.len();
            if let Some(byte) = packet.get_mut(at) {
                *byte ^= 0x5A;
            }
        }
        let arrival = shared.now_ms + faults.latency_ms;
        if let Some(queue) = shared.queues.get_mut(self.to) {
            queue.push_back((arrival, packet));
        }
        result
    }
}
