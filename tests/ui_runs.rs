//! The cockpit's run keys on the app state: `s` saves, `o` opens the runs picker, Enter
//! continues a run (asking while one trains), `c` overlays a past curve, warnings are not
//! errors, and a resumed run's history fills the charts.

mod common;

use std::path::PathBuf;

use crossbeam_channel::{unbounded, Receiver};
use ratatui::crossterm::event::KeyCode;

use common::keys::{app, ch, key};
use rnn_tui::hparams::HParams;
use rnn_tui::train::{Command, Event, TrainerState};
use rnn_tui::tui::{fixtures, Action, App, Dialog, Level, Msg};

fn training() -> (App, Receiver<Command>) {
    let (mut a, rx) = app();
    fixtures::feed_training(&mut a, 30);
    (a, rx)
}

fn saved(dir: &str, epoch: usize, batch: usize) -> Msg {
    Msg::Trainer(Event::Saved {
        run_dir: PathBuf::from(dir),
        epoch,
        batch,
        asked: true,
    })
}

#[test]
fn s_asks_the_trainer_to_save_and_reports_where() {
    let (mut a, rx) = training();
    a.update(saved("/d/runs/20261128-101500-a3f9", 0, 0));
    assert_eq!(a.status.run_id(), Some("20261128-101500-a3f9"));
    // An autosave is not announced.
    assert!(a
        .notice
        .as_ref()
        .is_none_or(|n| !n.1.contains("saved after")));

    a.update(ch('s'));
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![Command::Save]);
    a.update(saved("/d/runs/20261128-101500-a3f9", 1, 10));
    let (level, msg) = a.notice.clone().unwrap();
    assert_eq!(level, Level::Info);
    assert!(
        msg.contains("saved after 1 epochs and 10 batches")
            && msg.contains("/d/runs/20261128-101500-a3f9"),
        "{msg}"
    );
}

#[test]
fn s_before_training_or_after_the_end_sends_nothing() {
    let (mut a, rx) = app();
    a.update(ch('s'));
    assert!(rx.try_iter().next().is_none());
    assert!(a.notice.as_ref().unwrap().1.contains("nothing to save yet"));

    let (mut a, rx) = training();
    a.update(Msg::Trainer(Event::State {
        state: TrainerState::Done,
    }));
    a.update(ch('s'));
    assert!(rx.try_iter().next().is_none());
    assert!(a.notice.as_ref().unwrap().1.contains("finished"));
}

#[test]
fn a_failed_save_is_a_warning_not_a_dead_trainer() {
    let (mut a, _rx) = training();
    a.update(ch('s'));
    a.update(Msg::Trainer(Event::Warning {
        message: "saving the checkpoint failed: disk full".into(),
    }));
    assert_eq!(a.status.label(), "TRAINING");
    assert!(a.status.error.is_none());
    let (level, msg) = a.notice.clone().unwrap();
    assert_eq!(level, Level::Warn);
    assert!(msg.contains("disk full"));
}

#[test]
fn o_opens_the_picker_which_takes_the_keys_until_esc() {
    let (mut a, rx) = training();
    assert_eq!(a.update(ch('o')), Action::ListRuns);
    a.show_runs(Ok(fixtures::run_list()));
    let p = a.picker.as_ref().unwrap();
    assert_eq!(p.selected, 0);
    // Space and q belong to the picker now: no pause, no quit.
    a.update(ch(' '));
    assert_eq!(a.update(ch('j')), Action::None);
    a.update(key(KeyCode::Down));
    a.update(key(KeyCode::Down)); // stops at the last row
    assert_eq!(a.picker.as_ref().unwrap().selected, 2);
    a.update(ch('k'));
    assert_eq!(a.picker.as_ref().unwrap().selected, 1);
    assert!(rx.try_iter().next().is_none());
    a.update(key(KeyCode::Esc));
    assert!(a.picker.is_none());
    // A listing failure is a message, not a picker.
    a.show_runs(Err(rnn_tui::runs::RunError::Io {
        path: "/runs".into(),
        reason: "permission denied".into(),
    }));
    assert!(a.picker.is_none());
    assert!(a.notice.as_ref().unwrap().1.contains("permission denied"));
}

