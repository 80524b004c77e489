//! Perplexity: sparklines (train per batch, validation per epoch) and a log-scale chart of the
//! raw and EMA-smoothed train curve with the validation points, and saved runs' curves
//! overlaid, a colour each.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Chart, Paragraph, Sparkline};
use ratatui::Frame;

use super::chart::{self, batch_x, ChartsState, XAxis};
use crate::metrics::MetricRecord;
use crate::metrics::{BatchStats, EpochStats};
use crate::plot::series::decimate;
use crate::tui::context::{Ctx, Handled, KeyHelp, Panel};
use crate::tui::series::Series;
use crate::tui::theme::Theme;
use crate::tui::timeline::Place;
use crate::tui::widgets::{fmt_ppl, framed, panel_block, placeholder, title};

/// Narrower charts draw no legend box (it would cover the curves).
pub const LEGEND_MIN_WIDTH: u16 = 40;

/// Weight of the newest batch in the smoothed curve by default (smoothing 0.95).
pub const EMA_ALPHA: f64 = 0.05;

/// The smoothings `e` steps through (the share of the old average kept at each batch); the
/// default, 0.95, is `1 - EMA_ALPHA`.
pub const SMOOTHINGS: [f64; 5] = [0.0, 0.6, 0.9, 0.95, 0.99];

/// Most runs overlaid at once (each has its colour from the theme).
pub const MAX_OVERLAYS: usize = 4;

/// The panel's own keys, for the help overlay and the footer (the app carries them out).
pub fn keys() -> &'static [KeyHelp] {
    const KEYS: &[KeyHelp] = &[
        KeyHelp::new(
            "Enter",
            "zoom",
            "zoom the chart to the whole screen and back (as z)",
        ),
        KeyHelp::new(
            "e",
            "smoothing",
            "EMA smoothing: 0 → 0.6 → 0.9 → 0.95 (default) → 0.99",
        ),
        chart::SHARED_KEYS[0],
        chart::SHARED_KEYS[1],
    ];
    KEYS
}

#[derive(Clone, Debug)]
pub struct PerplexityState {
    /// Per-batch train perplexity, x in epochs (fractional).
    pub train: Series,
    /// EMA of the batch loss, shown as perplexity.
    pub ema: Series,
    ema_loss: Option<f64>,
    /// The share of the old average the EMA keeps at each batch (`e` cycles [`SMOOTHINGS`]).
    pub smoothing: f64,
    /// Validation perplexity per epoch, x = epoch.
    pub val: Series,
    /// Saved runs' curves drawn under the current ones (the runs picker's `c`), oldest first.
    pub overlays: Vec<OverlayCurve>,
}

impl Default for PerplexityState {
    fn default() -> Self {
        PerplexityState {
            train: Series::default(),
            ema: Series::default(),
            ema_loss: None,
            smoothing: 1.0 - EMA_ALPHA,
            val: Series::default(),
            overlays: Vec::new(),
        }
    }
}

/// Most points an overlaid train curve keeps.
pub const OVERLAY_POINTS: usize = 1024;

/// A past run's perplexity, ready to draw: its train curve (per batch, averaged down to
/// [`OVERLAY_POINTS`]) and validation points, each where it lies on every x-axis.
#[derive(Clone, Debug, PartialEq)]
pub struct OverlayCurve {
    pub id: String,
    /// What the legend calls it: its label, else the end of its id.
    pub name: String,
    /// Its colour in [`Theme::run_colours`], kept while it is shown.
    pub slot: usize,
    pub train: Vec<(Place, f64)>,
    pub val: Vec<(Place, f64)>,
}

/// Widest name in the chart's legend (a longer label is cut with `…`): the legend box must
/// stay small beside the curves, or ratatui leaves it out.
pub const LEGEND_NAME_COLS: usize = 16;

/// A run's name as the legend shows it: its label, cut to [`LEGEND_NAME_COLS`].
pub fn legend_name(label: &str) -> String {
    crate::text_width::truncate(label, LEGEND_NAME_COLS).0
}

