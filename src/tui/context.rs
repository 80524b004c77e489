//! What the app and the panels share without either reading the other: which panel has focus,
//! what a panel did with a key, the level of a message on the message line, the small context
//! a panel draws with, and the one way every panel draws ([`Panel`]).

use ratatui::layout::Rect;
use ratatui::Frame;

use super::theme::Theme;

/// The panels that can take focus, in Tab order: the layout's reading order, left to right
/// and top to bottom (see [`crate::tui::layout::layout`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Perplexity,
    Completion,
    Heatmap,
    Gradients,
    Form,
}

impl Focus {
    pub const ORDER: [Focus; 5] = [
        Focus::Perplexity,
        Focus::Completion,
        Focus::Heatmap,
        Focus::Gradients,
        Focus::Form,
    ];

    fn index(self) -> usize {
        Focus::ORDER.iter().position(|&f| f == self).unwrap_or(0)
    }

    pub fn next(self) -> Focus {
        Focus::ORDER[(self.index() + 1) % Focus::ORDER.len()]
    }

    pub fn prev(self) -> Focus {
        Focus::ORDER[(self.index() + Focus::ORDER.len() - 1) % Focus::ORDER.len()]
    }

    /// The panel's direct key, shown in its title as `[n]`: its place in the Tab order.
    pub fn key(self) -> char {
        char::from(b'1' + self.index() as u8)
    }

    /// The panel a direct key (`1`…) goes to.
    pub fn from_key(c: char) -> Option<Focus> {
        let i = (c as u32).checked_sub('1' as u32)? as usize;
        Focus::ORDER.get(i).copied()
    }

    /// The panel's name, as its title and the help overlay write it.
    pub fn name(self) -> &'static str {
        match self {
            Focus::Perplexity => "Perplexity",
            Focus::Completion => "Completion",
            Focus::Heatmap => "Hidden state",
            Focus::Gradients => "Gradient norm",
            Focus::Form => "Hyperparameters",
        }
    }

    /// A chart: Enter zooms it (it has nothing else to do with Enter).
    pub fn is_chart(self) -> bool {
        matches!(self, Focus::Perplexity | Focus::Gradients)
    }
}

/// What a panel did with a key handed to it: used it, or left it to the cockpit (whose
/// global keys then get it). The app offers every key that is not navigation (Tab, the digits,
/// `/`, `z`) to the focused panel first, so a panel may take any other key for itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handled {
    Yes,
    No,
}

/// A key and what it does, as the help overlay and the footer list it. Each panel module
/// lists its own in a `pub fn keys() -> &'static [KeyHelp]`; the help overlay shows every
/// row under the panel's name, the footer shows `key short` for the focused panel (rows with
/// an empty `short` are for the help only). While the completion pane is typing, the footer
/// shows only its rows whose key is not text: named keys (Esc, Backspace, arrows, Delete, Home,
/// End, Page Up/Down, F-keys), Ctrl-… and Alt-… combinations, and paste.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyHelp {
    /// The key as the user presses it: `"Enter"`, `"↑/↓ or k/j"`, `"Ctrl-U"`.
    pub key: &'static str,
    /// One or two words for the footer, or `""` for the help overlay only.
    pub short: &'static str,
    /// The whole sentence for the help overlay.
    pub long: &'static str,
}

impl KeyHelp {
    /// A key shown in the help overlay and (as `key short`) in the footer.
    pub const fn new(key: &'static str, short: &'static str, long: &'static str) -> KeyHelp {
        KeyHelp { key, short, long }
    }

    /// A key shown in the help overlay only.
    pub const fn help_only(key: &'static str, long: &'static str) -> KeyHelp {
        KeyHelp {
            key,
            short: "",
            long,
        }
    }

    /// Whether the key still works while the completion pane takes every text key.
    pub fn works_while_typing(&self) -> bool {
        const NAMED: [&str; 14] = [
            "Esc",
            "Backspace",
            "Delete",
            "Home",
            "End",
            "PgUp",
            "PgDn",
            "Page",
            "↑",
            "↓",
            "←",
            "→",
            "Ctrl-",
            "Alt-",
        ];
        let k = self.key;
        NAMED.iter().any(|p| k.starts_with(p))
            || k.starts_with("paste")
            || (k.starts_with('F') && k[1..].starts_with(|c: char| c.is_ascii_digit()))
    }
}

/// The level of a message on the message line: how it looks and how long it stays (see
/// [`crate::tui::message`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// What every panel is told when it draws: the colours, whether it has the focus, and its
/// direct key (drawn before its title by [`crate::tui::widgets::panel_block`]).
/// Anything else a panel shows from outside its own state is passed to its `draw` by name.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub theme: &'a Theme,
    pub focused: bool,
    /// The direct key shown as `[n]` before the title, if the panel has one.
    pub key: Option<char>,
    /// Columns of the panel's area: its title is cut to fit inside the corners, with `…`.
    pub width: u16,
}

/// How every panel draws: its own state, where, the [`Ctx`], and what it shows from outside
/// its state, named by the panel (`()` when nothing). One shape for all, as gitui's
/// components have, so the view calls each the same way and a new panel is obvious.
pub trait Panel {
    /// What the panel shows from elsewhere (the selected unit, the hyperparameters, …).
    type Shows<'a>;

    fn draw(&self, f: &mut Frame, area: Rect, ctx: Ctx, shows: Self::Shows<'_>);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_keys_are_the_tab_order_digits_and_go_back_to_their_panel() {
        let keys: String = Focus::ORDER.iter().map(|f| f.key()).collect();
        assert_eq!(keys, "12345");
        for f in Focus::ORDER {
            assert_eq!(Focus::from_key(f.key()), Some(f));
        }
        assert_eq!(Focus::from_key('0'), None);
        assert_eq!(Focus::from_key('6'), None);
        assert_eq!(Focus::from_key('a'), None);
    }

    #[test]
    fn only_keys_that_are_not_text_work_while_typing() {
        let typing = |k| KeyHelp::new(k, "", "").works_while_typing();
        for k in ["Esc", "Backspace", "Ctrl-U", "Alt-t", "F2", "↑/↓", "paste"] {
            assert!(typing(k), "{k}");
        }
        for k in [
            "/",
            "Enter or i",
            "letters, digits, space",
            "t",
            "F",
            "Fo",
            "z",
            "1-5",
        ] {
            assert!(!typing(k), "{k}");
        }
    }

    #[test]
    fn next_and_prev_cycle_through_every_panel() {
        let mut f = Focus::Perplexity;
        for want in Focus::ORDER.iter().cycle().skip(1).take(5) {
            f = f.next();
            assert_eq!(f, *want);
        }
        assert_eq!(Focus::Perplexity.prev(), Focus::Form);
    }
}
