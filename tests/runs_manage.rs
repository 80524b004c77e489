//! Managing runs from the command line, end to end: `runs --sort best|date`, `--label`,
//! `--delete` (refused while the run's lock is held), the `+` legend, and the sample history
//! (`samples.jsonl`, its torn-line repair on resume, `sample --history`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::cli::{private_dir, rnn_tui, SMALL_SPLIT};
use rnn_tui::runs::{RunDir, RunLock};

fn run(dir: &Path, args: &[&str]) -> Output {
    rnn_tui(dir).args(args).output().unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Train a tiny model headless for `epochs` with `hiddens` units; returns (id, path).
fn train(dir: &Path, epochs: &str, hiddens: &str) -> (String, PathBuf) {
    let corpus = dir.join("slice.txt").display().to_string();
    let mut args = vec!["train", "--headless", "--device", "cpu", "--threads", "1"];
    args.extend(SMALL_SPLIT);
    args.extend([
        "--epochs",
        epochs,
        "--hiddens",
        hiddens,
        "--corpus",
        &corpus,
    ]);
    let text = ok(dir, &args);
    let line = text.lines().find(|l| l.starts_with("run ")).expect(&text);
    let parts: Vec<&str> = line.split(' ').collect();
    (parts[1].to_owned(), PathBuf::from(parts[2]))
}

fn row(list: &str, id: &str) -> usize {
    list.lines()
        .position(|l| l.starts_with(id))
        .unwrap_or_else(|| panic!("{id} not in {list}"))
}

#[test]
fn runs_sort_by_best_or_date_label_and_delete() {
    let tmp = private_dir();
    let d = tmp.path();
    // A weak run first (1 epoch, 4 units), then a better one (2 epochs, 16 units).
    let (weak, _) = train(d, "1", "4");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (good, good_path) = train(d, "2", "16");

    let by_date = ok(d, &["runs"]);
    assert!(row(&by_date, &good) < row(&by_date, &weak), "{by_date}");
    assert_eq!(ok(d, &["runs", "--sort", "date"]), by_date);
    let by_best = ok(d, &["runs", "--sort", "best"]);
    assert!(row(&by_best, &good) < row(&by_best, &weak), "{by_best}");
    let out = run(d, &["runs", "--sort", "worst"]);
    assert_eq!(out.status.code(), Some(2));

    // A label: stored in the run directory, shown in a LABEL column.
    let said = ok(d, &["runs", "--label", &weak, "tiny baseline"]);
    assert!(
        said.contains(&weak) && said.contains("tiny baseline"),
        "{said}"
    );
    let label = std::fs::read_to_string(d.join("data/runs").join(&weak).join("label.txt"));
    assert_eq!(label.unwrap(), "tiny baseline\n");
    let list = ok(d, &["runs"]);
    assert!(list.lines().next().unwrap().ends_with("LABEL"), "{list}");
    assert!(list
        .lines()
        .nth(row(&list, &weak))
        .unwrap()
        .ends_with("tiny baseline"));
    // An empty text removes it.
    ok(d, &["runs", "--label", &weak, ""]);
    assert!(!ok(d, &["runs"]).contains("LABEL"));
    let long = "x".repeat(61);
    let out = run(d, &["runs", "--label", &weak, &long]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");

    // Delete: refused while a process holds the run's lock (here: this test process).
    let dir = RunDir::open(&good_path).unwrap();
    let lock = RunLock::acquire(&dir).unwrap();
    let out = run(d, &["runs", "--delete", &good]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.contains("in use by process"), "{stderr}");
    assert!(good_path.join("run.json").is_file());
    drop(lock);
    let said = ok(d, &["runs", "--delete", &good]);
    assert!(said.contains(&format!("deleted run {good}")), "{said}");
    assert!(!good_path.exists());
    assert!(!ok(d, &["runs"]).contains(&good));
    let out = run(d, &["runs", "--delete", &good]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_plus_of_a_run_stopped_inside_an_epoch_is_explained() {
    let tmp = private_dir();
    let d = tmp.path();
    let (id, path) = train(d, "1", "4");
    assert!(!ok(d, &["runs"]).contains("+ in EPOCHS"));
    // Make the checkpoint say it stopped 3 batches into epoch 2.
    let meta = path.join("run.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta).unwrap()).unwrap();
    json["progress"]["batch"] = 3.into();
    json["hparams"]["epochs"] = 2.into();
    std::fs::write(&meta, serde_json::to_string(&json).unwrap()).unwrap();
    let list = ok(d, &["runs"]);
    assert!(
        list.lines().nth(row(&list, &id)).unwrap().contains("1+/2"),
        "{list}"
    );
    assert!(
        list.lines()
            .last()
            .unwrap()
            .starts_with("+ in EPOCHS (12+/100): stopped inside an epoch"),
        "{list}"
    );
    let help = ok(d, &["runs", "--help"]);
    assert!(
        help.contains("a + (12+/100) marks a run stopped inside an epoch"),
        "{help}"
    );
}

#[test]
fn samples_are_kept_per_epoch_repaired_when_torn_and_printed_by_sample_history() {
    let tmp = private_dir();
    let d = tmp.path();
    let (id, path) = train(d, "2", "8");
    let samples = path.join("samples.jsonl");
    let text = std::fs::read_to_string(&samples).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["event"], "sample");
    assert_eq!(first["epoch"], 1);
    // Headless completes d2l's prefix, 40 characters by default.
    assert_eq!(first["prefix"], "it has");
    assert_eq!(first["completion"].as_str().unwrap().chars().count(), 40);

    let history = ok(d, &["sample", "--history", &id]);
    let lines: Vec<&str> = history.lines().collect();
    assert_eq!(lines.len(), 2, "{history}");
    assert!(lines[0].starts_with("epoch    1  val "), "{history}");
    assert!(lines[1].starts_with("epoch    2  val ") && lines[1].contains("it has│"));

    // A crash tore the last line: skipped when read, cut off when the run resumes.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&samples)
        .unwrap();
    std::io::Write::write_all(&mut f, b"{\"event\":\"sample\",\"ep").unwrap();
    drop(f);
    assert_eq!(ok(d, &["sample", "--history", &id]).lines().count(), 2);
    ok(
        d,
        &[
            "train",
            "--headless",
            "--resume",
            &id,
            "--epochs",
            "3",
            "--threads",
            "1",
            "--completion-len",
            "12",
        ],
    );
    let text = std::fs::read_to_string(&samples).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    let third: serde_json::Value = serde_json::from_str(text.lines().nth(2).unwrap()).unwrap();
    assert_eq!(third["completion"].as_str().unwrap().chars().count(), 12);
    assert!(text.ends_with("\"}\n"), "{text}");
    let history = ok(d, &["sample", "--history", &id]);
    assert!(
        history.lines().nth(2).unwrap().starts_with("epoch    3"),
        "{history}"
    );

    // A run without samples says so; --history and --run exclude each other.
    std::fs::remove_file(&samples).unwrap();
    assert!(ok(d, &["sample", "--history", &id]).contains("no sample history yet"));
    let out = run(d, &["sample", "--history", &id, "--run", &id]);
    assert_eq!(out.status.code(), Some(2));
}
