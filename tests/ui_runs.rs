//! The cockpit's run keys on the app state: `s` saves, `o` opens the runs picker, Enter
//! continues a run (asking while one trains), `c` overlays past curves (several, a colour
//! each), `n` labels and `d` deletes a run (never the open one), warnings are not errors, a
//! resumed run's history fills the charts and a finished one is offered more epochs, and the
//! epoch samples reach the completion pane.

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
    let o = a.perplexity.overlays.first().unwrap();
    assert_eq!(o.id, list.runs[1].id);
    assert_eq!(o.train.len(), 60);
    assert_eq!(o.val.len(), 3);
    assert!(o.train.iter().all(|p| p.1.is_finite() && p.1 > 1.0));

    // It survives a restart (comparing runs is the point).
    let (tx, _rx2) = unbounded();
    a.start_run(a.hp.clone(), tx);
    assert!(!a.perplexity.overlays.is_empty());

    a.update(ch('o'));
    a.show_runs(Ok(list.clone()));
    a.update(key(KeyCode::Down));
    assert_eq!(a.update(ch('c')), Action::None);
    assert!(a.perplexity.overlays.is_empty());

    // Empty or unreadable metrics are said so.
    a.set_overlay("x".into(), Ok(Vec::new()));
    assert!(a.perplexity.overlays.is_empty());
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

#[test]
fn several_runs_overlay_at_once_with_stable_colours() {
    let (mut a, _rx) = training();
    let list = fixtures::run_list();
    a.update(ch('o'));
    a.show_runs(Ok(list.clone()));
    for (i, r) in list.runs.iter().enumerate() {
        // `c` keeps the picker open, so the next run can be added.
        assert_eq!(
            a.update(ch('c')),
            Action::LoadOverlay {
                id: r.id.clone(),
                path: r.path.clone()
            }
        );
        assert!(a.picker.is_some());
        a.set_overlay(r.id.clone(), Ok(fixtures::past_run_records(40 + i)));
        a.update(key(KeyCode::Down));
    }
    let slots = |a: &App| -> Vec<(String, usize)> {
        a.perplexity
            .overlays
            .iter()
            .map(|o| (o.id.clone(), o.slot))
            .collect()
    };
    assert_eq!(
        slots(&a),
        vec![
            (list.runs[0].id.clone(), 0),
            (list.runs[1].id.clone(), 1),
            (list.runs[2].id.clone(), 2)
        ]
    );
    // The labelled run is named by its label in the legend.
    assert_eq!(a.perplexity.overlays[1].name, "war, wide");
    // Taking the middle one away keeps the others' colours; the next run gets the free one.
    a.update(key(KeyCode::Up));
    assert_eq!(a.update(ch('c')), Action::None);
    assert_eq!(a.perplexity.overlays.len(), 2);
    a.set_overlay(
        "20261126-000000-beef".into(),
        Ok(fixtures::past_run_records(30)),
    );
    let s = slots(&a);
    assert_eq!(s[0].1, 0);
    assert_eq!(s[1].1, 2);
    assert_eq!(s[2], ("20261126-000000-beef".to_owned(), 1));
}

#[test]
fn the_open_run_is_never_compared_with_itself_nor_deleted() {
    let list = fixtures::run_list();
    let (mut a, _rx) = training();
    a.update(saved(list.runs[0].path.to_str().unwrap(), 0, 0));
    a.update(ch('o'));
    a.show_runs(Ok(list.clone()));
    assert_eq!(a.update(ch('c')), Action::None);
    assert!(a.perplexity.overlays.is_empty());
    assert!(a
        .notice
        .as_ref()
        .unwrap()
        .1
        .contains("is the one open here"));
    a.update(ch('d'));
    assert_eq!(a.update(ch('y')), Action::None);
    assert!(a.notice.as_ref().unwrap().1.contains("cannot be deleted"));
    // Another run: deleted after y, labelled after n … Enter.
    a.update(key(KeyCode::Down));
    a.update(ch('d'));
    assert_eq!(
        a.update(ch('y')),
        Action::DeleteRun {
            id: list.runs[1].id.clone(),
            path: list.runs[1].path.clone()
        }
    );
    a.update(ch('n'));
    for _ in 0..20 {
        a.update(key(KeyCode::Backspace));
    }
    for c in "gru test".chars() {
        a.update(ch(c));
    }
    assert_eq!(
        a.update(key(KeyCode::Enter)),
        Action::LabelRun {
            path: list.runs[1].path.clone(),
            label: "gru test".into()
        }
    );
    a.run_deleted(&list.runs[1].id, Ok(()));
    assert!(a.notice.as_ref().unwrap().1.contains("deleted"));
    // A run overlaid and then continued: its curve is the live one now, not an overlay.
    a.set_overlay(list.runs[1].id.clone(), Ok(fixtures::past_run_records(30)));
    assert_eq!(a.perplexity.overlays.len(), 1);
    let (tx, _rx2) = unbounded();
    a.start_resumed(
        &list.runs[1].path,
        HParams::default(),
        tx,
        &fixtures::past_run_records(30),
        &[],
    );
    assert!(a.perplexity.overlays.is_empty());
}

