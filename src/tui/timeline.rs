//! What happened at each point of training, as the charts need it: the batches (thinned to a
//! fixed budget as training goes on, the newest always kept) and the epochs. The charts read it
//! to put wall-clock time or steps on the x-axis instead of epochs, and the cursor of a zoomed
//! chart reads the exact values of a batch from it.

use crate::metrics::{BatchStats, EpochStats};
use crate::tui::panels::chart::batch_x;

/// Batches kept; past it every other one is dropped and only every second new one is kept.
pub const BATCH_BUDGET: usize = 4096;
/// Epochs kept (their validation perplexity); past it the oldest half is thinned the same way.
pub const EPOCH_BUDGET: usize = 4096;

/// Where a point of training is, on each x-axis the charts offer.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Place {
    /// Epochs, fractional: batch k of epoch e is at `e - 1 + k / batches`.
    pub epoch: f64,
    /// Batches (optimizer steps) since the run began.
    pub step: f64,
    /// Seconds of training (pauses not counted).
    pub time: f64,
}

impl Place {
    pub fn of_batch(b: &BatchStats) -> Place {
        Place {
            epoch: batch_x(b),
            step: step_of(b) as f64,
            time: b.elapsed,
        }
    }
}

/// Batches (optimizer steps) from the start of the run to the end of `b`: what tells one
/// batch from another, wherever the thinning has left it.
pub fn step_of(b: &BatchStats) -> usize {
    b.epoch.saturating_sub(1) * b.batches_per_epoch + b.batch
}

#[derive(Clone, Debug)]
pub struct Timeline {
    /// Every `stride`-th batch, oldest first.
    kept: Vec<BatchStats>,
    stride: u64,
    seen: u64,
    /// The newest batch (kept exactly, whatever the stride).
    last: Option<BatchStats>,
    epochs: Vec<EpochStats>,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            kept: Vec::new(),
            stride: 1,
            seen: 0,
            last: None,
            epochs: Vec::new(),
        }
    }
}

/// Every other element of `v`, in place.
fn halve<T>(v: &mut Vec<T>) {
    let mut i = 0;
    v.retain(|_| {
        i += 1;
        i % 2 == 1
    });
}

impl Timeline {
    pub fn on_batch(&mut self, b: &BatchStats) {
        if self.seen.is_multiple_of(self.stride) {
            self.kept.push(b.clone());
            if self.kept.len() >= BATCH_BUDGET {
                halve(&mut self.kept);
                self.stride *= 2;
            }
        }
        self.seen += 1;
        self.last = Some(b.clone());
    }

    pub fn on_epoch(&mut self, e: &EpochStats) {
        self.epochs.push(e.clone());
        if self.epochs.len() >= EPOCH_BUDGET {
            halve(&mut self.epochs);
        }
    }

