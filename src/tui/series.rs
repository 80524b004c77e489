//! A bounded time series: the most recent points exactly, and the whole history downsampled to a
//! fixed budget by averaging neighbouring pairs (as burn's training TUI does), so memory stays
//! flat however long training runs.

use std::collections::VecDeque;

/// Points kept exactly.
pub const RECENT: usize = 1000;
/// Points kept for the whole history.
pub const HISTORY_BUDGET: usize = 512;

#[derive(Clone, Debug)]
pub struct Series {
    recent: VecDeque<(f64, f64)>,
    recent_cap: usize,
    history: Vec<(f64, f64)>,
    budget: usize,
    /// Raw points per history point.
    stride: usize,
    pending: (f64, f64, usize),
    total: u64,
}

impl Default for Series {
    fn default() -> Self {
        Series::new(RECENT, HISTORY_BUDGET)
    }
}

impl Series {
    pub fn new(recent_cap: usize, budget: usize) -> Self {
        let budget = budget.max(2) & !1;
        Series {
            recent: VecDeque::with_capacity(recent_cap.max(1)),
            recent_cap: recent_cap.max(1),
            history: Vec::with_capacity(budget),
            budget,
            stride: 1,
            pending: (0.0, 0.0, 0),
            total: 0,
        }
    }

    pub fn push(&mut self, x: f64, y: f64) {
        if !x.is_finite() || !y.is_finite() {
            return;
        }
        self.total += 1;
        if self.recent.len() == self.recent_cap {
            self.recent.pop_front();
        }
        self.recent.push_back((x, y));
        let p = &mut self.pending;
        p.0 += x;
        p.1 += y;
        p.2 += 1;
        if p.2 == self.stride {
            let n = p.2 as f64;
            self.history.push((p.0 / n, p.1 / n));
            self.pending = (0.0, 0.0, 0);
            if self.history.len() >= self.budget {
                self.history = self
                    .history
                    .chunks(2)
                    .map(|c| {
                        let n = c.len() as f64;
                        (
                            c.iter().map(|p| p.0).sum::<f64>() / n,
                            c.iter().map(|p| p.1).sum::<f64>() / n,
                        )
                    })
                    .collect();
                self.stride *= 2;
            }
        }
    }

    /// Points pushed so far (not points held).
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    pub fn last(&self) -> Option<(f64, f64)> {
        self.recent.back().copied()
    }

    pub fn recent(&self) -> impl ExactSizeIterator<Item = &(f64, f64)> + DoubleEndedIterator {
        self.recent.iter()
    }

    /// What a chart should show: every point while they all fit the recent window, else the
    /// downsampled history.
    pub fn points(&self) -> Vec<(f64, f64)> {
        if self.total as usize <= self.recent_cap {
            self.recent.iter().copied().collect()
        } else {
            let mut v = self.history.clone();
            if let Some(&last) = self.recent.back() {
                v.push(last);
            }
            v
        }
    }

    /// Points held in memory (recent + history), bounded by `recent_cap + budget`.
    pub fn held(&self) -> usize {
        self.recent.len() + self.history.len()
    }

    pub fn clear(&mut self) {
        *self = Series::new(self.recent_cap, self.budget);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_stays_flat() {
        let mut s = Series::new(100, 64);
        for i in 0..1_000_000 {
            s.push(i as f64, (i % 7) as f64);
        }
        assert!(s.held() <= 164, "{}", s.held());
        assert_eq!(s.total(), 1_000_000);
        let pts = s.points();
        assert!(pts.len() <= 65);
        // Downsampling keeps the x range and averages y.
        assert!(pts[0].0 < 20_000.0);
        assert_eq!(pts.last().unwrap().0, 999_999.0);
        let mean: f64 = pts.iter().map(|p| p.1).sum::<f64>() / pts.len() as f64;
        assert!((mean - 3.0).abs() < 0.2, "{mean}");
    }

    #[test]
    fn small_series_are_exact_and_skip_non_finite() {
        let mut s = Series::new(10, 8);
        s.push(0.0, 1.0);
        s.push(1.0, f64::NAN);
        s.push(2.0, 3.0);
        assert_eq!(s.points(), vec![(0.0, 1.0), (2.0, 3.0)]);
    }
}
