//! Divergence detection and restore, and gradient clipping, for the models beyond §9.5 (GRU,
//! LSTM, stacks; SGD and Adam) on the fused kernels and on the candle path, through the real
//! trainer: a huge learning rate blows the weights up, the trainer reports `Diverged`, rolls
//! back to the last good weights (and Adam's moments) — exactly those a checkpoint saved just
//! before held — pauses, and trains on to a lower perplexity once the rate is lowered.

use candle_core::Device;
use crossbeam_channel::Receiver;
use rnn_tui::data::CorpusSource;
use rnn_tui::hparams::{Cell, HParams, Optimizer};
use rnn_tui::model::{ComputePath, NamedParams};
use rnn_tui::runs::{Checkpoint, RunDir};
use rnn_tui::train::trainer::is_divergent;
use rnn_tui::train::{Command, Event, Trainer, TrainerState};

mod common;
use common::corpus::{slice_corpus, tiny_hparams};

/// 8 batches of 64 windows of 16 characters per epoch, 3 epochs.
fn tiny(corpus: &CorpusSource, cell: Cell, layers: usize, optimizer: Optimizer) -> HParams {
    HParams {
        epochs: 3,
        seed: 5,
        cell,
        layers,
        optimizer,
        lr: match optimizer {
            Optimizer::Sgd => 1.0,
            Optimizer::Adam => 0.01,
        },
        ..tiny_hparams(corpus.clone())
    }
}

/// The gated models under test: one- and two-layer, GRU and LSTM, SGD and Adam.
fn models(corpus: &CorpusSource) -> Vec<(&'static str, HParams)> {
    vec![
        ("gru sgd", tiny(corpus, Cell::Gru, 1, Optimizer::Sgd)),
        ("lstm sgd", tiny(corpus, Cell::Lstm, 1, Optimizer::Sgd)),
        ("gru×2 sgd", tiny(corpus, Cell::Gru, 2, Optimizer::Sgd)),
        ("lstm adam", tiny(corpus, Cell::Lstm, 1, Optimizer::Adam)),
        (
            "gru×2 E8 adam",
            HParams {
                embed: 8,
                ..tiny(corpus, Cell::Gru, 2, Optimizer::Adam)
            },
        ),
        ("lstm×2 adam", tiny(corpus, Cell::Lstm, 2, Optimizer::Adam)),
    ]
}

fn bits(p: &NamedParams) -> Vec<(String, Vec<u32>)> {
    p.named()
        .map(|(n, t)| {
            let v = t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            (n.to_owned(), v.into_iter().map(f32::to_bits).collect())
        })
        .collect()
}

fn all_finite(p: &NamedParams) -> bool {
    p.iter().all(|t| {
        t.flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
            .iter()
            .all(|v| v.is_finite())
    })
}

/// Events until `stop` says so; panics on an error, and on a `Finished` unless it stops there.
fn until(events: &Receiver<Event>, label: &str, mut stop: impl FnMut(&Event) -> bool) -> Event {
    for ev in events.iter() {
        if stop(&ev) {
            return ev;
        }
        match ev {
            Event::Error { message } => panic!("{label}: {message}"),
            Event::Finished(_) => panic!("{label}: finished early"),
            _ => {}
        }
    }
    panic!("{label}: the trainer went away");
}

fn save(events: &Receiver<Event>, send: impl Fn(Command), label: &str) {
    send(Command::Save);
    until(events, label, |e| matches!(e, Event::Saved { .. }));
}

fn paused(e: &Event) -> bool {
    matches!(
        e,
        Event::State {
            state: TrainerState::Paused
        }
    )
}

fn validation_ppl(ckpt: &Checkpoint, path: ComputePath) -> f64 {
    let mut t = Trainer::from_checkpoint(ckpt.clone(), &Device::Cpu, "cpu").unwrap();
    t.set_compute_path(path).unwrap();
    t.validation_perplexity().unwrap()
}

