//! The board's drivers, one file each. Every `unsafe` of the image lives here, in [`mmio`],
//! [`semihosting`] and [`stack`], each block with its reason.

pub mod buttons;
pub mod clock;
pub mod ethernet;
pub mod host_flash;
pub mod mmio;
pub mod oled;
pub mod semihosting;
pub mod stack;
