//! Hidden-state heatmap and neuron inspector.
//!
//! The grid: hidden units (rows) × the characters of the completion (columns), a diverging
//! palette centred on 0 for tanh's -1..1. Two units per terminal row: `▀` with the top unit as
//! foreground and the bottom unit as background. Under `NO_COLOR`, one unit per row drawn with
//! shade glyphs for positive values and dots for negative ones. Each character gets as many
//! columns as it takes on the terminal (two for Hangul and Han), so the grid stays aligned with
//! the characters under it.
//!
//! The inspector: ↑/↓ (or a click) selects a unit; its row is highlighted, the completion pane
//! colours its text by that unit, and a strip under the grid shows an excerpt of the
//! validation text coloured the same way (the trainer sends the states, see
//! [`crate::eval::inspect`]). `f` finds the unit that follows a visible feature most closely.

use std::sync::Arc;

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use crate::data::vocab::UNK;
use crate::eval::inspect::{self, Probe, UnitScore};
use crate::model::snapshot::{Completion, StateView};
use crate::model::ModelSnapshot;
use crate::text_width;
use crate::tui::context::{Ctx, Handled, KeyHelp, Panel};
use crate::tui::theme::{ColorMode, Theme};
use crate::tui::widgets::{framed, panel_block, placeholder, title};

/// Width of the unit-index gutter.
pub const GUTTER: u16 = 4;
/// The key that finds the unit following a visible feature most closely.
pub const FIND_KEY: char = 'f';
/// The key that clears the selection.
pub const CLEAR_KEY: char = 'x';
/// Units PgUp/PgDn move the selection by.
pub const PAGE: usize = 8;
/// Lines the validation strip takes at least: a heading and two lines of text.
pub const STRIP_MIN: u16 = 3;

/// Glyphs for |v| in five steps, positive values.
pub const POSITIVE_GLYPHS: [&str; 5] = [" ", "░", "▒", "▓", "█"];
/// Glyphs for |v| in five steps, negative values.
pub const NEGATIVE_GLYPHS: [&str; 5] = [" ", "·", "∘", "○", "●"];

/// The heatmap's keys, for the help overlay and the footer (z zooms it, as any panel).
pub fn keys() -> &'static [KeyHelp] {
    const KEYS: &[KeyHelp] = &[
        KeyHelp::new(
            "↑/↓",
            "unit",
            "select a hidden unit: the completion and a validation excerpt are coloured by it",
        ),
        KeyHelp::help_only(
            "PgUp/PgDn, Home/End",
            "move the selection 8 units, to the first or last unit",
        ),
        KeyHelp::new(
            "f",
            "find unit",
            "select the unit that best follows something visible (after a space, inside a word, position in the word or line, inside quotes) and show r",
        ),
        KeyHelp::help_only("x", "clear the selection"),
        KeyHelp::help_only(
            "[ / ]",
            "show the layer below / above; the validation strip follows",
        ),
        KeyHelp::help_only("c", "an LSTM's cell state ↔ hidden state (the strip follows)"),
        KeyHelp::help_only(
            "click",
            "select the unit under the pointer (again: its partner in the row)",
        ),
    ];
    KEYS
}

/// The NO_COLOR glyph for a value in -1..1: |v| < 0.05 blank, then steps of 0.25.
pub fn glyph(v: f32) -> &'static str {
    let v = if v.is_finite() {
        v.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    // Blank only near 0, so small but real activity still shows.
    let step = if v.abs() < 0.05 {
        0
    } else {
        1 + ((v.abs() * 4.0) as usize).min(3)
    };
    if v < 0.0 {
        NEGATIVE_GLYPHS[step]
    } else {
        POSITIVE_GLYPHS[step]
    }
}

