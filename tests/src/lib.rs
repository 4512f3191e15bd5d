//! Helpers for Padlock's end-to-end tests and board figures: driving the board image in QEMU,
//! reading its log, running the real gateway beside it, rendering the same screens on the host
//! to compare with what the emulated OLED shows, and reading an image's flash and RAM from its
//! ELF.

pub mod device_log;
pub mod elf;
pub mod gateway;
pub mod qemu;
pub mod screen;
pub mod signin;
