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
use crate::text_width::{self, truncate};
use crate::tui::context::{Handled, KeyHelp};
use crate::tui::theme::Theme;
use crate::tui::timeline::{step_of, Place, Timeline};
use crate::tui::widgets::{fit_line, fmt_duration, fmt_norm, fmt_ppl};

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
    /// A batch trained: the timeline keeps it, and the cursor stays on the batch it was on,
    /// or moves to the nearest one still held when the timeline thins itself (past
    /// [`crate::tui::timeline::BATCH_BUDGET`] batches it keeps every other one) or the
    /// newest batch it was on is replaced.
    pub fn on_batch(&mut self, b: &BatchStats) {
        let on = self.cursor_batch().map(step_of);
        self.timeline.on_batch(b);
        if let Some(step) = on {
            self.cursor = self.timeline.nearest(step);
        }
    }

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

    /// The axes of a chart drawn in `area`: the x-axis over `x_bounds` (three labels, the
    /// unit in the last) and the value axis over `y_bounds` with `y_labels`, every label fitted
    /// to the room the chart widget gives it (see [`fit_labels`]); the x-axis's last label
    /// drops its unit before it is cut. Also the plot's width between them (the legend's
    /// room).
    pub fn axes(
        &self,
        t: &Theme,
        area: Rect,
        x_bounds: [f64; 2],
        y_bounds: [f64; 2],
        y_labels: Vec<String>,
    ) -> (Axis<'static>, Axis<'static>, u16) {
        let [a, b] = x_bounds;
        let first = self.x_axis.label(a, false);
        let middle = self.x_axis.label((a + b) / 2.0, false);
        let with_unit = self.x_axis.label(b, true);
        let room = LabelRoom::of(area, text_width::width(&first), &y_labels);
        let last = if text_width::width(&with_unit) <= room.last_x {
            with_unit
        } else {
            self.x_axis.label(b, false)
        };
        let (x, y) = fit_labels(area, vec![first, middle, last], y_labels);
        let plot = LabelRoom::of(area, text_width::width(&x[0]), &y).plot;
        (value_axis(t, x_bounds, x), value_axis(t, y_bounds, y), plot)
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

/// The room ratatui's `Chart` gives each axis label in an area (its layout, reproduced): the
/// y labels share a column as wide as the widest of them or of the first x label less one,
/// at most a third of the area; the plot takes the rest after the axis line; the x labels
/// get a third of the plot's width each (the middle one a column less), the first the
/// y labels' column and the axis line. The widget cuts a longer label without a mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabelRoom {
    pub y: usize,
    pub first_x: usize,
    pub middle_x: usize,
    pub last_x: usize,
    /// Columns of the plot itself (where the legend goes too).
    pub plot: u16,
}

impl LabelRoom {
    /// The room for three x labels, the first `first_x` columns wide, and `y` labels.
    pub fn of(area: Rect, first_x: usize, y: &[String]) -> LabelRoom {
        let widest_y = y.iter().map(|l| text_width::width(l)).max().unwrap_or(0);
        let y_cols = widest_y
            .max(first_x.saturating_sub(1))
            .min(area.width as usize / 3);
        // The axis line takes a column when there is one to spare.
        let axis = usize::from(y_cols + 1 < area.width as usize);
        let plot = (area.width as usize).saturating_sub(y_cols + axis);
        let between = plot / 3;
        LabelRoom {
            y: (y_cols + axis).saturating_sub(1),
            first_x: y_cols + axis,
            middle_x: between.saturating_sub(1),
            last_x: between,
            plot: plot as u16,
        }
    }
}

/// Three x labels and the y labels cut to the room a chart in `area` gives them (with `…`
/// where one is longer), so the widget never cuts one silently.
pub fn fit_labels(area: Rect, x: Vec<String>, y: Vec<String>) -> (Vec<String>, Vec<String>) {
    let first_w = x.first().map_or(0, |l| text_width::width(l));
    let room = LabelRoom::of(area, first_w, &y);
    let rooms = [room.first_x, room.middle_x, room.last_x];
    let x = x
        .iter()
        .zip(rooms)
        .map(|(l, cols)| truncate(l, cols).0)
        .collect();
    let y = y.iter().map(|l| truncate(l, room.y).0).collect();
    (x, y)
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
    f.render_widget(Paragraph::new(fit_line(line, cols)), row);
    Rect::new(area.x, area.y, area.width, area.height - 1)
}

