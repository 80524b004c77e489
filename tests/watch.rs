//! `rnn-tui watch RUN` and the run directory's control channel, on real trainers: a headless
//! run obeys pause/resume/save from its `control` file (damaged lines are skipped and logged)
//! with the same losses as an unwatched run; the watcher replays and follows a run, loads
//! each checkpoint as the trainer's own snapshot, says when the run finished or its trainer
//! died, and in the cockpit refuses the keys that would change the run.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

mod common;

use ratatui::crossterm::event::KeyCode;

use common::cli::{rnn_tui, SMALL_SPLIT};
use common::keys::{ch, key};
use common::screen::screen;
use rnn_tui::data::CorpusSource;
use rnn_tui::hparams::HParams;
use rnn_tui::metrics::MetricRecord;
use rnn_tui::runs::atomic::SLOW_SAVE_ENV;
use rnn_tui::runs::{self, RunDir, WriterState, WriterStatus, CONTROL_FILE, LOCK_FILE};
use rnn_tui::train::{Command, Event, Trainer, TrainerState};
use rnn_tui::tui::{Action, App, ColorMode, Focus, Msg, Theme};
use rnn_tui::watch::{self, WatchOptions, Writer};

const PATIENCE: Duration = Duration::from_secs(120);

fn poll_until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(t) = f() {
            return t;
        }
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A small headless run (3 epochs of 8 batches, a checkpoint after every batch), each save
/// slowed by `slow_ms` so that a test can act while it trains.
fn headless(dir: &Path, slow_ms: u64) -> Child {
    let mut c = rnn_tui(dir);
    c.args(["train", "--headless", "--epochs", "3", "--threads", "1"])
        .args(SMALL_SPLIT)
        .args(["--save-every", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if slow_ms > 0 {
        c.env(SLOW_SAVE_ENV, slow_ms.to_string());
    }
    c.spawn().unwrap()
}

/// The only run directory under `dir`'s data dir, once it has a checkpoint.
fn the_run(dir: &Path) -> RunDir {
    let root = dir.join("data").join("runs");
    poll_until("the run directory", || {
        let list = runs::list_runs(&root).ok()?;
        let l = list.first()?;
        l.meta.as_ref().ok()?;
        Some(l.dir.clone())
    })
}

fn batch_losses(dir: &RunDir) -> Vec<f64> {
    dir.metrics()
        .unwrap()
        .into_iter()
        .filter_map(|r| match r {
            MetricRecord::Batch(b) => Some(b.loss),
            MetricRecord::Epoch(_) => None,
        })
        .collect()
}

fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

fn finish(child: Child) -> (i32, String, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The reference: the same run, unwatched and never paused.
fn unwatched_losses() -> Vec<f64> {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, err) = finish(headless(tmp.path(), 0));
    assert_eq!(code, 0, "{err}");
    batch_losses(&the_run(tmp.path()))
}

#[test]
fn the_control_file_pauses_resumes_and_saves_a_headless_run_and_damaged_lines_are_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let child = headless(tmp.path(), 60);
    let run = the_run(tmp.path());
    let control = run.path.join(CONTROL_FILE);
    // Damage first: binary bytes, a torn JSON object, an unknown command. Then pause.
    append(&control, b"\xff\xfe\x00\n{\"command\":\"pa\nrestart\n");
    append(&control, b"{\"command\":\"pause\",\"from\":\"test\"}\n");
    let paused = poll_until("state.json to say paused", || {
        let s = WriterStatus::read(&run.path)?;
        (s.state == WriterState::Paused).then_some(s)
    });
    assert_eq!(paused.pid, child.id());
    assert!(paused.control);
    // Paused: the metrics log stands still.
    let before = std::fs::metadata(run.metrics_path()).unwrap().len();
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(std::fs::metadata(run.metrics_path()).unwrap().len(), before);
    append(&control, b"save\nresume\n");
    let (code, out, err) = finish(child);
    assert_eq!(code, 0, "training went on to the end:\n{out}\n{err}");
    assert!(out.contains("paused at epoch "), "{out}");
    assert!(out.contains("resumed at epoch "), "{out}");
    assert!(out.contains("saved at epoch "), "{out}");
    assert!(out.contains("done epochs=3 "), "{out}");
    for n in 1..=3 {
        assert!(
            err.contains(&format!("warning: ignored line {n} of ")),
            "damaged line {n} is logged:\n{err}"
        );
    }
    assert!(!err.contains("error"), "{err}");
    let done = WriterStatus::read(&run.path).unwrap();
    assert_eq!(done.state, WriterState::Done);
    assert!(done.summary.unwrap().completed);
    assert!(!run.path.join(LOCK_FILE).exists());
    // Pausing, saving and the damaged lines changed nothing in training.
    assert_eq!(batch_losses(&run), unwatched_losses());
}

#[test]
fn watch_on_a_missing_run_is_one_line_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    for spec in ["nope", "/nonexistent/run/dir"] {
        let out = rnn_tui(tmp.path()).args(["watch", spec]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{spec}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains(spec), "{err}");
    }
    let out = rnn_tui(tmp.path()).args(["watch"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn watch_on_a_finished_run_replays_it_and_says_finished() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, trained, err) = finish(headless(tmp.path(), 0));
    assert_eq!(code, 0, "{err}");
    let run = the_run(tmp.path());
    let out = rnn_tui(tmp.path())
        .args(["watch", &run.id])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let watched = String::from_utf8_lossy(&out.stdout);
    assert!(
        watched.contains("which no process is training (read-only)"),
        "{watched}"
    );
    // The same epoch lines and summary as the run printed.
    let keep = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("epoch ") || l.starts_with("done "))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(keep(&watched), keep(&trained), "{watched}\n{trained}");
    assert!(watched.contains("done epochs=3 "), "{watched}");
}

