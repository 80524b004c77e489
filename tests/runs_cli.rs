//! The run subcommands end to end: train saves, resume, sample, eval, runs, export, config,
//! a checkpoint that survives `kill -9`, and bad input.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::cli::SMALL_SPLIT;
use rnn_tui::runs::{Checkpoint, RunDir};

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

    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rnn-tui"));
        c.env("RNN_TUI_DATA_DIR", self.path("data"))
            .env("RNN_TUI_CONFIG_DIR", self.path("config"))
            .env_remove("RNN_TUI_TEST_SLOW_SAVE_MS");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// Run and expect success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        common::cli::success_stdout(self.run(args), args)
    }

    /// Expect exit code `code` and a single `error:` line containing `needle` (clap adds a
    /// usage hint after its own errors).
    fn fails(&self, args: &[&str], code: i32, needle: &str) {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        let errors = stderr.lines().filter(|l| l.starts_with("error")).count();
        assert_eq!(errors, 1, "{args:?}: {stderr}");
        assert!(
            stderr.lines().next().unwrap().contains(needle),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }

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

    /// Train a tiny model; returns (run id, run path, stdout).
    fn train(&self, extra: &[&str]) -> (String, PathBuf, String) {
        let mut args = vec!["train".to_string(), "--headless".to_string()];
        args.extend(self.tiny_args());
        args.extend(extra.iter().map(|s| s.to_string()));
        if !extra.contains(&"--epochs") {
            args.extend(["--epochs".to_string(), "2".to_string()]);
        }
        let text = self.ok(&refs(&args));
        let (id, path) = run_line(&text);
        (id, path, text)
    }
}

fn run_line(text: &str) -> (String, PathBuf) {
    let line = text
        .lines()
        .find(|l| l.starts_with("run "))
        .unwrap_or_else(|| panic!("no run line in {text}"));
    let parts: Vec<&str> = line.split(' ').collect();
    (parts[1].to_owned(), PathBuf::from(parts[2]))
}

fn refs(a: &[String]) -> Vec<&str> {
    a.iter().map(|s| s.as_str()).collect()
}

fn epoch_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with("epoch ")).collect()
}

fn batch_losses(json: &str) -> Vec<String> {
    json.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "batch")
        .map(|v| v["loss"].to_string())
        .collect()
}

#[test]
fn train_then_list_sample_export_and_resume() {
    let env = Env::new();
    let (id, path, text) = env.train(&[]);
    assert!(path.starts_with(env.path("data").join("runs")), "{text}");
    for f in ["model.safetensors", "run.json", "metrics.jsonl"] {
        assert!(path.join(f).is_file(), "{f}");
    }

    // runs: one row with the id, the corpus and the best validation perplexity.
    let list = env.ok(&["runs"]);
    let row = list.lines().find(|l| l.starts_with(&id)).expect(&list);
    assert!(row.contains("slice.txt") && row.contains("2/2"), "{row}");
    // The model, and that the best-validation weights were kept.
    assert!(
        row.contains("rnn H16 sgd") && row.contains(" best "),
        "{row}"
    );
    let val: f64 = epoch_lines(&text)[1]
        .split(' ')
        .nth(5)
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        row.trim_end().ends_with(&format!("{val:.2}")),
        "{row} vs {val}"
    );

    // sample: greedy by default, so twice the same; the prefix comes first.
    let a = env.ok(&[
        "sample", "--run", &id, "--prefix", "the time", "--len", "40",
    ]);
    assert!(a.starts_with("the time"), "{a}");
    assert_eq!(a.trim_end_matches('\n').chars().count(), 48, "{a:?}");
    assert_eq!(
        a,
        env.ok(&["sample", "--run", &id, "--prefix", "the time", "--len", "40"])
    );
    // Sampled: reproducible with a seed, different with another.
    let hot = |seed: &str| {
        env.ok(&[
            "sample",
            "--run",
            "latest",
            "--len",
            "60",
            "--temperature",
            "2",
            "--seed",
            seed,
        ])
    };
    assert_eq!(hot("1"), hot("1"));
    assert_ne!(hot("1"), hot("2"));
    let k = env.ok(&["sample", "--run", &id[..12], "--top-k", "1", "--len", "30"]);
    assert_eq!(
        k,
        env.ok(&["sample", "--run", &id, "--len", "30"]),
        "top-k 1 is greedy"
    );

    // export: a header, 16 batches and 2 epochs; to a file too.
    let csv = env.ok(&["export", "--run", &id, "--csv"]);
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("event,epoch,batch,"), "{csv}");
    assert_eq!(rows.iter().filter(|r| r.starts_with("batch,")).count(), 16);
    assert_eq!(rows.iter().filter(|r| r.starts_with("epoch,")).count(), 2);
    let file = env.path("m.csv");
    env.ok(&[
        "export",
        "--run",
        &id,
        "--csv",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);

    // Resume for one more epoch: the run line says where it picked up.
    let more = env.ok(&[
        "train",
        "--headless",
        "--resume",
        &id,
        "--epochs",
        "3",
        "--threads",
        "1",
    ]);
    assert!(more.contains(&format!("run {id} ")), "{more}");
    assert!(more.contains("resumed epoch 2 batch 0"), "{more}");
    assert_eq!(epoch_lines(&more).len(), 1);
    assert!(epoch_lines(&more)[0].starts_with("epoch 3 "), "{more}");
    let csv = env.ok(&["export", "--run", &id, "--csv"]);
    assert_eq!(csv.lines().filter(|r| r.starts_with("batch,")).count(), 24);
    assert!(env.ok(&["runs"]).contains("3/3"));
}

