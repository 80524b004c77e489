//! Throughput benchmark of the fused CPU RNN kernel.
//!
//! `cargo run --release --example fused_bench [iters] [H] [threads] [batch]`
//! Prints training tokens/s (batch*steps / time of one `loss_and_grads`) for
//! H=32 and H=256 (V=28, B=1024, T=32), on 1 and 2 threads, median over iterations.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rnn_tui::model::fused::{FusedRnn, GradsBuf, ParamsRef};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let iters: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(15);
    // Optional filters (for profiling): [iters] [H] [threads] [batch]
    let only_h: Option<usize> = args.get(2).and_then(|s| s.parse().ok());
    let only_t: Option<usize> = args.get(3).and_then(|s| s.parse().ok());
    let b: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(1024);
    let (v, t) = (28usize, 32usize);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    println!("V={v} B={b} T={t}, median of {iters} iterations after warm-up");
    println!(
        "{:>5} {:>8} {:>12} {:>14} {:>14}",
        "H", "threads", "ms/step", "train tok/s", "eval tok/s"
    );
    for h in [32usize, 256] {
        if only_h.is_some_and(|x| x != h) {
            continue;
        }
        let mut r = |n: usize| -> Vec<f32> {
            (0..n)
                .map(|_| 0.01 * (rng.random::<f32>() * 2.0 - 1.0) * 1.73)
                .collect()
        };
        let (w_xh, w_hh, b_h, w_hq, b_q) = (r(v * h), r(h * h), r(h), r(h * v), r(v));
        let x: Vec<u32> = (0..b * t).map(|_| rng.random_range(0..v as u32)).collect();
        let y: Vec<u32> = (0..b * t).map(|_| rng.random_range(0..v as u32)).collect();
        let p = ParamsRef {
            w_xh: &w_xh,
            w_hh: &w_hh,
            b_h: &b_h,
            w_hq: &w_hq,
            b_q: &b_q,
            vocab: v,
            hiddens: h,
        };
        for threads in [1usize, 2] {
            if only_t.is_some_and(|x| x != threads) {
                continue;
            }
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (train, eval) = pool.install(|| {
                let mut rnn = FusedRnn::<f32>::new();
                let mut g = GradsBuf::default();
                for _ in 0..3 {
                    std::hint::black_box(rnn.loss_and_grads(&p, &x, &y, b, t, &mut g));
                }
                let mut times = Vec::new();
                for _ in 0..iters {
                    let s = Instant::now();
                    std::hint::black_box(rnn.loss_and_grads(&p, &x, &y, b, t, &mut g));
                    times.push(s.elapsed().as_secs_f64());
                }
                let mut etimes = Vec::new();
                for _ in 0..iters {
                    let s = Instant::now();
                    std::hint::black_box(rnn.loss(&p, &x, &y, b, t));
                    etimes.push(s.elapsed().as_secs_f64());
                }
                (median(&mut times), median(&mut etimes))
            });
            let tok = (b * t) as f64;
            println!(
                "{h:>5} {threads:>8} {:>12.2} {:>14.0} {:>14.0}",
                train * 1e3,
                tok / train,
                tok / eval
            );
        }
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}
