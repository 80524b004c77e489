//! The help overlay (`?`): every key, and the dialogs that ask y/n.
//!
//! The overlay is built from tables: the cockpit's own keys ([`GLOBAL`]) and, under each
//! panel's name, that panel module's `keys()` ([`panel_keys`]), so each panel lists its own keys
//! in one place, which the footer reads too.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{completion, form, gradients, heatmap, perplexity};
use crate::text_width;
use crate::tui::context::{Focus, KeyHelp};
use crate::tui::theme::Theme;
use crate::tui::widgets::{popup, popup_block};

/// The cockpit's own keys: they work whichever panel has the focus, except while a pane is
/// being typed into (then only Tab, Shift-Tab and Ctrl-C do).
pub const GLOBAL: &[KeyHelp] = &[
    KeyHelp::new("space", "start/pause", "start training / pause / resume"),
    KeyHelp::new(
        "1-5",
        "panel",
        "go to a panel (its key is in its title: [1] …)",
    ),
    KeyHelp::new(
        "Tab",
        "next",
        "next panel in reading order (left→right, top→bottom)",
    ),
    KeyHelp::help_only("Shift-Tab", "previous panel"),
    KeyHelp::new("/", "type", "type into the completion pane, from any panel"),
    KeyHelp::new(
        "z",
        "zoom",
        "zoom the focused panel to the whole screen and back",
    ),
    KeyHelp::help_only("mouse click", "focus the panel under the pointer"),
    KeyHelp::new(
        "r",
        "restart",
        "restart: new model, new run (asks while training)",
    ),
    KeyHelp::new(
        "s",
        "save",
        "save now (runs also save each epoch and on quit)",
    ),
    KeyHelp::new(
        "o",
        "runs",
        "runs picker: continue, compare, label or delete runs",
    ),
    // One line at 80 columns: the help's first screen keeps showing `[2] Completion`.
    KeyHelp::help_only("p", "save the focused chart as SVG into RUNDIR/plots/"),
    KeyHelp::new("?", "help", "show this help"),
    KeyHelp::new("q", "quit", "quit (asks first while training)"),
    KeyHelp::help_only(
        "Ctrl-C",
        "quit at once, saving (so do SIGTERM/SIGINT/SIGHUP)",
    ),
    KeyHelp::help_only(
        "Esc",
        "close a dialog, an edit, typing, the zoom, a message",
    ),
];

/// The runs picker's keys (it takes every key while open).
pub const PICKER: &[KeyHelp] = &[
    KeyHelp::help_only(
        "↑/↓ or k/j, Enter",
        "select a run / continue it (saves the current one)",
    ),
    KeyHelp::help_only(
        "c",
        "overlay its curve in a colour of its own (several runs at once; again: remove)",
    ),
    KeyHelp::help_only("s", "sort: newest first ↔ best validation first"),
    KeyHelp::help_only("n", "name (label) the run; an empty label removes it"),
    KeyHelp::help_only("d", "delete the run (asks; never the run open here)"),
    KeyHelp::help_only(
        "p",
        "save the perplexity chart with the overlaid runs as SVG in the run's plots/ folder",
    ),
    KeyHelp::help_only("Esc, o or q", "close the picker"),
];

/// The y/n dialogs' keys.
pub const DIALOG: &[KeyHelp] = &[KeyHelp::help_only(
    "y / n",
    "confirm (y or Enter) / cancel (n or Esc) a question",
)];

/// What the keys do in a watcher (`rnn-tui watch RUN`), which trains nothing itself.
pub const WATCHING: &[KeyHelp] = &[
    KeyHelp::help_only(
        "space, s",
        "pause / resume, save: sent to the trainer through the run's control file",
    ),
    KeyHelp::help_only(
        "r, form edits",
        "unavailable: they would change a run another process trains",
    ),
    KeyHelp::help_only("q", "leave the watcher; the run goes on"),
];

/// A panel's own keys, from its module.
pub fn panel_keys(panel: Focus) -> &'static [KeyHelp] {
    match panel {
        Focus::Perplexity => perplexity::keys(),
        Focus::Completion => completion::keys(),
        Focus::Heatmap => heatmap::keys(),
        Focus::Gradients => gradients::keys(),
        Focus::Form => form::keys(),
    }
}

