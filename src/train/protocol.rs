//! The channel contract between the trainer thread and whoever drives it (the cockpit or the
//! headless CLI). Read this file as the table of contents of what crosses the thread boundary.
//!
//! - [`Command`]: front end → trainer, obeyed between batches.
//! - [`Event`]: trainer → front end, sent without ever blocking on a slow receiver.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::eval::inspect::Probe;
use crate::metrics::{BatchStats, EpochStats, MetricRecord, SampleRecord};
use crate::model::ModelSnapshot;

/// What the front end asks of the trainer.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Begin training (the trainer waits for this after it is spawned).
    Start,
    /// Stop after the current batch and wait for `Resume`.
    Pause,
    Resume,
    /// Finish now: the trainer sends its summary and its thread ends.
    Stop,
    /// New learning rate, applied from the next batch on.
    SetLearningRate(f64),
    /// New gradient-clipping threshold (global L2 norm), applied from the next batch on.
    SetClip(f64),
    /// Train up to this many epochs in total (a run continued past its end, or cut short);
    /// at least 1. Saved with the next checkpoint.
    SetEpochs(usize),
    /// What the sample at every epoch's end completes: this prefix (the cockpit's), with this
    /// many characters (the run's `completion_len`, saved with the next checkpoint). Before
    /// it arrives the trainer completes d2l's `it has`.
    SetEpochSample {
        prefix: String,
        len: usize,
    },
    /// Write a checkpoint now (the cockpit's `s` key). Answered by `Event::Saved`, or by
    /// `Event::Warning` when the trainer has no run directory or the write fails.
    Save,
}

/// The trainer's state as the front end should show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainerState {
    /// Built and waiting for `Start`.
    Ready,
    Training,
    Paused,
    Done,
}

/// The end of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub epochs: usize,
    /// False when stopped early by `Stop`.
    pub completed: bool,
    pub train_ppl: f64,
    pub val_ppl: f64,
    pub tokens_per_s: f64,
    pub seconds: f64,
    /// `complete("it has", 20)`, the d2l check.
    pub sample: String,
}

/// What the trainer reports.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Sent once, when the trainer is built: what is about to be trained, and where.
    Ready {
        device: String,
        compute_path: String,
        vocab_size: usize,
        corpus_chars: usize,
        params: usize,
        batches_per_epoch: usize,
        /// How the text is read (`d2l`, `letters`, `raw`) and split (`d2l`, `whole`).
        text: String,
        split: String,
        /// Characters the training windows read, and the validation windows.
        train_chars: usize,
        val_chars: usize,
    },
    State {
        state: TrainerState,
    },
    Batch(BatchStats),
    Epoch(EpochStats),
    /// The greedy completion at the end of an epoch (after its `Epoch`), as the run's
    /// `samples.jsonl` stores it.
    Sample(SampleRecord),
    /// The newest weights, for live completion and the heatmap. Not serialised.
    #[serde(skip)]
    Snapshot(Arc<ModelSnapshot>),
    /// The state vector after each character of a fixed validation excerpt, read with the
    /// newest snapshot, for the neuron inspector (only when asked for with
    /// `Trainer::set_probe`; at most a few times a second). Not serialised.
    #[serde(skip)]
    Probe(Arc<Probe>),
    /// The learning rate or clip threshold changed (echo of a `Command`).
    Settings {
        lr: f64,
        clip: f64,
    },
    /// The loss or gradient norm became NaN, infinite or too large (see
    /// `trainer::is_divergent`). The trainer restored the weights (and Adam's moments) of the
    /// last good batch and paused; resuming continues from them.
    Diverged {
        epoch: usize,
        batch: usize,
        loss: f64,
        grad_norm: f64,
        message: String,
    },
    Finished(Summary),
    /// A checkpoint was written to `run_dir` after `epoch` completed epochs and `batch`
    /// batches of the next.
    Saved {
        run_dir: PathBuf,
        epoch: usize,
        batch: usize,
        /// Written because `Command::Save` asked for it (not a periodic, epoch-end or final
        /// save), so a front end answers the request with this save and no other.
        asked: bool,
    },
    /// Something went wrong but training goes on: a checkpoint or metrics write failed, a
    /// setting was refused.
    Warning {
        message: String,
    },
    /// Something went wrong and the trainer has stopped.
    Error {
        message: String,
    },
}

impl Event {
    /// Events the front end must see even when it lags. Batch and snapshot events can be
    /// dropped under back-pressure; the next one supersedes them.
    pub fn is_critical(&self) -> bool {
        !matches!(self, Event::Batch(_) | Event::Snapshot(_) | Event::Probe(_))
    }

    /// The metric record this event carries (batch and epoch events do), as a run's
    /// `metrics.jsonl` stores it.
    pub fn metric_record(&self) -> Option<MetricRecord> {
        match self {
            Event::Batch(b) => Some(MetricRecord::Batch(b.clone())),
            Event::Epoch(e) => Some(MetricRecord::Epoch(e.clone())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `train --json` prints events and `metrics.jsonl` stores records: the lines must match.
    #[test]
    fn metric_records_are_written_as_their_events() {
        let batch = Event::Batch(BatchStats {
            epoch: 2,
            batch: 3,
            batches_per_epoch: 9,
            loss: 2.5,
            grad_norm: f64::NAN,
            clipped: true,
            clip_threshold: 1.0,
            lr: 0.5,
            tokens: 64,
            elapsed: 1.25,
        });
        let epoch = Event::Epoch(EpochStats {
            epoch: 2,
            epochs: 5,
            train_ppl: 9.5,
            val_ppl: 10.25,
            tokens_per_s: 1e5,
            elapsed: 3.0,
        });
        for event in [batch, epoch] {
            let record = event.metric_record().expect("a metric event");
            assert_eq!(
                serde_json::to_string(&record).unwrap(),
                serde_json::to_string(&event).unwrap()
            );
        }
        let saved = Event::Settings { lr: 1.0, clip: 1.0 };
        assert_eq!(saved.metric_record(), None);
    }
}
