//! The simulator's screens for each profile and language, checked pixel for pixel against
//! the PNGs committed in `tests/goldens/` (`<profile>-<language>-<screen>.png`).
//!
//! The screens are reached the way QA reaches them: a scenario types on the simulated device,
//! signs in against the embedded gateway and takes screenshots. So these check the whole
//! pipeline, from the module's state through the renderer and the device's framebuffer to the
//! PNG file QA looks at. (The firmware's own goldens check each screen's drawing in isolation.)
//!
//! # Regenerating
//! After a deliberate change to the look, regenerate and review the images before committing:
//!
//! ```sh
//! PADLOCK_BLESS=1 cargo test -p padlock-tests --test goldens
//! ```
//!
//! On a mismatch the test names the screenshot it took, to compare side by side.

use std::path::{Path, PathBuf};

use padlock_firmware::profile::{self, Profile};
use padlock_firmware::text::Language;
use padlock_simulator::output::png;
use padlock_simulator::scenario::{RunOptions, run_text};

/// The screens, as a scenario: each `screenshot` is compared with its golden image.
const SCENARIO: &str = "
type {email}
done
type {password}
done
press A
wait for outcome wrong-credentials within 30s
screenshot problem-wrong-credentials
press A
type {app-password}
press Up A
screenshot password-remember
press Down A
wait for outcome granted within 30s
screenshot signed-in
reboot
screenshot resuming
";

const SCREENS: [&str; 4] = [
    "problem-wrong-credentials",
    "password-remember",
    "signed-in",
    "resuming",
];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("goldens")
}

/// Plays the scenario on `profile` in `language` and compares its screenshots.
fn check(profile: &'static Profile, language: Language) {
    let bless = std::env::var_os("PADLOCK_BLESS").is_some_and(|v| v == "1");
    let options = RunOptions {
        out: Path::new(env!("CARGO_TARGET_TMPDIR")).join("goldens"),
        seed: Some(1),
        pcap: false,
        progress: false,
    };
    let name = format!("{}-{}", profile.name, language.code());
    let source = format!(
        "profile {}\nlanguage {}\n{SCENARIO}",
        profile.name,
        language.code()
    );
    let report = run_text(Path::new(&format!("{name}.scn")), &source, &options)
        .unwrap_or_else(|failure| panic!("{failure}"));
    let mut failures = Vec::new();
    for screen in SCREENS {
        let shot = report.dir.join(format!("{screen}.png"));
        let golden = golden_dir().join(format!("{name}-{screen}.png"));
        if bless {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::copy(&shot, &golden).unwrap();
            continue;
        }
        let taken = png::load(&shot).unwrap();
        match png::load(&golden) {
            Ok(expected) if expected == taken => {}
            Ok(_) => failures.push(format!(
                "{} differs (taken: {})",
                golden.display(),
                shot.display()
            )),
            Err(e) => failures.push(format!(
                "{}: {e} (taken: {})",
                golden.display(),
                shot.display()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} screens differ from tests/goldens (regenerate with PADLOCK_BLESS=1 if the \
         change is intended):\n{}",
        failures.len(),
        SCREENS.len(),
        failures.join("\n")
    );
}

/// One test per profile and language, so they run in parallel and fail on their own.
macro_rules! goldens {
    ($($test:ident => $profile:expr, $language:expr;)*) => {
        $(
            #[test]
            fn $test() {
                check(&$profile, $language);
            }
        )*
    };
}

goldens! {
    xbox360_english => profile::XBOX360, Language::English;
    xbox360_dutch => profile::XBOX360, Language::Dutch;
    zune_english => profile::ZUNE, Language::English;
    zune_dutch => profile::ZUNE, Language::Dutch;
    oled_english => profile::OLED, Language::English;
    oled_dutch => profile::OLED, Language::Dutch;
}

#[test]
fn every_golden_image_is_checked() {
    let mut expected: Vec<String> = profile::ALL
        .iter()
        .flat_map(|p| Language::ALL.map(move |l| (p.name, l.code())))
        .flat_map(|(p, l)| SCREENS.map(move |s| format!("{p}-{l}-{s}.png")))
        .collect();
    expected.sort();
    let mut present: Vec<String> = std::fs::read_dir(golden_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    assert_eq!(present, expected);
}
