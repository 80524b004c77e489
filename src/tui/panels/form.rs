//! The hyperparameter form. Every keystroke is checked with `HParams::set` (the one validator);
//! lr, clip and epochs apply live, the rest asks for confirmation and rebuilds the model.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::data::corpus::check_path;
use crate::data::CorpusSource;
use crate::hparams::{Field, HParams};
use crate::text_width::{self, tail};
use crate::tui::context::{Ctx, KeyHelp, Panel};
use crate::tui::widgets::{fit_spans, framed, hinted_title, panel_block};

/// The form's keys, for the help overlay and the footer.
pub fn keys() -> &'static [KeyHelp] {
    const KEYS: &[KeyHelp] = &[
        KeyHelp::new("↑/↓", "field", "select a field (k/j too)"),
        KeyHelp::new("Enter", "edit", "edit the field / apply the edit"),
        KeyHelp::new("Esc", "cancel", "cancel the edit"),
    ];
    KEYS
}

/// The name a field goes by in the form and in the messages about it.
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
        Field::Text => "text mode",
        Field::Split => "split",
        Field::ValFraction => "val fraction",
        Field::Cell => "cell",
        Field::Layers => "layers",
        Field::Embed => "embedding",
        Field::Optimizer => "optimizer",
        Field::Dropout => "dropout",
        Field::LrDecay => "lr decay",
        Field::CompletionLen => "completion len",
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

/// What a key in the form asks of the app (the form has already updated itself).
#[derive(Clone, Debug, PartialEq)]
pub enum FormOutcome {
    /// Nothing beyond the form.
    None,
    /// The edit was cancelled (Esc).
    Cancelled,
    /// Enter on a value the validator refuses; the edit stays open to be fixed.
    Refused(String),
    /// A live field (lr, clip) changed: `hp` is the current hyperparameters with the new
    /// value, to apply from the next batch. The edit is closed.
    Apply { field: Field, hp: HParams },
    /// A field that needs a new model changed: `hp` is what to rebuild with, once confirmed.
    /// The edit stays open until then.
    Rebuild { field: Field, hp: HParams },
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

    /// Whether a field is open: the form then takes every key (Tab aside).
    pub fn is_editing(&self) -> bool {
        self.editing.is_some()
    }

    /// Whether a field is open with a value the validator refuses.
    pub fn is_refusing(&self) -> bool {
        self.is_editing() && matches!(self.check, Some(FormCheck::Invalid(_)))
    }

    /// Whether [`FormState::on_key`] does something with `key`: every key while a field is
    /// open, else ↑/↓, k/j and Enter (the others are the cockpit's).
    pub fn uses(&self, key: &KeyEvent) -> bool {
        self.is_editing()
            || matches!(
                key.code,
                KeyCode::Up | KeyCode::Down | KeyCode::Char('k' | 'j') | KeyCode::Enter
            )
    }

