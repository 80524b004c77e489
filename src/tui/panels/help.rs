//! The help overlay (`?`): every key, and the dialogs that ask y/n.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::app::{App, Dialog};

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

pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    r
}

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let key_w = KEYS.iter().map(|k| k.0.chars().count()).max().unwrap_or(10) + 2;
    let lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, d)| {
            Line::from(vec![
                Span::styled(
                    format!("{k:<key_w$}"),
                    Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
                ),
                Span::styled(*d, Style::default().fg(t.fg)),
            ])
        })
        .collect();
    let popup = centered(area, 76, KEYS.len() as u16 + 2);
    f.render_widget(Clear, popup);
    f.render_widget(
        Paragraph::new(lines).style(t.base()).block(
            Block::bordered()
                .title(Span::styled(
                    " Keys — press any key to close ",
                    t.title_style(),
                ))
                .border_style(Style::default().fg(t.border_focused)),
        ),
        popup,
    );
}

pub fn draw_dialog(f: &mut Frame, area: Rect, app: &App, dialog: &Dialog) {
    let t = &app.theme;
    let question = match dialog {
        Dialog::Quit => "Training is running. Quit anyway?".to_owned(),
        Dialog::Restart { question, .. } | Dialog::Resume { question, .. } => question.clone(),
    };
    let popup = centered(area, 60, 5);
    f.render_widget(Clear, popup);
    f.render_widget(
        Paragraph::new(vec![
            Line::from(Span::styled(question, Style::default().fg(t.fg))),
            Line::from(vec![
                Span::styled(
                    "y",
                    Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
                ),
                Span::styled(" yes   ", t.dim_style()),
                Span::styled(
                    "n",
                    Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
                ),
                Span::styled(" no", t.dim_style()),
            ]),
        ])
        .style(t.base())
        .wrap(Wrap { trim: true })
        .block(
            Block::bordered()
                .title(Span::styled(" Confirm ", t.title_style()))
                .border_style(Style::default().fg(t.warn)),
        ),
        popup,
    );
}
