//! Live completion: the user types a prefix, the newest snapshot continues it greedily, on every
//! keystroke and again whenever a new snapshot arrives.

use std::sync::Arc;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::model::snapshot::Completion;
use crate::model::ModelSnapshot;
use crate::tui::context::Ctx;
use crate::tui::widgets::{hinted_title, panel_block};

/// Characters generated after the prefix.
pub const CONTINUATION_LEN: usize = 40;
/// The prefix shown at start (d2l's own example).
pub const DEFAULT_PREFIX: &str = "time traveller ";
/// Longest prefix kept (the heatmap cannot show more anyway).
pub const MAX_PREFIX: usize = 200;

#[derive(Clone, Debug)]
pub struct CompletionState {
    pub prefix: String,
    pub snapshot: Option<Arc<ModelSnapshot>>,
    pub completion: Option<Completion>,
    pub error: Option<String>,
    /// Keys type into the prefix (the pane is focused and not left with Esc).
    pub typing: bool,
    /// Completions computed (for tests and the benchmark).
    pub computed: u64,
    /// Which layer's state (hidden or LSTM cell) the heatmap shows: `[` / `]` and `c` there.
    pub view: crate::model::snapshot::StateView,
}

impl Default for CompletionState {
    fn default() -> Self {
        CompletionState {
            prefix: DEFAULT_PREFIX.to_owned(),
            snapshot: None,
            completion: None,
            error: None,
            typing: false,
            computed: 0,
            view: Default::default(),
        }
    }
}

impl CompletionState {
    pub fn set_snapshot(&mut self, s: Arc<ModelSnapshot>) {
        self.snapshot = Some(s);
        self.recompute();
    }

    /// Forget the model (a new run starts); the prefix stays.
    pub fn clear_model(&mut self) {
        self.snapshot = None;
        self.completion = None;
        self.error = None;
    }

    /// Append a typed character. Letters are lower-cased, as the corpus was (d2l's
    /// preprocessing); anything else outside the vocabulary shows as `<unk>`.
    pub fn type_char(&mut self, c: char) {
        if self.prefix.chars().count() < MAX_PREFIX && !c.is_control() {
            self.prefix.push(c.to_ascii_lowercase());
            self.recompute();
        }
    }

    pub fn backspace(&mut self) {
        self.prefix.pop();
        self.recompute();
    }

    /// A key while the pane has the focus. While typing it takes every key (Esc leaves);
    /// otherwise only Enter and `i`, which start typing. The effects are all the pane's own.
    pub fn on_key(&mut self, key: KeyEvent) {
        if !self.typing {
            if matches!(key.code, KeyCode::Enter | KeyCode::Char('i')) {
                self.typing = true;
            }
            return;
        }
        match key.code {
            KeyCode::Esc => self.typing = false,
            KeyCode::Backspace => self.backspace(),
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                self.type_char(c)
            }
            _ => {}
        }
    }

    /// A key while the heatmap has the focus: `[` / `]` pick the layer below / above, `c`
    /// switches an LSTM between hidden and cell state. Returns whether it was one of these.
    pub fn on_view_key(&mut self, key: KeyEvent) -> bool {
        let Some(s) = self.snapshot.clone() else {
            return false;
        };
        let view = match key.code {
            KeyCode::Char('[') => self.view.step_layer(&s, false),
            KeyCode::Char(']') => self.view.step_layer(&s, true),
            KeyCode::Char('c') if s.has_cell_state() => crate::model::snapshot::StateView {
                cell: !self.view.cell,
                ..self.view
            },
            _ => return false,
        };
        self.view = view;
        self.recompute();
        true
    }

    /// What the heatmap shows, for its title (empty for a one-layer RNN or GRU).
    pub fn view_label(&self) -> String {
        self.snapshot
            .as_ref()
            .map(|s| self.view.label(s))
            .unwrap_or_default()
    }

    pub fn recompute(&mut self) {
        let Some(s) = &self.snapshot else { return };
        self.computed += 1;
        match s.complete_showing(&self.prefix, CONTINUATION_LEN, self.view) {
            Ok(c) => {
                self.completion = Some(c);
                self.error = None;
            }
            Err(e) => {
                self.completion = None;
                self.error = Some(e.to_string());
            }
        }
    }
}

impl CompletionState {
    pub fn draw(&self, f: &mut Frame, area: Rect, ctx: Ctx) {
        let t = ctx.theme;
        let c = self;
        let focused = ctx.focused;
        let hint = if focused && c.typing {
            "typing · Esc leaves · Tab moves on"
        } else if focused {
            "Enter to type"
        } else {
            "Tab here to type"
        };
        let block = panel_block(hinted_title(" Completion ", hint, t), ctx);
        let prefix_style = Style::default().fg(t.prefix).add_modifier(Modifier::BOLD);
        let cont_style = Style::default().fg(t.continuation);
        let mut input = vec![
            Span::styled("› ", t.dim_style()),
            Span::styled(c.prefix.clone(), prefix_style),
        ];
        if focused && c.typing {
            input.push(Span::styled(
                "▏",
                Style::default()
                    .fg(t.accent)
                    .add_modifier(Modifier::SLOW_BLINK),
            ));
        }
        let mut lines = vec![Line::from(input)];
        let output = match (&c.completion, &c.error, &c.snapshot) {
            (_, Some(e), _) => Line::from(Span::styled(e.clone(), Style::default().fg(t.warn))),
            (Some(comp), _, _) => Line::from(vec![
                Span::styled(
                    comp.prefix(),
                    prefix_style.add_modifier(Modifier::UNDERLINED),
                ),
                Span::styled(comp.continuation(), cont_style),
            ]),
            (None, _, None) => Line::from(Span::styled("no model yet", t.dim_style())),
            (None, _, Some(_)) => Line::from(Span::styled("…", t.dim_style())),
        };
        lines.push(output);
        f.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false }),
            area,
        );
    }
}
