// The reference implementation is deliberately written as plain indexed loops.
#![allow(clippy::needless_range_loop, clippy::type_complexity)]
use super::super::float::{fast_exp_nonpos_f32, fast_tanh_f32};
use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Owned parameters in f64.
#[derive(Clone)]
struct P {
    w_xh: Vec<f64>,
    w_hh: Vec<f64>,
    b_h: Vec<f64>,
    w_hq: Vec<f64>,
    b_q: Vec<f64>,
    v: usize,
    h: usize,
}

impl P {
    fn random(v: usize, h: usize, sigma: f64, rng: &mut ChaCha8Rng) -> P {
        let mut r = |n: usize| -> Vec<f64> {
            (0..n)
                .map(|_| sigma * (rng.random::<f64>() * 2.0 - 1.0) * 1.7)
                .collect()
        };
        P {
            w_xh: r(v * h),
            w_hh: r(h * h),
            b_h: r(h),
            w_hq: r(h * v),
            b_q: r(v),
            v,
            h,
        }
    }
    fn cast<F: FusedFloat>(&self) -> (Vec<F>, Vec<F>, Vec<F>, Vec<F>, Vec<F>) {
        let c = |a: &Vec<f64>| a.iter().map(|&x| F::from_f64(x)).collect::<Vec<F>>();
        (
            c(&self.w_xh),
            c(&self.w_hh),
            c(&self.b_h),
            c(&self.w_hq),
            c(&self.b_q),
        )
    }
    fn tensors_mut(&mut self) -> [&mut Vec<f64>; 5] {
        [
            &mut self.w_xh,
            &mut self.w_hh,
            &mut self.b_h,
            &mut self.w_hq,
            &mut self.b_q,
        ]
    }
}

fn ids(n: usize, v: usize, rng: &mut ChaCha8Rng) -> Vec<u32> {
    (0..n).map(|_| rng.random_range(0..v as u32)).collect()
}

/// Straightforward scalar reference: returns (loss, [dw_xh, dw_hh, db_h, dw_hq, db_q]).
fn reference(p: &P, x: &[u32], y: &[u32], bsz: usize, steps: usize) -> (f64, [Vec<f64>; 5]) {
    let (v, h) = (p.v, p.h);
    let n = (bsz * steps) as f64;
    // forward, keep hs[t][b][j] and probs
    let mut hs = vec![vec![vec![0.0; h]; bsz]; steps];
    let mut probs = vec![vec![vec![0.0; v]; bsz]; steps];
    let mut loss = 0.0;
    for b in 0..bsz {
        let mut hprev = vec![0.0; h];
        for t in 0..steps {
            let xi = x[b * steps + t] as usize;
            let mut hn = vec![0.0; h];
            for j in 0..h {
                let mut a = p.w_xh[xi * h + j] + p.b_h[j];
                for k in 0..h {
                    a += hprev[k] * p.w_hh[k * h + j];
                }
                hn[j] = a.tanh();
            }
            let mut o = vec![0.0; v];
            for c in 0..v {
                o[c] = p.b_q[c];
                for k in 0..h {
                    o[c] += hn[k] * p.w_hq[k * v + c];
                }
            }
            let m = o.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = o.iter().map(|&z| (z - m).exp()).sum();
            let yi = y[b * steps + t] as usize;
            loss += -(o[yi] - m - s.ln());
            for c in 0..v {
                probs[t][b][c] = (o[c] - m).exp() / s;
            }
            hs[t][b] = hn.clone();
            hprev = hn;
        }
    }
    loss /= n;
    // backward
    let mut g = [
        vec![0.0; v * h],
        vec![0.0; h * h],
        vec![0.0; h],
        vec![0.0; h * v],
        vec![0.0; v],
    ];
    for b in 0..bsz {
        let mut dh_next = vec![0.0; h]; // dL/dh_t coming from step t+1
        for t in (0..steps).rev() {
            let yi = y[b * steps + t] as usize;
            let mut d_o = probs[t][b].clone();
            d_o[yi] -= 1.0;
            for c in 0..v {
                d_o[c] /= n;
            }
            let ht = &hs[t][b];
            let mut dht = dh_next.clone();
            for c in 0..v {
                g[4][c] += d_o[c];
                for k in 0..h {
                    g[3][k * v + c] += ht[k] * d_o[c];
                    dht[k] += d_o[c] * p.w_hq[k * v + c];
                }
            }
            let da: Vec<f64> = (0..h).map(|j| dht[j] * (1.0 - ht[j] * ht[j])).collect();
            let xi = x[b * steps + t] as usize;
            let zero = vec![0.0; h];
            let hp = if t > 0 { &hs[t - 1][b] } else { &zero };
            let mut dprev = vec![0.0; h];
            for j in 0..h {
                g[0][xi * h + j] += da[j];
                g[2][j] += da[j];
                for k in 0..h {
                    g[1][k * h + j] += hp[k] * da[j];
                    dprev[k] += da[j] * p.w_hh[k * h + j];
                }
            }
            dh_next = dprev;
        }
    }
    (loss, g)
}

