//! The watcher's delay from a batch being logged to it being drawn.
//!
//! `cargo bench --bench watch_delay` makes a real run directory (a trainer recording into it,
//! holding its lock), starts the real watcher on it (`rnn_tui::watch`, polling every
//! `watch::POLL`), and appends batch records to `metrics.jsonl` with the trainer's own
//! `MetricsWriter` at irregular intervals (20–80 ms, a few hundred batches a minute as a small
//! run logs them). A loop paced like the cockpit's (`cockpit::TRAINING_FRAME` ticks, events
//! drained on the tick, the whole 120×40 screen drawn into a `TestBackend`) records, for each
//! batch, the time from its line being written to the end of the first frame that shows it.
//!
//! Goal: under 0.5 s. No assertions: it reports p50/p95/max. `BATCHES=N` sets the count
//! (default 300).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use rnn_tui::data::CorpusSource;
use rnn_tui::hparams::HParams;
use rnn_tui::metrics::{BatchStats, MetricRecord};
use rnn_tui::runs::{MetricsWriter, RunDir};
use rnn_tui::train::Trainer;
use rnn_tui::tui::cockpit::TRAINING_FRAME;
use rnn_tui::tui::{view, App, ColorMode, Msg, Theme};
use rnn_tui::watch::{self, WatchOptions};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let batches: usize = std::env::var("BATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let tmp = tempfile::tempdir().unwrap();
    let hp = HParams {
        num_train: 2_000,
        num_val: 500,
        batch_size: 256,
        corpus: CorpusSource::TimeMachine,
        ..HParams::default()
    };
    let mut trainer = Trainer::new(hp, &candle_core::Device::Cpu, "cpu").unwrap();
    trainer
        .record_to(RunDir::create(&tmp.path().join("runs")).unwrap())
        .unwrap();
    let dir = trainer.run_dir().unwrap().clone();
    let start_len = std::fs::metadata(dir.metrics_path()).unwrap().len();

    let w = watch::start(&dir, WatchOptions::default()).unwrap();
    let mut app = App::new(w.hparams.clone(), Theme::default_for(ColorMode::TrueColor));
    app.start_watching(&dir.path, w.writer.describe(), w.handle.commands.clone());
    app.update(Msg::Resize(120, 40));
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();

    // The writer: one batch line every 20–80 ms, its time noted just before the write.
    let written: Arc<Mutex<Vec<Instant>>> = Arc::new(Mutex::new(Vec::new()));
    let times = written.clone();
    let path = dir.metrics_path();
    let writer = std::thread::spawn(move || {
        let (mut log, _) = MetricsWriter::open(&path, start_len).unwrap();
        for k in 1..=batches {
            std::thread::sleep(Duration::from_millis(20 + (k as u64 * 37) % 61));
            times.lock().unwrap().push(Instant::now());
            log.log(&MetricRecord::Batch(BatchStats {
                epoch: 1,
                batch: k,
                batches_per_epoch: batches,
                loss: 3.3 - k as f64 * 1e-3,
                grad_norm: 0.5,
                clipped: false,
                clip_threshold: 1.0,
                lr: 1.0,
                tokens: 8192,
                elapsed: k as f64 * 0.05,
            }))
            .unwrap();
        }
    });

    // The cockpit's pacing: drain on the tick, draw when events came and a frame is due.
    let ticker = crossbeam_channel::tick(TRAINING_FRAME);
    let mut last_draw: Option<Instant> = None;
    let mut dirty = false;
    let mut drawn = 0usize;
    let mut delays = Vec::with_capacity(batches);
    let deadline = Instant::now() + Duration::from_secs(60 + batches as u64);
    while drawn < batches && Instant::now() < deadline {
        ticker.recv().unwrap();
        for ev in w.handle.events.try_iter() {
            app.update(Msg::Trainer(ev));
            dirty = true;
        }
        if dirty && last_draw.is_none_or(|t| t.elapsed() >= TRAINING_FRAME) {
            term.draw(|f| view::draw(f, &app)).unwrap();
            let now = Instant::now();
            last_draw = Some(now);
            dirty = false;
            let shown = app.status.last_batch.as_ref().map_or(0, |b| b.batch);
            let times = written.lock().unwrap();
            for t in &times[drawn..shown] {
                delays.push(now.duration_since(*t).as_secs_f64() * 1000.0);
            }
            drawn = shown;
        }
    }
    writer.join().unwrap();
    drop(w);
    drop(trainer);
    delays.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "watcher delay, batch logged -> drawn (poll {} ms, frames every {} ms): n={} p50={:.0} ms p95={:.0} ms max={:.0} ms",
        watch::POLL.as_millis(),
        TRAINING_FRAME.as_millis(),
        delays.len(),
        percentile(&delays, 0.5),
        percentile(&delays, 0.95),
        delays[delays.len() - 1]
    );
}
