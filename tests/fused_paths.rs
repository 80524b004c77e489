//! The fused CPU kernel against the candle-op reference, through `LanguageModel`.

use candle_core::{DType, Device, Tensor};
use rand::{Rng, SeedableRng};
use rnn_tui::data::{Batch, Vocab};
use rnn_tui::model::params::init_params;
use rnn_tui::model::{ComputePath, LanguageModel, RnnParams};

fn random_case(hiddens: usize, batch: usize, steps: usize, seed: u64) -> (Vocab, RnnParams, Batch) {
    let vocab = Vocab::from_text("abcdefghijklmnopqrstuvwxyz ");
    let v = vocab.len();
    // σ = 0.1: large enough that tanh is far from linear, small enough that f32 round-off in
    // 32 steps of backpropagation stays well below the 1e-5 being checked.
    let mut params = init_params(v, hiddens, 0.1, seed, &Device::Cpu, DType::F32).unwrap();
    // Non-zero biases so their gradients are exercised too.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    for bias in [&mut params.b_h, &mut params.b_q] {
        let n = bias.dim(0).unwrap();
        let b: Vec<f32> = (0..n).map(|_| rng.random_range(-0.5..0.5)).collect();
        *bias = Tensor::from_vec(b, n, &Device::Cpu).unwrap();
    }
    let ids = |rng: &mut rand_chacha::ChaCha8Rng| -> Vec<u32> {
        (0..batch * steps)
            .map(|_| rng.random_range(0..v as u32))
            .collect()
    };
    let b = Batch {
        x: ids(&mut rng),
        y: ids(&mut rng),
        batch_size: batch,
        num_steps: steps,
    };
    (vocab, params, b)
}

fn model(vocab: &Vocab, params: &RnnParams, path: ComputePath) -> LanguageModel {
    let mut lm = LanguageModel::from_params(vocab.clone(), params.clone()).unwrap();
    lm.set_compute_path(path).unwrap();
    assert_eq!(lm.compute_path(), path);
    lm
}

#[test]
fn fused_gradients_equal_the_candle_path() {
    for (h, b, t, seed) in [(32, 64, 32, 0), (7, 5, 3, 1), (256, 16, 8, 2), (1, 1, 1, 3)] {
        let (vocab, params, batch) = random_case(h, b, t, seed);
        let (l_ref, g_ref) = model(&vocab, &params, ComputePath::Candle)
            .loss_and_grads(&batch)
            .unwrap();
        let (l_fused, g_fused) = model(&vocab, &params, ComputePath::Fused)
            .loss_and_grads(&batch)
            .unwrap();
        assert!(
            (l_ref - l_fused).abs() / l_ref < 1e-5,
            "loss {l_ref} vs {l_fused}"
        );
        for k in 0..5 {
            let a: Vec<f32> = g_ref.0[k].flatten_all().unwrap().to_vec1().unwrap();
            let f: Vec<f32> = g_fused.0[k].flatten_all().unwrap().to_vec1().unwrap();
            let num: f32 = a
                .iter()
                .zip(&f)
                .map(|(x, y)| (x - y) * (x - y))
                .sum::<f32>()
                .sqrt();
            let den: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            assert!(
                num / den < 1e-5,
                "H={h} B={b} T={t} param {k}: relative error {}",
                num / den
            );
        }
        let vl_ref = model(&vocab, &params, ComputePath::Candle)
            .loss(&batch)
            .unwrap();
        let vl_fused = model(&vocab, &params, ComputePath::Fused)
            .loss(&batch)
            .unwrap();
        assert!((vl_ref - vl_fused).abs() / vl_ref < 1e-5);
    }
}

#[test]
fn auto_picks_the_fused_kernel_on_cpu() {
    let (vocab, params, _) = random_case(4, 1, 1, 0);
    let mut lm = LanguageModel::from_params(vocab, params).unwrap();
    lm.set_compute_path(ComputePath::Auto).unwrap();
    assert_eq!(lm.compute_path(), ComputePath::Fused);
}

#[test]
fn both_paths_train_alike_over_many_steps() {
    let (vocab, params, batch) = random_case(16, 32, 16, 5);
    let mut a = model(&vocab, &params, ComputePath::Candle);
    let mut b = model(&vocab, &params, ComputePath::Fused);
    for _ in 0..30 {
        for lm in [&mut a, &mut b] {
            let (_, mut g) = lm.loss_and_grads(&batch).unwrap();
            rnn_tui::train::clip_gradients(&mut g, 1.0).unwrap();
            lm.sgd_step(&g, 1.0).unwrap();
        }
    }
    let (la, lb) = (a.loss(&batch).unwrap(), b.loss(&batch).unwrap());
    assert!((la - lb).abs() < 1e-3 * la, "{la} vs {lb}");
}

/// A few SGD steps through `LanguageModel` on the fused kernel give bit-identical losses and
/// weights at 1, 2, 3, 8 and 16 threads: the work split does not depend on the thread count.
#[test]
fn losses_are_bit_identical_at_any_thread_count() {
    let (vocab, params, _) = random_case(32, 1, 1, 9);
    let batches: Vec<Batch> = [1024usize, 1000, 300, 1024]
        .iter()
        .enumerate()
        .map(|(i, &b)| random_case(32, b, 16, 20 + i as u64).2)
        .collect();
    let run = |threads: usize| -> (Vec<u64>, Vec<u32>) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut lm = model(&vocab, &params, ComputePath::Fused);
            let mut losses = Vec::new();
            for b in &batches {
                let (loss, g) = lm.loss_and_grads(b).unwrap();
                lm.sgd_step(&g, 1.0).unwrap();
                losses.push(loss.to_bits());
            }
            let weights = lm
                .params()
                .unwrap()
                .iter()
                .flat_map(|t| t.flatten_all().unwrap().to_vec1::<f32>().unwrap())
                .map(f32::to_bits)
                .collect();
            (losses, weights)
        })
    };
    let one = run(1);
    for threads in [2, 3, 8, 16] {
        assert_eq!(run(threads), one, "{threads} threads");
    }
}