/// The legend's name of a run without a label: the last part of its id (the random part).
pub fn short_id(id: &str) -> String {
    let tail = id.rsplit('-').next().unwrap_or(id);
    format!("run {}", tail.chars().take(8).collect::<String>())
}

impl OverlayCurve {
    /// The run's curves from its metric log, named by the end of its id (the app renames it
    /// when the run has a label).
    pub fn from_records(id: String, records: &[MetricRecord]) -> Self {
        let mut train = Vec::new();
        let mut val = Vec::new();
        let mut last: Option<Place> = None;
        for r in records {
            match r {
                MetricRecord::Batch(b) if b.loss.is_finite() => {
                    let p = Place::of_batch(b);
                    last = Some(p);
                    train.push((p, b.loss));
                }
                MetricRecord::Epoch(e) if e.val_ppl.is_finite() => {
                    let bpe = last.map_or(1.0, |p| p.step / p.epoch.max(1e-9));
                    let p = Place {
                        epoch: e.epoch as f64,
                        step: (e.epoch as f64 * bpe).round(),
                        time: e.elapsed,
                    };
                    val.push((p, e.val_ppl));
                }
                _ => {}
            }
        }
        // Averaged in groups (losses, then back to perplexity), so the curve keeps its shape.
        let per = train.len().div_ceil(OVERLAY_POINTS).max(1);
        let train = train
            .chunks(per)
            .map(|c| {
                let n = c.len() as f64;
                let mean = |f: fn(&Place) -> f64| c.iter().map(|(p, _)| f(p)).sum::<f64>() / n;
                let place = Place {
                    epoch: mean(|p| p.epoch),
                    step: mean(|p| p.step),
                    time: mean(|p| p.time),
                };
                (place, (c.iter().map(|q| q.1).sum::<f64>() / n).exp())
            })
            .collect();
        OverlayCurve {
            name: short_id(&id),
            id,
            slot: 0,
            train,
            val,
        }
    }

    /// The train curve smoothed as the live one is (`smoothing`), on `axis`.
    fn smoothed(&self, axis: XAxis, smoothing: f64) -> Vec<(f64, f64)> {
        let mut ema: Option<f64> = None;
        self.train
            .iter()
            .map(|&(p, ppl)| {
                let loss = ppl.max(1e-300).ln();
                let e = ema.map_or(loss, |prev| (1.0 - smoothing) * loss + smoothing * prev);
                ema = Some(e);
                (axis.pick(p), e.exp())
            })
            .collect()
    }
}

impl PerplexityState {
    pub fn on_batch(&mut self, b: &BatchStats) {
        if !b.loss.is_finite() {
            return;
        }
        let x = batch_x(b);
        self.train.push(x, b.loss.exp());
        self.push_ema(x, b.loss);
    }

