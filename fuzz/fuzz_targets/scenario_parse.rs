//! The simulator's scenario parser on any text: a scenario or an error naming a line, never a
//! panic (scenarios come from files anyone can write).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use padlock_simulator::scenario::parse::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(failure) = parse(Path::new("fuzzed.scn"), text) {
        assert!(
            failure.line <= text.lines().count(),
            "line {}",
            failure.line
        );
    }
});
