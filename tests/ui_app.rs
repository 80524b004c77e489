//! App-state tests: every key does what the help overlay says, the form refuses bad input with a
//! message, live settings reach the trainer as Commands.

mod common;

use crossbeam_channel::{unbounded, Receiver};
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use common::keys::{app, ch, edit, key};
use rnn_tui::hparams::Field;
use rnn_tui::train::{Command, Event, TrainerState};
use rnn_tui::tui::panels::help::KEYS;
use rnn_tui::tui::{fixtures, view, Action, App, Dialog, Focus, Level, Msg};

fn set_state(a: &mut App, state: TrainerState) {
    a.update(Msg::Trainer(Event::State { state }));
}

fn commands(rx: &Receiver<Command>) -> Vec<Command> {
    rx.try_iter().collect()
}

#[test]
fn space_starts_pauses_and_resumes() {
    let (mut a, rx) = app();
    a.update(ch(' '));
    assert_eq!(commands(&rx), vec![Command::Start]);
    set_state(&mut a, TrainerState::Training);
    a.update(ch(' '));
    assert_eq!(commands(&rx), vec![Command::Pause]);
    set_state(&mut a, TrainerState::Paused);
    a.update(ch(' '));
    assert_eq!(commands(&rx), vec![Command::Resume]);
    set_state(&mut a, TrainerState::Done);
    a.update(ch(' '));
    assert!(commands(&rx).is_empty());
    assert!(a.notice.as_ref().unwrap().1.contains("press r"));
}

#[test]
fn tab_and_shift_tab_cycle_focus() {
    let (mut a, _rx) = app();
    let mut seen = vec![a.focus];
    for _ in 0..5 {
        a.update(key(KeyCode::Tab));
        seen.push(a.focus);
    }
    assert_eq!(seen[..5], Focus::ORDER);
    assert_eq!(seen[5], Focus::ORDER[0]);
    a.update(key(KeyCode::BackTab));
    assert_eq!(a.focus, Focus::Form);
}

#[test]
fn help_opens_with_question_mark_and_any_key_closes_it() {
    let (mut a, rx) = app();
    a.update(ch('?'));
    assert!(a.help);
    // The key that closes the overlay does nothing else.
    assert_eq!(a.update(ch('q')), Action::None);
    assert!(!a.help);
    assert!(commands(&rx).is_empty());
}

#[test]
fn help_lists_every_key() {
    let listed: Vec<&str> = KEYS.iter().map(|k| k.0).collect();
    let all = listed.join(" ");
    for k in [
        "space",
        "Tab",
        "Shift-Tab",
        "mouse",
        "r",
        "s",
        "o",
        "c",
        "?",
        "q",
        "Ctrl-C",
        "Esc",
        "Enter",
        "Backspace",
        "↑/↓",
    ] {
        assert!(all.contains(k), "help overlay lacks {k}");
    }
}

#[test]
fn q_quits_at_once_when_idle_and_asks_while_training() {
    let (mut a, _rx) = app();
    assert_eq!(a.update(ch('q')), Action::Quit);
    set_state(&mut a, TrainerState::Training);
    assert_eq!(a.update(ch('q')), Action::None);
    assert_eq!(a.dialog, Some(Dialog::Quit));
    assert_eq!(a.update(ch('n')), Action::None);
    assert_eq!(a.dialog, None);
    a.update(ch('q'));
    assert_eq!(a.update(ch('y')), Action::Quit);
}

#[test]
fn ctrl_c_quits_and_key_releases_are_ignored() {
    let (mut a, rx) = app();
    let mut release = KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    a.update(Msg::Key(release));
    assert!(commands(&rx).is_empty());
    set_state(&mut a, TrainerState::Training);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(a.update(Msg::Key(ctrl_c)), Action::Quit);
}

