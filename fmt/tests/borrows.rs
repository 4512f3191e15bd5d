//! A call with an owned, non-`Copy` argument compiles, and leaves the argument to its owner,
//! in each feature combination of the calling crate:
//!
//! ```sh
//! cargo test -p padlock-fmt                                # no backend
//! cargo test -p padlock-fmt --features log                 # the host's `log`
//! cargo check -p padlock-fmt --tests --features defmt      # the target's `defmt` (no host link)
//! ```
//!
//! Here the calling crate is this test, so the shim's own features stand for the caller's.

/// An owned name, loggable through either backend.
struct Name(String);

impl core::fmt::Display for Name {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Name {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.0.as_str());
    }
}

#[test]
fn owned_arguments_are_borrowed_not_moved() {
    let name = Name(String::from("alex"));
    let attempts = String::from("3");
    padlock_fmt::info!("signing in as {}", name);
    padlock_fmt::warn!("{} tries by {}", Name(attempts.clone()), name);
    padlock_fmt::debug!("no arguments");
    padlock_fmt::error!("trailing comma {}", name,);
    // Still ours after the calls: this line does not compile if a call moved `name`.
    assert_eq!(name.0, "alex");
    assert_eq!(attempts, "3");
}
