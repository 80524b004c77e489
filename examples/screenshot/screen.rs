//! A terminal screen read back from `tmux capture-pane -e -p`: a grid of cells, each with its
//! character and the colours and attributes the program asked for.
//!
//! Only what `capture-pane -e` writes is understood: text, newlines and SGR sequences
//! (`ESC [ … m`). tmux has already applied every cursor movement, so a line of the capture is a
//! row of the screen. Any other escape sequence is an error, not silently skipped: a picture
//! that quietly drops part of the screen would lie about the cockpit.

use unicode_width::UnicodeWidthChar;

/// A colour as the terminal was asked to show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colour {
    /// The terminal's own foreground or background (SGR 39 / 49, or never set).
    Default,
    /// One of the 256 indexed colours (0–15 are the terminal's palette).
    Indexed(u8),
    Rgb(u8, u8, u8),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub fg: Colour,
    pub bg: Colour,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underline: bool,
    pub reverse: bool,
}

impl Default for Style {
    fn default() -> Style {
        Style {
            fg: Colour::Default,
            bg: Colour::Default,
            bold: false,
            dim: false,
            italic: false,
            underline: false,
            reverse: false,
        }
    }
}

/// One cell. A wide character (Hangul, Han) fills its cell and the next, which holds
/// `Cell::Continuation`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    Char { ch: char, style: Style, wide: bool },
    Continuation,
}

impl Cell {
    fn blank() -> Cell {
        Cell::Char {
            ch: ' ',
            style: Style::default(),
            wide: false,
        }
    }
}

#[derive(Debug)]
pub struct Screen {
    pub cols: usize,
    pub rows: usize,
    cells: Vec<Cell>,
}

#[derive(Debug, PartialEq)]
pub enum ParseError {
    /// An escape sequence other than SGR, with the bytes that started it.
    UnknownEscape {
        row: usize,
        seq: String,
    },
    /// More text on a row than the screen has columns.
    RowTooLong {
        row: usize,
        cols: usize,
    },
    TooManyRows {
        rows: usize,
    },
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::UnknownEscape { row, seq } => write!(
                f,
                "row {}: escape sequence {seq:?} is not SGR (capture with `tmux capture-pane -e -p`)",
                row + 1
            ),
            ParseError::RowTooLong { row, cols } => {
                write!(f, "row {} is wider than {cols} columns", row + 1)
            }
            ParseError::TooManyRows { rows } => write!(f, "the capture has more than {rows} rows"),
        }
    }
}

impl Screen {
    pub fn cell(&self, col: usize, row: usize) -> Cell {
        self.cells[row * self.cols + col]
    }

    /// Reads a capture into a `cols` × `rows` screen. Rows and columns the capture does not
    /// reach stay blank (tmux drops trailing blanks of a line).
    pub fn parse(capture: &str, cols: usize, rows: usize) -> Result<Screen, ParseError> {
        let mut cells = vec![Cell::blank(); cols * rows];
        let mut style = Style::default();
        let lines: Vec<&str> = capture
            .strip_suffix('\n')
            .unwrap_or(capture)
            .split('\n')
            .collect();
        if lines.len() > rows {
            return Err(ParseError::TooManyRows { rows });
        }
        for (row, line) in lines.iter().enumerate() {
            let mut col = 0;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\x1b' {
                    let mut seq = String::from("\x1b");
                    match chars.next() {
                        Some('[') => seq.push('['),
                        other => {
                            seq.extend(other);
                            return Err(ParseError::UnknownEscape { row, seq });
                        }
                    }
                    let mut params = String::new();
                    let mut end = None;
                    for p in chars.by_ref() {
                        if p.is_ascii_digit() || p == ';' || p == ':' {
                            params.push(p);
                        } else {
                            end = Some(p);
                            break;
                        }
                    }
                    if end != Some('m') {
                        seq.push_str(&params);
                        seq.extend(end);
                        return Err(ParseError::UnknownEscape { row, seq });
                    }
                    apply_sgr(&mut style, &params);
                    continue;
                }
                if c == '\r' {
                    continue;
                }
                let width = c.width().unwrap_or(0);
                if width == 0 {
                    // A combining mark or control: it adds nothing a cell grid can show.
                    continue;
                }
                if col + width > cols {
                    return Err(ParseError::RowTooLong { row, cols });
                }
                cells[row * cols + col] = Cell::Char {
                    ch: c,
                    style,
                    wide: width == 2,
                };
                if width == 2 {
                    cells[row * cols + col + 1] = Cell::Continuation;
                }
                col += width;
            }
            // Blanks tmux trimmed from the end of the line keep the background in force
            // (a panel's fill), which is what the terminal showed.
            for c in col..cols {
                cells[row * cols + c] = Cell::Char {
                    ch: ' ',
                    style: Style {
                        bg: style.bg,
                        ..Style::default()
                    },
                    wide: false,
                };
            }
        }
        Ok(Screen { cols, rows, cells })
    }
}

