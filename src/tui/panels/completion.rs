//! Live completion: the user types a prefix, the newest snapshot continues it — greedily, or
//! sampled with a temperature, top-k and seed (the same [`Sampling`] as `rnn-tui sample`) — on
//! every keystroke and again whenever a new snapshot arrives.
//!
//! Typing is a mode entered on purpose (`/` from anywhere, `i` or Enter on the pane; focusing
//! the pane does not), shown by a cursor and `TYPING` in the footer, left with one Esc. While
//! typing every printable key is text (Korean and other wide characters too: a composed
//! character arrives as one key); the pane's own commands are Ctrl keys (see [`keys`]).
//! Characters the model's vocabulary lacks stay in the prefix, marked, and are read as `<unk>`.

use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::metrics::SampleRecord;
use crate::model::snapshot::{Completion, StateView};
use crate::model::{ModelSnapshot, Sampling};
use crate::text_width;
use crate::tui::context::{Ctx, Handled, KeyHelp, Panel};
use crate::tui::panels::heatmap::activation_style;
use crate::tui::theme::Theme;
use crate::tui::widgets::{fmt_ppl, panel_block, title};

/// Characters generated after the prefix by default, and at least (the run's `completion_len`
/// sets the least; more where the panes have room: see [`CompletionState::set_fill_len`]).
pub const CONTINUATION_LEN: usize = crate::hparams::DEFAULT_COMPLETION_LEN;
/// Characters generated to fill the panes, at most, however large they are (a longer
/// `completion_len` is still generated whole): each is a step of the model on every
/// keystroke, and a big model's steps must stay within a frame.
pub const MAX_CONTINUATION_LEN: usize = 200;
/// The longest opening of the text taken as the prefix (see [`opening`]).
const OPENING_MAX_CHARS: usize = 24;
/// Epoch samples the pane keeps (the newest).
pub const MAX_SAMPLES: usize = 10_000;
/// The prefix shown at start (d2l's own example).
pub const DEFAULT_PREFIX: &str = "time traveller ";
/// Longest prefix kept (the heatmap cannot show more anyway).
pub const MAX_PREFIX: usize = 200;
/// The temperatures Ctrl-↑/↓ step through (the lowest is as good as greedy).
pub const TEMPERATURES: [f64; 13] = [
    0.01, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5, 2.0, 3.0,
];
/// The top-k limits Ctrl-→/← step through; past the last: no limit.
pub const TOP_KS: [usize; 7] = [1, 2, 3, 5, 10, 20, 40];

/// The pane's keys, for the help overlay and the footer. While typing, only keys that are not
/// text reach anything (Esc, Tab, Ctrl-… and Alt-… combinations, paste).
pub fn keys() -> &'static [KeyHelp] {
    const KEYS: &[KeyHelp] = &[
        KeyHelp::help_only("/", "jump here from any panel and start typing"),
        KeyHelp::new(
            "Enter or i",
            "type",
            "start typing into the prefix (reaching the pane does not: its digits still move)",
        ),
        KeyHelp::help_only(
            "a-z 0-9 space",
            "are text while TYPING shows in the footer (q, r, s, z, 1-5 too; any script)",
        ),
        KeyHelp::new("Backspace", "delete", "delete the last character"),
        KeyHelp::new("Esc", "stop typing", "stop typing: keys are commands again"),
        KeyHelp::help_only("Ctrl-W", "delete the last word"),
        KeyHelp::new("Ctrl-U", "clear", "clear the prefix"),
        KeyHelp::help_only(
            "paste",
            "insert pasted text into the prefix (bracketed paste; from any panel)",
        ),
        KeyHelp::new(
            "Ctrl-T",
            "sample",
            "greedy ↔ sampled with a temperature, top-k and seed (the title shows which)",
        ),
        KeyHelp::new("Ctrl-N", "new", "a new sample: the next seed"),
        KeyHelp::help_only("Ctrl-↑/↓", "sampling temperature up / down (Alt-↑/↓ too)"),
        KeyHelp::help_only(
            "Ctrl-→/←",
            "top-k up / down, past 40: every character (Alt-→/← too)",
        ),
        KeyHelp::new(
            "↑/↓, PgUp/PgDn",
            "history",
            "zoomed (z): scroll the sample history, the greedy completion at each epoch's end",
        ),
    ];
    KEYS
}

