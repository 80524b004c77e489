//! Runs through the library: checkpoints round-trip bit-exactly, resuming equals never
//! stopping, damaged checkpoints give clear errors, the weights file is plain safetensors.

use std::path::{Path, PathBuf};

use candle_core::Device;
use rnn_tui::data::CorpusSource;
use rnn_tui::hparams::HParams;
use rnn_tui::metrics::MetricRecord;
use rnn_tui::model::params::param_shapes;
use rnn_tui::model::{ComputePath, PARAM_NAMES};
use rnn_tui::runs::{self, Checkpoint, RunDir, RunError};
use rnn_tui::train::{Command, Event, Trainer, TrainerState};

mod common;
use common::corpus::slice_corpus;

fn tiny(corpus: CorpusSource, epochs: usize) -> HParams {
    HParams {
        hiddens: 16,
        num_steps: 16,
        batch_size: 256,
        epochs,
        seed: 5,
        num_train: 2_000,
        num_val: 500,
        corpus,
        ..HParams::default()
    }
}

/// What a run reported: every batch loss, every epoch's (train, val) perplexity, the last
/// weights it published, and the positions of its `Saved` events.
#[derive(Default)]
struct Seen {
    losses: Vec<f64>,
    epochs: Vec<(f64, f64)>,
    last_weights: Option<Vec<f32>>,
    saved: Vec<(usize, usize)>,
}

/// Start and drive a trainer; `on_event(event, handle)` sees every event first.
fn drive(
    trainer: Trainer,
    mut on_event: impl FnMut(&Event, &rnn_tui::train::TrainerHandle),
) -> Seen {
    let handle = trainer.spawn();
    handle.send(Command::Start);
    let mut seen = Seen::default();
    for ev in handle.events.iter() {
        on_event(&ev, &handle);
        match ev {
            Event::Batch(b) => seen.losses.push(b.loss),
            Event::Epoch(e) => seen.epochs.push((e.train_ppl, e.val_ppl)),
            Event::Snapshot(s) => {
                let mut all = s.w_xh.clone();
                for v in [&s.w_hh, &s.b_h, &s.w_hq, &s.b_q] {
                    all.extend_from_slice(v);
                }
                seen.last_weights = Some(all);
            }
            Event::Saved { epoch, batch, .. } => seen.saved.push((epoch, batch)),
            Event::Error { message } => panic!("{message}"),
            Event::Finished(_) => break,
            _ => {}
        }
    }
    seen
}

fn new_recording(hp: HParams, root: &Path) -> (Trainer, RunDir) {
    let mut t = Trainer::new(hp, &Device::Cpu, "cpu").unwrap();
    let dir = RunDir::create(root).unwrap();
    t.record_to(dir.clone()).unwrap();
    (t, dir)
}

