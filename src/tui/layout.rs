//! Where each part of the screen goes: the areas of the status bar, the panels and the
//! footer for a terminal size, a focus and the zoom, and the size rules behind them. Both the
//! drawing ([`crate::tui::view`]) and the mouse hit-testing ([`crate::tui::app`]) read it, so
//! neither needs the other.
//!
//! The layout, read left to right and top to bottom, is the Tab order ([`Focus::ORDER`]):
//!
//! ```text
//!  status (2 rows)
//!  [1] Perplexity          │ [2] Completion
//!                          │ [3] Hidden state
//!  [4] Gradient norm       │
//!                          │ [5] Hyperparameters (one line unless focused)
//!  message line (1 row)
//!  footer: the key hints (1 row)
//! ```
//!
//! Below [`BOTH_CHARTS_HEIGHT`] rows of body the left column shows one chart, the focused one
//! (the perplexity by default). `z` zooms the focused panel to the whole body.

use ratatui::layout::{Constraint, Layout, Rect};

use super::context::Focus;
use super::panels::form;

/// Below this the cockpit shows only "terminal too small".
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 18;

/// Rows of body (between the status bar and the message line) from which the left column shows both
/// charts; below, the perplexity chart alone (or the gradient chart while it has the focus).
pub const BOTH_CHARTS_HEIGHT: u16 = 20;
/// Fewest rows the gradient chart gets when both charts are shown.
pub const GRADIENTS_MIN_HEIGHT: u16 = 8;
/// Fewest rows the heatmap is drawn in (border included); with less, the open form takes its
/// place.
pub const HEATMAP_MIN_HEIGHT: u16 = 6;
/// Fewest rows of the completion pane (border included): the line being typed and three
/// lines of completion, at every size (at 60×18 a quarter of the body left it one).
pub const COMPLETION_MIN_HEIGHT: u16 = 6;
/// Most rows of the completion pane outside the zoom: the heatmap below it gets the rest.
pub const COMPLETION_MAX_HEIGHT: u16 = 8;

/// Where each part of the screen goes. A panel not shown has an empty rectangle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    pub status: Rect,
    pub perplexity: Rect,
    pub completion: Rect,
    pub heatmap: Rect,
    pub gradients: Rect,
    pub form: Rect,
    /// The message line, above the footer: results of actions, refusals, errors. It has a row
    /// of its own so a message never hides the key hints or the progress gauge.
    pub message: Rect,
    pub footer: Rect,
    /// The form is open (all its fields); otherwise it is its one-line summary.
    pub form_open: bool,
    /// One panel fills the body.
    pub zoomed: bool,
}

impl Areas {
    /// A panel's rectangle (empty when it is not shown).
    pub fn get(&self, panel: Focus) -> Rect {
        match panel {
            Focus::Perplexity => self.perplexity,
            Focus::Completion => self.completion,
            Focus::Heatmap => self.heatmap,
            Focus::Gradients => self.gradients,
            Focus::Form => self.form,
        }
    }

    fn set(&mut self, panel: Focus, r: Rect) {
        match panel {
            Focus::Perplexity => self.perplexity = r,
            Focus::Completion => self.completion = r,
            Focus::Heatmap => self.heatmap = r,
            Focus::Gradients => self.gradients = r,
            Focus::Form => self.form = r,
        }
    }

    /// The panels shown, in Tab order, with where they are.
    pub fn panels(&self) -> Vec<(Focus, Rect)> {
        Focus::ORDER
            .iter()
            .map(|&p| (p, self.get(p)))
            .filter(|(_, r)| !r.is_empty())
            .collect()
    }

    pub fn shows(&self, panel: Focus) -> bool {
        !self.get(panel).is_empty()
    }
}