#[test]
fn enter_continues_a_run_asking_first_while_training() {
    let list = fixtures::run_list();
    let second = list.runs[1].path.clone();

    // Idle (ready, nothing trained): at once.
    let (mut a, _rx) = app();
    a.update(ch('o'));
    a.show_runs(Ok(list.clone()));
    a.update(key(KeyCode::Down));
    assert_eq!(
        a.update(key(KeyCode::Enter)),
        Action::Resume(second.clone())
    );
    assert!(a.picker.is_none());

    // Training: a question first; n keeps the current run, y continues the other.
    let (mut a, _rx) = training();
    a.update(ch('o'));
    a.show_runs(Ok(list.clone()));
    a.update(key(KeyCode::Down));
    assert_eq!(a.update(key(KeyCode::Enter)), Action::None);
    assert!(matches!(a.dialog, Some(Dialog::Resume { .. })));
    a.update(ch('n'));
    assert!(a.dialog.is_none());
    a.update(ch('o'));
    a.show_runs(Ok(list.clone()));
    a.update(key(KeyCode::Down));
    a.update(key(KeyCode::Enter));
    assert_eq!(a.update(ch('y')), Action::Resume(second));

    // The run already open is not opened twice.
    let (mut a, _rx) = training();
    a.update(saved(list.runs[0].path.to_str().unwrap(), 0, 0));
    a.update(ch('o'));
    a.show_runs(Ok(list));
    assert_eq!(a.update(key(KeyCode::Enter)), Action::None);
    assert!(a.notice.as_ref().unwrap().1.contains("already open"));
}

#[test]
fn c_overlays_a_past_curve_and_c_again_removes_it() {
    let (mut a, _rx) = training();
    let list = fixtures::run_list();
    a.update(ch('o'));
    a.show_runs(Ok(list.clone()));
    a.update(key(KeyCode::Down));
    let action = a.update(ch('c'));
    assert_eq!(
        action,
        Action::LoadOverlay {
            id: list.runs[1].id.clone(),
            path: list.runs[1].path.clone()
        }
    );
    let records = fixtures::past_run_records(60);
    a.set_overlay(list.runs[1].id.clone(), Ok(records));
    let o = a.perplexity.overlay.as_ref().unwrap();
    assert_eq!(o.id, list.runs[1].id);
    assert_eq!(o.train.len(), 60);
    assert_eq!(o.val.len(), 3);
    assert!(o.train.iter().all(|p| p.1.is_finite() && p.1 > 1.0));

    // It survives a restart (comparing runs is the point).
    let (tx, _rx2) = unbounded();
    a.start_run(a.hp.clone(), tx);
    assert!(a.perplexity.overlay.is_some());

    a.update(ch('o'));
    a.show_runs(Ok(list.clone()));
    a.update(key(KeyCode::Down));
    assert_eq!(a.update(ch('c')), Action::None);
    assert!(a.perplexity.overlay.is_none());

    // Empty or unreadable metrics are said so.
    a.set_overlay("x".into(), Ok(Vec::new()));
    assert!(a.perplexity.overlay.is_none());
    a.set_overlay(
        "y".into(),
        Err(rnn_tui::runs::RunError::Damaged {
            path: "/runs/y/metrics.jsonl".into(),
            reason: "truncated line 3".into(),
        }),
    );
    assert!(a.notice.as_ref().unwrap().1.contains("truncated line 3"));
}

#[test]
fn a_resumed_run_shows_its_history_and_waits_for_space() {
    let (mut a, _rx) = training();
    let (tx, rx) = unbounded();
    let history = fixtures::past_run_records(45);
    a.start_resumed(
        std::path::Path::new("/d/runs/20261127-184210-07c2"),
        HParams::default(),
        tx,
        &history,
        &["a note".into()],
    );
    assert_eq!(a.status.run_id(), Some("20261127-184210-07c2"));
    assert_eq!(a.status.epochs_done, 2);
    assert_eq!(a.perplexity.train.total(), 45);
    assert_eq!(a.perplexity.val.total(), 2);
    let b = a.status.last_batch.as_ref().unwrap();
    assert_eq!((b.epoch, b.batch), (3, 5));
    let msg = &a.notice.as_ref().unwrap().1;
    assert!(
        msg.contains("loaded at epoch 2") && msg.contains("space") && msg.contains("a note"),
        "{msg}"
    );
    // The new trainer gets the commands.
    a.update(Msg::Trainer(Event::State {
        state: TrainerState::Ready,
    }));
    a.update(ch(' '));
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![Command::Start]);
}