/// How a character is drawn when coloured by an activation in -1..1: the heat colour as its
/// background; under NO_COLOR reversed for v > 1/3 and underlined for v < -1/3.
pub fn activation_style(theme: &Theme, v: f32) -> Style {
    match theme.heat(v) {
        Some(c) => Style::default().fg(theme.fg).bg(c),
        None if v > 1.0 / 3.0 => Style::default().add_modifier(Modifier::REVERSED),
        None if v < -1.0 / 3.0 => Style::default().add_modifier(Modifier::UNDERLINED),
        None => Style::default(),
    }
}

/// A token as one grid column's label: space as `·`, line breaks and tabs as arrows, other
/// control characters and multi-character tokens (`<unk>`) as `?`.
pub fn token_label(tok: &str) -> String {
    match tok {
        " " => "·".into(),
        "\n" => "↵".into(),
        "\r" => "←".into(),
        "\t" => "→".into(),
        t if t.chars().count() == 1 && !t.chars().all(char::is_control) => t.into(),
        _ => "?".into(),
    }
}

/// Columns a label takes: 1, or 2 for wide characters.
pub fn label_width(label: &str) -> u16 {
    label.width().clamp(1, 2) as u16
}

/// What a view key (`[`, `]`, `c`) did.
#[derive(Clone, Debug, PartialEq)]
pub enum ViewKey {
    /// Not a view key.
    NotOne,
    /// The heatmap shows another state now.
    Changed,
    /// Nothing to switch to; why, for the message line.
    Nothing(String),
}

/// The heatmap's state: which state it shows (layer, cell state), the selected unit and the
/// newest probe of the validation excerpt. The completion pane reads the view (to record that
/// state for each character) and the selected unit (to colour its text by it).
#[derive(Clone, Debug, Default)]
pub struct HeatmapState {
    /// Which layer's state (hidden or LSTM cell) is shown: `[` / `]` and `c`.
    pub view: StateView,
    pub selected: Option<usize>,
    pub probe: Option<Arc<Probe>>,
    /// The last `f` result, as found (the title shows the selected unit's score live).
    pub found: Option<UnitScore>,
    /// Why `f` found nothing.
    pub note: Option<String>,
}

impl HeatmapState {
    /// The newest probe, showing the state the heatmap shows.
    pub fn set_probe(&mut self, p: Arc<Probe>) {
        // Cheap: a probe is its shared trace plus the view.
        self.probe = Some(Arc::new(p.showing(self.view)));
    }

