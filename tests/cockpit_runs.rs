//! The cockpit's trainers through `Launcher`, on real trainers and a real data directory: a
//! new run is saved once it starts (not before), a stopped run saves where it stopped, the
//! picker lists it, resuming continues it with its history, and an unwritable data directory
//! is a warning while training goes on.

use std::path::Path;

mod common;

use ratatui::crossterm::event::KeyCode;

use common::keys::{ch, edit, key};
use rnn_tui::data::CorpusSource;
use rnn_tui::device::DeviceChoice;
use rnn_tui::hparams::{Field, HParams};
use rnn_tui::metrics::MetricRecord;
use rnn_tui::model::ComputePath;
use rnn_tui::train::{Command, Event, TrainerHandle, TrainerState};
use rnn_tui::tui::launch::{self, Launcher};
use rnn_tui::tui::{App, ColorMode, Msg, Theme};

fn tiny(dir: &Path) -> HParams {
    let path = dir.join("slice.txt");
    std::fs::write(&path, &rnn_tui::data::corpus::TIME_MACHINE[..30_000]).unwrap();
    HParams {
        hiddens: 16,
        num_steps: 16,
        batch_size: 256,
        epochs: 3,
        seed: 3,
        num_train: 2_000,
        num_val: 500,
        corpus: CorpusSource::File(path),
        ..HParams::default()
    }
}

fn launcher(root: Option<&Path>) -> Launcher {
    Launcher::new(
        DeviceChoice::Cpu,
        ComputePath::Auto,
        root.map(Path::to_path_buf),
        None,
    )
    .unwrap()
}

/// Wait for the first event that `pick` maps to something.
fn wait<T>(h: &TrainerHandle, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
    for ev in h.events.iter() {
        if let Event::Error { message } = &ev {
            panic!("{message}");
        }
        if let Some(t) = pick(&ev) {
            return t;
        }
    }
    panic!("the trainer ended first");
}

#[test]
fn a_cockpit_run_is_saved_from_its_start_and_where_it_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("runs");
    let l = launcher(Some(&root));

    // Built but never started: nothing on disk.
    let h = l.new_run(tiny(tmp.path())).unwrap().spawn();
    wait(&h, |e| matches!(e, Event::State { .. }).then_some(()));
    h.stop();
    assert_eq!(l.list().unwrap().runs.len(), 0);

    // Started: a run directory at once, announced with Saved. It pauses itself in the middle
    // of epoch 2, so the stop below cannot race past the epoch on a fast machine.
    let mut t = l.new_run(tiny(tmp.path())).unwrap();
    t.pause_at(2, 3);
    let h = t.spawn();
    h.send(Command::Start);
    let dir = wait(&h, |e| match e {
        Event::Saved { run_dir, .. } => Some(run_dir.clone()),
        _ => None,
    });
    assert!(dir.starts_with(&root));
    // Stop in the middle of epoch 2 (as quitting does): the trainer saves on the way out.
    let stopped_at = wait(&h, |e| match e {
        Event::Batch(b) if b.epoch == 2 && b.batch == 3 => Some((b.epoch, b.batch)),
        _ => None,
    });
    h.stop();
    let list = l.list().unwrap();
    assert_eq!(list.runs.len(), 1);
    let run = &list.runs[0];
    assert_eq!(run.path, dir);
    // Stopped after the batch we saw or a few later; never before it.
    let meta = rnn_tui::runs::RunDir::open(&dir).unwrap().meta().unwrap();
    assert_eq!(meta.progress.epoch, 1);
    assert!(meta.progress.batch >= stopped_at.1, "{:?}", meta.progress);
    assert!(run.epochs.starts_with("1+/3"), "{}", run.epochs);
    assert!(run.best_val_ppl.is_finite());

    // The picker's history of it: every batch and the epoch end, in order.
    let history = launch::history(&dir).unwrap();
    let batches = history
        .iter()
        .filter(|r| matches!(r, MetricRecord::Batch(_)))
        .count();
    let per_epoch = match &history[0] {
        MetricRecord::Batch(b) => b.batches_per_epoch,
        other => panic!("{other:?}"),
    };
    assert_eq!(batches, per_epoch + meta.progress.batch);
    assert!(matches!(history[per_epoch], MetricRecord::Epoch(_)));

    // Resuming continues at the next batch, saving into the same directory.
    let resumed = l
        .resume(
            &rnn_tui::runs::RunDir::open(&dir).unwrap(),
            None,
            None,
            None,
        )
        .unwrap();
    assert!(resumed.notes.is_empty(), "{:?}", resumed.notes);
    let h = resumed.trainer.spawn();
    h.send(Command::Start);
    let next = wait(&h, |e| match e {
        Event::Batch(b) => Some((b.epoch, b.batch)),
        _ => None,
    });
    assert_eq!(next, (2, meta.progress.batch + 1));
    h.stop();
    assert_eq!(l.list().unwrap().runs.len(), 1);
}

