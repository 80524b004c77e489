//! The runs picker (`o`): saved runs, newest first or best first (`s`). Enter continues the
//! selected run; `c` lays its perplexity curve over the current one (several at once, a colour
//! each) and the picker then shows the overlaid runs' hyperparameters side by side, the rows
//! that differ highlighted; `n` names (labels) a run, `d` deletes one after asking.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::hparams::clip_text;
use crate::number_format::compact;
use crate::runs::{RunOrder, RunSummary, MAX_LABEL_CHARS};
use crate::text_width::{self, fit_left, fit_right};
use crate::tui::launch::RunList;
use crate::tui::theme::Theme;
use crate::tui::widgets::{fit_line, fmt_ppl, framed, popup, popup_block};

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
    /// Name this run (`n`, then Enter); an empty text removes its label.
    Label(RunSummary, String),
    /// Delete this run (`d`, then `y`).
    Delete(RunSummary),
    /// Save the perplexity chart with the runs laid over it as a file (`p`).
    Plot,
}

/// What the picker is doing besides listing.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum PickerMode {
    #[default]
    Browse,
    /// Typing a label for the selected run.
    Labelling(String),
    /// Asking whether to delete the selected run.
    ConfirmDelete,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunsPicker {
    pub list: RunList,
    pub selected: usize,
    pub order: RunOrder,
    pub mode: PickerMode,
}

impl RunsPicker {
    pub fn new(list: RunList) -> Self {
        RunsPicker {
            list,
            ..RunsPicker::default()
        }
    }

    /// A fresh list (after a label or a delete), in the picker's order, the same run selected
    /// where it is still there.
    pub fn replace_list(&mut self, list: RunList) {
        let id = self.selected().map(|r| r.id.clone());
        self.list = list;
        self.mode = PickerMode::Browse;
        self.sort(self.order, id.as_deref());
    }

