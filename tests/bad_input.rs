//! Bad input, case by case (issue "Hard to break"): each bad corpus and each bad
//! hyperparameter gives the same one-line message from the command line (with its exit code),
//! from the config file and in the cockpit (status bar / form), and loses nothing; a diverging
//! run and a crashing trainer are reported and recoverable. The guide's table "What rnn-tui does
//! with bad input" (docs/reliability.md) points at these tests.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

use candle_core::Device;
use ratatui::crossterm::event::KeyCode;

use common::cli::{rnn_tui, SMALL_SPLIT};
use common::keys::{form_commit, key, training_app};
use common::screen::screen;
use rnn_tui::data::CorpusSource;
use rnn_tui::exit::{EXIT_FAILURE, EXIT_USAGE};
use rnn_tui::hparams::{Field, HParams};
use rnn_tui::train::{Event, Trainer, TrainerState};
use rnn_tui::tui::{Action, App, ColorMode, Dialog, Level, Msg, Theme};

// ---------------------------------------------------------------------------------------------
// Helpers

/// The binary with private data and config directories under `dir`.
fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `train --headless` exits with `code` and prints exactly `error: {message}` on one line.
fn assert_cli_error(dir: &Path, args: &[&str], code: i32, message: &str) {
    let out = rnn_tui(dir)
        .args(["train", "--headless", "--no-save", "--threads", "1"])
        .args(args)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    assert_eq!(err, format!("error: {message}\n"), "{args:?}");
    assert!(out.stdout.is_empty(), "{args:?}: nothing trained");
}

// ---------------------------------------------------------------------------------------------
// Corpus

/// A bad corpus: one line and exit 2 from `train --headless`; in the cockpit (the form's
/// corpus field, confirmed, the rebuild refused) the same message on the message line, and
/// the current run — hyperparameters, model, charts — untouched.
fn bad_corpus(path: &Path, message: &str) {
    bad_corpus_found(path, message, Found::AtRebuild);
}

/// Where the cockpit finds a bad corpus.
#[derive(PartialEq)]
enum Found {
    /// Reading it, after the rebuild was confirmed (its content is the fault).
    AtRebuild,
    /// In the form, as the path is typed: no such file, not a file, unreadable, too large
    /// (issue 24: the form no longer says "✓ valid" and asks to confirm first).
    InTheForm,
}

fn bad_corpus_found(path: &Path, message: &str, found: Found) {
    let dir = tempfile::tempdir().unwrap();
    let p = path.to_str().unwrap();
    assert_cli_error(dir.path(), &["--corpus", p], EXIT_USAGE, message);

    let (mut a, rx) = training_app(HParams::default());
    let hp_before = a.hp.clone();
    let model_before = a.completion.snapshot.clone().unwrap();
    let batches_before = a.perplexity.train.total();
    assert_eq!(form_commit(&mut a, Field::Corpus, p), Action::None);
    let shown = if found == Found::InTheForm {
        assert!(a.dialog.is_none(), "refused before any confirmation");
        format!("✗ refused: {message}")
    } else {
        assert!(matches!(a.dialog, Some(Dialog::Restart { .. })));
        let Action::Restart(hp) = a.update(key(KeyCode::Char('y'))) else {
            panic!("the confirmed change should ask for a rebuild")
        };
        assert_eq!(hp.corpus, CorpusSource::File(path.to_owned()));
        // What the event loop does (tui::cockpit): build the trainer; on failure, tell the app.
        let err = Trainer::new(hp, &Device::Cpu, "cpu")
            .err()
            .expect("refused");
        a.restart_failed(err.to_string());
        assert_eq!(
            a.notice,
            Some((Level::Error, format!("not restarted: {message}")))
        );
        format!("✗ not restarted: {message}")
    };
    let text = screen(&mut a, 250, 40);
    assert!(text.contains(&shown), "the message line shows it:\n{text}");
    assert_eq!(a.hp, hp_before);
    assert!(Arc::ptr_eq(
        a.completion.snapshot.as_ref().unwrap(),
        &model_before
    ));
    assert_eq!(a.perplexity.train.total(), batches_before);
    assert!(
        rx.try_iter().next().is_none(),
        "nothing sent to the trainer"
    );
    assert_eq!(a.state(), TrainerState::Training);
}

#[test]
fn corpus_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nope.txt");
    bad_corpus_found(
        &p,
        &format!("corpus file not found: {}", p.display()),
        Found::InTheForm,
    );
}

