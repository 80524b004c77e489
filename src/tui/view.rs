//! The screen as a function of the state: layout, panels, overlays, and the too-small message.
//! The only place that reads [`App`] to draw: each panel is handed its own state and, by name,
//! the few things from elsewhere that it shows.
//!
//! The layout, read left to right and top to bottom, is the Tab order ([`Focus::ORDER`]):
//!
//! ```text
//!  status (2 rows)
//!  [1] Perplexity          │ [2] Completion
//!                          │ [3] Hidden state
//!  [4] Gradient norm       │
//!                          │ [5] Hyperparameters (one line unless focused)
//!  footer (1 row)
//! ```
//!
//! Below [`BOTH_CHARTS_HEIGHT`] rows of body the left column shows one chart, the focused one
//! (the perplexity by default). `z` zooms the focused panel to the whole body.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::app::App;
use super::context::{Ctx, Focus, KeyHelp, Level};
use super::panels::{form, heatmap, help};

/// Below this the cockpit shows only "terminal too small".
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 18;

/// Rows of body (between the status bar and the footer) from which the left column shows both
/// charts; below, the perplexity chart alone (or the gradient chart while it has the focus).
pub const BOTH_CHARTS_HEIGHT: u16 = 20;
/// Fewest rows the gradient chart gets when both charts are shown.
pub const GRADIENTS_MIN_HEIGHT: u16 = 8;
/// Fewest rows the heatmap is drawn in (border included); with less, the open form takes its
/// place.
pub const HEATMAP_MIN_HEIGHT: u16 = 6;

/// Where each part of the screen goes. A panel not shown has an empty rectangle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    pub status: Rect,
    pub perplexity: Rect,
    pub completion: Rect,
    pub heatmap: Rect,
    pub gradients: Rect,
    pub form: Rect,
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
    let [status, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let mut a = Areas {
        status,
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

    // Right: the completion, the heatmap in what is left, the form at the bottom (one line
    // unless it has the focus).
    let completion_h = (body.height / 4).clamp(4, 8);
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

/// The message shown instead of the cockpit on a terminal smaller than 60×18.
pub fn too_small_message(width: u16, height: u16) -> String {
    format!(
        "Terminal too small: {width}×{height}, need {MIN_WIDTH}×{MIN_HEIGHT}. Enlarge the window (q quits)."
    )
}

fn too_small(f: &mut Frame, area: Rect, app: &App) {
    f.render_widget(
        Paragraph::new(too_small_message(area.width, area.height))
            .style(Style::default().fg(app.theme.warn))
            .wrap(Wrap { trim: true }),
        area,
    );
}

/// The keys the footer offers now, most specific first: while typing or editing, the keys
/// that still work; otherwise the focused panel's own keys and then the cockpit's.
pub fn footer_keys(app: &App) -> Vec<KeyHelp> {
    let panel = help::panel_keys(app.focus);
    if app.focus == Focus::Completion && app.completion.typing {
        let mut keys = vec![KeyHelp::new("typing:", "every key is text", "")];
        keys.extend(
            panel
                .iter()
                .filter(|k| k.works_while_typing() && !k.short.is_empty()),
        );
        keys.push(KeyHelp::new("Tab", "next panel", ""));
        return keys;
    }
    if app.focus == Focus::Form && app.form.is_editing() {
        return vec![
            KeyHelp::new("Enter", "apply", ""),
            KeyHelp::new("Esc", "cancel", ""),
            KeyHelp::new("Backspace", "delete", ""),
            KeyHelp::new("Tab", "leave (cancels)", ""),
        ];
    }
    let mut keys: Vec<KeyHelp> = Vec::new();
    if app.zoomed {
        keys.push(KeyHelp::new("z/Esc", "unzoom", ""));
    }
    keys.extend(panel.iter().filter(|k| !k.short.is_empty()));
    keys.extend(
        help::GLOBAL
            .iter()
            .filter(|k| !k.short.is_empty())
            .filter(|k| !(app.zoomed && k.key == "z")),
    );
    keys
}

/// `keys` as one footer line of `width` columns: whole entries only, `? help` kept at the end
/// whenever it is among them.
pub fn footer_line(
    keys: &[KeyHelp],
    width: u16,
    key_style: Style,
    text_style: Style,
) -> Line<'static> {
    let help = keys.iter().find(|k| k.key == "?");
    let entry_w = |k: &KeyHelp| 1 + k.key.chars().count() + 1 + k.short.chars().count() + 1;
    let reserve = help.map_or(0, entry_w);
    let mut used = 0;
    let mut spans = Vec::new();
    let push = |spans: &mut Vec<Span<'static>>, k: &KeyHelp| {
        spans.push(Span::styled(format!(" {}", k.key), key_style));
        spans.push(Span::styled(format!(" {} ", k.short), text_style));
    };
    for k in keys.iter().filter(|k| k.key != "?") {
        let w = entry_w(k);
        if used + w + reserve > width as usize {
            break;
        }
        used += w;
        push(&mut spans, k);
    }
    if let Some(h) = help {
        if used + reserve <= width as usize {
            push(&mut spans, h);
        }
    }
    Line::from(spans)
}

