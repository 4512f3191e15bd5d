//! `padlock-simulator`: the device on the desktop.
//!
//! ```text
//! padlock-simulator [--profile xbox360|zune|oled] [--lang en|nl] [--device NAME] [--forget]
//!                   [--gateway HOST:PORT --gateway-key KEY] [--scale N] [--headless]
//! padlock-simulator run SCENARIO... [--out DIR] [--pcap]
//! ```
//!
//! Without a subcommand it opens a window with the device signing in to the gateway embedded
//! in-process (a demo account with two-step on, whose app password it prints), and serves that
//! gateway's Security info page on a free loopback port (printed, with the account's sign-in
//! details and a way past the second step without a phone), or, with
//! `--gateway`, to a real `padlock-server serve`. Where no window can open it says so in one
//! line and plays the demo scenario headless instead. `run` is the headless QA runner.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use padlock_firmware::profile::{self, Profile};
use padlock_firmware::text::Language;
use padlock_protocol::PublicKey;
use padlock_server::web::{self, WebConfig};
use padlock_server::{Gateway, UnixMillis};
use padlock_simulator::demo;
use padlock_simulator::device::{Device, DeviceOptions, GatewayChoice, default_home};
use padlock_simulator::keymap::KeyMap;
use padlock_simulator::scenario::{self, RunOptions};
use padlock_simulator::window::{DeviceWindow, WindowError};

/// The simulated Padlock device: the real sign-in module in a desktop window.
#[derive(Parser, Debug)]
#[command(name = "padlock-simulator", version, about, long_about = None)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    device: DeviceArgs,
    /// Magnify the display this many times (default: to about 720 pixels high, at most 8).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=16))]
    scale: Option<u32>,
    /// Play the demo scenario headless even where a window could open.
    #[arg(long)]
    headless: bool,
    /// Where the headless demo writes its screenshots, GIF and transcript.
    #[arg(long, default_value = "padlock-demo")]
    out: PathBuf,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run scenario files headless; the exit status is non-zero on the first failed
    /// expectation (docs/scenarios.md has the format).
    Run(RunArgs),
}

#[derive(Args, Debug)]
struct RunArgs {
    /// The scenario files, run in order.
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
    /// Where screenshots, the GIF, the transcript and the pcap go (one folder per scenario).
    #[arg(long, default_value = "padlock-runs")]
    out: PathBuf,
    /// Also write the device's traffic as a pcap file.
    #[arg(long)]
    pcap: bool,
    /// Seed for every scenario (default: the file's `seed` line, else 1).
    #[arg(long)]
    seed: Option<u64>,
}

#[derive(Args, Debug)]
struct DeviceArgs {
    /// The kind of device: xbox360 (1280 × 720, full controller), zune (240 × 320, click-pad),
    /// oled (128 × 64 grey, four directions and select).
    #[arg(long, default_value = "xbox360", value_parser = parse_profile)]
    profile: &'static Profile,
    /// The language of its screens (en, nl).
    #[arg(long, default_value = "en", value_parser = parse_language)]
    lang: Language,
    /// The simulated device's name: its flash (a remembered sign-in), secret and embedded
    /// gateway are kept under this name between runs (default: the profile's name, so each
    /// kind of device has its own).
    #[arg(long = "device")]
    name: Option<String>,
    /// Wipe the device's flash first (forget a remembered sign-in).
    #[arg(long)]
    forget: bool,
    /// Seeds the device's entropy and the virtual network's random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Sign in with a real `padlock-server serve` at HOST:PORT instead of the embedded gateway.
    #[arg(long, requires = "gateway_key")]
    gateway: Option<String>,
    /// The real gateway's public key: 64 hex digits, as `padlock-server key show` prints it.
    #[arg(long, requires = "gateway", value_parser = parse_key)]
    gateway_key: Option<PublicKey>,
}

impl DeviceArgs {
    /// `--device`, else the profile's name.
    fn device_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.profile.name.to_owned())
    }
}

fn parse_profile(name: &str) -> Result<&'static Profile, String> {
    profile::by_name(name).ok_or_else(|| {
        let names: Vec<&str> = profile::ALL.iter().map(|p| p.name).collect();
        format!("unknown profile `{name}` (one of: {})", names.join(", "))
    })
}

fn parse_language(code: &str) -> Result<Language, String> {
    Language::ALL
        .into_iter()
        .find(|l| l.code() == code)
        .ok_or_else(|| {
            let codes: Vec<&str> = Language::ALL.iter().map(|l| l.code()).collect();
            format!("unknown language `{code}` (one of: {})", codes.join(", "))
        })
}

fn parse_key(hex: &str) -> Result<PublicKey, String> {
    PublicKey::from_hex(hex.trim())
        .map_err(|e| format!("{e} (as `padlock-server key show --db FILE` prints it)"))
}

