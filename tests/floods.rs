//! Floods: a frozen or slow cockpit never slows the trainer and never grows memory. A million
//! batch events go through the trainer's real channel (`Outbox`: bounded, drops batches and
//! snapshots under back-pressure, never drops the rest) and the cockpit's real state
//! (`App::update`, no drawing); the channel, the chart series and the process's peak memory stay
//! bounded, every critical event arrives in order, and the newest data is what gets drawn.
//!
//! Nothing here asserts on time. A send that blocked would hang, so the sends run on a thread
//! and a generous deadline turns a hang into a failure. Events/s are printed for the record:
//! `cargo test --release --test floods -- --nocapture`.

mod common;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use candle_core::Device;
use crossbeam_channel::{bounded, Receiver};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use common::screen::buffer_text;
use rnn_tui::data::CorpusSource;
use rnn_tui::hparams::HParams;
use rnn_tui::metrics::{BatchStats, EpochStats};
use rnn_tui::train::outbox::{Outbox, EVENT_CAPACITY};
use rnn_tui::train::{Command, Event, Trainer, TrainerState};
use rnn_tui::tui::series::{HISTORY_BUDGET, RECENT};
use rnn_tui::tui::widgets::fmt_ppl;
use rnn_tui::tui::{fixtures, view, App, ColorMode, Msg, Theme};

const EVENTS: usize = 1_000_000;
const BATCHES_PER_EPOCH: usize = 1000;
/// How long a blocked sender may take to count as blocked: a hang guard, not a speed check.
const HANG_GUARD: Duration = Duration::from_secs(300);

/// The memory tests read the whole process's peak; one test at a time in this file.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A line of /proc/self/status in KiB (`VmRSS`, `VmHWM`).
fn proc_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {key} in /proc/self/status"))
}

/// Reset the peak (VmHWM) to the current size, where the kernel allows it.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Batch `k` (0-based) of the flood.
fn batch(k: usize) -> BatchStats {
    BatchStats {
        epoch: k / BATCHES_PER_EPOCH + 1,
        batch: k % BATCHES_PER_EPOCH + 1,
        batches_per_epoch: BATCHES_PER_EPOCH,
        loss: 3.0 - (k as f64 / EVENTS as f64),
        grad_norm: 0.5 + (k % 7) as f64 * 0.1,
        clipped: k.is_multiple_of(3),
        clip_threshold: 1.0,
        lr: 1.0,
        tokens: 256 * 32,
        elapsed: (k + 1) as f64 * 1e-4,
    }
}

fn epoch(e: usize, epochs: usize, train_ppl: f64, val_ppl: f64) -> Event {
    Event::Epoch(EpochStats {
        epoch: e,
        epochs,
        train_ppl,
        val_ppl,
        tokens_per_s: 1e6,
        elapsed: e as f64,
    })
}

/// Wait for a thread's result; a send that blocked forever fails here instead of hanging.
fn join<T>(done: &Receiver<T>, what: &str) -> T {
    done.recv_timeout(HANG_GUARD)
        .unwrap_or_else(|_| panic!("{what}: the sender blocked"))
}

#[test]
fn an_outbox_nobody_reads_never_blocks_drops_batches_and_keeps_critical_events() {
    let _serial = serial();
    let (mut out, rx) = Outbox::channel();
    let rss_before = proc_kib("VmRSS");
    reset_peak();
    let (done_tx, done) = bounded(1);
    let started = Instant::now();
    std::thread::spawn(move || {
        for k in 0..EVENTS {
            out.send(Event::Batch(batch(k)));
            // An epoch end (critical) every 100 000 batches.
            if (k + 1).is_multiple_of(100_000) {
                out.send(epoch((k + 1) / 100_000, 10, 9.0, 9.5));
            }
        }
        done_tx.send(out).unwrap();
    });
    let mut out = join(&done, "a million sends with nobody reading");
    let seconds = started.elapsed().as_secs_f64();
    let peak_growth = proc_kib("VmHWM").saturating_sub(rss_before);
    eprintln!(
        "outbox, no reader: {EVENTS} sends in {seconds:.3} s ({:.1} M events/s); peak memory grew {peak_growth} KiB (VmHWM {} KiB); an Event is {} bytes",
        EVENTS as f64 / seconds / 1e6,
        proc_kib("VmHWM"),
        std::mem::size_of::<Event>()
    );
    // The channel holds its capacity and no more; every other batch was dropped; the ten epoch
    // ends wait, in order, for room.
    assert_eq!(rx.len(), EVENT_CAPACITY);
    assert_eq!(out.dropped(), (EVENTS - EVENT_CAPACITY) as u64);
    assert_eq!(out.pending(), 10);
    assert!(!out.is_disconnected());
    // Holding a million events would take size_of::<Event>() MB; the peak grew far less.
    let unbounded_kib = (EVENTS * std::mem::size_of::<Event>() / 1024) as u64;
    assert!(
        peak_growth < unbounded_kib / 8,
        "peak memory grew {peak_growth} KiB (holding every event: {unbounded_kib} KiB)"
    );
    // What was kept: the oldest batches, in order; then the epoch ends, none lost.
    for k in 0..EVENT_CAPACITY {
        match rx.try_recv().unwrap() {
            Event::Batch(b) => assert_eq!(b, batch(k)),
            other => panic!("expected batch {k}, got {other:?}"),
        }
    }
    out.finish();
    let epochs: Vec<usize> = rx
        .try_iter()
        .map(|ev| match ev {
            Event::Epoch(e) => e.epoch,
            other => panic!("expected an epoch end, got {other:?}"),
        })
        .collect();
    assert_eq!(epochs, (1..=10).collect::<Vec<_>>());
}

