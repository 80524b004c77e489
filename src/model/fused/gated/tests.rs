//! The gated kernels against a naive f64 reference written here from PyTorch's formulas
//! (nothing shared with the kernel but the dropout hash), finite-difference gradient checks,
//! thread-count independence and f32/f64 agreement.
#![allow(clippy::needless_range_loop)]

use super::*;
use crate::model::dropout::keep;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn dims(cell: Cell, vocab: usize, embed: usize, hidden: usize, layers: usize) -> GatedDims {
    GatedDims {
        cell,
        vocab,
        embed,
        hidden,
        layers,
        batch: 0,
        steps: 0,
    }
}

fn random_params(d: &GatedDims, scale: f64, rng: &mut ChaCha8Rng) -> GatedParams<f64> {
    let mut p = GatedParams::<f64>::zeros(d);
    for t in p.tensors_mut() {
        for x in t.iter_mut() {
            *x = scale * (rng.random::<f64>() * 2.0 - 1.0);
        }
    }
    p
}

fn ids(n: usize, v: usize, rng: &mut ChaCha8Rng) -> Vec<u32> {
    (0..n).map(|_| rng.random_range(0..v as u32)).collect()
}

fn cast<F: GateFloat>(p: &GatedParams<f64>) -> GatedParams<F> {
    let c = |a: &Vec<f64>| a.iter().map(|&x| F::from_f64(x)).collect::<Vec<F>>();
    GatedParams {
        embedding: c(&p.embedding),
        layers: p
            .layers
            .iter()
            .map(|l| LayerParams {
                w_ih: c(&l.w_ih),
                w_hh: c(&l.w_hh),
                b_ih: c(&l.b_ih),
                b_hh: c(&l.b_hh),
            })
            .collect(),
        fc_w: c(&p.fc_w),
        fc_b: c(&p.fc_b),
    }
}

