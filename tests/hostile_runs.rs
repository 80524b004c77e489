//! Run directories from elsewhere: every file of a run is input from outside (runs are synced
//! between machines and resumed there). For each kind of damage, every subcommand that reads
//! runs is run against the release binary under a time limit and an address-space limit, and
//! must end with exit 0 or with exactly one `error:` line and exit 2 — never hang, never grow
//! past the limit, never panic, and never write outside the run directory (a decoy file a
//! symlink points to is hashed before and after).

mod common;

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::cli::SMALL_SPLIT;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

/// The most address space a subcommand may take (a tiny run needs well under 1 GiB; the
/// attacks below asked for 10–30 GB).
const MEMORY_LIMIT: u64 = 2 << 30;
/// The longest a subcommand may take on a tiny run before it counts as hung.
const TIME_LIMIT: Duration = Duration::from_secs(30);

struct Env {
    tmp: tempfile::TempDir,
    run: PathBuf,
}

impl Env {
    /// A finished two-epoch run of the d2l model on a 30 kB slice, and a decoy file outside
    /// the data directory.
    fn new() -> Env {
        let tmp = common::cli::private_dir();
        std::fs::write(tmp.path().join("decoy.txt"), "a user's file\n".repeat(1000)).unwrap();
        let env = Env {
            run: PathBuf::new(),
            tmp,
        };
        let out = env
            .cmd()
            .args(["train", "--headless", "--epochs", "2"])
            .args(SMALL_SPLIT)
            .arg("--corpus")
            .arg(env.path("slice.txt"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let runs = env.path("data/runs");
        let run = std::fs::read_dir(&runs)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        Env { run, ..env }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.tmp.path().join(p)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.run.join(name)
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rnn-tui"));
        c.env("RNN_TUI_DATA_DIR", self.path("data"))
            .env("RNN_TUI_CONFIG_DIR", self.path("config"))
            .env_remove("RNN_TUI_TEST_SLOW_SAVE_MS")
            .env_remove("RNN_TUI_ISA");
        c
    }

    fn decoy(&self) -> PathBuf {
        self.path("decoy.txt")
    }

    /// Replace a run file with a symlink to `target`.
    fn link(&self, name: &str, target: &Path) {
        let _ = std::fs::remove_file(self.file(name));
        std::os::unix::fs::symlink(target, self.file(name)).unwrap();
    }

    /// Replace a run file with a FIFO nobody writes to.
    fn fifo(&self, name: &str) {
        let _ = std::fs::remove_file(self.file(name));
        let st = Command::new("mkfifo")
            .arg(self.file(name))
            .status()
            .unwrap();
        assert!(st.success(), "mkfifo failed");
    }

    /// Replace a run file with a sparse file of `bytes` zero bytes (it costs no disk).
    fn sparse(&self, name: &str, bytes: u64) {
        let _ = std::fs::remove_file(self.file(name));
        std::fs::File::create(self.file(name))
            .unwrap()
            .set_len(bytes)
            .unwrap();
    }

    /// Rewrite one value of `run.json`.
    fn edit_meta(&self, edit: impl FnOnce(&mut serde_json::Value)) {
        let p = self.file("run.json");
        let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        edit(&mut v);
        std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
    }

    /// Every subcommand that reads runs, aimed at this run.
    fn readers(&self) -> Vec<Vec<String>> {
        let run = self.run.display().to_string();
        let slice = self.path("slice.txt").display().to_string();
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        vec![
            s(&["runs"]),
            s(&[
                "sample", "--run", &run, "--prefix", "the time", "--len", "20",
            ]),
            s(&["sample", "--run", "latest", "--prefix", "it", "--best"]),
            s(&["eval", "--run", &run, "--corpus", &slice]),
            s(&["export", "--run", &run, "--csv"]),
            s(&["watch", &run, "--stale-after", "1"]),
            s(&["train", "--headless", "--resume", &run, "--epochs", "3"]),
        ]
    }
}

/// What a limited child did.
struct Outcome {
    code: i32,
    stderr: String,
    what: String,
}

/// Run `args` under [`MEMORY_LIMIT`] (RLIMIT_AS in the child) and [`TIME_LIMIT`] (killed
/// and failed when over).
fn limited(env: &Env, args: &[String]) -> Outcome {
    let mut cmd = env.cmd();
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe, and the closure touches no other state.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: MEMORY_LIMIT,
                rlim_max: MEMORY_LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let what = args.join(" ");
    let mut child = cmd.spawn().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`rnn-tui {what}` hung (killed after {TIME_LIMIT:?})");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = reader.join().unwrap();
    let code = status.code().unwrap_or_else(|| {
        panic!("`rnn-tui {what}` was killed by a signal ({status:?}); stderr: {stderr}")
    });
    Outcome { code, stderr, what }
}

fn sha(path: &Path) -> String {
    let mut h = Sha256::new();
    h.update(std::fs::read(path).unwrap());
    format!("{:x}", h.finalize())
}

/// The rule for every reader and every damage: exit 0, or one `error:` line and exit 2.
fn check(o: &Outcome) {
    assert!(
        !o.stderr.contains("panicked") && !o.stderr.contains("memory allocation"),
        "`rnn-tui {}` crashed: {}",
        o.what,
        o.stderr
    );
    match o.code {
        0 => {}
        2 => {
            let lines: Vec<&str> = o.stderr.lines().filter(|l| !l.is_empty()).collect();
            let errors: Vec<&&str> = lines.iter().filter(|l| l.starts_with("error:")).collect();
            assert_eq!(
                errors.len(),
                1,
                "`rnn-tui {}` must say one error line: {}",
                o.what,
                o.stderr
            );
            assert!(
                errors[0].chars().count() < 700,
                "`rnn-tui {}`: error line of {} characters",
                o.what,
                errors[0].chars().count()
            );
        }
        c => panic!("`rnn-tui {}` exited {c}: {}", o.what, o.stderr),
    }
}

/// Run every reader against the damaged run; the decoy must be untouched. Returns each
/// reader's outcome for case-specific assertions.
fn every_reader(env: &Env) -> Vec<Outcome> {
    let decoy = sha(&env.decoy());
    let outcomes: Vec<Outcome> = env
        .readers()
        .iter()
        .map(|args| {
            let o = limited(env, args);
            check(&o);
            o
        })
        .collect();
    assert_eq!(sha(&env.decoy()), decoy, "a reader wrote outside the run");
    outcomes
}

fn outcome<'a>(all: &'a [Outcome], starts: &str) -> &'a Outcome {
    all.iter().find(|o| o.what.starts_with(starts)).unwrap()
}

