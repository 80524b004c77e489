//! The channel contract between the trainer thread and whoever drives it (the cockpit or the
//! headless CLI). Read this file as the table of contents of what crosses the thread boundary.
//!
//! - [`Command`]: front end → trainer, obeyed between batches.
//! - [`Event`]: trainer → front end, sent without ever blocking on a slow receiver.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};

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

/// One optimisation step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchStats {
    /// 1-based epoch.
    pub epoch: usize,
    /// 1-based batch within the epoch.
    pub batch: usize,
    pub batches_per_epoch: usize,
    /// Mean cross-entropy of this batch (before the update).
    #[serde(deserialize_with = "f64_or_nan")]
    pub loss: f64,
    /// Global L2 norm of the gradients before clipping.
    #[serde(deserialize_with = "f64_or_nan")]
    pub grad_norm: f64,
    /// Whether the norm exceeded the threshold and the gradients were scaled down.
    pub clipped: bool,
    #[serde(deserialize_with = "f64_or_nan")]
    pub clip_threshold: f64,
    #[serde(deserialize_with = "f64_or_nan")]
    pub lr: f64,
    /// Tokens in this batch (`batch_size * num_steps`).
    pub tokens: usize,
    /// Seconds of training so far (batches only: validation and pauses excluded).
    #[serde(deserialize_with = "f64_or_nan")]
    pub elapsed: f64,
}

/// End of an epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    pub epoch: usize,
    pub epochs: usize,
    #[serde(deserialize_with = "f64_or_nan")]
    pub train_ppl: f64,
    #[serde(deserialize_with = "f64_or_nan")]
    pub val_ppl: f64,
    /// Training tokens per second over this epoch (validation excluded).
    #[serde(deserialize_with = "f64_or_nan")]
    pub tokens_per_s: f64,
    #[serde(deserialize_with = "f64_or_nan")]
    pub elapsed: f64,
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
    },
    State {
        state: TrainerState,
    },
    Batch(BatchStats),
    Epoch(EpochStats),
    /// The newest weights, for live completion and the heatmap. Not serialised.
    #[serde(skip)]
    Snapshot(Arc<ModelSnapshot>),
    /// The learning rate or clip threshold changed (echo of a `Command`).
    Settings {
        lr: f64,
        clip: f64,
    },
    /// The loss or gradient norm became NaN or infinite. The trainer restored the weights of
    /// the last good batch and paused; resuming continues from them.
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
        !matches!(self, Event::Batch(_) | Event::Snapshot(_))
    }
}

/// JSON writes NaN as `null`; read it back as NaN.
fn f64_or_nan<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}
