//! What the perplexity and gradient charts share: a batch's position in epochs, datasets drawn
//! as lines or points, the x-axis (epochs, steps or training time: `x`), a value axis, the
//! bounds and labels they use, and the cursor of a zoomed chart (`←`/`→`) with its readout.
//!
//! Axes carry no titles: ratatui draws an axis title inside the plot, over the curves. The
//! x-axis unit goes into its last label, the y-axis unit into the panel's title.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Dataset, GraphType, Paragraph};
use ratatui::Frame;

use crate::metrics::BatchStats;
use crate::number_format::{compact, compact_count};
use crate::text_width::truncate;
use crate::tui::context::{Handled, KeyHelp};
use crate::tui::theme::Theme;
use crate::tui::timeline::{Place, Timeline};
use crate::tui::widgets::{fmt_duration, fmt_norm, fmt_ppl};

/// Position of a batch in epochs: batch k of epoch e is at `e - 1 + k / batches`.
pub fn batch_x(b: &BatchStats) -> f64 {
    (b.epoch - 1) as f64 + b.batch as f64 / b.batches_per_epoch.max(1) as f64
}

/// The keys both charts share (each chart's `keys()` lists them after its own).
pub const SHARED_KEYS: [KeyHelp; 2] = [
    KeyHelp::new(
        "x",
        "x-axis",
        "x-axis of both charts: epochs → steps → training time",
    ),
    KeyHelp::new(
        "←/→",
        "cursor",
        "zoomed: a cursor with exact values (Home/End; Esc: off)",
    ),
];

/// What the charts' x-axis measures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum XAxis {
    #[default]
    Epoch,
    Step,
    Time,
}

impl XAxis {
    pub fn next(self) -> XAxis {
        match self {
            XAxis::Epoch => XAxis::Step,
            XAxis::Step => XAxis::Time,
            XAxis::Time => XAxis::Epoch,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            XAxis::Epoch => "epochs",
            XAxis::Step => "steps",
            XAxis::Time => "training time",
        }
    }

    /// A point's coordinate on this axis.
    pub fn pick(self, p: Place) -> f64 {
        match self {
            XAxis::Epoch => p.epoch,
            XAxis::Step => p.step,
            XAxis::Time => p.time,
        }
    }

    /// A label on this axis; `last` carries the unit.
    fn label(self, x: f64, last: bool) -> String {
        match (self, last) {
            (XAxis::Epoch, false) => format!("{x:.1}"),
            (XAxis::Epoch, true) => format!("{x:.1} ep"),
            (XAxis::Step, false) => compact_count(x.max(0.0).round() as usize),
            (XAxis::Step, true) => format!("{} steps", compact_count(x.max(0.0).round() as usize)),
            (XAxis::Time, _) => fmt_duration(x),
        }
    }
}

/// What a chart shows from outside its own state: the view both charts share, and whether it
/// fills the body (the cursor is drawn only then).
#[derive(Clone, Copy, Debug)]
pub struct Shows<'a> {
    pub charts: &'a ChartsState,
    pub zoomed: bool,
}

/// The charts' shared view: the x-axis, the cursor, and the timeline both read.
#[derive(Clone, Debug, Default)]
pub struct ChartsState {
    pub x_axis: XAxis,
    /// The batch (an index into [`Timeline::batch`]) the cursor is on; drawn on a zoomed chart.
    pub cursor: Option<usize>,
    pub timeline: Timeline,
}

