//! Opening the gateway's own files (its database and its key file) only when they are what the
//! gateway made: regular files of this server's user, closed to group and others.
//!
//! Both files hold secrets (the key file the gateway's Noise key and hashing key; the database
//! the keyed hashes of every app password and token), and both are opened by path. Without
//! checks, whoever can write the directory, or had the file made world-readable by a careless
//! copy, could swap in a symbolic link to a file of their own (the gateway then signs people in
//! against keys the attacker chose) or read the secrets. So every open:
//!
//! - refuses a symbolic link (`O_NOFOLLOW`; SQLite gets `SQLITE_OPEN_NOFOLLOW` too);
//! - checks the opened file itself (`fstat`, not the path again, so nothing can be swapped in
//!   between): a regular file, owned by the effective user of this process, with no permission
//!   bit for group or others.
//!
//! A refusal is [`Error::UnsafeFile`], naming the file and what to do. The gateway creates both
//! files mode 0600, so it never refuses what it made itself. On other platforms than Unix there
//! are no such bits and only the file type is checked.

use std::fs::File;
use std::path::Path;

use crate::error::Error;

/// Opens `path` for reading after the checks of the module docs.
///
/// # Errors
/// [`Error::UnsafeFile`] for a symbolic link, a file of another user or one open to group or
/// others; [`Error::Io`] if it cannot be opened at all.
pub(crate) fn open_private(path: &Path) -> Result<File, Error> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        rustix::fs::OFlags::NOFOLLOW.bits() as i32,
    );
    let file = options.open(path).map_err(|source| {
        if is_symlink_refusal(&source) {
            unsafe_file(path, "it is a symbolic link; use the file itself")
        } else {
            Error::Io {
                path: path.to_owned(),
                source,
            }
        }
    })?;
    let metadata = file.metadata().map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    if !metadata.is_file() {
        return Err(unsafe_file(path, "it is not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let ours = rustix::process::geteuid().as_raw();
        if let Some(why) = ownership_problem(metadata.uid(), metadata.mode(), ours) {
            return Err(unsafe_file(path, &why));
        }
    }
    Ok(file)
}

/// Writes `bytes` to a new file at `path`, mode 0600, synced with its directory entry before
/// returning (a secret the gateway was told it has must survive a crash). Fails if the file
/// exists: a secret is never overwritten.
///
/// # Errors
/// [`Error::Io`] if the file exists or cannot be written.
pub(crate) fn create_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
    }
    Ok(())
}

/// Checks `path` as [`open_private`] does, for files another library opens (SQLite).
///
/// # Errors
/// As [`open_private`].
pub(crate) fn check_private(path: &Path) -> Result<(), Error> {
    open_private(path).map(drop)
}

/// Why a file owned by `owner` with `mode` may not hold this server's secrets, if it may not
/// (`process_user`: the effective user id of this process).
fn ownership_problem(owner: u32, mode: u32, process_user: u32) -> Option<String> {
    if owner != process_user {
        return Some(format!(
            "it is owned by user {owner}, not by this server's user {process_user}; \
             chown it to the server's user"
        ));
    }
    let open_to_others = mode & 0o077;
    if open_to_others != 0 {
        return Some(format!(
            "its mode {:04o} lets group or others at it; run chmod 600 on it",
            mode & 0o7777
        ));
    }
    None
}

/// `O_NOFOLLOW` on a symbolic link fails with `ELOOP` (Linux, the BSDs) or `EMLINK` (FreeBSD).
fn is_symlink_refusal(error: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        let errno = error
            .raw_os_error()
            .map(rustix::io::Errno::from_raw_os_error);
        matches!(
            errno,
            Some(rustix::io::Errno::LOOP | rustix::io::Errno::MLINK)
        )
    }
    #[cfg(not(unix))]
    {
        let _ = error;
        false
    }
}

fn unsafe_file(path: &Path, why: &str) -> Error {
    Error::UnsafeFile {
        path: path.to_owned(),
        why: why.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_server_s_own_user_only_files_pass() {
        assert_eq!(ownership_problem(1000, 0o100600, 1000), None);
        assert_eq!(ownership_problem(1000, 0o100400, 1000), None);
        let other = ownership_problem(0, 0o100600, 1000).unwrap();
        assert!(other.contains("owned by user 0"), "{other}");
        for mode in [0o100644, 0o100640, 0o100604, 0o100660, 0o100666] {
            let open = ownership_problem(1000, mode, 1000).unwrap();
            assert!(open.contains("chmod 600"), "{mode:o}: {open}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_and_open_modes_are_refused_private_files_open() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, b"x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(open_private(&file).is_ok());

        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let refused = open_private(&link).unwrap_err().to_string();
        assert!(refused.contains("symbolic link"), "{refused}");

        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = open_private(&file).unwrap_err().to_string();
        assert!(refused.contains("0644"), "{refused}");
        assert!(matches!(
            open_private(dir.path()),
            Err(Error::UnsafeFile { .. })
        ));
    }
}