fn sig(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `y = W x + b` for W [rows, cols].
fn affine(w: &[f64], b: &[f64], x: &[f64]) -> Vec<f64> {
    let cols = x.len();
    b.iter()
        .enumerate()
        .map(|(j, &bj)| bj + (0..cols).map(|i| w[j * cols + i] * x[i]).sum::<f64>())
        .collect()
}

/// The mean cross-entropy, computed the plain way: per sequence, per step, per layer, with
/// PyTorch's formulas and unfolded biases.
fn reference_loss(
    d: &GatedDims,
    p: &GatedParams<f64>,
    x: &[u32],
    y: &[u32],
    dropout: Option<Dropout>,
) -> f64 {
    let (v, h, e) = (d.vocab, d.hidden, d.embed);
    let mut total = 0.0;
    for b in 0..d.batch {
        let mut hs = vec![vec![0.0; h]; d.layers];
        let mut cs = vec![vec![0.0; h]; d.layers];
        for t in 0..d.steps {
            let id = x[b * d.steps + t] as usize;
            let mut inp: Vec<f64> = if e > 0 {
                p.embedding[id * e..(id + 1) * e].to_vec()
            } else {
                (0..v).map(|i| if i == id { 1.0 } else { 0.0 }).collect()
            };
            for k in 0..d.layers {
                let l = &p.layers[k];
                let gi = affine(&l.w_ih, &l.b_ih, &inp);
                let gg = affine(&l.w_hh, &l.b_hh, &hs[k]);
                let hp = hs[k].clone();
                let mut hn = vec![0.0; h];
                for j in 0..h {
                    hn[j] = match d.cell {
                        Cell::Rnn => (gi[j] + gg[j]).tanh(),
                        Cell::Gru => {
                            let r = sig(gi[j] + gg[j]);
                            let z = sig(gi[h + j] + gg[h + j]);
                            let n = (gi[2 * h + j] + r * gg[2 * h + j]).tanh();
                            (1.0 - z) * n + z * hp[j]
                        }
                        Cell::Lstm => {
                            let i = sig(gi[j] + gg[j]);
                            let f = sig(gi[h + j] + gg[h + j]);
                            let g = (gi[2 * h + j] + gg[2 * h + j]).tanh();
                            let o = sig(gi[3 * h + j] + gg[3 * h + j]);
                            cs[k][j] = f * cs[k][j] + i * g;
                            o * cs[k][j].tanh()
                        }
                    };
                }
                hs[k] = hn.clone();
                inp = hn;
                if let Some(dr) = dropout {
                    for j in 0..h {
                        inp[j] *= if keep(dr.seed, k, b, t, j, dr.p) {
                            1.0 / (1.0 - dr.p as f64)
                        } else {
                            0.0
                        };
                    }
                }
            }
            let o = affine(&p.fc_w, &p.fc_b, &inp);
            let m = o.iter().cloned().fold(f64::MIN, f64::max);
            let lse = m + o.iter().map(|z| (z - m).exp()).sum::<f64>().ln();
            total += lse - o[y[b * d.steps + t] as usize];
        }
    }
    total / (d.batch * d.steps) as f64
}

struct Case {
    d: GatedDims,
    p: GatedParams<f64>,
    x: Vec<u32>,
    y: Vec<u32>,
}

fn case(cell: Cell, embed: usize, layers: usize, batch: usize, steps: usize, seed: u64) -> Case {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (v, h) = (7, 5);
    let d = dims(cell, v, embed, h, layers).with_batch(batch, steps);
    let p = random_params(&d, 0.6, &mut rng);
    let x = ids(batch * steps, v, &mut rng);
    let y = ids(batch * steps, v, &mut rng);
    Case { d, p, x, y }
}

/// Central differences of the reference loss for every parameter, against the kernel.
fn check_gradients(c: &Case, dropout: Option<Dropout>) {
    let mut kernel = GatedKernel::<f64>::new();
    let mut g = GatedParams::default();
    let loss = kernel.loss_and_grads(&c.d, &c.p, &c.x, &c.y, dropout, &mut g);
    let want = reference_loss(&c.d, &c.p, &c.x, &c.y, dropout);
    assert!(
        (loss - want).abs() < 1e-12,
        "loss {loss} vs reference {want}"
    );
    let names = GatedParams::<f64>::names_and_shapes(&c.d);
    let grads: Vec<Vec<f64>> = g.tensors().into_iter().cloned().collect();
    assert_eq!(grads.len(), names.len());
    let mut p = c.p.clone();
    let eps = 1e-6;
    for (ti, (name, _)) in names.iter().enumerate() {
        for i in 0..grads[ti].len() {
            let orig = p.tensors()[ti][i];
            p.tensors_mut()[ti][i] = orig + eps;
            let lp = reference_loss(&c.d, &p, &c.x, &c.y, dropout);
            p.tensors_mut()[ti][i] = orig - eps;
            let lm = reference_loss(&c.d, &p, &c.x, &c.y, dropout);
            p.tensors_mut()[ti][i] = orig;
            let fd = (lp - lm) / (2.0 * eps);
            let an = grads[ti][i];
            assert!(
                (an - fd).abs() <= 1e-7 * (1.0 + fd.abs()),
                "{:?} {name}[{i}]: kernel {an} vs finite difference {fd}",
                c.d.cell
            );
        }
    }
}

#[test]
fn gru_cell_gradients_match_finite_differences() {
    check_gradients(&case(Cell::Gru, 0, 1, 3, 4, 1), None);
}

#[test]
fn lstm_cell_gradients_match_finite_differences() {
    check_gradients(&case(Cell::Lstm, 0, 1, 3, 4, 2), None);
}

#[test]
fn rnn_stack_gradients_match_finite_differences() {
    check_gradients(&case(Cell::Rnn, 0, 2, 3, 4, 3), None);
}

#[test]
fn two_layer_stacks_gradients_match_finite_differences() {
    check_gradients(&case(Cell::Gru, 0, 2, 2, 5, 4), None);
    check_gradients(&case(Cell::Lstm, 0, 2, 2, 5, 5), None);
}

#[test]
fn embedding_input_gradients_match_finite_differences() {
    check_gradients(&case(Cell::Gru, 3, 1, 3, 3, 6), None);
    check_gradients(&case(Cell::Lstm, 4, 2, 2, 3, 7), None);
    check_gradients(&case(Cell::Rnn, 3, 1, 2, 3, 8), None);
}

#[test]
fn gradients_with_dropout_match_finite_differences_of_the_masked_model() {
    let dr = Dropout::new(0.3, 99);
    check_gradients(&case(Cell::Gru, 0, 2, 3, 4, 9), dr);
    check_gradients(&case(Cell::Lstm, 3, 2, 3, 4, 10), dr);
    check_gradients(&case(Cell::Rnn, 0, 2, 2, 3, 11), dr);
}

#[test]
fn dropout_changes_the_loss_and_zero_dropout_is_no_dropout() {
    let c = case(Cell::Lstm, 0, 2, 4, 6, 12);
    let mut k = GatedKernel::<f64>::new();
    let (mut g0, mut g1, mut g2) = Default::default();
    let l0 = k.loss_and_grads(&c.d, &c.p, &c.x, &c.y, None, &mut g0);
    let l1 = k.loss_and_grads(
        &c.d,
        &c.p,
        &c.x,
        &c.y,
        Some(Dropout { p: 0.0, seed: 3 }),
        &mut g1,
    );
    let l2 = k.loss_and_grads(&c.d, &c.p, &c.x, &c.y, Dropout::new(0.5, 3), &mut g2);
    assert_eq!(l0.to_bits(), l1.to_bits());
    assert_eq!(g0, g1);
    assert_ne!(l0, l2);
    assert_eq!(
        l0.to_bits(),
        k.forward_loss(&c.d, &c.p, &c.x, &c.y).to_bits()
    );
}

#[test]
fn forward_loss_matches_the_reference_for_every_cell_and_shape() {
    for (i, cell) in [Cell::Rnn, Cell::Gru, Cell::Lstm].into_iter().enumerate() {
        for (embed, layers) in [(0, 1), (0, 3), (4, 2)] {
            let c = case(cell, embed, layers, 5, 7, 20 + i as u64);
            let got = GatedKernel::<f64>::new().forward_loss(&c.d, &c.p, &c.x, &c.y);
            let want = reference_loss(&c.d, &c.p, &c.x, &c.y, None);
            assert!((got - want).abs() < 1e-12, "{cell:?} {embed} {layers}");
        }
    }
}

/// A batch of several work items, on 1 and 2 threads.
fn run_on_threads<F: GateFloat>(
    c: &Case,
    threads: usize,
    dropout: Option<Dropout>,
) -> (F, GatedParams<F>) {
    let p = cast::<F>(&c.p);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let mut k = GatedKernel::<F>::new();
    let mut g = GatedParams::default();
    let l = pool.install(|| k.loss_and_grads(&c.d, &p, &c.x, &c.y, dropout, &mut g));
    (l, g)
}

/// Small batches are split too, so two threads share a char-rnn batch of 64; big ones keep
/// items of at most [`ITEM_ROWS`] rows; the split never depends on the thread count.
#[test]
fn small_batches_are_split_into_items_for_threads() {
    let split = |b: usize| work_items(b);
    assert_eq!(
        [1, 31, 32, 63, 64, 100, 128, 256, 1024, 1025, 2048].map(split),
        [1, 1, 1, 1, 2, 3, 4, 4, 4, 5, 8]
    );
}

#[test]
fn results_are_identical_on_one_and_two_threads() {
    for (i, cell) in [Cell::Gru, Cell::Lstm, Cell::Rnn].into_iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(30 + i as u64);
        // Three or more big items, then a small batch split into two.
        let batch = if i == 2 { 64 } else { ITEM_ROWS * 2 + 77 };
        let d = dims(cell, 9, if i == 1 { 4 } else { 0 }, 6, 2).with_batch(batch, 5);
        let p = random_params(&d, 0.5, &mut rng);
        let x = ids(d.batch * d.steps, d.vocab, &mut rng);
        let y = ids(d.batch * d.steps, d.vocab, &mut rng);
        let c = Case { d, p, x, y };
        assert!(work_items(d.batch) >= if i == 2 { 2 } else { 3 });
        let dr = Dropout::new(0.2, 5);
        let (l1, g1) = run_on_threads::<f32>(&c, 1, dr);
        let (l2, g2) = run_on_threads::<f32>(&c, 2, dr);
        assert_eq!(l1.to_bits(), l2.to_bits(), "{cell:?}");
        assert_eq!(g1, g2, "{cell:?}");
        let (l1, g1) = run_on_threads::<f64>(&c, 1, None);
        let (l2, g2) = run_on_threads::<f64>(&c, 2, None);
        assert_eq!(l1.to_bits(), l2.to_bits(), "{cell:?}");
        assert_eq!(g1, g2, "{cell:?}");
        // Work items must not change the maths: the reference has no items at all.
        let want = reference_loss(&c.d, &c.p, &c.x, &c.y, None);
        assert!((l1 - want).abs() < 1e-12, "{cell:?}");
    }
}

