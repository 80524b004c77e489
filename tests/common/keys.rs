//! Key presses and a ready cockpit app, for the app-state tests.
#![allow(dead_code)] // each test file uses a different part

use crossbeam_channel::{unbounded, Receiver};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use rnn_tui::hparams::{Field, HParams};
use rnn_tui::train::Command;
use rnn_tui::tui::{fixtures, App, ColorMode, Focus, Msg, Theme};

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

/// An app on default hyperparameters, announced and ready, and the commands it sends.
pub fn app() -> (App, Receiver<Command>) {
    let (tx, rx) = unbounded();
    let mut a = App::new(HParams::default(), Theme::default_for(ColorMode::TrueColor));
    a.attach(tx);
    fixtures::ready_app(&mut a);
    (a, rx)
}

/// Tab to the form, select `field`, open it, clear it and type `text` (not yet applied).
pub fn edit(a: &mut App, field: Field, text: &str) {
    while a.focus != Focus::Form {
        a.update(key(KeyCode::Tab));
    }
    while a.form.field() != field {
        a.update(key(KeyCode::Down));
    }
    a.update(key(KeyCode::Enter));
    assert!(a.form.editing.is_some());
    for _ in 0..30 {
        a.update(key(KeyCode::Backspace));
    }
    for c in text.chars() {
        a.update(ch(c));
    }
}
