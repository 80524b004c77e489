//! Integration tests of the training engine through its public API.

use candle_core::{DType, Device, Tensor};
use rand::{Rng, SeedableRng};
use rnn_tui::data::CorpusSource;
use rnn_tui::hparams::HParams;
use rnn_tui::model::params::init_params;
use rnn_tui::model::ComputePath;
use rnn_tui::model::{RnnParams, RnnScratch};
use rnn_tui::runs::{Checkpoint, RunDir};
use rnn_tui::train::{Command, Event, Trainer, TrainerState};

mod common;
use common::corpus::slice_corpus;

/// Gradients of the whole model (candle autograd through the unrolled recurrence) against
/// central finite differences, in f64.
#[test]
fn gradients_match_central_finite_differences_in_f64() {
    let (v, h, b, t) = (5, 4, 3, 4);
    let params = init_params(v, h, 0.5, 11, &Device::Cpu, DType::F64).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let ids: Vec<u32> = (0..2 * b * t)
        .map(|_| rng.random_range(0..v as u32))
        .collect();
    let x = Tensor::from_slice(&ids[..b * t], (b, t), &Device::Cpu).unwrap();
    let y = Tensor::from_slice(&ids[b * t..], (b, t), &Device::Cpu).unwrap();

    let loss_of = |p: &RnnParams| -> f64 {
        let m = RnnScratch::from_tensors(p.clone()).unwrap();
        let (logits, _) = m.forward(&x, None).unwrap();
        m.loss(&logits, &y).unwrap().to_scalar::<f64>().unwrap()
    };
    let model = RnnScratch::from_tensors(params.clone()).unwrap();
    let (_, grads) = model.loss_and_grads(&x, &y).unwrap();

    let eps = 1e-6;
    let mut worst: f64 = 0.0;
    for (k, p) in params.iter().enumerate() {
        let shape = p.dims().to_vec();
        let flat: Vec<f64> = p.flatten_all().unwrap().to_vec1().unwrap();
        let g: Vec<f64> = grads.as_array()[k]
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        for i in 0..flat.len() {
            let probe = |delta: f64| {
                let mut f = flat.clone();
                f[i] += delta;
                let mut ps = params.clone();
                *ps.as_array_mut()[k] =
                    Tensor::from_vec(f, shape.as_slice(), &Device::Cpu).unwrap();
                loss_of(&ps)
            };
            let numeric = (probe(eps) - probe(-eps)) / (2.0 * eps);
            let rel = (numeric - g[i]).abs() / (numeric.abs() + g[i].abs()).max(1e-8);
            worst = worst.max(rel);
        }
    }
    assert!(worst < 1e-4, "max relative error {worst}");
}

fn small_hparams(corpus: CorpusSource, seed: u64) -> HParams {
    HParams {
        hiddens: 32,
        num_steps: 16,
        batch_size: 128,
        epochs: 4,
        seed,
        num_train: 2_000,
        num_val: 500,
        corpus,
        ..HParams::default()
    }
}

/// Run to the end; returns every batch loss and every epoch's (train, val) perplexity.
fn train(hp: HParams) -> (Vec<f64>, Vec<(f64, f64)>) {
    let trainer = Trainer::new(hp, &Device::Cpu, "cpu").unwrap();
    let handle = trainer.spawn();
    handle.send(Command::Start);
    let (mut losses, mut epochs) = (Vec::new(), Vec::new());
    for ev in handle.events.iter() {
        match ev {
            Event::Batch(b) => losses.push(b.loss),
            Event::Epoch(e) => epochs.push((e.train_ppl, e.val_ppl)),
            Event::Error { message } => panic!("{message}"),
            Event::Finished(_) => break,
            _ => {}
        }
    }
    (losses, epochs)
}

#[test]
fn short_training_lowers_perplexity_and_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = slice_corpus(dir.path());
    let (losses, epochs) = train(small_hparams(corpus.clone(), 3));
    assert_eq!(epochs.len(), 4);
    assert_eq!(losses.len(), 4 * 16);
    let (first, last) = (epochs[0], epochs[3]);
    assert!(last.0 < first.0 - 1.0, "train ppl {first:?} -> {last:?}");
    assert!(last.1 < first.1, "val ppl {first:?} -> {last:?}");
    assert!(last.1 < 28.0);
    let (again, _) = train(small_hparams(corpus.clone(), 3));
    assert_eq!(losses, again, "same seed, same losses");
    let (other, _) = train(small_hparams(corpus, 4));
    assert_ne!(losses, other);
}