    /// Batches the cursor can stop at (the kept ones and the newest).
    pub fn len(&self) -> usize {
        self.kept.len() + usize::from(self.last_is_extra())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The newest batch is not among the kept ones (the stride skipped it).
    fn last_is_extra(&self) -> bool {
        match (&self.last, self.kept.last()) {
            (Some(l), Some(k)) => (l.epoch, l.batch) != (k.epoch, k.batch),
            (Some(_), None) => true,
            _ => false,
        }
    }

    /// The `i`-th batch the cursor can stop at, oldest first.
    pub fn batch(&self, i: usize) -> Option<&BatchStats> {
        if i < self.kept.len() {
            self.kept.get(i)
        } else if i == self.kept.len() && self.last_is_extra() {
            self.last.as_ref()
        } else {
            None
        }
    }

    /// The index of the held batch nearest to `step` (the earlier of two as near), for a
    /// cursor to stay on its batch, or the nearest one still held, when the history thins
    /// itself or the newest batch is replaced. `None` when nothing is held.
    pub fn nearest(&self, step: usize) -> Option<usize> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        let step_at = |i: usize| step_of(self.batch(i).expect("in range"));
        // The first held batch at or after `step` (held batches are in training order).
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if step_at(mid) < step {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Some(match lo {
            0 => 0,
            i if i == n => n - 1,
            i if step - step_at(i - 1) <= step_at(i) - step => i - 1,
            i => i,
        })
    }

    /// The validation perplexity measured at the end of `epoch` (1-based), if it was.
    pub fn val_ppl(&self, epoch: usize) -> Option<f64> {
        let i = self.epochs.partition_point(|e| e.epoch < epoch);
        self.epochs
            .get(i)
            .filter(|e| e.epoch == epoch)
            .map(|e| e.val_ppl)
    }

    /// Batches per epoch of the newest batch (1 before any).
    pub fn batches_per_epoch(&self) -> usize {
        self.last.as_ref().map_or(1, |b| b.batches_per_epoch.max(1))
    }

    /// Where the point at `epoch` (fractional) lies on each axis: steps from the batches per
    /// epoch, time interpolated between the kept batches (before the first, from zero at the
    /// start; after the newest, the newest's time).
    pub fn place(&self, epoch: f64) -> Place {
        let step = epoch * self.batches_per_epoch() as f64;
        let points = || {
            self.kept
                .iter()
                .chain(self.last.iter().filter(|_| self.last_is_extra()))
        };
        let n = self.len();
        if n == 0 {
            return Place {
                epoch,
                step,
                time: 0.0,
            };
        }
        let i = {
            // The first kept batch at or after `epoch`.
            let (mut lo, mut hi) = (0, n);
            while lo < hi {
                let mid = (lo + hi) / 2;
                if batch_x(self.batch(mid).expect("in range")) < epoch {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        let at = |k: usize| {
            let b = self.batch(k).expect("in range");
            (batch_x(b), b.elapsed)
        };
        let time = if i == n {
            points().last().map_or(0.0, |b| b.elapsed)
        } else {
            let (x1, t1) = at(i);
            let (x0, t0) = if i == 0 { (0.0, 0.0) } else { at(i - 1) };
            if x1 - x0 > 1e-12 {
                t0 + (t1 - t0) * ((epoch - x0) / (x1 - x0)).clamp(0.0, 1.0)
            } else {
                t1
            }
        };
        Place { epoch, step, time }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures;

    #[test]
    fn keeps_a_bounded_thinned_history_and_the_newest_batch_exactly() {
        let mut t = Timeline::default();
        for k in 0..20_000 {
            t.on_batch(&fixtures::batch(k, 1.0));
        }
        assert!(t.len() <= BATCH_BUDGET + 1, "{}", t.len());
        let last = t.batch(t.len() - 1).unwrap();
        assert_eq!(
            (last.epoch, last.batch),
            (
                20_000 / fixtures::BATCHES_PER_EPOCH,
                fixtures::BATCHES_PER_EPOCH
            )
        );
        // Oldest first.
        assert!(
            (1..t.len()).all(|i| batch_x(t.batch(i - 1).unwrap()) < batch_x(t.batch(i).unwrap()))
        );
    }

    #[test]
    fn nearest_finds_a_held_batch_or_the_closest_one() {
        let mut t = Timeline::default();
        assert_eq!(t.nearest(5), None);
        for k in 0..10_000 {
            t.on_batch(&fixtures::batch(k, 1.0));
        }
        for i in [0, 1, 17, t.len() / 2, t.len() - 1] {
            let step = step_of(t.batch(i).unwrap());
            assert_eq!(t.nearest(step), Some(i), "held batch {i}");
        }
        // Past 8192 batches the stride is 4: a batch between two held ones goes to the nearer.
        let (a, b) = (step_of(t.batch(3).unwrap()), step_of(t.batch(4).unwrap()));
        assert_eq!(b - a, 4);
        assert_eq!(t.nearest(a + 1), Some(3));
        assert_eq!(t.nearest(a + 2), Some(3), "a tie goes to the earlier");
        assert_eq!(t.nearest(a + 3), Some(4));
        assert_eq!(t.nearest(0), Some(0));
        assert_eq!(t.nearest(usize::MAX), Some(t.len() - 1));
    }

    #[test]
    fn places_map_epochs_to_steps_and_interpolated_time() {
        let mut t = Timeline::default();
        for k in 0..40 {
            t.on_batch(&fixtures::batch(k, 1.0));
        }
        // Batch k ends at (k + 1) · 0.04 s; 20 batches an epoch.
        let p = t.place(1.0);
        assert_eq!(p.step, 20.0);
        assert!((p.time - 0.8).abs() < 1e-9, "{p:?}");
        let p = t.place(1.025);
        assert!((p.time - 0.82).abs() < 1e-9, "{p:?}");
        assert!((t.place(0.0).time).abs() < 1e-12);
        assert!((t.place(9.0).time - 1.6).abs() < 1e-9);
    }

    #[test]
    fn validation_perplexity_by_epoch() {
        let mut t = Timeline::default();
        for epoch in [1, 2, 4] {
            t.on_epoch(&EpochStats {
                epoch,
                epochs: 5,
                train_ppl: 10.0,
                val_ppl: epoch as f64,
                tokens_per_s: 1.0,
                elapsed: 1.0,
            });
        }
        assert_eq!(t.val_ppl(2), Some(2.0));
        assert_eq!(t.val_ppl(3), None);
        assert_eq!(t.val_ppl(4), Some(4.0));
    }
}