#[test]
fn a_million_events_through_the_channel_and_the_app_stay_bounded_and_the_newest_is_drawn() {
    let _serial = serial();
    let epochs = EVENTS / BATCHES_PER_EPOCH;
    let hp = HParams {
        epochs,
        ..HParams::default()
    };
    let mut app = App::new(hp, Theme::default_for(ColorMode::TrueColor));
    fixtures::ready_app(&mut app);
    app.update(Msg::Trainer(Event::State {
        state: TrainerState::Training,
    }));
    let rss_before = proc_kib("VmRSS");
    reset_peak();

    let (mut out, rx) = Outbox::channel();
    let (frozen_tx, frozen) = bounded::<()>(1);
    let (caught_up_tx, caught_up) = bounded::<()>(1);
    let (done_tx, done) = bounded(1);
    let last = EVENTS - 1;
    let mut snapshots_sent = 0u64;
    let started = Instant::now();
    std::thread::spawn(move || {
        for k in 0..last {
            out.send(Event::Batch(batch(k)));
            if (k + 1).is_multiple_of(BATCHES_PER_EPOCH) {
                out.send(epoch((k + 1) / BATCHES_PER_EPOCH, epochs, 20.0, 21.0));
            }
            if (k + 1).is_multiple_of(10_000) {
                out.send(Event::Snapshot(Arc::new(fixtures::snapshot(16, k as u64))));
                snapshots_sent += 1;
            }
            // The cockpit is frozen for the first 100 000 batches.
            if k == 100_000 {
                frozen_tx.send(()).unwrap();
            }
        }
        // Wait for the cockpit to catch up, then the last batch and the end of the run: the
        // newest figures, which the screen must show.
        out.send(Event::State {
            state: TrainerState::Paused,
        });
        out.finish();
        caught_up.recv().unwrap();
        out.send(Event::Batch(batch(last)));
        out.send(epoch(epochs, epochs, 5.678, 4.321));
        out.send(Event::State {
            state: TrainerState::Done,
        });
        out.finish();
        done_tx.send((out.dropped(), snapshots_sent)).unwrap();
    });

    // The cockpit: frozen first, then updating its state for every event, never drawing.
    join(&frozen, "the flood while the cockpit is frozen");
    let mut batches = 0u64;
    let mut snapshots = 0u64;
    let mut epochs_seen = Vec::new();
    let mut max_queue = 0;
    let mut last_batch = None;
    for ev in rx.iter() {
        max_queue = max_queue.max(rx.len());
        match &ev {
            Event::Batch(b) => {
                batches += 1;
                last_batch = Some(b.clone());
            }
            Event::Epoch(e) => epochs_seen.push(e.epoch),
            Event::Snapshot(_) => snapshots += 1,
            Event::State {
                state: TrainerState::Paused,
            } => {
                assert!(rx.is_empty(), "the producer waits");
                caught_up_tx.send(()).unwrap();
            }
            _ => {}
        }
        app.update(Msg::Trainer(ev));
    }
    let (dropped, snapshots_sent) = join(&done, "the last events");
    let seconds = started.elapsed().as_secs_f64();
    let peak_growth = proc_kib("VmHWM").saturating_sub(rss_before);
    eprintln!(
        "outbox -> App::update: {EVENTS} batches sent, {batches} applied, {dropped} dropped, in {seconds:.3} s ({:.2} M batches/s sent, {:.2} M/s applied); queue at most {max_queue}; peak memory grew {peak_growth} KiB (VmHWM {} KiB)",
        EVENTS as f64 / seconds / 1e6,
        batches as f64 / seconds / 1e6,
        proc_kib("VmHWM")
    );

    // Nothing lost that must not be: every epoch end, in order; only batches and snapshots
    // dropped.
    assert_eq!(epochs_seen, (1..=epochs).collect::<Vec<_>>());
    assert_eq!(
        batches + snapshots + dropped,
        EVENTS as u64 + snapshots_sent
    );
    assert!(dropped > 0, "the frozen cockpit made the channel drop");
    assert!(max_queue <= EVENT_CAPACITY, "{max_queue}");
    assert_eq!(last_batch, Some(batch(last)));

    // The cockpit's memory: every chart series holds a bounded number of points.
    let cap = RECENT + HISTORY_BUDGET;
    for (name, s) in [
        ("train", &app.perplexity.train),
        ("ema", &app.perplexity.ema),
        ("val", &app.perplexity.val),
        ("norms", &app.gradients.norms),
        ("clips", &app.gradients.clips),
    ] {
        assert!(s.held() <= cap, "{name} holds {}", s.held());
    }
    assert_eq!(app.perplexity.train.total(), batches);
    assert_eq!(app.perplexity.val.total(), epochs as u64);
    assert_eq!(app.status.batches_seen, batches);
    // The whole process's peak: a few MiB for the channel and the series, not the flood.
    let unbounded_kib = (EVENTS * std::mem::size_of::<Event>() / 1024) as u64;
    assert!(
        peak_growth < unbounded_kib / 8,
        "peak memory grew {peak_growth} KiB (holding every event: {unbounded_kib} KiB)"
    );

    // One draw at the end shows the newest figures: the last batch and the last epoch.
    app.update(Msg::Resize(130, 40));
    let mut term = Terminal::new(TestBackend::new(130, 40)).unwrap();
    term.draw(|f| view::draw(f, &app)).unwrap();
    let screen = buffer_text(term.backend().buffer());
    for needle in [
        "DONE".to_owned(),
        format!("epoch {epochs}/{epochs} batch {BATCHES_PER_EPOCH}/{BATCHES_PER_EPOCH}"),
        format!("train ppl {}", fmt_ppl(5.678)),
        format!("val ppl {}", fmt_ppl(4.321)),
    ] {
        assert!(
            screen.contains(&needle),
            "{needle:?} not on screen:\n{screen}"
        );
    }
    assert!(!screen.contains(&format!("val ppl {}", fmt_ppl(21.0))));
}

