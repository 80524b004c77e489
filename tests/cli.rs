//! The binary end to end: help, a short headless run, and bad input.

use std::process::Command;

fn rnn_tui() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rnn-tui"))
}

fn small_run() -> Command {
    let mut c = rnn_tui();
    c.args([
        "train",
        "--headless",
        "--epochs",
        "2",
        "--num-train",
        "2000",
        "--num-val",
        "500",
        "--batch-size",
        "256",
        "--device",
        "cpu",
        "--threads",
        "1",
    ]);
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
    ] {
        assert!(text.contains(flag), "missing {flag} in:\n{text}");
    }
}

#[test]
fn headless_run_prints_epochs_and_a_summary() {
    let out = small_run().output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("device cpu "), "{text}");
    assert!(lines[1].starts_with("epoch 1 train_ppl "), "{text}");
    assert!(lines[2].starts_with("epoch 2 train_ppl "), "{text}");
    assert!(lines[2].contains(" val_ppl ") && lines[2].contains(" tokens/s "));
    let done = lines[3];
    assert!(done.starts_with("done epochs=2 train_ppl="), "{done}");
    assert!(done.contains("sample=\"it has"), "{done}");
    assert_eq!(lines.len(), 4);
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
