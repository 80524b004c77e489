//! Gradients: the global gradient norm per batch (before clipping), the clip threshold as a
//! line, clipped batches marked, and the share of clipped batches.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Chart;
use ratatui::Frame;

use super::chart::{self, batch_x, ChartsState};
use crate::metrics::BatchStats;
use crate::plot::series::decimate;
use crate::tui::context::{Ctx, Handled, KeyHelp, Panel};
use crate::tui::series::Series;
use crate::tui::widgets::{fmt_norm, framed, panel_block, placeholder, title};

/// The panel's own keys, for the help overlay and the footer (the app carries them out).
pub fn keys() -> &'static [KeyHelp] {
    const KEYS: &[KeyHelp] = &[
        KeyHelp::new(
            "Enter",
            "zoom",
            "zoom the chart to the whole screen and back (as z)",
        ),
        KeyHelp::new(
            "l",
            "log/linear",
            "y-axis: linear ↔ log scale (both fit the norms shown; the clip line is drawn when in range)",
        ),
        chart::SHARED_KEYS[0],
        chart::SHARED_KEYS[1],
    ];
    KEYS
}

#[derive(Clone, Debug)]
pub struct GradientState {
    /// Gradient norm per batch, x in epochs.
    pub norms: Series,
    /// The batches that were clipped (same coordinates).
    pub clips: Series,
    pub threshold: f64,
    pub clipped: u64,
    pub batches: u64,
    /// The y-axis is log10 (`l`).
    pub log: bool,
}

impl GradientState {
    pub fn new(threshold: f64) -> Self {
        GradientState {
            norms: Series::default(),
            clips: Series::default(),
            threshold,
            clipped: 0,
            batches: 0,
            log: false,
        }
    }

    pub fn on_batch(&mut self, b: &BatchStats) {
        let x = batch_x(b);
        self.norms.push(x, b.grad_norm);
        if b.clipped {
            self.clips.push(x, b.grad_norm);
            self.clipped += 1;
        }
        self.batches += 1;
        self.threshold = b.clip_threshold;
    }

    /// A threshold of 0 means no clipping (`--clip 0` / `off`).
    pub fn clipping_off(&self) -> bool {
        self.threshold == 0.0
    }

    pub fn clip_share(&self) -> Option<f64> {
        (self.batches > 0).then(|| self.clipped as f64 / self.batches as f64)
    }
}

/// A gradient norm on an axis label: small norms in scientific notation (a 0.003 is not 0.00).
fn fmt_axis_norm(v: f64) -> String {
    if v > 0.0 && v < 0.01 {
        format!("{v:.0e}")
    } else {
        fmt_norm(v)
    }
}