    /// `[` / `]` (the layer below / above) and `c` (an LSTM's cell ↔ hidden state) for the
    /// model `snap`: the view changes, or the message line is told why it cannot.
    pub fn on_view_key(&mut self, key: KeyEvent, snap: Option<&ModelSnapshot>) -> ViewKey {
        let KeyCode::Char(c @ ('[' | ']' | 'c')) = key.code else {
            return ViewKey::NotOne;
        };
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return ViewKey::NotOne;
        }
        let Some(s) = snap else {
            return ViewKey::Nothing("no model yet: nothing to switch".into());
        };
        let view = match c {
            '[' | ']' if s.layers() == 1 => {
                return ViewKey::Nothing(format!(
                    "{c}: the model has one layer, there is no other to show"
                ))
            }
            '[' => self.view.step_layer(s, false),
            ']' => self.view.step_layer(s, true),
            _ if !s.has_cell_state() => {
                return ViewKey::Nothing("c: only an LSTM has a cell state to show".into())
            }
            _ => StateView {
                cell: !self.view.cell,
                ..self.view
            },
        };
        if view.fit(s) == self.view.fit(s) {
            let end = if c == '[' { "bottom" } else { "top" };
            return ViewKey::Nothing(format!("{c}: already the {end} layer"));
        }
        self.view = view;
        self.show(view);
        ViewKey::Changed
    }

    /// What is shown, for the title (empty for a one-layer RNN or GRU).
    pub fn view_label(&self, snap: Option<&ModelSnapshot>) -> String {
        snap.map(|s| self.view.label(s)).unwrap_or_default()
    }

    /// Show `view` of the probe from now on (the heatmap switched layer or cell state): the
    /// strip, the selected unit's score and `f` follow it. A unit found in another view is
    /// no longer marked as found.
    fn show(&mut self, view: StateView) {
        let Some(p) = &self.probe else { return };
        if p.fit(view) != p.view {
            self.probe = Some(Arc::new(p.showing(view)));
            self.found = None;
        }
    }

    /// Forget the model's states (a new run starts); the selection stays.
    pub fn clear_model(&mut self) {
        self.probe = None;
        self.found = None;
    }

    /// The selected unit and its best feature in the newest probe.
    pub fn score(&self) -> Option<UnitScore> {
        inspect::score_unit(self.probe.as_deref()?, self.selected?)
    }

    /// The selected unit, if it exists in a model with `units` units.
    pub fn selected_in(&self, units: usize) -> Option<usize> {
        self.selected.filter(|&u| u < units)
    }

    /// Select the unit that follows a visible feature most closely.
    pub fn find(&mut self) {
        let Some(p) = &self.probe else {
            self.note = Some("no validation states yet: wait for the trainer".into());
            return;
        };
        match inspect::rank(p).first() {
            Some(&top) => {
                self.selected = Some(top.unit);
                self.found = Some(top);
                self.note = None;
            }
            None => {
                self.note = Some("no unit varies with a visible feature yet".into());
            }
        }
    }

    /// A key while the heatmap has the focus, in a model with `units` units: used, or left to
    /// the cockpit.
    pub fn on_key(&mut self, key: KeyEvent, units: usize) -> Handled {
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return Handled::No;
        }
        let last = units.saturating_sub(1);
        let sel = self.selected.map(|u| u.min(last));
        let new = match key.code {
            KeyCode::Down => Some(sel.map_or(0, |u| (u + 1).min(last))),
            KeyCode::Up => Some(sel.map_or(last, |u| u.saturating_sub(1))),
            KeyCode::PageDown => Some(sel.map_or(0, |u| (u + PAGE).min(last))),
            KeyCode::PageUp => Some(sel.map_or(0, |u| u.saturating_sub(PAGE))),
            KeyCode::Home => Some(0),
            KeyCode::End => Some(last),
            KeyCode::Char(FIND_KEY) => {
                self.find();
                return Handled::Yes;
            }
            KeyCode::Char(CLEAR_KEY) => {
                self.selected = None;
                self.found = None;
                self.note = None;
                return Handled::Yes;
            }
            _ => return Handled::No,
        };
        if units > 0 {
            self.selected = new;
            self.note = None;
        }
        Handled::Yes
    }

    /// A left click at `pos` inside the panel drawn at `panel`, for a model with `units`
    /// units: select the unit of the row under the pointer (a row of two units: the top one,
    /// or the bottom one when the top one is already selected). Returns whether a unit was hit.
    pub fn click(&mut self, panel: Rect, pos: Position, units: usize, mode: ColorMode) -> bool {
        let inner = inner_of(panel);
        let (grid, _, per_row) = self.split(inner, units, mode);
        if !grid.contains(pos) || grid.height < 2 {
            return false;
        }
        let rows = grid_rows(grid, units, per_row);
        let row = (pos.y - grid.y) as usize;
        if row >= rows {
            return false;
        }
        let first = first_row(self.selected_in(units), per_row, rows);
        let top = (first + row) * per_row;
        if top >= units {
            return false;
        }
        let unit = if per_row == 2 && self.selected == Some(top) && top + 1 < units {
            top + 1
        } else {
            top
        };
        self.selected = Some(unit);
        self.note = None;
        true
    }

    /// The grid's area, units per row, and, with a unit selected, the validation strip's
    /// area under the grid (at least [`STRIP_MIN`] lines, and whatever the grid leaves).
    fn split(&self, inner: Rect, units: usize, mode: ColorMode) -> (Rect, Option<Rect>, usize) {
        let strip_min = if self.selected_in(units).is_some() && inner.height >= 6 {
            STRIP_MIN
        } else {
            0
        };
        let avail = inner.height - strip_min;
        let per_row = per_row(mode, units, avail);
        if strip_min == 0 {
            return (inner, None, per_row);
        }
        let need = (units.div_ceil(per_row) + 1).min(u16::MAX as usize) as u16;
        let grid = Rect {
            height: need.min(avail),
            ..inner
        };
        let strip = Rect {
            y: inner.y + grid.height,
            height: inner.height - grid.height,
            ..inner
        };
        (grid, Some(strip), per_row)
    }
}