/// Per model and compute path: pause after batch 3 and save (the last good checkpoint); set a
/// huge rate and resume: batch 4 still starts from finite weights and steps them out of
/// range, batch 5 diverges. The trainer says so, rolls back and pauses; a checkpoint saved
/// then holds the very weights (and Adam step count and moments, all finite) of the last
/// good one. With a sane rate it trains on with finite losses to a lower validation
/// perplexity than the restore point's.
#[test]
fn gated_models_diverge_roll_back_to_the_last_good_weights_and_recover() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = slice_corpus(tmp.path());
    let mut cases = Vec::new();
    for (label, hp) in models(&corpus) {
        for path in [ComputePath::Fused, ComputePath::Candle] {
            cases.push((format!("{label} {}", path.name()), hp.clone(), path));
        }
    }
    for (label, hp, path) in cases {
        let label = label.as_str();
        let mut t = Trainer::new(hp.clone(), &Device::Cpu, "cpu").unwrap();
        t.set_compute_path(path).unwrap();
        assert_eq!(t.model().compute_path(), path, "{label}");
        let dir = RunDir::create(&tmp.path().join(label.replace([' ', '×'], "_"))).unwrap();
        t.record_to(dir.clone()).unwrap();
        t.pause_at(1, 3);
        let h = t.spawn();
        h.send(Command::Start);
        until(&h.events, label, paused);
        save(&h.events, |c| h.send(c), label);
        let good = Checkpoint::load(&dir).unwrap();
        assert_eq!(
            (good.meta.progress.epoch, good.meta.progress.batch),
            (0, 3),
            "{label}"
        );
        assert!(all_finite(&good.params), "{label}");
        assert_eq!(
            good.optimizer.as_ref().map(|o| o.step),
            (hp.optimizer == Optimizer::Adam).then_some(3),
            "{label}: Adam's moments are saved"
        );

        h.send(Command::SetLearningRate(1e30));
        h.send(Command::Resume);
        let Event::Diverged {
            epoch,
            batch,
            loss,
            grad_norm,
            message,
        } = until(&h.events, label, |e| matches!(e, Event::Diverged { .. }))
        else {
            unreachable!()
        };
        assert_eq!((epoch, batch), (1, 5), "{label}: {message}");
        let vocab = good.vocab().len();
        assert!(
            is_divergent(loss, grad_norm, vocab),
            "{label}: {loss} {grad_norm}"
        );
        assert!(
            message.starts_with("training diverged at epoch 1 batch 5")
                && message.contains("restored the last good weights and paused"),
            "{label}: {message}"
        );
        // The restored weights are shown, then the trainer waits.
        assert!(
            matches!(h.events.recv().unwrap(), Event::Snapshot(_)),
            "{label}"
        );
        assert!(paused(&h.events.recv().unwrap()), "{label}");

        save(&h.events, |c| h.send(c), label);
        let restored = Checkpoint::load(&dir).unwrap();
        assert!(all_finite(&restored.params), "{label}");
        assert_eq!(
            bits(&restored.params),
            bits(&good.params),
            "{label}: rolled back to the last good weights"
        );
        // Batch 4 counted (its update was undone with batch 5's divergence); 5 is retried.
        assert_eq!(restored.meta.progress.batch, 4, "{label}");
        match (&good.optimizer, &restored.optimizer) {
            (None, None) => assert_eq!(hp.optimizer, Optimizer::Sgd, "{label}"),
            (Some(g), Some(r)) => {
                assert_eq!(r.step, g.step, "{label}: Adam's step count rolled back");
                assert!(all_finite(&r.moments), "{label}: Adam's moments are finite");
                assert_eq!(
                    bits(&r.moments),
                    bits(&g.moments),
                    "{label}: Adam's moments rolled back"
                );
            }
            other => panic!("{label}: optimizer state {other:?}"),
        }

        // A sane rate: it trains on, finite, to a lower perplexity.
        h.send(Command::SetLearningRate(hp.lr));
        h.send(Command::Resume);
        let mut losses = Vec::new();
        let mut last_val = f64::NAN;
        for ev in h.events.iter() {
            match ev {
                Event::Batch(b) => losses.push(b.loss),
                Event::Epoch(e) => last_val = e.val_ppl,
                Event::Diverged { message, .. } => panic!("{label}: diverged again: {message}"),
                Event::Error { message } => panic!("{label}: {message}"),
                Event::Finished(s) => {
                    assert!(s.completed, "{label}");
                    break;
                }
                _ => {}
            }
        }
        h.stop();
        assert!(!losses.is_empty(), "{label}");
        assert!(losses.iter().all(|l| l.is_finite()), "{label}: {losses:?}");
        let before = validation_ppl(&good, path);
        assert!(
            last_val.is_finite() && last_val < before,
            "{label}: validation perplexity {before} at the restore point, {last_val} at the end"
        );
        let done = Checkpoint::load(&dir).unwrap();
        assert!(all_finite(&done.params), "{label}");
        if let Some(o) = &done.optimizer {
            assert!(all_finite(&o.moments), "{label}");
        }
    }
}

