//! Standard output that cannot be written, on the real binary: a full disk (`/dev/full`,
//! ENOSPC) is one line on stderr and exit 1, never a panic, and a headless run still saves its
//! work; a closed pipe (the reader went away) ends a command quietly with exit 0. And
//! `export --output PATH` replaces only regular files: a symbolic link, a FIFO or a directory
//! is refused with one line and exit 2, and left as it was.

#![cfg(unix)]

mod common;

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::cli::SMALL_SPLIT;
use rnn_tui::runs::{Checkpoint, RunDir};
use sha2::{Digest, Sha256};

/// A private data dir, config dir and 30 kB corpus slice for one test.
struct Env {
    tmp: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let tmp = common::cli::private_dir();
        Env { tmp }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.tmp.path().join(p)
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = common::cli::rnn_tui(self.tmp.path());
        c.env_remove(rnn_tui::runs::atomic::SLOW_SAVE_ENV)
            .args(args)
            .stdin(Stdio::null());
        c
    }

    /// Run with standard output `stdout`; stderr is captured.
    fn run_into(&self, args: &[&str], stdout: Stdio) -> Output {
        self.cmd(args)
            .stdout(stdout)
            .stderr(Stdio::piped())
            .output()
            .unwrap()
    }

    /// Run and expect success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The flags of a tiny model on the slice, on one CPU thread.
    fn tiny_args(&self) -> Vec<String> {
        SMALL_SPLIT
            .iter()
            .chain(&[
                "--hiddens",
                "16",
                "--device",
                "cpu",
                "--threads",
                "1",
                "--corpus",
            ])
            .map(|s| s.to_string())
            .chain([self.path("slice.txt").display().to_string()])
            .collect()
    }

    /// `train --headless` on the tiny model (plus `extra`).
    fn train_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args = vec!["train".to_string(), "--headless".to_string()];
        args.extend(self.tiny_args());
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    /// Train a tiny model for one epoch; returns its run id.
    fn trained_run(&self) -> String {
        let args = self.train_args(&["--epochs", "1"]);
        let text = self.ok(&refs(&args));
        let line = text
            .lines()
            .find(|l| l.starts_with("run "))
            .unwrap_or_else(|| panic!("no run line in {text}"));
        line.split(' ').nth(1).unwrap().to_owned()
    }

    /// The run directories saved so far.
    fn saved_runs(&self) -> Vec<PathBuf> {
        let root = self.path("data").join("runs");
        let Ok(entries) = std::fs::read_dir(&root) else {
            return Vec::new();
        };
        entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect()
    }
}

fn refs(a: &[String]) -> Vec<&str> {
    a.iter().map(|s| s.as_str()).collect()
}

/// Standard output on `/dev/full`: every write fails with ENOSPC.
fn dev_full() -> Stdio {
    let f = OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("opening /dev/full for writing");
    Stdio::from(f)
}

/// Standard output on a pipe whose read end is closed before the child starts: every write
/// fails with EPIPE (no race with the child's first write).
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Stdio::from(writer)
}

/// Exit `code` and exactly one line on stderr, `error: …` containing `needle`; no panic.
fn one_error_line(out: &Output, code: i32, needle: &str, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert_eq!(out.status.code(), Some(code), "{what}: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{what}: {stderr}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains(needle),
        "{what}: {stderr}"
    );
}

/// Exit 0 and no panic.
fn quiet_success(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert_eq!(out.status.code(), Some(0), "{what}: {stderr}");
}

/// The commands that print and end, on a trained run.
fn printing_commands(env: &Env, id: &str) -> Vec<Vec<String>> {
    let corpus = env.path("slice.txt").display().to_string();
    [
        vec!["runs"],
        vec!["sample", "--run", id, "--len", "50"],
        vec!["eval", "--run", id, "--corpus", &corpus],
        vec!["config"],
        vec!["config", "--path"],
        vec!["export", "--run", id, "--csv"],
        // Not a terminal: the watcher replays the finished run as plain lines.
        vec!["watch", id],
    ]
    .into_iter()
    .map(|a| a.into_iter().map(String::from).collect())
    .collect()
}