#[test]
fn corpus_directory() {
    let dir = tempfile::tempdir().unwrap();
    bad_corpus_found(
        dir.path(),
        &format!(
            "corpus path is a directory, not a text file: {}",
            dir.path().display()
        ),
        Found::InTheForm,
    );
}

#[test]
fn corpus_unreadable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("secret.txt");
    std::fs::write(&p, "some text").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads it anyway; then a path through a regular file (ENOTDIR) is what cannot be read.
    let (p, reason) = if std::fs::read(&p).is_err() {
        (p, "Permission denied (os error 13)")
    } else {
        (p.join("x.txt"), "Not a directory (os error 20)")
    };
    bad_corpus_found(
        &p,
        &format!("cannot read corpus {}: {reason}", p.display()),
        Found::InTheForm,
    );
}

#[test]
fn corpus_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.txt");
    std::fs::write(&p, "").unwrap();
    bad_corpus(&p, &format!("corpus {} is empty", p.display()));
}

#[test]
fn corpus_binary_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("image.png");
    std::fs::write(&p, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe").unwrap();
    bad_corpus(
        &p,
        &format!(
            "corpus {} is not valid UTF-8 text (binary file?)",
            p.display()
        ),
    );
}

#[test]
fn corpus_without_letters() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("numbers.txt");
    std::fs::write(&p, "1234 5678\n— 3.14159 !? ¿¡ 日本語\n").unwrap();
    bad_corpus(
        &p,
        &format!(
            "corpus {} contains no letters A-Z/a-z, so there is nothing to learn",
            p.display()
        ),
    );
}

#[test]
fn corpus_shorter_than_one_window() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("short.txt");
    std::fs::write(&p, "Time travel.").unwrap();
    // "time travel " is 12 characters: not one window of num_steps + 1 = 33.
    bad_corpus(
        &p,
        "corpus too short: 12 characters give 0 windows of 33 characters, but 10000 training + 5000 validation windows are needed",
    );
}

#[test]
fn corpus_too_few_windows_for_the_split() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("slice.txt");
    std::fs::write(&p, &rnn_tui::data::corpus::TIME_MACHINE[..3000]).unwrap();
    bad_corpus(
        &p,
        "corpus too short: 2848 characters give 2816 windows of 33 characters, but 10000 training + 5000 validation windows are needed",
    );
}

#[test]
fn corpus_over_the_1_gib_limit_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.txt");
    // Sparse: 2 GiB of size, no disk used; the limit is checked on the size alone.
    std::fs::File::create(&p).unwrap().set_len(2 << 30).unwrap();
    bad_corpus_found(
        &p,
        &format!(
            "corpus {} is 2147483648 bytes; the limit is 1073741824 bytes",
            p.display()
        ),
        Found::InTheForm,
    );
}

// ---------------------------------------------------------------------------------------------
// Hyperparameters

