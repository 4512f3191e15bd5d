//! The rig the end-to-end tests and the `signin` bench share: the device module and the real
//! gateway core (`padlock-server`, in-memory SQLite, fast hashing) on the two ends of a virtual
//! wire, on virtual time.
//!
//! ```text
//!  Module (smoltcp, 10.0.0.2) ── WireEnd 0 ══ Wire (latency, loss) ══ WireEnd 1 ── VirtualGateway
//!        ▲ player::press / type_text                                     (smoltcp, 10.0.0.1:7000)
//!        │                                                                 │ FrameService
//!     the test                                                        Arc<Gateway> ◀── admin API
//! ```
//!
//! The wire, the clock and the loop are `padlock-pair`'s [`Pair`], which the simulator's
//! device runs on too: time only moves when [`Pair::run_until`] moves it, polling both sides
//! and then jumping to the next thing that can happen (a packet's arrival, a timer of either
//! side), so a sign-in over a 200 ms link with losses takes milliseconds of real time and runs
//! the same way each time for a given seed. This rig adds the account, the module's set-up
//! and the admin API.

#![allow(dead_code, reason = "each test target uses part of the rig")]

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use padlock_firmware::module::Module;
use padlock_firmware::net::wire::{Faults, device_config};
use padlock_firmware::net::{NetBuffers, NetConfig};
use padlock_firmware::profile::Profile;
use padlock_firmware::text::Language;
use padlock_firmware::ui::{Screen, UiConfig};
use padlock_firmware::vault::Vault;
use padlock_firmware::vault::mem_flash::MemFlash;
use padlock_pair::Pair;
use padlock_protocol::StaticKeypair;
use padlock_server::virtual_net::FrameService;
use padlock_server::{Gateway, GatewayConfig, UnixMillis};
use rand_core::OsRng;

/// The player's account.
pub const EMAIL: &str = "alex@outlook.com";
/// The name the gateway greets the player with.
pub const DISPLAY_NAME: &str = "Alex";
/// The account's primary password (letters only, so the app-password keyboard types it).
pub const PRIMARY_PASSWORD: &str = "correcthorse";
/// The device's secret: its Noise key and its vault key come from it.
pub const DEVICE_SECRET: &[u8] = b"end to end test device secret 32";
/// Virtual time 0 on the gateway's clock (2026-09-21).
pub const EPOCH_MS: u64 = 1_790_000_000_000;

/// The vault's flash: four 1 KB sectors.
pub type Flash = MemFlash<4096, 1024, 4>;
/// The module under test.
pub type TestModule<'a, 'k> = Module<'a, 'k, Flash, OsRng>;

/// 10% of packets lost and 200 ms each way: the issue's bad network.
pub fn lossy() -> Faults {
    Faults {
        latency_ms: 200,
        loss: 0.10,
        ..Faults::default()
    }
}

/// The device's static keys (from [`DEVICE_SECRET`]).
pub fn device_keys() -> StaticKeypair {
    StaticKeypair::derive_from_device_secret(DEVICE_SECRET).expect("a 32-byte secret")
}

/// The device's wire and clock shared with the gateway's side ([`Pair`], which the rig
/// dereferences to: `rig.now_ms`, `rig.wire`, `rig.far_end`, `rig.run_until`), and the gateway
/// core for its admin API. `S` answers the device's frames on the gateway's side (the gateway
/// itself, or a script in front of it that plays a misbehaving peer).
pub struct GatewayPair<S: FrameService = Arc<Gateway>> {
    pair: Pair<S>,
    /// The gateway core, for its admin API.
    pub gateway: Arc<Gateway>,
}

impl<S: FrameService> Deref for GatewayPair<S> {
    type Target = Pair<S>;

    fn deref(&self) -> &Self::Target {
        &self.pair
    }
}

impl<S: FrameService> DerefMut for GatewayPair<S> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.pair
    }
}

/// The link page a gateway with links offers ([`GatewayPair::with_links`]).
pub const LINK_ADDRESS: &str = "https://gw.example/link";

impl GatewayPair {
    /// A fresh gateway with one two-step account ([`EMAIL`]), on a wire with `faults` whose
    /// random choices follow `seed`.
    pub fn new(seed: u64, faults: Faults) -> Self {
        Self::scripted(seed, faults, |gateway| gateway)
    }

    /// As [`GatewayPair::new`], the gateway offering phone links at [`LINK_ADDRESS`].
    pub fn with_links(seed: u64, faults: Faults) -> Self {
        let address = padlock_protocol::LinkAddress::new(LINK_ADDRESS).expect("an address");
        Self::configured(
            seed,
            faults,
            |config| config.with_link_address(address),
            |g| g,
        )
    }
}

impl<S: FrameService> GatewayPair<S> {
    /// As [`GatewayPair::new`], with the device's frames answered by what `script` makes of the
    /// gateway.
    pub fn scripted(seed: u64, faults: Faults, script: impl FnOnce(Arc<Gateway>) -> S) -> Self {
        Self::configured(seed, faults, |config| config, script)
    }

    /// As [`GatewayPair::scripted`], with the gateway's configuration changed by `configure`.
    pub fn configured(
        seed: u64,
        faults: Faults,
        configure: impl FnOnce(GatewayConfig) -> GatewayConfig,
        script: impl FnOnce(Arc<Gateway>) -> S,
    ) -> Self {
        let mut rng_seed = [0u8; 32];
        rng_seed[..8].copy_from_slice(&seed.to_le_bytes());
        let config = configure(GatewayConfig::default().fast_hashing().seeded(rng_seed));
        let gateway = Arc::new(Gateway::in_memory(config).expect("an in-memory gateway"));
        gateway
            .add_account(EMAIL, DISPLAY_NAME, PRIMARY_PASSWORD, true)
            .expect("a fresh account");
        let pair = Pair::new(seed, faults, script(gateway.clone()), UnixMillis(EPOCH_MS));
        Self { pair, gateway }
    }

    /// A new app password for [`EMAIL`], as the player types it (16 letters, no spaces).
    pub fn app_password(&self) -> String {
        let created = self
            .gateway
            .create_app_password(EMAIL, "Xbox 360", self.unix())
            .expect("an app password");
        created.formatted.replace(' ', "")
    }

    /// The device's network configuration: beside the gateway, default timings.
    pub fn net_config(&self) -> NetConfig {
        device_config(self.gateway.public_key())
    }

    /// Starts a module of `profile` on `flash` (a power-on: whatever the vault holds, it
    /// finds), without running it.
    pub fn power_on<'a, 'k>(
        &mut self,
        profile: &'static Profile,
        keys: &'k StaticKeypair,
        buffers: &'a mut NetBuffers<'a>,
        flash: Flash,
    ) -> TestModule<'a, 'k> {
        let vault = Vault::new(flash, 0..4096, DEVICE_SECRET).expect("a whole-sector range");
        let ui = UiConfig {
            profile,
            language: Language::English,
            security_info_url: "https://account.example.com/security",
        };
        let (net, now_ms) = (self.net_config(), self.now_ms);
        Module::new(
            ui,
            net,
            keys,
            &mut self.device_end,
            buffers,
            vault,
            OsRng,
            "1.0.0",
            now_ms,
        )
        .expect("the built-in profiles and a static address start")
    }

    /// Steps until nothing is in flight: no exchange, no "Signing in" (two minutes at most).
    pub fn settle(&mut self, module: &mut TestModule<'_, '_>) {
        let settled = self.run_until(module, 120_000, |m| {
            !m.network().busy() && m.ui().screen() != Screen::SigningIn
        });
        assert!(settled, "still busy after two minutes of virtual time");
    }
}
