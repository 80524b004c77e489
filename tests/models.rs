//! Every model beyond §9.5 (GRU, LSTM, stacks, learned embeddings; SGD and Adam; dropout)
//! through the real trainer: shapes, checkpoints that round-trip and load with the safetensors
//! crate under PyTorch's names, exact resume mid-epoch, the best-validation weights, a short run
//! that learns, and sampling.

use candle_core::Device;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rnn_tui::data::{CorpusSource, Vocab};
use rnn_tui::hparams::{Cell, HParams, Optimizer};
use rnn_tui::model::{Arch, ComputePath, LanguageModel, NamedParams, Sampling};
use rnn_tui::runs::{Checkpoint, RunDir, OPTIMIZER_FILE};
use rnn_tui::train::{Command, Event, Trainer, TrainerState};

mod common;
use common::corpus::{slice_corpus, tiny_hparams};

/// Resuming a run with another model is one line and exit 2; the same model is accepted.
#[test]
fn resuming_with_a_different_model_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let train = |args: &[&str]| {
        common::cli::rnn_tui(dir.path())
            .args(["train", "--headless", "--threads", "1", "--hiddens", "8"])
            .args(common::cli::SMALL_SPLIT)
            .args(args)
            .output()
            .unwrap()
    };
    let out = train(&["--epochs", "1"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (args, message) in [
        (
            ["--cell", "gru"],
            "--cell gru differs from the run's cell rnn: a run keeps its model (start a new run to change it)",
        ),
        (
            ["--layers", "2"],
            "--layers 2 differs from the run's layers 1: a run keeps its model (start a new run to change it)",
        ),
        (["--cell", "xyz"], "cell must be rnn, gru or lstm, got \"xyz\""),
    ] {
        let out = common::cli::rnn_tui(dir.path())
            .args(["train", "--headless", "--resume", "latest"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(rnn_tui::exit::EXIT_USAGE), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("error: {message}\n")
        );
    }
    // Naming the run's own model is fine.
    let out = common::cli::rnn_tui(dir.path())
        .args([
            "train",
            "--headless",
            "--resume",
            "latest",
            "--cell",
            "rnn",
            "--epochs",
            "2",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// 8 batches of 64 windows of 16 characters per epoch.
fn tiny(corpus: CorpusSource, cell: Cell, layers: usize, embed: usize) -> HParams {
    HParams {
        epochs: 2,
        seed: 3,
        cell,
        layers,
        embed,
        lr: 1.0,
        ..tiny_hparams(corpus)
    }
}

/// The models every test runs: (label, hyperparameters on top of [`tiny`]).
fn models(corpus: &CorpusSource) -> Vec<(&'static str, HParams)> {
    let c = corpus.clone();
    vec![
        ("gru", tiny(c.clone(), Cell::Gru, 1, 0)),
        ("lstm", tiny(c.clone(), Cell::Lstm, 1, 0)),
        (
            "gru×2 E8 adam dropout",
            HParams {
                optimizer: Optimizer::Adam,
                lr: 0.01,
                dropout: 0.2,
                ..tiny(c.clone(), Cell::Gru, 2, 8)
            },
        ),
        (
            "lstm×2 adam",
            HParams {
                optimizer: Optimizer::Adam,
                lr: 0.01,
                ..tiny(c.clone(), Cell::Lstm, 2, 0)
            },
        ),
        ("rnn×2 E4", tiny(c, Cell::Rnn, 2, 4)),
    ]
}

fn trainer(hp: &HParams, path: ComputePath) -> Trainer {
    let mut t = Trainer::new(hp.clone(), &Device::Cpu, "cpu").unwrap();
    t.set_compute_path(path).unwrap();
    assert_eq!(
        t.model().compute_path(),
        if path == ComputePath::Auto {
            ComputePath::Fused
        } else {
            path
        }
    );
    t
}

#[derive(Default)]
struct Seen {
    losses: Vec<u64>,
    epochs: Vec<(u64, u64)>,
}

fn run(trainer: Trainer, stop_after: Option<(usize, usize)>) -> Seen {
    let mut trainer = trainer;
    if let Some((e, b)) = stop_after {
        trainer.pause_at(e, b);
    }
    let handle = trainer.spawn();
    handle.send(Command::Start);
    let mut seen = Seen::default();
    for ev in handle.events.iter() {
        match ev {
            Event::Batch(b) => seen.losses.push(b.loss.to_bits()),
            Event::Epoch(e) => seen
                .epochs
                .push((e.train_ppl.to_bits(), e.val_ppl.to_bits())),
            Event::State {
                state: TrainerState::Paused,
            } => handle.send(Command::Stop),
            Event::Error { message } => panic!("{message}"),
            Event::Finished(_) => break,
            _ => {}
        }
    }
    seen
}

fn flat(p: &NamedParams) -> Vec<u32> {
    p.iter()
        .flat_map(|t| t.flatten_all().unwrap().to_vec1::<f32>().unwrap())
        .map(f32::to_bits)
        .collect()
}

/// Per model: stopping after batch 3 of epoch 2 and resuming from the checkpoint gives the
/// same losses, perplexities and weights as never stopping (Adam's moments and the dropout
/// masks included); the checkpoint round-trips bit for bit and has the architecture's names
/// and shapes; `best.safetensors` is written.
#[test]
fn every_model_resumes_mid_epoch_exactly_and_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = slice_corpus(tmp.path());
    // Every model on the fused kernels, and two on the candle path (the GPU path).
    let mut cases: Vec<(String, HParams, ComputePath)> = models(&corpus)
        .into_iter()
        .map(|(l, hp)| (l.to_owned(), hp, ComputePath::Auto))
        .collect();
    for (l, hp) in models(&corpus).into_iter().skip(1).take(2) {
        cases.push((format!("{l} candle"), hp, ComputePath::Candle));
    }
    for (label, hp, path) in cases {
        let label = label.as_str();
        let reference = run(trainer(&hp, path), None);
        assert_eq!(reference.losses.len(), 16, "{label}");

        let root = tmp.path().join(label.replace(' ', "_"));
        let mut t = trainer(&hp, path);
        let dir = RunDir::create(&root).unwrap();
        t.record_to(dir.clone()).unwrap();
        let first = run(t, Some((2, 3)));
        assert_eq!(first.losses.len(), 8 + 3, "{label}");
        let ckpt = Checkpoint::load(&dir).unwrap();
        assert_eq!(
            (ckpt.meta.progress.epoch, ckpt.meta.progress.batch),
            (1, 3),
            "{label}"
        );
        assert_eq!(ckpt.meta.hparams.cell, hp.cell);
        assert_eq!(ckpt.meta.hparams.layers, hp.layers);
        assert_eq!(ckpt.meta.hparams.embed, hp.embed);
        assert_eq!(ckpt.meta.hparams.optimizer, hp.optimizer);
        assert_eq!(ckpt.meta.hparams.dropout, hp.dropout);
        assert_eq!(
            dir.path.join(OPTIMIZER_FILE).is_file(),
            hp.optimizer == Optimizer::Adam,
            "{label}"
        );
        assert!(
            dir.best_path().is_file(),
            "{label}: best weights after epoch 1"
        );
        let arch = ckpt.arch();
        let names: Vec<&str> = ckpt.params.names().collect();
        let expect = arch.param_shapes();
        assert_eq!(names.len(), expect.len());
        for ((n, t), (en, es)) in ckpt.params.named().zip(&expect) {
            assert_eq!((n, t.dims()), (en.as_str(), es.as_slice()), "{label}");
        }

        let resumed = Trainer::from_checkpoint(ckpt.clone(), &Device::Cpu, "cpu").unwrap();
        assert_eq!(
            flat(&resumed.params().unwrap()),
            flat(&ckpt.params),
            "{label}"
        );
        let mut resumed = resumed;
        resumed.set_compute_path(path).unwrap();
        resumed.record_to(dir.clone()).unwrap();
        let second = run(resumed, None);
        let mut losses = first.losses.clone();
        losses.extend(&second.losses);
        assert_eq!(losses, reference.losses, "{label}: per-batch losses");
        let mut epochs = first.epochs.clone();
        epochs.extend(&second.epochs);
        assert_eq!(epochs, reference.epochs, "{label}: per-epoch perplexities");

        // The best weights load and evaluate to the best validation perplexity.
        let done = Checkpoint::load(&dir).unwrap();
        let best = Checkpoint::load_best(&dir).unwrap();
        let mut t = Trainer::from_checkpoint(best, &Device::Cpu, "cpu").unwrap();
        t.set_compute_path(path).unwrap();
        let ppl = t.validation_perplexity().unwrap();
        assert_eq!(
            ppl.to_bits(),
            done.meta.progress.best_val_ppl.to_bits(),
            "{label}: best.safetensors holds the best epoch's weights"
        );
    }
}

/// The safetensors crate alone reads a GRU and an LSTM checkpoint with the names and shapes the
/// guide documents in docs/models.md (PyTorch's `nn.GRU` / `nn.LSTM` + `nn.Linear` (+ `nn.Embedding`)).
#[test]
fn gru_and_lstm_checkpoints_have_pytorchs_names_and_shapes() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = slice_corpus(tmp.path());
    for (cell, layers, embed, g) in [(Cell::Gru, 1, 0, 3), (Cell::Lstm, 2, 8, 4)] {
        let hp = HParams {
            epochs: 1,
            ..tiny(corpus.clone(), cell, layers, embed)
        };
        let mut t = Trainer::new(hp, &Device::Cpu, "cpu").unwrap();
        let dir = RunDir::create(&tmp.path().join(cell.name())).unwrap();
        t.record_to(dir.clone()).unwrap();
        let bytes = std::fs::read(dir.model_path()).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let (v, h) = (28usize, 16usize);
        let mut expect: Vec<(String, Vec<usize>)> = Vec::new();
        if embed > 0 {
            expect.push(("embedding.weight".into(), vec![v, embed]));
        }
        for k in 0..layers {
            let input = if k > 0 {
                h
            } else if embed > 0 {
                embed
            } else {
                v
            };
            expect.push((format!("rnn.weight_ih_l{k}"), vec![g * h, input]));
            expect.push((format!("rnn.weight_hh_l{k}"), vec![g * h, h]));
            expect.push((format!("rnn.bias_ih_l{k}"), vec![g * h]));
            expect.push((format!("rnn.bias_hh_l{k}"), vec![g * h]));
        }
        expect.push(("fc.weight".into(), vec![v, h]));
        expect.push(("fc.bias".into(), vec![v]));
        let mut names = st.names();
        names.sort();
        let mut want: Vec<&str> = expect.iter().map(|(n, _)| n.as_str()).collect();
        want.sort();
        assert_eq!(names, want, "{cell}");
        for (name, shape) in &expect {
            let view = st.tensor(name).unwrap();
            assert_eq!(view.dtype(), safetensors::Dtype::F32, "{name}");
            assert_eq!(view.shape(), shape.as_slice(), "{cell} {name}");
        }
    }
}

/// A short Adam run of each gated model lowers the validation perplexity well below the
/// unigram baseline (≈ 16.7 on The Time Machine; 28 for a uniform guess).
#[test]
fn short_runs_learn_well_below_the_unigram_baseline() {
    for (cell, layers) in [(Cell::Gru, 1), (Cell::Lstm, 1), (Cell::Gru, 2)] {
        let hp = HParams {
            hiddens: 32,
            num_steps: 16,
            batch_size: 32,
            num_train: 4_000,
            num_val: 1_000,
            epochs: 2,
            lr: 0.01,
            optimizer: Optimizer::Adam,
            cell,
            layers,
            ..HParams::default()
        };
        let mut t = Trainer::new(hp, &Device::Cpu, "cpu").unwrap();
        let before = t.validation_perplexity().unwrap();
        assert!(before > 20.0, "{cell}: starts near uniform, {before}");
        let handle = t.spawn();
        handle.send(Command::Start);
        let mut last = f64::NAN;
        for ev in handle.events.iter() {
            match ev {
                Event::Epoch(e) => last = e.val_ppl,
                Event::Error { message } => panic!("{message}"),
                Event::Finished(_) => break,
                _ => {}
            }
        }
        assert!(last < 10.0, "{cell}×{layers}: validation perplexity {last}");
    }
}

/// Sampling with top-k 1 is greedy decoding, for every model; completions have the asked
/// length and the heatmap's hidden states the model's width.
#[test]
fn top_k_1_sampling_equals_greedy_for_every_model() {
    let vocab = Vocab::from_text(rnn_tui::data::corpus::TIME_MACHINE);
    for (cell, layers, embed) in [
        (Cell::Gru, 1, 0),
        (Cell::Lstm, 1, 0),
        (Cell::Lstm, 2, 8),
        (Cell::Rnn, 3, 0),
    ] {
        let hp = HParams {
            cell,
            layers,
            embed,
            hiddens: 24,
            seed: 9,
            ..HParams::default()
        };
        let lm = LanguageModel::for_hparams(vocab.clone(), &hp, &Device::Cpu).unwrap();
        assert_eq!(lm.arch(), &Arch::from_hparams(&hp, vocab.len()));
        let snap = lm.snapshot().unwrap();
        let greedy = snap.complete("the time traveller", 40).unwrap();
        assert_eq!(greedy.tokens.len(), 18 + 40);
        assert_eq!(greedy.hidden[0].len(), 24);
        let top1 = Sampling {
            temperature: Some(3.0),
            top_k: Some(1),
        };
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        assert_eq!(
            snap.sample("the time traveller", 40, &top1, &mut rng)
                .unwrap()
                .text(),
            greedy.text(),
            "{cell}"
        );
        // Hot sampling differs from greedy (the check above is not vacuous).
        let hot = Sampling {
            temperature: Some(5.0),
            top_k: None,
        };
        assert_ne!(
            snap.sample("the time traveller", 40, &hot, &mut rng)
                .unwrap()
                .text(),
            greedy.text()
        );
    }
}

/// `--dropout 0` is bit-exact with no dropout, and dropout is off at validation: the
/// validation perplexity of a model does not depend on its dropout setting.
#[test]
fn dropout_zero_is_no_dropout_and_validation_never_drops() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = slice_corpus(tmp.path());
    let base = HParams {
        epochs: 1,
        ..tiny(corpus, Cell::Gru, 2, 0)
    };
    let plain = run(
        Trainer::new(base.clone(), &Device::Cpu, "cpu").unwrap(),
        None,
    );
    let zero = run(
        Trainer::new(
            HParams {
                dropout: 0.0,
                ..base.clone()
            },
            &Device::Cpu,
            "cpu",
        )
        .unwrap(),
        None,
    );
    assert_eq!(plain.losses, zero.losses);
    let dropped = HParams {
        dropout: 0.5,
        ..base.clone()
    };
    let with = run(
        Trainer::new(dropped.clone(), &Device::Cpu, "cpu").unwrap(),
        None,
    );
    assert_ne!(with.losses, plain.losses, "dropout changes training");
    // Same weights, different dropout: the same validation perplexity.
    let mut a = Trainer::new(base, &Device::Cpu, "cpu").unwrap();
    let mut b = Trainer::new(dropped, &Device::Cpu, "cpu").unwrap();
    assert_eq!(
        a.validation_perplexity().unwrap().to_bits(),
        b.validation_perplexity().unwrap().to_bits()
    );
    // Same seed, same masks: two dropout runs agree bit for bit.
    let again = run(
        Trainer::new(
            HParams {
                dropout: 0.5,
                epochs: 1,
                ..tiny(slice_corpus(tmp.path()), Cell::Gru, 2, 0)
            },
            &Device::Cpu,
            "cpu",
        )
        .unwrap(),
        None,
    );
    assert_eq!(again.losses, with.losses);
}

/// On a 80×24 terminal the form cannot show all its fields: it scrolls so the selected one
/// (here the last, dropout) stays visible.
#[test]
fn the_form_scrolls_to_the_selected_field_on_a_short_terminal() {
    use rnn_tui::hparams::Field;
    let (mut a, _rx) = common::keys::app();
    common::keys::edit(&mut a, Field::Dropout, "0.25");
    let text = common::screen::screen(&mut a, 80, 24);
    assert!(text.contains("dropout") && text.contains("0.25"), "{text}");
}

/// The heatmap's keys: `[` / `]` pick the layer of a stacked model, `c` an LSTM's cell state;
/// the title says which.
#[test]
fn heatmap_keys_pick_the_layer_and_the_cell_state() {
    use ratatui::crossterm::event::KeyCode;
    use rnn_tui::tui::{Focus, Msg};
    let (mut a, _rx) = common::keys::app();
    let vocab = Vocab::from_text(rnn_tui::data::corpus::TIME_MACHINE);
    let hp = HParams {
        cell: Cell::Lstm,
        layers: 2,
        hiddens: 8,
        ..HParams::default()
    };
    let snap = LanguageModel::for_hparams(vocab, &hp, &Device::Cpu)
        .unwrap()
        .snapshot()
        .unwrap();
    a.update(Msg::Trainer(Event::Snapshot(std::sync::Arc::new(snap))));
    assert!(common::screen::screen(&mut a, 120, 40).contains("layer 2/2 hidden state 8 units"));
    while a.focus != Focus::Heatmap {
        a.update(common::keys::key(KeyCode::Tab));
    }
    let top = a.completion.completion.clone().unwrap();
    a.update(common::keys::ch('['));
    assert!(common::screen::screen(&mut a, 120, 40).contains("layer 1/2 hidden state"));
    a.update(common::keys::ch('c'));
    assert!(common::screen::screen(&mut a, 120, 40).contains("layer 1/2 cell state"));
    let cell = a.completion.completion.clone().unwrap();
    assert_eq!(top.text(), cell.text());
    assert_ne!(top.hidden, cell.hidden);
    a.update(common::keys::ch(']'));
    assert!(common::screen::screen(&mut a, 120, 40).contains("layer 2/2 cell state"));
}

/// The neuron inspector follows the heatmap's choice of state: with a two-layer LSTM's probe
/// (read by a real trainer), `[` and `c` make the validation strip, the selected unit's score
/// and `f` use that layer's hidden or cell state, and a newer probe keeps the choice.
#[test]
fn the_inspector_follows_the_heatmaps_layer_and_cell_state() {
    use ratatui::crossterm::event::KeyCode;
    use rnn_tui::eval::inspect;
    use rnn_tui::model::snapshot::StateView;
    use rnn_tui::tui::{Focus, Msg};
    let tmp = tempfile::tempdir().unwrap();
    let hp = tiny(slice_corpus(tmp.path()), Cell::Lstm, 2, 0);
    let mut t = Trainer::new(hp, &Device::Cpu, "cpu").unwrap();
    t.set_probe(true);
    let h = t.spawn();
    let (mut snap, mut probe) = (None, None);
    loop {
        match h
            .events
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap()
        {
            Event::Snapshot(s) => snap = Some(s),
            Event::Probe(p) => probe = Some(p),
            Event::State { .. } => break,
            _ => {}
        }
    }
    h.stop();
    let (snap, probe) = (
        snap.unwrap(),
        probe.expect("a probe with the first snapshot"),
    );
    let text = probe.tokens().concat();
    let states = |view| snap.complete_showing(&text, 0, view).unwrap().hidden;

    let (mut a, _rx) = common::keys::app();
    a.update(Msg::Trainer(Event::Snapshot(snap.clone())));
    a.update(Msg::Trainer(Event::Probe(probe.clone())));
    while a.focus != Focus::Heatmap {
        a.update(common::keys::key(KeyCode::Tab));
    }
    let shown = |a: &rnn_tui::tui::App| a.heatmap.probe.clone().unwrap();
    assert_eq!(shown(&a).view, StateView::default());
    assert_eq!(shown(&a).states(), states(StateView::default()));
    a.update(common::keys::key(KeyCode::Down));
    assert_eq!(a.heatmap.selected, Some(0));

    let low = StateView {
        layer: Some(0),
        cell: false,
    };
    a.update(common::keys::ch('['));
    assert_eq!(shown(&a).view, low);
    assert_eq!(shown(&a).states(), states(low));
    assert_ne!(shown(&a).states(), probe.states());

    let low_cell = StateView { cell: true, ..low };
    a.update(common::keys::ch('c'));
    assert_eq!(shown(&a).view, low_cell);
    assert_eq!(shown(&a).states(), states(low_cell));
    // The strip's heading scores the selected unit in the state shown.
    let score = inspect::score_unit(&shown(&a), 0).expect("unit 0 follows some feature");
    let screen = common::screen::screen(&mut a, 120, 40);
    assert!(screen.contains("layer 1/2 cell state"), "{screen}");
    assert!(
        screen.contains(&format!(
            "unit 0: {} r={:+.2}",
            score.feature.name(),
            score.r
        )),
        "{score:?}\n{screen}"
    );
    // `f` ranks the units of the state shown.
    a.update(common::keys::ch('f'));
    let best = inspect::rank(&shown(&a))[0];
    assert_eq!(a.heatmap.found, Some(best));
    assert_eq!(a.heatmap.selected, Some(best.unit));

    // A newer probe (the trainer always sends the top layer's hidden state) keeps the choice.
    a.update(Msg::Trainer(Event::Probe(probe.clone())));
    assert_eq!(shown(&a).view, low_cell);
    assert_eq!(shown(&a).states(), states(low_cell));
    a.update(common::keys::ch(']'));
    let top_cell = StateView {
        layer: None,
        cell: true,
    };
    assert_eq!(shown(&a).view, top_cell);
    assert_eq!(shown(&a).states(), states(top_cell));
    // Another view: the unit found in the last one is no longer marked as found.
    assert_eq!(a.heatmap.found, None);
}

/// A probe holds every state of a two-layer LSTM: each view of it is exactly what a
/// completion showing that view records, and it starts on the top layer's hidden state.
/// The §9.5 model has one state, which every view shows.
#[test]
fn a_probe_shows_any_layer_and_the_cell_state() {
    use rnn_tui::eval::inspect::{planted_space_unit, probe};
    use rnn_tui::model::snapshot::StateView;
    let text = "the time traveller for so it will be convenient";
    let vocab = Vocab::from_text(text);
    let hp = HParams {
        cell: Cell::Lstm,
        layers: 2,
        hiddens: 6,
        ..HParams::default()
    };
    let snap = LanguageModel::for_hparams(vocab, &hp, &Device::Cpu)
        .unwrap()
        .snapshot()
        .unwrap();
    let p = probe(&snap, text).unwrap();
    assert_eq!(p.view, StateView::default());
    assert_eq!(p.states(), snap.complete(text, 0).unwrap().hidden);
    let mut seen = Vec::new();
    for layer in [Some(0), None] {
        for cell in [false, true] {
            let view = StateView { layer, cell };
            let shown = p.showing(view);
            assert_eq!(shown.view, view);
            assert_eq!(shown.tokens(), p.tokens());
            assert_eq!(
                shown.states(),
                snap.complete_showing(text, 0, view).unwrap().hidden,
                "{view:?}"
            );
            // Back to the top layer's hidden state from any view.
            assert_eq!(shown.showing(StateView::default()), p);
            seen.push(shown.states().to_vec());
        }
    }
    for i in 0..seen.len() {
        for j in i + 1..seen.len() {
            assert_ne!(seen[i], seen[j], "views {i} and {j} differ");
        }
    }
    // Out of range: fitted, as the heatmap's title fits it.
    let far = StateView {
        layer: Some(7),
        cell: true,
    };
    assert_eq!(
        p.fit(far),
        StateView {
            layer: None,
            cell: true
        }
    );
    let rnn = planted_space_unit(4, 1);
    let q = probe(&rnn, text).unwrap();
    assert_eq!(q.fit(far), StateView::default());
    assert_eq!(q.showing(far), q);
}
