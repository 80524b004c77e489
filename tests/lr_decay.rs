//! `--lr-decay F`: after an epoch whose validation perplexity does not beat the best so far,
//! the trainer multiplies the learning rate by F, tells the front end (`Event::Settings`), and
//! saves the new rate with the checkpoint so a resumed run goes on with it.

use candle_core::Device;
use rnn_tui::data::CorpusSource;
use rnn_tui::hparams::{Cell, HParams};
use rnn_tui::runs::{Checkpoint, RunDir};
use rnn_tui::train::{Command, Event, Trainer};

mod common;
use common::corpus::{slice_corpus, tiny_hparams};

fn tiny(corpus: CorpusSource, cell: Cell, lr: f64, lr_decay: f64) -> HParams {
    HParams {
        epochs: 3,
        seed: 5,
        cell,
        lr,
        lr_decay,
        ..tiny_hparams(corpus)
    }
}

/// Runs to the end; returns every epoch's validation perplexity and every learning rate the
/// trainer announced.
fn run(trainer: Trainer) -> (Vec<f64>, Vec<f64>) {
    let handle = trainer.spawn();
    handle.send(Command::Start);
    let (mut vals, mut lrs) = (Vec::new(), Vec::new());
    for ev in handle.events.iter() {
        match ev {
            Event::Epoch(e) => vals.push(e.val_ppl),
            Event::Settings { lr, .. } => lrs.push(lr),
            Event::Error { message } => panic!("{message}"),
            Event::Finished(_) => break,
            _ => {}
        }
    }
    (vals, lrs)
}

/// A learning rate so small that no weight moves (each update is below a float's resolution):
/// the validation perplexity stays put, so epochs 2 and 3 are plateaus and each halves the rate.
#[test]
fn a_plateau_multiplies_the_rate_and_the_checkpoint_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    for cell in [Cell::Rnn, Cell::Gru] {
        let hp = tiny(slice_corpus(dir.path()), cell, 1e-30, 0.5);
        let mut t = Trainer::new(hp, &Device::Cpu, "cpu").unwrap();
        let run_dir = RunDir::create(&dir.path().join(format!("runs-{cell:?}"))).unwrap();
        let path = run_dir.path.clone();
        t.record_to(run_dir).unwrap();
        let (vals, lrs) = run(t);
        assert_eq!(vals.len(), 3, "{cell:?}");
        assert!(vals.windows(2).all(|w| w[0] == w[1]), "{cell:?}: {vals:?}");
        assert_eq!(lrs, vec![0.5e-30, 0.25e-30], "{cell:?}");
        let ckpt = Checkpoint::load(&RunDir::open(&path).unwrap()).unwrap();
        assert_eq!(ckpt.meta.progress.lr, 0.25e-30, "{cell:?}");
        assert_eq!(ckpt.meta.hparams.lr_decay, 0.5, "{cell:?}");
    }
}

/// While the validation perplexity improves every epoch, the rate stays; and with the default
/// `--lr-decay 1` a plateau changes nothing.
#[test]
fn improving_epochs_and_the_default_keep_the_rate() {
    let dir = tempfile::tempdir().unwrap();
    let hp = tiny(slice_corpus(dir.path()), Cell::Rnn, 1.0, 0.5);
    let (vals, lrs) = run(Trainer::new(hp, &Device::Cpu, "cpu").unwrap());
    assert!(vals.windows(2).all(|w| w[1] < w[0]), "{vals:?}");
    assert!(lrs.is_empty(), "{lrs:?}");

    let hp = tiny(slice_corpus(dir.path()), Cell::Rnn, 1e-30, 1.0);
    let (vals, lrs) = run(Trainer::new(hp, &Device::Cpu, "cpu").unwrap());
    assert!(vals.windows(2).all(|w| w[0] == w[1]), "{vals:?}");
    assert!(lrs.is_empty(), "{lrs:?}");
}

/// The headless output says when the rate changed.
#[test]
fn headless_prints_the_new_rate() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("slice.txt");
    std::fs::write(&corpus, &rnn_tui::data::corpus::TIME_MACHINE[..30_000]).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rnn-tui"))
        .env("RNN_TUI_CONFIG_DIR", dir.path().join("config"))
        .env("RNN_TUI_DATA_DIR", dir.path().join("data"))
        .args(["train", "--headless", "--no-save", "--threads", "1"])
        .args(["--corpus", corpus.to_str().unwrap()])
        .args(["--hiddens", "16", "--num-steps", "16", "--batch-size", "64"])
        .args(["--num-train", "512", "--num-val", "256", "--epochs", "3"])
        .args(["--lr", "1e-30", "--lr-decay", "0.5"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("lr ") || l.starts_with("epoch "))
        .map(|l| l.split(" train_ppl").next().unwrap())
        .collect();
    assert_eq!(
        lines,
        ["epoch 1", "epoch 2", "lr 5e-31", "epoch 3", "lr 2.5e-31"],
        "{text}"
    );
}
