//! The one way to open a run's files. Run directories travel (rsync, Syncthing, a shared file
//! system) and are read and resumed on other machines, so everything in them is input from
//! outside: a file may be a symlink to somewhere else, a FIFO that never answers, a device
//! that never ends, or a sparse giant.
//!
//! - Reading: only regular files (a FIFO or device is refused before anything blocks on it:
//!   the open itself does not wait), and never more than the kind of file may hold
//!   ([`Limit`]), checked against the file's size before a byte is read and again while
//!   reading (a file may grow).
//! - Writing: never through a symlink (`O_NOFOLLOW`), never into anything but a regular file.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

use super::RunError;
use crate::regular_file::{self, describe, ReadError};

/// What a kind of file may hold: the largest size read, and a name for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub bytes: u64,
    pub kind: &'static str,
}

impl Limit {
    /// `run.json`: the hyperparameters, the progress and the vocabulary. Even every assigned
    /// Unicode character (about 150,000, at most 14 bytes each as escaped JSON) fits in 4 MiB.
    pub const META: Limit = Limit {
        bytes: 16 << 20,
        kind: "run.json",
    };
    /// `state.json`, written by the training process for watchers: a few numbers.
    pub const STATE: Limit = Limit {
        bytes: 1 << 20,
        kind: "state file",
    };
    /// The lock file: a pid, a host name and a time.
    pub const LOCK: Limit = Limit {
        bytes: 64 << 10,
        kind: "lock file",
    };
    /// `label.txt`: one short line.
    pub const LABEL: Limit = Limit {
        bytes: 4 << 10,
        kind: "label file",
    };
    /// One line of `samples.jsonl` (an epoch's completion: at most a few thousand characters).
    pub const SAMPLES_LINE: Limit = Limit {
        bytes: 64 << 10,
        kind: "samples line",
    };
    /// One line of `metrics.jsonl` (a batch or epoch record is about 250 bytes).
    pub const METRICS_LINE: Limit = Limit {
        bytes: 64 << 10,
        kind: "metrics line",
    };
}

/// A [`ReadError`] of `path` as a run error.
fn run_error(path: &Path, e: ReadError, limit: Option<Limit>) -> RunError {
    match e {
        ReadError::Io(e) => RunError::io(path, e),
        ReadError::NotAFile(what) => RunError::NotAFile {
            path: path.to_owned(),
            what,
        },
        ReadError::TooLarge { size, limit: bytes } => RunError::TooLarge {
            path: path.to_owned(),
            size,
            limit: bytes,
            kind: limit.map_or("file", |l| l.kind),
        },
    }
}

/// Open `path` for reading if it is a regular file (see [`regular_file::open`]): never
/// blocks, refuses FIFOs and devices. `Ok(None)`: there is no such file.
pub fn open_regular(path: &Path) -> Result<Option<(File, u64)>, RunError> {
    regular_file::open(path).map_err(|e| run_error(path, e, None))
}

/// The whole of a regular file of at most `limit` bytes; `Ok(None)` when there is none.
pub fn read_capped_opt(path: &Path, limit: Limit) -> Result<Option<Vec<u8>>, RunError> {
    regular_file::read_capped(path, limit.bytes).map_err(|e| run_error(path, e, Some(limit)))
}

/// The whole of a regular file of at most `limit` bytes; a missing file is an error.
pub fn read_capped(path: &Path, limit: Limit) -> Result<Vec<u8>, RunError> {
    read_capped_opt(path, limit)?.ok_or_else(|| {
        RunError::io(
            path,
            io::Error::new(io::ErrorKind::NotFound, "No such file or directory"),
        )
    })
}

/// [`read_capped_opt`] as UTF-8 text.
pub fn read_text_opt(path: &Path, limit: Limit) -> Result<Option<String>, RunError> {
    match read_capped_opt(path, limit)? {
        None => Ok(None),
        Some(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| RunError::Damaged {
                path: path.to_owned(),
                reason: "not UTF-8 text".into(),
            }),
    }
}

/// Options that open a file for writing without following a symlink at its name (the open
/// fails with `ELOOP` instead), so a crafted run directory cannot redirect a write elsewhere.
pub fn no_follow() -> OpenOptions {
    let mut opts = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    opts
}

/// Open `path` for appending or rewriting in place: created when missing, never through a
/// symlink, and only if it is a regular file.
pub fn open_for_writing(path: &Path, append: bool) -> Result<File, RunError> {
    let mut opts = no_follow();
    opts.create(true);
    if append {
        opts.append(true);
    } else {
        opts.read(true).write(true).truncate(false);
    }
    let file = opts.open(path).map_err(|e| refused_write(path, e))?;
    let meta = file.metadata().map_err(|e| RunError::io(path, e))?;
    if !meta.file_type().is_file() {
        return Err(RunError::NotAFile {
            path: path.to_owned(),
            what: describe(&meta.file_type()),
        });
    }
    Ok(file)
}

/// The error of a no-follow open: a symlink says so (and is bad input, not a failure).
pub fn refused_write(path: &Path, e: io::Error) -> RunError {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return RunError::Symlink {
            path: path.to_owned(),
        };
    }
    RunError::io(path, e)
}

/// Whether `path` is (or would be replaced as) a regular file: missing, or a regular file that
/// is not a symlink. Anything else is refused before a rename could replace it.
pub fn replaceable(path: &Path) -> Result<(), RunError> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(RunError::io(path, e)),
        Ok(m) if m.file_type().is_file() => Ok(()),
        Ok(m) if m.file_type().is_symlink() => Err(RunError::Symlink {
            path: path.to_owned(),
        }),
        Ok(m) => Err(RunError::NotAFile {
            path: path.to_owned(),
            what: describe(&m.file_type()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_read_others_refused_and_sizes_capped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("run.json");
        assert!(read_capped_opt(&p, Limit::META).unwrap().is_none());
        assert!(read_capped(&p, Limit::META).is_err());
        std::fs::write(&p, b"{}").unwrap();
        assert_eq!(read_capped(&p, Limit::META).unwrap(), b"{}");
        let small = Limit {
            bytes: 1,
            kind: "test file",
        };
        let e = read_capped(&p, small).unwrap_err().to_string();
        assert!(e.contains("2 bytes") && e.contains("test file"), "{e}");
        let e = read_capped(dir.path(), Limit::META).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        assert!(e.is_usage());
        let e = read_capped(Path::new("/dev/zero"), Limit::META).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn fifos_are_refused_without_blocking_and_symlinks_are_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("control");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a directory entry.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_capped(&fifo, Limit::STATE).unwrap_err().to_string();
        assert!(e.contains("FIFO"), "{e}");
        assert!(open_for_writing(&fifo, true).is_err());
        assert!(replaceable(&fifo).is_err());

        let decoy = dir.path().join("decoy");
        std::fs::write(&decoy, b"keep me").unwrap();
        let link = dir.path().join("metrics.jsonl");
        std::os::unix::fs::symlink(&decoy, &link).unwrap();
        let e = open_for_writing(&link, true).unwrap_err();
        assert!(matches!(e, RunError::Symlink { .. }), "{e}");
        assert!(matches!(replaceable(&link), Err(RunError::Symlink { .. })));
        assert_eq!(std::fs::read(&decoy).unwrap(), b"keep me");
        // Reading through a symlink is harmless and allowed.
        assert_eq!(read_capped(&link, Limit::META).unwrap(), b"keep me");
        assert!(replaceable(&dir.path().join("new")).is_ok());
        assert!(replaceable(&decoy).is_ok());
    }
}
