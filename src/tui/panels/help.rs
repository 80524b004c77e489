//! The help overlay (`?`): every key, and the dialogs that ask y/n.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::theme::Theme;
use crate::tui::widgets::{popup, popup_block};

/// Every key the cockpit knows, as the overlay lists it.
pub const KEYS: [(&str, &str); 22] = [
    ("space", "start training / pause / resume"),
    ("Tab / Shift-Tab", "move focus to the next / previous panel"),
    ("mouse click", "focus the panel under the pointer"),
    ("r", "restart: new model, new run (asks while training)"),
    ("s", "save now (runs also save each epoch and on quit)"),
    ("o", "runs picker: continue or compare a saved run"),
    ("?", "show this help (any key closes it)"),
    ("q", "quit (asks first while training)"),
    (
        "Ctrl-C",
        "quit at once, saving (so do SIGTERM/SIGINT/SIGHUP)",
    ),
    ("Esc", "cancel: close a dialog, an edit, or typing mode"),
    (
        "— Completion pane",
        "when focused, keys type into the prefix:",
    ),
    (
        "  letters, space",
        "are text there (q, r, s, o too), not commands",
    ),
    ("  Backspace", "delete the last character"),
    ("  Esc", "leave typing mode (Enter or i types again)"),
    ("— Hyperparameter form", ""),
    ("  ↑/↓ or k/j", "select a field"),
    ("  Enter", "edit the field / apply the edit"),
    ("  Esc", "cancel the edit"),
    ("— Runs picker", ""),
    (
        "  ↑/↓ or k/j, Enter",
        "select a run / continue it (saves the current one)",
    ),
    ("  c", "overlay its curve, dimmed (press again to remove)"),
    ("— Dialogs", "y or Enter confirms, n or Esc cancels"),
];

/// The key list over `area`.
pub fn draw(f: &mut Frame, area: Rect, t: &Theme) {
    let key_w = KEYS.iter().map(|k| k.0.chars().count()).max().unwrap_or(10) + 2;
    let lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, d)| {
            Line::from(vec![
                Span::styled(format!("{k:<key_w$}"), t.key_style()),
                Span::styled(*d, Style::default().fg(t.fg)),
            ])
        })
        .collect();
    let area = popup(f, area, 76, KEYS.len() as u16 + 2);
    f.render_widget(
        Paragraph::new(lines).style(t.base()).block(popup_block(
            " Keys — press any key to close ",
            t,
            t.border_focused,
        )),
        area,
    );
}

/// A y/n question over `area`.
pub fn draw_dialog(f: &mut Frame, area: Rect, t: &Theme, question: &str) {
    let area = popup(f, area, 60, 5);
    f.render_widget(
        Paragraph::new(vec![
            Line::from(Span::styled(question.to_owned(), Style::default().fg(t.fg))),
            Line::from(vec![
                Span::styled("y", t.key_style()),
                Span::styled(" yes   ", t.dim_style()),
                Span::styled("n", t.key_style()),
                Span::styled(" no", t.dim_style()),
            ]),
        ])
        .style(t.base())
        .wrap(Wrap { trim: true })
        .block(popup_block(" Confirm ", t, t.warn)),
        area,
    );
}