#[test]
fn resumed_cli_run_prints_the_same_losses_as_an_uninterrupted_one() {
    let env = Env::new();
    let mut args: Vec<String> = vec!["train".into(), "--headless".into(), "--json".into()];
    args.extend(env.tiny_args());
    let with = |extra: &[&str]| {
        let mut a = args.clone();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let full = with(&["--epochs", "3", "--no-save"]);
    let reference = batch_losses(&env.ok(&refs(&full)));
    assert_eq!(reference.len(), 24);
    let first = with(&["--epochs", "1"]);
    let first_out = env.ok(&refs(&first));
    let run: serde_json::Value = first_out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["event"] == "run")
        .unwrap();
    let id = run["id"].as_str().unwrap();
    let second = env.ok(&[
        "train",
        "--headless",
        "--json",
        "--resume",
        id,
        "--epochs",
        "3",
        "--threads",
        "1",
    ]);
    let mut losses = batch_losses(&first_out);
    losses.extend(batch_losses(&second));
    assert_eq!(losses, reference);
}

#[test]
fn kill_9_while_saving_leaves_a_loadable_checkpoint() {
    let env = Env::new();
    let mut run: Option<PathBuf> = None;
    let mut rng_state = 0x2545_f491_4f6c_dd1du64;
    let mut last_position = 0;
    for round in 0..5 {
        let mut c = env.cmd();
        c.args(["train", "--headless", "--save-every", "1"]);
        match &run {
            None => {
                c.args(env.tiny_args()).args(["--epochs", "1000"]);
            }
            Some(p) => {
                c.args(["--threads", "1", "--resume", p.to_str().unwrap()]);
            }
        }
        // Each save sleeps between writing and renaming, so kills land mid-save often.
        c.env("RNN_TUI_TEST_SLOW_SAVE_MS", "15")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = c.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let header = lines.next().unwrap().unwrap();
        assert!(header.starts_with("device "), "{header}");
        let (_, path) = run_line(&lines.next().unwrap().unwrap());
        run.get_or_insert(path.clone());
        // xorshift: a different moment each round, 100..600 ms in.
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        std::thread::sleep(Duration::from_millis(100 + rng_state % 500));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let ckpt = Checkpoint::load(&RunDir::open(&path).unwrap())
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        let p = &ckpt.meta.progress;
        assert!(p.epoch < 1000, "round {round}: {p:?}");
        // Each round resumes from the last checkpoint and gets further.
        let position = p.epoch * 8 + p.batch;
        assert!(position >= last_position, "round {round}: {p:?}");
        last_position = position;
        // The saved state can still be trained from.
        rnn_tui::train::Trainer::from_checkpoint(ckpt, &candle_core::Device::Cpu, "cpu")
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
    }
}

#[test]
fn eval_on_other_books_beats_the_uniform_model() {
    let env = Env::new();
    let (id, _, _) = env.train(&[]);
    for book in ["war_of_the_worlds.txt", "pride_and_prejudice.txt"] {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample_texts")
            .join(book);
        let out = env.ok(&["eval", "--run", &id, "--corpus", corpus.to_str().unwrap()]);
        let ppl: f64 = out
            .lines()
            .find_map(|l| l.strip_prefix("perplexity "))
            .unwrap_or_else(|| panic!("{out}"))
            .parse()
            .unwrap();
        assert!(ppl.is_finite() && ppl > 1.0 && ppl < 28.0, "{book}: {out}");
        assert!(out.contains(" unknown 0 "), "{out}");
    }
}

#[test]
fn config_file_sets_defaults_and_flags_win() {
    let env = Env::new();
    let cfg = env.path("config").join("config.toml");
    assert_eq!(env.ok(&["config", "--path"]).trim(), cfg.to_str().unwrap());
    assert!(env.ok(&["config"]).contains("not present"));
    std::fs::write(
        &cfg,
        "theme = \"light\"\n[train]\nhiddens = 20\nepochs = 1\n",
    )
    .unwrap();
    let shown = env.ok(&["config"]);
    assert!(
        shown.contains("theme = \"light\"") && shown.contains("hiddens = 20"),
        "{shown}"
    );
    // The tiny args set --hiddens 16 and --epochs 2: flags win.
    let (_, _, text) = env.train(&[]);
    assert!(text.contains("params 1196 "), "{text}");
    // Without those flags, the config's values apply: 28*20 + 20*20 + 20 + 20*28 + 28 params.
    let out = env.ok(&[
        "train",
        "--headless",
        "--no-save",
        "--num-train",
        "2000",
        "--num-val",
        "500",
        "--batch-size",
        "256",
        "--threads",
        "1",
        "--corpus",
        env.path("slice.txt").to_str().unwrap(),
    ]);
    assert!(out.contains("params 1568 "), "{out}");
    assert_eq!(epoch_lines(&out).len(), 1, "{out}");

    std::fs::write(&cfg, "[train]\nlr = -1\n").unwrap();
    let name = cfg.to_str().unwrap();
    for args in [&["train", "--headless"][..], &["config"][..]] {
        env.fails(args, 2, "lr must be a positive finite number");
        env.fails(args, 2, name);
    }
    std::fs::write(&cfg, "[train\n").unwrap();
    env.fails(&["train", "--headless"], 2, "line 1");
    std::fs::write(&cfg, "[train]\nhidens = 3\n").unwrap();
    env.fails(&["train", "--headless"], 2, "unknown key \"hidens\"");
}