/// The layout for a terminal of this size with `focus` on a panel (an open form and, on short
/// terminals, the chart shown depend on it), one panel `zoomed` or none; `None` when the
/// terminal is too small.
pub fn layout(area: Rect, focus: Focus, zoomed: bool) -> Option<Areas> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let [status, body, message, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let mut a = Areas {
        status,
        message,
        footer,
        zoomed,
        ..Areas::default()
    };
    if zoomed {
        a.set(focus, body);
        a.form_open = focus == Focus::Form;
        return Some(a);
    }
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(56), Constraint::Percentage(44)]).areas(body);

    // Left: both charts when each gets enough rows to be read, else the focused one.
    if body.height >= BOTH_CHARTS_HEIGHT {
        let gradients_h = (body.height * 2 / 5).max(GRADIENTS_MIN_HEIGHT);
        let [p, g] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(gradients_h)]).areas(left);
        a.perplexity = p;
        a.gradients = g;
    } else if focus == Focus::Gradients {
        a.gradients = left;
    } else {
        a.perplexity = left;
    }

    // Right: the completion (a quarter of the body, within its bounds), the heatmap in what
    // is left, the form at the bottom (one line unless it has the focus).
    let completion_h = (body.height / 4).clamp(COMPLETION_MIN_HEIGHT, COMPLETION_MAX_HEIGHT);
    a.form_open = focus == Focus::Form;
    let rest = right.height.saturating_sub(completion_h);
    let mut form_h = if a.form_open {
        form::HEIGHT.min(rest)
    } else {
        1
    };
    let mut heatmap_h = rest - form_h;
    if heatmap_h < HEATMAP_MIN_HEIGHT && a.form_open {
        form_h += heatmap_h;
        heatmap_h = 0;
    }
    let [completion, heatmap, form] = Layout::vertical([
        Constraint::Length(completion_h),
        Constraint::Length(heatmap_h),
        Constraint::Length(form_h),
    ])
    .areas(right);
    a.completion = completion;
    a.heatmap = heatmap;
    a.form = form;
    Some(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::panels::heatmap;

    const SIZES: [(u16, u16); 6] = [
        (60, 18),
        (70, 20),
        (80, 24),
        (100, 30),
        (120, 40),
        (200, 50),
    ];

    fn at(w: u16, h: u16, focus: Focus) -> Areas {
        layout(Rect::new(0, 0, w, h), focus, false).unwrap()
    }

    /// (The open form may sit above the gradient chart where it takes the heatmap's place, and
    /// on short terminals the focused gradient chart takes the perplexity chart's place.)
    #[test]
    fn tab_order_is_reading_order_at_every_size() {
        for (w, h) in SIZES {
            for focus in Focus::ORDER.into_iter().filter(|&f| f != Focus::Form) {
                let a = at(w, h, focus);
                if focus == Focus::Gradients && !a.shows(Focus::Perplexity) {
                    assert_eq!(a.gradients, at(w, h, Focus::Heatmap).perplexity);
                    continue;
                }
                let mut shown = a.panels();
                let tab: Vec<Focus> = shown.iter().map(|p| p.0).collect();
                shown.sort_by_key(|(_, r)| (r.y, r.x));
                let reading: Vec<Focus> = shown.iter().map(|p| p.0).collect();
                assert_eq!(tab, reading, "{w}×{h} focus {focus:?}");
                assert!(
                    a.shows(focus),
                    "the focused panel is shown: {w}×{h} {focus:?}"
                );
            }
        }
    }

    #[test]
    fn panels_never_overlap_and_stay_on_screen() {
        for (w, h) in SIZES {
            for focus in Focus::ORDER {
                let a = at(w, h, focus);
                let screen = Rect::new(0, 0, w, h);
                let mut all = a.panels();
                all.push((focus, a.status));
                all.push((focus, a.message));
                all.push((focus, a.footer));
                for (i, (_, r)) in all.iter().enumerate() {
                    assert_eq!(screen.intersection(*r), *r, "{w}×{h}");
                    for (_, s) in &all[i + 1..] {
                        assert!(!r.intersects(*s), "{r:?} {s:?} at {w}×{h} {focus:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn at_80x24_every_panel_has_room_to_be_read() {
        let a = at(80, 24, Focus::Perplexity);
        assert_eq!(a.panels().len(), 5);
        // The perplexity chart: two sparkline rows, then at least 8 rows of chart.
        assert!(a.perplexity.height - 2 - 2 >= 8, "{:?}", a.perplexity);
        // The heatmap: 8 units at two per row need 4 rows, plus the character axis; 20
        // characters after the unit gutter.
        let grid_rows = a.heatmap.height - 2 - 1;
        assert!(grid_rows * 2 >= 8, "{:?}", a.heatmap);
        assert!(
            a.heatmap.width - 2 - heatmap::GUTTER >= 20,
            "{:?}",
            a.heatmap
        );
        assert!(a.completion.height - 2 >= 2, "{:?}", a.completion);
        assert_eq!(a.form.height, 1, "the form is folded to a line");
        assert!(!a.form_open);
        // Focused, the form opens. Its 16 fields do not fit at 80×24: it takes the right column
        // below the completion pane and scrolls to the selected field; at 120×40 all fit.
        let a = at(80, 24, Focus::Form);
        assert!(a.form_open);
        assert!(a.form.height >= 12, "{:?}", a.form);
        let a = at(120, 40, Focus::Form);
        assert!(a.form.height >= form::HEIGHT, "{:?}", a.form);
    }

    /// Issue 24: at 60×18 the pane showed one line of completion; it shows three, beside the
    /// line being typed, and the heatmap keeps room to be drawn.
    #[test]
    fn the_completion_pane_has_three_lines_of_completion_at_every_size() {
        for (w, h) in SIZES {
            for focus in Focus::ORDER {
                let a = at(w, h, focus);
                let inner_rows = a.completion.height.saturating_sub(2);
                assert!(inner_rows > 3, "{w}×{h} {focus:?}: {:?}", a.completion);
                if focus != Focus::Form {
                    assert!(
                        a.heatmap.height >= HEATMAP_MIN_HEIGHT,
                        "{w}×{h} {focus:?}: {:?}",
                        a.heatmap
                    );
                }
            }
        }
    }

    #[test]
    fn at_200x50_the_heatmap_has_a_row_for_each_of_32_units() {
        let a = at(200, 50, Focus::Perplexity);
        let grid_rows = a.heatmap.height - 2 - 1;
        assert!(grid_rows >= 32, "{:?}", a.heatmap);
    }

    #[test]
    fn short_terminals_show_the_focused_chart_alone() {
        let a = at(60, 18, Focus::Perplexity);
        assert!(a.shows(Focus::Perplexity) && !a.shows(Focus::Gradients));
        let a = at(60, 18, Focus::Gradients);
        assert!(a.shows(Focus::Gradients) && !a.shows(Focus::Perplexity));
        // (15 rows before the message line took a row of its own.)
        assert!(a.gradients.height >= 14);
        // Every other panel is there.
        for p in [Focus::Completion, Focus::Heatmap, Focus::Form] {
            assert!(a.shows(p), "{p:?}");
        }
    }

    #[test]
    fn zoom_gives_the_focused_panel_the_whole_body() {
        for focus in Focus::ORDER {
            let a = layout(Rect::new(0, 0, 80, 24), focus, true).unwrap();
            // All but the status bar, the message line and the footer.
            assert_eq!(a.panels(), vec![(focus, Rect::new(0, 2, 80, 20))]);
            assert_eq!(a.form_open, focus == Focus::Form);
        }
    }

    #[test]
    fn too_small_below_60x18() {
        assert!(layout(Rect::new(0, 0, 59, 40), Focus::Perplexity, false).is_none());
        assert!(layout(Rect::new(0, 0, 200, 17), Focus::Perplexity, false).is_none());
    }
}
