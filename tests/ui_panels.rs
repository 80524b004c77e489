//! Panels on their own, without an `App`: each takes its keys and reports what it wants done,
//! so a panel can be checked (and reused) apart from the cockpit.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use rnn_tui::hparams::{Field, HParams};
use rnn_tui::tui::fixtures;
use rnn_tui::tui::launch::RunList;
use rnn_tui::tui::panels::completion::CompletionState;
use rnn_tui::tui::panels::form::{self, FormCheck, FormOutcome, FormState};
use rnn_tui::tui::panels::runs::{PickerOutcome, RunsPicker};

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Open `field` in `form` and replace its text with `text`.
fn type_into(form: &mut FormState, hp: &HParams, field: Field, text: &str) {
    form.select(field);
    assert_eq!(form.on_key(key(KeyCode::Enter), hp), FormOutcome::None);
    assert_eq!(form.editing.as_deref(), Some(hp.get(field).as_str()));
    while form.editing.as_ref().is_some_and(|b| !b.is_empty()) {
        form.on_key(key(KeyCode::Backspace), hp);
    }
    for c in text.chars() {
        form.on_key(key(KeyCode::Char(c)), hp);
    }
}

#[test]
fn the_form_checks_against_the_hyperparameters_it_is_given() {
    let hp = HParams::default();
    let mut form = FormState::default();

    type_into(&mut form, &hp, Field::Lr, "-2");
    assert!(matches!(form.check, Some(FormCheck::Invalid(_))));
    let outcome = form.on_key(key(KeyCode::Enter), &hp);
    assert!(
        matches!(outcome, FormOutcome::Refused(ref e) if e.contains("lr")),
        "{outcome:?}"
    );
    assert!(form.is_editing(), "a refused edit stays open");
    assert_eq!(form.on_key(key(KeyCode::Esc), &hp), FormOutcome::Cancelled);
    assert!(!form.is_editing());

    type_into(&mut form, &hp, Field::Lr, "0.5");
    assert_eq!(form.check, Some(FormCheck::Live));
    let FormOutcome::Apply { field, hp: next } = form.on_key(key(KeyCode::Enter), &hp) else {
        panic!("a valid lr applies live");
    };
    assert_eq!((field, next.lr), (Field::Lr, 0.5));
    assert_eq!(
        hp.lr,
        HParams::default().lr,
        "the form never changes what it is given"
    );
    assert!(!form.is_editing());

    type_into(&mut form, &hp, Field::Hiddens, "64");
    assert_eq!(form.check, Some(FormCheck::NeedsRestart));
    let FormOutcome::Rebuild { field, hp: next } = form.on_key(key(KeyCode::Enter), &hp) else {
        panic!("a new size rebuilds the model");
    };
    assert_eq!((field, next.hiddens), (Field::Hiddens, 64));
    assert!(
        form.is_editing(),
        "the edit stays open until the rebuild is confirmed"
    );
    assert_eq!(form::label(field), "hidden units");
}

#[test]
fn the_runs_picker_reports_the_run_it_is_asked_about() {
    let mut picker = RunsPicker::new(fixtures::run_list());
    assert_eq!(picker.on_key(key(KeyCode::Down)), PickerOutcome::Stay);
    let second = fixtures::run_list().runs[1].clone();
    assert_eq!(
        picker.on_key(key(KeyCode::Char('c'))),
        PickerOutcome::Compare(second.clone())
    );
    assert_eq!(
        picker.on_key(key(KeyCode::Enter)),
        PickerOutcome::Continue(second)
    );
    assert_eq!(picker.on_key(key(KeyCode::Esc)), PickerOutcome::Close);

    let mut empty = RunsPicker::new(RunList::default());
    assert_eq!(empty.on_key(key(KeyCode::Enter)), PickerOutcome::Stay);
    assert_eq!(empty.on_key(key(KeyCode::Char('c'))), PickerOutcome::Stay);
}

#[test]
fn the_completion_pane_types_only_once_asked_to() {
    let mut pane = CompletionState::default();
    let prefix = pane.prefix.clone();
    pane.on_key(key(KeyCode::Char('x')));
    assert_eq!(pane.prefix, prefix, "not typing yet");
    pane.on_key(key(KeyCode::Char('i')));
    assert!(pane.typing);
    pane.on_key(key(KeyCode::Char('X')));
    assert_eq!(pane.prefix, format!("{prefix}x"), "letters are lower-cased");
    pane.on_key(key(KeyCode::Esc));
    assert!(!pane.typing);
}