/// The guide, in the repository: a page section per panel and one for the runs picker.
pub const GUIDE: &str = "docs/cockpit.md";

/// Where the guide explains a panel: [`GUIDE`] and the section's anchor.
pub fn guide_page(panel: Focus) -> &'static str {
    match panel {
        Focus::Perplexity => "docs/cockpit.md#perplexity-panel",
        Focus::Completion => "docs/cockpit.md#completion-panel",
        Focus::Heatmap => "docs/cockpit.md#heatmap-panel",
        Focus::Gradients => "docs/cockpit.md#gradients-panel",
        Focus::Form => "docs/cockpit.md#form-panel",
    }
}

/// Where the guide explains the runs picker.
pub const PICKER_GUIDE: &str = "docs/cockpit.md#runs-picker";

/// Every section of the overlay: a heading and its keys, in the order shown.
pub fn sections() -> Vec<(String, &'static [KeyHelp])> {
    let mut out = vec![("Anywhere (not while typing)".to_owned(), GLOBAL)];
    for panel in Focus::ORDER {
        out.push((
            format!("[{}] {}", panel.key(), panel.name()),
            panel_keys(panel),
        ));
    }
    out.push(("Runs picker (o)".to_owned(), PICKER));
    out.push(("Dialogs".to_owned(), DIALOG));
    out.push(("Watching a run (rnn-tui watch)".to_owned(), WATCHING));
    out
}

/// What a panel without keys of its own says in the overlay.
pub const NO_KEYS: &str = "no keys of its own (z zooms it, as any panel)";

/// The overlay's width at most, border included (wide enough that on a wide terminal the
/// sentences rarely wrap and the whole list fits 70 rows).
const WIDTH: u16 = 110;

/// The overlay's lines, headings included, for `cols` columns inside its border. A key's
/// sentence that does not fit goes on under itself (broken between words), never cut. (The
/// guide's page on the focused panel is on the bottom border: [`guide_title`].)
pub fn lines(t: &Theme, cols: u16) -> Vec<Line<'static>> {
    let sections = sections();
    let key_w = sections
        .iter()
        .flat_map(|s| s.1.iter())
        .map(|k| text_width::width(k.key))
        .max()
        .unwrap_or(10)
        + 3;
    // Too narrow for the key column beside the sentence: the sentence goes under its key.
    let text_cols = (cols as usize).saturating_sub(key_w);
    let (indent, text_cols) = if text_cols >= 16 {
        (key_w, text_cols)
    } else {
        (4, (cols as usize).saturating_sub(4))
    };
    let mut lines = Vec::new();
    let push_text = |lines: &mut Vec<Line<'static>>, first: Span<'static>, text: &str, style| {
        let mut parts = text_width::wrap_words(text, text_cols).into_iter();
        let head = parts.next().unwrap_or_default();
        if text_width::width(&first.content) > indent {
            lines.push(Line::from(first));
            lines.push(Line::from(vec![
                Span::raw(" ".repeat(indent)),
                Span::styled(head, style),
            ]));
        } else {
            lines.push(Line::from(vec![first, Span::styled(head, style)]));
        }
        for part in parts {
            lines.push(Line::from(vec![
                Span::raw(" ".repeat(indent)),
                Span::styled(part, style),
            ]));
        }
    };
    for (heading, keys) in sections {
        // The picker's guide section goes on its heading's row: at 200×70 the whole list fits.
        let heading = if keys == PICKER {
            format!("{heading} · guide {PICKER_GUIDE}")
        } else {
            heading
        };
        let (heading, _) = text_width::truncate(&heading, cols as usize);
        lines.push(Line::from(Span::styled(heading, t.title_style())));
        if keys.is_empty() {
            push_text(
                &mut lines,
                Span::raw(" ".repeat(indent)),
                NO_KEYS,
                t.dim_style(),
            );
        }
        for k in keys {
            let key = Span::styled(format!("  {:<w$}", k.key, w = key_w - 2), t.key_style());
            push_text(&mut lines, key, k.long, Style::default().fg(t.fg));
        }
    }
    lines
}

