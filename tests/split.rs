//! `--split whole` and `--val-fraction` (issue 15, item 2): window counts, every training
//! character read once per epoch, validation over the whole held-out text, exact resume
//! mid-epoch, the split saved in run.json, and bad input with the same words from the flag, the
//! config file and the form.

mod common;
use common::corpus::slice_corpus;

use std::path::Path;

use candle_core::Device;
use rand::SeedableRng;
use ratatui::crossterm::event::KeyCode;

use common::cli::rnn_tui;
use common::keys::{form_commit, key, training_app};
use rnn_tui::data::{Batch, CorpusSource, Dataset, SplitMode, SplitSpec, TokenIds, Vocab};
use rnn_tui::exit::EXIT_USAGE;
use rnn_tui::hparams::{Field, HParams};
use rnn_tui::runs::{Checkpoint, RunDir};
use rnn_tui::train::{Command, Event, Trainer, TrainerState};
use rnn_tui::tui::{Action, App, ColorMode, Dialog, Level, Theme};

/// A dataset whose token ids are the character positions, so batches say which characters
/// they read.
fn positions(n: usize, num_steps: usize, val_fraction: f64) -> Dataset {
    let ids = TokenIds::U16((0..n as u16).collect());
    Dataset::from_ids(
        Vocab::from_text("ab"),
        ids,
        num_steps,
        SplitSpec::Whole { val_fraction },
    )
    .unwrap()
}

#[test]
fn whole_split_window_counts() {
    let d = positions(10_000, 32, 0.1);
    assert_eq!((d.train_chars(), d.val_chars()), (9_000, 1_000));
    // Offsets go up to 31, so (9000 - 32) / 32 = 280 windows fit whatever the offset.
    assert_eq!(d.num_train, 280);
    assert_eq!(d.train_batches(100), 3);
    // 1000 held-out characters: 31 full windows and one of 8.
    assert_eq!(d.num_val, 31);
    assert_eq!(d.val_tokens(), 1_000);
    assert_eq!(d.corpus_chars(), 10_000);

    // The Time Machine, default model: the first 156085 characters train, 17343 validate.
    let tm = rnn_tui::data::EncodedCorpus::load(
        &CorpusSource::TimeMachine,
        rnn_tui::data::TextMode::D2l,
    )
    .unwrap();
    let d =
        Dataset::from_ids(tm.vocab, tm.ids, 32, SplitSpec::Whole { val_fraction: 0.1 }).unwrap();
    assert_eq!((d.train_chars(), d.val_chars()), (156_085, 17_343));
    assert_eq!(d.num_train, 4_876);
    assert_eq!(d.train_batches(1024), 5);
    assert_eq!(d.val_tokens(), 17_343);
}

#[test]
fn an_epoch_reads_every_training_character_once_from_a_random_offset() {
    let d = positions(10_000, 32, 0.1);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut offsets = std::collections::BTreeSet::new();
    for _epoch in 0..40 {
        let order = d.shuffled_train_order(&mut rng);
        assert_eq!(order.len(), 280);
        let mut read = vec![0u32; 10_000];
        let mut batch = Batch::default();
        for k in 0..d.train_batches(100) {
            d.train_batch(&order, k, 100, &mut batch);
            assert_eq!(batch.num_steps, 32);
            for (&x, &y) in batch.x.iter().zip(&batch.y) {
                assert_eq!(y, x + 1, "targets are the next character");
                assert!((y as usize) < 9_000, "never a held-out character");
                read[x as usize] += 1;
            }
        }
        // Once each, in one run from the offset, and fewer than 2 x 32 left out.
        let first = read.iter().position(|&r| r > 0).unwrap();
        assert!(first < 32);
        offsets.insert(first);
        assert!(read[first..first + 280 * 32].iter().all(|&r| r == 1));
        assert!(read[..first]
            .iter()
            .chain(&read[first + 280 * 32..])
            .all(|&r| r == 0));
        assert!(read[..9_000].iter().filter(|&&r| r == 0).count() < 64);
        // Shuffled: not in text order.
        assert!(order.windows(2).any(|w| w[1] < w[0]));
    }
    assert!(offsets.len() > 10, "the offset varies: {offsets:?}");
    // The same seed draws the same epochs (what exact resume relies on).
    let mut a = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut b = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    assert_eq!(
        d.shuffled_train_order(&mut a),
        d.shuffled_train_order(&mut b)
    );
}