/// The area inside a panel's border.
fn inner_of(area: Rect) -> Rect {
    ratatui::widgets::Block::bordered().inner(area)
}

/// Units per terminal row: one under NO_COLOR (shade glyphs) and wherever every unit gets a
/// row of its own in `height` lines (beside the character axis), else two (half blocks), so a
/// tall panel shows one unit per row and a short one still shows twice as many.
fn per_row(mode: ColorMode, units: usize, height: u16) -> usize {
    if mode == ColorMode::NoColor || units < height as usize {
        1
    } else {
        2
    }
}

/// Unit rows that fit in `grid` (its last line is the character axis).
fn grid_rows(grid: Rect, units: usize, per_row: usize) -> usize {
    units
        .div_ceil(per_row)
        .min(grid.height.saturating_sub(1) as usize)
}

/// The first unit row shown: 0, or far enough down that the selected unit's row is the last.
fn first_row(selected: Option<usize>, per_row: usize, rows: usize) -> usize {
    match selected {
        Some(u) if rows > 0 && u / per_row >= rows => u / per_row + 1 - rows,
        _ => 0,
    }
}

/// What the grid can show besides the completion's states.
#[derive(Clone, Copy, Debug, Default)]
pub struct GridOptions<'a> {
    /// The highlighted unit.
    pub selected: Option<usize>,
    /// The prefix as typed: characters the vocabulary lacks are labelled with what was typed
    /// (marked as unknown) instead of `?`.
    pub typed: Option<&'a str>,
}

/// What [`render_with`] drew.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shown {
    /// The first unit drawn and how many.
    pub first_unit: usize,
    pub units: usize,
    /// How many characters (columns of cells, one or two wide).
    pub chars: usize,
}

/// Draw the grid for `completion` into `area` (no border). Returns how many units and
/// characters were shown.
pub fn render(
    completion: &Completion,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) -> (usize, usize) {
    let s = render_with(completion, GridOptions::default(), theme, area, buf);
    (s.units, s.chars)
}

/// The axis labels of `completion`: one per token, with whether it is a character the
/// vocabulary lacks (labelled with what was typed, when known).
fn labels(completion: &Completion, typed: Option<&str>) -> Vec<(String, bool)> {
    let mut typed = typed.map(|t| t.chars());
    completion
        .tokens
        .iter()
        .enumerate()
        .map(|(i, tok)| {
            let typed_char = if i < completion.prefix_len {
                typed.as_mut().and_then(|t| t.next())
            } else {
                None
            };
            if tok == UNK {
                let shown = typed_char.map_or("?".to_owned(), |c| token_label(&c.to_string()));
                (shown, true)
            } else {
                (token_label(tok), false)
            }
        })
        .collect()
}

