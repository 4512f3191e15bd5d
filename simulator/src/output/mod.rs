//! What a run leaves behind: PNG screenshots, an animated GIF of the whole run, a transcript,
//! and the device's traffic as a pcap file.

pub mod gif;
pub mod pcap;
pub mod png;
pub mod transcript;
