//! One writer per run. A process that records into a run directory holds its `lock` file
//! (its process id and a token of its own); a second `train --resume` of the same run, in this
//! process or another, is refused instead of interleaving two runs' checkpoints and metrics.
//! A lock left behind by a process that is gone (`kill -9`) is taken over.

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
        let token = format!("{} {:016x}", std::process::id(), rand::random::<u64>());
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
                    let held = std::fs::read_to_string(&path).unwrap_or_default();
                    let pid = held.split_whitespace().next().and_then(|p| p.parse().ok());
                    match pid {
                        Some(pid) if process_alive(pid) => {
                            return Err(RunError::Busy {
                                id: dir.id.clone(),
                                pid,
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
        let ours = std::fs::read_to_string(&self.path)
            .map(|s| s.trim() == self.token)
            .unwrap_or(false);
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
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
}
