//! # padlock-simulator
//!
//! A desktop device running Padlock's real sign-in module, with the reference gateway
//! in-process on a virtual network: a window to play with, and a headless runner for QA's
//! scenario files.
//!
//! - [`device`]: the simulated device (module, display, flash, network) on virtual time;
//! - [`flash`]: file-backed NOR flash with power cuts, one file per device;
//! - [`network`]: the gateway's host on the virtual network;
//! - [`demo`]: the demo account the embedded gateway is seeded with;
//! - [`scenario`]: QA's scenario files and the headless runner;
//! - [`output`]: screenshots, the GIF of a run, its transcript and pcap file;
//! - [`window`]: the interactive device in a desktop window, driven by the PC keyboard through
//!   [`keymap`] and by a gamepad through [`gamepad`];
//! - [`bridge`]: the device's network carried to a real `padlock-server serve` over host TCP.
// Scenario files and the bridge's network are input: no panics on them.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod bridge;
pub mod demo;
pub mod device;
pub mod flash;
pub mod gamepad;
pub mod keymap;
pub mod network;
pub mod output;
pub mod scenario;
pub mod window;