    /// Sort by `order`, keeping run `keep` selected (else the selection's row, in range).
    fn sort(&mut self, order: RunOrder, keep: Option<&str>) {
        self.order = order;
        // Ids sort by creation time, as the list came (newest first).
        self.list.runs.sort_by(|a, b| b.id.cmp(&a.id));
        order.sort(&mut self.list.runs, |r| Some(r.best_val_ppl));
        if let Some(i) = keep.and_then(|id| self.list.runs.iter().position(|r| r.id == id)) {
            self.selected = i;
        }
        self.selected = self.selected.min(self.list.runs.len().saturating_sub(1));
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

    /// A key while the picker is open (it takes them all, Ctrl-C aside). Enter, `c`, `n` and
    /// `d` without a selected run leave the picker open.
    pub fn on_key(&mut self, key: KeyEvent) -> PickerOutcome {
        match std::mem::take(&mut self.mode) {
            PickerMode::Labelling(text) => return self.on_label_key(key, text),
            PickerMode::ConfirmDelete => {
                return match (key.code, self.selected()) {
                    (KeyCode::Char('y') | KeyCode::Char('Y'), Some(r)) => {
                        PickerOutcome::Delete(r.clone())
                    }
                    _ => PickerOutcome::Stay,
                };
            }
            PickerMode::Browse => {}
        }
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
            KeyCode::Char('s') => {
                let id = self.selected().map(|r| r.id.clone());
                let next = match self.order {
                    RunOrder::Date => RunOrder::Best,
                    RunOrder::Best => RunOrder::Date,
                };
                self.sort(next, id.as_deref());
                PickerOutcome::Stay
            }
            KeyCode::Char('n') => {
                if let Some(r) = self.selected() {
                    self.mode = PickerMode::Labelling(r.label.clone().unwrap_or_default());
                }
                PickerOutcome::Stay
            }
            KeyCode::Char('d') => {
                if self.selected().is_some() {
                    self.mode = PickerMode::ConfirmDelete;
                }
                PickerOutcome::Stay
            }
            KeyCode::Char('p') => PickerOutcome::Plot,
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

    /// A key while typing a label: text, Backspace, Ctrl-U; Enter gives it, Esc cancels.
    fn on_label_key(&mut self, key: KeyEvent, mut text: String) -> PickerOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return PickerOutcome::Stay,
            KeyCode::Enter => {
                return self
                    .selected()
                    .cloned()
                    .map_or(PickerOutcome::Stay, |r| PickerOutcome::Label(r, text));
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char('u') if ctrl => text.clear(),
            KeyCode::Char(c)
                if !ctrl && !c.is_control() && text.chars().count() < MAX_LABEL_CHARS =>
            {
                text.push(c)
            }
            _ => {}
        }
        self.mode = PickerMode::Labelling(text);
        PickerOutcome::Stay
    }

    /// Whether the picker takes text now (a label being typed): pasted text goes there.
    pub fn paste(&mut self, pasted: &str) -> bool {
        let PickerMode::Labelling(text) = &mut self.mode else {
            return false;
        };
        for c in pasted.chars().filter(|c| !c.is_control()) {
            if text.chars().count() >= MAX_LABEL_CHARS {
                break;
            }
            text.push(c);
        }
        true
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

/// A run's row: its label stands in for its id when it has one (the id is in the comparison).
fn row_text(wide: bool, r: &RunSummary) -> String {
    let name = match &r.label {
        Some(l) => format!("“{l}”"),
        None => r.id.clone(),
    };
    row(
        wide,
        [
            &name,
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

/// The hyperparameters compared side by side, one row each: its name and how a run shows it.
type CompareRow = (&'static str, fn(&RunSummary) -> String);

const COMPARED: [CompareRow; 10] = [
    ("run", |r| r.id.clone()),
    ("label", |r| r.label.clone().unwrap_or_else(|| "–".into())),
    ("model", |r| r.model.clone()),
    ("corpus", |r| r.corpus.clone()),
    ("hiddens", |r| r.hiddens.to_string()),
    ("steps", |r| r.num_steps.to_string()),
    ("batch", |r| r.batch_size.to_string()),
    ("lr · clip", |r| {
        format!("{} · {}", compact(r.lr), clip_text(r.clip))
    }),
    ("epochs", |r| r.epochs.clone()),
    ("best val", |r| fmt_ppl(r.best_val_ppl)),
];

/// Width of the comparison's name column and of each run's column.
const NAME_COLS: usize = 10;
const RUN_COLS: usize = 21;

/// The runs compared: the overlaid ones (in their colours), then the selected one if it is not
/// among them. Empty when nothing is overlaid.
fn compared_runs<'a>(
    picker: &'a RunsPicker,
    overlaid: &[(String, usize)],
    colours: &[Color],
) -> Vec<(&'a RunSummary, Option<Color>)> {
    let mut out: Vec<(&RunSummary, Option<Color>)> = overlaid
        .iter()
        .filter_map(|(id, slot)| {
            let r = picker.list.runs.iter().find(|r| &r.id == id)?;
            Some((r, Some(colours[slot % colours.len()])))
        })
        .collect();
    if out.is_empty() {
        return out;
    }
    if let Some(sel) = picker.selected() {
        if out.iter().all(|(r, _)| r.id != sel.id) {
            out.push((sel, None));
        }
    }
    out
}

/// The side-by-side lines: a row per hyperparameter, marked `≠` and highlighted where the runs
/// differ.
fn comparison(runs: &[(&RunSummary, Option<Color>)], t: &Theme, cols: usize) -> Vec<Line<'static>> {
    let fit = (cols.saturating_sub(NAME_COLS + 2) / RUN_COLS).max(1);
    let runs = &runs[..runs.len().min(fit)];
    let mut lines = vec![Line::from(Span::styled(
        "  side by side (≠: differs)",
        t.dim_style().add_modifier(Modifier::BOLD),
    ))];
    for (i, (name, value)) in COMPARED.iter().enumerate() {
        let values: Vec<String> = runs.iter().map(|(r, _)| value(r)).collect();
        let differs = i >= 2 && values.windows(2).any(|w| w[0] != w[1]);
        let mut spans = vec![Span::styled(
            format!(
                "{} {}",
                if differs { "≠" } else { " " },
                fit_left(name, NAME_COLS)
            ),
            if differs {
                Style::default().fg(t.warn).add_modifier(Modifier::BOLD)
            } else {
                t.dim_style()
            },
        )];
        for ((_, colour), v) in runs.iter().zip(&values) {
            let style = match (i, colour) {
                (0, Some(c)) => Style::default().fg(*c).add_modifier(Modifier::BOLD),
                _ if differs => Style::default().fg(t.warn).add_modifier(Modifier::BOLD),
                _ => Style::default().fg(t.fg),
            };
            spans.push(Span::styled(
                format!(" {}", fit_left(v, RUN_COLS - 1)),
                style,
            ));
        }
        lines.push(Line::from(spans));
    }
    lines
}

impl RunsPicker {
    /// The picker over `area`. `overlaid`: the runs whose curves are on the chart, with their
    /// colour slots (marked ◆ in their colour); `open`: the run this cockpit has open (▶).
    pub fn draw(
        &self,
        f: &mut Frame,
        area: Rect,
        t: &Theme,
        overlaid: &[(String, usize)],
        open: Option<&str>,
    ) {
        let picker = self;
        let rows = picker.list.runs.len();
        let colours = t.run_colours();
        let compared = compared_runs(picker, overlaid, &colours);
        let compare_h = if compared.is_empty() {
            0
        } else {
            COMPARED.len() as u16 + 1
        };
        let width = if compared.len() > 3 { 120 } else { 96 };
        // At least 7 rows, at most what the screen has (`clamp` would panic below 9 rows).
        let height = (rows as u16 + 5 + compare_h)
            .max(7)
            .min(area.height.saturating_sub(2).max(3));
        let popup_area = popup(f, area, width, height);
        let mut title = format!(" Runs — {} ", picker.order.name());
        if picker.list.unreadable > 0 {
            title.push_str(&format!(
                "· {} unreadable folder(s) left out ",
                picker.list.unreadable
            ));
        }
        let (title, _) = text_width::truncate(&title, popup_area.width.saturating_sub(2) as usize);
        let inner = framed(f, popup_area, popup_block(title, t, t.border_focused));
        let wide = inner.width >= WIDE;
        // The comparison goes below the list when there is room for it and a few runs.
        let show_compare = compare_h > 0 && inner.height >= compare_h + 5;
        let list_h = inner
            .height
            .saturating_sub(1)
            .saturating_sub(if show_compare { compare_h } else { 0 });
        let mut lines = Vec::new();
        if rows == 0 {
            lines.push(Line::from(Span::styled(
                "No saved runs yet: a run is saved once it starts training.",
                Style::default().fg(t.fg),
            )));
        } else {
            let header = [
                "ID / “LABEL”",
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
            // Rows that fit under the header, scrolled to the selection.
            let visible = (list_h as usize).saturating_sub(1).max(1);
            let first = picker.selected.saturating_sub(visible - 1);
            for (i, r) in picker
                .list
                .runs
                .iter()
                .enumerate()
                .skip(first)
                .take(visible)
            {
                let slot = overlaid.iter().find(|(id, _)| *id == r.id).map(|o| o.1);
                let (mark, mark_style) = match slot {
                    Some(s) => ("◆ ", Style::default().fg(colours[s % colours.len()])),
                    None if Some(r.id.as_str()) == open => ("▶ ", t.key_style()),
                    None => ("  ", Style::default()),
                };
                let mut style = Style::default().fg(t.fg);
                if i == picker.selected {
                    style = style.add_modifier(Modifier::REVERSED | Modifier::BOLD);
                }
                lines.push(Line::from(vec![
                    Span::styled(mark, mark_style),
                    Span::styled(row_text(wide, r), style),
                ]));
            }
        }
        // Every row cut with `…` where the popup is narrower than it.
        let cols = inner.width as usize;
        let fit = |lines: Vec<Line<'static>>| -> Vec<Line<'static>> {
            lines.into_iter().map(|l| fit_line(l, cols)).collect()
        };
        f.render_widget(
            Paragraph::new(fit(lines)).style(t.base()),
            Rect::new(inner.x, inner.y, inner.width, list_h),
        );
        if show_compare {
            f.render_widget(
                Paragraph::new(fit(comparison(&compared, t, cols))).style(t.base()),
                Rect::new(inner.x, inner.y + list_h, inner.width, compare_h),
            );
        }
        if inner.height > 0 {
            f.render_widget(
                Paragraph::new(fit_line(self.hints(t, cols), cols)).style(t.base()),
                Rect::new(inner.x, inner.y + inner.height - 1, inner.width, 1),
            );
        }
    }

    /// The last row: the keys, or the label being typed, or the delete question.
    fn hints(&self, t: &Theme, cols: usize) -> Line<'static> {
        let key = |s: &'static str| Span::styled(s, t.key_style());
        let dim = |s: String| Span::styled(s, t.dim_style());
        let id = self.selected().map(|r| r.id.clone()).unwrap_or_default();
        match &self.mode {
            PickerMode::Labelling(text) => {
                let keys = vec![
                    dim("  ".into()),
                    key("Enter"),
                    dim(" save (empty: none)  ".into()),
                    key("Esc"),
                    dim(" cancel".into()),
                ];
                let keys_w: usize = keys.iter().map(|s| s.width()).sum();
                // The label's end and the cursor stay in sight: the run's id gives way first,
                // then the start of the label (marked with …).
                let mut intro = format!("label for {id}: ");
                if text_width::width(&intro) + text_width::width(text) + 1 + keys_w > cols {
                    intro = "label: ".into();
                }
                let room = cols
                    .saturating_sub(text_width::width(&intro) + keys_w + 1)
                    .max(8);
                let mut spans = vec![
                    dim(intro),
                    Span::styled(
                        format!("{}▏", text_width::tail(text, room)),
                        Style::default().fg(t.fg),
                    ),
                ];
                spans.extend(keys);
                Line::from(spans)
            }
            PickerMode::ConfirmDelete => Line::from(vec![
                Span::styled(
                    format!("Delete run {id} and all its files? "),
                    Style::default().fg(t.warn).add_modifier(Modifier::BOLD),
                ),
                key("y"),
                dim(" delete  ".into()),
                dim("any other key keeps it".into()),
            ]),
            PickerMode::Browse => Line::from(vec![
                key("Enter"),
                dim(" continue  ".into()),
                key("c"),
                dim(" compare (overlay)  ".into()),
                key("s"),
                dim(" sort  ".into()),
                key("n"),
                dim(" label  ".into()),
                key("d"),
                dim(" delete  ".into()),
                key("Esc"),
                dim(" close  ".into()),
                // Last: a narrow picker cuts it rather than the way out.
                key("p"),
                dim(" save chart".into()),
            ]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures;
    use ratatui::crossterm::event::KeyEvent;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn s_sorts_by_best_validation_and_back_keeping_the_selection() {
        let mut p = RunsPicker::new(fixtures::run_list());
        p.down();
        let id = p.selected().unwrap().id.clone();
        p.on_key(key(KeyCode::Char('s')));
        assert_eq!(p.order, RunOrder::Best);
        let bests: Vec<f64> = p.list.runs.iter().map(|r| r.best_val_ppl).collect();
        assert_eq!(bests[0], 6.02);
        assert_eq!(bests[1], 9.81);
        assert!(bests[2].is_nan(), "a run without a validation comes last");
        assert_eq!(p.selected().unwrap().id, id);
        p.on_key(key(KeyCode::Char('s')));
        assert_eq!(p.list.runs[0].id, "20261128-101500-a3f9");
    }

    #[test]
    fn n_types_a_label_and_d_asks_before_deleting() {
        let mut p = RunsPicker::new(fixtures::run_list());
        assert_eq!(p.on_key(key(KeyCode::Char('n'))), PickerOutcome::Stay);
        for c in "base".chars() {
            p.on_key(key(KeyCode::Char(c)));
        }
        // While labelling, q and o are text, not close.
        p.on_key(key(KeyCode::Char('q')));
        p.on_key(key(KeyCode::Backspace));
        let run = p.selected().unwrap().clone();
        assert_eq!(
            p.on_key(key(KeyCode::Enter)),
            PickerOutcome::Label(run.clone(), "base".into())
        );
        assert_eq!(p.mode, PickerMode::Browse);

        p.on_key(key(KeyCode::Char('d')));
        assert_eq!(p.mode, PickerMode::ConfirmDelete);
        assert_eq!(p.on_key(key(KeyCode::Char('n'))), PickerOutcome::Stay);
        assert_eq!(p.mode, PickerMode::Browse);
        p.on_key(key(KeyCode::Char('d')));
        assert_eq!(
            p.on_key(key(KeyCode::Char('y'))),
            PickerOutcome::Delete(run)
        );
    }

    #[test]
    fn a_long_label_being_typed_keeps_its_end_and_the_cursor_in_sight() {
        let mut p = RunsPicker::new(fixtures::run_list());
        p.on_key(key(KeyCode::Char('n')));
        let label = "a label long enough to need the whole row and then more END";
        for c in label.chars().take(MAX_LABEL_CHARS) {
            p.on_key(key(KeyCode::Char(c)));
        }
        let t = Theme::default_for(crate::tui::ColorMode::TrueColor);
        for cols in [58usize, 80, 94] {
            let line = fit_line(p.hints(&t, cols), cols);
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            assert!(text_width::width(&text) <= cols, "{cols}: {text}");
            assert!(text.contains("e END▏"), "{cols}: {text}");
            assert!(text.contains('…'), "{cols}: {text}");
        }
    }

    #[test]
    fn the_comparison_marks_the_rows_that_differ() {
        let list = fixtures::run_list();
        let t = Theme::default_for(crate::tui::ColorMode::TrueColor);
        let runs: Vec<(&RunSummary, Option<Color>)> =
            list.runs.iter().take(2).map(|r| (r, None)).collect();
        let lines = comparison(&runs, &t, 80);
        let text = |l: &Line| {
            l.spans
                .iter()
                .map(|s| s.content.as_ref())
                .collect::<String>()
        };
        let row = |name: &str| {
            lines
                .iter()
                .map(text)
                .find(|l| l.chars().skip(2).collect::<String>().starts_with(name))
                .unwrap()
        };
        assert!(row("hiddens").starts_with('≠'), "{}", row("hiddens"));
        assert!(row("steps").starts_with(' '), "{}", row("steps"));
        assert!(row("corpus").starts_with('≠'));
    }
}
