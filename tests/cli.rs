//! The binary end to end: help, a short headless run, and bad input.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::cli::SMALL_SPLIT;

/// A private, empty data and config directory for this test process: tests never touch the
/// user's runs or config.
fn scratch_dirs() -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rnn_tui() -> Command {
    let dir = scratch_dirs();
    let mut c = Command::new(env!("CARGO_BIN_EXE_rnn-tui"));
    c.env("RNN_TUI_DATA_DIR", dir.join("data"))
        .env("RNN_TUI_CONFIG_DIR", dir.join("config"));
    c
}

fn small_run() -> Command {
    let mut c = rnn_tui();
    c.args(["train", "--headless", "--epochs", "2"])
        .args(SMALL_SPLIT)
        .args(["--device", "cpu", "--threads", "1"]);
    c
}

#[test]
fn help_lists_the_training_flags() {
    let out = rnn_tui().args(["train", "--help"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--headless",
        "--epochs",
        "--batch-size",
        "--num-steps",
        "--hiddens",
        "--lr",
        "--clip",
        "--seed",
        "--corpus",
        "--device",
        "--threads",
        "--json",
        "--resume",
        "--save-every",
        "--no-save",
        "--data-dir",
    ] {
        assert!(text.contains(flag), "missing {flag} in:\n{text}");
    }
}

/// The `--theme` help names the directory the theme loader reads (`<config dir>/themes`, the
/// config file's directory), not a made-up `rnn-tui/themes` below it.
#[test]
fn theme_help_names_the_themes_directory_the_loader_reads() {
    let out = rnn_tui().args(["--help"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("<config dir>/themes/NAME.toml"), "{text}");
    assert!(!text.contains("rnn-tui/themes"), "{text}");
    // The loader reads exactly there: a theme copied in by name gets past theme loading (the
    // run then stops at the bad --lr, also exit 2), an absent one is unknown.
    let config = scratch_dirs().join("theme-help");
    let themes = config.join("themes");
    std::fs::create_dir_all(&themes).unwrap();
    let light = concat!(env!("CARGO_MANIFEST_DIR"), "/themes/light.toml");
    std::fs::copy(light, themes.join("mine.toml")).unwrap();
    let stderr_with_theme = |name: &str| {
        let out = rnn_tui()
            .env("RNN_TUI_CONFIG_DIR", &config)
            .args(["train", "--headless", "--theme", name, "--lr", "-1"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8(out.stderr).unwrap()
    };
    let found = stderr_with_theme("mine");
    assert!(
        found.contains("lr must be a positive finite number"),
        "{found}"
    );
    let missing = stderr_with_theme("absent");
    assert!(missing.contains("unknown theme \"absent\""), "{missing}");
}

#[test]
fn headless_run_prints_epochs_and_a_summary() {
    let out = small_run().output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("device cpu "), "{text}");
    // The run directory it saves to: `run <id> <path>`.
    let run: Vec<&str> = lines[1].split(' ').collect();
    assert_eq!(run[0], "run", "{text}");
    assert_eq!(run[1].len(), "20261128-051502-a3f9".len(), "{text}");
    assert!(run[2].ends_with(run[1]) && std::path::Path::new(run[2]).is_dir());
    assert!(lines[2].starts_with("epoch 1 train_ppl "), "{text}");
    assert!(lines[3].starts_with("epoch 2 train_ppl "), "{text}");
    assert!(lines[3].contains(" val_ppl ") && lines[3].contains(" tokens/s "));
    let done = lines[4];
    assert!(done.starts_with("done epochs=2 train_ppl="), "{done}");
    assert!(done.contains("sample=\"it has"), "{done}");
    assert_eq!(lines.len(), 5);

    // --no-save: the original four lines, nothing written.
    let out = small_run().arg("--no-save").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(!text.contains("\nrun "), "{text}");
}

#[test]
fn json_mode_prints_one_object_per_event() {
    let out = small_run().arg("--json").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[0], "ready");
    assert_eq!(kinds[1], "run");
    assert_eq!(
        kinds.iter().filter(|k| **k == "saved").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|k| **k == "epoch").count(), 2);
    assert_eq!(kinds.iter().filter(|k| **k == "batch").count(), 2 * 8);
    assert_eq!(*kinds.last().unwrap(), "finished");
    let batch = events.iter().find(|e| e["event"] == "batch").unwrap();
    for key in [
        "epoch",
        "batch",
        "loss",
        "grad_norm",
        "clipped",
        "tokens",
        "elapsed",
    ] {
        assert!(batch.get(key).is_some(), "batch event lacks {key}: {batch}");
    }
}

fn assert_one_line_error(args: &[&str], code: i32, needle: &str) {
    let out = rnn_tui().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(stderr.contains(needle), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
}

#[test]
fn bad_input_exits_non_zero_with_a_message() {
    assert_one_line_error(
        &["train", "--headless", "--bogus"],
        2,
        "unexpected argument",
    );
    assert_one_line_error(&["train", "--headless", "--lr", "abc"], 2, "invalid value");
    assert_one_line_error(
        &["train", "--headless", "--lr", "NaN"],
        2,
        "lr must be a positive finite",
    );
    assert_one_line_error(
        &["train", "--headless", "--hiddens", "0"],
        2,
        "hiddens must be at least 1",
    );
    assert_one_line_error(&["train", "--headless", "--threads", "0"], 2, "threads");
    assert_one_line_error(
        &["train", "--headless", "--corpus", "/no/such/file.txt"],
        2,
        "corpus file not found: /no/such/file.txt",
    );
    assert_one_line_error(
        &["train", "--headless", "--num-train", "200000"],
        2,
        "corpus too short",
    );
    assert_one_line_error(
        &["train", "--headless", "--batch-size", "1000000"],
        2,
        "GiB",
    );
    assert_one_line_error(
        &["train", "--headless", "--lr", "100", "--threads", "1"],
        1,
        "training diverged",
    );
    #[cfg(not(feature = "cuda"))]
    assert_one_line_error(
        &["train", "--headless", "--device", "cuda"],
        2,
        "--features cuda",
    );
}

/// Per-batch `clipped` flags and losses of a short `--json` run with these extra flags.
fn batch_clips_and_losses(extra: &[&str]) -> Vec<(bool, f64)> {
    // Two epochs of the small split: 16 batches.
    let out = small_run()
        .args(["--json", "--no-save"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "batch")
        .map(|v| (v["clipped"].as_bool().unwrap(), v["loss"].as_f64().unwrap()))
        .collect()
}

/// `--clip 0` and `--clip off` train with no clipping at all (d2l's `gradient_clip_val=0`),
/// the same run either way; a low threshold clips the early batches of the same run.
#[test]
fn clip_0_or_off_trains_with_no_clip_events() {
    // The first norms of this run are about 0.2, falling below 0.1.
    let clipped = batch_clips_and_losses(&["--clip", "0.15"]);
    assert!(clipped.iter().any(|b| b.0), "0.15 clips the early batches");
    let off = batch_clips_and_losses(&["--clip", "0"]);
    assert!(!off.is_empty());
    assert!(off.iter().all(|b| !b.0), "clip 0 clipped a batch");
    assert!(off.iter().all(|b| b.1.is_finite()));
    assert_eq!(batch_clips_and_losses(&["--clip", "off"]), off);
    assert_ne!(off, clipped, "no clipping changes the updates");
}

/// Issue 24: `train`'s flags given without `train` say the command meant, on one line.
#[test]
fn train_flags_without_train_say_the_command_meant() {
    assert_one_line_error(
        &["--headless", "--epochs", "2"],
        2,
        "did you mean: rnn-tui train --headless --epochs 2",
    );
    assert_one_line_error(
        &["--resume", "latest"],
        2,
        "did you mean: rnn-tui train --resume latest",
    );
    // Other mistakes keep clap's own line.
    assert_one_line_error(&["--bogus"], 2, "unexpected argument");
}
