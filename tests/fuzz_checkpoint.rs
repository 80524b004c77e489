//! Property tests of the checkpoint loader: a saved run with arbitrary damage to its weights or
//! its `run.json` either loads (and then holds the right shapes) or gives a one-line error —
//! never a panic.

use std::path::PathBuf;
use std::sync::OnceLock;

use candle_core::Device;
use proptest::prelude::*;
use rnn_tui::runs::{RunDir, META_FILE, MODEL_FILE};
use rnn_tui::train::{Command, Event, HParams, Trainer};

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

fn load_damaged(model: &[u8], meta: &[u8]) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("run");
    std::fs::create_dir(&path).unwrap();
    std::fs::write(path.join(MODEL_FILE), model).unwrap();
    std::fs::write(path.join(META_FILE), meta).unwrap();
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
