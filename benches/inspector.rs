//! Keystroke → screen latency with the neuron inspector on, while a real trainer runs on the
//! CPU, at H = 32 and H = 256 (override with `HIDDENS=32,256`).
//!
//! `cargo bench --bench inspector` prints, per H, p50/p95/max of
//! - `update`: the App handling one key typed into the completion pane (completion of prefix +
//!   40 characters from the newest snapshot, with its states);
//! - `update+draw`: the same plus drawing the whole 120×40 screen into a TestBackend, with a
//!   unit selected: the completion and the 480-character validation strip coloured by it;
//! - `probe`: what one probe of the validation excerpt costs the trainer (done at most every
//!   250 ms and never more than 2% of the time).
//!
//! Target: p95 < 20 ms. No assertions: it reports.

use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

use rnn_tui::eval::inspect;
use rnn_tui::hparams::HParams;
use rnn_tui::train::{Command, Event, Trainer};
use rnn_tui::tui::{view, App, ColorMode, Focus, Msg, Theme};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(h: usize, name: &str, mut v: Vec<f64>) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "H={h:<4} {name:<12} n={} p50={:.3} ms p95={:.3} ms max={:.3} ms",
        v.len(),
        percentile(&v, 0.5),
        percentile(&v, 0.95),
        v[v.len() - 1]
    );
}

fn run(hiddens: usize, keystrokes: usize) {
    let hp = HParams {
        epochs: 1000,
        hiddens,
        ..HParams::default()
    };
    let (dev, name) = rnn_tui::device::select(rnn_tui::device::DeviceChoice::Cpu).unwrap();
    let mut trainer = Trainer::new(hp.clone(), &dev, &name).unwrap();
    trainer.set_probe(true);
    let handle = trainer.spawn();
    handle.send(Command::Start);
    let mut app = App::new(hp, Theme::default_for(ColorMode::TrueColor));
    app.attach(handle.commands.clone());
    let key = |c: KeyCode| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    // Wait until training is under way and the validation states have arrived.
    let start = Instant::now();
    let mut batches = 0;
    while (batches < 3 || app.heatmap.probe.is_none()) && start.elapsed() < Duration::from_secs(120)
    {
        if let Ok(ev) = handle.events.recv_timeout(Duration::from_millis(100)) {
            batches += matches!(ev, Event::Batch(_)) as usize;
            app.update(Msg::Trainer(ev));
        }
    }
    assert!(app.heatmap.probe.is_some(), "no validation states arrived");
    // The inspector on: the heatmap's best unit selected, then type into the completion pane.
    while app.focus != Focus::Heatmap {
        app.update(key(KeyCode::Tab));
    }
    app.update(key(KeyCode::Char('f')));
    let unit = app.heatmap.selected.expect("a unit selected");
    app.update(key(KeyCode::Char('/')));
    assert!(app.completion.typing);
    let snap = app.completion.snapshot.clone().unwrap();
    let probe_text: String = app.heatmap.probe.as_ref().unwrap().tokens().concat();
    println!("H={hiddens}: training on {name} ({batches}+ batches seen), unit {unit} selected, typing {keystrokes} keys");
    let text: Vec<char> = "the time traveller for so it will be convenient to speak of him "
        .chars()
        .collect();
    let (mut update, mut frame, mut probe) = (Vec::new(), Vec::new(), Vec::new());
    let mut probes_seen = 0;
    for i in 0..keystrokes {
        for ev in handle.events.try_iter() {
            probes_seen += matches!(ev, Event::Probe(_)) as usize;
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
        term.draw(|f| view::draw(f, &app)).unwrap();
        let t2 = Instant::now();
        assert_eq!(app.completion.computed, before + 1);
        assert_eq!(app.heatmap.selected, Some(unit));
        update.push((t1 - t0).as_secs_f64() * 1e3);
        frame.push((t2 - t0).as_secs_f64() * 1e3);
        if i % 20 == 0 {
            let t = Instant::now();
            std::hint::black_box(inspect::probe(&snap, &probe_text));
            probe.push(t.elapsed().as_secs_f64() * 1e3);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    report(hiddens, "update", update);
    report(hiddens, "update+draw", frame);
    report(hiddens, "probe", probe);
    println!(
        "H={hiddens}: batches trained meanwhile: {}, validation probes received: {probes_seen}",
        app.status.batches_seen
    );
    handle.send(Command::Stop);
}

fn main() {
    let keystrokes: usize = std::env::var("KEYSTROKES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let sizes: Vec<usize> = std::env::var("HIDDENS")
        .unwrap_or_else(|_| "32,256".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    for h in sizes {
        run(h, keystrokes);
    }
}
