//! Padlock's reference sign-in gateway (being built: see the gateway issue).
