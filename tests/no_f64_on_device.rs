//! The candle path (the one that runs on CUDA and Metal) never makes an f64 tensor on the
//! training device: candle's Metal backend has no F32→F64 cast, so one such tensor fails a
//! Metal run on its first batch. f64 appears only in `model::host`, after values reach the CPU.
//!
//! candle offers no hook on tensor creation and no GPU is at hand here, so the rule is checked
//! two ways: the path's training steps, save and reload are run on the CPU and every tensor
//! they hand over is checked to be f32; and the path's source is read for any dtype conversion
//! or F64 outside `model::host`. Its numbers must also equal the old f64 computation.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use rand::SeedableRng;
use rnn_tui::data::{Batch, Corpus, CorpusSource, Dataset, Vocab};
use rnn_tui::hparams::HParams;
use rnn_tui::model::{BatchLoss, ComputePath, Gradients, LanguageModel};
use rnn_tui::runs::{Checkpoint, RunDir};
use rnn_tui::train::clip::clip_and_read;
use rnn_tui::train::Trainer;

mod common;
use common::corpus::slice_corpus;

/// The old computation: the gradient norm summed in f64 (the cast this change removed from
/// the device), here on the CPU.
fn norm_in_f64(g: &Gradients) -> f64 {
    g.0.iter()
        .map(|t| {
            t.to_dtype(DType::F64)
                .unwrap()
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f64>()
                .unwrap()
        })
        .sum::<f64>()
        .sqrt()
}

fn time_machine() -> (Vocab, Dataset) {
    let corpus = Corpus::load(&CorpusSource::TimeMachine).unwrap();
    let vocab = Vocab::from_text(&corpus.text);
    let data = Dataset::new(vocab.clone(), &corpus.text, 32, 10_000, 5_000).unwrap();
    (vocab, data)
}

fn assert_f32(what: &str, t: &Tensor) {
    assert_eq!(t.dtype(), DType::F32, "{what} is {:?}", t.dtype());
}

/// Loss and gradient norm of the candle path, read once per batch in f32, equal the old f64
/// values to 1e-6 relative over several d2l batches (H = 32 and 256), with a threshold that
/// clips every other batch (the first norms are about 0.2).
#[test]
fn candle_path_loss_and_norm_equal_the_f64_computation() {
    let (vocab, data) = time_machine();
    for hiddens in [32, 256] {
        let mut lm =
            LanguageModel::with_path(vocab.clone(), hiddens, 0, &Device::Cpu, ComputePath::Candle)
                .unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let order = data.shuffled_train_order(&mut rng);
        let mut batch = Batch::default();
        let (mut clipped, mut kept) = (0, 0);
        for k in 0..5 {
            data.train_batch(&order, k, 1024, &mut batch);
            let (loss, mut grads) = lm.forward_backward(&batch).unwrap();
            let BatchLoss::Device(loss_t) = &loss else {
                panic!("the candle path leaves its loss on the device");
            };
            assert_f32("the loss", loss_t);
            let old_loss = loss_t
                .to_dtype(DType::F64)
                .unwrap()
                .to_scalar::<f64>()
                .unwrap();
            let old_norm = norm_in_f64(&grads);
            let theta = if k % 2 == 0 { 1.0 } else { 0.05 };
            let (new_loss, clip) = clip_and_read(&loss, &mut grads, theta).unwrap();
            let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
            assert!(
                rel(new_loss, old_loss) <= 1e-6,
                "H={hiddens} batch {k}: loss {new_loss} vs {old_loss}"
            );
            assert!(
                rel(clip.norm, old_norm) <= 1e-6,
                "H={hiddens} batch {k}: norm {} vs {old_norm} ({:e})",
                clip.norm,
                rel(clip.norm, old_norm)
            );
            assert_eq!(clip.clipped, old_norm > theta, "H={hiddens} batch {k}");
            clipped += clip.clipped as usize;
            kept += !clip.clipped as usize;
            for g in &grads.0 {
                assert_f32("a clipped gradient", g);
            }
            if clip.clipped {
                assert!((norm_in_f64(&grads) - theta).abs() < 1e-5 * theta);
            }
            lm.sgd_step(&grads, 1.0).unwrap();
        }
        assert!(clipped > 0 && kept > 0, "H={hiddens}: both branches ran");
        for p in &lm.params().unwrap() {
            assert_f32("a weight after SGD", p);
        }
    }
}

