//! Perplexity: sparklines (train per batch, validation per epoch) and a log-scale chart of the
//! raw and EMA-smoothed train curve with the validation points.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Chart, Paragraph, Sparkline};
use ratatui::Frame;

use super::chart::{self, batch_x};
use crate::metrics::MetricRecord;
use crate::metrics::{BatchStats, EpochStats};
use crate::tui::context::{Ctx, KeyHelp, Panel};
use crate::tui::series::{decimate, Series};
use crate::tui::theme::Theme;
use crate::tui::widgets::{fmt_ppl, framed, panel_block, placeholder, title};

/// Narrower charts draw no legend box (it would cover the curves).
pub const LEGEND_MIN_WIDTH: u16 = 40;

/// Weight of the newest batch in the smoothed curve.
pub const EMA_ALPHA: f64 = 0.05;

/// The panel's own keys, for the help overlay and the footer (the app carries them out).
pub fn keys() -> &'static [KeyHelp] {
    const KEYS: &[KeyHelp] = &[KeyHelp::new(
        "Enter",
        "zoom",
        "zoom the chart to the whole screen and back (as z)",
    )];
    KEYS
}

#[derive(Clone, Debug, Default)]
pub struct PerplexityState {
    /// Per-batch train perplexity, x in epochs (fractional).
    pub train: Series,
    /// EMA of the batch loss, shown as perplexity.
    pub ema: Series,
    ema_loss: Option<f64>,
    /// Validation perplexity per epoch, x = epoch.
    pub val: Series,
    /// A saved run's curves drawn dimmed under the current ones (the runs picker's `c`).
    pub overlay: Option<OverlayCurve>,
}

/// Most points an overlaid train curve keeps.
pub const OVERLAY_POINTS: usize = 1024;

/// A past run's perplexity, ready to draw: its smoothed train curve and validation points.
#[derive(Clone, Debug, PartialEq)]
pub struct OverlayCurve {
    pub id: String,
    pub train: Vec<(f64, f64)>,
    pub val: Vec<(f64, f64)>,
}

impl OverlayCurve {
    /// Smooth the batch losses with the same EMA as the live curve, so the two compare.
    pub fn from_records(id: String, records: &[MetricRecord]) -> Self {
        let mut train = Vec::new();
        let mut val = Vec::new();
        let mut ema: Option<f64> = None;
        for r in records {
            match r {
                MetricRecord::Batch(b) if b.loss.is_finite() => {
                    let e = ema.map_or(b.loss, |p| EMA_ALPHA * b.loss + (1.0 - EMA_ALPHA) * p);
                    ema = Some(e);
                    train.push((batch_x(b), e.exp()));
                }
                MetricRecord::Epoch(e) if e.val_ppl.is_finite() => {
                    val.push((e.epoch as f64, e.val_ppl));
                }
                _ => {}
            }
        }
        OverlayCurve {
            id,
            train: decimate(&train, OVERLAY_POINTS / 2),
            val,
        }
    }
}

impl PerplexityState {
    pub fn on_batch(&mut self, b: &BatchStats) {
        if !b.loss.is_finite() {
            return;
        }
        let x = batch_x(b);
        self.train.push(x, b.loss.exp());
        let ema = match self.ema_loss {
            None => b.loss,
            Some(prev) => EMA_ALPHA * b.loss + (1.0 - EMA_ALPHA) * prev,
        };
        self.ema_loss = Some(ema);
        self.ema.push(x, ema.exp());
    }

    pub fn on_epoch(&mut self, e: &EpochStats) {
        self.val.push(e.epoch as f64, e.val_ppl);
    }

    pub fn ema_ppl(&self) -> Option<f64> {
        self.ema_loss.map(f64::exp)
    }
}

/// Perplexities as sparkline bar heights: log scale relative to the smallest shown.
fn spark_values(values: &[f64]) -> Vec<u64> {
    let min = values
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .max(1e-9);
    values
        .iter()
        .map(|&v| ((v.max(1e-9).ln() - min.ln()) * 1000.0) as u64 + 1)
        .collect()
}