impl ChartsState {
    /// `x` and, on a zoomed chart, the cursor keys. A key the charts do not use is left.
    pub fn on_key(&mut self, key: KeyEvent, zoomed: bool) -> Handled {
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return Handled::No;
        }
        let n = self.timeline.len();
        let last = n.saturating_sub(1);
        match key.code {
            KeyCode::Char('x') => self.x_axis = self.x_axis.next(),
            _ if !zoomed || n == 0 => return Handled::No,
            KeyCode::Left => self.cursor = Some(self.cursor.map_or(last, |c| c.saturating_sub(1))),
            KeyCode::Right => self.cursor = Some(self.cursor.map_or(last, |c| (c + 1).min(last))),
            KeyCode::Home => self.cursor = Some(0),
            KeyCode::End => self.cursor = Some(last),
            KeyCode::Esc if self.cursor.is_some() => self.cursor = None,
            _ => return Handled::No,
        }
        Handled::Yes
    }

    /// A series kept in epochs, on the chosen axis.
    pub fn on_axis(&self, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        if self.x_axis == XAxis::Epoch {
            return points.to_vec();
        }
        points
            .iter()
            .map(|&(x, y)| (self.x_axis.pick(self.timeline.place(x)), y))
            .collect()
    }

    /// The batch under the cursor, if there is a cursor (the index is kept in range).
    pub fn cursor_batch(&self) -> Option<&BatchStats> {
        let n = self.timeline.len();
        self.cursor
            .filter(|_| n > 0)
            .and_then(|c| self.timeline.batch(c.min(n - 1)))
    }

    /// The cursor's x on the chosen axis.
    pub fn cursor_x(&self) -> Option<f64> {
        self.cursor_batch()
            .map(|b| self.x_axis.pick(Place::of_batch(b)))
    }

    /// The x-axis over `bounds`, three labels, the unit in the last.
    pub fn x_axis_widget(&self, t: &Theme, bounds: [f64; 2]) -> Axis<'static> {
        let [a, b] = bounds;
        let labels = vec![
            self.x_axis.label(a, false),
            self.x_axis.label((a + b) / 2.0, false),
            self.x_axis.label(b, true),
        ];
        value_axis(t, bounds, labels)
    }

    /// One line of at most `cols` columns that reads the batch under the cursor: where it is,
    /// its perplexity, the validation perplexity of its epoch (once measured), its gradient
    /// norm and learning rate, its time. Narrow, the labels shorten; narrower still, the line
    /// is cut with `…`.
    pub fn readout(&self, t: &Theme, cols: usize) -> Option<Line<'static>> {
        let b = self.cursor_batch()?;
        let val = self
            .timeline
            .val_ppl(b.epoch)
            .map_or_else(|| "–".to_owned(), fmt_ppl);
        let clipped = if b.clipped { " clipped" } else { "" };
        let k = |s: &str| Span::styled(s.to_owned(), t.dim_style());
        let v = |s: String| Span::styled(s, Style::default().fg(t.fg).add_modifier(Modifier::BOLD));
        let full = [
            "batch ",
            " epoch ",
            " · train ppl ",
            " · val ppl ",
            " · ‖g‖ ",
            " · lr ",
            " · ",
        ];
        let short = ["b ", " ep ", " · ppl ", " val ", " ‖g‖ ", " lr ", " "];
        let values = [
            format!("{}/{}", b.batch, b.batches_per_epoch),
            b.epoch.to_string(),
            fmt_ppl(b.loss.exp()),
            val,
            format!("{}{clipped}", fmt_norm(b.grad_norm)),
            compact(b.lr),
            fmt_duration(b.elapsed),
        ];
        let line = |labels: [&str; 7]| {
            let mut spans = vec![Span::styled("▏", Style::default().fg(t.accent))];
            for (label, value) in labels.iter().zip(&values) {
                spans.push(k(label));
                spans.push(v(value.clone()));
            }
            Line::from(spans)
        };
        let wide = line(full);
        if wide.width() <= cols {
            return Some(wide);
        }
        let narrow = line(short);
        if narrow.width() <= cols {
            return Some(narrow);
        }
        let text: String = narrow.spans.iter().map(|s| s.content.as_ref()).collect();
        Some(Line::from(Span::styled(
            truncate(&text, cols).0,
            Style::default().fg(t.fg),
        )))
    }
}