fn run_fused<F: FusedFloat>(
    rnn: &mut FusedRnn<F>,
    p: &P,
    x: &[u32],
    y: &[u32],
    b: usize,
    t: usize,
) -> (f64, [Vec<f64>; 5]) {
    let (a, bb, c, d, e) = p.cast::<F>();
    let pr = ParamsRef {
        w_xh: &a,
        w_hh: &bb,
        b_h: &c,
        w_hq: &d,
        b_q: &e,
        vocab: p.v,
        hiddens: p.h,
    };
    let mut g = GradsBuf::default();
    let l = rnn.loss_and_grads(&pr, x, y, b, t, &mut g);
    let back = |a: &Vec<F>| a.iter().map(|z| z.to_f64()).collect::<Vec<f64>>();
    (
        l.to_f64(),
        [
            back(&g.w_xh),
            back(&g.w_hh),
            back(&g.b_h),
            back(&g.w_hq),
            back(&g.b_q),
        ],
    )
}

/// max |a-b| / max(max |b|, tiny)
fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0.0f64, |m, &z| m.max(z.abs())).max(1e-30);
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

const NAMES: [&str; 5] = ["w_xh", "w_hh", "b_h", "w_hq", "b_q"];

fn check_against_reference<F: FusedFloat>(tol: f64, threads: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let shapes = [
        // (V, H, B, T, sigma)
        (5, 4, 3, 4, 0.5),
        (28, 32, 17, 9, 0.3),
        (7, 13, 1, 1, 0.5),
        (7, 13, 1, 6, 0.5),
        (11, 9, 5, 1, 0.4),
        (28, 33, 31, 7, 0.2),
        (3, 1, 2, 3, 0.5),
        (28, 64, 9, 5, 0.1),
    ];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let mut rnn = FusedRnn::<F>::new();
    for &(v, h, b, t, s) in &shapes {
        let p = P::random(v, h, s, &mut rng);
        let x = ids(b * t, v, &mut rng);
        let y = ids(b * t, v, &mut rng);
        let (lr, gr) = reference(&p, &x, &y, b, t);
        let (lf, gf) = pool.install(|| run_fused(&mut rnn, &p, &x, &y, b, t));
        let el = (lf - lr).abs() / lr.abs();
        assert!(
            el < tol,
            "loss mismatch {lf} vs {lr} (rel {el}) shape {:?}",
            (v, h, b, t)
        );
        for i in 0..5 {
            let e = rel_err(&gf[i], &gr[i]);
            assert!(
                e < tol,
                "grad {} rel err {e} shape {:?} threads {threads}",
                NAMES[i],
                (v, h, b, t)
            );
        }
    }
}

#[test]
fn matches_reference_f32() {
    check_against_reference::<f32>(1e-5, 1);
    check_against_reference::<f32>(1e-5, 2);
    check_against_reference::<f32>(1e-5, 3);
}

#[test]
fn matches_reference_f64() {
    check_against_reference::<f64>(1e-11, 1);
    check_against_reference::<f64>(1e-11, 2);
}

#[test]
fn finite_differences_f64() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (v, h, b, t) = (5, 4, 3, 4);
    let p = P::random(v, h, 0.5, &mut rng);
    let x = ids(b * t, v, &mut rng);
    let y = ids(b * t, v, &mut rng);
    let mut rnn = FusedRnn::<f64>::new();
    let (_, g) = run_fused(&mut rnn, &p, &x, &y, b, t);
    let eps = 1e-5;
    let mut worst = 0.0f64;
    for ti in 0..5 {
        let n = p.clone().tensors_mut()[ti].len();
        for i in 0..n {
            let mut pp = p.clone();
            pp.tensors_mut()[ti][i] += eps;
            let (lp, _) = run_fused(&mut rnn, &pp, &x, &y, b, t);
            let mut pm = p.clone();
            pm.tensors_mut()[ti][i] -= eps;
            let (lm, _) = run_fused(&mut rnn, &pm, &x, &y, b, t);
            let fd = (lp - lm) / (2.0 * eps);
            let an = g[ti][i];
            let e = (fd - an).abs() / fd.abs().max(an.abs()).max(1e-6);
            worst = worst.max(e);
            assert!(
                e < 1e-4,
                "{}[{i}]: fd {fd} vs analytic {an} (rel {e})",
                NAMES[ti]
            );
        }
    }
    eprintln!("finite differences: worst rel err {worst:e}");
}

