//! Property tests of the checkpoint loader: a saved run with arbitrary damage to its weights or
//! its `run.json` either loads (and then holds the right shapes) or gives a one-line error —
//! never a panic.

use std::path::PathBuf;

mod common;
use std::sync::OnceLock;

use candle_core::Device;
use common::weights::with_value;
use proptest::prelude::*;
use rnn_tui::hparams::HParams;
use rnn_tui::model::PARAM_NAMES;
use rnn_tui::runs::{RunDir, RunError, META_FILE, MODEL_FILE};
use rnn_tui::train::{Command, Event, Trainer};

/// One small saved run, made once: (its directory, weights bytes, run.json bytes).
fn saved_run() -> &'static (tempfile::TempDir, Vec<u8>, Vec<u8>) {
    static RUN: OnceLock<(tempfile::TempDir, Vec<u8>, Vec<u8>)> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("c.txt");
        std::fs::write(&corpus, &rnn_tui::data::corpus::TIME_MACHINE[..8_000]).unwrap();
        let hp = HParams {
            hiddens: 6,
            num_steps: 8,
            batch_size: 64,
            epochs: 1,
            num_train: 500,
            num_val: 100,
            corpus: rnn_tui::data::CorpusSource::File(corpus),
            ..HParams::default()
        };
        let mut t = Trainer::new(hp, &Device::Cpu, "cpu").unwrap();
        let run = RunDir::create(&dir.path().join("runs")).unwrap();
        t.record_to(run.clone()).unwrap();
        let h = t.spawn();
        h.send(Command::Start);
        for ev in h.events.iter() {
            if let Event::Finished(_) = ev {
                break;
            }
        }
        h.stop();
        let model = std::fs::read(run.model_path()).unwrap();
        let meta = std::fs::read(run.meta_path()).unwrap();
        (dir, model, meta)
    })
}

#[derive(Debug, Clone)]
enum Damage {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<usize>().prop_map(Damage::Truncate),
        (any::<usize>(), 1u8..).prop_map(|(i, x)| Damage::Flip(i, x)),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(i, b)| Damage::Insert(i, b)),
    ]
}

fn apply(bytes: &[u8], d: &Damage) -> Vec<u8> {
    let mut b = bytes.to_vec();
    match d {
        Damage::Truncate(n) => b.truncate(n % b.len()),
        Damage::Flip(i, x) => {
            let i = i % b.len();
            b[i] ^= x;
        }
        Damage::Insert(i, extra) => {
            let i = i % (b.len() + 1);
            b.splice(i..i, extra.iter().copied());
        }
    }
    b
}

/// A run directory `root/run` holding these two files.
fn write_run(root: &std::path::Path, model: &[u8], meta: &[u8]) -> PathBuf {
    let path: PathBuf = root.join("run");
    std::fs::create_dir(&path).unwrap();
    std::fs::write(path.join(MODEL_FILE), model).unwrap();
    std::fs::write(path.join(META_FILE), meta).unwrap();
    path
}

fn load_damaged(model: &[u8], meta: &[u8]) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = write_run(dir.path(), model, meta);
    let run = RunDir::open(&path).map_err(|e| e.to_string())?;
    let ckpt = run.checkpoint().map_err(|e| e.to_string())?;
    let lm = ckpt.model().map_err(|e| e.to_string())?;
    // What loads must be usable.
    let snap = lm.snapshot().unwrap();
    assert_eq!(snap.w_hh.len(), snap.hiddens * snap.hiddens);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn damaged_weights_never_panic(d in damage()) {
        let (_, model, meta) = saved_run();
        if let Err(msg) = load_damaged(&apply(model, &d), meta) {
            prop_assert!(!msg.contains('\n'), "{}", msg);
            prop_assert!(!msg.is_empty());
        }
    }

    #[test]
    fn damaged_run_json_never_panics(d in damage()) {
        let (_, model, meta) = saved_run();
        if let Err(msg) = load_damaged(model, &apply(meta, &d)) {
            prop_assert!(!msg.contains('\n'), "{}", msg);
            prop_assert!(!msg.is_empty());
        }
    }
}

/// Fixed damage, run on every `cargo test` beside the random cases: the header length, the
/// JSON header's first byte, an empty file, a cut in the middle, bytes before the start.
#[test]
fn fixed_damage_cases() {
    let (_, model, meta) = saved_run();
    let cases = [
        Damage::Truncate(0),
        Damage::Truncate(7),
        Damage::Truncate(model.len() / 2),
        Damage::Flip(0, 0xff),
        Damage::Flip(7, 0x80),
        Damage::Flip(8, 0x01),
        Damage::Insert(0, b"junk".to_vec()),
    ];
    for d in &cases {
        for (m, j, what) in [
            (apply(model, d), meta.clone(), "weights"),
            (model.clone(), apply(meta, d), "run.json"),
        ] {
            let msg = load_damaged(&m, &j).expect_err(&format!("{what} {d:?} should not load"));
            assert!(
                !msg.contains('\n') && !msg.is_empty(),
                "{what} {d:?}: {msg}"
            );
        }
    }
}

#[test]
fn the_undamaged_run_loads() {
    let (_, model, meta) = saved_run();
    load_damaged(model, meta).unwrap();
}

/// NaN, +inf or -inf anywhere in any tensor: refused with one line naming the tensor, as a
/// usage-class error.
#[test]
fn non_finite_weights_are_refused_naming_the_tensor() {
    let (_, model, meta) = saved_run();
    // The unmodified rewrite loads, so the refusals below are about the values alone.
    load_damaged(&with_value(model, "W_hh", 0, 0.5), meta).unwrap();
    for name in PARAM_NAMES {
        for value in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            // The last element, so a check that stops early would miss it.
            let len = {
                let st = safetensors::SafeTensors::deserialize(model).unwrap();
                st.tensor(name).unwrap().data().len() / 4
            };
            let bad = with_value(model, name, len - 1, value);
            let dir = tempfile::tempdir().unwrap();
            let path = write_run(dir.path(), &bad, meta);
            let err = RunDir::open(&path).unwrap().checkpoint().unwrap_err();
            assert!(
                matches!(&err, RunError::NonFinite { tensor, .. } if tensor == name),
                "{name} = {value}: {err:?}"
            );
            assert!(err.is_usage());
            let msg = err.to_string();
            assert_eq!(
                msg,
                format!(
                    "checkpoint {}: tensor {name} holds non-finite values (NaN or inf)",
                    path.join(MODEL_FILE).display()
                )
            );
            assert!(!msg.contains('\n'));
        }
    }
}

/// Through the binary: `sample`, `eval` and `train --resume` exit 2 with the one line.
#[test]
fn the_binary_refuses_non_finite_weights_with_exit_2() {
    let (_, model, meta) = saved_run();
    let dir = tempfile::tempdir().unwrap();
    let path = write_run(dir.path(), &with_value(model, "b_q", 3, f32::NAN), meta);
    let run = path.to_str().unwrap();
    let text = dir.path().join("text.txt");
    std::fs::write(&text, &rnn_tui::data::corpus::TIME_MACHINE[..4_000]).unwrap();
    for args in [
        vec!["sample", "--run", run],
        vec!["eval", "--run", run, "--corpus", text.to_str().unwrap()],
        vec!["train", "--headless", "--resume", run],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rnn-tui"))
            .args(&args)
            .env("RNN_TUI_DATA_DIR", dir.path().join("data"))
            .env("RNN_TUI_CONFIG_DIR", dir.path().join("config"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains("tensor b_q holds non-finite values (NaN or inf)"),
            "{args:?}: {err}"
        );
    }
}
