//! The built binary, kept away from the user's runs and config.
#![allow(dead_code)] // each test file uses a different part

use std::path::Path;
use std::process::{Command, Output};

/// A d2l-shaped run small enough for tests: 2000 training and 500 validation windows, batches
/// of 256.
pub const SMALL_SPLIT: [&str; 6] = [
    "--num-train",
    "2000",
    "--num-val",
    "500",
    "--batch-size",
    "256",
];

/// `rnn-tui` with its data and config directories under `dir`, and no fault injection
/// inherited from the environment.
pub fn rnn_tui(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rnn-tui"));
    c.env("RNN_TUI_DATA_DIR", dir.join("data"))
        .env("RNN_TUI_CONFIG_DIR", dir.join("config"))
        .env_remove(rnn_tui::train::trainer::PANIC_ENV);
    c
}

/// A private directory for one test: `slice.txt` (the first 30 kB of The Time Machine) and an
/// empty `config/`; point `RNN_TUI_DATA_DIR` at `data/` inside it (see [`rnn_tui`]).
pub fn private_dir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("slice.txt"),
        &rnn_tui::data::corpus::TIME_MACHINE[..30_000],
    )
    .unwrap();
    std::fs::create_dir_all(tmp.path().join("config")).unwrap();
    tmp
}

/// The stdout of a command that must have succeeded; on failure the panic names the arguments
/// and shows stderr.
pub fn success_stdout(out: Output, args: &[&str]) -> String {
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