#[test]
fn r_restarts_asking_first_while_training() {
    let (mut a, _rx) = app();
    assert_eq!(a.update(ch('r')), Action::Restart(a.hp.clone()));
    set_state(&mut a, TrainerState::Training);
    assert_eq!(a.update(ch('r')), Action::None);
    assert!(matches!(a.dialog, Some(Dialog::Restart { .. })));
    assert_eq!(a.update(key(KeyCode::Esc)), Action::None);
    assert!(a.dialog.is_none());
    a.update(ch('r'));
    assert_eq!(a.update(ch('y')), Action::Restart(a.hp.clone()));
}

#[test]
fn the_completion_pane_types_command_keys_as_text() {
    let (mut a, rx) = app();
    set_state(&mut a, TrainerState::Training);
    a.update(key(KeyCode::Tab));
    a.update(key(KeyCode::Tab));
    assert_eq!(a.focus, Focus::Completion);
    assert!(a.completion.typing);
    let before = a.completion.completion.clone().unwrap();
    for c in "q r ".chars() {
        assert_eq!(a.update(ch(c)), Action::None);
    }
    assert!(a.completion.prefix.ends_with("q r "));
    assert!(a.dialog.is_none());
    assert!(commands(&rx).is_empty());
    let after = a.completion.completion.clone().unwrap();
    assert_ne!(before.prefix(), after.prefix());
    assert_eq!(after.prefix(), a.completion.prefix);
    a.update(key(KeyCode::Backspace));
    assert!(a.completion.prefix.ends_with("q r"));
    // Capitals are lower-cased, as the corpus was.
    a.update(ch('T'));
    assert!(a.completion.prefix.ends_with("q rt"));
    a.update(key(KeyCode::Backspace));
    // Esc leaves typing mode: keys are commands again.
    a.update(key(KeyCode::Esc));
    assert!(!a.completion.typing);
    a.update(ch(' '));
    assert_eq!(commands(&rx), vec![Command::Pause]);
    a.update(key(KeyCode::Enter));
    assert!(a.completion.typing);
}

#[test]
fn a_new_snapshot_recomputes_the_completion() {
    let (mut a, _rx) = app();
    let n = a.completion.computed;
    a.update(Msg::Trainer(Event::Snapshot(std::sync::Arc::new(
        fixtures::snapshot(16, 9),
    ))));
    assert_eq!(a.completion.computed, n + 1);
    let c = a.completion.completion.as_ref().unwrap();
    assert_eq!(c.hidden.len(), c.tokens.len());
    assert_eq!(c.hidden[0].len(), 16);
}

#[test]
fn invalid_form_input_is_refused_with_a_message() {
    let (mut a, rx) = app();
    set_state(&mut a, TrainerState::Training);
    edit(&mut a, Field::Lr, "-2");
    let check = format!("{:?}", a.form.check);
    assert!(check.contains("positive finite"), "{check}");
    assert_eq!(a.update(key(KeyCode::Enter)), Action::None);
    let (level, msg) = a.notice.clone().unwrap();
    assert_eq!(level, Level::Error);
    assert!(msg.contains("refused") && msg.contains("lr"), "{msg}");
    assert_eq!(a.hp.lr, 1.0);
    assert!(a.form.editing.is_some(), "the edit stays open to be fixed");
    assert!(commands(&rx).is_empty());
    // Esc cancels.
    a.update(key(KeyCode::Esc));
    assert!(a.form.editing.is_none());
}

#[test]
fn a_live_lr_change_reaches_the_trainer() {
    let (mut a, rx) = app();
    set_state(&mut a, TrainerState::Training);
    edit(&mut a, Field::Lr, "0.5");
    assert_eq!(a.update(key(KeyCode::Enter)), Action::None);
    assert_eq!(commands(&rx), vec![Command::SetLearningRate(0.5)]);
    assert_eq!(a.hp.lr, 0.5);
    edit(&mut a, Field::Clip, "2");
    a.update(key(KeyCode::Enter));
    assert_eq!(commands(&rx), vec![Command::SetClip(2.0)]);
    assert_eq!(a.gradients.threshold, 2.0);
}

