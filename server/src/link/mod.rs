//! Sign in with your phone: a code on the device, one approval on the Security info page.
//!
//! The device asks for a link (`LinkStart`), shows the code and the page's address, and polls
//! (`LinkPoll`) until the player has approved or declined it on the page ([`crate::web`]), or
//! the code has expired. [`rules`] holds the decisions, free of IO.
pub mod rules;
