//! One writer per run. A process that records into a run directory holds its `lock` file
//! (its process id and a token of its own); a second `train --resume` of the same run, in this
//! process or another, is refused instead of interleaving two runs' checkpoints and metrics.
//! A lock left behind by a process that is gone (`kill -9`) is taken over.
//!
//! The lock reads `PID TOKEN HOST`: a watcher (`rnn-tui watch`) reads it with [`read_lock`] to
//! name the training process and tell whether it is alive. A lock written on another host (a
//! run directory synced from a remote machine) cannot be checked from here: it is never taken
//! over, and a watcher judges that writer by its progress instead.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{RunDir, RunError};

pub const LOCK_FILE: &str = "lock";

/// Held while a run is being recorded; removed on drop (if it is still ours).
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    token: String,
}

impl RunLock {
    pub fn acquire(dir: &RunDir) -> Result<RunLock, RunError> {
        let path = dir.path.join(LOCK_FILE);
        let token = format!(
            "{} {:016x} {}",
            std::process::id(),
            rand::random::<u64>(),
            hostname()
        );
        // Two tries: the second after clearing a stale lock.
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    f.write_all(format!("{token}\n").as_bytes())
                        .and_then(|_| f.sync_all())
                        .map_err(|e| RunError::io(&path, e))?;
                    return Ok(RunLock { path, token });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    // A FIFO or a giant planted as the lock reads as unreadable: stale.
                    let held = read_small(&path).unwrap_or_default();
                    match LockInfo::parse(&held) {
                        Some(info) if info.alive() != Some(false) => {
                            return Err(RunError::Busy {
                                id: dir.id.clone(),
                                pid: info.pid,
                                lock: path,
                            })
                        }
                        // Unreadable, or its process is gone: stale.
                        _ => {
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => return Err(RunError::io(&path, e)),
            }
        }
        Err(RunError::io(&path, "could not take the run's lock"))
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Only our own lock: never one a later holder wrote after ours was cleared.
        let ours = read_small(&self.path)
            .map(|s| s.trim() == self.token)
            .unwrap_or(false);
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A lock file's text, if it is a regular file of a lock's size.
fn read_small(path: &Path) -> Option<String> {
    super::files::read_text_opt(path, super::files::Limit::LOCK)
        .ok()
        .flatten()
}

/// Who holds a run's lock, as its file says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockInfo {
    pub pid: u32,
    /// The host the holder runs on; `None` in locks written before hosts were recorded (taken
    /// to be this host).
    pub host: Option<String>,
}

impl LockInfo {
    /// `PID TOKEN [HOST]`; `None` for anything else.
    pub fn parse(text: &str) -> Option<LockInfo> {
        let mut words = text.split_whitespace();
        let pid = words.next()?.parse().ok()?;
        let host = words.nth(1).map(str::to_owned);
        Some(LockInfo { pid, host })
    }

    /// Whether the holder runs on this host (a lock without a host is taken to).
    pub fn is_local(&self) -> bool {
        self.host.as_deref().is_none_or(|h| h == hostname())
    }

    /// Whether the holder is alive: `None` when it runs on another host and cannot be asked.
    pub fn alive(&self) -> Option<bool> {
        self.is_local().then(|| process_alive(self.pid))
    }

    /// `pid 123 on host-a`, or `pid 123` on this host.
    pub fn describe(&self) -> String {
        match &self.host {
            Some(h) if !self.is_local() => format!("pid {} on {h}", self.pid),
            _ => format!("pid {}", self.pid),
        }
    }
}

/// The lock of the run in `dir`, if one is held (or left behind): `Ok(None)` when there is no
/// lock file; an unreadable or garbled one is `Ok(None)` too (no one can be named).
pub fn read_lock(dir: &Path) -> Option<LockInfo> {
    read_small(&dir.join(LOCK_FILE)).and_then(|t| LockInfo::parse(&t))
}

/// This machine's host name (`/proc/sys/kernel/hostname`, else `/etc/hostname`, else
/// `$HOSTNAME`), or `localhost` when none can be read. Spaces are never part of it.
pub fn hostname() -> String {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    let name = read("/proc/sys/kernel/hostname")
        .or_else(|| read("/etc/hostname"))
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let name: String = name.split_whitespace().collect::<Vec<_>>().join("-");
    if name.is_empty() {
        "localhost".into()
    } else {
        name
    }
}

/// Whether process `pid` exists. Where this cannot be told (no `/proc`), assume it does:
/// the error names the lock file to remove.
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if !proc.is_dir() {
        return true;
    }
    proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_dir(tmp: &Path) -> RunDir {
        RunDir {
            id: "r".into(),
            path: tmp.to_owned(),
        }
    }

    #[test]
    fn a_held_lock_refuses_a_second_writer_and_is_released_on_drop() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = run_dir(tmp.path());
        let first = RunLock::acquire(&dir).unwrap();
        let err = RunLock::acquire(&dir).unwrap_err().to_string();
        assert!(err.contains("in use by process"), "{err}");
        assert!(err.contains(&std::process::id().to_string()), "{err}");
        drop(first);
        assert!(!tmp.path().join(LOCK_FILE).exists());
        let _again = RunLock::acquire(&dir).unwrap();
    }

    #[test]
    fn a_lock_of_a_dead_process_or_garbage_is_taken_over() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = run_dir(tmp.path());
        // No process has pid u32::MAX - 1 (the kernel's limit is far lower).
        std::fs::write(tmp.path().join(LOCK_FILE), format!("{} 0\n", u32::MAX - 1)).unwrap();
        let lock = RunLock::acquire(&dir).unwrap();
        drop(lock);
        std::fs::write(tmp.path().join(LOCK_FILE), "garbage").unwrap();
        let lock = RunLock::acquire(&dir).unwrap();
        // Dropping a lock that is no longer ours leaves the new holder's file alone.
        std::fs::write(tmp.path().join(LOCK_FILE), "1 someone-else\n").unwrap();
        drop(lock);
        assert!(tmp.path().join(LOCK_FILE).exists());
    }

    #[test]
    fn the_lock_names_its_process_and_host() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = run_dir(tmp.path());
        let lock = RunLock::acquire(&dir).unwrap();
        let info = read_lock(tmp.path()).expect("a lock");
        assert_eq!(info.pid, std::process::id());
        assert_eq!(info.host.as_deref(), Some(hostname().as_str()));
        assert!(info.is_local());
        assert_eq!(info.alive(), Some(true));
        drop(lock);
        assert_eq!(read_lock(tmp.path()), None);
        // Old locks (no host) are this host's.
        let old = LockInfo::parse("42 00ff\n").unwrap();
        assert_eq!(old.host, None);
        assert!(old.is_local());
        assert_eq!(LockInfo::parse("garbage"), None);
    }

    #[test]
    fn a_lock_from_another_host_is_never_taken_over() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = run_dir(tmp.path());
        // A pid that is dead here says nothing about a process on another machine.
        let remote = format!("{} 00ff other-host-{}\n", u32::MAX - 1, hostname());
        std::fs::write(tmp.path().join(LOCK_FILE), &remote).unwrap();
        let info = read_lock(tmp.path()).unwrap();
        assert!(!info.is_local());
        assert_eq!(info.alive(), None);
        assert!(
            info.describe().contains(" on other-host-"),
            "{}",
            info.describe()
        );
        let err = RunLock::acquire(&dir).unwrap_err().to_string();
        assert!(err.contains("in use by process"), "{err}");
        assert_eq!(
            std::fs::read_to_string(tmp.path().join(LOCK_FILE)).unwrap(),
            remote
        );
    }
}
