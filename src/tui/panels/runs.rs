//! The runs picker (`o`): saved runs, newest first. Enter continues the selected run, `c`
//! lays its perplexity curve over the current one, dimmed, for comparison.

use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::runs::RunSummary;
use crate::text_width::{fit_left, fit_right};
use crate::tui::launch::RunList;
use crate::tui::theme::Theme;
use crate::tui::widgets::{fmt_ppl, framed, popup, popup_block};

/// What a key in the picker asks of the app.
#[derive(Clone, Debug, PartialEq)]
pub enum PickerOutcome {
    /// The picker stays open (a move, or a key it does not use).
    Stay,
    /// Close the picker.
    Close,
    /// Continue this run (Enter); the picker is done.
    Continue(RunSummary),
    /// Lay this run's curve over the current one, or take it away if it is there (`c`).
    Compare(RunSummary),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunsPicker {
    pub list: RunList,
    pub selected: usize,
}

impl RunsPicker {
    pub fn new(list: RunList) -> Self {
        RunsPicker { list, selected: 0 }
    }

    pub fn selected(&self) -> Option<&RunSummary> {
        self.list.runs.get(self.selected)
    }

    pub fn up(&mut self) {
        self.selected = self.selected.saturating_sub(1);
    }

    pub fn down(&mut self) {
        if self.selected + 1 < self.list.runs.len() {
            self.selected += 1;
        }
    }

    /// A key while the picker is open (it takes them all, Ctrl-C aside). Enter and `c`
    /// without a selected run leave the picker open.
    pub fn on_key(&mut self, key: KeyEvent) -> PickerOutcome {
        match key.code {
            KeyCode::Esc | KeyCode::Char('o') | KeyCode::Char('q') => PickerOutcome::Close,
            KeyCode::Up | KeyCode::Char('k') => {
                self.up();
                PickerOutcome::Stay
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.down();
                PickerOutcome::Stay
            }
            KeyCode::Char('c') => self
                .selected()
                .cloned()
                .map_or(PickerOutcome::Stay, PickerOutcome::Compare),
            KeyCode::Enter => self
                .selected()
                .cloned()
                .map_or(PickerOutcome::Stay, PickerOutcome::Continue),
            _ => PickerOutcome::Stay,
        }
    }
}

/// Below this inner width the creation date is left out (the id holds it anyway).
const WIDE: u16 = 94;

/// One row (or the header, from `cells`), wide or compact. Every cell is measured in terminal
/// columns (a Korean corpus name takes two per syllable) and cut between characters with `…`,
/// so the columns after it stay in place.
fn row(wide: bool, cells: [&str; 8]) -> String {
    let [id, created, corpus, h, t, b, epochs, best] = cells;
    let mut out = fit_left(id, 20);
    if wide {
        out.push(' ');
        out.push_str(&fit_left(created, 16));
    }
    out.push(' ');
    out.push_str(&fit_left(corpus, if wide { 18 } else { 12 }));
    for (cell, cols) in [(h, 4), (t, 4), (b, 5), (epochs, 9), (best, 8)] {
        out.push(' ');
        out.push_str(&fit_right(cell, cols));
    }
    out
}

fn row_text(wide: bool, r: &RunSummary) -> String {
    row(
        wide,
        [
            &r.id,
            &r.created,
            &r.corpus,
            &r.hiddens.to_string(),
            &r.num_steps.to_string(),
            &r.batch_size.to_string(),
            &r.epochs,
            &fmt_ppl(r.best_val_ppl),
        ],
    )
}

impl RunsPicker {
    /// The picker over `area`. `compared`: the id of the run whose curve is overlaid, marked ◆.
    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme, compared: Option<&str>) {
        let picker = self;
        let rows = picker.list.runs.len();
        // At least 7 rows, at most what the screen has (`clamp` would panic below 9 rows).
        let height = (rows as u16 + 5)
            .max(7)
            .min(area.height.saturating_sub(2).max(3));
        let popup_area = popup(f, area, 96, height);
        let title = match picker.list.unreadable {
            0 => " Runs — newest first ".to_owned(),
            n => format!(" Runs — newest first · {n} unreadable folder(s) left out "),
        };
        let inner = framed(f, popup_area, popup_block(title, t, t.border_focused));
        let wide = inner.width >= WIDE;
        let mut lines = Vec::new();
        if rows == 0 {
            lines.push(Line::from(Span::styled(
                "No saved runs yet: a run is saved once it starts training.",
                Style::default().fg(t.fg),
            )));
        } else {
            let header = [
                "ID",
                "CREATED (UTC)",
                "CORPUS",
                "H",
                "T",
                "B",
                "EPOCHS",
                "BEST VAL",
            ];
            lines.push(Line::from(Span::styled(
                format!("  {}", row(wide, header)),
                t.dim_style().add_modifier(Modifier::BOLD),
            )));
            // Rows that fit between the header and the key hints, scrolled to the selection.
            let visible = (inner.height as usize).saturating_sub(2).max(1);
            let first = picker.selected.saturating_sub(visible - 1);
            for (i, r) in picker
                .list
                .runs
                .iter()
                .enumerate()
                .skip(first)
                .take(visible)
            {
                let mark = if Some(r.id.as_str()) == compared {
                    "◆ "
                } else {
                    "  "
                };
                let mut style = Style::default().fg(t.fg);
                if i == picker.selected {
                    style = style.add_modifier(Modifier::REVERSED | Modifier::BOLD);
                }
                lines.push(Line::from(Span::styled(
                    format!("{mark}{}", row_text(wide, r)),
                    style,
                )));
            }
        }
        let key = |s: &'static str| Span::styled(s, t.key_style());
        let hints = Line::from(vec![
            key("Enter"),
            Span::styled(" continue run  ", t.dim_style()),
            key("c"),
            Span::styled(" compare (overlay, dimmed)  ", t.dim_style()),
            key("↑/↓"),
            Span::styled(" select  ", t.dim_style()),
            key("Esc"),
            Span::styled(" close", t.dim_style()),
        ]);
        let body_h = inner.height.saturating_sub(1);
        f.render_widget(
            Paragraph::new(lines).style(t.base()),
            Rect::new(inner.x, inner.y, inner.width, body_h),
        );
        if inner.height > 0 {
            f.render_widget(
                Paragraph::new(hints).style(t.base()),
                Rect::new(inner.x, inner.y + body_h, inner.width, 1),
            );
        }
    }
}