#[test]
fn commands_pause_resume_and_change_settings_between_batches() {
    let dir = tempfile::tempdir().unwrap();
    let mut hp = small_hparams(slice_corpus(dir.path()), 0);
    hp.epochs = 1000;
    let handle = Trainer::new(hp, &Device::Cpu, "cpu").unwrap().spawn();
    handle.send(Command::SetLearningRate(0.5));
    handle.send(Command::Start);
    let mut seen_settings = false;
    let (mut batches, mut clip_applied, mut resumed_batches) = (0, false, 0);
    for ev in handle.events.iter() {
        match &ev {
            Event::Settings { lr, clip } => {
                seen_settings |= *lr == 0.5;
                clip_applied |= *clip == 0.25;
            }
            Event::Batch(b) => {
                assert_eq!(b.lr, 0.5);
                // Settings echo in order: every batch after the echo uses the new threshold.
                assert_eq!(b.clip_threshold == 0.25, clip_applied);
                batches += 1;
                if batches == 3 {
                    handle.send(Command::SetClip(0.25));
                    handle.send(Command::Pause);
                }
                if clip_applied {
                    resumed_batches += 1;
                }
            }
            Event::State { state } if *state == rnn_tui::train::TrainerState::Paused => {
                // While paused no batch arrives until we resume.
                std::thread::sleep(std::time::Duration::from_millis(200));
                assert!(handle
                    .events
                    .try_iter()
                    .all(|e| !matches!(e, Event::Batch(_))));
                handle.send(Command::Resume);
            }
            _ => {}
        }
        if resumed_batches == 3 {
            handle.send(Command::Stop);
        }
        if let Event::Finished(s) = &ev {
            assert!(!s.completed);
            break;
        }
    }
    assert!(clip_applied);
    assert!(seen_settings);
}

#[test]
fn divergence_is_caught_within_a_batch_rolled_back_and_paused() {
    let dir = tempfile::tempdir().unwrap();
    let mut hp = small_hparams(slice_corpus(dir.path()), 0);
    hp.lr = 100.0;
    hp.epochs = 50;
    let mut trainer = Trainer::new(hp, &Device::Cpu, "cpu").unwrap();
    let runs_root = dir.path().join("runs");
    trainer
        .record_to(rnn_tui::runs::RunDir::create(&runs_root).unwrap())
        .unwrap();
    let handle = trainer.spawn();
    handle.send(Command::Start);
    let mut last_batch = None;
    let mut snapshot = None;
    for ev in handle.events.iter() {
        match ev {
            Event::Batch(b) => last_batch = Some(b),
            Event::Snapshot(s) => snapshot = Some(s),
            Event::Diverged {
                epoch,
                batch,
                loss,
                message,
                ..
            } => {
                let b = last_batch.take().expect("a good batch came first");
                // The diverging batch is the one right after the last reported batch.
                assert_eq!((epoch, batch), (b.epoch, b.batch + 1));
                assert!(rnn_tui::train::trainer::is_divergent(loss, 1.0, 28));
                assert!(
                    message.contains("restored the last good weights"),
                    "{message}"
                );
                break;
            }
            Event::Finished(_) => panic!("lr 100 should diverge"),
            _ => {}
        }
    }
    // The rolled-back weights come next: all finite, and they still predict sensibly.
    let Event::Snapshot(restored) = handle.events.recv().unwrap() else {
        panic!("expected the restored weights");
    };
    for w in [
        &restored.w_xh,
        &restored.w_hh,
        &restored.b_h,
        &restored.w_hq,
        &restored.b_q,
    ] {
        assert!(w.iter().all(|v| v.is_finite()));
    }
    assert_ne!(Some(&restored), snapshot.as_ref());
    match handle.events.recv().unwrap() {
        Event::State { state } => assert_eq!(state, rnn_tui::train::TrainerState::Paused),
        other => panic!("expected the paused state, got {other:?}"),
    }
    // Paused: nothing more arrives until told.
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(handle.events.try_recv().is_err());
    assert!(snapshot.is_some());
    // Saving now writes the rolled-back, finite weights.
    handle.send(Command::Save);
    loop {
        match handle.events.recv().unwrap() {
            Event::Saved { .. } => break,
            Event::Error { message } => panic!("{message}"),
            _ => {}
        }
    }
    let runs = rnn_tui::runs::list_runs(&runs_root).unwrap();
    let ckpt = runs[0].dir.checkpoint().unwrap();
    let saved = ckpt.model().unwrap().snapshot().unwrap();
    assert_eq!(saved.w_hh, restored.w_hh);
    handle.stop();
}

#[test]
fn divergence_rule() {
    use rnn_tui::train::trainer::is_divergent;
    assert!(is_divergent(f64::NAN, 1.0, 28));
    assert!(is_divergent(2.0, f64::INFINITY, 28));
    assert!(is_divergent(34.0, 1.0, 28));
    assert!(!is_divergent(3.4, 1.0, 28));
    assert!(!is_divergent(23.0, 50.0, 28));
}