fn flat_params(params: &rnn_tui::model::NamedParams) -> Vec<f32> {
    params
        .iter()
        .flat_map(|p| p.flatten_all().unwrap().to_vec1::<f32>().unwrap())
        .collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn save_and_load_round_trip_bit_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let (trainer, dir) = new_recording(tiny(slice_corpus(tmp.path()), 2), tmp.path());
    let seen = drive(trainer, |_, _| {});
    assert_eq!(seen.saved, vec![(1, 0), (2, 0)]);
    let ckpt = Checkpoint::load(&dir).unwrap();
    let weights = seen.last_weights.unwrap();
    assert_eq!(bits(&flat_params(&ckpt.params)), bits(&weights));
    assert_eq!(ckpt.meta.progress.epoch, 2);
    assert_eq!(ckpt.meta.progress.batch, 0);
    assert_eq!(ckpt.meta.hparams.hiddens, 16);
    assert_eq!(ckpt.meta.vocab.len(), 28);
    assert_eq!(ckpt.meta.corpus.sha256.len(), 64);
    assert!(Path::new(&ckpt.meta.corpus.source).is_absolute());
    // The last epoch's perplexities read back bit for bit.
    let (train, val) = *seen.epochs.last().unwrap();
    assert_eq!(ckpt.meta.progress.last_train_ppl.to_bits(), train.to_bits());
    assert_eq!(ckpt.meta.progress.best_val_ppl.to_bits(), val.to_bits());
    // Back into a trainer, the same weights.
    let t = Trainer::from_checkpoint(ckpt.clone(), &Device::Cpu, "cpu").unwrap();
    assert_eq!(bits(&flat_params(&t.params().unwrap())), bits(&weights));
    assert_eq!(t.position(), (2, 0));
    // Its metrics: every batch and epoch, in order.
    let records = runs::read_metrics(&dir.metrics_path()).unwrap();
    assert_eq!(records.len(), 2 * 8 + 2);
    let losses: Vec<f64> = records
        .iter()
        .filter_map(|r| match r {
            MetricRecord::Batch(b) => Some(b.loss),
            _ => None,
        })
        .collect();
    // serde_json's default float parsing may be off in the last bit: close is enough for curves.
    assert_eq!(losses.len(), seen.losses.len());
    for (a, b) in losses.iter().zip(&seen.losses) {
        assert!((a - b).abs() <= 1e-12 * b.abs(), "{a} vs {b}");
    }
    // And it is listed.
    let list = runs::list_runs(tmp.path()).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].dir, dir);
    assert_eq!(list[0].meta.as_ref().unwrap().progress.epoch, 2);
    assert_eq!(dir.metrics().unwrap(), records);
    assert_eq!(dir.checkpoint().unwrap().meta, ckpt.meta);
    assert_eq!(runs::resolve(tmp.path(), "latest").unwrap(), dir);
    assert_eq!(runs::resolve(tmp.path(), &dir.id[..10]).unwrap(), dir);
}

/// Train 3 epochs without stopping; then again, stopping after batch `batch` of epoch `epoch`
/// and resuming from the checkpoint: the losses and perplexities must be identical.
fn resume_matches_uninterrupted(epoch: usize, batch: usize, kernel: ComputePath) {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = slice_corpus(tmp.path());
    let mut fresh = Trainer::new(tiny(corpus.clone(), 3), &Device::Cpu, "cpu").unwrap();
    fresh.set_compute_path(kernel).unwrap();
    let reference = drive(fresh, |_, _| {});
    assert_eq!(reference.losses.len(), 3 * 8);

    let (mut trainer, dir) = new_recording(tiny(corpus, 3), tmp.path());
    trainer.set_compute_path(kernel).unwrap();
    // A breakpoint pauses right after the chosen batch; then Stop, which saves.
    trainer.pause_at(epoch, batch);
    let handle = trainer.spawn();
    handle.send(Command::Start);
    let mut first = Seen::default();
    for ev in handle.events.iter() {
        match ev {
            Event::Batch(b) => first.losses.push(b.loss),
            Event::Epoch(e) => first.epochs.push((e.train_ppl, e.val_ppl)),
            Event::State {
                state: TrainerState::Paused,
            } => handle.send(Command::Stop),
            Event::Saved { epoch, batch, .. } => first.saved.push((epoch, batch)),
            Event::Error { message } => panic!("{message}"),
            Event::Finished(s) => {
                assert!(!s.completed);
                break;
            }
            _ => {}
        }
    }
    drop(handle);
    let ckpt = Checkpoint::load(&dir).unwrap();
    let p = &ckpt.meta.progress;
    let expected = if batch == 8 {
        (epoch, 0)
    } else {
        (epoch - 1, batch)
    };
    assert_eq!((p.epoch, p.batch), expected);
    assert_eq!(p.epoch * 8 + p.batch, first.losses.len(), "{p:?}");
    assert_eq!(first.saved.last(), Some(&(p.epoch, p.batch)));

    let mut resumed = Trainer::from_checkpoint(ckpt, &Device::Cpu, "cpu").unwrap();
    resumed.set_compute_path(kernel).unwrap();
    resumed.record_to(dir.clone()).unwrap();
    let second = drive(resumed, |_, _| {});
    let mut losses = first.losses.clone();
    losses.extend(&second.losses);
    assert_eq!(losses, reference.losses, "per-batch losses");
    let mut epochs = first.epochs.clone();
    epochs.extend(&second.epochs);
    assert_eq!(epochs, reference.epochs, "per-epoch perplexities");
    // The metrics log holds every batch exactly once.
    let logged = runs::read_metrics(&dir.metrics_path())
        .unwrap()
        .into_iter()
        .filter(|r| matches!(r, MetricRecord::Batch(_)))
        .count();
    assert_eq!(logged, 3 * 8);
}