/// (form field, flag / config key, value as typed, value as TOML, the message).
const BAD_HPARAMS: &[(Field, &str, &str, &str, &str)] = &[
    // The model settings (issue 11).
    (
        Field::Cell,
        "cell",
        "xyz",
        "\"xyz\"",
        "cell must be rnn, gru or lstm, got \"xyz\"",
    ),
    (Field::Layers, "layers", "0", "0", "layers must be at least 1"),
    (
        Field::Embed,
        "embed",
        "-3",
        "-3",
        "embed must be a whole number ≥ 0 (0: one-hot input), got \"-3\"",
    ),
    (
        Field::Optimizer,
        "optimizer",
        "rmsprop",
        "\"rmsprop\"",
        "optimizer must be sgd or adam, got \"rmsprop\"",
    ),
    (
        Field::Dropout,
        "dropout",
        "1",
        "1",
        "dropout must be a number from 0 up to (not including) 1, got 1",
    ),
    (
        Field::Dropout,
        "dropout",
        "NaN",
        "nan",
        "dropout must be a number from 0 up to (not including) 1, got NaN",
    ),
    // Dropout on d2l §9.5's model, which has no layer for it to act on (issue 25).
    (
        Field::Dropout,
        "dropout",
        "0.5",
        "0.5",
        DROPOUT_ON_9_5,
    ),
    (
        Field::LrDecay,
        "lr-decay",
        "0",
        "0",
        "lr-decay must be a number above 0 and at most 1 (1: no decay), got 0",
    ),
    (
        Field::LrDecay,
        "lr-decay",
        "1.5",
        "1.5",
        "lr-decay must be a number above 0 and at most 1 (1: no decay), got 1.5",
    ),
    (Field::Hiddens, "hiddens", "0", "0", "hiddens must be at least 1"),
    (
        Field::Hiddens,
        "hiddens",
        "-3",
        "-3",
        "hiddens must be a whole number, got \"-3\"",
    ),
    (
        Field::Hiddens,
        "hiddens",
        "5000",
        "5000",
        "hiddens must be at most 4096, got 5000",
    ),
    (Field::NumSteps, "num-steps", "0", "0", "num-steps must be at least 1"),
    (Field::BatchSize, "batch-size", "0", "0", "batch-size must be at least 1"),
    (Field::Epochs, "epochs", "0", "0", "epochs must be at least 1"),
    (
        Field::Lr,
        "lr",
        "NaN",
        "nan",
        "lr must be a positive finite number, got NaN",
    ),
    (
        Field::Lr,
        "lr",
        "inf",
        "inf",
        "lr must be a positive finite number, got inf",
    ),
    (
        Field::Lr,
        "lr",
        "-1",
        "-1",
        "lr must be a positive finite number, got -1",
    ),
    (
        Field::Clip,
        "clip",
        "-0.5",
        "-0.5",
        "clip must be a positive finite number, or 0 or \"off\" for no clipping, got -0.5",
    ),
    (
        Field::Clip,
        "clip",
        "-inf",
        "-inf",
        "clip must be a positive finite number, or 0 or \"off\" for no clipping, got -inf",
    ),
    (
        Field::Clip,
        "clip",
        "NaN",
        "nan",
        "clip must be a positive finite number, or 0 or \"off\" for no clipping, got NaN",
    ),
    (
        Field::Seed,
        "seed",
        "-1",
        "-1",
        "seed must be a whole number ≥ 0, got \"-1\"",
    ),
    // Would not fit in memory: estimated and refused before anything is allocated.
    (
        Field::BatchSize,
        "batch-size",
        "1000000",
        "1000000",
        "these sizes need about 42.9 GiB for training (batch-size 1000000 x num-steps 32 x hiddens 32); the limit is 4 GiB",
    ),
];