#[test]
fn printing_commands_into_a_full_disk_fail_with_one_line_and_exit_1() {
    let env = Env::new();
    let id = env.trained_run();
    for args in printing_commands(&env, &id) {
        let out = env.run_into(&refs(&args), dev_full());
        one_error_line(&out, 1, "standard output", &format!("{args:?}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("error: writing standard output: "),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn printing_commands_into_a_closed_pipe_exit_0_quietly() {
    let env = Env::new();
    let id = env.trained_run();
    for args in printing_commands(&env, &id) {
        let out = env.run_into(&refs(&args), closed_pipe());
        quiet_success(&out, &format!("{args:?}"));
        assert!(out.stderr.is_empty(), "{args:?}: {:?}", out.stderr);
    }
    // Through a shell pipeline too (`| true`: the reader may go before or after the writes).
    // The left side's exit status is written on stderr after whatever it wrote there.
    let exe = env!("CARGO_BIN_EXE_rnn-tui");
    for args in ["runs", &format!("export --run {id} --csv")] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("('{exe}' {args}; echo \"status $?\" >&2) | true"))
            .env("RNN_TUI_DATA_DIR", env.path("data"))
            .env("RNN_TUI_CONFIG_DIR", env.path("config"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "status 0\n",
            "sh -c 'rnn-tui {args} | true'"
        );
    }
}

#[test]
fn headless_training_into_a_full_disk_stops_saves_and_exits_1() {
    for flags in [&[][..], &["--json"][..]] {
        let env = Env::new();
        let mut extra = vec!["--epochs", "20"];
        extra.extend(flags);
        let args = env.train_args(&extra);
        let out = env.run_into(&refs(&args), dev_full());
        let what = format!("train --headless {flags:?} > /dev/full");
        one_error_line(&out, 1, "standard output", &what);
        // Work is never lost: the run was saved as on any other stop, and loads.
        let runs = env.saved_runs();
        assert_eq!(runs.len(), 1, "{what}: {runs:?}");
        assert!(runs[0].join("run.json").is_file(), "{what}");
        let ckpt = Checkpoint::load(&RunDir::open(&runs[0]).unwrap())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        // It stopped early (the first line could not be written), not after 20 epochs.
        assert!(
            ckpt.meta.progress.epoch < 20,
            "{what}: {:?}",
            ckpt.meta.progress
        );
    }
}

#[test]
fn headless_training_into_a_closed_pipe_stops_quietly_and_saves() {
    let env = Env::new();
    let args = env.train_args(&["--epochs", "20"]);
    let out = env.run_into(&refs(&args), closed_pipe());
    quiet_success(&out, "train --headless | (closed)");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs = env.saved_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let ckpt = Checkpoint::load(&RunDir::open(&runs[0]).unwrap()).unwrap();
    assert!(ckpt.meta.progress.epoch < 20, "{:?}", ckpt.meta.progress);
}

fn sha256(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

#[test]
fn export_output_replaces_regular_files_only() {
    let env = Env::new();
    let id = env.trained_run();
    let csv = env.ok(&["export", "--run", &id, "--csv"]);
    assert!(csv.starts_with("event,epoch,batch,"), "{csv}");
    let export_to = |path: &Path| {
        env.run_into(
            &[
                "export",
                "--run",
                &id,
                "--csv",
                "--output",
                path.to_str().unwrap(),
            ],
            Stdio::piped(),
        )
    };

    // A symbolic link: refused, neither the link nor what it points to touched.
    let decoy = env.path("decoy.txt");
    std::fs::write(&decoy, "precious\n").unwrap();
    let before = sha256(&decoy);
    let link = env.path("link.csv");
    std::os::unix::fs::symlink(&decoy, &link).unwrap();
    let out = export_to(&link);
    one_error_line(&out, 2, "not a regular file", "--output symlink");
    assert!(String::from_utf8_lossy(&out.stderr).contains("symbolic link"));
    assert_eq!(sha256(&decoy), before, "the decoy changed");
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    assert_eq!(std::fs::read_link(&link).unwrap(), decoy);

    // A FIFO (made with mkfifo: the test fails if it is missing, it does not skip).
    let fifo = env.path("fifo.csv");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("running mkfifo");
    assert!(made.success(), "mkfifo failed");
    let out = export_to(&fifo);
    one_error_line(&out, 2, "not a regular file", "--output fifo");
    {
        use std::os::unix::fs::FileTypeExt;
        let t = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(t.is_fifo(), "the FIFO was replaced");
    }

    // A directory: refused, still a directory, nothing written into it.
    let dir = env.path("out.d");
    std::fs::create_dir(&dir).unwrap();
    let out = export_to(&dir);
    one_error_line(&out, 2, "not a regular file", "--output directory");
    assert!(std::fs::symlink_metadata(&dir).unwrap().is_dir());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);

    // A regular file is replaced with the CSV; a missing one is created.
    let file = env.path("old.csv");
    std::fs::write(&file, "old contents\n").unwrap();
    let out = export_to(&file);
    quiet_success(&out, "--output regular file");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);
    let new = env.path("new.csv");
    let out = export_to(&new);
    quiet_success(&out, "--output new file");
    assert_eq!(std::fs::read_to_string(&new).unwrap(), csv);
    // Nothing was left behind in the directory (no temporaries).
    let mut names: Vec<String> = std::fs::read_dir(env.tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    names.sort();
    assert!(names.is_empty(), "{names:?}");
}
