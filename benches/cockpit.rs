//! Keystroke → updated completion latency while a real trainer runs on the CPU.
//!
//! `cargo bench --bench cockpit` prints p50/p95/max of
//! - `update`: the App handling one key in the completion pane (greedy completion of prefix +
//!   as many characters as fill the panes at 120×40 — the most, 200 — from the newest
//!   snapshot, heatmap data included);
//! - `update+draw`: the same plus drawing the whole 120×40 screen into a TestBackend;
//! - both again with three saved runs overlaid on the perplexity chart (2000 batches each, the
//!   curves smoothed and put on the x-axis at every frame), the runs picker's comparison case.
//!
//! Target: p95 < 20 ms. No assertions: it reports.

use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

use rnn_tui::hparams::HParams;

use rnn_tui::train::{Command, Event, Trainer};
use rnn_tui::tui::{fixtures, view, App, ColorMode, Msg, Theme};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(name: &str, mut v: Vec<f64>) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{name:<21} n={} p50={:.3} ms p95={:.3} ms max={:.3} ms",
        v.len(),
        percentile(&v, 0.5),
        percentile(&v, 0.95),
        v[v.len() - 1]
    );
}

fn main() {
    let keystrokes: usize = std::env::var("KEYSTROKES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let hp = HParams {
        epochs: 1000,
        ..HParams::default()
    };
    let (dev, name) = rnn_tui::device::select(rnn_tui::device::DeviceChoice::Cpu).unwrap();
    let handle = Trainer::new(hp.clone(), &dev, &name).unwrap().spawn();
    handle.send(Command::Start);
    let mut app = App::new(hp, Theme::default_for(ColorMode::TrueColor));
    app.attach(handle.commands.clone());
    let key = |c: KeyCode| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    // `/`: into the completion pane, typing.
    app.update(key(KeyCode::Char('/')));
    assert!(app.completion.typing);
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    // Wait until training is under way and a snapshot has arrived.
    let start = Instant::now();
    let mut batches = 0;
    while batches < 3 && start.elapsed() < Duration::from_secs(60) {
        if let Ok(ev) = handle.events.recv_timeout(Duration::from_millis(100)) {
            batches += matches!(ev, Event::Batch(_)) as usize;
            app.update(Msg::Trainer(ev));
        }
    }
    assert!(app.completion.snapshot.is_some(), "no snapshot arrived");
    println!("training on {name} ({batches}+ batches seen), typing {keystrokes} keys into the completion pane");
    let text: Vec<char> = "the time traveller for so it will be convenient to speak of him "
        .chars()
        .collect();
    type_keys(&mut app, &handle, &mut term, &text, keystrokes, "");
    for id in [
        "20261127-184210-07c2",
        "20261128-101500-a3f9",
        "20261129-090001-ffff",
    ] {
        app.set_overlay(id.into(), Ok(fixtures::past_run_records(2000)));
    }
    assert_eq!(app.perplexity.overlays.len(), 3);
    type_keys(&mut app, &handle, &mut term, &text, keystrokes, " 3 runs");
    println!("batches trained meanwhile: {}", app.status.batches_seen);
}

/// Type `keystrokes` keys into the completion pane, timing each update and frame.
fn type_keys(
    app: &mut App,
    handle: &rnn_tui::train::TrainerHandle,
    term: &mut Terminal<TestBackend>,
    text: &[char],
    keystrokes: usize,
    case: &str,
) {
    let key = |c: KeyCode| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let (mut update, mut frame) = (Vec::new(), Vec::new());
    for i in 0..keystrokes {
        for ev in handle.events.try_iter() {
            app.update(Msg::Trainer(ev));
        }
        let msg = if app.completion.prefix.chars().count() > 60 && i % 2 == 0 {
            key(KeyCode::Backspace)
        } else {
            key(KeyCode::Char(text[i % text.len()]))
        };
        let before = app.completion.computed;
        let t0 = Instant::now();
        app.update(msg);
        let t1 = Instant::now();
        term.draw(|f| view::draw(f, app)).unwrap();
        let t2 = Instant::now();
        assert_eq!(app.completion.computed, before + 1);
        update.push((t1 - t0).as_secs_f64() * 1e3);
        frame.push((t2 - t0).as_secs_f64() * 1e3);
        std::thread::sleep(Duration::from_millis(5));
    }
    report(&format!("update{case}"), update);
    report(&format!("update+draw{case}"), frame);
}