#[test]
fn watch_on_a_run_whose_trainer_died_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = headless(tmp.path(), 200);
    let run = the_run(tmp.path());
    poll_until("a few batches", || {
        (batch_losses(&run).len() >= 2).then_some(())
    });
    child.kill().unwrap(); // SIGKILL: the lock stays behind
    child.wait().unwrap();
    assert!(run.path.join(LOCK_FILE).exists());
    let out = rnn_tui(tmp.path())
        .args(["watch", "latest"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(") died after "), "{err}");
    assert!(
        err.contains(&format!("pid {}", child.id())),
        "it names the process:\n{err}"
    );
    assert!(err.contains("rnn-tui train --resume"), "{err}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("whose trainer (pid "), "{stdout}");
}

fn tiny_hp(dir: &Path) -> HParams {
    let path = dir.join("slice.txt");
    std::fs::write(&path, &rnn_tui::data::corpus::TIME_MACHINE[..30_000]).unwrap();
    HParams {
        hiddens: 16,
        num_steps: 16,
        batch_size: 256,
        epochs: 2,
        seed: 5,
        num_train: 1_024,
        num_val: 256,
        corpus: CorpusSource::File(path),
        ..HParams::default()
    }
}

/// Every event of a handle until `pick` says stop (or `Finished`), with a deadline.
fn collect_until(
    events: &crossbeam_channel::Receiver<Event>,
    mut stop: impl FnMut(&Event) -> bool,
) -> Vec<Event> {
    let mut out = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if let Ok(ev) = events.recv_timeout(Duration::from_millis(200)) {
            let done = stop(&ev);
            out.push(ev);
            if done {
                return out;
            }
        }
    }
    panic!("timed out; got {} events", out.len());
}

#[test]
fn the_watcher_follows_a_live_trainer_with_its_batches_and_its_checkpointed_weights() {
    let tmp = tempfile::tempdir().unwrap();
    let hp = tiny_hp(tmp.path());
    let mut trainer = Trainer::new(hp, &candle_core::Device::Cpu, "cpu").unwrap();
    trainer.set_save_every(Some(1));
    trainer
        .record_to(RunDir::create(&tmp.path().join("runs")).unwrap())
        .unwrap();
    let dir = trainer.run_dir().unwrap().clone();
    // Paused after its third batch, so the watcher can look at a run standing still.
    trainer.pause_at(1, 3);
    let t = trainer.spawn();
    let w = watch::start(&dir, WatchOptions::default()).unwrap();
    assert!(matches!(w.writer, Writer::Local(ref l) if l.pid == std::process::id()));
    t.send(Command::Start);
    let sent = collect_until(&t.events, |e| {
        matches!(
            e,
            Event::State {
                state: TrainerState::Paused
            }
        )
    });
    let sent_batches: Vec<_> = sent
        .iter()
        .filter_map(|e| match e {
            Event::Batch(b) => Some(b.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(sent_batches.len(), 3);
    // The trainer's newest weights are those of the checkpoint after batch 3.
    let seen = collect_until(&w.handle.events, |e| {
        matches!(
            e,
            Event::Saved {
                epoch: 0,
                batch: 3,
                ..
            }
        )
    });
    let watched_batches: Vec<_> = seen
        .iter()
        .filter_map(|e| match e {
            Event::Batch(b) => Some(b.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        watched_batches, sent_batches,
        "every batch, as the trainer sent it"
    );
    assert!(matches!(
        &seen[0],
        Event::Ready {
            batches_per_epoch: 4,
            ..
        }
    ));
    let snap = seen
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Snapshot(s) => Some(s.clone()),
            _ => None,
        })
        .expect("a snapshot from the checkpoint");
    let ckpt = dir.checkpoint().unwrap();
    let theirs = ckpt.model().unwrap().snapshot().unwrap();
    assert_eq!(*snap, theirs);
    assert_eq!((ckpt.meta.progress.epoch, ckpt.meta.progress.batch), (0, 3));
    assert_eq!(
        snap.complete("it has", 10).unwrap(),
        theirs.complete("it has", 10).unwrap()
    );
    // No state.json (an in-process trainer): shown as training while its lock is held.
    assert!(seen.iter().any(|e| matches!(
        e,
        Event::State {
            state: TrainerState::Training
        }
    )));

    // The trainer finishes; the watcher says so.
    t.send(Command::Resume);
    collect_until(&t.events, |e| matches!(e, Event::Finished(_)));
    drop(t); // joins the thread: the lock is released
    let rest = collect_until(&w.handle.events, |e| matches!(e, Event::Finished(_)));
    match rest.last() {
        Some(Event::Finished(s)) => {
            assert!(s.completed);
            assert_eq!(s.epochs, 2);
            assert!(s.sample.starts_with("it has"));
        }
        other => panic!("{other:?}"),
    }
    assert!(rest.iter().any(|e| matches!(
        e,
        Event::State {
            state: TrainerState::Done
        }
    )));
}

#[test]
fn the_watching_cockpit_refuses_keys_that_change_the_run_and_passes_on_pause_and_save() {
    let tmp = tempfile::tempdir().unwrap();
    let hp = tiny_hp(tmp.path());
    let mut trainer = Trainer::new(hp, &candle_core::Device::Cpu, "cpu").unwrap();
    trainer
        .record_to(RunDir::create(&tmp.path().join("runs")).unwrap())
        .unwrap();
    let dir = trainer.run_dir().unwrap().clone();
    // The lock's holder says it reads the control file (as `train --headless` does).
    WriterStatus {
        state: WriterState::Training,
        pid: std::process::id(),
        host: runs::hostname(),
        beat: 1,
        control: true,
        message: None,
        summary: None,
    }
    .write(&dir.path)
    .unwrap();
    let w = watch::start(&dir, WatchOptions::default()).unwrap();
    let mut app = App::new(w.hparams.clone(), Theme::default_for(ColorMode::TrueColor));
    app.start_watching(&dir.path, w.writer.describe(), w.handle.commands.clone());
    for ev in collect_until(&w.handle.events, |e| {
        matches!(
            e,
            Event::State {
                state: TrainerState::Training
            }
        )
    }) {
        app.update(Msg::Trainer(ev));
    }
    assert_eq!(app.state(), TrainerState::Training);
    let notice = |a: &App| a.notice.clone().map(|(_, m)| m).unwrap_or_default();
    assert!(notice(&app).contains("watching run"), "{}", notice(&app));

    // r, a form edit, and continuing another run are refused, with the reason.
    assert_eq!(app.update(ch('r')), Action::None);
    assert!(app.dialog.is_none());
    assert!(
        notice(&app).contains("unavailable while watching"),
        "{}",
        notice(&app)
    );
    app.notice = None;
    while app.focus != Focus::Form {
        app.update(key(KeyCode::Tab));
    }
    app.update(key(KeyCode::Enter));
    assert!(app.form.editing.is_none());
    assert!(notice(&app).contains("unavailable while watching"));

    // Space and s go to the control file; the trainer is never told to stop.
    app.update(ch(' '));
    app.update(ch('s'));
    let control = dir.path.join(CONTROL_FILE);
    let text = poll_until("two commands", || {
        let t = std::fs::read_to_string(&control).ok()?;
        (t.lines().count() == 2).then_some(t)
    });
    let lines: Vec<_> = text.lines().map(runs::control::parse_line).collect();
    assert_eq!(
        lines,
        vec![
            Ok(runs::ControlCommand::Pause),
            Ok(runs::ControlCommand::Save)
        ]
    );

    // The screen says it is watching; q leaves without asking although the run trains.
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("· watching"), "{s}");
    app.notice = None;
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("leave (the run goes on)"), "{s}");
    assert_eq!(app.update(ch('q')), Action::Quit);
    drop(w.handle);
    assert_eq!(
        std::fs::read_to_string(&control).unwrap().lines().count(),
        2,
        "leaving sends nothing"
    );
    drop(trainer);
}

#[test]
fn a_dead_writer_and_a_silent_remote_writer_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let hp = tiny_hp(tmp.path());
    let mut trainer = Trainer::new(hp, &candle_core::Device::Cpu, "cpu").unwrap();
    trainer
        .record_to(RunDir::create(&tmp.path().join("runs")).unwrap())
        .unwrap();
    let dir = trainer.run_dir().unwrap().clone();
    drop(trainer);
    let lock = dir.path.join(LOCK_FILE);

    // A lock left by a process that is gone, on this host.
    let dead = u32::MAX - 1;
    std::fs::write(&lock, format!("{dead} 00ff {}\n", runs::hostname())).unwrap();
    let w = watch::start(&dir, WatchOptions::default()).unwrap();
    assert!(matches!(w.writer, Writer::Dead(_)));
    let got = collect_until(&w.handle.events, |e| matches!(e, Event::Error { .. }));
    let Some(Event::Error { message }) = got.last() else {
        unreachable!()
    };
    assert!(message.contains(&format!("pid {dead}")), "{message}");
    assert!(message.contains("died"), "{message}");
    let mut app = App::new(w.hparams.clone(), Theme::default_for(ColorMode::TrueColor));
    app.start_watching(&dir.path, w.writer.describe(), w.handle.commands.clone());
    for ev in got {
        app.update(Msg::Trainer(ev));
    }
    let s = screen(&mut app, 160, 40);
    assert!(
        s.contains("ERROR") && s.contains("died") && s.contains("(q leaves)"),
        "{s}"
    );
    drop(w);

    // A lock from another host: alive as far as anyone here can tell, until it goes silent.
    std::fs::write(&lock, "4242 00ff some-other-host\n").unwrap();
    let opts = WatchOptions {
        stale_after: Duration::from_millis(400),
        ..WatchOptions::default()
    };
    let w = watch::start(&dir, opts).unwrap();
    assert!(matches!(w.writer, Writer::Remote(_)));
    let got = collect_until(&w.handle.events, |e| matches!(e, Event::Warning { .. }));
    let Some(Event::Warning { message }) = got.last() else {
        unreachable!()
    };
    assert!(message.contains("pid 4242 on some-other-host"), "{message}");
    assert!(message.contains("may have died"), "{message}");
    assert!(got.iter().any(|e| matches!(
        e,
        Event::State {
            state: TrainerState::Training
        }
    )));
    // News again (the sync brings a new state.json): it says so.
    WriterStatus {
        state: WriterState::Paused,
        pid: 4242,
        host: "some-other-host".into(),
        beat: 9,
        control: true,
        message: None,
        summary: None,
    }
    .write(&dir.path)
    .unwrap();
    let got = collect_until(&w.handle.events, |e| {
        matches!(
            e,
            Event::State {
                state: TrainerState::Paused
            }
        )
    });
    assert!(got
        .iter()
        .any(|e| matches!(e, Event::Warning { message } if message.contains("moving again"))));
}

#[test]
fn a_watched_run_that_finishes_is_read_only_and_says_so() {
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut app = App::new(HParams::default(), Theme::default_for(ColorMode::TrueColor));
    app.start_watching(
        Path::new("/runs/20261129-000000-abcd"),
        "trained by pid 1".into(),
        tx,
    );
    rnn_tui::tui::fixtures::ready_app(&mut app);
    app.update(Msg::Trainer(Event::State {
        state: TrainerState::Done,
    }));
    app.update(Msg::Trainer(Event::Finished(rnn_tui::train::Summary {
        epochs: 3,
        completed: true,
        train_ppl: 9.0,
        val_ppl: 9.5,
        tokens_per_s: 1e5,
        seconds: 2.0,
        sample: "it has".into(),
    })));
    let notice = |a: &App| a.notice.clone().map(|(_, m)| m).unwrap_or_default();
    assert!(
        notice(&app).contains("the watched run finished: 3 epochs, val ppl 9.50 — read-only"),
        "{}",
        notice(&app)
    );
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("DONE") && s.contains("· watching"), "{s}");
    // Nothing to pause; q leaves at once; nothing was sent.
    app.update(ch(' '));
    assert!(
        notice(&app).contains("not being trained"),
        "{}",
        notice(&app)
    );
    assert_eq!(app.update(ch('q')), Action::Quit);
    assert!(rx.try_recv().is_err());
}

/// Issue 24 (item 9): the watcher passes on the samples the trainer kept at each epoch's end
/// (`samples.jsonl`), so the watching cockpit's completion pane has the same history.
#[test]
fn the_watcher_passes_on_the_epoch_samples() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, err) = finish(headless(tmp.path(), 0));
    assert_eq!(code, 0, "{err}");
    let run = the_run(tmp.path());
    let w = watch::start(&run, WatchOptions::default()).unwrap();
    let events = collect_until(
        &w.handle.events,
        |e| matches!(e, Event::Sample(s) if s.epoch == 3),
    );
    let epochs: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            Event::Sample(s) => Some(s.epoch),
            _ => None,
        })
        .collect();
    assert_eq!(epochs, [1, 2, 3]);
    let mut app = App::new(HParams::default(), Theme::default_for(ColorMode::TrueColor));
    for ev in events {
        app.update(Msg::Trainer(ev));
    }
    assert_eq!(app.completion.samples.len(), 3);
    assert_eq!(app.completion.samples[0].prefix, "it has");
}