/// Draw the grid with a highlighted unit and typed labels (see [`GridOptions`]).
pub fn render_with(
    completion: &Completion,
    opts: GridOptions,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) -> Shown {
    if area.width <= GUTTER || area.height < 2 || completion.hidden.is_empty() {
        return Shown::default();
    }
    let hiddens = completion.hidden[0].len();
    let per_row = per_row(theme.mode, hiddens, area.height);
    let rows = grid_rows(area, hiddens, per_row);
    let selected = opts.selected.filter(|&u| u < hiddens);
    let first = first_row(selected, per_row, rows);
    let labels = labels(completion, opts.typed);
    // Each character's x and width, as far as they fit; when not all do, the last column says
    // so with `…` on the character axis.
    let right = area.x + area.width;
    let all_w: u16 = labels.iter().map(|(l, _)| label_width(l)).sum();
    let all_fit = GUTTER + all_w <= area.width;
    let end = if all_fit { right } else { right - 1 };
    let mut cols = Vec::new();
    let mut x = area.x + GUTTER;
    for (label, _) in &labels {
        let w = label_width(label);
        if x + w > end {
            break;
        }
        cols.push((x, w));
        x += w;
    }
    let dim = theme.dim_style();
    let mark = Style::default()
        .fg(theme.accent)
        .add_modifier(Modifier::BOLD | Modifier::REVERSED);
    for r in 0..rows {
        let y = area.y + r as u16;
        let unit = (first + r) * per_row;
        let here = selected.filter(|&s| s >= unit && s < unit + per_row);
        match here {
            Some(s) => {
                buf.set_stringn(area.x, y, format!("{s:>3}"), 3, mark);
                buf.set_stringn(
                    area.x + 3,
                    y,
                    "▸",
                    1,
                    mark.remove_modifier(Modifier::REVERSED),
                );
            }
            None => {
                buf.set_stringn(area.x, y, format!("{unit:>3} "), GUTTER as usize, dim);
            }
        }
        for (h, &(x, w)) in completion.hidden.iter().zip(&cols) {
            for dx in 0..w {
                let cell = &mut buf[(x + dx, y)];
                if let (1, Some(c)) = (per_row, theme.heat(h[unit])) {
                    cell.set_symbol("█").set_fg(c).set_bg(theme.bg);
                } else if per_row == 1 {
                    cell.set_symbol(glyph(h[unit])).set_style(Style::default());
                } else {
                    let top = theme.heat(h[unit]).unwrap_or(theme.fg);
                    let bottom = h
                        .get(unit + 1)
                        .and_then(|&v| theme.heat(v))
                        .unwrap_or(theme.bg);
                    cell.set_symbol("▀").set_fg(top).set_bg(bottom);
                }
            }
        }
    }
    // Characters along the bottom axis, prefix and continuation styled apart, characters the
    // vocabulary lacks marked.
    let y = area.y + rows as u16;
    buf.set_stringn(area.x, y, "chr ", GUTTER as usize, dim);
    for (i, ((label, unknown), &(x, w))) in labels.iter().zip(&cols).enumerate() {
        let style = if *unknown {
            Style::default()
                .fg(theme.warn)
                .add_modifier(Modifier::UNDERLINED)
        } else if i < completion.prefix_len {
            Style::default()
                .fg(theme.prefix)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(theme.continuation)
        };
        buf.set_stringn(x, y, label, w as usize, style);
    }
    if all_fit {
        text_width::intended_parts(
            std::iter::once("chr ").chain(labels.iter().map(|(l, _)| l.as_str())),
        );
    } else {
        buf.set_stringn(x, y, text_width::ELLIPSIS.to_string(), 1, dim);
    }
    Shown {
        first_unit: first * per_row,
        units: (rows * per_row).min(hiddens - first * per_row),
        chars: cols.len(),
    }
}