fn footer(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let line = if let Some(err) = &app.status.error {
        Line::from(Span::styled(
            format!(" error: {err}"),
            Style::default().fg(t.error),
        ))
    } else if let Some((level, msg)) = &app.notice {
        let color = match level {
            Level::Info => t.ok,
            Level::Warn => t.warn,
            Level::Error => t.error,
        };
        Line::from(Span::styled(format!(" {msg}"), Style::default().fg(color)))
    } else if app.watching.is_some() {
        let k = |s: &'static str| Span::styled(s, Style::default().fg(t.accent));
        let d = |s: &'static str| Span::styled(s, t.dim_style());
        Line::from(vec![
            d(" watching  "),
            k("space"),
            d(" pause/resume the run  "),
            k("s"),
            d(" save it  "),
            k("tab"),
            d(" focus  "),
            k("enter"),
            d(" type  "),
            k("o"),
            d(" runs  "),
            k("?"),
            d(" help  "),
            k("q"),
            d(" leave (the run goes on)"),
        ])
    } else {
        footer_line(
            &footer_keys(app),
            area.width,
            Style::default().fg(t.accent),
            t.dim_style(),
        )
    };
    f.render_widget(Paragraph::new(line), area);
}

/// Draw the whole screen.
pub fn draw(f: &mut Frame, app: &App) {
    let t = &app.theme;
    let area = f.area();
    f.render_widget(Block::default().style(t.base()), area);
    let Some(a) = layout(area, app.focus, app.zoomed) else {
        too_small(f, area, app);
        return;
    };
    let ctx = |panel: Focus| Ctx {
        theme: t,
        focused: app.focus == panel,
        key: Some(panel.key()),
    };
    let error_notice = match &app.notice {
        Some((Level::Error, msg)) => Some(msg.as_str()),
        _ => None,
    };
    let trainer_failed = app.status.error.is_some();
    app.status.draw(f, a.status, t, error_notice);
    for (panel, r) in a.panels() {
        let c = ctx(panel);
        match panel {
            Focus::Perplexity => {
                app.perplexity
                    .draw(f, r, c, trainer_failed, &app.charts, app.zoomed)
            }
            Focus::Completion => app
                .completion
                .draw(f, r, c, app.heatmap.selected, app.zoomed),
            Focus::Heatmap => heatmap::draw(
                f,
                r,
                c,
                &app.heatmap,
                app.completion.completion.as_ref(),
                Some(&app.completion.prefix),
                &app.completion.view_label(),
            ),
            Focus::Gradients => app.gradients.draw(f, r, c, &app.charts, app.zoomed),
            Focus::Form if a.form_open => app.form.draw(f, r, c, &app.hp),
            Focus::Form => app.form.draw_summary(f, r, c, &app.hp),
        }
    }
    footer(f, a.footer, app);
    if let Some(p) = &app.picker {
        let overlaid: Vec<(String, usize)> = app
            .perplexity
            .overlays
            .iter()
            .map(|o| (o.id.clone(), o.slot))
            .collect();
        p.draw(f, area, t, &overlaid, app.status.run_id());
    }
    if app.help {
        help::draw(f, area, t, app.help_scroll);
    }
    if let Some(d) = &app.dialog {
        help::draw_dialog(f, area, t, d.question());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(a.gradients.height >= 15);
        // Every other panel is there.
        for p in [Focus::Completion, Focus::Heatmap, Focus::Form] {
            assert!(a.shows(p), "{p:?}");
        }
    }

    #[test]
    fn zoom_gives_the_focused_panel_the_whole_body() {
        for focus in Focus::ORDER {
            let a = layout(Rect::new(0, 0, 80, 24), focus, true).unwrap();
            assert_eq!(a.panels(), vec![(focus, Rect::new(0, 2, 80, 21))]);
            assert_eq!(a.form_open, focus == Focus::Form);
        }
    }

    #[test]
    fn too_small_below_60x18() {
        assert!(layout(Rect::new(0, 0, 59, 40), Focus::Perplexity, false).is_none());
        assert!(layout(Rect::new(0, 0, 200, 17), Focus::Perplexity, false).is_none());
        assert!(too_small_message(40, 10).contains("need 60×18"));
    }

    #[test]
    fn the_footer_keeps_whole_entries_and_help_last() {
        let keys = help::GLOBAL;
        let plain = |w| -> String {
            footer_line(keys, w, Style::default(), Style::default())
                .spans
                .iter()
                .map(|s| s.content.to_string())
                .collect()
        };
        let wide = plain(300);
        assert!(wide.contains(" space start/pause "), "{wide}");
        assert!(wide.trim_end().ends_with("? help"), "{wide}");
        let narrow = plain(40);
        assert!(narrow.chars().count() <= 40, "{narrow}");
        assert!(narrow.trim_end().ends_with("? help"), "{narrow}");
        assert!(!narrow.contains(" q "), "{narrow}");
    }
}