impl GradientState {
    /// `l`: a log scale and back. Other keys are left to the cockpit.
    pub fn on_key(&mut self, key: KeyEvent) -> Handled {
        if key.code == KeyCode::Char('l')
            && !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            self.log = !self.log;
            return Handled::Yes;
        }
        Handled::No
    }

    /// The y-axis fits the norms shown (linear, or log10 with `l`); the clip threshold is a
    /// line when it falls inside it, and marked `↑` (above) or `↓` (below) in the title when
    /// it does not. `charts`: the x-axis and the cursor (drawn when `zoomed`).
    pub fn draw(&self, f: &mut Frame, area: Rect, ctx: Ctx, charts: &ChartsState, zoomed: bool) {
        let t = ctx.theme;
        let g = self;
        let share = g
            .clip_share()
            .map(|s| format!("clipped {:.0}% ({}/{})", s * 100.0, g.clipped, g.batches))
            .unwrap_or_else(|| "clipped –".into());
        // No more points than the chart has braille columns.
        let cols = 2 * area.width.saturating_sub(2).max(1) as usize;
        let norms = decimate(&g.norms.points(), cols);
        let clips = decimate(&g.clips.points(), cols);
        let scale = |v: f64| if g.log { v.max(1e-12).log10() } else { v };
        let axis = if g.log {
            chart::log_axis_with(norms.iter().map(|p| p.1), fmt_axis_norm)
        } else {
            chart::linear_axis(norms.iter().map(|p| p.1), fmt_axis_norm)
        };
        // Where the clip threshold is against the y-axis: inside (a line), above or below.
        let clip_mark = match axis.as_ref().map(|a| a.0) {
            _ if g.clipping_off() => "",
            Some([_, hi]) if scale(g.threshold) > hi => " ↑",
            Some([lo, _]) if scale(g.threshold) < lo => " ↓",
            _ => "",
        };
        let heading = Line::from(vec![
            title(" Gradient norm ", t),
            Span::styled(if g.log { "(log) · " } else { "· " }, t.dim_style()),
            Span::styled(
                if g.clipping_off() {
                    "clip off · ".to_string()
                } else {
                    format!("clip at {}{clip_mark} · ", fmt_norm(g.threshold))
                },
                t.dim_style(),
            ),
            Span::styled(format!("{share} "), Style::default().fg(t.clip)),
        ]);
        let inner = framed(f, area, panel_block(heading, ctx));
        if inner.width < 4 || inner.height < 1 {
            return;
        }
        if g.norms.is_empty() {
            placeholder(f, inner, "no gradients yet", t);
            return;
        }
        let Some((ybounds, labels)) = axis else {
            placeholder(f, inner, "no finite gradient norm yet", t);
            return;
        };
        let chart_area = chart::split_readout(f, inner, t, charts, zoomed);
        let on_axis = |v: &[(f64, f64)]| -> Vec<(f64, f64)> {
            charts
                .on_axis(v)
                .into_iter()
                .map(|(x, y)| (x, scale(y)))
                .collect()
        };
        let (norms, clips) = (on_axis(&norms), on_axis(&clips));
        let xb = chart::x_bounds(&[&norms]);
        // No clipping, or a threshold off the axis: no line (the title marks where it is).
        let threshold = if g.clipping_off() || !clip_mark.is_empty() {
            vec![]
        } else {
            vec![(xb[0], scale(g.threshold)), (xb[1], scale(g.threshold))]
        };
        let cursor = match charts.cursor_x().filter(|_| zoomed) {
            Some(x) => chart::cursor_line(x, ybounds[0], ybounds[1]),
            None => vec![],
        };
        let datasets = vec![
            chart::line("norm", Style::default().fg(t.grad), &norms),
            chart::line("clip threshold", Style::default().fg(t.clip), &threshold),
            chart::points(
                "clipped",
                Style::default().fg(t.clip).add_modifier(Modifier::BOLD),
                &clips,
            ),
            chart::unnamed_line(Style::default().fg(t.accent), &cursor),
        ];
        let (x_axis, y_axis, _) = charts.axes(t, chart_area, xb, ybounds, labels);
        let chart = Chart::new(datasets)
            .x_axis(x_axis)
            .y_axis(y_axis)
            // The title names the three series; a legend would cover the curve.
            .legend_position(None);
        f.render_widget(chart, chart_area);
    }
}

impl Panel for GradientState {
    /// The x-axis and the cursor both charts share.
    type Shows<'a> = chart::Shows<'a>;

    fn draw(&self, f: &mut Frame, area: Rect, ctx: Ctx, shows: chart::Shows) {
        GradientState::draw(self, f, area, ctx, shows.charts, shows.zoomed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::{ColorMode, Theme};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    /// The panel at 60×14 after `norms` (all below the clip threshold of 1), as text.
    fn drawn(g: &GradientState) -> String {
        let theme = Theme::default_for(ColorMode::TrueColor);
        let ctx = Ctx {
            theme: &theme,
            focused: true,
            key: Some('4'),
            width: 60,
        };
        let charts = ChartsState::default();
        let mut term = Terminal::new(TestBackend::new(60, 14)).unwrap();
        term.draw(|f| g.draw(f, f.area(), ctx, &charts, false))
            .unwrap();
        let buf = term.backend().buffer();
        (0..14)
            .map(|y| (0..60).map(|x| buf[(x, y)].symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn small_norms() -> GradientState {
        let mut g = GradientState::new(1.0);
        for k in 0..50 {
            let mut b = crate::tui::fixtures::batch(k, 1.0);
            b.grad_norm = 0.05 + 0.45 * (k as f64 / 49.0);
            b.clipped = false;
            g.on_batch(&b);
        }
        g
    }

    #[test]
    fn small_norms_fill_the_axis_and_the_clip_above_it_is_marked() {
        let mut g = small_norms();
        let text = drawn(&g);
        assert!(text.contains("clip at 1.00 ↑"), "{text}");
        // The top label is near the largest norm (0.5), not the clip line (1.0).
        assert!(text.contains("0.53") || text.contains("0.54"), "{text}");
        assert!(!text.contains("1.10"), "{text}");
        // `l`: a log axis, still fitted, the title says so.
        assert_eq!(g.on_key(KeyEvent::from(KeyCode::Char('l'))), Handled::Yes);
        let text = drawn(&g);
        assert!(
            text.contains("(log)") && text.contains("clip at 1.00 ↑"),
            "{text}"
        );
        assert!(text.contains("0.04") && text.contains("0.56"), "{text}");
        // A threshold inside the norms' range is a line, without a mark.
        g.threshold = 0.3;
        let text = drawn(&g);
        assert!(text.contains("clip at 0.30 ·"), "{text}");
    }
}
