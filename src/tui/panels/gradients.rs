//! Gradients: the global gradient norm per batch (before clipping), the clip threshold as a
//! line, clipped batches marked, and the share of clipped batches.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Chart;
use ratatui::Frame;

use super::chart::{self, batch_x};
use crate::metrics::BatchStats;
use crate::tui::context::{Ctx, KeyHelp, Panel};
use crate::tui::series::{decimate, Series};
use crate::tui::widgets::{fmt_norm, framed, panel_block, placeholder, title};

/// The panel's own keys, for the help overlay and the footer (the app carries them out).
pub fn keys() -> &'static [KeyHelp] {
    const KEYS: &[KeyHelp] = &[KeyHelp::new(
        "Enter",
        "zoom",
        "zoom the chart to the whole screen and back (as z)",
    )];
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
}

impl GradientState {
    pub fn new(threshold: f64) -> Self {
        GradientState {
            norms: Series::default(),
            clips: Series::default(),
            threshold,
            clipped: 0,
            batches: 0,
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

impl GradientState {
    pub fn draw(&self, f: &mut Frame, area: Rect, ctx: Ctx) {
        let t = ctx.theme;
        let g = self;
        let share = g
            .clip_share()
            .map(|s| format!("clipped {:.0}% ({}/{})", s * 100.0, g.clipped, g.batches))
            .unwrap_or_else(|| "clipped –".into());
        let heading = Line::from(vec![
            title(" Gradient norm ", t),
            Span::styled(
                if g.clipping_off() {
                    "· clip off · ".to_string()
                } else {
                    format!("· clip at {} · ", fmt_norm(g.threshold))
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
        // No more points than the chart has braille columns.
        let cols = 2 * inner.width as usize;
        let norms = decimate(&g.norms.points(), cols);
        let clips = decimate(&g.clips.points(), cols);
        let xb = chart::x_bounds(&[&norms]);
        // No clipping: no threshold line (and nothing is marked clipped).
        let threshold = if g.clipping_off() {
            vec![]
        } else {
            vec![(xb[0], g.threshold), (xb[1], g.threshold)]
        };
        let ymax = norms
            .iter()
            .map(|p| p.1)
            .fold(g.threshold, f64::max)
            .max(1e-6)
            * 1.1;
        let datasets = vec![
            chart::line("norm", Style::default().fg(t.grad), &norms),
            chart::line("clip threshold", Style::default().fg(t.clip), &threshold),
            chart::points(
                "clipped",
                Style::default().fg(t.clip).add_modifier(Modifier::BOLD),
                &clips,
            ),
        ];
        let labels = vec![fmt_norm(0.0), fmt_norm(ymax / 2.0), fmt_norm(ymax)];
        let chart = Chart::new(datasets)
            .x_axis(chart::epoch_axis(t, xb))
            .y_axis(chart::value_axis(t, "‖g‖", [0.0, ymax], labels))
            // The title names the three series; a legend would cover the curve.
            .legend_position(None);
        f.render_widget(chart, inner);
    }
}

impl Panel for GradientState {
    /// Nothing from elsewhere.
    type Shows<'a> = ();

    fn draw(&self, f: &mut Frame, area: Rect, ctx: Ctx, _: ()) {
        GradientState::draw(self, f, area, ctx)
    }
}