/// The cursor as a vertical line from `lo` to `hi` at `x`.
pub fn cursor_line(x: f64, lo: f64, hi: f64) -> Vec<(f64, f64)> {
    (0..=16)
        .map(|i| (x, lo + (hi - lo) * i as f64 / 16.0))
        .collect()
}

/// Draw the cursor's readout in the last row of `area` and return the rows above it; without a
/// cursor (or on an unzoomed chart) the area is returned whole.
pub fn split_readout(
    f: &mut Frame,
    area: Rect,
    t: &Theme,
    charts: &ChartsState,
    zoomed: bool,
) -> Rect {
    let cols = area.width as usize;
    let Some(line) = charts
        .readout(t, cols)
        .filter(|_| zoomed && area.height > 3)
    else {
        return area;
    };
    let row = Rect::new(area.x, area.y + area.height - 1, area.width, 1);
    f.render_widget(Paragraph::new(line), row);
    Rect::new(area.x, area.y, area.width, area.height - 1)
}

/// A series drawn as a braille line.
pub fn line<'a>(name: &'a str, style: Style, data: &'a [(f64, f64)]) -> Dataset<'a> {
    Dataset::default()
        .name(name)
        .marker(ratatui::symbols::Marker::Braille)
        .graph_type(GraphType::Line)
        .style(style)
        .data(data)
}

/// A series drawn as a braille line and left out of the legend.
pub fn unnamed_line(style: Style, data: &[(f64, f64)]) -> Dataset<'_> {
    Dataset::default()
        .marker(ratatui::symbols::Marker::Braille)
        .graph_type(GraphType::Line)
        .style(style)
        .data(data)
}

/// A series drawn as separate dots.
pub fn points<'a>(name: &'a str, style: Style, data: &'a [(f64, f64)]) -> Dataset<'a> {
    Dataset::default()
        .name(name)
        .marker(ratatui::symbols::Marker::Dot)
        .graph_type(GraphType::Scatter)
        .style(style)
        .data(data)
}

/// Separate dots, left out of the legend.
pub fn unnamed_points(style: Style, data: &[(f64, f64)]) -> Dataset<'_> {
    Dataset::default()
        .marker(ratatui::symbols::Marker::Dot)
        .graph_type(GraphType::Scatter)
        .style(style)
        .data(data)
}

/// A value axis without a title (see the module's note).
pub fn value_axis(t: &Theme, bounds: [f64; 2], labels: Vec<String>) -> Axis<'static> {
    Axis::default()
        .style(t.dim_style())
        .bounds(bounds)
        .labels(labels)
}

/// Axis bounds and three labels for log10-transformed values, each label written by `fmt`.
pub fn log_axis_with(
    values: impl Iterator<Item = f64>,
    fmt: fn(f64) -> String,
) -> Option<([f64; 2], Vec<String>)> {
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
        .map(|y| fmt(10f64.powf(*y)))
        .collect();
    Some(([a, b], labels))
}

/// Axis bounds and three labels for log10-transformed perplexities.
pub fn log_axis(values: impl Iterator<Item = f64>) -> Option<([f64; 2], Vec<String>)> {
    log_axis_with(values, fmt_ppl)
}