#[test]
fn a_frozen_cockpit_never_stops_the_real_trainer() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("slice.txt");
    std::fs::write(&corpus, &rnn_tui::data::corpus::TIME_MACHINE[..20_000]).unwrap();
    // Batches of one window: 2 epochs of 3000 batches, more than the channel holds.
    let hp = HParams {
        hiddens: 4,
        num_steps: 4,
        batch_size: 1,
        epochs: 2,
        num_train: 3000,
        num_val: 10,
        corpus: CorpusSource::File(corpus),
        ..HParams::default()
    };
    let total = hp.epochs * hp.num_train;
    assert!(total > EVENT_CAPACITY);
    let mut trainer = Trainer::new(hp, &Device::Cpu, "cpu").unwrap();
    let run = rnn_tui::runs::RunDir::create(&dir.path().join("runs")).unwrap();
    trainer.record_to(run.clone()).unwrap();
    let handle = trainer.spawn();
    handle.send(Command::Start);
    // Nobody reads the events. The trainer's own log on disk shows it trains to the end.
    let started = Instant::now();
    loop {
        let logged = std::fs::read_to_string(run.metrics_path()).unwrap_or_default();
        let done = logged.matches("\"event\":\"batch\"").count();
        if done == total && logged.matches("\"event\":\"epoch\"").count() == 2 {
            break;
        }
        assert!(
            started.elapsed() < HANG_GUARD,
            "the trainer stalled at {done} of {total} batches"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Now the cockpit wakes up: it gets what fitted, and every event that matters.
    let mut events = Vec::new();
    for ev in handle.events.iter() {
        let finished = matches!(ev, Event::Finished(_));
        events.push(ev);
        if finished {
            break;
        }
    }
    handle.stop();
    let batches = events
        .iter()
        .filter(|e| matches!(e, Event::Batch(_)))
        .count();
    let epochs: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            Event::Epoch(s) => Some(s.epoch),
            _ => None,
        })
        .collect();
    assert!(
        batches < total,
        "{batches} of {total} batch events delivered"
    );
    assert!(batches > 0);
    assert_eq!(epochs, vec![1, 2]);
    assert!(matches!(events.last(), Some(Event::Finished(s)) if s.completed));
}
