//! Logging shim for Padlock's `no_std` crates: one set of macros that log through `defmt` on
//! the target, through `log` on the host, and compile to nothing when neither is on.
//!
//! The macros decide at the *call site*: a `#[cfg(feature = "defmt")]` inside a `macro_rules!`
//! expansion is evaluated in the crate that uses the macro, against that crate's features. So
//! every crate that logs through this shim declares the same two features and the optional
//! dependencies behind them, and nothing else:
//!
//! ```toml
//! [features]
//! defmt = ["dep:defmt"]
//! log = ["dep:log"]
//! ```
//!
//! and calls `padlock_fmt::info!("…", …)`: a format string literal, then the arguments.
//! Arguments must satisfy both `defmt::Format` and `core::fmt::Debug`/`Display`, so log plain
//! values (lengths, states, error kinds); never a secret.
//!
//! With neither backend on, a call still evaluates its arguments once, by reference (as
//! embassy's `fmt.rs` does): nothing is moved, so `warn!("{}", name)` leaves `name` usable
//! after the call in every build, and no "unused" warning appears where logging is off.
//!
//! This crate's own `defmt` and `log` features exist only for its tests (one call site per
//! feature combination, `tests/borrows.rs`); a crate that logs through the shim enables its
//! *own* features, so the shim adds nothing to any build.
#![no_std]

/// Expands one log call for whichever backend the calling crate has enabled.
#[doc(hidden)]
#[macro_export]
macro_rules! __log {
    ($level:ident, $format:literal $(, $arg:expr)* $(,)?) => {{
        #[cfg(all(feature = "defmt", feature = "log"))]
        ::core::compile_error!("features `defmt` and `log` are exclusive: `defmt` on the target, `log` on the host");
        #[cfg(feature = "defmt")]
        ::defmt::$level!($format $(, $arg)*);
        #[cfg(feature = "log")]
        ::log::$level!($format $(, $arg)*);
        // Borrowed, not moved: the caller keeps its arguments.
        #[cfg(not(any(feature = "defmt", feature = "log")))]
        { let _ = ($(&$arg),*); }
    }};
}

/// Logs at trace level.
#[macro_export]
macro_rules! trace { ($($arg:tt)*) => { $crate::__log!(trace, $($arg)*) }; }

/// Logs at debug level.
#[macro_export]
macro_rules! debug { ($($arg:tt)*) => { $crate::__log!(debug, $($arg)*) }; }

/// Logs at info level.
#[macro_export]
macro_rules! info { ($($arg:tt)*) => { $crate::__log!(info, $($arg)*) }; }

/// Logs at warn level.
#[macro_export]
macro_rules! warn { ($($arg:tt)*) => { $crate::__log!(warn, $($arg)*) }; }

/// Logs at error level.
#[macro_export]
macro_rules! error { ($($arg:tt)*) => { $crate::__log!(error, $($arg)*) }; }
