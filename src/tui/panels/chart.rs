//! What the perplexity and gradient charts share: a batch's position in epochs, datasets drawn
//! as lines or points, the epoch axis, a value axis, and the bounds and labels they use.

use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Dataset, GraphType};

use crate::metrics::BatchStats;
use crate::tui::theme::Theme;
use crate::tui::widgets::fmt_ppl;

/// Position of a batch in epochs: batch k of epoch e is at `e - 1 + k / batches`.
pub fn batch_x(b: &BatchStats) -> f64 {
    (b.epoch - 1) as f64 + b.batch as f64 / b.batches_per_epoch.max(1) as f64
}

/// A series drawn as a braille line.
pub fn line<'a>(name: &'a str, style: Style, data: &'a [(f64, f64)]) -> Dataset<'a> {
    Dataset::default()
        .name(name)
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(style)
        .data(data)
}

/// A series drawn as separate dots.
pub fn points<'a>(name: &'a str, style: Style, data: &'a [(f64, f64)]) -> Dataset<'a> {
    Dataset::default()
        .name(name)
        .marker(Marker::Dot)
        .graph_type(GraphType::Scatter)
        .style(style)
        .data(data)
}

/// The x axis of both charts: training progress in epochs.
pub fn epoch_axis(t: &Theme, bounds: [f64; 2]) -> Axis<'static> {
    value_axis(t, "epoch", bounds, x_labels(bounds))
}

pub fn value_axis(
    t: &Theme,
    title: &'static str,
    bounds: [f64; 2],
    labels: Vec<String>,
) -> Axis<'static> {
    Axis::default()
        .title(Span::styled(title, t.dim_style()))
        .style(t.dim_style())
        .bounds(bounds)
        .labels(labels)
}

/// Axis bounds and three labels for log10-transformed values.
pub fn log_axis(values: impl Iterator<Item = f64>) -> Option<([f64; 2], Vec<String>)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && *v > 0.0) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return None;
    }
    let (mut a, mut b) = (lo.log10(), hi.log10());
    let pad = ((b - a) * 0.05).max(0.02);
    a -= pad;
    b += pad;
    let labels = [a, (a + b) / 2.0, b]
        .iter()
        .map(|y| fmt_ppl(10f64.powf(*y)))
        .collect();
    Some(([a, b], labels))
}

pub fn x_bounds(points: &[&[(f64, f64)]]) -> [f64; 2] {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in points.iter().flat_map(|s| s.iter()) {
        lo = lo.min(p.0);
        hi = hi.max(p.0);
    }
    if !lo.is_finite() {
        return [0.0, 1.0];
    }
    // Training curves start at epoch 0.
    let lo = lo.min(0.0);
    if hi - lo < 1e-9 {
        [lo, lo + 1.0]
    } else {
        [lo, hi]
    }
}

pub fn x_labels(b: [f64; 2]) -> Vec<String> {
    [b[0], (b[0] + b[1]) / 2.0, b[1]]
        .iter()
        .map(|x| format!("{x:.1}"))
        .collect()
}