/// A series drawn as a braille line, named in the legend (the name is drawn whole: the
/// legend box is as wide as its longest name, or left out).
pub fn line<'a>(name: &'a str, style: Style, data: &'a [(f64, f64)]) -> Dataset<'a> {
    text_width::intended_whole(name);
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
    text_width::intended_whole(name);
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

    /// Past 4096 batches the timeline keeps every other one: the cursor stays on the batch it
    /// reads (or the nearest one held), and ←/→ step through the held batches in order.
    #[test]
    fn the_cursor_keeps_its_batch_when_the_timeline_thins_itself() {
        let mut c = ChartsState::default();
        for k in 0..4000 {
            c.on_batch(&fixtures::batch(k, 1.0));
        }
        c.on_key(key(KeyCode::Home), true);
        for _ in 0..1001 {
            c.on_key(key(KeyCode::Right), true);
        }
        let pick = |c: &ChartsState| {
            let b = c.cursor_batch().unwrap();
            (b.epoch, b.batch, step_of(b))
        };
        let before = pick(&c);
        assert_eq!(before.2, 1002);
        // Thinned twice on the way to 10,000 batches.
        for k in 4000..10_000 {
            c.on_batch(&fixtures::batch(k, 1.0));
            let now = pick(&c);
            let held = (0..c.timeline.len()).any(|i| {
                let b = c.timeline.batch(i).unwrap();
                (b.epoch, b.batch) == (now.0, now.1)
            });
            assert!(held, "after batch {k} the cursor reads {now:?}, not held");
            assert!(
                now.2.abs_diff(before.2) <= 2,
                "after batch {k}: {before:?} → {now:?}"
            );
        }
        // Steps 1, 5, 9, …: batch 1002 went; the cursor is on 1001, the nearest held.
        assert_eq!(pick(&c).2, 1001);
        let b = c.cursor_batch().unwrap().clone();
        let readout = |c: &ChartsState| -> String {
            let t = Theme::default_for(crate::tui::ColorMode::TrueColor);
            let l = c.readout(&t, 200).unwrap();
            l.spans.iter().map(|s| s.content.as_ref()).collect()
        };
        assert!(
            readout(&c).starts_with(&format!("▏batch {}/20 epoch {} ", b.batch, b.epoch)),
            "{}",
            readout(&c)
        );
        // ←/→ go through every held batch in order, one at a time.
        c.on_key(key(KeyCode::Home), true);
        let mut seen = vec![pick(&c).2];
        for _ in 1..c.timeline.len() {
            c.on_key(key(KeyCode::Right), true);
            seen.push(pick(&c).2);
        }
        assert_eq!(seen.len(), c.timeline.len());
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "in training order");
        assert_eq!(*seen.last().unwrap(), 10_000, "the newest batch is held");
        c.on_key(key(KeyCode::Left), true);
        assert_eq!(pick(&c).2, seen[seen.len() - 2]);
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

    /// The room reproduced is the widget's own: labels fitted to it are drawn whole by
    /// ratatui's `Chart` (or, cut, with their `…`), at every width and with long labels.
    #[test]
    fn fitted_labels_are_drawn_whole_by_the_chart_widget() {
        use ratatui::backend::TestBackend;
        use ratatui::widgets::Chart;
        use ratatui::Terminal;
        let t = Theme::default_for(crate::tui::ColorMode::TrueColor);
        for w in 8..90u16 {
            for (x, y) in [
                (["0", "6.2k", "12.3k steps"], ["123456.7", "2e-3", "5"]),
                (["0.0", "1.2", "2.4 ep"], ["33.13", "17.47", "9.21"]),
                (["1h02m", "2h04m", "4h08m"], ["1", "2", "3"]),
            ] {
                let area = Rect::new(0, 0, w, 8);
                let (xl, yl) = fit_labels(
                    area,
                    x.iter().map(|s| s.to_string()).collect(),
                    y.iter().map(|s| s.to_string()).collect(),
                );
                let chart = Chart::new(vec![])
                    .x_axis(value_axis(&t, [0.0, 1.0], xl.clone()))
                    .y_axis(value_axis(&t, [0.0, 1.0], yl.clone()));
                let mut term = Terminal::new(TestBackend::new(w, 8)).unwrap();
                term.draw(|f| f.render_widget(chart, area)).unwrap();
                let buf = term.backend().buffer();
                let rows: Vec<String> = (0..8)
                    .map(|r| (0..w).map(|c| buf[(c, r)].symbol()).collect())
                    .collect();
                for label in xl.iter().chain(&yl).filter(|l| !l.is_empty()) {
                    assert!(
                        rows.iter().any(|r| r.contains(label.as_str())),
                        "{w}: {label:?} not whole in\n{}",
                        rows.join("\n")
                    );
                }
                let room = LabelRoom::of(area, text_width::width(&xl[0]), &yl);
                assert!(room.plot > 0 || w < 3, "{w}");
            }
        }
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