#[test]
fn an_unwritable_runs_root_is_a_warning_and_training_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    // A file where the runs directory should be.
    let blocked = tmp.path().join("blocked");
    std::fs::write(&blocked, b"not a directory").unwrap();
    let l = launcher(Some(&blocked.join("runs")));
    let h = l.new_run(tiny(tmp.path())).unwrap().spawn();
    h.send(Command::Start);
    let warning = wait(&h, |e| match e {
        Event::Warning { message } => Some(message.clone()),
        _ => None,
    });
    assert!(warning.contains("this run is not being saved"), "{warning}");
    let b = wait(&h, |e| match e {
        Event::Batch(b) => Some(b.batch),
        _ => None,
    });
    assert_eq!(b, 1);
    h.stop();
}

#[test]
fn without_saving_the_picker_is_empty_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let l = launcher(None);
    assert!(l.runs_root().is_none());
    let h = l.new_run(tiny(tmp.path())).unwrap().spawn();
    h.send(Command::Start);
    wait(&h, |e| match e {
        Event::Batch(b) => Some(b.batch),
        _ => None,
    });
    h.stop();
    assert_eq!(l.list().unwrap(), launch::RunList::default());
    let entries: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "only the corpus slice");
}

/// Feed the trainer's events to the app until `stop` matches one (returned).
fn pump(app: &mut App, h: &TrainerHandle, stop: impl Fn(&Event) -> bool) -> Event {
    loop {
        let ev = h
            .events
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("the trainer went quiet");
        if let Event::Error { message } = &ev {
            panic!("{message}");
        }
        app.update(Msg::Trainer(ev.clone()));
        if stop(&ev) {
            return ev;
        }
    }
}

/// Issue: with the fused kernel a NaN divergence could not be recovered in the cockpit — every
/// batch after lowering the rate diverged again. Through the App and a real trainer: diverge
/// with a NaN at `lr 1e39`, lower the rate to 1 in the form, space, and training goes on to the
/// end with finite losses.
#[test]
fn a_nan_divergence_recovers_in_the_cockpit_after_lowering_the_rate() {
    let tmp = tempfile::tempdir().unwrap();
    let hp = HParams {
        lr: 1e39,
        epochs: 2,
        ..tiny(tmp.path())
    };
    let h = launcher(None).new_run(hp.clone()).unwrap().spawn();
    let mut app = App::new(hp, Theme::default_for(ColorMode::TrueColor));
    app.attach(h.commands.clone());
    app.update(ch(' '));
    let Event::Diverged { loss, .. } = pump(&mut app, &h, |e| matches!(e, Event::Diverged { .. }))
    else {
        unreachable!()
    };
    assert!(
        !loss.is_finite(),
        "the divergence is a non-finite loss: {loss}"
    );
    pump(&mut app, &h, |e| {
        matches!(
            e,
            Event::State {
                state: TrainerState::Paused
            }
        )
    });
    assert_eq!(app.status.label(), "PAUSED");
    assert!(app.status.error.is_none());

    edit(&mut app, Field::Lr, "1");
    app.update(key(KeyCode::Enter));
    assert_eq!(app.hp.lr, 1.0);
    app.update(ch(' '));
    let mut losses = Vec::new();
    let done = loop {
        match pump(&mut app, &h, |e| {
            matches!(
                e,
                Event::Batch(_) | Event::Finished(_) | Event::Diverged { .. }
            )
        }) {
            Event::Batch(b) => losses.push(b.loss),
            Event::Finished(s) => break s,
            other => panic!("diverged again after lowering the rate: {other:?}"),
        }
    };
    assert!(losses.len() >= 10, "{losses:?}");
    assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
    assert!(done.val_ppl.is_finite() && done.val_ppl < 28.0, "{done:?}");
    assert_eq!(app.status.label(), "DONE");
    h.stop();
}