/// How the pane continues the prefix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PaneSampling {
    /// False: greedy (d2l's `predict`).
    pub sampled: bool,
    pub temperature: f64,
    /// `None`: every character can be drawn.
    pub top_k: Option<usize>,
    pub seed: u64,
}

impl Default for PaneSampling {
    fn default() -> Self {
        PaneSampling {
            sampled: false,
            temperature: 0.8,
            top_k: None,
            seed: 0,
        }
    }
}

impl PaneSampling {
    /// What the title shows: `greedy`, or e.g. `T=0.8 k=10 seed 3`.
    pub fn label(&self) -> String {
        if !self.sampled {
            return "greedy".into();
        }
        let k = self.top_k.map_or("all".to_owned(), |k| k.to_string());
        format!("T={} k={k} seed {}", self.temperature, self.seed)
    }

    /// The sampling `rnn-tui sample` would use for the same settings.
    pub fn sampling(&self) -> Sampling {
        if self.sampled {
            Sampling {
                temperature: Some(self.temperature),
                top_k: self.top_k,
            }
        } else {
            Sampling::greedy()
        }
    }

    fn step_temperature(&mut self, up: bool) {
        let i = TEMPERATURES
            .iter()
            .position(|&t| t >= self.temperature - 1e-9)
            .unwrap_or(TEMPERATURES.len() - 1);
        let exact = (TEMPERATURES[i] - self.temperature).abs() < 1e-9;
        let j = match (up, exact) {
            (true, true) => (i + 1).min(TEMPERATURES.len() - 1),
            (true, false) => i,
            (false, _) => i.saturating_sub(1),
        };
        self.temperature = TEMPERATURES[j];
        self.sampled = true;
    }

    fn step_top_k(&mut self, up: bool) {
        let last = TOP_KS.len() - 1;
        self.top_k = match (self.top_k, up) {
            (None, true) => None,
            (None, false) => Some(TOP_KS[last]),
            (Some(k), up) => {
                let i = TOP_KS.iter().position(|&t| t >= k).unwrap_or(last);
                match up {
                    true if TOP_KS[i] > k => Some(TOP_KS[i]),
                    true if i == last => None,
                    true => Some(TOP_KS[i + 1]),
                    false => Some(TOP_KS[i.saturating_sub(1)]),
                }
            }
        };
        self.sampled = true;
    }
}

#[derive(Clone, Debug)]
pub struct CompletionState {
    /// The prefix as typed (characters outside the vocabulary included).
    pub prefix: String,
    pub snapshot: Option<Arc<ModelSnapshot>>,
    pub completion: Option<Completion>,
    pub error: Option<String>,
    /// Keys type into the prefix (the pane is focused and not left with Esc).
    pub typing: bool,
    pub sampling: PaneSampling,
    /// Completions computed (for tests and the benchmark).
    pub computed: u64,
    /// Which state (layer, hidden or LSTM cell) the completion records after each character:
    /// the one the heatmap shows (its [`super::heatmap::HeatmapState::view`]).
    pub records: StateView,
    /// The run's `completion_len`: the least the pane completes, and the length of the epoch
    /// samples (the trainer's).
    pub len: usize,
    /// Characters generated after the prefix: `len`, or more to fill the completion pane and
    /// the heatmap's columns (the cockpit gives their room from the layout).
    pub length: usize,
    /// Characters the panes have room for, as the cockpit last said (see
    /// [`CompletionState::set_fill_len`]).
    pub fill: usize,
    /// The sample kept at each epoch's end, oldest first (at most [`MAX_SAMPLES`]).
    pub samples: Vec<SampleRecord>,
    /// Samples scrolled past at the top of the history (newest first).
    pub history_scroll: usize,
}

impl Default for CompletionState {
    fn default() -> Self {
        CompletionState {
            prefix: DEFAULT_PREFIX.to_owned(),
            snapshot: None,
            completion: None,
            error: None,
            typing: false,
            sampling: PaneSampling::default(),
            computed: 0,
            records: StateView::default(),
            len: CONTINUATION_LEN,
            length: CONTINUATION_LEN,
            fill: 0,
            samples: Vec::new(),
            history_scroll: 0,
        }
    }
}

