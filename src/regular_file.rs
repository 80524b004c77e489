//! Opening a file that must be a regular file, without ever blocking on it: a FIFO opens at
//! once (non-blocking) and is refused, a device is refused, and a size limit is checked before
//! a byte is read and again while reading (a file may grow). Run files
//! ([`crate::runs::files`]), the config file and theme files are all read this way: each may
//! be a symlink to anything.

use std::fs::{File, FileType, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// Why a file could not be read as a regular file of bounded size.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("is {0}, not a regular file")]
    NotAFile(&'static str),
    #[error("is {size} bytes, more than {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
}

/// What a path is when it is not a regular file, for messages: `a FIFO`, `a directory`, ….
pub fn describe(ft: &FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() {
        "a directory"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// Open `path` for reading if it is a regular file (a symlink to one is followed: reading
/// through it cannot harm), with its size. The open never blocks. `Ok(None)`: no such file.
pub fn open(path: &Path) -> Result<Option<(File, u64)>, ReadError> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting forever;
        // it changes nothing for a regular file. O_NOCTTY: a terminal never becomes ours.
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = match opts.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(ReadError::NotAFile(describe(&meta.file_type())));
    }
    Ok(Some((file, meta.len())))
}

/// The whole of a regular file of at most `limit` bytes; `Ok(None)` when there is none.
pub fn read_capped(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, ReadError> {
    let Some((file, size)) = open(path)? else {
        return Ok(None);
    };
    let check = |size: u64| {
        if size > limit {
            return Err(ReadError::TooLarge { size, limit });
        }
        Ok(())
    };
    check(size)?;
    // Never more than the limit (+1 to notice a file that grew since it was measured).
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    check(bytes.len() as u64)?;
    Ok(Some(bytes))
}

/// [`read_capped`] as text: a missing file is `NotFound`, bytes that are not UTF-8 are
/// `InvalidData`.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_capped(path, limit)?.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            "No such file or directory (os error 2)",
        )
    })?;
    String::from_utf8(bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text").into())
}

/// Settings files (`config.toml`, themes): a few dozen lines.
pub const SETTINGS_LIMIT: u64 = 1 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_giants_are_refused() {
        let e = read_capped(Path::new("/dev/zero"), 10).unwrap_err();
        assert_eq!(e.to_string(), "is a character device, not a regular file");
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_capped(dir.path(), 10),
            Err(ReadError::NotAFile("a directory"))
        ));
        let p = dir.path().join("f");
        assert!(read_capped(&p, 10).unwrap().is_none());
        std::fs::write(&p, "hello").unwrap();
        assert_eq!(read_text(&p, 5).unwrap(), "hello");
        assert_eq!(
            read_capped(&p, 4).unwrap_err().to_string(),
            "is 5 bytes, more than 4 bytes"
        );
    }
}