#[test]
fn resuming_mid_epoch_equals_uninterrupted_training() {
    // Epoch 2, batch 3 of 8; and the last batch of epoch 1 (the epoch ends, then it stops).
    resume_matches_uninterrupted(2, 3, ComputePath::Auto);
    resume_matches_uninterrupted(1, 8, ComputePath::Auto);
    // The candle-op reference path resumes exactly too.
    resume_matches_uninterrupted(2, 5, ComputePath::Candle);
}

#[test]
fn resuming_at_an_epoch_boundary_equals_uninterrupted_training() {
    // A first run of 1 epoch, then resumed with 3.
    let tmp = tempfile::tempdir().unwrap();
    let corpus = slice_corpus(tmp.path());
    let reference = drive(
        Trainer::new(tiny(corpus.clone(), 3), &Device::Cpu, "cpu").unwrap(),
        |_, _| {},
    );
    let (trainer, dir) = new_recording(tiny(corpus, 1), tmp.path());
    let first = drive(trainer, |_, _| {});
    let mut ckpt = Checkpoint::load(&dir).unwrap();
    assert_eq!((ckpt.meta.progress.epoch, ckpt.meta.progress.batch), (1, 0));
    ckpt.meta.hparams.epochs = 3;
    let mut t = Trainer::from_checkpoint(ckpt, &Device::Cpu, "cpu").unwrap();
    t.record_to(dir).unwrap();
    let second = drive(t, |_, _| {});
    let mut losses = first.losses;
    losses.extend(second.losses);
    assert_eq!(losses, reference.losses);
    let mut epochs = first.epochs;
    epochs.extend(second.epochs);
    assert_eq!(epochs, reference.epochs);
}

#[test]
fn save_command_and_save_every() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut trainer, _dir) = new_recording(tiny(slice_corpus(tmp.path()), 1), tmp.path());
    trainer.set_save_every(Some(3));
    trainer.pause_at(1, 1);
    let seen = drive(trainer, |ev, h| {
        if let Event::State {
            state: TrainerState::Paused,
        } = ev
        {
            h.send(Command::Save);
            h.send(Command::Resume);
        }
    });
    // Asked for after batch 1; every 3 batches; at the epoch end.
    assert_eq!(seen.saved, vec![(0, 1), (0, 3), (0, 6), (1, 0)]);

    // Without a run directory, Save is answered with a warning and training goes on.
    let t = Trainer::new(tiny(slice_corpus(tmp.path()), 1), &Device::Cpu, "cpu").unwrap();
    let handle = t.spawn();
    handle.send(Command::Save);
    let mut error = None;
    for ev in handle.events.iter() {
        if let Event::Warning { message } = ev {
            error = Some(message);
            break;
        }
    }
    assert!(error.unwrap().contains("no run directory"));
}

#[test]
fn resume_refuses_a_changed_corpus() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = slice_corpus(tmp.path());
    let (trainer, dir) = new_recording(tiny(corpus.clone(), 1), tmp.path());
    drop(trainer);
    let CorpusSource::File(path) = corpus else {
        unreachable!()
    };
    std::fs::write(&path, &rnn_tui::data::corpus::TIME_MACHINE[..31_000]).unwrap();
    let ckpt = Checkpoint::load(&dir).unwrap();
    let err = Trainer::from_checkpoint(ckpt, &Device::Cpu, "cpu")
        .err()
        .expect("must refuse");
    let msg = err.to_string();
    assert!(msg.contains("changed since run"), "{msg}");
    assert!(err.is_usage());
}