#[test]
fn loss_only_equals_loss_and_grads() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for &(v, h, b, t) in &[(28, 32, 64, 8), (5, 7, 3, 1), (28, 256, 8, 4)] {
        let p = P::random(v, h, 0.3, &mut rng);
        let x = ids(b * t, v, &mut rng);
        let y = ids(b * t, v, &mut rng);
        let (a, bb, c, d, e) = p.cast::<f32>();
        let pr = ParamsRef {
            w_xh: &a,
            w_hh: &bb,
            b_h: &c,
            w_hq: &d,
            b_q: &e,
            vocab: v,
            hiddens: h,
        };
        let mut rnn = FusedRnn::<f32>::new();
        let mut g = GradsBuf::default();
        let l1 = rnn.loss_and_grads(&pr, &x, &y, b, t, &mut g);
        let l2 = rnn.loss(&pr, &x, &y, b, t);
        assert_eq!(l1, l2);
        let mut rnn64 = FusedRnn::<f64>::new();
        let (l3, _) = run_fused(&mut rnn64, &p, &x, &y, b, t);
        let (a, bb, c, d, e) = p.cast::<f64>();
        let pr = ParamsRef {
            w_xh: &a,
            w_hh: &bb,
            b_h: &c,
            w_hq: &d,
            b_q: &e,
            vocab: v,
            hiddens: h,
        };
        assert_eq!(l3, rnn64.loss(&pr, &x, &y, b, t));
    }
}

#[test]
fn one_and_two_threads_agree() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for &(v, h, b, t) in &[(28, 32, 1024, 8), (28, 37, 101, 5)] {
        let p = P::random(v, h, 0.3, &mut rng);
        let x = ids(b * t, v, &mut rng);
        let y = ids(b * t, v, &mut rng);
        let mut res = Vec::new();
        for n in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap();
            let mut rnn = FusedRnn::<f32>::new();
            res.push(pool.install(|| run_fused(&mut rnn, &p, &x, &y, b, t)));
        }
        let el = (res[0].0 - res[1].0).abs() / res[0].0.abs();
        assert!(el < 1e-6, "loss 1 vs 2 threads rel {el}");
        for i in 0..5 {
            let e = rel_err(&res[1].1[i], &res[0].1[i]);
            assert!(e < 2e-6, "grad {} 1 vs 2 threads rel {e}", NAMES[i]);
        }
    }
}

#[test]
fn workspace_reuse_across_shapes() {
    // Shrinking and growing shapes on the same workspace must give the same answers as fresh ones.
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut rnn = FusedRnn::<f64>::new();
    for &(v, h, b, t) in &[
        (9, 16, 20, 6),
        (5, 3, 2, 2),
        (9, 16, 20, 6),
        (12, 20, 33, 7),
    ] {
        let p = P::random(v, h, 0.4, &mut rng);
        let x = ids(b * t, v, &mut rng);
        let y = ids(b * t, v, &mut rng);
        let (l1, g1) = run_fused(&mut rnn, &p, &x, &y, b, t);
        let (l2, g2) = run_fused(&mut FusedRnn::<f64>::new(), &p, &x, &y, b, t);
        assert_eq!(l1, l2);
        for i in 0..5 {
            assert_eq!(g1[i], g2[i]);
        }
    }
}