    /// A key while the form has the focus; `hp` holds the values the fields show and the edit
    /// is checked against. Without an open field only ↑/↓, k/j and Enter mean anything.
    pub fn on_key(&mut self, key: KeyEvent, hp: &HParams) -> FormOutcome {
        if !self.is_editing() {
            match key.code {
                KeyCode::Up | KeyCode::Char('k') => self.up(),
                KeyCode::Down | KeyCode::Char('j') => self.down(),
                KeyCode::Enter => {
                    self.begin(hp.get(self.field()));
                    self.revalidate(hp);
                }
                _ => {}
            }
            return FormOutcome::None;
        }
        match key.code {
            KeyCode::Esc => {
                self.cancel();
                return FormOutcome::Cancelled;
            }
            KeyCode::Backspace => {
                if let Some(buf) = &mut self.editing {
                    buf.pop();
                }
                self.revalidate(hp);
            }
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                if let Some(buf) = &mut self.editing {
                    buf.push(c);
                }
                self.revalidate(hp);
            }
            KeyCode::Enter => return self.commit(hp),
            _ => {}
        }
        FormOutcome::None
    }

    /// `hp` with the edit buffer applied by `HParams::set` (the one validator), if a field is
    /// open. A corpus path must also name a file that can be read: the form says so as the
    /// path is typed rather than after the rebuild was confirmed.
    fn edited(&self, hp: &HParams) -> Option<Result<HParams, String>> {
        let buf = self.editing.as_deref()?;
        let mut next = hp.clone();
        if let Err(e) = next.set(self.field(), buf) {
            return Some(Err(e.to_string()));
        }
        if let (Field::Corpus, CorpusSource::File(path)) = (self.field(), &next.corpus) {
            if next.corpus != hp.corpus {
                if let Err(e) = check_path(path) {
                    return Some(Err(e.to_string()));
                }
            }
        }
        Some(Ok(next))
    }

    fn revalidate(&mut self, hp: &HParams) {
        let Some(edited) = self.edited(hp) else {
            return;
        };
        self.check = Some(match edited {
            Err(e) => FormCheck::Invalid(e),
            Ok(next) if next == *hp => FormCheck::Unchanged,
            Ok(_) if self.field().needs_restart() => FormCheck::NeedsRestart,
            Ok(_) => FormCheck::Live,
        });
    }

    fn commit(&mut self, hp: &HParams) -> FormOutcome {
        let field = self.field();
        let next = match self.edited(hp) {
            None => return FormOutcome::None,
            Some(Err(e)) => {
                self.check = Some(FormCheck::Invalid(e.clone()));
                return FormOutcome::Refused(e);
            }
            Some(Ok(next)) => next,
        };
        if next == *hp {
            self.cancel();
            return FormOutcome::None;
        }
        if field.needs_restart() {
            return FormOutcome::Rebuild { field, hp: next };
        }
        self.cancel();
        FormOutcome::Apply { field, hp: next }
    }
}

/// The fields in the order the folded form shows them: what makes the model what it is
/// first (cell, hiddens, lr, clip, epochs), then the rest in the open form's order.
fn summary_order() -> Vec<Field> {
    const FIRST: [Field; 5] = [
        Field::Cell,
        Field::Hiddens,
        Field::Lr,
        Field::Clip,
        Field::Epochs,
    ];
    let rest = Field::ALL.iter().copied().filter(|f| !FIRST.contains(f));
    FIRST.into_iter().chain(rest).collect()
}

/// Rows the form wants: one per field, two for the message, two for the border.
pub const HEIGHT: u16 = Field::ALL.len() as u16 + 4;

/// What the form shows from elsewhere.
#[derive(Clone, Copy)]
pub struct Shows<'a> {
    /// The values the fields show while they are not being edited.
    pub hp: &'a HParams,
    /// All the fields (the form has the focus), or the one-line summary.
    pub open: bool,
}

impl Panel for FormState {
    type Shows<'a> = Shows<'a>;

    fn draw(&self, f: &mut Frame, area: Rect, ctx: Ctx, shows: Shows) {
        if shows.open {
            self.draw_open(f, area, ctx, shows.hp);
        } else {
            self.draw_summary(f, area, ctx, shows.hp);
        }
    }
}