/// The validation excerpt coloured by `unit`, wrapped into `area` (line breaks start a new
/// line). Returns how many characters were drawn.
pub fn render_strip(
    probe: &Probe,
    unit: usize,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) -> usize {
    if area.width <= GUTTER || area.height == 0 {
        return 0;
    }
    buf.set_stringn(area.x, area.y, "val▸", GUTTER as usize, theme.dim_style());
    let left = area.x + GUTTER;
    let right = area.x + area.width;
    let (mut x, mut y) = (left, area.y);
    let mut drawn = 0;
    // Each row's text: the excerpt wraps between characters, as the completion does.
    let mut row = String::new();
    for (tok, state) in probe.tokens().iter().zip(probe.states()) {
        let label = match tok.as_str() {
            " " => " ".to_owned(),
            t => token_label(t),
        };
        let w = label_width(&label);
        if x + w > right {
            text_width::intended_whole(&std::mem::take(&mut row));
            x = left;
            y += 1;
        }
        if y >= area.y + area.height {
            break;
        }
        let v = state.get(unit).copied().unwrap_or(0.0);
        buf.set_stringn(x, y, &label, w as usize, activation_style(theme, v));
        row.push_str(&label);
        drawn += 1;
        x += w;
        if tok == "\n" {
            text_width::intended_whole(&std::mem::take(&mut row));
            x = left;
            y += 1;
        }
    }
    text_width::intended_whole(&row);
    drawn
}

/// The strip's heading: the selected unit, the feature it follows most closely and r.
fn strip_heading(state: &HeatmapState, unit: usize) -> String {
    let found = state
        .found
        .filter(|s| s.unit == unit)
        .map_or("", |_| " (found with f)");
    match state.score() {
        Some(s) => format!(
            "unit {unit}{found}: {} r={:+.2} · validation text:",
            s.feature.name(),
            s.r
        ),
        None => format!("unit {unit}: follows no visible feature · validation text:"),
    }
}

/// What the heatmap shows from elsewhere: the completion pane's newest completion, the prefix
/// as typed (see [`GridOptions::typed`]) and the model (for which states it has).
#[derive(Clone, Copy, Default)]
pub struct Shows<'a> {
    pub completion: Option<&'a Completion>,
    pub typed: Option<&'a str>,
    pub snapshot: Option<&'a ModelSnapshot>,
}

/// The legend's words for the colours: tanh's hidden states lie in −1…+1; an LSTM's cell
/// state does not, so its legend says the colours stop at ±1 and gives the range shown.
fn legend(mode: ColorMode, cell_state: bool, hidden: &[Vec<f32>]) -> String {
    let ramp = if mode == ColorMode::NoColor {
        "−1 ●○∘· 0 ░▒▓█ +1"
    } else {
        "−1 … 0 … +1"
    };
    if !cell_state {
        return ramp.to_owned();
    }
    let values = hidden.iter().flatten().copied().filter(|v| v.is_finite());
    let (lo, hi) = values.fold((0f32, 0f32), |(lo, hi), v| (lo.min(v), hi.max(v)));
    format!("{ramp} (and beyond) · cell state {lo:+.2}…{hi:+.2}")
}

impl Panel for HeatmapState {
    type Shows<'a> = Shows<'a>;

    /// The grid of the newest completion's states, the selection and the validation strip;
    /// the title names the state shown when the model has several (`layer 1/2 cell state`).
    fn draw(&self, f: &mut Frame, area: Rect, ctx: Ctx, shows: Shows) {
        draw(f, area, ctx, self, shows);
    }
}