#[test]
fn validation_predicts_every_held_out_character_once() {
    for (n, steps, fraction) in [(10_000, 32, 0.1), (5_000, 7, 0.25), (4_096, 16, 0.125)] {
        let d = positions(n, steps, fraction);
        let mut predicted = Vec::new();
        let batches: Vec<Batch> = d.val_batches(64).collect();
        for b in &batches {
            for (&x, &y) in b.x.iter().zip(&b.y) {
                assert_eq!(y, x + 1);
                predicted.push(y as usize);
            }
        }
        predicted.sort();
        let held_out: Vec<usize> = (d.train_chars()..n).collect();
        assert_eq!(predicted, held_out, "n {n} steps {steps}");
        assert_eq!(
            batches.iter().map(|b| b.tokens()).sum::<usize>(),
            d.val_tokens()
        );
        // The first window starts on the last training character, as context.
        assert_eq!(batches[0].x[0] as usize, d.train_chars() - 1);
        // Only a last, one-window batch is shorter.
        let tail = d.val_tokens() % steps;
        let last = batches.last().unwrap();
        if tail > 0 {
            assert_eq!((last.batch_size, last.num_steps), (1, tail));
        }
        for b in &batches[..batches.len() - usize::from(tail > 0)] {
            assert_eq!(b.num_steps, steps);
        }
    }
}

