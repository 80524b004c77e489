//! Runs side by side and a finished run continued, in a real terminal: the built binary in a
//! detached tmux session overlays two saved runs from the picker, then continues a finished
//! run for as many epochs again, whose samples land in its `samples.jsonl`.
//! Reported as ignored (never as passed) when tmux is not installed; see `common::tmux`.

mod common;

use std::path::Path;
use std::process::Command;

use common::tmux::Tmux;

/// Train a tiny run headless into `data`; returns its id.
fn train(data: &Path, hiddens: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rnn-tui"))
        .env("RNN_TUI_DATA_DIR", data)
        .env("RNN_TUI_CONFIG_DIR", "/nonexistent/rnn-tui-test-config")
        .args(["train", "--headless", "--epochs", "2", "--threads", "1"])
        .args(common::cli::SMALL_SPLIT)
        .args(["--hiddens", hiddens])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().find(|l| l.starts_with("run ")).expect(&text);
    line.split(' ').nth(1).unwrap().to_owned()
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]
fn the_picker_overlays_two_runs_and_continues_a_finished_one_for_more_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let older = train(&data, "8");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let newer = train(&data, "12");
    let bin = env!("CARGO_BIN_EXE_rnn-tui");
    let script = format!(
        "RNN_TUI_CONFIG_DIR=/nonexistent/rnn-tui-test-config RNN_TUI_DATA_DIR='{}' RNN_TUI_LOG=/dev/null COLORTERM=truecolor '{bin}' --num-train 2000 --num-val 500 --batch-size 256 --threads 1; echo COCKPIT-EXITED-$?; sleep 600",
        data.display()
    );
    let t = Tmux::start("runs", 120, 40, &script);
    t.wait_for("the cockpit, ready", |s| {
        s.contains("READY") && s.contains("Perplexity")
    });

    // o, c on the newest, ↓, c on the other: both marked, the picker still open.
    t.keys(&["o"]);
    t.wait_for("the picker", |s| s.contains("Runs — newest first"));
    t.keys(&["c"]);
    t.keys(&["Down"]);
    t.keys(&["c"]);
    let s = t.wait_for("two runs marked", |s| s.matches('◆').count() == 2);
    assert!(s.contains("side by side") && s.contains("≠ hiddens"), "{s}");
    // Esc: the chart draws both (before the first batch of the new run), named in the legend.
    t.keys(&["Escape"]);
    let short = |id: &str| format!("run {}", id.rsplit('-').next().unwrap());
    let s = t.wait_for("the overlay", |s| {
        s.contains("vs 2 runs") && !s.contains("Runs — newest first")
    });
    assert!(
        s.contains(&short(&older)) && s.contains(&short(&newer)),
        "{s}"
    );

    // Continue the finished newest run: offered 2 more epochs, space trains them.
    t.keys(&["o"]);
    t.wait_for("the picker", |s| s.contains("Runs — newest first"));
    t.keys(&["Enter"]);
    t.wait_for("the offer", |s| s.contains("space trains 2 more (to 4)"));
    // Its own curve is live now: one run overlaid, not itself.
    assert!(
        t.screen().contains(&format!("vs {}", short(&older))),
        "{}",
        t.screen()
    );
    t.keys(&["Space"]);
    t.wait_for("the run trained to 4 epochs", |s| {
        s.contains("DONE") && s.contains("4/4")
    });
    t.keys(&["q"]);
    t.wait_for("the shell again", |s| s.contains("COCKPIT-EXITED-0"));

    // The run now has 4 epochs, and the samples of epochs 3 and 4 complete the cockpit's
    // prefix (the first two, headless, d2l's `it has`).
    let run = data.join("runs").join(&newer);
    let meta = rnn_tui::runs::RunDir::open(&run).unwrap().meta().unwrap();
    assert_eq!((meta.progress.epoch, meta.hparams.epochs), (4, 4));
    let samples = rnn_tui::runs::read_samples(&run.join("samples.jsonl")).unwrap();
    let epochs: Vec<usize> = samples.iter().map(|s| s.epoch).collect();
    assert_eq!(epochs, [1, 2, 3, 4]);
    assert_eq!(samples[0].prefix, "it has");
    assert_eq!(samples[3].prefix, "time traveller ");
}