#[test]
fn bad_hyperparameters_give_the_same_message_from_flags_config_and_form() {
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("config");
    std::fs::create_dir_all(&config_dir).unwrap();
    let config = config_dir.join("config.toml");
    for &(field, flag, typed, toml_value, message) in BAD_HPARAMS {
        // The cockpit's form: refused, the value unchanged, the message in the footer.
        let (mut a, rx) = training_app(HParams::default());
        assert_eq!(form_commit(&mut a, field, typed), Action::None);
        assert_eq!(
            a.notice,
            Some((Level::Error, format!("refused: {message}"))),
            "form {flag}={typed}"
        );
        assert_eq!(a.hp, HParams::default());
        assert!(rx.try_iter().next().is_none());

        // The config file: one line naming the file, exit 2.
        std::fs::write(
            &config,
            format!("[train]\n{} = {toml_value}\n", flag.replace('-', "_")),
        )
        .unwrap();
        let out = rnn_tui(dir.path())
            .args(["train", "--headless", "--no-save"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(EXIT_USAGE), "config {flag}");
        assert_eq!(
            stderr(&out),
            format!("error: {}: {message}\n", config.display()),
            "config {flag}={toml_value}"
        );
        std::fs::remove_file(&config).unwrap();

        // The command line: exit 2, the message on the first line. A value that is not a
        // number at all is refused by the argument parser, which names the flag first.
        let out = rnn_tui(dir.path())
            .args([
                "train",
                "--headless",
                "--no-save",
                &format!("--{flag}"),
                typed,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(EXIT_USAGE), "--{flag} {typed}");
        let err = stderr(&out);
        let first = err.lines().next().unwrap_or("");
        let parser = format!(
            "error: invalid value '{typed}' for '--{flag} <{}>': {message}",
            flag.replace('-', "_").to_uppercase()
        );
        if first.starts_with(&parser) {
            assert!(message.contains("whole number"), "{first}");
            assert_eq!(err.lines().count(), 1, "one line: {err}");
        } else {
            assert_eq!(err, format!("error: {message}\n"), "--{flag} {typed}");
        }
    }
}

/// What `--dropout` above 0 on the §9.5 model (the default) is refused with.
const DROPOUT_ON_9_5: &str = "dropout applies between recurrent layers and before the output layer of the gru/lstm/stacked/embedding models; d2l §9.5's model (rnn, 1 layer, one-hot input) has none: pass --cell gru|lstm, --layers 2 or --embed N, or drop --dropout";

/// `--dropout 0.5` on the §9.5 model used to train exactly as without it; now it is refused
/// (exit 2, one line), and any model with a layer for dropout to act on takes it.
#[test]
fn dropout_on_the_section_9_5_model_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = rnn_tui(dir.path())
        .args(["train", "--headless", "--no-save", "--dropout", "0.5"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(EXIT_USAGE), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("dropout"), "{err}");
    assert_eq!(err, format!("error: {DROPOUT_ON_9_5}\n"));
    assert!(out.stdout.is_empty());
    // `--dropout 0` is §9.5 as ever: it gets past validation (to the missing corpus here).
    // So do the models dropout applies to.
    let missing = dir.path().join("missing.txt");
    let missing = missing.to_str().unwrap();
    for model in [
        &["--dropout", "0"][..],
        &["--dropout", "0.5", "--cell", "gru"],
        &["--dropout", "0.5", "--cell", "lstm"],
        &["--dropout", "0.5", "--layers", "2"],
        &["--dropout", "0.5", "--embed", "8"],
    ] {
        let out = rnn_tui(dir.path())
            .args(["train", "--headless", "--no-save", "--corpus", missing])
            .args(model)
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(EXIT_USAGE), "{model:?}: {err}");
        assert!(
            err.starts_with("error: corpus file not found: "),
            "{model:?}: {err}"
        );
    }
}

#[test]
fn split_sizes_are_checked_before_training() {
    let dir = tempfile::tempdir().unwrap();
    assert_cli_error(
        dir.path(),
        &["--num-val", "0"],
        EXIT_USAGE,
        "num-val must be at least 1",
    );
    assert_cli_error(
        dir.path(),
        &["--num-train", "0"],
        EXIT_USAGE,
        "num-train must be at least 1",
    );
}

// ---------------------------------------------------------------------------------------------
// Divergence

#[test]
fn lr_100_diverges_headless_exit_1_and_only_finite_weights_are_saved() {
    let dir = tempfile::tempdir().unwrap();
    let out = rnn_tui(dir.path())
        .args(["train", "--headless", "--lr", "100", "--threads", "1"])
        .args(SMALL_SPLIT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(EXIT_FAILURE), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: training diverged at epoch 1 batch "),
        "{err}"
    );
    assert!(
        err.contains("with learning rate 100: stopped and saved the last good weights; continue with a lower rate: rnn-tui train --resume "),
        "{err}"
    );
    assert!(err.trim_end().ends_with(" --lr 10"), "{err}");
    // The run was saved on the way out, with the restored (finite) weights.
    let root = rnn_tui::runs::runs_root(&dir.path().join("data"));
    let runs = rnn_tui::runs::list_runs(&root).unwrap();
    assert_eq!(runs.len(), 1);
    let snap = runs[0]
        .dir
        .checkpoint()
        .unwrap()
        .model()
        .unwrap()
        .snapshot()
        .unwrap();
    for w in [&snap.w_xh, &snap.w_hh, &snap.b_h, &snap.w_hq, &snap.b_q] {
        assert!(w.iter().all(|v| v.is_finite()));
    }
}

fn small_hparams(dir: &Path) -> HParams {
    let corpus: PathBuf = dir.join("slice.txt");
    std::fs::write(&corpus, &rnn_tui::data::corpus::TIME_MACHINE[..30_000]).unwrap();
    HParams {
        hiddens: 16,
        num_steps: 16,
        batch_size: 64,
        epochs: 3,
        num_train: 1000,
        num_val: 200,
        corpus: CorpusSource::File(corpus),
        ..HParams::default()
    }
}

#[test]
fn a_diverging_run_shows_in_the_cockpit_paused_with_the_weights_restored() {
    let dir = tempfile::tempdir().unwrap();
    let mut hp = small_hparams(dir.path());
    hp.lr = 100.0;
    hp.epochs = 50;
    let trainer = Trainer::new(hp.clone(), &Device::Cpu, "cpu").unwrap();
    let handle = trainer.spawn();
    let mut a = App::new(hp, Theme::default_for(ColorMode::TrueColor));
    a.attach(handle.commands.clone());
    a.update(key(KeyCode::Char(' '))); // start
    let mut diverged = false;
    for ev in handle.events.iter() {
        diverged |= matches!(ev, Event::Diverged { .. });
        let paused = matches!(
            ev,
            Event::State {
                state: TrainerState::Paused
            }
        );
        assert!(!matches!(ev, Event::Finished(_)), "lr 100 should diverge");
        a.update(Msg::Trainer(ev));
        if diverged && paused {
            break;
        }
    }
    assert_eq!(a.state(), TrainerState::Paused);
    let (level, notice) = a.notice.clone().unwrap();
    assert_eq!(level, Level::Warn);
    assert!(
        notice.starts_with("training diverged at epoch "),
        "{notice}"
    );
    assert!(notice.contains("weights restored, paused"), "{notice}");
    let text = screen(&mut a, 250, 40);
    assert!(text.contains("PAUSED"), "{text}");
    assert!(text.contains("weights restored, paused"), "{text}");
    // The model the cockpit decodes from is the restored one: finite.
    let snap = a.completion.snapshot.clone().unwrap();
    assert!(snap.w_hh.iter().chain(&snap.w_xh).all(|v| v.is_finite()));
    // Lower the rate in the form, resume: it trains on (a live change, no rebuild).
    assert_eq!(form_commit(&mut a, Field::Lr, "0.5"), Action::None);
    a.update(key(KeyCode::Esc));
    a.update(key(KeyCode::Tab)); // leave the form
    a.update(key(KeyCode::Char(' ')));
    let mut batches = 0;
    for ev in handle.events.iter() {
        if let Event::Batch(b) = &ev {
            assert_eq!(b.lr, 0.5);
            assert!(b.loss.is_finite());
            batches += 1;
        }
        a.update(Msg::Trainer(ev));
        if batches == 5 {
            break;
        }
    }
    assert_eq!(a.state(), TrainerState::Training);
    handle.stop();
}

// ---------------------------------------------------------------------------------------------
// Faults

#[test]
fn a_trainer_panic_reaches_the_cockpit_which_stays_usable_and_restarts_with_r() {
    let dir = tempfile::tempdir().unwrap();
    let hp = small_hparams(dir.path());
    let mut trainer = Trainer::new(hp.clone(), &Device::Cpu, "cpu").unwrap();
    trainer.inject_panic_after_batches(3);
    let handle = trainer.spawn();
    let mut a = App::new(hp, Theme::default_for(ColorMode::TrueColor));
    a.attach(handle.commands.clone());
    a.update(key(KeyCode::Char(' ')));
    // Every event until the dead thread's channel closes.
    for ev in handle.events.iter() {
        a.update(Msg::Trainer(ev));
    }
    assert_eq!(a.status.label(), "ERROR");
    let error = a.status.error.clone().unwrap();
    assert!(
        error.starts_with("trainer crashed: injected fault"),
        "{error}"
    );
    let text = screen(&mut a, 200, 40);
    assert!(text.contains(&format!("✗ {error}  (r restarts)")), "{text}");
    // Keys still work: help opens and closes, space explains, q would quit without asking.
    a.update(key(KeyCode::Char('?')));
    assert!(a.help);
    a.update(key(KeyCode::Esc));
    a.update(key(KeyCode::Char(' ')));
    assert!(a.notice.as_ref().unwrap().1.contains("press r to restart"));
    // r rebuilds at once (no question: the run is dead) with the same hyperparameters.
    let Action::Restart(hp) = a.update(key(KeyCode::Char('r'))) else {
        panic!("r should restart")
    };
    let handle = Trainer::new(hp.clone(), &Device::Cpu, "cpu")
        .unwrap()
        .spawn();
    a.start_run(hp, handle.commands.clone());
    assert_eq!(a.status.label(), "READY");
    a.update(key(KeyCode::Char(' ')));
    let mut batches = 0;
    for ev in handle.events.iter() {
        batches += matches!(ev, Event::Batch(_)) as usize;
        assert!(!matches!(ev, Event::Error { .. }), "{ev:?}");
        a.update(Msg::Trainer(ev));
        if batches == 5 {
            break;
        }
    }
    assert_eq!(a.status.label(), "TRAINING");
    assert_eq!(a.runs_started, 2);
    handle.stop();
}