    fn push_ema(&mut self, x: f64, loss: f64) {
        let ema = match self.ema_loss {
            None => loss,
            Some(prev) => (1.0 - self.smoothing) * loss + self.smoothing * prev,
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

    /// `e`: the next smoothing; the smoothed curve is recomputed from the train points kept
    /// (exact while they all fit the recent window, from the averaged history after).
    pub fn on_key(&mut self, key: KeyEvent) -> Handled {
        if key.code != KeyCode::Char('e')
            || key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return Handled::No;
        }
        let i = SMOOTHINGS
            .iter()
            .position(|&s| (s - self.smoothing).abs() < 1e-9)
            .map_or(0, |i| (i + 1) % SMOOTHINGS.len());
        self.set_smoothing(SMOOTHINGS[i]);
        Handled::Yes
    }

    pub fn set_smoothing(&mut self, smoothing: f64) {
        self.smoothing = smoothing;
        self.ema.clear();
        self.ema_loss = None;
        for (x, ppl) in self.train.points() {
            self.push_ema(x, ppl.max(1e-300).ln());
        }
    }

    /// Overlay `curve` (replacing the same run's), in the lowest colour slot not in use; the
    /// oldest overlay goes when [`MAX_OVERLAYS`] are shown.
    pub fn add_overlay(&mut self, mut curve: OverlayCurve) {
        self.overlays.retain(|o| o.id != curve.id);
        if self.overlays.len() >= MAX_OVERLAYS {
            self.overlays.remove(0);
        }
        curve.slot = (0..MAX_OVERLAYS)
            .find(|s| self.overlays.iter().all(|o| o.slot != *s))
            .unwrap_or(0);
        self.overlays.push(curve);
    }

    /// Take run `id` off the chart; whether it was there.
    pub fn remove_overlay(&mut self, id: &str) -> bool {
        let before = self.overlays.len();
        self.overlays.retain(|o| o.id != id);
        self.overlays.len() != before
    }
}

/// An overlaid run's train curve and validation points, ready for the chart.
type Curves = (Vec<(f64, f64)>, Vec<(f64, f64)>);

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
    /// `charts`: the x-axis and the cursor (drawn when `zoomed`).
    pub fn draw(
        &self,
        f: &mut Frame,
        area: Rect,
        ctx: Ctx,
        trainer_failed: bool,
        charts: &ChartsState,
        zoomed: bool,
    ) {
        let t = ctx.theme;
        let st = self;
        let mut heading = format!(" Perplexity (log) · EMA {} ", st.smoothing);
        match st.overlays.len() {
            0 => {}
            1 => heading.push_str(&format!("· vs {} ", st.overlays[0].name)),
            n => heading.push_str(&format!("· vs {n} runs ")),
        }
        let inner = framed(f, area, panel_block(title(heading, t), ctx));
        if inner.width < 4 || inner.height < 1 {
            return;
        }
        // Overlaid runs are drawn before the first batch too (to compare before starting).
        if st.train.is_empty() && st.overlays.is_empty() {
            let msg = if trainer_failed {
                "no data"
            } else {
                "waiting for the first batch — press space to start"
            };
            placeholder(f, inner, msg, t);
            return;
        }
        let chart_area = if inner.height >= 8 && !st.train.is_empty() {
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
        let chart_area = chart::split_readout(f, chart_area, t, charts, zoomed);
        // No more points than the chart has braille columns.
        let cols = 2 * chart_area.width as usize;
        let train = charts.on_axis(&decimate(&st.train.points(), cols));
        let ema = charts.on_axis(&decimate(&st.ema.points(), cols));
        let val = charts.on_axis(&st.val.points());
        let log = |v: &[(f64, f64)]| -> Vec<(f64, f64)> {
            v.iter().map(|&(x, y)| (x, y.max(1e-9).log10())).collect()
        };
        let (train_l, ema_l, val_l) = (log(&train), log(&ema), log(&val));
        let axis = charts.x_axis;
        let past: Vec<Curves> = st
            .overlays
            .iter()
            .map(|o| {
                let train = decimate(&o.smoothed(axis, st.smoothing), cols);
                let val: Vec<(f64, f64)> = o.val.iter().map(|&(p, v)| (axis.pick(p), v)).collect();
                (train, val)
            })
            .collect();
        let Some((ybounds, ylabels)) = chart::log_axis(
            train
                .iter()
                .chain(&ema)
                .chain(&val)
                .chain(past.iter().flat_map(|(a, b)| a.iter().chain(b)))
                .map(|p| p.1),
        ) else {
            return;
        };
        let mut all_x: Vec<&[(f64, f64)]> = vec![&train, &val];
        for (a, b) in &past {
            all_x.push(a);
            all_x.push(b);
        }
        let xb = chart::x_bounds(&all_x);
        let past_l: Vec<Curves> = past.iter().map(|(a, b)| (log(a), log(b))).collect();
        let cursor = match charts.cursor_x().filter(|_| zoomed) {
            Some(x) => chart::cursor_line(x, ybounds[0], ybounds[1]),
            None => vec![],
        };
        let colours = t.run_colours();
        let (x_axis, y_axis, plot) = charts.axes(t, chart_area, xb, ybounds, ylabels);
        // The legend box may take half the plot's width (else the widget leaves it out): the
        // runs' names are cut to fit it, with `…`.
        let name_cols = (plot as usize / 2).saturating_sub(2).min(LEGEND_NAME_COLS);
        let names: Vec<String> = st
            .overlays
            .iter()
            .map(|o| crate::text_width::truncate(&o.name, name_cols).0)
            .collect();
        let mut datasets = Vec::new();
        // Drawn first, so the current run paints over them.
        for ((o, (train, val)), name) in st.overlays.iter().zip(&past_l).zip(&names) {
            let style = Style::default().fg(colours[o.slot % colours.len()]);
            datasets.push(chart::line(name, style, train));
            datasets.push(chart::unnamed_points(style, val));
        }
        datasets.extend([
            chart::line("train", Style::default().fg(t.train), &train_l),
            chart::line("EMA", Style::default().fg(t.train_ema), &ema_l),
            chart::points(
                "val",
                Style::default().fg(t.val).add_modifier(Modifier::BOLD),
                &val_l,
            ),
            chart::unnamed_line(Style::default().fg(t.accent), &cursor),
        ]);
        let mut chart = Chart::new(datasets)
            .x_axis(x_axis)
            .y_axis(y_axis)
            .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)));
        if chart_area.width < LEGEND_MIN_WIDTH {
            // A narrow chart needs every column for the curves.
            chart = chart.legend_position(None);
        }
        f.render_widget(chart, chart_area);
    }
}