#[test]
fn f32_agrees_with_f64() {
    for (i, cell) in [Cell::Gru, Cell::Lstm, Cell::Rnn].into_iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(40 + i as u64);
        let d = dims(cell, 28, if i == 0 { 8 } else { 0 }, 32, 2).with_batch(64, 16);
        let p = random_params(&d, 0.3, &mut rng);
        let x = ids(d.batch * d.steps, d.vocab, &mut rng);
        let y = ids(d.batch * d.steps, d.vocab, &mut rng);
        let c = Case { d, p, x, y };
        let dr = Dropout::new(0.1, 7);
        let (l64, g64) = run_on_threads::<f64>(&c, 1, dr);
        let (l32, g32) = run_on_threads::<f32>(&c, 1, dr);
        assert!(((l32 as f64) - l64).abs() < 1e-5 * l64, "{cell:?} loss");
        for (a, b) in g64.tensors().into_iter().zip(g32.tensors()) {
            let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (&x, &y) in a.iter().zip(b) {
                assert!(
                    (x - y as f64).abs() <= 1e-4 * scale + 1e-7,
                    "{cell:?}: {x} vs {y} (max {scale})"
                );
            }
        }
    }
}

#[test]
fn step_by_step_decoding_gives_the_batch_loss_and_exposes_the_states() {
    for (i, cell) in [Cell::Rnn, Cell::Gru, Cell::Lstm].into_iter().enumerate() {
        let c = case(cell, if i == 2 { 3 } else { 0 }, 2, 3, 6, 50 + i as u64);
        let d = c.d;
        let mut total = 0.0;
        let mut logits = vec![0.0; d.vocab];
        for b in 0..d.batch {
            let mut s = GatedState::zeros(&d);
            for t in 0..d.steps {
                step(&d, &c.p, c.x[b * d.steps + t], &mut s, &mut logits);
                let m = logits.iter().cloned().fold(f64::MIN, f64::max);
                let lse = m + logits.iter().map(|z| (z - m).exp()).sum::<f64>().ln();
                total += lse - logits[c.y[b * d.steps + t] as usize];
            }
            assert_eq!(s.h(1).len(), d.hidden);
            assert!(s.h(1).iter().any(|&v| v != 0.0));
            assert_eq!(s.c(0).is_some(), cell == Cell::Lstm);
        }
        let want = GatedKernel::<f64>::new().forward_loss(&d, &c.p, &c.x, &c.y);
        let got = total / (d.batch * d.steps) as f64;
        assert!((got - want).abs() < 1e-12, "{cell:?}: {got} vs {want}");
    }
}

