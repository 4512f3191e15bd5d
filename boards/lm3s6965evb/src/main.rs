//! Padlock on the Stellaris LM3S6965 evaluation board (as QEMU emulates it).
//!
//! The image wires the board's hardware to the sign-in module: the OLED as the display, the
//! five buttons as input, the Ethernet MAC under smoltcp, a host file as the vault's flash
//! (QEMU has no writable internal flash), SysTick as the clock, and the host's entropy. The
//! main loop polls everything and sleeps nothing: QEMU's clock runs regardless.
#![no_std]
#![no_main]

mod csprng;
mod drivers;
mod provisioning;

use cortex_m::singleton;
use cortex_m_rt::entry;
use defmt_semihosting as _;
use padlock_firmware::module::{Module, Step};
use padlock_firmware::net::{IpConfig, NetBuffers, NetConfig};
use padlock_firmware::profile::OLED;
use padlock_firmware::render::Renderer;
use padlock_firmware::text::Language;
use padlock_firmware::ui::{Screen, UiConfig};
use padlock_firmware::vault::Vault;
use padlock_protocol::{PublicKey, StaticKeypair};
use smoltcp::wire::{Ipv4Address, Ipv4Cidr};

use drivers::{buttons::Buttons, clock, ethernet::Ethernet, host_flash, mmio, oled::Oled};

defmt::timestamp!("{=u64:ms}", clock::now_ms());

/// The board's Ethernet address (locally administered).
const MAC: [u8; 6] = [0x02, 0x50, 0x4C, 0x00, 0x00, 0x01];
/// Where players create app passwords.
const SECURITY_INFO_URL: &str = "https://account.example.com/security";

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    // The location only: formatting the message would pull core::fmt into the image.
    if let Some(at) = info.location() {
        defmt::error!("panic at {=str}:{=u32}", at.file(), at.line());
    } else {
        defmt::error!("panic");
    }
    cortex_m_semihosting::debug::exit(cortex_m_semihosting::debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::bkpt();
    }
}

/// Leaves the stack high-water mark in `padlock-stats.txt` beside QEMU, for the board bench.
fn report_stack_peak(peak: usize) {
    let mut digits = [0u8; 10];
    let peak =
        padlock_firmware::text::decimal(u32::try_from(peak).unwrap_or(u32::MAX), &mut digits);
    let mut line = heapless::String::<48>::new();
    let _ = line.push_str("stack_peak_bytes=");
    let _ = line.push_str(peak);
    let _ = line.push('\n');
    if let Some(mut file) =
        drivers::semihosting::File::open(b"padlock-stats.txt\0", drivers::semihosting::Mode::Create)
    {
        let _ = file.write(line.as_bytes());
    }
}

#[entry]
fn main() -> ! {
    drivers::stack::paint();
    let Some(core) = cortex_m::Peripherals::take() else {
        defmt::panic!("core peripherals taken twice");
    };
    mmio::enable_clocks();
    clock::start(core.SYST);
    defmt::info!("padlock {} booting", env!("CARGO_PKG_VERSION"));

    let mut oled = Oled::new();
    let mut buttons = Buttons::new();
    let mut rng = csprng::Csprng::from_seed(provisioning::entropy_seed());
    let record = provisioning::read();
    let secret = provisioning::device_secret(&mut rng);
    let Ok(device_keys) = StaticKeypair::derive_from_device_secret(&secret) else {
        defmt::panic!("device secret too short");
    };
    let Some(keys) = singleton!(: StaticKeypair = device_keys) else {
        defmt::panic!("keys made twice");
    };
    let keys: &'static StaticKeypair = keys;
    defmt::info!("device key {=[u8]:02x}", keys.public().0);
    let gateway_key = record.gateway_key.unwrap_or_else(|| {
        defmt::error!("no gateway key provisioned: sign-in will be rejected");
        PublicKey([0; 32])
    });

    let Some(buffers) = singleton!(: NetBuffers<'static> = NetBuffers::new()) else {
        defmt::panic!("network buffers made twice");
    };
    let mut nic = Ethernet::new(MAC);
    let mut net = NetConfig::new(
        IpConfig::Static {
            address: Ipv4Cidr::new(Ipv4Address::new(10, 0, 2, 15), 24),
            router: Some(Ipv4Address::new(10, 0, 2, 2)),
        },
        record.gateway,
        record.port,
        gateway_key,
    );
    net.mac = MAC;
    // slirp's first packets can take about a second: give the connect room.
    net.connect_timeout_ms = 8_000;

    let Some(flash) = host_flash::HostFlash::open(b"padlock-flash.bin\0") else {
        defmt::panic!("no flash file");
    };
    let vault = match Vault::new(flash, 0..host_flash::SIZE as u32, &secret) {
        Ok(vault) => vault,
        Err(e) => defmt::panic!("the vault cannot use the flash: {}", e),
    };
    let ui = UiConfig {
        profile: &OLED,
        language: Language::English,
        security_info_url: SECURITY_INFO_URL,
    };
    let now = clock::now_ms();
    let module = Module::new(
        ui,
        net,
        keys,
        &mut nic,
        buffers,
        vault,
        rng,
        env!("CARGO_PKG_VERSION"),
        now,
    );
    let mut module = match module {
        Ok(module) => module,
        Err(e) => defmt::panic!("the module cannot start: {}", e),
    };

    let size = match OLED.display.check(&oled) {
        Ok(size) => size,
        Err(e) => defmt::panic!("the OLED is not the profile's display: {}", e),
    };
    let renderer = Renderer::new(size);
    let _ = renderer.draw(&mut oled, module.ui());
    oled.flush();
    let mut shown = module.ui().screen();
    defmt::info!("screen {}", shown);
    if shown == Screen::SigningIn {
        defmt::info!("resuming the remembered sign-in");
    }

    loop {
        let now = clock::now_ms();
        let mut step = Step::default();
        while let Some(event) = buttons.poll(now) {
            step.merge(module.input(event, now));
        }
        step.merge(module.poll(&mut nic, now));
        if step.redraw != padlock_firmware::ui::Redraw::Nothing {
            defmt::debug!("redraw {}", step.redraw);
        }
        if step.leave {
            defmt::info!("left the sign-in");
        }
        let _ = renderer.redraw(&mut oled, module.ui(), step.redraw);
        oled.flush();
        if module.ui().screen() != shown {
            shown = module.ui().screen();
            let peak = drivers::stack::peak();
            defmt::info!("screen {} (stack peak {=usize} bytes)", shown, peak);
            if shown == Screen::SignedIn {
                defmt::info!("signed in as {=str}", module.ui().display_name());
            }
            report_stack_peak(peak);
        }
    }
}
