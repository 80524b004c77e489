//! `rnn-tui bench --products`: the fused kernels' matrix products at the shapes training
//! runs them, on every register tile this CPU has and on `gemm`, against the FMA peak that a
//! probe measures for each tile's vector width.
//!
//! It answers two questions the kernels were shaped by: does our tile beat `gemm` (with its
//! own AVX-512 kernels) at this shape, and how close to the core's peak do the products run.

use std::time::{Duration, Instant};

use super::gemm::{matmul, MatMut, MatRef};
use super::grad_product::{matmul_at_b_on, GradProductBufs};
use super::packed::{matmul_packed, PackedRhs};
use super::tile::Tile;

/// Which product a shape is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductKind {
    /// `dst (+)= lhs · W`, `W` packed once (the steps' products against the weights).
    AgainstWeights,
    /// `dW = aᵀ · b` (the weight gradients).
    WeightGradient,
}

/// A product at one shape: `m × k` times `k × n`.
#[derive(Clone, Copy, Debug)]
pub struct ProductShape {
    pub name: &'static str,
    pub kind: ProductKind,
    pub m: usize,
    pub k: usize,
    pub n: usize,
}

impl ProductShape {
    fn flops(&self) -> f64 {
        2.0 * (self.m * self.k * self.n) as f64
    }
}

/// The shapes of d2l's batch (1024 × 32 steps, a work item of 256 batch rows, vocabulary 28)
/// at hidden size `h`: the §9.5 kernel's products and a GRU's (gates 3H, blocks of 64 rows).
pub fn training_shapes(h: usize) -> Vec<ProductShape> {
    use ProductKind::*;
    let rows = 256 * 32;
    let s = |name, kind, m, k, n| ProductShape {
        name,
        kind,
        m,
        k,
        n,
    };
    vec![
        s("rnn step h·W_hh", AgainstWeights, 256, h, h),
        s("rnn logits H·W_hq", AgainstWeights, rows, h, 28),
        s("rnn bptt [dO|dA]·Wc", AgainstWeights, 256, 32 + h, h),
        s("rnn dW_hh", WeightGradient, h, rows, h),
        s("gru step h·W_hhᵀ", AgainstWeights, 64, h, 3 * h),
        s("gru bptt dg·W_hh", AgainstWeights, 64, 3 * h, h),
        s("gru dW_hh", WeightGradient, 3 * h, rows, h),
    ]
}

/// One measurement: GFLOP/s of each way to compute a shape.
#[derive(Clone, Debug)]
pub struct ProductFigure {
    pub shape: ProductShape,
    /// `gemm` (with `x86-v4`: its AVX-512 kernels where the CPU has them).
    pub gemm: f64,
    /// Each tile this CPU has, in [`Tile::available`] order.
    pub tiles: Vec<(&'static str, f64)>,
}

/// The name of a tile as `--isa` writes its path.
fn tile_name(t: Tile) -> &'static str {
    t.path().name()
}

/// This thread's CPU time: what a measurement counts, so that other processes sharing the
/// cores (a build, another benchmark) slow the wall clock but not the figures much.
fn thread_cpu_time() -> Duration {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0 {
            return Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
        }
    }
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// Runs `f` until `budget` of this thread's CPU time has passed (at least 5 rounds) and
/// returns the best calls per second over rounds of equal size (the least disturbed).
fn rate(budget: Duration, mut f: impl FnMut()) -> f64 {
    f();
    let t0 = thread_cpu_time();
    f();
    let one = (thread_cpu_time() - t0).max(Duration::from_nanos(100));
    let per_round = ((budget.as_secs_f64() / 5.0 / one.as_secs_f64()) as usize).max(1);
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = thread_cpu_time();
        for _ in 0..per_round {
            f();
        }
        best = best.min((thread_cpu_time() - t).as_secs_f64() / per_round as f64);
    }
    1.0 / best
}

fn values(len: usize, seed: u32) -> Vec<f32> {
    (0..len as u32)
        .map(|i| {
            ((i.wrapping_mul(2_654_435_761).wrapping_add(seed * 97) % 1009) as f32 / 1009.0) - 0.5
        })
        .collect()
}

