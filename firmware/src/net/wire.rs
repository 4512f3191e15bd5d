//! A virtual wire for host tests and the simulator: two smoltcp devices joined in memory, with
//! latency, jitter, loss, corruption, reordering, a bandwidth limit and a link that can go
//! down, all drawn from a seeded generator on virtual time.
//!
//! Each end is a `phy::Device` of the IP medium. A packet sent at time `t` leaves once the
//! link has finished sending what was before it (at the wire's bandwidth), and reaches the
//! other end `latency` (plus up to `jitter`) later, unless the wire drops it; the caller
//! advances time with [`Wire::set_time`], so a test runs the same way every time, and as fast
//! as the CPU allows.
//!
//! A tap ([`Wire::capture`]) records what happens to every packet (sent, dropped, corrupted,
//! delivered) with its bytes, for a simulator's transcript and pcap file.
//!
//! ```
//! use padlock_firmware::net::wire::{Faults, Wire};
//! let wire = Wire::new(7);
//! wire.set_faults(Faults { latency_ms: 300, loss: 0.10, ..Faults::default() });
//! wire.capture(true);
//! let (device_end, gateway_end) = (wire.end(0), wire.end(1));
//! # let _ = (device_end, gateway_end);
//! // ... poll both interfaces, calling wire.set_time(now) as virtual time moves on ...
//! assert!(wire.take_captures().is_empty());
//! ```

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::vec::Vec;

use padlock_protocol::PublicKey;
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use smoltcp::wire::{Ipv4Address, Ipv4Cidr};

use super::{IpConfig, NetConfig};

/// The device's address on a wire's network (end 0): 10.0.0.2/24.
pub const DEVICE_ADDRESS: Ipv4Cidr = Ipv4Cidr::new(Ipv4Address::new(10, 0, 0, 2), 24);
/// The gateway's address on a wire's network (end 1).
pub const GATEWAY_ADDRESS: Ipv4Address = Ipv4Address::new(10, 0, 0, 1);
/// The gateway's TCP port on a wire's network.
pub const GATEWAY_PORT: u16 = 7000;

/// The configuration of a device at end 0 of a wire, signing in to the gateway at end 1
/// whose static key is `gateway_key`, with the default timings.
pub fn device_config(gateway_key: PublicKey) -> NetConfig {
    NetConfig::new(
        IpConfig::Static {
            address: DEVICE_ADDRESS,
            router: None,
        },
        GATEWAY_ADDRESS,
        GATEWAY_PORT,
        gateway_key,
    )
}

/// What the wire does to packets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    /// One-way delay, in milliseconds.
    pub latency_ms: u64,
    /// Extra one-way delay drawn evenly from `0..=jitter_ms` for each packet, in milliseconds.
    /// Packets keep their order unless [`Faults::reorder`] says otherwise.
    pub jitter_ms: u64,
    /// Share of packets dropped, 0.0 to 1.0.
    pub loss: f64,
    /// Share of packets with one byte flipped, 0.0 to 1.0.
    pub corruption: f64,
    /// Share of packets held back by [`REORDER_HOLD_MS`] more, so later ones overtake them,
    /// 0.0 to 1.0.
    pub reorder: f64,
    /// Link speed in bits per second, each direction (0: unlimited). A packet waits for the
    /// ones before it to finish sending.
    pub bandwidth_bps: u64,
    /// The link is down: nothing passes.
    pub down: bool,
}

/// How much longer a reordered packet takes than its followers.
pub const REORDER_HOLD_MS: u64 = 40;

impl Default for Faults {
    /// A perfect wire.
    fn default() -> Self {
        Self {
            latency_ms: 0,
            jitter_ms: 0,
            loss: 0.0,
            corruption: 0.0,
            reorder: 0.0,
            bandwidth_bps: 0,
            down: false,
        }
    }
}

/// What happened to a packet, as the tap records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Sent; it arrives at `arrival_ms`.
    Sent {
        /// When it reaches the other end.
        arrival_ms: u64,
    },
    /// Sent with one byte flipped (the bytes recorded are the corrupted ones).
    Corrupted {
        /// When it reaches the other end.
        arrival_ms: u64,
    },
    /// Held back so that later packets overtake it.
    Reordered {
        /// When it reaches the other end.
        arrival_ms: u64,
    },
    /// Dropped by the loss rate.
    Lost,
    /// Dropped: the link is down.
    LinkDown,
    /// Taken by the other end.
    Delivered,
}