#[test]
fn the_undamaged_run_reads_everywhere() {
    let env = Env::new();
    for o in every_reader(&env) {
        assert_eq!(o.code, 0, "`{}`: {}", o.what, o.stderr);
    }
}

#[test]
fn a_metrics_symlink_out_of_the_run_is_never_written_through() {
    let env = Env::new();
    env.link("metrics.jsonl", &env.decoy());
    let all = every_reader(&env);
    let resume = outcome(&all, "train");
    assert_eq!(resume.code, 2);
    assert!(resume.stderr.contains("symbolic link"), "{}", resume.stderr);
    assert!(std::fs::symlink_metadata(env.file("metrics.jsonl"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn symlinks_to_devices_are_refused_not_read() {
    for name in [
        "model.safetensors",
        "metrics.jsonl",
        "run.json",
        "best.safetensors",
    ] {
        let env = Env::new();
        env.link(name, Path::new("/dev/zero"));
        let all = every_reader(&env);
        if name != "best.safetensors" {
            let refused = all
                .iter()
                .filter(|o| o.code == 2 && o.stderr.contains("character device"))
                .count();
            assert!(refused >= 1, "{name}: nobody refused /dev/zero");
        }
    }
}

#[test]
fn fifos_anywhere_in_the_run_never_block() {
    for name in [
        "model.safetensors",
        "metrics.jsonl",
        "run.json",
        "control",
        "state.json",
        "lock",
        "best.safetensors",
    ] {
        let env = Env::new();
        env.fifo(name);
        every_reader(&env);
    }
}

#[test]
fn sparse_giants_are_refused_by_size() {
    let env = Env::new();
    env.sparse("run.json", 2 << 30);
    let all = every_reader(&env);
    assert!(outcome(&all, "sample")
        .stderr
        .contains("more than a run.json may hold"));
    let env = Env::new();
    env.sparse("model.safetensors", 8 << 30);
    let all = every_reader(&env);
    assert!(
        outcome(&all, "sample").stderr.contains("weights file"),
        "{}",
        outcome(&all, "sample").stderr
    );
    let env = Env::new();
    env.sparse("metrics.jsonl", 4 << 30);
    let all = every_reader(&env);
    assert!(
        outcome(&all, "export").stderr.contains("longer than"),
        "{}",
        outcome(&all, "export").stderr
    );
}

/// A change to `run.json`.
type Edit = Box<dyn Fn(&mut serde_json::Value)>;

#[test]
fn values_a_flag_would_refuse_are_refused_from_run_json() {
    let cases: Vec<(&str, Edit)> = vec![
        (
            "num-steps",
            Box::new(|v| v["hparams"]["num_steps"] = 50_000.into()),
        ),
        (
            "hiddens",
            Box::new(|v| v["hparams"]["hiddens"] = 1_000_000_000u64.into()),
        ),
        (
            "batch-size",
            Box::new(|v| v["hparams"]["batch_size"] = 0.into()),
        ),
        ("lr", Box::new(|v| v["hparams"]["lr"] = (-1.0).into())),
        ("lr", Box::new(|v| v["progress"]["lr"] = "NaN".into())),
        (
            "vocabulary",
            Box::new(|v| {
                let vocab = v["vocab"].as_array_mut().unwrap();
                vocab.insert(0, "".into());
            }),
        ),
        (
            "one character",
            Box::new(|v| {
                let vocab = v["vocab"].as_array_mut().unwrap();
                vocab.push("zz".into());
            }),
        ),
        (
            "GiB",
            Box::new(|v| {
                // A million distinct one-character tokens (sorted, as a corpus makes them).
                let mut vocab: Vec<String> = (0x4e00u32..0x4e00 + 1_000_000)
                    .filter_map(char::from_u32)
                    .map(String::from)
                    .collect();
                vocab.push("<unk>".into());
                vocab.push(" ".into());
                vocab.sort();
                v["vocab"] = vocab.into();
            }),
        ),
    ];
    for (said, edit) in cases {
        let env = Env::new();
        env.edit_meta(edit);
        let all = every_reader(&env);
        for who in ["sample", "eval", "export", "train"] {
            let o = outcome(&all, who);
            if who == "export" {
                // export reads only the metrics: a bad run.json may still export.
                continue;
            }
            assert_eq!(o.code, 2, "{said}: `{}` accepted it", o.what);
            assert!(
                o.stderr.contains(said),
                "{said}: `{}`: {}",
                o.what,
                o.stderr
            );
        }
        let runs = limited(&env, &["runs".into()]);
        assert_eq!(runs.code, 0);
    }
}

#[test]
fn a_torn_metrics_tail_never_survives_a_resume() {
    let env = Env::new();
    let m = env.file("metrics.jsonl");
    let whole = std::fs::read(&m).unwrap();
    // A full disk tore a line after the checkpoint's count.
    let mut torn = whole.clone();
    torn.extend_from_slice(b"{\"event\":\"batch\",\"epo");
    std::fs::write(&m, &torn).unwrap();
    let o = limited(
        &env,
        &[
            "export".into(),
            "--run".into(),
            "latest".into(),
            "--csv".into(),
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let out = env
        .cmd()
        .args(["train", "--headless", "--resume", "latest", "--epochs", "3"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let after = std::fs::read(&m).unwrap();
    assert!(after.starts_with(&whole));
    assert!(after.ends_with(b"\n"));
    for line in after.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        serde_json::from_slice::<serde_json::Value>(line).expect("every line whole");
    }
}

#[test]
fn non_utf8_names_and_interrupted_first_saves_do_not_hide_runs() {
    let env = Env::new();
    let runs = env.path("data/runs");
    // A directory whose name is not UTF-8, holding a copy of the run.
    let odd = runs.join(std::ffi::OsStr::from_bytes(b"odd\xffname"));
    std::fs::create_dir(&odd).unwrap();
    std::fs::copy(env.file("run.json"), odd.join("run.json")).unwrap();
    // A run whose first save was killed: weights and lock, no run.json.
    let half = runs.join("20991231-235959-dead");
    std::fs::create_dir(&half).unwrap();
    std::fs::copy(
        env.file("model.safetensors"),
        half.join("model.safetensors"),
    )
    .unwrap();
    std::fs::write(half.join("lock"), "999999 0 elsewhere\n").unwrap();
    let out = env.cmd().arg("runs").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let listed = String::from_utf8(out.stdout).unwrap();
    assert!(listed.contains("20991231-235959-dead"), "{listed}");
    assert!(listed.contains("first save was interrupted"), "{listed}");
    let id = env.run.file_name().unwrap().to_str().unwrap();
    assert!(listed.contains(id), "{listed}");
    // `latest` is the newest complete run, not the half one or the odd name.
    let out = env
        .cmd()
        .args(["sample", "--run", "latest", "--prefix", "it", "--len", "5"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let o = limited(
        &env,
        &[
            "sample".into(),
            "--run".into(),
            "20991231".into(),
            "--prefix".into(),
            "it".into(),
        ],
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("first save was interrupted"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_control_fifo_is_refused_and_training_ends() {
    let env = Env::new();
    env.fifo("control");
    let o = limited(
        &env,
        &[
            "train".into(),
            "--headless".into(),
            "--resume".into(),
            "latest".into(),
            "--epochs".into(),
            "3".into(),
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("FIFO"), "{}", o.stderr);
}

#[test]
fn config_and_theme_files_that_are_not_files_are_refused() {
    let env = Env::new();
    std::os::unix::fs::symlink("/dev/zero", env.path("config/config.toml")).unwrap();
    let o = limited(&env, &["config".into()]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    check(&o);
    let o = limited(&env, &["runs".into()]);
    check(&o);
    std::fs::remove_file(env.path("config/config.toml")).unwrap();
    let st = Command::new("mkfifo")
        .arg(env.path("config/config.toml"))
        .status()
        .unwrap();
    assert!(st.success());
    let o = limited(&env, &["config".into()]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    check(&o);
    std::fs::remove_file(env.path("config/config.toml")).unwrap();
    let theme = env.path("theme.toml");
    std::os::unix::fs::symlink("/dev/zero", &theme).unwrap();
    let o = limited(
        &env,
        &[
            "train".into(),
            "--headless".into(),
            "--no-save".into(),
            "--epochs".into(),
            "1".into(),
            "--theme".into(),
            theme.display().to_string(),
        ],
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    check(&o);
}

/// One damage to a run directory, as a property test draws it.
#[derive(Clone, Debug)]
enum Damage {
    /// Keep the first `keep` parts per thousand of a file.
    Truncate { file: usize, keep: u16 },
    /// Flip the bits of `mask` at `at` parts per thousand into a file.
    Flip { file: usize, at: u16, mask: u8 },
    /// Append bytes to a file.
    Append { file: usize, bytes: Vec<u8> },
    /// Remove a file.
    Remove { file: usize },
}

const FILES: [&str; 4] = [
    "run.json",
    "model.safetensors",
    "metrics.jsonl",
    "best.safetensors",
];

fn damage() -> impl Strategy<Value = Damage> {
    let file = 0..FILES.len();
    prop_oneof![
        (file.clone(), 0u16..1000).prop_map(|(file, keep)| Damage::Truncate { file, keep }),
        (file.clone(), 0u16..1000, 1u8..=255).prop_map(|(file, at, mask)| Damage::Flip {
            file,
            at,
            mask
        }),
        (file.clone(), proptest::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(file, bytes)| Damage::Append { file, bytes }),
        file.prop_map(|file| Damage::Remove { file }),
    ]
}

fn apply(dir: &Path, d: &Damage) {
    let path = |f: usize| dir.join(FILES[f]);
    match d {
        Damage::Truncate { file, keep } => {
            if let Ok(bytes) = std::fs::read(path(*file)) {
                let n = bytes.len() * *keep as usize / 1000;
                std::fs::write(path(*file), &bytes[..n]).unwrap();
            }
        }
        Damage::Flip { file, at, mask } => {
            if let Ok(mut bytes) = std::fs::read(path(*file)) {
                if !bytes.is_empty() {
                    let i = bytes.len() * *at as usize / 1000;
                    bytes[i] ^= mask;
                    std::fs::write(path(*file), &bytes).unwrap();
                }
            }
        }
        Damage::Append { file, bytes } => {
            use std::io::Write;
            if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(path(*file)) {
                f.write_all(bytes).unwrap();
            }
        }
        Damage::Remove { file } => {
            let _ = std::fs::remove_file(path(*file));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// A damaged run directory never panics the library's readers: every load either works
    /// or says why, in one line.
    #[test]
    fn damaged_run_directories_load_or_say_why(damages in proptest::collection::vec(damage(), 1..4)) {
        let base = pristine();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("runs").join("20261202-000000-abcd");
        std::fs::create_dir_all(&dir).unwrap();
        for f in FILES {
            std::fs::copy(base.join(f), dir.join(f)).unwrap();
        }
        for d in &damages {
            apply(&dir, d);
        }
        let one_line = |e: &dyn std::fmt::Display| {
            let s = e.to_string();
            prop_assert!(!s.contains('\n'), "{s}");
            Ok(())
        };
        let listed = rnn_tui::runs::list_runs(&tmp.path().join("runs")).unwrap();
        for l in &listed {
            if let Err(e) = &l.meta {
                one_line(e)?;
            }
        }
        match rnn_tui::runs::RunDir::open(&dir) {
            Err(e) => one_line(&e)?,
            Ok(run) => {
                match rnn_tui::runs::Checkpoint::load(&run) {
                    Ok(c) => {
                        let model = c.model();
                        if let Err(e) = &model {
                            one_line(e)?;
                        }
                    }
                    Err(e) => one_line(&e)?,
                }
                if let Err(e) = rnn_tui::runs::Checkpoint::load_best(&run) {
                    one_line(&e)?;
                }
                if let Err(e) = run.metrics() {
                    one_line(&e)?;
                }
            }
        }
    }
}

/// One trained run, made once for the whole property test.
fn pristine() -> PathBuf {
    static RUN: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let env = Env::new();
        let run = env.run.clone();
        (env.tmp, run)
    })
    .1
    .clone()
}

#[test]
fn a_huge_value_is_never_echoed_whole() {
    let env = Env::new();
    // 100k characters: one argument may hold at most 128 KiB.
    let huge = "x".repeat(100_000);
    for args in [
        vec!["train", "--headless", "--no-save", "--cell", huge.as_str()],
        vec!["sample", "--run", huge.as_str(), "--prefix", "it"],
    ] {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let o = limited(&env, &args);
        assert_eq!(o.code, 2, "{}", o.stderr);
        assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
        assert!(o.stderr.chars().count() < 700, "{} chars", o.stderr.len());
        assert!(o.stderr.contains('…'), "{}", &o.stderr[..200]);
    }
}
