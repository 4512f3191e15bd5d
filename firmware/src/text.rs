//! User-visible text: the languages the module speaks.

/// A language the module's strings exist in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Language {
    /// English.
    English,
    /// Dutch.
    Dutch,
}