/// A GRU run with a low `--clip` on either path: every batch's norm is above it and every
/// batch is clipped (and a second run at `--clip 0` clips none, with other losses); the
/// cockpit's gradient-norm panel, fed the same events, counts and marks them.
#[test]
fn a_gru_with_a_low_clip_reports_clip_events_and_the_gradient_panel_shows_them() {
    use rnn_tui::tui::Msg;
    let tmp = tempfile::tempdir().unwrap();
    let corpus = slice_corpus(tmp.path());
    for path in [ComputePath::Fused, ComputePath::Candle] {
        let label = path.name();
        let batches = |clip: f64| {
            let hp = HParams {
                clip,
                epochs: 1,
                ..tiny(&corpus, Cell::Gru, 1, Optimizer::Sgd)
            };
            let mut t = Trainer::new(hp, &Device::Cpu, "cpu").unwrap();
            t.set_compute_path(path).unwrap();
            let h = t.spawn();
            h.send(Command::Start);
            let mut events = Vec::new();
            for ev in h.events.iter() {
                match &ev {
                    Event::Error { message } => panic!("{label}: {message}"),
                    Event::Diverged { message, .. } => panic!("{label}: {message}"),
                    Event::Finished(_) => break,
                    _ => {}
                }
                events.push(ev);
            }
            h.stop();
            events
        };
        let low = batches(0.05);
        let stats: Vec<_> = low
            .iter()
            .filter_map(|e| match e {
                Event::Batch(b) => Some(b.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(stats.len(), 8, "{label}");
        for b in &stats {
            assert_eq!(b.clip_threshold, 0.05, "{label}");
            assert!(
                b.grad_norm.is_finite() && b.grad_norm > 0.05,
                "{label}: {b:?}"
            );
            assert!(b.clipped, "{label}: {b:?}");
        }
        let off = batches(0.0);
        let off_stats: Vec<_> = off
            .iter()
            .filter_map(|e| match e {
                Event::Batch(b) => Some((b.clipped, b.loss)),
                _ => None,
            })
            .collect();
        assert_eq!(off_stats.len(), 8, "{label}");
        assert!(off_stats.iter().all(|b| !b.0), "{label}: clip 0 clipped");
        // The first batch starts from the same weights; the clipped updates differ after it.
        assert_eq!(off_stats[0].1, stats[0].loss, "{label}");
        assert_ne!(off_stats[1].1, stats[1].loss, "{label}");

        let (mut app, _rx) = common::keys::app();
        for ev in low {
            app.update(Msg::Trainer(ev));
        }
        assert_eq!((app.gradients.clipped, app.gradients.batches), (8, 8));
        assert_eq!(app.gradients.clips.points().len(), 8, "{label}");
        let screen = common::screen::screen(&mut app, 160, 48);
        assert!(
            screen.contains("Gradient norm") && screen.contains("clip at 0.05"),
            "{label}:\n{screen}"
        );
        assert!(screen.contains("clipped 100% (8/8)"), "{label}:\n{screen}");
    }
}

/// A gradient too large for f32 to square (global norm above √f32::MAX ≈ 1.8e19) with a finite
/// loss: a GRU whose recurrent weights are zero (its state stays 0, so the loss is the output
/// bias's, ln V) and whose output weights are ~1e22. Adam's second moment (`g²`) would overflow
/// to infinity; the candle path's f32 norm already reads infinity. On both paths, without
/// clipping, it is a divergence at the first batch: no step is taken and no moment is kept, so
/// no infinite moment can be saved or restored.
#[test]
fn a_gradient_too_large_to_square_in_f32_is_a_divergence_on_both_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = slice_corpus(tmp.path());
    for path in [ComputePath::Fused, ComputePath::Candle] {
        let label = path.name();
        let hp = HParams {
            clip: 0.0,
            ..tiny(&corpus, Cell::Gru, 1, Optimizer::Adam)
        };
        let dir = RunDir::create(&tmp.path().join(format!("huge_{label}"))).unwrap();
        Trainer::new(hp, &Device::Cpu, "cpu")
            .unwrap()
            .record_to(dir.clone())
            .unwrap();
        let mut ckpt = Checkpoint::load(&dir).unwrap();
        ckpt.params = NamedParams::new(
            ckpt.params
                .named()
                .map(|(n, t)| {
                    let t = if n == "fc.weight" {
                        t.affine(4e22, 0.0).unwrap()
                    } else {
                        t.zeros_like().unwrap()
                    };
                    (n.to_owned(), t)
                })
                .collect(),
        );
        let mut t = Trainer::from_checkpoint(ckpt, &Device::Cpu, "cpu").unwrap();
        t.set_compute_path(path).unwrap();
        t.record_to(dir.clone()).unwrap();
        let h = t.spawn();
        h.send(Command::Start);
        let ev = until(&h.events, label, |e| {
            matches!(e, Event::Batch(_) | Event::Diverged { .. })
        });
        let Event::Diverged {
            epoch,
            batch,
            loss,
            grad_norm,
            ..
        } = ev
        else {
            panic!("{label}: took an Adam step with this gradient: {ev:?}");
        };
        assert_eq!((epoch, batch), (1, 1), "{label}");
        assert!(loss.is_finite() && loss < 4.0, "{label}: loss {loss}");
        assert!(
            grad_norm > f64::from(f32::MAX).sqrt(),
            "{label}: norm {grad_norm}"
        );
        until(&h.events, label, paused);
        save(&h.events, |c| h.send(c), label);
        h.stop();
        let saved = Checkpoint::load(&dir).unwrap();
        assert!(saved.optimizer.is_none(), "{label}: no Adam step was taken");
        assert!(all_finite(&saved.params), "{label}");
    }
}

/// Adam's second moment is `g²` in f32: a gradient just above `sqrt(f32::MAX)` makes it
/// infinite (why the trainer stops there), one at it stays finite.
#[test]
fn the_divergence_limit_is_where_a_gradient_squared_overflows_f32() {
    use rnn_tui::train::trainer::max_grad_norm;
    let limit = max_grad_norm();
    let square = |g: f64| (g as f32) * (g as f32);
    assert!(square(limit).is_finite());
    assert!(square(limit * 1.001).is_infinite());
    assert!(!is_divergent(3.0, limit, 28));
    assert!(is_divergent(3.0, limit * 1.001, 28));
    assert!(
        !is_divergent(3.0, 1e6, 28),
        "a large but sane norm is clipped, not a divergence"
    );
}