/// One packet event seen by the tap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// Virtual time of the event.
    pub at_ms: u64,
    /// The end that sent the packet (0 or 1).
    pub from: usize,
    /// What happened to it.
    pub fate: Fate,
    /// The packet (an IP datagram), as it travels.
    pub bytes: Vec<u8>,
}

#[derive(Debug, Default)]
struct Shared {
    now_ms: u64,
    faults: Faults,
    /// Packets in flight towards end 0 and end 1: (arrival time, bytes), by arrival time.
    queues: [VecDeque<(u64, Vec<u8>)>; 2],
    /// When each direction's link finishes sending what it was given, in microseconds (for
    /// the bandwidth limit): towards end 0 and end 1.
    busy_until_us: [u64; 2],
    rng: u64,
    /// Bytes delivered towards each end.
    delivered: [u64; 2],
    /// The tap, when on.
    captures: Option<Vec<Capture>>,
}

impl Shared {
    /// xorshift64*: small, seeded, good enough to choose which packets to drop.
    fn random(&mut self) -> f64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn record(&mut self, from: usize, fate: Fate, bytes: &[u8]) {
        let at_ms = self.now_ms;
        if let Some(captures) = self.captures.as_mut() {
            captures.push(Capture {
                at_ms,
                from,
                fate,
                bytes: bytes.to_vec(),
            });
        }
    }

