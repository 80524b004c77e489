//! The fused gated kernels against the candle-op path, through `LanguageModel`: the same loss
//! and gradients (to ~1e-5) for GRU, LSTM, RNN stacks, embeddings and dropout, at several
//! shapes including H = 256 and d2l's batch (1024 × 32).

use candle_core::{DType, Device};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rnn_tui::data::{Batch, Vocab};
use rnn_tui::hparams::Cell;
use rnn_tui::model::{Arch, ComputePath, LanguageModel};

fn case(arch: Arch, batch: usize, steps: usize, dropout: f64) {
    let text: String = rnn_tui::data::corpus::TIME_MACHINE[..5000].into();
    let vocab = Vocab::from_text(&text);
    let arch = Arch {
        vocab: vocab.len(),
        ..arch
    };
    let params = arch.init(11, &Device::Cpu, DType::F32).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(batch as u64 * 31 + steps as u64);
    let n = batch * steps;
    let v = vocab.len() as u32;
    let b = Batch {
        x: (0..n).map(|_| rng.random_range(0..v)).collect(),
        y: (0..n).map(|_| rng.random_range(0..v)).collect(),
        batch_size: batch,
        num_steps: steps,
    };
    let run = |path| {
        let mut lm = LanguageModel::from_named(vocab.clone(), arch, params.clone()).unwrap();
        lm.set_compute_path(path).unwrap();
        assert_eq!(lm.compute_path(), path);
        lm.set_dropout(dropout, 77);
        let (loss, g) = lm.loss_and_grads(&b).unwrap();
        let val = lm.loss(&b).unwrap();
        (loss, val, g)
    };
    let (lc, vc, gc) = run(ComputePath::Candle);
    let (lf, vf, gf) = run(ComputePath::Fused);
    let label = format!("{arch:?} B{batch} T{steps} dropout {dropout}");
    assert!((lc - lf).abs() < 1e-5 * lc, "{label}: loss {lc} vs {lf}");
    assert!(
        (vc - vf).abs() < 1e-5 * vc,
        "{label}: validation loss {vc} vs {vf}"
    );
    if dropout > 0.0 {
        assert!(
            (lc - vc).abs() > 1e-4,
            "{label}: dropout is on in training only"
        );
    }
    let names = arch.param_shapes();
    assert_eq!(gc.0.len(), names.len());
    for ((a, b), (name, shape)) in gc.0.iter().zip(&gf.0).zip(&names) {
        assert_eq!(a.dims(), shape.as_slice(), "{label} {name}");
        assert_eq!(b.dims(), shape.as_slice(), "{label} {name}");
        let a: Vec<f32> = a.flatten_all().unwrap().to_vec1().unwrap();
        let b: Vec<f32> = b.flatten_all().unwrap().to_vec1().unwrap();
        let scale = a.iter().fold(0f32, |m, x| m.max(x.abs())).max(1e-3);
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max);
        assert!(
            worst <= 1e-5 * scale,
            "{label} {name}: fused and candle gradients differ by {worst} (largest {scale})"
        );
    }
}

fn arch(cell: Cell, hiddens: usize, layers: usize, embed: usize) -> Arch {
    Arch {
        cell,
        vocab: 0,
        hiddens,
        layers,
        embed,
    }
}

#[test]
fn fused_gated_kernels_match_the_candle_path_at_small_shapes() {
    case(arch(Cell::Gru, 8, 1, 0), 3, 5, 0.0);
    case(arch(Cell::Lstm, 8, 1, 0), 3, 5, 0.0);
    case(arch(Cell::Gru, 16, 2, 8), 7, 6, 0.0);
    case(arch(Cell::Lstm, 12, 3, 5), 5, 4, 0.3);
    case(arch(Cell::Rnn, 10, 2, 4), 4, 7, 0.2);
}

#[test]
fn fused_gated_kernels_match_the_candle_path_at_h_256() {
    case(arch(Cell::Gru, 256, 1, 0), 16, 8, 0.0);
    case(arch(Cell::Lstm, 256, 2, 32), 8, 6, 0.1);
}

#[test]
fn fused_gated_kernels_match_the_candle_path_at_the_d2l_batch() {
    case(arch(Cell::Gru, 32, 1, 0), 1024, 32, 0.0);
    case(arch(Cell::Lstm, 32, 1, 0), 1024, 32, 0.0);
}