/// Columns inside the overlay's border on a terminal of `area`.
fn inner_cols(area: Rect) -> u16 {
    WIDTH.min(area.width).saturating_sub(2)
}

/// How far the overlay can scroll at this terminal size (0 when it fits).
pub fn max_scroll(area: Rect, t: &Theme) -> u16 {
    let rows = lines(t, inner_cols(area)).len() as u16;
    rows.saturating_sub(area.height.saturating_sub(2))
}

/// The bottom border's text: the guide's page on the `focused` panel, fitted to `cols`. On the
/// border it stays in sight however far the keys are scrolled, and takes no row from them (at
/// 80×24 the first screen shows the global keys and the first two panels' sections).
pub fn guide_title(focused: Focus, cols: u16) -> String {
    let text = format!(" Guide {} (this panel) ", guide_page(focused));
    let text = if text_width::width(&text) <= cols as usize {
        text
    } else {
        format!(" Guide {} ", guide_page(focused))
    };
    text_width::truncate(&text, cols as usize).0
}

/// The key list over `area`, scrolled down `scroll` lines when it does not fit, the guide's
/// page on the `focused` panel on its bottom border.
pub fn draw(f: &mut Frame, area: Rect, t: &Theme, scroll: u16, focused: Focus) {
    let lines = lines(t, inner_cols(area));
    let max = max_scroll(area, t);
    let title = if max > 0 {
        " Keys — press any key to close · ↑/↓ PgUp/PgDn scroll "
    } else {
        " Keys — press any key to close "
    };
    let (title, _) = text_width::truncate(title, inner_cols(area) as usize);
    let area = popup(f, area, WIDTH, lines.len() as u16 + 2);
    f.render_widget(
        Paragraph::new(lines)
            .style(t.base())
            .scroll((scroll.min(max), 0))
            .block(
                popup_block(title, t, t.border_focused).title_bottom(Line::from(Span::styled(
                    guide_title(focused, inner_cols(area)),
                    t.title_style(),
                ))),
            ),
        area,
    );
}

/// A y/n question over `area`.
pub fn draw_dialog(f: &mut Frame, area: Rect, t: &Theme, question: &str) {
    // As tall as the question needs, broken between words (a run id is never split).
    let cols = 60u16.min(area.width).saturating_sub(2);
    let mut lines: Vec<Line> = text_width::wrap_words(question, cols as usize)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, Style::default().fg(t.fg))))
        .collect();
    lines.push(Line::from(vec![
        Span::styled("y", t.key_style()),
        Span::styled(" yes   ", t.dim_style()),
        Span::styled("n", t.key_style()),
        Span::styled(" no", t.dim_style()),
    ]));
    let area = popup(f, area, 60, lines.len() as u16 + 2);
    f.render_widget(
        Paragraph::new(lines)
            .style(t.base())
            .block(popup_block(" Confirm ", t, t.warn)),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overlay_names_the_focused_panels_guide_page_whole() {
        let t = Theme::default_for(crate::tui::ColorMode::TrueColor);
        for panel in Focus::ORDER {
            for cols in [58u16, 108] {
                let title = guide_title(panel, cols);
                assert!(title.trim_start().starts_with("Guide"), "{cols}: {title}");
                assert!(title.contains(guide_page(panel)), "{cols}: {title}");
                assert!(!title.contains('…'), "{cols}: {title}");
                let text: Vec<String> = lines(&t, cols)
                    .iter()
                    .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
                    .collect();
                assert!(text.iter().any(|l| l.contains(PICKER_GUIDE)));
            }
            assert!(guide_page(panel).starts_with(GUIDE));
        }
    }

    #[test]
    fn the_panel_key_range_matches_the_panels() {
        assert_eq!(GLOBAL[1].key, format!("1-{}", Focus::ORDER.len()));
    }

    #[test]
    fn every_panel_has_a_section_under_its_direct_key() {
        let headings: Vec<String> = sections().into_iter().map(|s| s.0).collect();
        for p in Focus::ORDER {
            let h = format!("[{}] {}", p.key(), p.name());
            assert!(headings.contains(&h), "{h} missing from {headings:?}");
        }
    }
}