#[test]
fn names_and_shapes_follow_pytorch() {
    let d = dims(Cell::Lstm, 28, 16, 32, 2);
    let names = GatedParams::<f32>::names_and_shapes(&d);
    let want: Vec<(&str, Vec<usize>)> = vec![
        ("embedding.weight", vec![28, 16]),
        ("rnn.weight_ih_l0", vec![128, 16]),
        ("rnn.weight_hh_l0", vec![128, 32]),
        ("rnn.bias_ih_l0", vec![128]),
        ("rnn.bias_hh_l0", vec![128]),
        ("rnn.weight_ih_l1", vec![128, 32]),
        ("rnn.weight_hh_l1", vec![128, 32]),
        ("rnn.bias_ih_l1", vec![128]),
        ("rnn.bias_hh_l1", vec![128]),
        ("fc.weight", vec![28, 32]),
        ("fc.bias", vec![28]),
    ];
    let got: Vec<(&str, Vec<usize>)> = names.iter().map(|(n, s)| (n.as_str(), s.clone())).collect();
    assert_eq!(got, want);
    let gru = dims(Cell::Gru, 28, 0, 32, 1);
    let p = GatedParams::<f32>::zeros(&gru);
    let named = p.named(&gru);
    assert_eq!(named[0].0, "rnn.weight_ih_l0");
    assert_eq!(named[0].1, vec![96, 28]);
    assert!(named
        .iter()
        .all(|(_, s, t)| s.iter().product::<usize>() == t.len()));
}

#[test]
fn a_diverged_call_leaves_nothing_behind() {
    let c = case(Cell::Gru, 0, 2, 4, 5, 60);
    let mut k = GatedKernel::<f64>::new();
    let mut g = GatedParams::default();
    let before = k.loss_and_grads(&c.d, &c.p, &c.x, &c.y, None, &mut g);
    let mut bad = c.p.clone();
    bad.layers[1].w_hh[0] = f64::NAN;
    let nan = k.loss_and_grads(&c.d, &bad, &c.x, &c.y, None, &mut g);
    assert!(nan.is_nan());
    let mut g2 = GatedParams::default();
    let after = k.loss_and_grads(&c.d, &c.p, &c.x, &c.y, None, &mut g2);
    assert_eq!(before.to_bits(), after.to_bits());
    assert!(g2.tensors().iter().all(|t| t.iter().all(|v| v.is_finite())));
}