#[test]
fn the_d2l_split_is_unchanged() {
    let c = rnn_tui::data::Corpus::load(&CorpusSource::TimeMachine).unwrap();
    let d = Dataset::new(Vocab::from_text(&c.text), &c.text, 32, 10_000, 5_000).unwrap();
    assert_eq!((d.train_chars(), d.val_chars()), (10_032, 5_032));
    assert_eq!(d.val_tokens(), 5_000 * 32);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut order = d.shuffled_train_order(&mut rng);
    order.sort();
    assert_eq!(order, (0..10_000).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------------------------
// The trainer

fn whole(corpus: CorpusSource, epochs: usize) -> HParams {
    HParams {
        hiddens: 16,
        num_steps: 16,
        batch_size: 256,
        epochs,
        seed: 5,
        corpus,
        split: SplitMode::Whole,
        val_fraction: 0.2,
        ..HParams::default()
    }
}

struct Seen {
    losses: Vec<f64>,
    tokens: Vec<usize>,
    epochs: Vec<(f64, f64)>,
    ready: Option<(usize, usize, usize)>,
}

fn drive(trainer: Trainer, stop_when_paused: bool) -> Seen {
    let handle = trainer.spawn();
    handle.send(Command::Start);
    let mut seen = Seen {
        losses: vec![],
        tokens: vec![],
        epochs: vec![],
        ready: None,
    };
    for ev in handle.events.iter() {
        match ev {
            Event::Ready {
                corpus_chars,
                train_chars,
                val_chars,
                ..
            } => seen.ready = Some((corpus_chars, train_chars, val_chars)),
            Event::Batch(b) => {
                seen.losses.push(b.loss);
                seen.tokens.push(b.tokens);
            }
            Event::Epoch(e) => seen.epochs.push((e.train_ppl, e.val_ppl)),
            Event::State {
                state: TrainerState::Paused,
            } if stop_when_paused => handle.send(Command::Stop),
            Event::Error { message } => panic!("{message}"),
            Event::Finished(_) => break,
            _ => {}
        }
    }
    seen
}

#[test]
fn whole_split_trains_the_whole_text_and_resumes_exactly_mid_epoch() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = slice_corpus(tmp.path());
    let fresh = Trainer::new(whole(corpus.clone(), 3), &Device::Cpu, "cpu").unwrap();
    let d = fresh.dataset();
    let (chars, train, val) = (d.corpus_chars(), d.train_chars(), d.val_chars());
    assert_eq!(train + val, chars);
    assert_eq!(val, (chars as f64 * 0.2).round() as usize);
    let per_epoch = d.train_batches(256);
    let windows = d.num_train;
    assert_eq!(windows, (train - 16) / 16);
    let reference = drive(fresh, false);
    assert_eq!(reference.ready, Some((chars, train, val)));
    assert_eq!(reference.losses.len(), 3 * per_epoch);
    // Every epoch trains num_train windows of 16 characters.
    for e in 0..3 {
        let t: usize = reference.tokens[e * per_epoch..(e + 1) * per_epoch]
            .iter()
            .sum();
        assert_eq!(t, windows * 16);
    }

    // Stop after batch 3 of epoch 2, resume from the checkpoint: the same run.
    let mut t = Trainer::new(whole(corpus, 3), &Device::Cpu, "cpu").unwrap();
    let dir = RunDir::create(tmp.path()).unwrap();
    t.record_to(dir.clone()).unwrap();
    t.pause_at(2, 3);
    let first = drive(t, true);
    let ckpt = Checkpoint::load(&dir).unwrap();
    assert_eq!((ckpt.meta.progress.epoch, ckpt.meta.progress.batch), (1, 3));
    assert_eq!(ckpt.meta.hparams.split, SplitMode::Whole);
    assert_eq!(ckpt.meta.hparams.val_fraction, 0.2);
    let json = std::fs::read_to_string(dir.meta_path()).unwrap();
    assert!(json.contains("\"split\": \"whole\""), "{json}");
    assert!(json.contains("\"val_fraction\": 0.2"), "{json}");
    let mut resumed = Trainer::from_checkpoint(ckpt, &Device::Cpu, "cpu").unwrap();
    resumed.record_to(dir).unwrap();
    let second = drive(resumed, false);
    let mut losses = first.losses;
    losses.extend(second.losses);
    assert_eq!(losses, reference.losses, "per-batch losses");
    let mut epochs = first.epochs;
    epochs.extend(second.epochs);
    assert_eq!(epochs, reference.epochs, "per-epoch perplexities");
}

#[test]
fn an_older_run_json_without_the_new_fields_is_d2l() {
    let hp: HParams = serde_json::from_str(r#"{"hiddens": 16, "corpus": "timemachine"}"#).unwrap();
    assert_eq!(hp.split, SplitMode::D2l);
    assert_eq!(hp.text, rnn_tui::data::TextMode::D2l);
    assert_eq!(hp.val_fraction, 0.1);
}

#[test]
fn headless_header_says_what_is_trained_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = rnn_tui(dir.path())
        .args(["train", "--headless", "--no-save", "--threads", "1"])
        .args(["--epochs", "1", "--split", "whole", "--hiddens", "8"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let header = text.lines().next().unwrap();
    assert!(
        header.ends_with(
            "corpus_chars 173428 params 548 batches_per_epoch 5 text d2l split whole train_chars 156.1k val_chars 17.3k"
        ),
        "{header}"
    );
}

// ---------------------------------------------------------------------------------------------
// Bad input: the same words from the flag, the config file and the form

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `train --headless ARGS` with `config` as the config file: exit 2, `error: {message}`.
fn cli_refuses(dir: &Path, args: &[&str], config: Option<&str>, message: &str) {
    let config_dir = dir.join("config");
    std::fs::create_dir_all(&config_dir).unwrap();
    let path = config_dir.join("config.toml");
    let _ = std::fs::remove_file(&path);
    if let Some(c) = config {
        std::fs::write(&path, c).unwrap();
    }
    let out = rnn_tui(dir)
        .args(["train", "--headless", "--no-save", "--threads", "1"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(EXIT_USAGE), "{args:?} {config:?}");
    assert_eq!(
        stderr(&out),
        format!("error: {message}\n"),
        "{args:?} {config:?}"
    );
    assert!(out.stdout.is_empty());
}

/// (field, flag, value typed, value in TOML, message)
const BAD: &[(Field, &str, &str, &str, &str)] = &[
    (
        Field::Text,
        "text",
        "bytes",
        "\"bytes\"",
        "text must be d2l, letters or raw, got \"bytes\"",
    ),
    (
        Field::Split,
        "split",
        "half",
        "\"half\"",
        "split must be d2l or whole, got \"half\"",
    ),
    (
        Field::ValFraction,
        "val-fraction",
        "0",
        "0",
        "val-fraction must be a number between 0 and 1 (both excluded), got 0",
    ),
    (
        Field::ValFraction,
        "val-fraction",
        "1",
        "1",
        "val-fraction must be a number between 0 and 1 (both excluded), got 1",
    ),
    (
        Field::ValFraction,
        "val-fraction",
        "NaN",
        "nan",
        "val-fraction must be a number between 0 and 1 (both excluded), got NaN",
    ),
    (
        Field::ValFraction,
        "val-fraction",
        "-0.5",
        "-0.5",
        "val-fraction must be a number between 0 and 1 (both excluded), got -0.5",
    ),
    (
        Field::ValFraction,
        "val-fraction",
        "1.5",
        "1.5",
        "val-fraction must be a number between 0 and 1 (both excluded), got 1.5",
    ),
    (
        Field::ValFraction,
        "val-fraction",
        "tenth",
        "\"tenth\"",
        "val-fraction must be a number, got \"tenth\"",
    ),
];

#[test]
fn bad_text_split_and_val_fraction_give_the_same_words_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config").join("config.toml");
    for &(field, flag, typed, toml_value, message) in BAD {
        let (mut a, rx) = training_app(HParams::default());
        assert_eq!(form_commit(&mut a, field, typed), Action::None, "{flag}");
        assert_eq!(
            a.notice,
            Some((Level::Error, format!("refused: {message}"))),
            "form {flag}={typed}"
        );
        assert_eq!(a.hp, HParams::default());
        assert!(rx.try_iter().next().is_none());

        cli_refuses(dir.path(), &[&format!("--{flag}"), typed], None, message);
        let key = flag.replace('-', "_");
        cli_refuses(
            dir.path(),
            &[],
            Some(&format!("[train]\n{key} = {toml_value}\n")),
            &format!("{}: {message}", config.display()),
        );
    }
}

/// A split that leaves no window: refused when the corpus is read, from the flags, the config
/// file and the form (a confirmed rebuild, refused in the status bar).
#[test]
fn a_split_without_a_training_or_validation_window_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (fraction, message) in [
        (
            "0.0001",
            "split whole with val-fraction 0.0001 leaves 17 validation characters of the corpus's 173428; num-steps 32 needs at least 32",
        ),
        (
            "0.9999",
            "split whole with val-fraction 0.9999 leaves 17 training characters of the corpus's 173428; num-steps 32 needs at least 64",
        ),
    ] {
        cli_refuses(
            dir.path(),
            &["--split", "whole", "--val-fraction", fraction],
            None,
            message,
        );
        cli_refuses(
            dir.path(),
            &[],
            Some(&format!(
                "[train]\nsplit = \"whole\"\nval_fraction = {fraction}\n"
            )),
            message,
        );
        let hp = HParams {
            split: SplitMode::Whole,
            ..HParams::default()
        };
        let (mut a, rx) = training_app(hp.clone());
        assert_eq!(form_commit(&mut a, Field::ValFraction, fraction), Action::None);
        assert!(matches!(a.dialog, Some(Dialog::Restart { .. })));
        let Action::Restart(next) = a.update(key(KeyCode::Char('y'))) else {
            panic!("a confirmed change asks for a rebuild")
        };
        let err = Trainer::new(next, &Device::Cpu, "cpu").err().expect("refused");
        a.restart_failed(err.to_string());
        assert_eq!(
            a.notice,
            Some((Level::Error, format!("not restarted: {message}")))
        );
        assert_eq!(a.hp, hp);
        assert!(rx.try_iter().next().is_none());
    }
}

#[test]
fn resume_refuses_to_change_the_text_or_the_split() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["--text", "--split", "--val-fraction"] {
        let out = rnn_tui(dir.path())
            .args(["train", "--headless", "--resume", "latest", flag, "0.5"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(EXIT_USAGE));
        assert_eq!(
            stderr(&out),
            format!("error: {flag} cannot change when resuming: a run keeps its hyperparameters (only --epochs, --lr and --clip can change)\n")
        );
    }
}

/// The status bar says what the run trains on, from the trainer's own `Ready` event.
#[test]
fn the_status_bar_says_what_is_trained_on() {
    let hp = HParams {
        split: SplitMode::Whole,
        ..HParams::default()
    };
    let trainer = Trainer::new(hp.clone(), &Device::Cpu, "cpu").unwrap();
    let handle = trainer.spawn();
    let mut a = App::new(hp, Theme::default_for(ColorMode::TrueColor));
    for ev in handle.events.iter() {
        let ready = matches!(ev, Event::Ready { .. });
        a.update(rnn_tui::tui::Msg::Trainer(ev));
        if ready {
            break;
        }
    }
    handle.stop();
    let text = common::screen::screen(&mut a, 120, 40);
    assert!(
        text.contains("chars 173.4k train 156.1k val 17.3k"),
        "{text}"
    );
}

/// The form sets each of the three: a confirmed change rebuilds with it.
#[test]
fn the_form_sets_text_split_and_fraction_with_a_rebuild() {
    for (field, typed) in [
        (Field::Text, "letters"),
        (Field::Split, "whole"),
        (Field::ValFraction, "0.25"),
    ] {
        let (mut a, _rx) = training_app(HParams::default());
        assert_eq!(form_commit(&mut a, field, typed), Action::None);
        assert!(matches!(a.dialog, Some(Dialog::Restart { .. })), "{typed}");
        let Action::Restart(hp) = a.update(key(KeyCode::Char('y'))) else {
            panic!("a confirmed change asks for a rebuild")
        };
        assert_eq!(hp.get(field), typed);
        let expected = HParams {
            text: if typed == "letters" {
                rnn_tui::data::TextMode::Letters
            } else {
                rnn_tui::data::TextMode::D2l
            },
            split: if typed == "whole" {
                SplitMode::Whole
            } else {
                SplitMode::D2l
            },
            val_fraction: if typed == "0.25" { 0.25 } else { 0.1 },
            ..HParams::default()
        };
        assert_eq!(hp, expected);
    }
}
