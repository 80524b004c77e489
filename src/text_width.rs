//! Text measured in terminal columns, not bytes or chars: Hangul, Han and kana take two
//! columns, combining marks none. Both front ends lay out tables and bars with these, so a
//! Korean corpus or run name is cut between characters, never inside one, and the columns
//! after it stay in place.
//!
//! Control characters (a newline or an escape in a file name) would move the cursor when
//! printed: they are shown as `�`, one column wide.

use std::borrow::Cow;
use std::cell::RefCell;

use unicode_width::UnicodeWidthChar;

/// What a control character is shown as.
const REPLACEMENT: char = '\u{FFFD}';
/// What marks a cut.
pub const ELLIPSIS: char = '…';

thread_local! {
    /// What the helpers below were asked to lay out, while [`recording_intended`] listens.
    static INTENDED: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Note `s` as text meant to be drawn whole, for [`recording_intended`]: the helpers below do
/// it themselves; a caller that lays text out itself (an axis of per-character columns, the
/// labels a chart widget draws) says so here.
pub fn intended_whole(s: &str) {
    intended_parts([s]);
}

/// [`intended_whole`] for a text in pieces (a line of styled spans): joined only while a test
/// records.
pub fn intended_parts<'a>(parts: impl IntoIterator<Item = &'a str>) {
    INTENDED.with(|r| {
        if let Some(list) = r.borrow_mut().as_mut() {
            let whole: String = parts.into_iter().collect();
            list.push(printable(&whole).into_owned());
        }
    });
}

/// Run `f` and return, with its result, every text the helpers of this module were handed on
/// this thread meanwhile: the whole strings [`truncate`], [`fit_left`], [`fit_right`] and
/// [`tail`] fit, and each line [`wrap_spans`] and [`wrap_words`] made (a wrap is not a cut).
///
/// For tests that prove no drawn text is cut without `…`: a run of text that ends against a
/// border must be the end of one of these, or end with the mark. Off (one thread-local check
/// per call) unless a test asks.
#[doc(hidden)]
pub fn recording_intended<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
    let outer = INTENDED.with(|r| r.borrow_mut().replace(Vec::new()));
    let out = f();
    let list = INTENDED.with(|r| std::mem::replace(&mut *r.borrow_mut(), outer));
    (out, list.unwrap_or_default())
}

/// The character as it is printed, and its width in columns.
fn shown(c: char) -> (char, usize) {
    match c.width() {
        Some(w) if !c.is_control() => (c, w),
        _ => (REPLACEMENT, 1),
    }
}

/// Columns `s` takes on a terminal (control characters count as the one-column `�`).
pub fn width(s: &str) -> usize {
    s.chars().map(|c| shown(c).1).sum()
}