/// A short candle-path run through the trainer, saved and loaded back: every tensor it hands
/// over is f32, the checkpoint's weights come from host copies and read back as f32.
#[test]
fn a_candle_run_with_a_save_keeps_every_tensor_f32() {
    let root = tempfile::tempdir().unwrap();
    let hp = HParams {
        hiddens: 8,
        num_steps: 16,
        epochs: 1,
        num_train: 640,
        num_val: 64,
        batch_size: 64,
        corpus: slice_corpus(root.path()),
        ..HParams::default()
    };
    let mut t = Trainer::new(hp, &Device::Cpu, "cpu").unwrap();
    t.set_compute_path(ComputePath::Candle).unwrap();
    let dir = RunDir::create(&root.path().join("runs")).unwrap();
    t.record_to(dir.clone()).unwrap();
    let (cmd_tx, cmd_rx) = crossbeam_channel::unbounded();
    let (mut out, ev_rx) = rnn_tui::train::outbox::Outbox::channel();
    cmd_tx.send(rnn_tui::train::Command::Start).unwrap();
    t.serve(&cmd_rx, &mut out).unwrap();
    let losses: Vec<f64> = ev_rx
        .try_iter()
        .filter_map(|e| match e {
            rnn_tui::train::Event::Batch(b) => Some(b.loss),
            _ => None,
        })
        .collect();
    assert_eq!(losses.len(), 10);
    assert!(losses.iter().all(|l| l.is_finite()));
    for p in &t.params().unwrap() {
        assert_f32("a trained weight", p);
    }
    for p in &t.model().host_params().unwrap() {
        assert!(p.device().is_cpu());
        assert_f32("a host copy", p);
    }
    let ckpt = Checkpoint::load(&dir).unwrap();
    assert_eq!(ckpt.meta.progress.epoch, 1);
    for p in &ckpt.params {
        assert_f32("a saved weight", p);
    }
}

/// Outside `model::host`, no file of the candle path converts a dtype or names F64 (in code;
/// test modules may). `to_dtype` is the cast Metal lacks; `F64` or reading a tensor as f64
/// would make or need an f64 tensor.
#[test]
fn the_candle_path_source_has_no_f64_outside_the_host_module() {
    let files = [
        "src/model/lm.rs",
        "src/model/scratch.rs",
        "src/model/params.rs",
        "src/model/snapshot.rs",
        "src/model/mod.rs",
        "src/model/stack.rs",
        "src/model/named.rs",
        "src/train/optimizer.rs",
        "src/train/clip.rs",
        "src/train/trainer.rs",
        "src/train/resume.rs",
        "src/eval.rs",
        "src/cli/bench.rs",
    ];
    let forbidden = [
        "to_dtype(",
        "F64",
        "to_scalar::<f64>",
        "to_vec1::<f64>",
        "to_vec2::<f64>",
        "to_vec3::<f64>",
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        // Unit tests run on the CPU and may compare against f64.
        let code = text.split("#[cfg(test)]").next().unwrap();
        for (n, line) in code.lines().enumerate() {
            let line = line.split("//").next().unwrap();
            for f in forbidden {
                if line.contains(f) {
                    found.push(format!("{file}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "dtype conversions belong in src/model/host.rs:\n{}",
        found.join("\n")
    );
    // The host module really is where they went.
    let host = std::fs::read_to_string(root.join("src/model/host.rs")).unwrap();
    assert!(host.contains("to_dtype(DType::F64)"));
}
