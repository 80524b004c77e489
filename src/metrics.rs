//! The training metrics as plain records: one per optimisation step ([`BatchStats`]) and one
//! per epoch ([`EpochStats`]). The trainer sends them (wrapped in its events), runs store them
//! (`metrics.jsonl`), the front ends draw them; none of those needs the others to read them.

use serde::{Deserialize, Deserializer, Serialize};

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

/// What the model said at the end of an epoch: the greedy completion of a prefix (the
/// cockpit's, else d2l's `it has`), kept in a run's `samples.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleRecord {
    /// The epoch just completed (1-based).
    pub epoch: usize,
    /// The validation perplexity of that epoch.
    #[serde(deserialize_with = "f64_or_nan")]
    pub val_ppl: f64,
    /// The prefix as the model read it (characters outside its vocabulary as `<unk>`).
    pub prefix: String,
    /// The characters the model added.
    pub completion: String,
}

/// One line of `metrics.jsonl`: the same JSON object `train --json` prints for that event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum MetricRecord {
    Batch(BatchStats),
    Epoch(EpochStats),
}

/// JSON writes NaN as `null`; read it back as NaN.
fn f64_or_nan<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}
