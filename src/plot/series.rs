//! A run's curves as a figure draws them, from its metric records: train perplexity per batch
//! (raw) and its EMA, validation perplexity per epoch, the gradient norm and the clip threshold
//! per batch, the learning rate. Every point knows where it lies on each x-axis.

use crate::hparams::HParams;
use crate::metrics::MetricRecord;
use crate::number_format::{compact, compact_count};

/// The share of the old average the EMA keeps at each batch, as the cockpit's default.
pub const DEFAULT_SMOOTHING: f64 = 0.95;

/// What a figure's x-axis measures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum XAxis {
    /// Optimisation steps (batches) since the run began.
    #[default]
    Steps,
    /// Seconds of training (validation and pauses not counted).
    Time,
    /// Epochs, fractional: batch k of epoch e is at `e - 1 + k / batches`.
    Epochs,
}

impl XAxis {
    /// The axis's title in a figure.
    pub fn title(self) -> &'static str {
        match self {
            XAxis::Steps => "steps",
            XAxis::Time => "training time",
            XAxis::Epochs => "epochs",
        }
    }
}

/// Where a point of training lies on each x-axis.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Place {
    pub step: f64,
    pub time: f64,
    pub epoch: f64,
}

impl Place {
    pub fn on(self, axis: XAxis) -> f64 {
        match axis {
            XAxis::Steps => self.step,
            XAxis::Time => self.time,
            XAxis::Epochs => self.epoch,
        }
    }
}

/// One series: its points in order of training.
pub type Points = Vec<(Place, f64)>;

/// What the legend says of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    /// Its label when it has one, else its id.
    pub name: String,
    /// The model in a few words (`rnn H32 sgd`, `lstm×2 H256 adam`).
    pub model: String,
    /// The learning rate it started with.
    pub lr: f64,
    pub batch_size: usize,
}

impl RunInfo {
    pub fn new(name: impl Into<String>, hp: &HParams) -> RunInfo {
        RunInfo {
            name: name.into(),
            model: hp.model_label(),
            lr: hp.lr,
            batch_size: hp.batch_size,
        }
    }
}

/// A run's curves, ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct RunCurves {
    pub info: RunInfo,
    /// Train perplexity of every batch.
    pub train: Points,
    /// The EMA of the batch loss (`smoothing` of the old average kept), as perplexity.
    pub ema: Points,
    pub smoothing: f64,
    /// Validation perplexity at every epoch's end.
    pub val: Points,
    /// Global gradient norm of every batch, before clipping.
    pub grad: Points,
    /// The clip threshold of every batch (none while clipping is off).
    pub clip: Points,
    /// The learning rate of every batch.
    pub lr: Points,
}

impl RunCurves {
    /// The curves of a run's records (`metrics.jsonl`, in order). Non-finite values (a
    /// diverged batch) are left out, as the cockpit leaves them out.
    pub fn from_records(info: RunInfo, records: &[MetricRecord], smoothing: f64) -> RunCurves {
        let mut c = RunCurves {
            info,
            train: Vec::new(),
            ema: Vec::new(),
            smoothing,
            val: Vec::new(),
            grad: Vec::new(),
            clip: Vec::new(),
            lr: Vec::new(),
        };
        let mut ema: Option<f64> = None;
        let mut batches_per_epoch = None;
        for r in records {
            match r {
                MetricRecord::Batch(b) => {
                    let bpe = b.batches_per_epoch.max(1);
                    batches_per_epoch = Some(bpe);
                    let at = Place {
                        step: (b.epoch.saturating_sub(1) * bpe + b.batch) as f64,
                        time: b.elapsed,
                        epoch: b.epoch.saturating_sub(1) as f64 + b.batch as f64 / bpe as f64,
                    };
                    if b.loss.is_finite() {
                        c.train.push((at, b.loss.exp()));
                        let e = ema
                            .map_or(b.loss, |prev| (1.0 - smoothing) * b.loss + smoothing * prev);
                        ema = Some(e);
                        c.ema.push((at, e.exp()));
                    }
                    if b.grad_norm.is_finite() {
                        c.grad.push((at, b.grad_norm));
                    }
                    if b.clip_threshold.is_finite() && b.clip_threshold > 0.0 {
                        c.clip.push((at, b.clip_threshold));
                    }
                    if b.lr.is_finite() {
                        c.lr.push((at, b.lr));
                    }
                }
                MetricRecord::Epoch(e) if e.val_ppl.is_finite() => {
                    let bpe = batches_per_epoch.unwrap_or(1);
                    let at = Place {
                        step: (e.epoch * bpe) as f64,
                        time: e.elapsed,
                        epoch: e.epoch as f64,
                    };
                    c.val.push((at, e.val_ppl));
                }
                MetricRecord::Epoch(_) => {}
            }
        }
        c
    }

    /// Batches recorded (with a finite loss).
    pub fn batches(&self) -> usize {
        self.train.len()
    }

    /// Whether the learning rate changed over the run (`--lr-decay`, or set live).
    pub fn lr_varied(&self) -> bool {
        let mut lrs = self.lr.iter().map(|p| p.1);
        match lrs.next() {
            Some(first) => lrs.any(|v| v != first),
            None => false,
        }
    }

