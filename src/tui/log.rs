//! A tiny append-only log file: `$RNN_TUI_LOG`, else `<data dir>/rnn-tui.log` (the runs' data
//! directory, so `RNN_TUI_DATA_DIR` moves both). Nothing is ever
//! written to the terminal while the cockpit owns it.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

static LOG: Mutex<Option<File>> = Mutex::new(None);

/// Where the log goes.
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RNN_TUI_LOG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    crate::runs::data_dir(None)
        .ok()
        .map(|d| d.join("rnn-tui.log"))
}

/// Open the log (creating its directory). Failing to log is never fatal.
pub fn init() -> Option<PathBuf> {
    let p = path()?;
    if let Some(dir) = p.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let file = OpenOptions::new().create(true).append(true).open(&p).ok()?;
    if let Ok(mut g) = LOG.lock() {
        *g = Some(file);
    }
    Some(p)
}

/// Append one line, stamped with seconds since the epoch.
pub fn line(msg: impl AsRef<str>) {
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    if let Ok(mut g) = LOG.lock() {
        if let Some(f) = g.as_mut() {
            let _ = writeln!(f, "{ts:.3} {}", msg.as_ref());
            let _ = f.flush();
        }
    }
}
