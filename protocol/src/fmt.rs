//! Logging shim: one set of macros that log through `defmt` on the target, through `log` on
//! the host, and compile to nothing when neither feature is on.
//!
//! Call sites stay the same whatever the build; arguments must be `defmt::Format` and
//! `core::fmt::Debug`/`Display` alike, so log only plain values (lengths, versions, error kinds),
//! never secrets.

#[cfg(all(feature = "defmt", feature = "log"))]
compile_error!(
    "features `defmt` and `log` are exclusive: pick `defmt` on the target, `log` on the host"
);

macro_rules! debug {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        ::defmt::debug!($($arg)*);
        #[cfg(feature = "log")]
        ::log::debug!($($arg)*);
        #[cfg(not(any(feature = "defmt", feature = "log")))]
        { let _ = ($($arg)*); }
    }};
}

pub(crate) use debug;
