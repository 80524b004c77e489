//! Key presses and a ready cockpit app, for the app-state tests.
#![allow(dead_code)] // each test file uses a different part

use crossbeam_channel::{unbounded, Receiver};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use rnn_tui::hparams::{Field, HParams};
use rnn_tui::train::Command;
use rnn_tui::tui::{fixtures, Action, App, ColorMode, Focus, Msg, Theme};

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

/// An app on default hyperparameters, announced and ready, and the commands it sends.
pub fn app() -> (App, Receiver<Command>) {
    app_on(HParams::default())
}

/// An app on `hp`, announced and ready, and the commands it sends.
pub fn app_on(hp: HParams) -> (App, Receiver<Command>) {
    let (tx, rx) = unbounded();
    let mut a = App::new(hp, Theme::default_for(ColorMode::TrueColor));
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
    while a.form.editing.as_ref().is_some_and(|b| !b.is_empty()) {
        a.update(key(KeyCode::Backspace));
    }
    for c in text.chars() {
        a.update(ch(c));
    }
}

/// [`edit`] `field` to `text`, then press Enter: what the app asks for.
pub fn form_commit(a: &mut App, field: Field, text: &str) -> Action {
    edit(a, field, text);
    a.update(key(KeyCode::Enter))
}

/// A cockpit that has been training for a while on `hp`, its commands going to the returned
/// receiver.
pub fn training_app(hp: HParams) -> (App, Receiver<Command>) {
    let (mut a, rx) = app_on(hp);
    fixtures::feed_training(&mut a, 30);
    (a, rx)
}