    /// Puts `packet` on the wire towards end `to`, applying the faults.
    fn send(&mut self, to: usize, mut packet: Vec<u8>) {
        let from = 1 - to.min(1);
        let faults = self.faults;
        if faults.down {
            return self.record(from, Fate::LinkDown, &packet);
        }
        if self.random() < faults.loss {
            return self.record(from, Fate::Lost, &packet);
        }
        let corrupted = self.random() < faults.corruption && !packet.is_empty();
        if corrupted {
            let at = (self.random() * packet.len() as f64) as usize % packet.len();
            if let Some(byte) = packet.get_mut(at) {
                *byte ^= 0x5A;
            }
        }
        // The link sends one packet at a time at the bandwidth; latency is on top.
        let now_us = self.now_ms.saturating_mul(1000);
        let start_us = self.busy_until_us.get(to).copied().unwrap_or(0).max(now_us);
        let send_us = match faults.bandwidth_bps {
            0 => 0,
            bps => (packet.len() as u64 * 8).saturating_mul(1_000_000) / bps,
        };
        let done_us = start_us.saturating_add(send_us);
        if let Some(busy) = self.busy_until_us.get_mut(to) {
            *busy = done_us;
        }
        let jitter = match faults.jitter_ms {
            0 => 0,
            j => (self.random() * (j + 1) as f64) as u64 % (j + 1),
        };
        // Draw only when asked, so wires without reordering keep their seeded sequences.
        let reordered = faults.reorder > 0.0 && self.random() < faults.reorder;
        let hold = if reordered { REORDER_HOLD_MS } else { 0 };
        let arrival_ms = done_us.div_ceil(1000) + faults.latency_ms + jitter + hold;
        let fate = match (corrupted, reordered) {
            (true, _) => Fate::Corrupted { arrival_ms },
            (false, true) => Fate::Reordered { arrival_ms },
            (false, false) => Fate::Sent { arrival_ms },
        };
        self.record(from, fate, &packet);
        if let Some(queue) = self.queues.get_mut(to) {
            // Keep the queue in arrival order; equal arrivals keep their sending order.
            let at = queue.partition_point(|(t, _)| *t <= arrival_ms);
            queue.insert(at, (arrival_ms, packet));
        }
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

    /// Sets what the wire does to packets from now on (packets in flight keep their arrival).
    pub fn set_faults(&self, faults: Faults) {
        self.0.borrow_mut().faults = faults;
    }

    /// What the wire does to packets now.
    pub fn faults(&self) -> Faults {
        self.0.borrow().faults
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

    /// Drops every packet in flight (a host that goes away loses what was on its way).
    pub fn flush(&self) {
        for queue in &mut self.0.borrow_mut().queues {
            queue.clear();
        }
    }

    /// Turns the tap on or off; off forgets what it recorded.
    pub fn capture(&self, on: bool) {
        let mut shared = self.0.borrow_mut();
        match (on, shared.captures.is_some()) {
            (true, false) => shared.captures = Some(Vec::new()),
            (false, true) => shared.captures = None,
            _ => {}
        }
    }

    /// What the tap recorded since the last call, oldest first.
    pub fn take_captures(&self) -> Vec<Capture> {
        self.0
            .borrow_mut()
            .captures
            .as_mut()
            .map(core::mem::take)
            .unwrap_or_default()
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
        shared.record(1 - self.index, Fate::Delivered, &packet);
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
        self.wire.0.borrow_mut().send(self.to, packet);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoltcp::phy::{RxToken as _, TxToken as _};

    /// Sends `len`-byte packets numbered by their first byte from end 0, one per `gap_ms`.
    fn send(wire: &Wire, count: u8, len: usize, gap_ms: u64) {
        let mut end = wire.end(0);
        for n in 0..count {
            wire.set_time(u64::from(n) * gap_ms);
            let tx = end.transmit(Instant::ZERO).unwrap();
            tx.consume(len, |b| b[0] = n);
        }
    }

    /// Receives at end 1 up to `until_ms`, millisecond by millisecond: (time, number).
    fn receive(wire: &Wire, until_ms: u64) -> Vec<(u64, u8)> {
        let mut end = wire.end(1);
        let mut got = Vec::new();
        for t in 0..=until_ms {
            wire.set_time(t);
            while let Some((rx, _)) = end.receive(Instant::ZERO) {
                got.push((t, rx.consume(|b| b[0])));
            }
        }
        got
    }

    #[test]
    fn latency_and_jitter_delay_within_bounds_in_order() {
        let wire = Wire::new(3);
        wire.set_faults(Faults {
            latency_ms: 100,
            jitter_ms: 30,
            ..Faults::default()
        });
        send(&wire, 50, 60, 1);
        let got = receive(&wire, 1000);
        assert_eq!(got.len(), 50);
        for (t, n) in &got {
            let sent = u64::from(*n);
            assert!((sent + 100..=sent + 130).contains(t), "{n} at {t}");
        }
        assert!(got.iter().any(|(t, n)| *t > u64::from(*n) + 110), "jitter");
    }

    #[test]
    fn reordered_packets_are_overtaken() {
        let wire = Wire::new(5);
        wire.set_faults(Faults {
            latency_ms: 10,
            reorder: 0.3,
            ..Faults::default()
        });
        send(&wire, 40, 60, 2);
        let order: Vec<u8> = receive(&wire, 500).into_iter().map(|(_, n)| n).collect();
        assert_eq!(order.len(), 40);
        assert!(order.windows(2).any(|w| w[0] > w[1]), "{order:?}");
    }

    #[test]
    fn bandwidth_spaces_packets_out() {
        let wire = Wire::new(1);
        // 1000 bytes at 80 kbit/s take 100 ms each.
        wire.set_faults(Faults {
            bandwidth_bps: 80_000,
            ..Faults::default()
        });
        send(&wire, 3, 1000, 0);
        let times: Vec<u64> = receive(&wire, 1000).into_iter().map(|(t, _)| t).collect();
        assert_eq!(times, [100, 200, 300]);
    }

    #[test]
    fn the_tap_records_each_fate() {
        let wire = Wire::new(9);
        wire.capture(true);
        wire.set_faults(Faults {
            loss: 0.5,
            ..Faults::default()
        });
        send(&wire, 20, 40, 1);
        wire.set_faults(Faults {
            down: true,
            ..Faults::default()
        });
        send(&wire, 1, 40, 1);
        let delivered = receive(&wire, 100).len();
        let captures = wire.take_captures();
        let count = |f: fn(&Fate) -> bool| captures.iter().filter(|c| f(&c.fate)).count();
        assert_eq!(count(|f| matches!(f, Fate::Delivered)), delivered);
        assert_eq!(count(|f| matches!(f, Fate::Sent { .. })), delivered);
        assert_eq!(count(|f| matches!(f, Fate::Lost)), 20 - delivered);
        assert_eq!(count(|f| matches!(f, Fate::LinkDown)), 1);
        assert!(delivered > 3 && delivered < 17, "{delivered}");
        assert!(wire.take_captures().is_empty());
    }
}