#[test]
fn a_finished_run_is_offered_more_epochs_and_the_epochs_field_applies_live() {
    let (mut a, _rx) = training();
    let (tx, rx) = unbounded();
    let hp = HParams {
        epochs: 4,
        ..HParams::default()
    };
    // Loaded at 2/2 and raised to 4 by the launcher.
    a.start_resumed(
        std::path::Path::new("/d/runs/20261127-184210-07c2"),
        hp,
        tx,
        &fixtures::past_run_records(40),
        &[],
    );
    a.offer_more_epochs(2);
    let msg = &a.notice.as_ref().unwrap().1;
    assert!(
        msg.contains("finished its 2 epochs") && msg.contains("2 more (to 4)"),
        "{msg}"
    );
    assert_eq!(a.status.epochs, 4);
    assert_eq!(a.hp.get(rnn_tui::hparams::Field::Epochs), "4");
    // The epochs field is live: it reaches the trainer without a rebuild.
    common::keys::edit(&mut a, rnn_tui::hparams::Field::Epochs, "6");
    assert_eq!(a.update(key(KeyCode::Enter)), Action::None);
    assert!(a.dialog.is_none());
    assert_eq!(a.status.epochs, 6);
    assert!(rx.try_iter().any(|c| c == Command::SetEpochs(6)));
}

#[test]
fn epoch_samples_fill_the_history_and_the_prefix_follows_the_typing() {
    let (mut a, rx) = training();
    for e in 1..=3 {
        a.update(Msg::Trainer(Event::Sample(fixtures::sample(e))));
    }
    // A resumed run samples its last epoch again: the later sample replaces it.
    let mut again = fixtures::sample(3);
    again.completion = "again".into();
    a.update(Msg::Trainer(Event::Sample(again)));
    let epochs: Vec<usize> = a.completion.samples.iter().map(|s| s.epoch).collect();
    assert_eq!(epochs, [1, 2, 3]);
    assert_eq!(a.completion.samples[2].completion, "again");
    a.update(ch('/'));
    a.update(ch('x'));
    let sent: Vec<Command> = rx.try_iter().collect();
    assert_eq!(
        sent.last(),
        Some(&Command::SetEpochSample {
            prefix: a.completion.prefix.clone(),
            len: 40
        })
    );
    // ↑/↓ scroll the history (not text).
    a.update(key(KeyCode::Down));
    assert_eq!(a.completion.history_scroll, 1);
    assert!(a.completion.prefix.ends_with('x'));
}

/// Issue 24: the line the cockpit leaves after closing on a finished run suggested
/// `--epochs 2N`, though `train --resume` alone now opens it with more epochs offered. The line
/// says what resuming does, and a real resume offers exactly the epochs the line names.
#[test]
fn the_closing_line_of_a_finished_run_says_what_resuming_offers() {
    use rnn_tui::tui::cockpit::closing_line;
    use rnn_tui::tui::launch::Launcher;

    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("runs");
    let launcher = Launcher::new(
        rnn_tui::device::DeviceChoice::Cpu,
        rnn_tui::model::ComputePath::Auto,
        Some(root.clone()),
        None,
    )
    .unwrap();
    // Trains `trainer` to its end in an app, as the cockpit would, and returns the app.
    let run = |trainer: rnn_tui::train::Trainer, hp: HParams| -> App {
        let mut a = App::new(
            hp,
            rnn_tui::tui::Theme::default_for(rnn_tui::tui::ColorMode::TrueColor),
        );
        let h = trainer.spawn();
        a.attach(h.commands.clone());
        h.send(Command::Start);
        for ev in h.events.iter() {
            let done = matches!(ev, Event::Finished(_));
            if let Event::Error { message } = &ev {
                panic!("{message}");
            }
            a.update(Msg::Trainer(ev));
            if done {
                break;
            }
        }
        a
    };
    let hp = HParams {
        epochs: 2,
        ..common::corpus::tiny_hparams(common::corpus::slice_corpus(tmp.path()))
    };
    let a = run(launcher.new_run(hp.clone()).unwrap(), hp);
    let id = a.status.run_id().unwrap().to_owned();
    let line = closing_line(&a).unwrap();
    assert!(
        line.contains(&format!(
            "train it longer with: rnn-tui train --resume {id} (offers 2 more epochs;"
        )),
        "{line}"
    );
    assert!(!line.contains("--epochs 4"), "{line}");
    let dir = a.status.run_dir.clone().unwrap();
    let resumed = launcher.resume_at(&dir).unwrap();
    assert_eq!(resumed.more_epochs, Some(2), "what the line promised");

    // Trained those 2 more: finished at 4/4, the line offers 4 more, as resuming does.
    let hp = resumed.trainer.hp.clone();
    assert_eq!(hp.epochs, 4);
    let a = run(resumed.trainer, hp);
    let line = closing_line(&a).unwrap();
    assert!(line.contains("(offers 4 more epochs;"), "{line}");
    assert_eq!(launcher.resume_at(&dir).unwrap().more_epochs, Some(4));
    // Nothing saved (no run directory yet): nothing to say.
    let (b, _rx) = app();
    assert_eq!(closing_line(&b), None);
}