fn draw(f: &mut Frame, area: Rect, ctx: Ctx, state: &HeatmapState, shows: Shows) {
    let Shows {
        completion,
        typed,
        snapshot,
    } = shows;
    let view = state.view_label(snapshot);
    let t = ctx.theme;
    let heading = title(" Hidden state ", t);
    let Some(comp) = completion else {
        let inner = framed(f, area, panel_block(heading, ctx));
        placeholder(f, inner, "no completion yet", t);
        return;
    };
    let hiddens = comp.hidden.first().map_or(0, |h| h.len());
    let selected = state.selected_in(hiddens);
    let mut spans = vec![heading];
    // Which state is shown comes first: it says what the rows mean.
    if !view.is_empty() {
        spans.push(Span::styled(view.to_owned(), t.key_style()));
    }
    if let Some(u) = selected {
        let r = state
            .score()
            .map_or(String::new(), |s| format!(" r={:+.2}", s.r));
        spans.push(Span::styled(format!("unit {u}{r} "), t.key_style()));
    }
    if selected.is_none() && ctx.focused {
        spans.push(Span::styled("(↑/↓ unit · f find) ", t.dim_style()));
    }
    let size = Span::styled(
        format!("{hiddens} units × {} chars ", comp.tokens.len()),
        t.dim_style(),
    );
    // The selected unit and its r are the title's key figures: where they do not fit beside
    // the panel's name, the name gives way (its digit stays); the grid's size, last, is what
    // a short title cuts (with `…`).
    let room = ctx.width.saturating_sub(2) as usize;
    let title_w = |spans: &[Span]| -> usize {
        spans
            .iter()
            .map(|s| text_width::width(&s.content))
            .sum::<usize>()
            + 4
    };
    if selected.is_some() && title_w(&spans) > room {
        spans[0] = Span::raw(" ");
    }
    spans.push(size);
    let inner = framed(f, area, panel_block(Line::from(spans), ctx));
    let (grid, strip, _) = state.split(inner, hiddens, t.mode);
    let shown = render_with(
        comp,
        GridOptions { selected, typed },
        t,
        grid,
        f.buffer_mut(),
    );
    if let (Some(strip), Some(u)) = (strip, selected) {
        let [head, text] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(strip);
        match &state.probe {
            Some(p) => {
                let (heading, _) =
                    text_width::truncate(&strip_heading(state, u), head.width as usize);
                f.buffer_mut().set_stringn(
                    head.x,
                    head.y,
                    heading,
                    head.width as usize,
                    t.key_style(),
                );
                render_strip(p, u, t, text, f.buffer_mut());
            }
            None => placeholder(f, head, "validation states: waiting for the trainer", t),
        }
    }
    // Legend (and what did not fit, and why `f` found nothing) on the bottom border.
    let cell_state = snapshot.is_some_and(|s| state.view.fit(s).cell);
    let mut note = legend(t.mode, cell_state, &comp.hidden);
    if shown.units < hiddens || shown.chars < comp.tokens.len() {
        let units = if shown.first_unit > 0 {
            format!(
                "units {}–{}/{hiddens}",
                shown.first_unit,
                shown.first_unit + shown.units - 1
            )
        } else {
            format!("{}/{hiddens} units", shown.units)
        };
        note = format!(
            "{note} · {units} · {}/{} chars",
            shown.chars,
            comp.tokens.len()
        );
    }
    if let Some(n) = &state.note {
        note = format!("{n} · {note}");
    }
    if t.mode != ColorMode::NoColor && area.width > 8 && area.height > 1 {
        // A small colour ramp for the legend.
        let y = area.y + area.height - 1;
        let x0 = area.x + 2;
        let buf = f.buffer_mut();
        let ramp_w = 9u16.min(area.width.saturating_sub(4));
        for k in 0..ramp_w {
            let v = -1.0 + 2.0 * k as f32 / (ramp_w.max(2) - 1) as f32;
            if let Some(c) = t.heat(v) {
                buf[(x0 + k, y)].set_symbol("█").set_fg(c);
            }
        }
        let text_x = x0 + ramp_w + 1;
        if text_x < area.x + area.width - 1 {
            let w = (area.x + area.width - 1 - text_x) as usize;
            let (text, _) = text_width::truncate(&format!(" {note} "), w);
            buf.set_stringn(text_x, y, text, w, t.dim_style());
        }
    } else if area.width > 4 && area.height > 1 {
        let y = area.y + area.height - 1;
        let w = (area.width - 3) as usize;
        let (text, _) = text_width::truncate(&format!(" {note} "), w);
        f.buffer_mut()
            .set_stringn(area.x + 2, y, text, w, t.dim_style());
    }
}