#[test]
fn a_panic_in_the_trainer_thread_arrives_as_an_error_event() {
    let dir = tempfile::tempdir().unwrap();
    let mut trainer = Trainer::new(
        small_hparams(slice_corpus(dir.path()), 0),
        &Device::Cpu,
        "cpu",
    )
    .unwrap();
    trainer.inject_panic_after_batches(3);
    let handle = trainer.spawn();
    handle.send(Command::Start);
    let mut batches = 0;
    let message = loop {
        match handle
            .events
            .recv()
            .expect("an error event before the channel closes")
        {
            Event::Batch(_) => batches += 1,
            Event::Error { message } => break message,
            Event::Finished(_) => panic!("should have crashed"),
            _ => {}
        }
    };
    assert_eq!(batches, 2);
    assert!(
        message.starts_with("trainer crashed: injected fault"),
        "{message}"
    );
    // The thread is gone and the channel closes cleanly.
    assert!(handle.events.recv().is_err());
}

/// The next `n` batch losses; panics on a divergence, an error or the end of the run.
fn next_losses(events: &crossbeam_channel::Receiver<Event>, n: usize) -> Vec<f64> {
    let mut losses = Vec::new();
    for ev in events.iter() {
        match ev {
            Event::Batch(b) => losses.push(b.loss),
            Event::Diverged { message, .. } => panic!("diverged again: {message}"),
            Event::Error { message } => panic!("{message}"),
            Event::Finished(_) => panic!("finished early"),
            _ => {}
        }
        if losses.len() == n {
            break;
        }
    }
    losses
}

/// A NaN divergence with the fused kernel (lr 1e39): the trainer restores the last good
/// weights and pauses; with a lower rate it trains on, with finite losses equal to those of a
/// fresh trainer resumed from the same weights.
#[test]
fn a_nan_divergence_recovers_with_the_fused_kernel() {
    let dir = tempfile::tempdir().unwrap();
    let mut hp = small_hparams(slice_corpus(dir.path()), 0);
    hp.lr = 1e39;
    hp.epochs = 50;
    let mut trainer = Trainer::new(hp, &Device::Cpu, "cpu").unwrap();
    assert_eq!(trainer.model().compute_path(), ComputePath::Fused);
    let run = RunDir::create(&dir.path().join("runs")).unwrap();
    trainer.record_to(run.clone()).unwrap();
    let handle = trainer.spawn();
    handle.send(Command::Start);
    let mut diverged_loss = None;
    for ev in handle.events.iter() {
        match ev {
            Event::Diverged { loss, .. } => diverged_loss = Some(loss),
            Event::State {
                state: TrainerState::Paused,
            } if diverged_loss.is_some() => break,
            Event::Error { message } => panic!("{message}"),
            Event::Finished(_) => panic!("lr 1e39 should diverge"),
            _ => {}
        }
    }
    let loss = diverged_loss.unwrap();
    assert!(
        loss.is_nan(),
        "the case under test is a NaN loss, got {loss}"
    );
    // The restored weights, saved: where the fresh trainer starts.
    handle.send(Command::Save);
    loop {
        match handle.events.recv().unwrap() {
            Event::Saved { .. } => break,
            Event::Error { message } => panic!("{message}"),
            _ => {}
        }
    }
    // A copy, since the trainer saves again when it stops.
    let restore_point = dir.path().join("restore_point");
    std::fs::create_dir(&restore_point).unwrap();
    for f in [rnn_tui::runs::META_FILE, rnn_tui::runs::MODEL_FILE] {
        std::fs::copy(run.path.join(f), restore_point.join(f)).unwrap();
    }
    handle.send(Command::SetLearningRate(1.0));
    handle.send(Command::Resume);
    let recovered = next_losses(&handle.events, 6);
    handle.stop();
    assert!(recovered.iter().all(|l| l.is_finite()), "{recovered:?}");

    let mut checkpoint = Checkpoint::load(&RunDir::open(&restore_point).unwrap()).unwrap();
    checkpoint.meta.progress.lr = 1.0;
    let fresh = Trainer::from_checkpoint(checkpoint, &Device::Cpu, "cpu").unwrap();
    assert_eq!(fresh.model().compute_path(), ComputePath::Fused);
    let handle = fresh.spawn();
    handle.send(Command::Start);
    let resumed = next_losses(&handle.events, 6);
    handle.stop();
    assert_eq!(
        recovered.iter().map(|l| l.to_bits()).collect::<Vec<_>>(),
        resumed.iter().map(|l| l.to_bits()).collect::<Vec<_>>(),
        "{recovered:?} vs {resumed:?}"
    );
}