/// Measures every shape on `gemm` and on every tile, `budget` per measurement.
pub fn measure(shapes: &[ProductShape], budget: Duration) -> Vec<ProductFigure> {
    shapes
        .iter()
        .map(|&shape| {
            let ProductShape { m, k, n, kind, .. } = shape;
            let per_s = |calls: f64| calls * shape.flops() / 1e9;
            let mut dst = vec![0f32; m * n];
            match kind {
                ProductKind::AgainstWeights => {
                    let lhs = values(m * k, 1);
                    let w = values(k * n, 2);
                    let gemm = per_s(rate(budget, || {
                        matmul(
                            MatMut::new(&mut dst, m, n, n),
                            MatRef::new(&lhs, m, k, k),
                            MatRef::new(&w, k, n, n),
                            true,
                        )
                    }));
                    let tiles = Tile::available()
                        .into_iter()
                        .map(|t| {
                            let mut packed = PackedRhs::default();
                            packed.pack_for(Some(t), &w, k, n, false);
                            let g = per_s(rate(budget, || {
                                matmul_packed(
                                    MatMut::new(&mut dst, m, n, n),
                                    MatRef::new(&lhs, m, k, k),
                                    &packed,
                                    true,
                                )
                            }));
                            (tile_name(t), g)
                        })
                        .collect();
                    ProductFigure { shape, gemm, tiles }
                }
                ProductKind::WeightGradient => {
                    // dst [m, n] = aᵀ·b, a [k, m], b [k, n]
                    let a = values(k * m, 3);
                    let b = values(k * n, 4);
                    let gemm = per_s(rate(budget, || {
                        matmul(
                            MatMut::new(&mut dst, m, n, n),
                            MatRef::new(&a, k, m, m).t(),
                            MatRef::new(&b, k, n, n),
                            false,
                        )
                    }));
                    let mut bufs = GradProductBufs::default();
                    let tiles = Tile::available()
                        .into_iter()
                        .map(|t| {
                            let g = per_s(rate(budget, || {
                                matmul_at_b_on(
                                    Some(t),
                                    MatMut::new(&mut dst, m, n, n),
                                    MatRef::new(&a, k, m, m),
                                    MatRef::new(&b, k, n, n),
                                    &mut bufs,
                                )
                            }));
                            (tile_name(t), g)
                        })
                        .collect();
                    ProductFigure { shape, gemm, tiles }
                }
            }
        })
        .collect()
}

/// The FMA peak of one core on each tile's vector width, in GFLOP/s: independent chains of
/// `vfmadd` on registers, nothing from memory (what no product can beat).
pub fn fma_peaks(budget: Duration) -> Vec<(&'static str, f64)> {
    Tile::available()
        .into_iter()
        .map(|t| {
            let iters = 1 << 16;
            let calls = rate(budget, || {
                std::hint::black_box(fma_probe(t, std::hint::black_box(iters)));
            });
            // Each iteration: `chains` vectors of `lanes` FMAs (2 flops each).
            let (chains, lanes) = match t {
                Tile::Avx2 => (AVX2_CHAINS, 8),
                Tile::Avx512 => (AVX512_CHAINS, 16),
            };
            (
                tile_name(t),
                calls * (iters * chains * lanes * 2) as f64 / 1e9,
            )
        })
        .collect()
}

/// Independent FMA chains per probe iteration: enough to cover the latency of two FMA units,
/// and few enough to stay in registers with the two operands (16 `ymm`, 32 `zmm`).
const AVX2_CHAINS: usize = 12;
const AVX512_CHAINS: usize = 24;

fn fma_probe(t: Tile, iters: usize) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        assert!(t.runs_here(), "{t:?} is not on this CPU");
        // SAFETY: the CPU has the tile's path (asserted).
        unsafe {
            match t {
                Tile::Avx2 => probe_avx2(iters),
                Tile::Avx512 => probe_avx512(iters),
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (t, iters);
        0.0
    }
}

/// # Safety
/// The CPU has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn probe_avx2(iters: usize) -> f32 {
    use std::arch::x86_64::*;
    let m = _mm256_set1_ps(std::hint::black_box(0.999_999));
    let a = _mm256_set1_ps(std::hint::black_box(1e-7));
    let mut x = [_mm256_set1_ps(1.0); AVX2_CHAINS];
    for _ in 0..iters {
        for xi in x.iter_mut() {
            *xi = _mm256_fmadd_ps(*xi, m, a);
        }
    }
    let mut s = [0f32; 8];
    let mut acc = x[0];
    for xi in &x[1..] {
        acc = _mm256_add_ps(acc, *xi);
    }
    _mm256_storeu_ps(s.as_mut_ptr(), acc);
    s.iter().sum()
}

/// # Safety
/// The CPU has AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn probe_avx512(iters: usize) -> f32 {
    use std::arch::x86_64::*;
    let m = _mm512_set1_ps(std::hint::black_box(0.999_999));
    let a = _mm512_set1_ps(std::hint::black_box(1e-7));
    let mut x = [_mm512_set1_ps(1.0); AVX512_CHAINS];
    for _ in 0..iters {
        for xi in x.iter_mut() {
            *xi = _mm512_fmadd_ps(*xi, m, a);
        }
    }
    let mut acc = x[0];
    for xi in &x[1..] {
        acc = _mm512_add_ps(acc, *xi);
    }
    _mm512_reduce_add_ps(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The benchmark measures something on every tile this CPU has, and the probe's peak is
    /// a positive rate (its figures are printed by `rnn-tui bench --products`, never checked
    /// against a time).
    #[test]
    fn every_tile_is_measured() {
        let shapes = &training_shapes(32)[..2];
        let figures = measure(shapes, Duration::from_millis(5));
        for f in &figures {
            assert!(f.gemm > 0.0 && f.gemm.is_finite());
            assert_eq!(f.tiles.len(), Tile::available().len());
            assert!(f.tiles.iter().all(|&(_, g)| g > 0.0 && g.is_finite()));
        }
        let peaks = fma_peaks(Duration::from_millis(5));
        assert_eq!(peaks.len(), Tile::available().len());
        assert!(peaks.iter().all(|&(_, g)| g > 0.0 && g.is_finite()));
    }
}
