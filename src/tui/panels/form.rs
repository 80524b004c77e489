//! The hyperparameter form. Every keystroke is checked with `HParams::set` (the one validator);
//! lr and clip apply live, the rest asks for confirmation and rebuilds the model.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use crate::train::Field;
use crate::tui::app::{App, Focus};

/// What the form calls a field (the command line and config file use [`Field::key`]).
pub fn label(field: Field) -> &'static str {
    match field {
        Field::Hiddens => "hidden units",
        Field::NumSteps => "time steps",
        Field::BatchSize => "batch size",
        Field::Lr => "learning rate",
        Field::Clip => "clip threshold",
        Field::Epochs => "epochs",
        Field::Seed => "seed",
        Field::Corpus => "corpus",
    }
}

/// The verdict on the text being edited.
#[derive(Clone, Debug, PartialEq)]
pub enum FormCheck {
    Invalid(String),
    Unchanged,
    Live,
    NeedsRestart,
}

#[derive(Clone, Debug, Default)]
pub struct FormState {
    pub selected: usize,
    /// The text being edited, if a field is open.
    pub editing: Option<String>,
    pub check: Option<FormCheck>,
}

impl FormState {
    pub fn field(&self) -> Field {
        Field::ALL[self.selected.min(Field::ALL.len() - 1)]
    }

    pub fn up(&mut self) {
        self.selected = (self.selected + Field::ALL.len() - 1) % Field::ALL.len();
    }

    pub fn down(&mut self) {
        self.selected = (self.selected + 1) % Field::ALL.len();
    }

    pub fn select(&mut self, field: Field) {
        self.selected = Field::ALL.iter().position(|&f| f == field).unwrap_or(0);
    }

    pub fn begin(&mut self, text: String) {
        self.editing = Some(text);
        self.check = None;
    }

    pub fn cancel(&mut self) {
        self.editing = None;
        self.check = None;
    }
}

/// Rows the form wants: one per field, two for the message, two for the border.
pub const HEIGHT: u16 = Field::ALL.len() as u16 + 4;

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let st = &app.form;
    let focused = app.focus == Focus::Form;
    let hint = if st.editing.is_some() {
        "Enter applies · Esc cancels"
    } else if focused {
        "↑↓ select · Enter edits"
    } else {
        "Tab here to edit"
    };
    let block = Block::bordered()
        .title(Line::from(vec![
            Span::styled(" Hyperparameters ", t.title_style()),
            Span::styled(format!("({hint}) "), t.dim_style()),
        ]))
        .border_style(t.border_style(focused));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let rows = Field::ALL.len() as u16;
    let [list_area, msg_area] = Layout::vertical([
        Constraint::Length(rows.min(inner.height)),
        Constraint::Fill(1),
    ])
    .areas(inner);
    let mut lines = Vec::new();
    for (i, field) in Field::ALL.iter().enumerate() {
        let selected = i == st.selected && focused;
        let live = if field.needs_restart() { " " } else { "~" };
        let label = Span::styled(
            format!("{live}{:<15}", label(*field)),
            if selected {
                t.selection()
            } else {
                t.dim_style()
            },
        );
        let value = match (&st.editing, i == st.selected) {
            (Some(buf), true) => {
                let bad = matches!(st.check, Some(FormCheck::Invalid(_)));
                let style = Style::default()
                    .fg(if bad { t.error } else { t.accent })
                    .add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
                vec![
                    Span::styled(format!(" {buf}"), style),
                    Span::styled("▏", Style::default().fg(t.accent)),
                ]
            }
            _ => vec![Span::styled(
                format!(" {}", app.hp.get(*field)),
                Style::default().fg(t.fg),
            )],
        };
        let mut spans = vec![label];
        spans.extend(value);
        lines.push(Line::from(spans));
    }
    f.render_widget(Paragraph::new(lines), list_area);
    let msg = match &st.check {
        Some(FormCheck::Invalid(e)) => {
            Line::from(Span::styled(format!("✗ {e}"), Style::default().fg(t.error)))
        }
        Some(FormCheck::Unchanged) => Line::from(Span::styled("= unchanged", t.dim_style())),
        Some(FormCheck::Live) => Line::from(Span::styled(
            "✓ applies live from the next batch (Enter)",
            Style::default().fg(t.ok),
        )),
        Some(FormCheck::NeedsRestart) => Line::from(Span::styled(
            "✓ valid · rebuilds the model and starts a new run (Enter, then confirm)",
            Style::default().fg(t.warn),
        )),
        None => Line::from(Span::styled(
            "~ live: lr and clip apply at the next batch",
            t.dim_style(),
        )),
    };
    f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), msg_area);
}
