//! `rnn-tui watch` in a real terminal on a headless run the test starts: the watcher shows the
//! run training, pauses and resumes it through the run directory, and leaves; the headless run
//! then finishes normally with the same losses as an unwatched run with the same seed.
//! Reported as ignored (never as passed) when tmux is not installed; see `common::tmux`.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::cli::{rnn_tui, SMALL_SPLIT};
use common::tmux::Tmux;
use rnn_tui::metrics::MetricRecord;
use rnn_tui::runs::atomic::SLOW_SAVE_ENV;
use rnn_tui::runs::{self, RunDir, WriterState, WriterStatus};

/// 3 epochs of 8 batches, a checkpoint after every batch; `slow_ms` paces the saves so the
/// run lasts long enough to be watched.
fn headless(dir: &Path, slow_ms: u64) -> Child {
    let mut c = rnn_tui(dir);
    c.args(["train", "--headless", "--epochs", "3", "--threads", "1"])
        .args(SMALL_SPLIT)
        .args(["--save-every", "1", "--seed", "7"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if slow_ms > 0 {
        c.env(SLOW_SAVE_ENV, slow_ms.to_string());
    }
    c.spawn().unwrap()
}

fn the_run(dir: &Path) -> RunDir {
    let root = dir.join("data").join("runs");
    let start = Instant::now();
    loop {
        if let Some(l) = runs::list_runs(&root)
            .ok()
            .and_then(|l| l.into_iter().next())
        {
            if l.meta.is_ok() {
                return l.dir;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no run appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn losses(dir: &RunDir) -> Vec<f64> {
    dir.metrics()
        .unwrap()
        .into_iter()
        .map(|r| match r {
            MetricRecord::Batch(b) => b.loss,
            MetricRecord::Epoch(e) => e.val_ppl,
        })
        .collect()
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]
fn watch_pauses_and_resumes_a_headless_run_which_then_finishes_with_unchanged_losses() {
    let tmp = tempfile::tempdir().unwrap();
    let child = headless(tmp.path(), 300);
    let run = the_run(tmp.path());
    let bin = env!("CARGO_BIN_EXE_rnn-tui");
    let script = format!(
        "RNN_TUI_CONFIG_DIR='{}' RNN_TUI_DATA_DIR='{}' RNN_TUI_LOG='{}' '{bin}' watch {}; echo WATCH-EXITED-$?; sleep 600",
        tmp.path().join("config").display(),
        tmp.path().join("data").display(),
        tmp.path().join("watch.log").display(),
        run.id
    );
    let t = Tmux::start("watch", 120, 40, &script);
    let s = t.wait_for("the watcher on the training run", |s| {
        s.contains("TRAINING") && s.contains("· watching")
    });
    assert!(t.alternate_on(), "{s}");
    assert!(s.contains("Perplexity"), "{s}");

    // Space pauses the other process.
    t.keys(&["Space"]);
    t.wait_for("the run paused", |s| s.contains("PAUSED"));
    let status = WriterStatus::read(&run.path).unwrap();
    assert_eq!(status.state, WriterState::Paused);
    assert_eq!(status.pid, child.id());
    let len = std::fs::metadata(run.metrics_path()).unwrap().len();
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        std::fs::metadata(run.metrics_path()).unwrap().len(),
        len,
        "no batch while paused"
    );

    // Space again resumes it; q leaves the watcher, and the run goes on.
    t.keys(&["Space"]);
    t.wait_for("the run training again", |s| s.contains("TRAINING"));
    t.keys(&["q"]);
    let s = t.wait_for("the shell again", |s| s.contains("WATCH-EXITED-"));
    assert!(s.contains("WATCH-EXITED-0"), "{s}");
    assert!(s.contains("stopped watching run"), "{s}");
    assert!(!t.alternate_on());

    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("paused at epoch "), "{stdout}");
    assert!(stdout.contains("resumed at epoch "), "{stdout}");
    assert!(stdout.contains("done epochs=3 "), "{stdout}");

    // The same run, never watched: the same losses, batch for batch.
    let other = tempfile::tempdir().unwrap();
    let reference = headless(other.path(), 0).wait_with_output().unwrap();
    assert_eq!(reference.status.code(), Some(0));
    let watched = losses(&run);
    assert_eq!(watched.len(), 3 * 8 + 3);
    assert_eq!(watched, losses(&the_run(other.path())));
}
