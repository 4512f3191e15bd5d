//! The transcript: what a run did and saw, one line each, on virtual time. The same scenario
//! with the same seed writes the same transcript, byte for byte (no wall-clock times, no
//! absolute paths), so two runs can be compared with `diff`.
//!
//! ```text
//!      0.000 s  boot
//!      0.000 s  screen account
//!      0.000 s  step 4: type {email}
//!      2.140 s  net device → gateway  TCP SYN, 0 bytes of data  lost
//!      2.861 s  outcome granted
//! ```

use std::fmt::Write as _;
use std::io::{self, Write};

use padlock_firmware::net::wire::{Capture, Fate};
use smoltcp::wire::{IpProtocol, Ipv4Packet, TcpPacket};

use crate::device::{Event, Timed};

/// Lines of a transcript, written as they come.
pub struct Transcript<W: Write> {
    out: W,
}

impl<W: Write> Transcript<W> {
    /// A transcript written to `out`.
    pub fn new(out: W) -> Self {
        Self { out }
    }

    /// A line at `at_ms`.
    ///
    /// # Errors
    /// Whatever the output returns.
    pub fn line(&mut self, at_ms: u64, text: &str) -> io::Result<()> {
        writeln!(self.out, "{:>10}  {text}", seconds(at_ms))
    }

    /// A line without a time (headers, the verdict).
    ///
    /// # Errors
    /// Whatever the output returns.
    pub fn note(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "{text}")
    }

    /// A device event.
    ///
    /// # Errors
    /// Whatever the output returns.
    pub fn event(&mut self, timed: &Timed) -> io::Result<()> {
        let text = match &timed.event {
            Event::Boot => "boot".to_owned(),
            Event::Screen(name) => format!("screen {name}"),
            Event::Outcome(name) => format!("outcome {name}"),
            Event::Packet(capture) => format!("net {}", describe(capture)),
            Event::PowerCut => "power cut during a flash write: the device is off".to_owned(),
            Event::Left => "the player left the sign-in".to_owned(),
            Event::BridgeError(why) => format!("bridge: {why}"),
        };
        self.line(timed.at_ms, &text)
    }

    /// Flushes and gives the output back.
    ///
    /// # Errors
    /// Whatever the output returns.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// `12.345 s`.
pub fn seconds(ms: u64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

/// One packet, as QA reads it: direction, TCP flags and data length, what the wire did.
pub fn describe(capture: &Capture) -> String {
    let direction = if capture.from == 0 {
        "device → gateway"
    } else {
        "gateway → device"
    };
    let fate = match capture.fate {
        Fate::Sent { arrival_ms } => format!("sent, arrives {}", seconds(arrival_ms)),
        Fate::Corrupted { arrival_ms } => {
            format!("sent CORRUPTED, arrives {}", seconds(arrival_ms))
        }
        Fate::Reordered { arrival_ms } => {
            format!(
                "sent, held back (reordered), arrives {}",
                seconds(arrival_ms)
            )
        }
        Fate::Lost => "LOST".to_owned(),
        Fate::LinkDown => "not sent: link down".to_owned(),
        Fate::Delivered => "delivered".to_owned(),
    };
    format!("{direction}  {}  {fate}", packet_summary(&capture.bytes))
}

/// `TCP SYN ACK, 0 bytes of data` for a TCP segment, else the IP protocol and size.
fn packet_summary(bytes: &[u8]) -> String {
    let Ok(ip) = Ipv4Packet::new_checked(bytes) else {
        return format!("{} bytes, not IPv4", bytes.len());
    };
    if ip.next_header() != IpProtocol::Tcp {
        return format!("IPv4 {}, {} bytes", ip.next_header(), bytes.len());
    }
    let Ok(tcp) = TcpPacket::new_checked(ip.payload()) else {
        return format!("TCP, {} bytes, malformed", bytes.len());
    };
    let mut flags = String::new();
    for (set, name) in [
        (tcp.syn(), "SYN"),
        (tcp.ack(), "ACK"),
        (tcp.psh(), "PSH"),
        (tcp.fin(), "FIN"),
        (tcp.rst(), "RST"),
    ] {
        if set {
            let _ = write!(flags, " {name}");
        }
    }
    let data = tcp.payload().len();
    format!("TCP{flags}, {data} bytes of data")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_virtual_seconds() {
        let mut t = Transcript::new(Vec::new());
        t.line(2_861, "outcome granted").unwrap();
        t.event(&Timed {
            at_ms: 5,
            event: Event::Screen("account"),
        })
        .unwrap();
        let text = String::from_utf8(t.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "   2.861 s  outcome granted\n   0.005 s  screen account\n"
        );
    }

    #[test]
    fn a_packet_that_is_not_ip_says_so() {
        let capture = Capture {
            at_ms: 0,
            from: 1,
            fate: Fate::Lost,
            bytes: vec![1, 2, 3],
        };
        assert_eq!(
            describe(&capture),
            "gateway → device  3 bytes, not IPv4  LOST"
        );
    }
}
