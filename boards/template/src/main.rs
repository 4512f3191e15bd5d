//! Padlock on a small board: the crate an integrator copies.
//!
//! A Cortex-M0+ (`thumbv6m-none-eabi`, RP2040-class), a 128 × 64 monochrome OLED, four
//! directions, select and Back. Everything board-specific is in [`board`], one small part
//! each, marked REPLACE where the real driver goes; this file is the setup and the main loop
//! exactly as `docs/integrating.md` gives them, and stays as it is.
//!
//! Build: `cargo build --release` here (features: `defmt` for logs, `dhcp` for DHCPv4).
#![no_std]
#![no_main]

mod board;

use cortex_m::singleton;
use cortex_m_rt::entry;
use padlock_firmware::module::{Module, Step};
use padlock_firmware::net::{IpConfig, NetBuffers, NetConfig};
use padlock_firmware::profile::MONO_128X64;
use padlock_firmware::render::Renderer;
use padlock_firmware::text::Language;
use padlock_firmware::ui::UiConfig;
use padlock_firmware::vault::Vault;
use padlock_protocol::StaticKeypair;
#[cfg(not(feature = "dhcp"))]
use smoltcp::wire::{Ipv4Address, Ipv4Cidr};

#[cfg(feature = "defmt")]
use defmt_semihosting as _;

use board::{Buttons, Flash, Frame, GATEWAY, Nic, Oled, TestOnlyRng};

/// Logs through defmt with the `defmt` feature; nothing without it.
macro_rules! log {
    ($($arg:tt)*) => {
        #[cfg(feature = "defmt")]
        defmt::info!($($arg)*);
    };
}

/// Where players create app passwords (shown on the wrong-credentials screen).
const SECURITY_INFO_URL: &str = "https://account.example.com/security";

#[cfg(feature = "defmt")]
defmt::timestamp!("{=u64:ms}", board::now_ms());

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    stop("panic")
}

/// A configuration the device cannot run with: log it and stop.
fn stop(why: &str) -> ! {
    log!("stopped: {=str}", why);
    let _ = why;
    loop {
        cortex_m::asm::bkpt();
    }
}

#[entry]
fn main() -> ! {
    let Some(core) = cortex_m::Peripherals::take() else {
        stop("core peripherals taken twice")
    };
    board::start_clock(core.SYST);
    log!("test-only RNG and device secret: not for a device that leaves the bench");

    // 1. The device secret feeds both the device's key and the vault's key.
    let secret = board::device_secret();
    let Ok(keys) = StaticKeypair::derive_from_device_secret(&secret) else {
        stop("device secret under 16 bytes")
    };
    // 2. The key and the socket buffers outlive the module: give them static homes.
    let Some(keys) = singleton!(: StaticKeypair = keys) else {
        stop("keys made twice")
    };
    let Some(buffers) = singleton!(: NetBuffers<'static> = NetBuffers::new()) else {
        stop("network buffers made twice")
    };
    // 3. The vault: the flash, whole sectors of it, sealed under the device secret.
    let vault = match Vault::new(Flash::new(), board::FLASH_RANGE, &secret) {
        Ok(vault) => vault,
        Err(_) => stop("the vault cannot use the flash range"),
    };
    // 4. The screens: the profile, the language, the app-password page.
    let ui = UiConfig {
        profile: &MONO_128X64,
        language: Language::English,
        security_info_url: SECURITY_INFO_URL,
    };
    // 5. The network: how to get an address, where the gateway is and its key.
    #[cfg(not(feature = "dhcp"))]
    let ip = IpConfig::Static {
        address: Ipv4Cidr::new(Ipv4Address::new(192, 168, 1, 50), 24),
        router: Some(Ipv4Address::new(192, 168, 1, 1)),
    };
    #[cfg(feature = "dhcp")]
    let ip = IpConfig::Dhcp;
    let net = NetConfig::new(ip, GATEWAY.address, GATEWAY.port, GATEWAY.key);

    let mut nic = Nic::default();
    let mut display = Frame::new();
    let mut oled = Oled;
    let mut buttons = Buttons::default();
    let rng = TestOnlyRng::new();
    let version = env!("CARGO_PKG_VERSION");
    let now = board::now_ms();
    let module = Module::new(ui, net, keys, &mut nic, buffers, vault, rng, version, now);
    let Ok(mut module) = module else {
        stop("the profile or the network configuration is refused")
    };
    let Ok(size) = MONO_128X64.display.check(&display) else {
        stop("the display is not the profile's")
    };
    let renderer = Renderer::new(size);
    let _ = renderer.draw(&mut display, module.ui());
    let _ = display.flush(&mut oled);

    loop {
        let now = board::now_ms();
        let mut step = Step::default();
        while let Some(event) = buttons.poll(now) {
            step.merge(module.input(event, now));
        }
        step.merge(module.poll(&mut nic, now));
        let _ = renderer.redraw(&mut display, module.ui(), step.redraw);
        let _ = display.flush(&mut oled);
        if step.leave {
            log!("the player left the sign-in: show the device's own menu");
        }
        board::sleep_until(module.next_wake(now), &buttons);
    }
}