/// What the perplexity chart shows from outside its state.
#[derive(Clone, Copy)]
pub struct Shows<'a> {
    /// The trainer stopped with an error (then no first batch is coming).
    pub trainer_failed: bool,
    /// The x-axis and the cursor both charts share, and whether the chart is zoomed.
    pub chart: chart::Shows<'a>,
}

impl Panel for PerplexityState {
    type Shows<'a> = Shows<'a>;

    fn draw(&self, f: &mut Frame, area: Rect, ctx: Ctx, shows: Shows) {
        PerplexityState::draw(
            self,
            f,
            area,
            ctx,
            shows.trainer_failed,
            shows.chart.charts,
            shows.chart.zoomed,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures;

    #[test]
    fn e_cycles_the_smoothing_and_recomputes_the_curve() {
        let mut p = PerplexityState::default();
        for k in 0..30 {
            p.on_batch(&fixtures::batch(k, 1.0));
        }
        assert_eq!(p.smoothing, 0.95);
        let smooth = p.ema_ppl().unwrap();
        p.on_key(KeyEvent::from(KeyCode::Char('e')));
        assert_eq!(p.smoothing, 0.99);
        p.on_key(KeyEvent::from(KeyCode::Char('e')));
        assert_eq!(p.smoothing, 0.0);
        // No smoothing: the curve is the raw one.
        assert_eq!(p.ema.points(), p.train.points());
        assert!((p.ema_ppl().unwrap() - p.train.last().unwrap().1).abs() < 1e-9);
        assert_ne!(p.ema_ppl().unwrap(), smooth);
        for want in [0.6, 0.9, 0.95] {
            p.on_key(KeyEvent::from(KeyCode::Char('e')));
            assert_eq!(p.smoothing, want);
        }
    }

    #[test]
    fn overlays_keep_their_colour_slot_and_the_oldest_goes_past_the_limit() {
        let mut p = PerplexityState::default();
        let curve =
            |id: &str| OverlayCurve::from_records(id.into(), &fixtures::past_run_records(30));
        for id in ["a", "b", "c", "d"] {
            p.add_overlay(curve(id));
        }
        let slots: Vec<usize> = p.overlays.iter().map(|o| o.slot).collect();
        assert_eq!(slots, [0, 1, 2, 3]);
        assert!(p.remove_overlay("b"));
        p.add_overlay(curve("e"));
        assert_eq!(p.overlays.last().map(|o| o.slot), Some(1));
        // A fifth: the oldest (a) leaves, its slot is the new one's.
        p.add_overlay(curve("f"));
        let ids: Vec<&str> = p.overlays.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["c", "d", "e", "f"]);
        assert_eq!(p.overlays[3].slot, 0);
        assert_eq!(
            legend_name("a very long label for a run"),
            "a very long lab…"
        );
    }
}