/// `off` (or 0) in the form turns clipping off live: the trainer gets a threshold of 0, the
/// form shows "off", the gradient panel says "clip off" and draws no threshold line; a huge
/// rate is written compactly everywhere it shows.
#[test]
fn clip_off_and_huge_rates_in_the_form() {
    let (mut a, rx) = app();
    set_state(&mut a, TrainerState::Training);
    a.update(Msg::Trainer(Event::Batch(fixtures::batch(1, 1.0))));
    edit(&mut a, Field::Clip, "off");
    assert_eq!(a.update(key(KeyCode::Enter)), Action::None);
    assert_eq!(commands(&rx), vec![Command::SetClip(0.0)]);
    assert_eq!(a.hp.clip, 0.0);
    let (_, msg) = a.notice.clone().unwrap();
    assert!(msg.contains("clip threshold = off"), "{msg}");
    let screen = common::screen::screen(&mut a, 120, 40);
    assert!(screen.contains("clip off"), "{screen}");
    assert!(!screen.contains("clip at"), "{screen}");
    edit(&mut a, Field::Lr, "1e39");
    a.update(key(KeyCode::Enter));
    assert_eq!(commands(&rx), vec![Command::SetLearningRate(1e39)]);
    let screen = common::screen::screen(&mut a, 120, 40);
    assert!(screen.contains("1e39"), "{screen}");
    assert!(!screen.contains("000000000"), "{screen}");
}

#[test]
fn a_structural_change_asks_then_restarts() {
    let (mut a, rx) = app();
    set_state(&mut a, TrainerState::Training);
    edit(&mut a, Field::Hiddens, "64");
    assert_eq!(a.update(key(KeyCode::Enter)), Action::None);
    assert!(matches!(a.dialog, Some(Dialog::Restart { .. })));
    let action = a.update(ch('y'));
    let Action::Restart(hp) = action else {
        panic!("{action:?}")
    };
    assert_eq!(hp.hiddens, 64);
    // Nothing changes until the new trainer exists.
    assert_eq!(a.hp.hiddens, 32);
    assert!(commands(&rx).is_empty());
    a.restart_failed("corpus file not found: nope.txt".into());
    assert!(a.notice.as_ref().unwrap().1.contains("nope.txt"));
    assert_eq!(a.hp.hiddens, 32);
}

#[test]
fn a_new_run_resets_the_charts_and_keeps_the_prefix() {
    let (mut a, _rx) = app();
    fixtures::feed_training(&mut a, 30);
    a.completion.prefix = "it has".into();
    let (tx, rx2) = unbounded();
    let mut hp = a.hp.clone();
    hp.hiddens = 8;
    a.start_run(hp, tx);
    assert!(a.perplexity.train.is_empty());
    assert_eq!(a.hp.hiddens, 8);
    assert_eq!(a.completion.prefix, "it has");
    a.update(ch(' '));
    assert_eq!(commands(&rx2), vec![Command::Start]);
}

#[test]
fn a_mouse_click_focuses_the_panel_under_it() {
    let (mut a, _rx) = app();
    a.update(Msg::Resize(120, 40));
    let areas = view::layout(a.area).unwrap();
    for (focus, rect) in areas.panels() {
        a.update(Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: rect.x + 1,
            row: rect.y + 1,
            modifiers: KeyModifiers::NONE,
        }));
        assert_eq!(a.focus, focus);
    }
}

#[test]
fn trainer_errors_show_in_the_status() {
    let (mut a, _rx) = app();
    fixtures::feed_training(&mut a, 10);
    a.update(Msg::Trainer(Event::Error {
        message: "tensor error: boom".into(),
    }));
    assert_eq!(a.status.label(), "ERROR");
    assert_eq!(a.status.error.as_deref(), Some("tensor error: boom"));
}