impl FormState {
    /// The form folded to one line while it does not have the focus: its direct key, its name,
    /// how to open it and every value, as many as the width allows (the full form opens when
    /// the panel is focused).
    fn draw_summary(&self, f: &mut Frame, area: Rect, ctx: Ctx, hp: &HParams) {
        let t = ctx.theme;
        let mut spans = vec![Span::styled("▸", t.border_style(ctx.focused))];
        if let Some(k) = ctx.key {
            spans.push(Span::styled(format!(" [{k}]"), t.key_style()));
        }
        spans.push(Span::styled(" Hyperparameters ", t.title_style()));
        // How to open it, where that leaves room for the first value (the digit in the
        // title says it too).
        if let Some(k) = ctx.key {
            let hint = format!("({k} to edit) ");
            let head: usize = spans.iter().map(|s| text_width::width(&s.content)).sum();
            let first = summary_order()[0];
            let first_w = text_width::width(&format!("{} {} …", first.key(), hp.get(first)));
            if head + text_width::width(&hint) + first_w <= area.width as usize {
                spans.push(Span::styled(hint, t.dim_style()));
            }
        }
        // Whole `key value` pairs, the most telling first, as many as fit; `…` says there are
        // more (the open form has them all).
        let cols = area.width as usize;
        let mut used: usize = spans.iter().map(|s| text_width::width(&s.content)).sum();
        let mut shown = 0;
        for field in summary_order() {
            let sep = if shown > 0 { " · " } else { "" };
            let (key, value) = (format!("{} ", field.key()), hp.get(field));
            let w = text_width::width(sep) + text_width::width(&key) + text_width::width(&value);
            // Room for this pair and, unless it is the last, a " …" after it.
            let more = if shown + 1 < Field::ALL.len() { 2 } else { 0 };
            if used + w + more > cols {
                break;
            }
            used += w;
            shown += 1;
            if !sep.is_empty() {
                spans.push(Span::styled(sep, t.dim_style()));
            }
            spans.push(Span::styled(key, t.dim_style()));
            spans.push(Span::styled(value, Style::default().fg(t.fg)));
        }
        if shown < Field::ALL.len() {
            let mark = if shown == 0 { "…" } else { " …" };
            spans.push(Span::styled(mark, t.dim_style()));
        }
        let spans = fit_spans(spans, cols);
        f.render_widget(Paragraph::new(Line::from(spans)).style(t.base()), area);
    }
}

impl FormState {
    /// All the fields; `hp`: the values they show while they are not being edited.
    fn draw_open(&self, f: &mut Frame, area: Rect, ctx: Ctx, hp: &HParams) {
        let t = ctx.theme;
        let st = self;
        let focused = ctx.focused;
        let hint = if st.editing.is_some() {
            "Enter applies · Esc cancels".to_owned()
        } else if focused {
            "↑↓ select · Enter edits".to_owned()
        } else {
            match ctx.key {
                Some(k) => format!("{k} to edit"),
                None => "Tab here to edit".to_owned(),
            }
        };
        let inner = framed(
            f,
            area,
            panel_block(hinted_title(" Hyperparameters ", &hint, t), ctx),
        );
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let rows = Field::ALL.len() as u16;
        let [list_area, msg_area] = Layout::vertical([
            // Two rows stay for the check's message (the list scrolls instead).
            Constraint::Length(rows.min(inner.height.saturating_sub(2).max(1))),
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
                    // The end being typed stays in view: a value longer than its room shows
                    // `…` and its last characters.
                    let room = (list_area.width as usize).saturating_sub(16 + 1 + 1);
                    vec![
                        Span::styled(format!(" {}", tail(buf, room)), style),
                        Span::styled("▏", Style::default().fg(t.accent)),
                    ]
                }
                _ => vec![Span::styled(
                    format!(" {}", hp.get(*field)),
                    Style::default().fg(t.fg),
                )],
            };
            let mut spans = vec![label];
            spans.extend(value);
            // A long value (a corpus path) is cut with `…`.
            lines.push(Line::from(fit_spans(spans, list_area.width as usize)));
        }
        // On a short terminal the list scrolls so the selected field stays in view.
        let visible = list_area.height as usize;
        let offset = (st.selected + 1).saturating_sub(visible) as u16;
        f.render_widget(Paragraph::new(lines).scroll((offset, 0)), list_area);
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
                "~ live: lr, clip, epochs, completion len apply at once",
                t.dim_style(),
            )),
        };
        f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), msg_area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_edit_shows_its_end() {
        assert_eq!(tail("short", 10), "short");
        assert_eq!(tail("/home/user/books/story.txt", 10), "…story.txt");
        assert_eq!(tail("/소설/동백꽃.txt", 8), "…꽃.txt");
    }

    #[test]
    fn the_summary_starts_with_what_makes_the_model() {
        let order = summary_order();
        assert_eq!(
            &order[..5],
            &[
                Field::Cell,
                Field::Hiddens,
                Field::Lr,
                Field::Clip,
                Field::Epochs
            ]
        );
        assert_eq!(order.len(), Field::ALL.len());
    }
}
