//! The cockpit's `p` on the app state and a `TestBackend` screen, on real runs trained by
//! `train --headless`: the focused chart goes into `RUNDIR/plots/` as SVG (never over an
//! earlier one), the message line names the file; the picker's `p` saves the overlay; an
//! unsaved run or one with nothing yet is told why.

mod common;

use std::path::{Path, PathBuf};

use common::cli::{private_dir, rnn_tui, SMALL_SPLIT};
use common::keys::{app, ch, key};
use common::screen::screen;
use ratatui::crossterm::event::KeyCode;
use rnn_tui::runs::{self, RunDir};
use rnn_tui::train::Event;
use rnn_tui::tui::launch::RunList;
use rnn_tui::tui::panels::runs::RunsPicker;
use rnn_tui::tui::{fixtures, Action, App, Level, Msg};

/// Train a tiny run for two epochs in `tmp`'s data dir; its directory.
fn train(tmp: &Path) -> PathBuf {
    let corpus = tmp.join("slice.txt").display().to_string();
    let mut args = vec!["train", "--headless", "--device", "cpu", "--threads", "1"];
    args.extend(SMALL_SPLIT);
    // A clip threshold among the gradient norms (~0.05–0.3 here), so its line is drawn.
    args.extend([
        "--hiddens",
        "16",
        "--clip",
        "0.15",
        "--epochs",
        "2",
        "--corpus",
        &corpus,
    ]);
    let out = rnn_tui(tmp).args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().find(|l| l.starts_with("run ")).unwrap();
    PathBuf::from(line.split(' ').nth(2).unwrap())
}

/// The app showing the run in `dir` as the cockpit does while training it: its batches and
/// epochs, and the directory its trainer announced.
fn showing(dir: &Path) -> App {
    let (mut a, _rx) = app();
    a.update(Msg::Trainer(Event::Saved {
        run_dir: dir.to_owned(),
        epoch: 0,
        batch: 0,
        asked: false,
    }));
    for r in RunDir::open(dir).unwrap().metrics().unwrap() {
        let ev = match r {
            rnn_tui::metrics::MetricRecord::Batch(b) => Event::Batch(b),
            rnn_tui::metrics::MetricRecord::Epoch(e) => Event::Epoch(e),
        };
        a.update(Msg::Trainer(ev));
    }
    a
}

/// Carry out `p` as the event loop does; the message line afterwards.
fn press_p(a: &mut App, runs_root: &Path) -> (Level, String) {
    match a.update(ch('p')) {
        Action::SaveChart(chart) => a.chart_saved(chart.write(Some(runs_root))),
        other => panic!("p gave {other:?}"),
    }
    a.notice.clone().unwrap()
}

fn polylines(svg: &Path) -> usize {
    let text = std::fs::read_to_string(svg).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    // The axes' tick marks are polylines too, in the default theme's text colour.
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") != Some("#D0D0D0"))
        .count()
}

#[test]
fn p_saves_the_focused_chart_into_the_run_directory_and_says_where() {
    let tmp = private_dir();
    let dir = train(tmp.path());
    let root = runs::runs_root(&tmp.path().join("data"));
    let mut a = showing(&dir);
    // Perplexity (focused first): per batch, EMA, validation.
    let (level, msg) = press_p(&mut a, &root);
    let first = dir.join("plots").join("ppl-epoch2.svg");
    assert_eq!(level, Level::Info, "{msg}");
    assert!(msg.contains(&first.display().to_string()), "{msg}");
    assert_eq!(polylines(&first), 3);
    // The message line shows it (its start, at least, on a 200-column screen).
    let text = screen(&mut a, 200, 50);
    assert!(text.contains("chart saved to"), "{text}");
    // Again: a new file, the first kept.
    let (_, msg) = press_p(&mut a, &root);
    let second = dir.join("plots").join("ppl-epoch2-2.svg");
    assert!(msg.contains("ppl-epoch2-2.svg"), "{msg}");
    assert!(first.is_file() && second.is_file());
    // Zoomed on the gradients, steps on the x-axis: that chart, that axis.
    a.update(ch('4'));
    a.update(ch('z'));
    a.update(ch('x'));
    let (_, msg) = press_p(&mut a, &root);
    let grad = dir.join("plots").join("grad-epoch2.svg");
    assert!(msg.contains("grad-epoch2.svg"), "{msg}");
    assert_eq!(polylines(&grad), 2, "the norm and the clip threshold");
    let svg = std::fs::read_to_string(&grad).unwrap();
    assert!(svg.contains("\nsteps\n"), "the x-axis title");
    // Not on a panel that is no chart.
    a.update(key(KeyCode::Esc));
    a.update(ch('2'));
    assert_eq!(a.update(ch('p')), Action::None);
    assert_eq!(a.notice.as_ref().unwrap().0, Level::Warn);
}

#[test]
fn the_pickers_p_saves_the_runs_laid_over_the_chart() {
    let tmp = private_dir();
    let open = train(tmp.path());
    let past = train(tmp.path());
    let root = runs::runs_root(&tmp.path().join("data"));
    let mut a = showing(&open);
    let past_id = past.file_name().unwrap().to_str().unwrap().to_owned();
    a.set_overlay(past_id.clone(), RunDir::open(&past).unwrap().metrics());
    a.picker = Some(RunsPicker::new(RunList {
        runs: vec![fixtures::run_list().runs[0].clone()],
        unreadable: 0,
    }));
    let (level, msg) = press_p(&mut a, &root);
    assert_eq!(level, Level::Info, "{msg}");
    let file = open.join("plots").join("ppl-vs1-epoch2.svg");
    assert!(msg.contains("ppl-vs1-epoch2.svg"), "{msg}");
    assert_eq!(polylines(&file), 6, "two runs, three series each");
    let svg = std::fs::read_to_string(&file).unwrap();
    assert!(svg.contains(&past_id), "the overlaid run is named");
}

#[test]
fn an_unsaved_run_or_no_data_is_told_why() {
    // No batch yet.
    let (mut a, _rx) = app();
    assert_eq!(a.update(ch('p')), Action::None);
    let (level, msg) = a.notice.clone().unwrap();
    assert_eq!(level, Level::Warn);
    assert!(msg.contains("nothing to save yet"), "{msg}");
    // Batches, but no run directory (`--no-save`).
    fixtures::feed_training(&mut a, 30);
    assert_eq!(a.update(ch('p')), Action::None);
    let (level, msg) = a.notice.clone().unwrap();
    assert_eq!(level, Level::Warn);
    assert!(msg.contains("--no-save"), "{msg}");
    let text = screen(&mut a, 120, 40);
    assert!(text.contains("not saved"), "{text}");
}