fn resolve(addr: &str) -> Result<SocketAddr, String> {
    addr.to_socket_addrs()
        .map_err(|e| format!("--gateway {addr}: {e}"))?
        .next()
        .ok_or_else(|| format!("--gateway {addr}: no address"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Run(ref args)) => run_scenarios(args),
        None => interactive(&cli),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("padlock-simulator: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The window, or the headless demo where there is no display.
fn interactive(cli: &Cli) -> Result<ExitCode, String> {
    let args = &cli.device;
    let name = args.device_name();
    let title = format!("Padlock simulator: {} ({name})", args.profile.model);
    let window = if cli.headless {
        Err(None)
    } else {
        DeviceWindow::open(args.profile, cli.scale, &title).map_err(Some)
    };
    let window = match window {
        Ok(window) => window,
        Err(why) => return headless_demo(why, &cli.out),
    };

    let home = default_home();
    // The device's own folder (`DeviceOptions::dir`): the embedded gateway's database too.
    let dir = home.join(&name);
    let gateway = match (&args.gateway, args.gateway_key) {
        (Some(addr), Some(key)) => {
            let addr = resolve(addr)?;
            println!("gateway: padlock-server at {addr}, bridged over host TCP");
            GatewayChoice::Bridge { addr, key }
        }
        _ => {
            let gateway = Arc::new(embedded_gateway(&dir)?);
            serve_security_info(gateway.clone())?;
            GatewayChoice::Embedded(gateway)
        }
    };
    let opts = DeviceOptions {
        profile: args.profile,
        lang: args.lang,
        name: name.clone(),
        home,
        forget: args.forget,
        seed: args.seed,
        gateway,
        clock_origin: UnixMillis::now(),
    };
    println!(
        "device: {} `{}` in {}{}",
        args.profile.model,
        name,
        opts.dir().display(),
        if args.forget { " (flash wiped)" } else { "" }
    );
    print_key_map(args.profile);
    let mut device = Device::new(opts).map_err(|e| format!("device: {e}"))?;
    window.run(&mut device).map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// The embedded gateway of the device in `dir` ([`demo::kept_gateway`]): its database, keys
/// and demo app password live beside the device's flash, so a remembered sign-in still
/// resumes after a restart and each start prints the same app password.
fn embedded_gateway(dir: &Path) -> Result<Gateway, String> {
    let (gateway, app_password) = demo::kept_gateway(dir, UnixMillis::now())?;
    println!(
        "gateway: embedded ({}), with a demo account, two-step on",
        dir.join("gateway.sqlite").display()
    );
    println!("  email:        {}", demo::EMAIL);
    println!(
        "  password:     {} (refused on devices: two-step is on)",
        demo::PASSWORD
    );
    println!("  app password: {app_password}");
    let second_step = gateway
        .set_up_authenticator(demo::EMAIL, UnixMillis::now())
        .map_err(|e| format!("demo account: {e}"))?;
    println!(
        "  second step on the Security info page: a code from an authenticator app given the key {}",
        second_step.secret
    );
    if let [first, second, ..] = second_step.recovery_codes.as_slice() {
        println!("    or, without a phone, a recovery code (each works once): {first}, {second}");
    }
    Ok(gateway)
}

/// Serves the embedded gateway's Security info page on a free port of 127.0.0.1, on a thread
/// of its own, and prints its address.
fn serve_security_info(gateway: Arc<Gateway>) -> Result<(), String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| format!("Security info page: {e}"))?;
    let url = listener
        .local_addr()
        .map(|a| format!("http://{a}"))
        .map_err(|e| format!("Security info page: {e}"))?;
    let config = WebConfig::new(url.clone());
    std::thread::Builder::new()
        .name("security-info".into())
        .spawn(move || {
            let served = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
                .and_then(|runtime| {
                    runtime.block_on(async {
                        let listener = tokio::net::TcpListener::from_std(listener)
                            .map_err(|e| e.to_string())?;
                        web::serve_web(listener, gateway, config, std::future::pending())
                            .await
                            .map_err(|e| e.to_string())
                    })
                });
            if let Err(error) = served {
                eprintln!("padlock-simulator: the Security info page stopped: {error}");
            }
        })
        .map_err(|e| format!("Security info page: {e}"))?;
    println!("Security info page: {url}/ (sign in with the email and password above)");
    Ok(())
}

fn print_key_map(profile: &Profile) {
    println!("keys ({}):", profile.model);
    for line in KeyMap::for_profile(profile).lines() {
        println!("  {line}");
    }
}

/// No window: one line saying why, then the demo scenario headless.
fn headless_demo(why: Option<WindowError>, out: &Path) -> Result<ExitCode, String> {
    let options = RunOptions {
        out: out.to_path_buf(),
        ..RunOptions::default()
    };
    // `run_demo` writes into a folder named after the scenario.
    let folder = out.join("demo");
    let why = why.map_or_else(|| "--headless".to_owned(), |why| why.to_string());
    println!(
        "{why}: playing the demo scenario headless; screenshots and GIF in {}",
        folder.display()
    );
    match scenario::run_demo(&options) {
        Ok(report) => {
            println!(
                "demo done: {} steps, {} ms of virtual time; see {}",
                report.steps,
                report.virtual_ms,
                report.dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => Err(format!("the demo scenario failed: {failure}")),
    }
}

fn run_scenarios(args: &RunArgs) -> Result<ExitCode, String> {
    let options = RunOptions {
        out: args.out.clone(),
        seed: args.seed,
        pcap: args.pcap,
        ..RunOptions::default()
    };
    Ok(scenario::run(&args.scenarios, &options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_profile_has_its_own_default_device() {
        let name = |args: &[&str]| {
            let cli = Cli::try_parse_from(args).unwrap();
            cli.device.device_name()
        };
        assert_eq!(name(&["padlock-simulator"]), "xbox360");
        assert_eq!(name(&["padlock-simulator", "--profile", "zune"]), "zune");
        assert_eq!(
            name(&[
                "padlock-simulator",
                "--profile",
                "zune",
                "--device",
                "lounge"
            ]),
            "lounge"
        );
    }
}