impl CompletionState {
    pub fn set_snapshot(&mut self, s: Arc<ModelSnapshot>) {
        self.snapshot = Some(s);
        self.recompute();
    }

    /// The panes have room for `n` characters after the prefix: generate that many from now
    /// on (at least the run's `completion_len`, at most [`MAX_CONTINUATION_LEN`] unless the
    /// run asks for more), recomputing when that changes what is shown.
    pub fn set_fill_len(&mut self, n: usize) {
        self.fill = n;
        self.fit_length();
    }

    /// The run's `completion_len` from now on: the least the pane completes.
    pub fn set_len(&mut self, len: usize) {
        self.len = len;
        self.fit_length();
    }

    /// `length` from the setting and the room, recomputing when it changes.
    fn fit_length(&mut self) {
        let most = self.len.max(MAX_CONTINUATION_LEN);
        let n = self.fill.clamp(self.len, most);
        if n != self.length {
            self.length = n;
            self.recompute();
        }
    }

    /// Start from the opening of `text` (the validation text the model learns from) while the
    /// prefix is still the built-in one and the model's vocabulary lacks some of its
    /// characters: `time traveller` in Korean is all `<unk>`, and teaches nothing.
    pub fn prefer_opening_of(&mut self, text: &str) {
        let Some(s) = &self.snapshot else { return };
        if self.prefix != DEFAULT_PREFIX
            || DEFAULT_PREFIX
                .chars()
                .all(|c| s.vocab.id(c) != s.vocab.unk())
        {
            return;
        }
        let open = opening(text);
        if !open.trim().is_empty() {
            self.prefix = open;
            self.recompute();
        }
    }

    /// Forget the model (a new run starts); the prefix stays.
    pub fn clear_model(&mut self) {
        self.snapshot = None;
        self.completion = None;
        self.error = None;
        self.samples.clear();
        self.history_scroll = 0;
    }

    /// An epoch's sample (a later one for the same epoch, after a resume, replaces it).
    pub fn push_sample(&mut self, s: SampleRecord) {
        while self.samples.last().is_some_and(|l| l.epoch >= s.epoch) {
            self.samples.pop();
        }
        self.samples.push(s);
        if self.samples.len() > MAX_SAMPLES {
            self.samples.remove(0);
        }
        // Scrolled down, the view stays on the same samples.
        if self.history_scroll > 0 {
            self.history_scroll += 1;
        }
    }