#[test]
fn fast_math_accuracy_f32() {
    let mut worst_t = 0.0f64;
    let mut worst_e = 0.0f64;
    let mut x = -12.0f64;
    while x < 12.0 {
        let xf = x as f32;
        let r = (xf as f64).tanh();
        let e = ((fast_tanh_f32(xf) as f64) - r).abs() / r.abs().max(1e-30);
        worst_t = worst_t.max(e);
        x += 1.37e-4;
    }
    let mut x = -100.0f64;
    while x <= 0.0 {
        let xf = x as f32;
        let r = (xf as f64).exp();
        let got = fast_exp_nonpos_f32(xf) as f64;
        if xf >= -87.0 {
            let e = (got - r).abs() / r;
            worst_e = worst_e.max(e);
        } else {
            assert!(got < 1e-37);
        }
        x += 1.13e-4;
    }
    eprintln!("fast tanh worst rel err {worst_t:e}, fast exp worst rel err {worst_e:e}");
    assert!(worst_t < 5e-7, "tanh {worst_t}");
    assert!(worst_e < 5e-7, "exp {worst_e}");
}

#[test]
fn a_nan_left_by_an_earlier_call_does_not_reach_the_next() {
    // After a divergence the workspace has seen NaN and inf everywhere; the next call with
    // finite weights must give exactly what a fresh workspace gives.
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    for &(v, h, b, t) in &[(28, 32, 64, 8), (5, 7, 300, 3), (28, 16, 1024, 4)] {
        let good = P::random(v, h, 0.3, &mut rng);
        let x = ids(b * t, v, &mut rng);
        let y = ids(b * t, v, &mut rng);
        let mut nan = good.clone();
        nan.w_hq[0] = f64::NAN;
        nan.w_hh[1] = f64::INFINITY;
        let mut inf = good.clone();
        inf.w_hq[3] = f64::INFINITY;
        inf.b_q[0] = f64::NEG_INFINITY;
        let (fresh_loss, fresh_grads) = run_fused(&mut FusedRnn::<f32>::new(), &good, &x, &y, b, t);
        let (a, bb, c, d, e) = good.cast::<f32>();
        let pr = ParamsRef {
            w_xh: &a,
            w_hh: &bb,
            b_h: &c,
            w_hq: &d,
            b_q: &e,
            vocab: v,
            hiddens: h,
        };
        let fresh_eval = FusedRnn::<f32>::new().loss(&pr, &x, &y, b, t);
        for bad in [&nan, &inf] {
            let mut rnn = FusedRnn::<f32>::new();
            // Both layouts (with and without gradient columns) see the bad values.
            let (bad_loss, _) = run_fused(&mut rnn, bad, &x, &y, b, t);
            assert!(!bad_loss.is_finite(), "{bad_loss}");
            let (ba, bbb, bc, bd, be) = bad.cast::<f32>();
            let bad_ref = ParamsRef {
                w_xh: &ba,
                w_hh: &bbb,
                b_h: &bc,
                w_hq: &bd,
                b_q: &be,
                vocab: v,
                hiddens: h,
            };
            assert!(!rnn.loss(&bad_ref, &x, &y, b, t).is_finite());
            assert_eq!(rnn.loss(&pr, &x, &y, b, t).to_bits(), fresh_eval.to_bits());
            let _ = run_fused(&mut rnn, bad, &x, &y, b, t);
            let (l, g) = run_fused(&mut rnn, &good, &x, &y, b, t);
            assert!(l.is_finite());
            assert_eq!(
                l.to_bits(),
                fresh_loss.to_bits(),
                "shape {:?}",
                (v, h, b, t)
            );
            assert_eq!(g, fresh_grads, "shape {:?}", (v, h, b, t));
        }
    }
}

#[test]
fn any_thread_count_gives_bit_identical_results() {
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    for &(v, h, b, t) in &[
        (28, 32, 1024, 8),
        (28, 16, 1000, 3),
        (9, 8, 700, 4),
        (5, 4, 37, 5),
    ] {
        let p = P::random(v, h, 0.3, &mut rng);
        let x = ids(b * t, v, &mut rng);
        let y = ids(b * t, v, &mut rng);
        let mut results = Vec::new();
        for threads in [1, 2, 3, 8, 16] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut rnn = FusedRnn::<f32>::new();
            let (l, g) = pool.install(|| run_fused(&mut rnn, &p, &x, &y, b, t));
            let g: Vec<Vec<u64>> = g
                .iter()
                .map(|t| t.iter().map(|z| z.to_bits()).collect())
                .collect();
            results.push((threads, l.to_bits(), g));
        }
        let (_, l1, g1) = &results[0];
        for (threads, l, g) in &results[1..] {
            assert_eq!(l, l1, "loss at {threads} threads, shape {:?}", (v, h, b, t));
            assert_eq!(
                g,
                g1,
                "gradients at {threads} threads, shape {:?}",
                (v, h, b, t)
            );
        }
    }
}