/// `s` with control characters replaced by `�` (borrowed when there are none).
pub fn printable(s: &str) -> Cow<'_, str> {
    if s.chars().any(|c| shown(c).0 != c) {
        Cow::Owned(s.chars().map(|c| shown(c).0).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// The longest start of `s` that fits in `cols` columns, cut between characters (a wide
/// character that would straddle the edge is left out whole), and its width.
pub fn head(s: &str, cols: usize) -> (String, usize) {
    let mut out = String::with_capacity(s.len().min(cols * 4));
    let mut used = 0;
    for c in s.chars() {
        let (c, w) = shown(c);
        if used + w > cols {
            break;
        }
        used += w;
        out.push(c);
    }
    (out, used)
}

/// `s` in at most `cols` columns: whole when it fits, else cut between characters with `…`
/// as the last column. Returns the text and its width.
pub fn truncate(s: &str, cols: usize) -> (String, usize) {
    intended_whole(s);
    let w = width(s);
    if w <= cols {
        return (printable(s).into_owned(), w);
    }
    if cols == 0 {
        return (String::new(), 0);
    }
    let (mut out, used) = head(s, cols - 1);
    out.push(ELLIPSIS);
    (out, used + 1)
}

/// The end of `s` in at most `cols` columns: whole when it fits, else `…` and as many of its
/// last characters as fit (what is being typed shows where the cursor is).
pub fn tail(s: &str, cols: usize) -> String {
    intended_whole(s);
    if width(s) <= cols {
        return printable(s).into_owned();
    }
    if cols == 0 {
        return String::new();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 1;
    for c in s.chars().rev() {
        let (c, w) = shown(c);
        if used + w > cols {
            break;
        }
        used += w;
        kept.push(c);
    }
    let mut out = String::from(ELLIPSIS);
    out.extend(kept.into_iter().rev());
    out
}

/// `s` left-aligned in exactly `cols` columns: cut with `…` when longer, padded with spaces
/// when shorter (also after a wide character that did not fit).
pub fn fit_left(s: &str, cols: usize) -> String {
    let (mut out, used) = truncate(s, cols);
    out.extend(std::iter::repeat_n(' ', cols - used));
    out
}

/// `s` right-aligned in exactly `cols` columns, cut with `…` when longer.
pub fn fit_right(s: &str, cols: usize) -> String {
    let (out, used) = truncate(s, cols);
    let mut padded = " ".repeat(cols - used);
    padded.push_str(&out);
    padded
}

/// `spans` (text with a style each) laid out in lines of at most `cols` columns, broken
/// between characters where a line is full (a character model's text has no words to keep
/// whole, and Korean or Chinese text is broken this way anyway); `\n` starts a new line, other
/// control characters are shown as `�`. A character wider than a whole line is left out.
///
/// ratatui 0.30's `Paragraph::wrap` can put a wide character in a line's last column, where it
/// covers the frame's right border (ratatui issue #2679): lay wrapped text out with this and
/// hand the lines to an unwrapped `Paragraph`.
pub fn wrap_spans<S: Copy>(spans: &[(&str, S)], cols: usize) -> Vec<Vec<(String, S)>> {
    let mut lines: Vec<Vec<(String, S)>> = vec![Vec::new()];
    if cols == 0 {
        return Vec::new();
    }
    let mut used = 0;
    for &(text, style) in spans {
        let mut piece = String::new();
        for c in text.chars() {
            if c == '\n' {
                let line = lines.last_mut().expect("one line at least");
                if !piece.is_empty() {
                    line.push((std::mem::take(&mut piece), style));
                }
                lines.push(Vec::new());
                used = 0;
                continue;
            }
            let (c, w) = shown(c);
            if w > cols {
                continue;
            }
            if used + w > cols {
                let line = lines.last_mut().expect("one line at least");
                if !piece.is_empty() {
                    line.push((std::mem::take(&mut piece), style));
                }
                lines.push(Vec::new());
                used = 0;
            }
            piece.push(c);
            used += w;
        }
        if !piece.is_empty() {
            lines
                .last_mut()
                .expect("one line at least")
                .push((piece, style));
        }
    }
    for line in &lines {
        intended_whole(&line.iter().map(|(s, _)| s.as_str()).collect::<String>());
    }
    lines
}

/// `text` in lines of at most `cols` columns, broken at spaces only (a word is never split); a
/// word longer than a whole line is cut with `…`. Control characters are shown as `�`.
pub fn wrap_words(text: &str, cols: usize) -> Vec<String> {
    let mut lines = Vec::new();
    if cols == 0 {
        return lines;
    }
    let mut line = String::new();
    let mut used = 0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let (word, w) = truncate(word, cols);
        if used > 0 && used + 1 + w > cols {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        if used > 0 {
            line.push(' ');
            used += 1;
        }
        line.push_str(&word);
        used += w;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    for line in &lines {
        intended_whole(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hangul_and_han_take_two_columns_ascii_one_combining_marks_none() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("동백꽃"), 6);
        assert_eq!(width("漢字"), 4);
        assert_eq!(width("e\u{301}"), 1, "e + combining acute");
        assert_eq!(width("a\nb"), 3, "a control char is shown as one-column �");
        assert_eq!(width(""), 0);
    }

    #[test]
    fn truncate_cuts_between_characters_and_marks_the_cut() {
        assert_eq!(truncate("동백꽃", 6), ("동백꽃".into(), 6));
        // 5 columns: "동백" (4) + "…" (1).
        assert_eq!(truncate("동백꽃", 5), ("동백…".into(), 5));
        // 4 columns: "동" (2) + "…" — "백" would straddle the edge, so it goes whole.
        assert_eq!(truncate("동백꽃", 4), ("동…".into(), 3));
        assert_eq!(truncate("동백꽃", 1), ("…".into(), 1));
        assert_eq!(truncate("동백꽃", 0), (String::new(), 0));
        assert_eq!(
            truncate("war_of_the_worlds.txt", 18).0,
            "war_of_the_worlds…"
        );
    }

    #[test]
    fn fit_pads_to_the_exact_width_even_when_a_wide_char_does_not_fit() {
        for cols in 0..12 {
            for s in ["동백꽃_김유정.txt", "timemachine", "a동b", "", "漢a字b"] {
                assert_eq!(width(&fit_left(s, cols)), cols, "{s:?} in {cols}");
                assert_eq!(width(&fit_right(s, cols)), cols, "{s:?} in {cols}");
            }
        }
        assert_eq!(fit_left("동백꽃", 4), "동… ");
        assert_eq!(fit_right("동백", 7), "   동백");
        assert_eq!(fit_left("ab", 4), "ab  ");
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(printable("ok"), Cow::Borrowed("ok"));
        assert_eq!(printable("a\nb\x1b[2J"), "a\u{FFFD}b\u{FFFD}[2J");
        assert_eq!(fit_left("a\tb", 4), "a\u{FFFD}b ");
    }

    #[test]
    fn wrap_keeps_every_line_within_the_width_and_loses_nothing() {
        // The completion that drew over the pane's border with ratatui's word wrap.
        let prefix = "점순이는 ";
        let cont = "그 나 수 이 수 이 없 이 없 수 이 없 이 없 수 이 없 이 없 수";
        for cols in 1..60 {
            let lines = wrap_spans(&[(prefix, 1u8), (cont, 2u8)], cols);
            let mut joined = String::new();
            for (i, line) in lines.iter().enumerate() {
                let text: String = line.iter().map(|(s, _)| s.as_str()).collect();
                assert!(width(&text) <= cols, "{cols}: {text:?}");
                if let Some(next) = lines.get(i + 1).and_then(|l| l.first()) {
                    // Full: the next line's first character would not have fitted.
                    let c = next.0.chars().next().unwrap();
                    assert!(width(&text) + shown(c).1 > cols, "{cols}: {text:?} + {c}");
                }
                joined.push_str(&text);
            }
            if cols >= 2 {
                assert_eq!(joined, format!("{prefix}{cont}"), "{cols}");
            }
        }
        // Styles stay with their text, across a break inside a span.
        let lines = wrap_spans(&[("ab", 'p'), ("동백꽃", 'c')], 5);
        assert_eq!(
            lines,
            vec![
                vec![("ab".to_owned(), 'p'), ("동".to_owned(), 'c')],
                vec![("백꽃".to_owned(), 'c')],
            ]
        );
    }

    #[test]
    fn word_wrap_never_splits_a_word() {
        let text = "not in the vocabulary, read as <unk>: t i m e";
        for cols in 1..60 {
            let lines = wrap_words(text, cols);
            for l in &lines {
                assert!(width(l) <= cols, "{cols}: {l:?}");
            }
            if cols >= 11 {
                assert!(
                    lines.iter().any(|l| l.contains("<unk>:")),
                    "{cols}: {lines:?}"
                );
                assert_eq!(lines.join(" "), text, "{cols}");
            }
        }
        assert_eq!(wrap_words("동백꽃 점순이", 6), vec!["동백꽃", "점순이"]);
        assert_eq!(wrap_words("abcdef", 4), vec!["abc…"]);
    }

    #[test]
    fn wrap_breaks_at_newlines_and_shows_other_controls() {
        let lines = wrap_spans(&[("a\nb\tc", ())], 10);
        let texts: Vec<String> = lines
            .iter()
            .map(|l| l.iter().map(|(s, _)| s.as_str()).collect())
            .collect();
        assert_eq!(texts, vec!["a", "b\u{FFFD}c"]);
        assert!(wrap_spans(&[("abc", ())], 0).is_empty());
        // A wide character cannot fit a one-column line: left out, never over the edge.
        let one = wrap_spans(&[("a동b", ())], 1);
        assert!(one.iter().flatten().all(|(s, _)| width(s) <= 1));
    }
}