    /// The legend's line for the run: its name, model and key hyperparameters.
    pub fn legend(&self) -> String {
        let i = &self.info;
        let steps = self.train.last().map_or(0, |p| p.0.step as usize);
        // The rates the batches were trained at (a resumed run may have changed it).
        let first = self.lr.first().map_or(i.lr, |p| p.1);
        let lr = if self.lr_varied() {
            let last = self.lr.last().map_or(i.lr, |p| p.1);
            format!("lr {}→{}", compact(first), compact(last))
        } else {
            format!("lr {}", compact(first))
        };
        format!(
            "{} · {} · {lr} · batch {} · {} steps",
            i.name,
            i.model,
            i.batch_size,
            compact_count(steps)
        )
    }
}

/// At most about `2 * buckets` points with the same shape: the points split into `buckets`
/// runs, each kept as its lowest and highest point (in order), so spikes survive. A figure
/// or a cockpit chart needs no more points than it has pixel columns (both draw through this).
pub fn decimate(points: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    let buckets = buckets.max(1);
    if points.len() <= 2 * buckets {
        return points.to_vec();
    }
    let per = points.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(2 * buckets + 1);
    for chunk in points.chunks(per) {
        let (mut lo, mut hi) = (0, 0);
        for (i, p) in chunk.iter().enumerate() {
            if p.1 < chunk[lo].1 {
                lo = i;
            }
            if p.1 > chunk[hi].1 {
                hi = i;
            }
        }
        let (a, b) = (lo.min(hi), lo.max(hi));
        out.push(chunk[a]);
        if b != a {
            out.push(chunk[b]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{BatchStats, EpochStats};

    fn batch(epoch: usize, batch: usize, loss: f64, lr: f64) -> MetricRecord {
        MetricRecord::Batch(BatchStats {
            epoch,
            batch,
            batches_per_epoch: 4,
            loss,
            grad_norm: 0.5 * batch as f64,
            clipped: batch > 2,
            clip_threshold: 1.0,
            lr,
            tokens: 64,
            elapsed: (epoch - 1) as f64 * 2.0 + batch as f64 * 0.5,
        })
    }

    fn epoch(epoch: usize, val_ppl: f64) -> MetricRecord {
        MetricRecord::Epoch(EpochStats {
            epoch,
            epochs: 2,
            train_ppl: 10.0,
            val_ppl,
            tokens_per_s: 1e4,
            elapsed: epoch as f64 * 2.0,
        })
    }

    fn info() -> RunInfo {
        RunInfo {
            name: "baseline".into(),
            model: "rnn H32 sgd".into(),
            lr: 1.0,
            batch_size: 1024,
        }
    }

    #[test]
    fn the_ema_smooths_the_loss_as_the_cockpit_does() {
        let recs = [batch(1, 1, 3.0, 1.0), batch(1, 2, 1.0, 1.0)];
        let c = RunCurves::from_records(info(), &recs, 0.95);
        assert_eq!(c.ema[0].1, 3f64.exp());
        // 0.05 of the new loss, 0.95 of the old average, in loss space.
        let want = (0.05 * 1.0 + 0.95 * 3.0f64).exp();
        assert!((c.ema[1].1 - want).abs() < 1e-12, "{}", c.ema[1].1);
        assert_eq!(c.train[1].1, 1f64.exp());
        // No smoothing: the raw curve.
        let raw = RunCurves::from_records(info(), &recs, 0.0);
        assert_eq!(raw.ema, raw.train);
    }

    #[test]
    fn points_lie_on_every_axis_and_validation_sits_at_the_epoch_end() {
        let recs = [
            batch(1, 1, 2.0, 1.0),
            batch(1, 4, 2.0, 1.0),
            epoch(1, 7.5),
            batch(2, 2, f64::NAN, 1.0),
            batch(2, 3, 1.5, 0.5),
            epoch(2, f64::NAN),
        ];
        let c = RunCurves::from_records(info(), &recs, 0.95);
        let last = c.train.last().unwrap().0;
        assert_eq!((last.step, last.epoch, last.time), (7.0, 1.75, 3.5));
        assert_eq!(c.val.len(), 1, "a NaN validation is left out");
        let v = c.val[0].0;
        assert_eq!((v.step, v.epoch, v.time), (4.0, 1.0, 2.0));
        assert_eq!(c.batches(), 3, "the NaN loss is left out");
        assert_eq!(c.grad.len(), 4, "its gradient norm is kept");
        assert_eq!(XAxis::Time.title(), "training time");
        assert_eq!(v.on(XAxis::Epochs), 1.0);
    }

    #[test]
    fn the_legend_names_the_run_and_its_lr_change() {
        let constant = RunCurves::from_records(
            info(),
            &[batch(1, 1, 2.0, 1.0), batch(1, 2, 2.0, 1.0)],
            0.95,
        );
        assert!(!constant.lr_varied());
        assert_eq!(
            constant.legend(),
            "baseline · rnn H32 sgd · lr 1 · batch 1024 · 2 steps"
        );
        let decayed = RunCurves::from_records(
            info(),
            &[batch(1, 1, 2.0, 1.0), batch(1, 2, 2.0, 0.5)],
            0.95,
        );
        assert!(decayed.lr_varied());
        assert!(
            decayed.legend().contains("lr 1→0.5"),
            "{}",
            decayed.legend()
        );
    }

    #[test]
    fn decimation_keeps_spikes_and_bounds_the_count() {
        let mut pts: Vec<(f64, f64)> = (0..10_000).map(|i| (i as f64, 1.0)).collect();
        pts[5_000].1 = 50.0;
        let d = decimate(&pts, 100);
        assert!(d.len() <= 200);
        assert!(d.iter().any(|p| p.1 == 50.0));
        assert!(d.windows(2).all(|w| w[0].0 <= w[1].0));
        assert_eq!(decimate(&pts[..10], 100).len(), 10);
    }
}
