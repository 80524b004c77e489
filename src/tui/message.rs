//! The message line: one row above the key hints for what the cockpit has to tell — the result
//! of an action, something refused, an error — each with its level, so a message never hides
//! the key hints or the progress gauge.
//!
//! How long a message stays depends on its level (as in lazygit and k9s): information and
//! warnings fade after a few seconds, or at the next key; an error stays until Esc dismisses
//! it or something makes it stale (a valid value typed after a refused one). [`App`] keeps
//! the message and the clock; this module says how long each level lasts and draws the line.
//!
//! [`App`]: super::App

use std::time::Duration;

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::context::Level;
use super::theme::Theme;
use super::widgets::fit_spans;
use crate::text_width;

/// How long an information message stays when no key is pressed.
pub const INFO_FADES_AFTER: Duration = Duration::from_secs(4);
/// How long a warning stays when no key is pressed: twice as long, it asks for something.
pub const WARNING_FADES_AFTER: Duration = Duration::from_secs(8);

/// How long a message of `level` stays on its own; `None`: until dismissed or stale.
pub fn fades_after(level: Level) -> Option<Duration> {
    match level {
        Level::Info => Some(INFO_FADES_AFTER),
        Level::Warn => Some(WARNING_FADES_AFTER),
        Level::Error => None,
    }
}

/// Whether the next key press takes a message of `level` away (it was read by then; an error
/// stays until dismissed).
pub(crate) fn fades_at_next_key(level: Level) -> bool {
    level != Level::Error
}

/// The mark before a message: what kind it is, also without colour.
fn mark(level: Level) -> &'static str {
    match level {
        Level::Info => "•",
        Level::Warn => "▲",
        Level::Error => "✗",
    }
}

/// What the message line shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shown<'a> {
    /// A message of the cockpit's.
    Message(Level, &'a str),
    /// The trainer stopped with this error (shown while no other message is); `watching`: the
    /// run is another process's (q leaves) rather than ours (r restarts).
    TrainerError {
        message: &'a str,
        watching: bool,
    },
    Nothing,
}

/// Draw the message line.
pub fn draw(f: &mut Frame, area: Rect, t: &Theme, shown: Shown) {
    let (level, text, hint) = match shown {
        Shown::Nothing => return,
        Shown::Message(Level::Error, msg) => (Level::Error, msg, "  (Esc dismisses)"),
        Shown::Message(level, msg) => (level, msg, ""),
        Shown::TrainerError { message, watching } => (
            Level::Error,
            message,
            if watching {
                "  (q leaves)"
            } else {
                "  (r restarts)"
            },
        ),
    };
    let color = match level {
        Level::Info => t.ok,
        Level::Warn => t.warn,
        Level::Error => t.error,
    };
    let mark = Span::styled(
        format!(" {} ", mark(level)),
        Style::default().fg(color).add_modifier(Modifier::BOLD),
    );
    let msg = Span::styled(text.to_owned(), Style::default().fg(color));
    let hint = Span::styled(hint, t.dim_style());
    let row = fit_message(mark, msg, hint, area.width as usize);
    // What is meant to be drawn: the message cut before its hint, the hint whole.
    text_width::intended_parts(row.iter().map(|s| s.content.as_ref()));
    let line = Line::from(row);
    f.render_widget(Paragraph::new(line).style(t.base()), area);
}

/// A message row in `cols` columns: the mark, the message and the hint. A message too long is
/// cut (with `…`) before the hint, so the way out stays on screen; when even a short message
/// and the hint do not fit, the hint goes.
fn fit_message(
    mark: Span<'static>,
    msg: Span<'static>,
    hint: Span<'static>,
    cols: usize,
) -> Vec<Span<'static>> {
    /// The least of the message worth keeping beside the hint.
    const MIN_MESSAGE: usize = 12;
    let fixed = text_width::width(&mark.content) + text_width::width(&hint.content);
    let msg_w = text_width::width(&msg.content);
    if fixed + msg_w <= cols || cols >= fixed + MIN_MESSAGE {
        let (cut, _) = text_width::truncate(&msg.content, cols.saturating_sub(fixed));
        return vec![mark, Span::styled(cut, msg.style), hint];
    }
    fit_spans(vec![mark, msg], cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn information_fades_first_errors_stay() {
        assert!(fades_after(Level::Info) < fades_after(Level::Warn));
        assert_eq!(fades_after(Level::Error), None);
        assert!(fades_at_next_key(Level::Info) && fades_at_next_key(Level::Warn));
        assert!(!fades_at_next_key(Level::Error));
    }

    #[test]
    fn a_long_message_is_cut_before_its_hint() {
        let plain =
            |spans: Vec<Span>| -> String { spans.iter().map(|s| s.content.as_ref()).collect() };
        let row = fit_message(
            Span::raw(" ✗ "),
            Span::raw("refused: hiddens must be at least 1 and at most 4096"),
            Span::raw("  (Esc dismisses)"),
            40,
        );
        let text = plain(row);
        assert!(text.ends_with("…  (Esc dismisses)"), "{text}");
        assert!(text_width::width(&text) <= 40, "{text}");
    }
}
