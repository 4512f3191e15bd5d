//! The open-file limit: every connection is a file descriptor, and a process out of them can
//! neither accept nor answer, not even with `Busy`.
//!
//! At start [`raise_open_file_limit`] lifts the soft `RLIMIT_NOFILE` to the hard limit (no
//! privilege needed), and the listener caps its connections at what is left after
//! [`RESERVED_DESCRIPTORS`] for everything else, so it always has a descriptor to accept the
//! connection that gets `Busy`.

/// Descriptors kept for what is not a connection: standard streams, the listening socket, the
/// async runtime's, the database's writer and readers with their WAL and shared-memory files,
/// and the one accepted only to be told `Busy`.
pub const RESERVED_DESCRIPTORS: u64 = 64;

/// Raises the soft open-file limit to the hard one; returns the soft limit now in force
/// (`None`: unlimited, or unknown on this system).
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        if limit.current != limit.maximum {
            let raised = Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            };
            if let Err(e) = setrlimit(Resource::Nofile, raised) {
                tracing::warn!(error = %e, "cannot raise the open-file limit");
            }
        }
        getrlimit(Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The most connections `wanted` may be with `soft_limit` descriptors (at least 1).
pub fn connection_cap(wanted: usize, soft_limit: Option<u64>) -> usize {
    let Some(limit) = soft_limit else {
        return wanted.max(1);
    };
    let room = usize::try_from(limit.saturating_sub(RESERVED_DESCRIPTORS)).unwrap_or(usize::MAX);
    wanted.min(room).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_stay_below_the_descriptor_limit() {
        assert_eq!(connection_cap(1024, None), 1024);
        assert_eq!(connection_cap(1024, Some(1_048_576)), 1024);
        assert_eq!(connection_cap(1024, Some(1024)), 1024 - 64);
        assert_eq!(connection_cap(1024, Some(10)), 1);
    }
}
