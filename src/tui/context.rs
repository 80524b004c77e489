//! What the app and the panels share without either reading the other: which panel has focus,
//! how a footer message should look, and the small context a panel draws with.

use super::theme::Theme;

/// The panels that can take focus, in Tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Perplexity,
    Gradients,
    Completion,
    Heatmap,
    Form,
}

impl Focus {
    pub const ORDER: [Focus; 5] = [
        Focus::Perplexity,
        Focus::Gradients,
        Focus::Completion,
        Focus::Heatmap,
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
}

/// How a footer message should look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// What every panel is told when it draws: the colours, and whether it has the focus.
/// Anything else a panel shows from outside its own state is passed to its `draw` by name.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub theme: &'a Theme,
    pub focused: bool,
}
