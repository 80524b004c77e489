//! Text modes: how the characters of a text become tokens.
//!
//! - [`TextMode::D2l`]: d2l's `re.sub('[^A-Za-z]+', ' ', text).lower()` — ASCII letters only.
//! - [`TextMode::Letters`]: the same rule over Unicode: every run of characters that are not
//!   letters ([`char::is_alphabetic`]) becomes one space, letters are lower-cased.
//! - [`TextMode::Raw`]: every character as it is, except a leading UTF-8 byte-order mark (dropped)
//!   and CRLF line ends (read as LF).
//!
//! Each mode maps the text one character at a time ([`TextMode::for_each_char`]) without building
//! a preprocessed copy, so a big text is encoded straight from its bytes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How a text is turned into characters to learn (`--text`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextMode {
    /// d2l's preprocessing: `a`–`z` and single spaces (the default, bit-exact with d2l).
    #[default]
    D2l,
    /// Letters of every script, lower-cased; every run of non-letters becomes one space.
    Letters,
    /// Every character as it is (case, digits, punctuation, line breaks).
    Raw,
}

/// The key of the setting on the command line (`--text`), in the config file and the form.
pub const TEXT_KEY: &str = "text";

impl TextMode {
    pub const ALL: [TextMode; 3] = [TextMode::D2l, TextMode::Letters, TextMode::Raw];

    pub fn name(self) -> &'static str {
        match self {
            TextMode::D2l => "d2l",
            TextMode::Letters => "letters",
            TextMode::Raw => "raw",
        }
    }

    /// Call `f` with every character of `raw` as this mode reads it, in order.
    #[inline]
    pub fn for_each_char(self, raw: &str, mut f: impl FnMut(char)) {
        match self {
            TextMode::D2l => {
                let mut in_gap = false;
                for c in raw.chars() {
                    if c.is_ascii_alphabetic() {
                        f(c.to_ascii_lowercase());
                        in_gap = false;
                    } else if !in_gap {
                        f(' ');
                        in_gap = true;
                    }
                }
            }
            TextMode::Letters => {
                let mut in_gap = false;
                for c in raw.chars() {
                    if c.is_ascii() {
                        // The common case, without the Unicode tables.
                        if c.is_ascii_alphabetic() {
                            f(c.to_ascii_lowercase());
                            in_gap = false;
                            continue;
                        }
                    } else if c.is_alphabetic() {
                        f(lower(c));
                        in_gap = false;
                        continue;
                    }
                    if !in_gap {
                        f(' ');
                        in_gap = true;
                    }
                }
            }
            TextMode::Raw => {
                let text = raw.strip_prefix('\u{feff}').unwrap_or(raw);
                // Most texts have no CR at all: one fast scan decides.
                if !text.contains('\r') {
                    text.chars().for_each(f);
                    return;
                }
                let mut chars = text.chars().peekable();
                while let Some(c) = chars.next() {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        continue;
                    }
                    f(c);
                }
            }
        }
    }

    /// The text as this mode reads it (for small texts: prefixes, tests, evaluation).
    pub fn apply(self, raw: &str) -> String {
        let mut out = String::with_capacity(raw.len());
        self.for_each_char(raw, |c| out.push(c));
        out
    }
}

/// One lower-case character for `c`: Unicode's lowercase mapping when it is one character; for
/// the one letter whose full lowercase is two characters (`İ`, U+0130 → `i` + U+0307 combining
/// dot) the first of them, `i`, which is also its simple (one-character) case mapping.
#[inline]
pub fn lower(c: char) -> char {
    let mut l = c.to_lowercase();
    l.next().unwrap_or(c)
}

impl fmt::Display for TextMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--text` value that names no [`TextMode`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{TEXT_KEY} must be d2l, letters or raw, got {got:?}")]
pub struct UnknownTextMode {
    /// The value as given, trimmed.
    pub got: String,
}

impl FromStr for TextMode {
    type Err = UnknownTextMode;

    /// The message is the same from the flag, the config file and the form.
    fn from_str(s: &str) -> Result<Self, UnknownTextMode> {
        let t = s.trim();
        TextMode::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(t))
            .ok_or_else(|| UnknownTextMode { got: t.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d2l_mode_is_the_d2l_regex() {
        assert_eq!(
            TextMode::D2l.apply("The Time-Machine, 1895!\n\nIt"),
            "the time machine it"
        );
        assert_eq!(TextMode::D2l.apply("Über die Straße"), " ber die stra e");
        assert_eq!(TextMode::D2l.apply(""), "");
    }

    #[test]
    fn letters_mode_keeps_every_script_and_lowercases() {
        assert_eq!(
            TextMode::Letters.apply("Über die Straße!"),
            "über die straße "
        );
        assert_eq!(
            TextMode::Letters.apply("  동백꽃,\r\n김유정 — 1936"),
            " 동백꽃 김유정 "
        );
        assert_eq!(
            TextMode::Letters.apply("Ωμέγα 日本語とカナ! Ёлка"),
            "ωμέγα 日本語とカナ ёлка"
        );
        // Emoji and digits are not letters.
        assert_eq!(TextMode::Letters.apply("a🙂b 42c"), "a b c");
        // One character per character: İ's full lowercase is two characters; its first is kept.
        assert_eq!(TextMode::Letters.apply("İSTANBUL"), "istanbul");
    }

    #[test]
    fn every_letter_lowercases_to_one_letter() {
        let mut multi = Vec::new();
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            if c.is_alphabetic() && c.to_lowercase().count() > 1 {
                multi.push(c);
            }
            // `lower` is total and one char for one char.
            let _ = lower(c);
        }
        assert_eq!(multi, vec!['\u{130}'], "only İ lowercases to two chars");
        assert_eq!(lower('\u{130}'), 'i');
        assert_eq!(lower('Σ'), 'σ');
        assert_eq!(lower('ß'), 'ß');
    }

    #[test]
    fn raw_mode_keeps_everything_but_a_bom_and_crlf() {
        assert_eq!(
            TextMode::Raw.apply("\u{feff}Hi,\r\nyou\r\n\u{feff}x\ry🙂\n"),
            "Hi,\nyou\n\u{feff}x\ry🙂\n"
        );
        assert_eq!(TextMode::Raw.apply("\r\n\r\n"), "\n\n");
    }

    #[test]
    fn modes_parse_by_name_and_refuse_others_with_one_message() {
        assert_eq!("d2l".parse(), Ok(TextMode::D2l));
        assert_eq!(" Letters ".parse(), Ok(TextMode::Letters));
        assert_eq!("raw".parse(), Ok(TextMode::Raw));
        assert_eq!(
            "bytes".parse::<TextMode>().unwrap_err().to_string(),
            "text must be d2l, letters or raw, got \"bytes\""
        );
        for m in TextMode::ALL {
            assert_eq!(m.to_string().parse(), Ok(m));
        }
    }
}