/// A run whose saved weights hold a NaN: continuing it from the picker is refused with the same
/// line as `sample`/`eval`/`--resume` (naming the tensor), and the cockpit keeps its current run.
#[test]
fn the_picker_refuses_a_run_with_non_finite_weights_and_keeps_the_current_run() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("runs");
    let l = launcher(Some(&root));
    let h = l.new_run(tiny(tmp.path())).unwrap().spawn();
    h.send(Command::Start);
    let dir = wait(&h, |e| match e {
        Event::Epoch(_) => l.list().ok()?.runs.first().map(|r| r.path.clone()),
        _ => None,
    });
    h.stop();
    let model = dir.join(rnn_tui::runs::MODEL_FILE);
    let bytes = std::fs::read(&model).unwrap();
    std::fs::write(
        &model,
        common::weights::with_value(&bytes, "W_hh", 3, f32::NAN),
    )
    .unwrap();

    // The cockpit's current run, training.
    let current = l.new_run(tiny(tmp.path())).unwrap().spawn();
    let mut app = App::new(tiny(tmp.path()), Theme::default_for(ColorMode::TrueColor));
    app.attach(current.commands.clone());
    app.update(ch(' '));
    pump(&mut app, &current, |e| matches!(e, Event::Batch(_)));

    let Err(err) = l.resume_at(&dir) else {
        panic!("a NaN checkpoint was resumed");
    };
    let line = err.to_string();
    assert_eq!(
        line,
        format!(
            "checkpoint {}: tensor W_hh holds non-finite values (NaN or inf)",
            model.display()
        )
    );
    app.resume_failed(line.clone());
    assert_eq!(
        app.notice.clone().map(|n| n.1),
        Some(format!("not resumed: {line}"))
    );
    // Still attached to the current trainer: it keeps training and reporting.
    let before = app.status.batches_seen;
    pump(&mut app, &current, |e| matches!(e, Event::Batch(_)));
    assert!(app.status.batches_seen > before);
    assert_eq!(app.status.label(), "TRAINING");
    current.stop();
}

/// Issue 24 (item 4): a finished run loaded again trains more epochs on space instead of
/// ending at once, and its epoch samples complete the prefix the cockpit gives.
#[test]
fn a_finished_run_is_loaded_to_train_as_many_epochs_again() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("runs");
    let l = launcher(Some(&root));
    let hp = HParams {
        epochs: 1,
        ..tiny(tmp.path())
    };
    let h = l.new_run(hp).unwrap().spawn();
    h.send(Command::Start);
    wait(&h, |e| matches!(e, Event::Finished(_)).then_some(()));
    drop(h);
    let listed = l.list().unwrap();
    assert_eq!(listed.runs[0].epochs, "1/1");

    let mut r = l.resume_at(&listed.runs[0].path).unwrap();
    assert_eq!(r.more_epochs, Some(1));
    assert_eq!(r.trainer.hp.epochs, 2);
    assert_eq!(r.samples.len(), 1, "the first epoch's sample");
    r.trainer.set_epoch_sample("the time", 10);
    let h = r.trainer.spawn();
    h.send(Command::Start);
    let sample = wait(&h, |e| match e {
        Event::Sample(s) => Some(s.clone()),
        _ => None,
    });
    assert_eq!((sample.epoch, sample.prefix.as_str()), (2, "the time"));
    assert_eq!(sample.completion.chars().count(), 10);
    let summary = wait(&h, |e| match e {
        Event::Finished(s) => Some(s.clone()),
        _ => None,
    });
    assert_eq!((summary.epochs, summary.completed), (2, true));
    drop(h);
    assert_eq!(l.list().unwrap().runs[0].epochs, "2/2");
}
