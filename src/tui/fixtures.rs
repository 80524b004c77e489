//! Synthetic but realistic trainer events, for snapshot tests and the benchmark: a small
//! deterministic model snapshot and a plausible loss/gradient history. No clock, no tensors.

use std::sync::Arc;

use crate::data::Vocab;
use crate::metrics::{BatchStats, EpochStats};
use crate::model::ModelSnapshot;
use crate::train::{Event, TrainerState};

use super::app::{App, Msg};
use super::launch::RunList;
use crate::metrics::MetricRecord;
use crate::runs::RunSummary;

/// A deterministic pseudo-random stream in -1..1 (xorshift).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    fn vec(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.next() * scale).collect()
    }
}

/// A model snapshot over the Time Machine's alphabet with fixed pseudo-random weights.
pub fn snapshot(hiddens: usize, seed: u64) -> ModelSnapshot {
    let vocab = Vocab::from_text("abcdefghijklmnopqrstuvwxyz ");
    let v = vocab.len();
    let mut n = Noise(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    ModelSnapshot {
        w_xh: n.vec(v * hiddens, 1.0),
        w_hh: n.vec(hiddens * hiddens, 0.6),
        b_h: n.vec(hiddens, 0.1),
        w_hq: n.vec(hiddens * v, 1.0),
        b_q: n.vec(v, 0.1),
        vocab,
        hiddens,
        stack: None,
    }
}

pub const BATCHES_PER_EPOCH: usize = 20;
pub const TOKENS_PER_BATCH: usize = 256 * 32;

pub fn ready() -> Event {
    Event::Ready {
        device: "cpu".into(),
        compute_path: "fused".into(),
        vocab_size: 28,
        corpus_chars: 170_580,
        params: 3_740,
        batches_per_epoch: BATCHES_PER_EPOCH,
        text: "d2l".into(),
        split: "d2l".into(),
        train_chars: 10_032,
        val_chars: 5_032,
    }
}

pub fn state(state: TrainerState) -> Event {
    Event::State { state }
}

/// Batch `k` (0-based, counted over the whole run) of a run with `epochs` epochs.
pub fn batch(k: usize, clip: f64) -> BatchStats {
    let mut n = Noise(k as u64 * 7919 + 17);
    let progress = k as f64 / BATCHES_PER_EPOCH as f64;
    let loss = 28f64.ln() - 1.2 * (1.0 - (-progress / 2.5).exp()) + 0.04 * n.next() as f64;
    let grad_norm = 0.55 + 0.5 * (-progress / 3.0).exp() + 0.25 * n.next().abs() as f64;
    BatchStats {
        epoch: k / BATCHES_PER_EPOCH + 1,
        batch: k % BATCHES_PER_EPOCH + 1,
        batches_per_epoch: BATCHES_PER_EPOCH,
        loss,
        grad_norm,
        clipped: grad_norm > clip,
        clip_threshold: clip,
        lr: 1.0,
        tokens: TOKENS_PER_BATCH,
        elapsed: (k + 1) as f64 * 0.04,
    }
}

/// Feed `batches` batches (with epoch ends and snapshots) into the app, as the trainer would.
pub fn feed_training(app: &mut App, batches: usize) {
    let epochs = app.hp.epochs;
    app.update(Msg::Trainer(state(TrainerState::Training)));
    let mut loss_sum = 0.0;
    for k in 0..batches {
        let b = batch(k, app.hp.clip);
        loss_sum += b.loss;
        let end_of_epoch = b.batch == b.batches_per_epoch;
        let (epoch, elapsed) = (b.epoch, b.elapsed);
        app.update(Msg::Trainer(Event::Batch(b)));
        if end_of_epoch {
            let train_ppl = (loss_sum / BATCHES_PER_EPOCH as f64).exp();
            loss_sum = 0.0;
            app.update(Msg::Trainer(Event::Epoch(EpochStats {
                epoch,
                epochs,
                train_ppl,
                val_ppl: train_ppl * 1.03,
                tokens_per_s: (BATCHES_PER_EPOCH * TOKENS_PER_BATCH) as f64
                    / (BATCHES_PER_EPOCH as f64 * 0.04),
                elapsed,
            })));
            app.update(Msg::Trainer(Event::Snapshot(Arc::new(snapshot(
                16,
                epoch as u64,
            )))));
        }
    }
}

/// An app just built, announced and waiting for Start (as after `Trainer::spawn`).
pub fn ready_app(app: &mut App) {
    app.update(Msg::Trainer(ready()));
    app.update(Msg::Trainer(Event::Snapshot(Arc::new(snapshot(16, 0)))));
    app.update(Msg::Trainer(state(TrainerState::Ready)));
}

/// The metric log of a past run with `batches` batches: the same curve as
/// [`feed_training`], a little worse, so an overlay is visible.
pub fn past_run_records(batches: usize) -> Vec<MetricRecord> {
    let mut out = Vec::new();
    let mut loss_sum = 0.0;
    for k in 0..batches {
        let mut b = batch(k, 1.0);
        b.loss += 0.15;
        loss_sum += b.loss;
        let end = b.batch == b.batches_per_epoch;
        let (epoch, elapsed) = (b.epoch, b.elapsed);
        out.push(MetricRecord::Batch(b));
        if end {
            let train_ppl = (loss_sum / BATCHES_PER_EPOCH as f64).exp();
            loss_sum = 0.0;
            out.push(MetricRecord::Epoch(EpochStats {
                epoch,
                epochs: 10,
                train_ppl,
                val_ppl: train_ppl * 1.05,
                tokens_per_s: 200_000.0,
                elapsed,
            }));
        }
    }
    out
}

/// The sample of epoch `epoch`, as the trainer sends it at the epoch's end: a completion that
/// gets better as the epochs go.
pub fn sample(epoch: usize) -> crate::metrics::SampleRecord {
    const SAID: [&str; 4] = [
        "the the the the the the the the the the ",
        "the time the time the time the time the ",
        "the time traveller the time traveller th",
        "the time traveller for so it will be con",
    ];
    crate::metrics::SampleRecord {
        epoch,
        val_ppl: 20.0 - 2.5 * epoch as f64,
        prefix: "time traveller ".into(),
        completion: SAID[(epoch - 1).min(SAID.len() - 1)].into(),
    }
}

/// Three saved runs as the runs picker lists them, newest first.
pub fn run_list() -> RunList {
    let run = |id: &str, corpus: &str, hiddens, epochs: &str, best| RunSummary {
        id: id.into(),
        path: format!("/data/runs/{id}").into(),
        created: format!(
            "{}-{}-{} {}:{}",
            &id[0..4],
            &id[4..6],
            &id[6..8],
            &id[9..11],
            &id[11..13]
        ),
        corpus: corpus.into(),
        hiddens,
        num_steps: 32,
        batch_size: 1024,
        lr: 1.0,
        clip: 1.0,
        epochs: epochs.into(),
        best_val_ppl: best,
        model: format!("rnn H{hiddens} sgd"),
        has_best: false,
        label: None,
    };
    let mut labelled = run(
        "20261127-184210-07c2",
        "war_of_the_worlds.txt",
        256,
        "100/100",
        6.02,
    );
    labelled.label = Some("war, wide".into());
    RunList {
        runs: vec![
            run("20261128-101500-a3f9", "timemachine", 32, "12+/100", 9.81),
            labelled,
            run("20261127-090001-ffff", "timemachine", 32, "0/100", f64::NAN),
        ],
        unreadable: 1,
    }
}