#[test]
fn bad_input_to_the_run_commands() {
    let env = Env::new();
    env.fails(&["sample", "--run", "nope"], 2, "no run \"nope\"");
    env.fails(
        &["eval", "--run", "nope", "--corpus", "x.txt"],
        2,
        "no run \"nope\"",
    );
    env.fails(&["export", "--run", "nope", "--csv"], 2, "no run \"nope\"");
    env.fails(
        &["train", "--headless", "--resume", "nope"],
        2,
        "no run \"nope\"",
    );
    assert!(env.ok(&["runs"]).starts_with("no runs in "));

    let (id, path, _) = env.train(&[]);
    env.fails(
        &["sample", "--run", &id, "--temperature", "0"],
        2,
        "--temperature must be a positive",
    );
    env.fails(
        &["sample", "--run", &id, "--temperature", "NaN"],
        2,
        "--temperature must be a positive",
    );
    env.fails(&["sample", "--run", &id, "--top-k", "0"], 2, "top-k");
    env.fails(
        &["sample", "--run", &id, "--prefix", ""],
        2,
        "--prefix needs",
    );
    env.fails(
        &["sample", "--run", &id, "--len", "abc"],
        2,
        "invalid value",
    );
    env.fails(&["eval", "--run", &id], 2, "--corpus FILE");
    env.fails(
        &["eval", "--run", &id, "--corpus", "/no/such.txt"],
        2,
        "corpus file not found",
    );
    env.fails(&["export", "--run", &id], 2, "--csv");
    env.fails(
        &["train", "--headless", "--resume", &id, "--hiddens", "8"],
        2,
        "--hiddens cannot change when resuming",
    );
    env.fails(
        &["train", "--headless", "--no-save", "--save-every", "2"],
        2,
        "cannot be used",
    );
    env.fails(
        &["train", "--headless", "--save-every", "0"],
        2,
        "save-every",
    );

    // A damaged checkpoint: one clear line, exit 2, for every command that reads it.
    let model = path.join("model.safetensors");
    let bytes = std::fs::read(&model).unwrap();
    std::fs::write(&model, &bytes[..bytes.len() - 10]).unwrap();
    env.fails(&["sample", "--run", &id], 2, "damaged");
    env.fails(
        &["eval", "--run", &id, "--corpus", "timemachine"],
        2,
        "damaged",
    );
    env.fails(&["train", "--headless", "--resume", &id], 2, "damaged");
    std::fs::write(&model, &bytes).unwrap();

    // --data-dir wins over RNN_TUI_DATA_DIR.
    let other = env.path("elsewhere");
    let (_, p, _) = env.train(&["--data-dir", other.to_str().unwrap()]);
    assert!(p.starts_with(other.join("runs")), "{}", p.display());
    assert!(env
        .ok(&["runs", "--data-dir", other.to_str().unwrap()])
        .contains(p.file_name().unwrap().to_str().unwrap()));
    assert!(!env
        .ok(&["runs"])
        .contains(p.file_name().unwrap().to_str().unwrap()));

    // The corpus changed since: resume refuses.
    std::fs::write(
        env.path("slice.txt"),
        &rnn_tui::data::corpus::TIME_MACHINE[..29_000],
    )
    .unwrap();
    env.fails(
        &["train", "--headless", "--resume", &id],
        2,
        "changed since run",
    );
}

#[test]
fn a_run_in_use_by_another_process_is_not_resumed_twice() {
    let env = Env::new();
    let mut c = env.cmd();
    c.args(["train", "--headless"])
        .args(env.tiny_args())
        .args(["--epochs", "100000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    lines.next().unwrap().unwrap();
    let (id, _) = run_line(&lines.next().unwrap().unwrap());
    let pid = child.id().to_string();
    // The trainer holds the run: a second writer is refused, naming the process.
    env.fails(
        &["train", "--headless", "--resume", &id],
        2,
        &format!("run {id} is in use by process {pid}"),
    );
    // Once it has stopped (and saved), the run can be continued.
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    child.wait().unwrap();
    env.ok(&["train", "--headless", "--resume", &id, "--epochs", "1"]);
}