    /// ↑/↓ (one), PgUp/PgDn (ten), Home/End: scroll the history. Whether `key` was one.
    fn on_history_key(&mut self, key: KeyEvent) -> bool {
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return false;
        }
        let last = self.samples.len().saturating_sub(1);
        let s = self.history_scroll;
        self.history_scroll = match key.code {
            KeyCode::Up => s.saturating_sub(1),
            KeyCode::Down => (s + 1).min(last),
            KeyCode::PageUp => s.saturating_sub(10),
            KeyCode::PageDown => (s + 10).min(last),
            KeyCode::Home if !self.typing => 0,
            KeyCode::End if !self.typing => last,
            _ => return false,
        };
        true
    }

    /// `c` as the model should read it: itself when the vocabulary has it, else its lower
    /// case when the vocabulary has that (d2l's texts are lower-cased), else itself (unknown,
    /// shown marked and read as `<unk>`). Without a model yet: ASCII lower case, as d2l.
    fn normalise(&self, c: char) -> char {
        let Some(s) = &self.snapshot else {
            return c.to_ascii_lowercase();
        };
        s.vocab.read_char(c)
    }

    /// Add `c` to the prefix (without recomputing); control characters are left out, except
    /// line breaks and tabs, kept when the vocabulary has them and read as spaces otherwise.
    fn push(&mut self, c: char) -> bool {
        if self.prefix.chars().count() >= MAX_PREFIX {
            return false;
        }
        let c = if c.is_control() {
            let known = self
                .snapshot
                .as_ref()
                .is_some_and(|s| s.vocab.id(c) != s.vocab.unk());
            match c {
                '\n' | '\t' if known => c,
                '\n' | '\t' => ' ',
                _ => return false,
            }
        } else {
            self.normalise(c)
        };
        self.prefix.push(c);
        true
    }

    /// Append a typed character (see [`CompletionState::normalise`]).
    pub fn type_char(&mut self, c: char) {
        if !c.is_control() && self.push(c) {
            self.recompute();
        }
    }

    /// Insert pasted text (CRLF line ends read as one break), then complete once.
    pub fn paste(&mut self, text: &str) {
        let mut any = false;
        for c in text.replace("\r\n", "\n").chars() {
            if self.prefix.chars().count() >= MAX_PREFIX {
                break;
            }
            any |= self.push(c);
        }
        if any {
            self.recompute();
        }
    }

    pub fn backspace(&mut self) {
        self.prefix.pop();
        self.recompute();
    }

    /// Ctrl-W: the trailing white space, then the word before it.
    pub fn delete_word(&mut self) {
        while self.prefix.ends_with(char::is_whitespace) {
            self.prefix.pop();
        }
        while self
            .prefix
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_whitespace())
        {
            self.prefix.pop();
        }
        self.recompute();
    }

    /// Ctrl-U: an empty prefix.
    pub fn clear_prefix(&mut self) {
        self.prefix.clear();
        self.recompute();
    }

    /// Characters of the prefix the model's vocabulary lacks, each once, in order.
    pub fn unknown(&self) -> Vec<char> {
        let Some(s) = &self.snapshot else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for c in self.prefix.chars() {
            if s.vocab.id(c) == s.vocab.unk() && !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    /// The sampling keys, whether typing or not. Returns whether `key` was one.
    fn on_mode_key(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let s = &mut self.sampling;
        match key.code {
            KeyCode::Char('t') if ctrl => s.sampled = !s.sampled,
            KeyCode::Char('n') if ctrl => {
                if s.sampled {
                    s.seed = s.seed.wrapping_add(1);
                }
                s.sampled = true;
            }
            KeyCode::Up if ctrl || alt => s.step_temperature(true),
            KeyCode::Down if ctrl || alt => s.step_temperature(false),
            KeyCode::Right if ctrl || alt => s.step_top_k(true),
            KeyCode::Left if ctrl || alt => s.step_top_k(false),
            KeyCode::Char('u') if ctrl => {
                self.clear_prefix();
                return true;
            }
            KeyCode::Char('w') if ctrl => {
                self.delete_word();
                return true;
            }
            _ => return false,
        }
        self.recompute();
        true
    }

    /// A key while the pane has the focus. While typing it takes every key (Esc leaves);
    /// otherwise Enter and `i` start typing and the rest is left to the cockpit. The Ctrl keys
    /// of [`keys`] work either way. The effects are all the pane's own.
    pub fn on_key(&mut self, key: KeyEvent) -> Handled {
        if self.on_mode_key(key) || self.on_history_key(key) {
            return Handled::Yes;
        }
        if !self.typing {
            if matches!(key.code, KeyCode::Enter | KeyCode::Char('i')) {
                self.typing = true;
                return Handled::Yes;
            }
            return Handled::No;
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
        Handled::Yes
    }

    /// Record `view` (the heatmap's choice of layer and cell state) for each character from
    /// now on.
    pub fn record_state(&mut self, view: StateView) {
        if view != self.records {
            self.records = view;
            self.recompute();
        }
    }

    pub fn recompute(&mut self) {
        let Some(s) = &self.snapshot else { return };
        self.computed += 1;
        let mut rng = ChaCha8Rng::seed_from_u64(self.sampling.seed);
        match s.sample_showing(
            &self.prefix,
            self.length,
            &self.sampling.sampling(),
            self.records,
            &mut rng,
        ) {
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

/// `base` with the activation colouring of `v` (background, or a modifier under NO_COLOR).
fn coloured(base: Style, theme: &Theme, v: Option<f32>) -> Style {
    let Some(v) = v else { return base };
    let act = activation_style(theme, v);
    let s = match act.bg {
        Some(bg) => base.bg(bg),
        None => base,
    };
    s.add_modifier(act.add_modifier)
}

impl CompletionState {
    /// The typed prefix, characters the vocabulary lacks marked.
    fn prefix_spans(&self, style: Style, unknown: Style) -> Vec<Span<'static>> {
        let unk = self.unknown();
        self.prefix
            .chars()
            .map(|c| {
                let s = if unk.contains(&c) { unknown } else { style };
                Span::styled(shown(c), s)
            })
            .collect()
    }
}

/// What the completion pane shows from outside its state.
#[derive(Clone, Copy, Debug, Default)]
pub struct Shows {
    /// The heatmap's selected unit: each character of the completion gets its activation as
    /// its background (the neuron inspector).
    pub unit: Option<usize>,
    /// The pane fills the body (`z`): the sample history fills the rows below the live
    /// completion.
    pub zoomed: bool,
}

impl Panel for CompletionState {
    type Shows<'a> = Shows;

    fn draw(&self, f: &mut Frame, area: Rect, ctx: Ctx, shows: Shows) {
        let Shows { unit, zoomed } = shows;
        let t = ctx.theme;
        let c = self;
        let focused = ctx.focused;
        let hint = if focused && c.typing {
            "typing · Esc leaves · Tab moves on · ^T sample · ^N new"
        } else if focused {
            "Enter or i to type"
        } else {
            "/ to type"
        };
        let heading = Line::from(vec![
            title(" Completion ", t),
            Span::styled(format!("{} ", c.sampling.label()), t.key_style()),
            Span::styled(format!("({hint}) "), t.dim_style()),
        ]);
        let block = panel_block(heading, ctx);
        let prefix_style = Style::default().fg(t.prefix).add_modifier(Modifier::BOLD);
        let unknown_style = Style::default()
            .fg(t.warn)
            .add_modifier(Modifier::UNDERLINED | Modifier::BOLD);
        let cont_style = Style::default().fg(t.continuation);
        let mut input = vec![Span::styled("› ", t.dim_style())];
        input.extend(c.prefix_spans(prefix_style, unknown_style));
        if focused && c.typing {
            input.push(Span::styled(
                "▏",
                Style::default()
                    .fg(t.accent)
                    .add_modifier(Modifier::SLOW_BLINK),
            ));
        }
        let mut lines = vec![Line::from(input)];
        let unk = c.unknown();
        if !unk.is_empty() {
            let list: String = unk
                .iter()
                .map(|&ch| shown(ch))
                .collect::<Vec<_>>()
                .join(" ");
            // Broken between words only, so `<unk>` is never split over two lines.
            let cols = block.inner(area).width as usize;
            let warning = format!("not in the vocabulary, read as <unk>: {list}");
            for part in text_width::wrap_words(&warning, cols) {
                lines.push(Line::from(Span::styled(part, Style::default().fg(t.warn))));
            }
        }
        let output = match (&c.completion, &c.error, &c.snapshot) {
            (_, Some(e), _) => Line::from(Span::styled(e.clone(), Style::default().fg(t.warn))),
            (Some(comp), _, _) => {
                let act = |i: usize| unit.and_then(|u| comp.hidden.get(i)?.get(u).copied());
                let under = prefix_style.add_modifier(Modifier::UNDERLINED);
                let mut spans: Vec<Span> = c
                    .prefix_spans(under, unknown_style)
                    .into_iter()
                    .take(comp.prefix_len)
                    .enumerate()
                    .map(|(i, s)| {
                        let style = coloured(s.style, t, act(i));
                        Span::styled(s.content, style)
                    })
                    .collect();
                for (i, tok) in comp.tokens.iter().enumerate().skip(comp.prefix_len) {
                    spans.push(Span::styled(tok.clone(), coloured(cont_style, t, act(i))));
                }
                Line::from(spans)
            }
            (None, _, None) => Line::from(Span::styled("no model yet", t.dim_style())),
            (None, _, Some(_)) => Line::from(Span::styled("…", t.dim_style())),
        };
        lines.push(output);
        // Wrapped here rather than by `Paragraph::wrap`, which can put a two-column character
        // in a line's last column, over the border (ratatui issue #2679).
        let cols = block.inner(area).width as usize;
        let wrapped: Vec<Line> = lines
            .iter()
            .flat_map(|line| {
                let spans: Vec<(&str, Style)> = line
                    .spans
                    .iter()
                    .map(|s| (s.content.as_ref(), s.style))
                    .collect();
                text_width::wrap_spans(&spans, cols)
            })
            .map(|parts| {
                Line::from(
                    parts
                        .into_iter()
                        .map(|(text, style)| Span::styled(text, style))
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        let inner = block.inner(area);
        let live_rows = wrapped.len() as u16;
        f.render_widget(Paragraph::new(wrapped).block(block), area);
        if zoomed && inner.height > live_rows + 2 {
            let rest = Rect::new(
                inner.x,
                inner.y + live_rows + 1,
                inner.width,
                inner.height - live_rows - 1,
            );
            self.draw_history(f, rest, t);
        }
    }
}

impl CompletionState {
    /// The sample history, newest first, scrolled by `history_scroll`: one row per epoch
    /// (more where a completion wraps), its epoch and validation perplexity first.
    fn draw_history(&self, f: &mut Frame, area: Rect, t: &Theme) {
        let n = self.samples.len();
        let heading = if n == 0 {
            "sample history: the greedy completion at each epoch's end (none yet)".to_owned()
        } else {
            format!(
                "sample history ({n} epochs, newest first{}) · ↑/↓ PgUp/PgDn scroll",
                if self.history_scroll > 0 {
                    format!(", {} newer above", self.history_scroll)
                } else {
                    String::new()
                }
            )
        };
        let cols = area.width as usize;
        let mut lines = vec![Line::from(Span::styled(
            text_width::truncate(&heading, cols).0,
            t.dim_style().add_modifier(Modifier::BOLD),
        ))];
        for s in self.samples.iter().rev().skip(self.history_scroll) {
            if lines.len() >= area.height as usize {
                break;
            }
            let head = format!("ep {:>4} · val {:>6} │ ", s.epoch, fmt_ppl(s.val_ppl));
            let spans = [
                (head.as_str(), t.dim_style()),
                (
                    s.prefix.as_str(),
                    Style::default().fg(t.prefix).add_modifier(Modifier::BOLD),
                ),
                (s.completion.as_str(), Style::default().fg(t.continuation)),
            ];
            for parts in text_width::wrap_spans(&spans, cols) {
                lines.push(Line::from(
                    parts
                        .into_iter()
                        .map(|(text, style)| Span::styled(text, style))
                        .collect::<Vec<_>>(),
                ));
            }
        }
        lines.truncate(area.height as usize);
        f.render_widget(Paragraph::new(lines), area);
    }
}

/// The first word or two of `text` and a space: two words when they are short enough to leave
/// room for the completion (at most [`OPENING_MAX_CHARS`] characters), else the first word,
/// itself cut there.
pub fn opening(text: &str) -> String {
    let mut words = text.split_whitespace();
    let first: String = words
        .next()
        .unwrap_or("")
        .chars()
        .take(OPENING_MAX_CHARS)
        .collect();
    if first.is_empty() {
        return String::new();
    }
    let mut out = first;
    if let Some(second) = words.next() {
        if out.chars().count() + 1 + second.chars().count() <= OPENING_MAX_CHARS {
            out.push(' ');
            out.push_str(second);
        }
    }
    out.push(' ');
    out
}

/// A prefix character as drawn: line breaks and tabs as arrows (they would move the cursor).
fn shown(c: char) -> String {
    match c {
        '\n' => "↵".into(),
        '\t' => "→".into(),
        c => c.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_length_is_the_setting_at_least_and_fills_the_room_up_to_its_cap() {
        let mut c = CompletionState::default();
        assert_eq!(c.length, CONTINUATION_LEN);
        // Room for 120 characters: filled.
        c.set_fill_len(120);
        assert_eq!(c.length, 120);
        // Beyond the cap: the cap.
        c.set_fill_len(10_000);
        assert_eq!(c.length, MAX_CONTINUATION_LEN);
        // Little room: the run's completion_len still.
        c.set_fill_len(10);
        assert_eq!(c.length, CONTINUATION_LEN);
        // A shorter setting lets the room decide; a longer one than the cap is generated whole.
        c.set_len(12);
        assert_eq!(c.length, 12);
        c.set_fill_len(90);
        assert_eq!(c.length, 90);
        c.set_len(500);
        assert_eq!(c.length, 500);
    }
}