/// A saved run to damage in different ways.
fn damaged_copy(src: &RunDir, root: &Path, name: &str) -> RunDir {
    let path = root.join(name);
    std::fs::create_dir_all(&path).unwrap();
    for f in [runs::META_FILE, runs::MODEL_FILE] {
        std::fs::copy(src.path.join(f), path.join(f)).unwrap();
    }
    RunDir::open(&path).unwrap()
}

fn edit_json(path: &PathBuf, f: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(path, serde_json::to_vec(&v).unwrap()).unwrap();
}

#[test]
fn damaged_checkpoints_give_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let (t, good) = new_recording(tiny(slice_corpus(tmp.path()), 1), tmp.path());
    drop(t);
    let other = tmp.path().join("damaged");
    let check = |dir: &RunDir, needle: &str| {
        let err = Checkpoint::load(dir).expect_err(needle);
        let msg = err.to_string();
        assert!(msg.contains(needle), "{needle}: {msg}");
        assert!(!msg.contains('\n'), "{msg}");
        err
    };

    let d = damaged_copy(&good, &other, "truncated");
    let bytes = std::fs::read(d.model_path()).unwrap();
    std::fs::write(d.model_path(), &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(check(&d, "damaged"), RunError::Damaged { .. }));
    std::fs::write(d.model_path(), &bytes[..5]).unwrap();
    check(&d, "damaged");

    let d = damaged_copy(&good, &other, "corrupt");
    let mut bytes = std::fs::read(d.model_path()).unwrap();
    for b in &mut bytes[8..40] {
        *b = b'#';
    }
    std::fs::write(d.model_path(), &bytes).unwrap();
    check(&d, "damaged");

    let d = damaged_copy(&good, &other, "shape");
    edit_json(&d.meta_path(), |v| v["hparams"]["hiddens"] = 8.into());
    let err = check(&d, "W_xh has shape [28, 16], expected [28, 8]");
    assert!(matches!(err, RunError::Mismatch { .. }));

    let d = damaged_copy(&good, &other, "version");
    edit_json(&d.meta_path(), |v| v["format_version"] = 99.into());
    assert!(matches!(
        check(&d, "format version 99; this rnn-tui reads version 1"),
        RunError::Version { found: 99, .. }
    ));

    // A weights file from a future version, with a run.json that looks fine.
    let d = damaged_copy(&good, &other, "model-version");
    let bytes = std::fs::read(d.model_path()).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut info = header.metadata().clone().unwrap();
    info.insert("format_version".into(), "2".into());
    let rewritten = safetensors::serialize(st.tensors(), Some(info)).unwrap();
    std::fs::write(d.model_path(), rewritten).unwrap();
    check(&d, "format version 2");

    let d = damaged_copy(&good, &other, "json");
    let text = std::fs::read(d.meta_path()).unwrap();
    std::fs::write(d.meta_path(), &text[..text.len() / 3]).unwrap();
    check(&d, "damaged");

    let d = damaged_copy(&good, &other, "missing");
    std::fs::remove_file(d.model_path()).unwrap();
    check(&d, "model.safetensors");

    // The good one still loads.
    Checkpoint::load(&good).unwrap();
}

#[test]
fn weights_are_plain_safetensors_with_the_documented_names() {
    let tmp = tempfile::tempdir().unwrap();
    let (t, dir) = new_recording(tiny(slice_corpus(tmp.path()), 1), tmp.path());
    let expected = flat_params(&t.params().unwrap());
    drop(t);
    let bytes = std::fs::read(dir.model_path()).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort();
    let mut documented = PARAM_NAMES.to_vec();
    documented.sort();
    assert_eq!(names, documented);
    let shapes = param_shapes(28, 16);
    let mut all = Vec::new();
    for (name, shape) in PARAM_NAMES.iter().zip(shapes) {
        let v = st.tensor(name).unwrap();
        assert_eq!(v.dtype(), safetensors::Dtype::F32, "{name}");
        assert_eq!(v.shape(), shape.as_slice(), "{name}");
        all.extend(
            v.data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap())),
        );
    }
    assert_eq!(bits(&all), bits(&expected));
}