/// Axis bounds and three labels for values on a linear scale, fitted to the data (with a
/// little room above and below, never below zero when the data is not).
pub fn linear_axis(
    values: impl Iterator<Item = f64>,
    fmt: fn(f64) -> String,
) -> Option<([f64; 2], Vec<String>)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return None;
    }
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.02).max(1e-9);
    let a = if lo >= 0.0 {
        (lo - pad).max(0.0)
    } else {
        lo - pad
    };
    let b = hi + pad;
    let labels = [a, (a + b) / 2.0, b].iter().map(|&y| fmt(y)).collect();
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
    // Training curves start at 0.
    let lo = lo.min(0.0);
    if hi - lo < 1e-9 {
        [lo, lo + 1.0]
    } else {
        [lo, hi]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures;
    use ratatui::crossterm::event::KeyEvent;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn the_cursor_moves_only_on_a_zoomed_chart_and_stays_in_range() {
        let mut c = ChartsState::default();
        for k in 0..30 {
            c.timeline.on_batch(&fixtures::batch(k, 1.0));
        }
        assert_eq!(c.on_key(key(KeyCode::Left), false), Handled::No);
        assert_eq!(c.cursor, None);
        assert_eq!(c.on_key(key(KeyCode::Left), true), Handled::Yes);
        assert_eq!(c.cursor, Some(29));
        c.on_key(key(KeyCode::Right), true);
        assert_eq!(c.cursor, Some(29));
        c.on_key(key(KeyCode::Home), true);
        c.on_key(key(KeyCode::Left), true);
        assert_eq!(c.cursor, Some(0));
        let b = c.cursor_batch().unwrap();
        assert_eq!((b.epoch, b.batch), (1, 1));
        assert_eq!(c.on_key(key(KeyCode::Esc), true), Handled::Yes);
        assert_eq!(c.cursor, None);
        // Esc without a cursor is the cockpit's (it unzooms).
        assert_eq!(c.on_key(key(KeyCode::Esc), true), Handled::No);
    }

    #[test]
    fn the_readout_shortens_its_labels_then_cuts_with_an_ellipsis() {
        let mut c = ChartsState::default();
        for k in 0..30 {
            c.timeline.on_batch(&fixtures::batch(k, 1.0));
        }
        c.cursor = Some(3);
        let t = Theme::default_for(crate::tui::ColorMode::TrueColor);
        let text = |cols| -> String {
            let l = c.readout(&t, cols).unwrap();
            assert!(l.width() <= cols, "{cols}");
            l.spans.iter().map(|s| s.content.as_ref()).collect()
        };
        assert!(
            text(120).starts_with("▏batch 4/20 epoch 1 · train ppl "),
            "{}",
            text(120)
        );
        assert!(text(60).starts_with("▏b 4/20 ep 1 · ppl "), "{}", text(60));
        assert!(text(20).ends_with('…'), "{}", text(20));
    }

    #[test]
    fn x_cycles_the_axis_and_the_last_label_names_the_unit() {
        let mut c = ChartsState::default();
        for k in 0..40 {
            c.timeline.on_batch(&fixtures::batch(k, 1.0));
        }
        let pts = [(1.0, 5.0), (2.0, 4.0)];
        assert_eq!(c.on_axis(&pts), pts.to_vec());
        c.on_key(key(KeyCode::Char('x')), false);
        assert_eq!(c.x_axis, XAxis::Step);
        assert_eq!(c.on_axis(&pts), vec![(20.0, 5.0), (40.0, 4.0)]);
        assert_eq!(XAxis::Step.label(40.0, true), "40 steps");
        c.on_key(key(KeyCode::Char('x')), false);
        assert_eq!(c.x_axis, XAxis::Time);
        let on = c.on_axis(&pts);
        assert!((on[1].0 - 1.6).abs() < 1e-9, "{on:?}");
        c.on_key(key(KeyCode::Char('x')), false);
        assert_eq!(c.x_axis, XAxis::Epoch);
        assert_eq!(XAxis::Epoch.label(2.4, true), "2.4 ep");
    }

    #[test]
    fn a_linear_axis_fits_the_data_not_zero_to_the_clip_line() {
        let ([a, b], labels) = linear_axis([0.05, 0.5].into_iter(), fmt_norm).unwrap();
        assert!(
            (0.0..0.05).contains(&a) && (0.5..0.6).contains(&b),
            "{a} {b}"
        );
        assert_eq!(labels.len(), 3);
        let ([a, b], _) = log_axis_with([0.01, 10.0].into_iter(), fmt_norm).unwrap();
        assert!(a < -2.0 && b > 1.0);
    }
}
