//! Helpers for Padlock's end-to-end tests: driving the board image in QEMU, and rendering the
//! same screens on the host to compare with what the emulated OLED shows.

pub mod qemu;
pub mod screen;