/// One SGR sequence's parameters (`1;38;5;208`), applied in order.
fn apply_sgr(style: &mut Style, params: &str) {
    let nums: Vec<u16> = if params.is_empty() {
        vec![0]
    } else {
        params
            .split([';', ':'])
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    let mut i = 0;
    while i < nums.len() {
        match nums[i] {
            0 => *style = Style::default(),
            1 => style.bold = true,
            2 => style.dim = true,
            3 => style.italic = true,
            4 => style.underline = true,
            7 => style.reverse = true,
            22 => {
                style.bold = false;
                style.dim = false;
            }
            23 => style.italic = false,
            24 => style.underline = false,
            27 => style.reverse = false,
            n @ 30..=37 => style.fg = Colour::Indexed((n - 30) as u8),
            n @ 90..=97 => style.fg = Colour::Indexed((n - 90 + 8) as u8),
            n @ 40..=47 => style.bg = Colour::Indexed((n - 40) as u8),
            n @ 100..=107 => style.bg = Colour::Indexed((n - 100 + 8) as u8),
            39 => style.fg = Colour::Default,
            49 => style.bg = Colour::Default,
            n @ (38 | 48) => {
                let (colour, used) = extended_colour(&nums[i + 1..]);
                if let Some(colour) = colour {
                    if n == 38 {
                        style.fg = colour;
                    } else {
                        style.bg = colour;
                    }
                }
                i += used;
            }
            // Blink, strike-through, overline…: nothing a still picture shows.
            _ => {}
        }
        i += 1;
    }
}

/// `5;N` or `2;R;G;B` after a 38/48; returns the colour and how many parameters it used.
fn extended_colour(rest: &[u16]) -> (Option<Colour>, usize) {
    match rest {
        [5, n, ..] => (Some(Colour::Indexed(*n as u8)), 2),
        [2, r, g, b, ..] => (Some(Colour::Rgb(*r as u8, *g as u8, *b as u8)), 4),
        _ => (None, rest.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(screen: &Screen, col: usize, row: usize) -> (char, Style) {
        match screen.cell(col, row) {
            Cell::Char { ch, style, .. } => (ch, style),
            Cell::Continuation => panic!("continuation at {col},{row}"),
        }
    }

    #[test]
    fn text_and_colours_land_in_their_cells() {
        let cap = "ab\x1b[1;38;2;255;0;16mC\x1b[0m\x1b[48;5;208md\x1b[49m\n\x1b[7m│x";
        let s = Screen::parse(cap, 6, 3).unwrap();
        assert_eq!(ch(&s, 0, 0).0, 'a');
        let (c, st) = ch(&s, 2, 0);
        assert_eq!(c, 'C');
        assert_eq!(st.fg, Colour::Rgb(255, 0, 16));
        assert!(st.bold);
        let (c, st) = ch(&s, 3, 0);
        assert_eq!(c, 'd');
        assert_eq!(st.bg, Colour::Indexed(208));
        assert_eq!(st.fg, Colour::Default);
        let (c, st) = ch(&s, 0, 1);
        assert_eq!(c, '│');
        assert!(st.reverse);
        // The third row was never written: blank, default style.
        assert_eq!(ch(&s, 5, 2), (' ', Style::default()));
    }

    #[test]
    fn a_wide_character_fills_two_cells() {
        let s = Screen::parse("동백x", 5, 1).unwrap();
        assert!(matches!(
            s.cell(0, 0),
            Cell::Char {
                ch: '동',
                wide: true,
                ..
            }
        ));
        assert_eq!(s.cell(1, 0), Cell::Continuation);
        assert!(matches!(s.cell(2, 0), Cell::Char { ch: '백', .. }));
        assert!(matches!(s.cell(4, 0), Cell::Char { ch: 'x', .. }));
    }

    #[test]
    fn the_sixteen_colour_codes_map_to_the_palette() {
        let s = Screen::parse("\x1b[31ma\x1b[92;44mb", 2, 1).unwrap();
        assert_eq!(ch(&s, 0, 0).1.fg, Colour::Indexed(1));
        let st = ch(&s, 1, 0).1;
        assert_eq!((st.fg, st.bg), (Colour::Indexed(10), Colour::Indexed(4)));
    }

    #[test]
    fn cursor_movement_and_oversized_rows_are_refused() {
        assert!(matches!(
            Screen::parse("a\x1b[2Jb", 4, 1),
            Err(ParseError::UnknownEscape { row: 0, .. })
        ));
        assert_eq!(
            Screen::parse("abcde", 4, 1).unwrap_err(),
            ParseError::RowTooLong { row: 0, cols: 4 }
        );
        assert_eq!(
            Screen::parse("a\nb\nc", 4, 2).unwrap_err(),
            ParseError::TooManyRows { rows: 2 }
        );
    }
}