fn spark_row(
    f: &mut Frame,
    area: Rect,
    t: &Theme,
    name: &str,
    values: &[f64],
    color: ratatui::style::Color,
) {
    let label_w = 16u16.min(area.width);
    let [label, spark] =
        Layout::horizontal([Constraint::Length(label_w), Constraint::Fill(1)]).areas(area);
    let last = values
        .last()
        .map(|&v| fmt_ppl(v))
        .unwrap_or_else(|| "–".into());
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!("{name:<6}"), t.dim_style()),
            Span::styled(
                last,
                Style::default().fg(color).add_modifier(Modifier::BOLD),
            ),
        ])),
        label,
    );
    let shown = &values[values.len().saturating_sub(spark.width as usize)..];
    f.render_widget(
        Sparkline::default()
            .data(spark_values(shown))
            .style(Style::default().fg(color)),
        spark,
    );
}

impl PerplexityState {
    /// `trainer_failed`: the trainer stopped with an error, so no first batch is coming.
    pub fn draw(&self, f: &mut Frame, area: Rect, ctx: Ctx, trainer_failed: bool) {
        let t = ctx.theme;
        let st = self;
        let heading = match &st.overlay {
            Some(o) => format!(" Perplexity · vs run {} (dimmed) ", o.id),
            None => " Perplexity ".to_owned(),
        };
        let inner = framed(f, area, panel_block(title(heading, t), ctx));
        if inner.width < 4 || inner.height < 1 {
            return;
        }
        if st.train.is_empty() {
            let msg = if trainer_failed {
                "no data"
            } else {
                "waiting for the first batch — press space to start"
            };
            placeholder(f, inner, msg, t);
            return;
        }
        let chart_area = if inner.height >= 8 {
            let [a, b, rest] = Layout::vertical([
                Constraint::Length(1),
                Constraint::Length(1),
                Constraint::Fill(1),
            ])
            .areas(inner);
            let train: Vec<f64> = st.train.recent().map(|p| p.1).collect();
            let val: Vec<f64> = st.val.recent().map(|p| p.1).collect();
            // "batch": the last batch's perplexity, which the status bar's (smoothed, then
            // per-epoch) train perplexity is not.
            spark_row(f, a, t, "batch", &train, t.train);
            spark_row(f, b, t, "val", &val, t.val);
            rest
        } else {
            inner
        };
        // No more points than the chart has braille columns.
        let cols = 2 * chart_area.width as usize;
        let train = decimate(&st.train.points(), cols);
        let ema = decimate(&st.ema.points(), cols);
        let val = st.val.points();
        let log = |v: &[(f64, f64)]| -> Vec<(f64, f64)> {
            v.iter().map(|&(x, y)| (x, y.max(1e-9).log10())).collect()
        };
        let (train_l, ema_l, val_l) = (log(&train), log(&ema), log(&val));
        let past_train = st
            .overlay
            .as_ref()
            .map(|o| decimate(&o.train, cols))
            .unwrap_or_default();
        let past_train = past_train.as_slice();
        let past_val = st.overlay.as_ref().map_or(&[][..], |o| o.val.as_slice());
        let (past_train_l, past_val_l) = (log(past_train), log(past_val));
        let Some((ybounds, ylabels)) = chart::log_axis(
            train
                .iter()
                .chain(&ema)
                .chain(&val)
                .chain(past_train)
                .chain(past_val)
                .map(|p| p.1),
        ) else {
            return;
        };
        let xb = chart::x_bounds(&[&train, &val, past_train, past_val]);
        let mut datasets = Vec::new();
        if st.overlay.is_some() {
            // Drawn first, so the current run paints over it.
            datasets.push(chart::line("past", t.dim_style(), &past_train_l));
            datasets.push(chart::points("past val", t.dim_style(), &past_val_l));
        }
        datasets.extend([
            chart::line("train", Style::default().fg(t.train), &train_l),
            chart::line("EMA", Style::default().fg(t.train_ema), &ema_l),
            chart::points(
                "val",
                Style::default().fg(t.val).add_modifier(Modifier::BOLD),
                &val_l,
            ),
        ]);
        let mut chart = Chart::new(datasets)
            .x_axis(chart::epoch_axis(t, xb))
            .y_axis(chart::value_axis(t, "ppl (log)", ybounds, ylabels))
            .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)));
        if chart_area.width < LEGEND_MIN_WIDTH {
            // A narrow chart needs every column for the curves.
            chart = chart.legend_position(None);
        }
        f.render_widget(chart, chart_area);
    }
}

impl Panel for PerplexityState {
    /// Whether the trainer stopped with an error (then no first batch is coming).
    type Shows<'a> = bool;

    fn draw(&self, f: &mut Frame, area: Rect, ctx: Ctx, shows: bool) {
        PerplexityState::draw(self, f, area, ctx, shows)
    }
}