#[test]
fn resuming_after_a_divergence_equals_the_run_that_went_on() {
    let tmp = tempfile::tempdir().unwrap();
    let mut hp = tiny(slice_corpus(tmp.path()), 50);
    hp.lr = 100.0;
    let (trainer, dir) = new_recording(hp, tmp.path());
    let handle = trainer.spawn();
    handle.send(Command::Start);
    let mut diverged = None;
    for ev in handle.events.iter() {
        match ev {
            Event::Diverged { epoch, batch, .. } => diverged = Some((epoch, batch)),
            Event::State {
                state: TrainerState::Paused,
            } if diverged.is_some() => break,
            Event::Error { message } => panic!("{message}"),
            Event::Finished(_) => panic!("lr 100 should diverge"),
            _ => {}
        }
    }
    let (epoch, batch) = diverged.unwrap();
    // Saved while paused after the rollback: a copy of the run as it stood then.
    handle.send(Command::Save);
    for ev in handle.events.iter() {
        if let Event::Saved { .. } = ev {
            break;
        }
    }
    let copy = tmp.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for f in [runs::MODEL_FILE, runs::META_FILE, runs::METRICS_FILE] {
        std::fs::copy(dir.path.join(f), copy.join(f)).unwrap();
    }

    // The live run, with a sane rate, retries the batch that diverged.
    let next =
        |events: &crossbeam_channel::Receiver<Event>, n: usize| -> Vec<(usize, usize, u64)> {
            let mut out = Vec::new();
            for ev in events.iter() {
                match ev {
                    Event::Batch(b) => out.push((b.epoch, b.batch, b.loss.to_bits())),
                    Event::Error { message } => panic!("{message}"),
                    Event::Diverged { message, .. } => panic!("{message}"),
                    _ => {}
                }
                if out.len() == n {
                    break;
                }
            }
            out
        };
    handle.send(Command::SetLearningRate(0.5));
    handle.send(Command::Resume);
    let live = next(&handle.events, 12);
    handle.stop();
    assert_eq!(
        (live[0].0, live[0].1),
        (epoch, batch),
        "the diverged batch is retried"
    );

    let mut ckpt = Checkpoint::load(&RunDir::open(&copy).unwrap()).unwrap();
    assert_eq!(
        (ckpt.meta.progress.epoch + 1, ckpt.meta.progress.batch + 1),
        (epoch, batch)
    );
    ckpt.meta.hparams.lr = 0.5;
    ckpt.meta.progress.lr = 0.5;
    let resumed = Trainer::from_checkpoint(ckpt, &Device::Cpu, "cpu").unwrap();
    let handle = resumed.spawn();
    handle.send(Command::Start);
    let again = next(&handle.events, 12);
    handle.stop();
    assert_eq!(live, again);
}

/// Only the save `Command::Save` asked for says so (`asked: true`): epoch-end and final saves
/// never answer a request (the headless `… (asked through control)` line relies on it).
#[test]
fn only_the_asked_save_is_marked_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = slice_corpus(tmp.path());
    let (trainer, _dir) = new_recording(tiny(corpus, 2), tmp.path());
    let mut asked_for = false;
    let mut marks = Vec::new();
    drive(trainer, |ev, handle| match ev {
        Event::Batch(b) if b.epoch == 1 && b.batch == 2 && !asked_for => {
            asked_for = true;
            handle.send(Command::Save);
        }
        Event::Saved {
            epoch,
            batch,
            asked,
            ..
        } => marks.push((*epoch, *batch, *asked)),
        _ => {}
    });
    let asked: Vec<_> = marks.iter().filter(|m| m.2).collect();
    assert_eq!(asked.len(), 1, "{marks:?}");
    assert!(marks.iter().filter(|m| !m.2).count() >= 2, "{marks:?}");
}
