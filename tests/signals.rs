//! SIGTERM, SIGINT and SIGHUP stop a headless run between batches, save it, and exit with
//! 128 + signo.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::cli::SMALL_SPLIT;

fn stop_with(signal: &str, expected_code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rnn-tui"))
        .args([
            "train",
            "--headless",
            "--epochs",
            "100000",
            "--threads",
            "1",
        ])
        .args(SMALL_SPLIT)
        .env("RNN_TUI_DATA_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Wait until it trains (an epoch line), then signal it.
    for line in lines.by_ref() {
        if line.unwrap().starts_with("epoch 2 ") {
            break;
        }
    }
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(expected_code), "{rest:?}");
    let done = rest.last().expect("a summary line");
    assert!(done.starts_with("done epochs="), "{done}");
    // The run was saved on the way out, at or after epoch 2, and loads.
    let root = rnn_tui::runs::runs_root(dir.path());
    let runs = rnn_tui::runs::list_runs(&root).unwrap();
    assert_eq!(runs.len(), 1);
    let meta = runs[0].meta.as_ref().unwrap();
    assert!(meta.progress.epoch >= 2, "{:?}", meta.progress);
    runs[0].dir.checkpoint().unwrap();
}

#[test]
fn sigterm_saves_and_exits_143() {
    stop_with("-TERM", 143);
}

#[test]
fn sigint_saves_and_exits_130() {
    stop_with("-INT", 130);
}

#[test]
fn sighup_saves_and_exits_129() {
    stop_with("-HUP", 129);
}
