//! CPU fast path ("fused kernel") for the d2l §9.5 character-level RNN.
//!
//! Computes the mean cross-entropy loss of a vanilla tanh RNN over a
//! `batch × steps` block of token ids, and (optionally) the full-BPTT
//! gradients of that loss with respect to all five parameters:
//!
//! ```text
//! h_0   = 0
//! h_t   = tanh(W_xh[x_t] + h_{t-1} · W_hh + b_h)      (B×H)
//! o_t   = h_t · W_hq + b_q                             (B×V)
//! loss  = mean_{b,t} CE(softmax(o_t[b]), y[b,t])
//! ```
//!
//! All matrices are row-major: `w_xh` is V×H, `w_hh` H×H, `b_h` H, `w_hq` H×V,
//! `b_q` V. Token ids are laid out `x[b * steps + t]`.
//!
//! Design:
//! * The batch is split into work items of ≤ ~256 rows (a multiple of the
//!   rayon thread count, `rayon::current_num_threads()`); each thread runs the
//!   whole recurrence for its items one after another in one reusable
//!   workspace (warm in L2), and each item has its own gradient accumulators,
//!   summed in item order at the end. At these sizes this beats parallelising
//!   the individual matmuls, and for B=1024 the result does not depend on the
//!   thread count.
//! * Hidden states for all steps live in one contiguous `T×nb×H` buffer, so
//!   the output layer is one `gemm` over every step at once. In the backward
//!   pass each row (t, b) of a second buffer holds `[dO_t | dA_{t+1}]`, so one
//!   gemm per step computes `dh_t = dO_t·W_hqᵀ + dA_{t+1}·W_hhᵀ` (against the
//!   stacked `[W_hqᵀ; W_hhᵀ]`), and a single gemm over all steps afterwards
//!   gives `[dW_hq | dW_hh] = Hᵀ·[dO | dA_next]`. `dW_xh`/`b_h` come from a
//!   row scatter of `dA_t` done while it is still in cache.
//! * Softmax, cross-entropy and its gradient are fused into one pass over
//!   blocks of rows (logit rows padded to a multiple of 8); `exp` and `tanh`
//!   for `f32` use branch-free polynomial / rational approximations (≤ 5e-7
//!   relative error, tested); `f64` uses `std`. The per-chunk code is compiled
//!   twice and dispatched at runtime to an AVX2+FMA copy when available (the
//!   crate itself targets baseline x86_64); `gemm` dispatches on its own.
//! * Workspaces are allocated once and only grown when shapes grow: no
//!   allocation in steady state.
//!
//! Preconditions (the caller guarantees them; they are checked with
//! `assert!` for lengths and `debug_assert!` for ids): every id in `x` and `y`
//! is `< vocab`, `x.len() == y.len() == batch * steps`, and the parameter
//! slices have the lengths given above.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

use gemm::Parallelism;
use rayon::prelude::*;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// Floating-point element type of the fused kernel (`f32` or `f64`).
pub trait FusedFloat:
    Copy
    + Send
    + Sync
    + 'static
    + Default
    + Debug
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + sealed::Sealed
{
    const ZERO: Self;
    const ONE: Self;
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
    /// In-place `tanh` over a slice.
    fn tanh_inplace(a: &mut [Self]);
    /// In-place `exp` over a slice; inputs are `<= 0` (softmax after max subtraction).
    fn exp_nonpos_inplace(a: &mut [Self]);
}

impl FusedFloat for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    fn tanh_inplace(a: &mut [Self]) {
        for v in a {
            *v = v.tanh();
        }
    }
    fn exp_nonpos_inplace(a: &mut [Self]) {
        for v in a {
            *v = v.exp();
        }
    }
}

impl FusedFloat for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn tanh_inplace(a: &mut [Self]) {
        for v in a {
            *v = fast_tanh_f32(*v);
        }
    }
    #[inline(always)]
    fn exp_nonpos_inplace(a: &mut [Self]) {
        for v in a {
            *v = fast_exp_nonpos_f32(*v);
        }
    }
}

/// Rational approximation of tanh for f32 (the one used by Eigen / XLA),
/// max relative error a few ulp. Branch-free so loops over it vectorise.
#[inline(always)]
#[allow(clippy::excessive_precision)]
fn fast_tanh_f32(x_in: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    let x = if x_in > CLAMP { CLAMP } else { x_in };
    let x = if x < -CLAMP { -CLAMP } else { x };
    let x2 = x * x;
    let mut p = -2.760_768_5e-16_f32;
    p = p * x2 + 2.000_187_9e-13;
    p = p * x2 + -8.604_671_5e-11;
    p = p * x2 + 5.122_297e-8;
    p = p * x2 + 1.485_722_4e-5;
    p = p * x2 + 6.372_619_3e-4;
    p = p * x2 + 4.893_524_6e-3;
    p *= x;
    let mut q = 1.198_258_4e-6_f32;
    q = q * x2 + 1.185_347_1e-4;
    q = q * x2 + 2.268_434_6e-3;
    q = q * x2 + 4.893_525e-3;
    let r = p / q;
    // For tiny |x| the rational form loses relative accuracy; tanh(x) == x there.
    if x_in.abs() < 4.0e-4 {
        x_in
    } else {
        r
    }
}

/// exp(x) for x <= 0 (f32), vectorisable: Cody–Waite reduction + degree-7 Taylor,
/// max relative error ~2e-7. Returns 0 for x < -87.
#[inline(always)]
fn fast_exp_nonpos_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const MAGIC: f32 = 12_582_912.0; // 1.5 * 2^23: add/sub rounds to nearest integer
    let xc = if x < -87.0 { -87.0 } else { x };
    let t = xc * LOG2E + MAGIC;
    let n = t - MAGIC;
    let r = xc - n * LN2_HI - n * LN2_LO;
    let mut p = 1.0 / 5040.0_f32;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // 2^n: the low mantissa bits of t hold n (two's complement around 0x4B40_0000).
    let ni = t.to_bits().wrapping_sub(0x4B40_0000);
    let scale = f32::from_bits(ni.wrapping_add(127) << 23);
    let e = p * scale;
    if x < -87.0 {
        0.0
    } else {
        e
    }
}

/// Borrowed view of the five RNN parameters (row-major).
#[derive(Clone, Copy, Debug)]
pub struct ParamsRef<'a, F> {
    /// V×H
    pub w_xh: &'a [F],
    /// H×H
    pub w_hh: &'a [F],
    /// H
    pub b_h: &'a [F],
    /// H×V
    pub w_hq: &'a [F],
    /// V
    pub b_q: &'a [F],
    pub vocab: usize,
    pub hiddens: usize,
}

/// Gradients of the mean loss, same shapes as the parameters.
#[derive(Clone, Debug, Default)]
pub struct GradsBuf<F> {
    pub w_xh: Vec<F>,
    pub w_hh: Vec<F>,
    pub b_h: Vec<F>,
    pub w_hq: Vec<F>,
    pub b_q: Vec<F>,
}

impl<F: FusedFloat> GradsBuf<F> {
    fn resize_zero(&mut self, v: usize, h: usize) {
        fn rz<F: FusedFloat>(a: &mut Vec<F>, n: usize) {
            a.clear();
            a.resize(n, F::ZERO);
        }
        rz(&mut self.w_xh, v * h);
        rz(&mut self.w_hh, h * h);
        rz(&mut self.b_h, h);
        rz(&mut self.w_hq, h * v);
        rz(&mut self.b_q, v);
    }
}

/// Grow `a` to at least `n` elements (never shrinks, never reallocates in steady state).
#[inline]
fn ensure<F: FusedFloat>(a: &mut Vec<F>, n: usize) {
    if a.len() < n {
        a.resize(n, F::ZERO);
    }
}

/// Max of a row, with 8 independent lanes so it vectorises (rows are short: V≈28).
#[inline(always)]
fn row_max<F: FusedFloat>(row: &[F]) -> F {
    let mut acc = [row[0]; 8];
    let mut it = row.chunks_exact(8);
    for c in &mut it {
        for j in 0..8 {
            acc[j] = if c[j] > acc[j] { c[j] } else { acc[j] };
        }
    }
    for (j, &z) in it.remainder().iter().enumerate() {
        acc[j] = if z > acc[j] { z } else { acc[j] };
    }
    let mut m = acc[0];
    for &a in &acc[1..] {
        m = if a > m { a } else { m };
    }
    m
}

/// Sum of a row with 8 independent accumulators (vectorisable, short dependency chain).
#[inline(always)]
fn row_sum<F: FusedFloat>(row: &[F]) -> F {
    let mut acc = [F::ZERO; 8];
    let mut it = row.chunks_exact(8);
    for c in &mut it {
        for j in 0..8 {
            acc[j] += c[j];
        }
    }
    for (j, &z) in it.remainder().iter().enumerate() {
        acc[j] += z;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// Per-thread workspace, reused for each work item the thread processes.
#[derive(Default)]
struct Chunk<F> {
    /// Hidden states, T×nb×H (pre-activation during the forward step).
    hs: Vec<F>,
    /// Per row (t, b): [logits, then dL/do_t (Vp = V padded to a multiple of 8) | dL/da_{t+1} (H)].
    c: Vec<F>,
    /// dL/dh_t, then dL/da_t, for one step. nb×H.
    scratch: Vec<F>,
    /// [dW_hq | pad | dW_hh] accumulator, H×(Vp+H).
    gw: Vec<F>,
    /// Padded output bias (forward), then the db_q accumulator (backward). Vp.
    bq: Vec<F>,
    /// Per-row z_y (logit of the target minus row max) for one softmax block.
    zy: Vec<F>,
    /// Per-row target id for one softmax block.
    tg: Vec<u32>,
}

/// Output of one work item (a contiguous range of batch rows).
#[derive(Default)]
struct Item<F> {
    /// Partial gradients of this item.
    g: GradsBuf<F>,
    /// Sum of per-token losses of this item.
    loss_sum: f64,
}

/// Reusable workspace: all buffers are allocated once and grown only when
/// shapes grow; no per-step allocation.
pub struct FusedRnn<F> {
    chunks: Vec<Chunk<F>>,
    items: Vec<Item<F>>,
    /// [W_xh + b_h (V×H): embedding row plus hidden bias, gathered per token |
    ///  stacked backward weight [W_hqᵀ ; 0 ; W_hhᵀ] ((Vp+H)×H)].
    wxb: Vec<F>,
}

impl<F: FusedFloat> Default for FusedRnn<F> {
    fn default() -> Self {
        Self::new()
    }
}

/// Target batch rows per work item.
const CHUNK_ROWS: usize = 256;

/// Rows per softmax block (keeps the block in L1).
const SM_BLOCK: usize = 64;

/// `dst (m×n) = [dst +] lhs (m×k) · rhs (k×n)` with explicit (row, col) strides.
#[allow(clippy::too_many_arguments)]
#[inline]
unsafe fn mm<F: FusedFloat>(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut F,
    dst_rs: usize,
    accumulate: bool,
    lhs: *const F,
    lhs_rs: usize,
    lhs_cs: usize,
    rhs: *const F,
    rhs_rs: usize,
    rhs_cs: usize,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                for j in 0..n {
                    *dst.add(i * dst_rs + j) = F::ZERO;
                }
            }
        }
        return;
    }
    gemm::gemm(
        m,
        n,
        k,
        dst,
        1,
        dst_rs as isize,
        accumulate,
        lhs,
        lhs_cs as isize,
        lhs_rs as isize,
        rhs,
        rhs_cs as isize,
        rhs_rs as isize,
        F::ONE,
        F::ONE,
        false,
        false,
        false,
        Parallelism::None,
    );
}

impl<F: FusedFloat> FusedRnn<F> {
    pub fn new() -> Self {
        FusedRnn {
            chunks: Vec::new(),
            items: Vec::new(),
            wxb: Vec::new(),
        }
    }

    /// Mean cross-entropy over batch*steps tokens; overwrites `grads` (resizing it)
    /// with d(loss)/d(param).
    pub fn loss_and_grads(
        &mut self,
        p: &ParamsRef<F>,
        x: &[u32],
        y: &[u32],
        batch: usize,
        steps: usize,
        grads: &mut GradsBuf<F>,
    ) -> F {
        self.run(p, x, y, batch, steps, Some(grads))
    }

    /// Forward only (validation): mean cross-entropy, no gradient work.
    pub fn loss(
        &mut self,
        p: &ParamsRef<F>,
        x: &[u32],
        y: &[u32],
        batch: usize,
        steps: usize,
    ) -> F {
        self.run(p, x, y, batch, steps, None)
    }

    fn run(
        &mut self,
        p: &ParamsRef<F>,
        x: &[u32],
        y: &[u32],
        batch: usize,
        steps: usize,
        grads: Option<&mut GradsBuf<F>>,
    ) -> F {
        let (v, h) = (p.vocab, p.hiddens);
        assert!(v > 0 && h > 0, "vocab and hiddens must be non-zero");
        assert_eq!(p.w_xh.len(), v * h, "w_xh must be vocab×hiddens");
        assert_eq!(p.w_hh.len(), h * h, "w_hh must be hiddens×hiddens");
        assert_eq!(p.b_h.len(), h, "b_h must be hiddens");
        assert_eq!(p.w_hq.len(), h * v, "w_hq must be hiddens×vocab");
        assert_eq!(p.b_q.len(), v, "b_q must be vocab");
        assert_eq!(x.len(), batch * steps, "x must be batch×steps");
        assert_eq!(y.len(), batch * steps, "y must be batch×steps");
        debug_assert!(x.iter().all(|&i| (i as usize) < v), "x id out of range");
        debug_assert!(y.iter().all(|&i| (i as usize) < v), "y id out of range");
        let want_grads = grads.is_some();
        let n_tok = batch * steps;
        if n_tok == 0 {
            if let Some(g) = grads {
                g.resize_zero(v, h);
            }
            return F::ZERO;
        }

        // Shared, read-only per call: [W_xh + b_h (V×H) | Wc ((Vp+H)×H)] where
        // Wc = [W_hqᵀ ; 0 (padding rows) ; W_hhᵀ] is the stacked backward weight.
        let vp = v.div_ceil(8) * 8;
        let shared_len = v * h + if want_grads { (vp + h) * h } else { 0 };
        ensure(&mut self.wxb, shared_len);
        let (wxb, wc) = self.wxb[..shared_len].split_at_mut(v * h);
        for (row_out, row_in) in wxb
            .chunks_exact_mut(h.max(1))
            .zip(p.w_xh.chunks_exact(h.max(1)))
        {
            for ((o, &w), &b) in row_out.iter_mut().zip(row_in).zip(p.b_h) {
                *o = w + b;
            }
        }
        if want_grads {
            for i in 0..v {
                for j in 0..h {
                    wc[i * h + j] = p.w_hq[j * v + i];
                }
            }
            wc[v * h..vp * h].fill(F::ZERO);
            for i in 0..h {
                for j in 0..h {
                    wc[(vp + i) * h + j] = p.w_hh[j * h + i];
                }
            }
        }

        // Work items of at most ~CHUNK_ROWS batch rows (keeps a chunk's T-step working set
        // close to L2), as a multiple of the thread count so threads stay balanced.
        // For the usual sizes (e.g. B=1024 → 4 items on 1 or 2 threads) the decomposition,
        // and hence the result, is independent of the thread count.
        let threads = rayon::current_num_threads().max(1);
        let n_chunks = (batch.div_ceil(CHUNK_ROWS).div_ceil(threads) * threads).clamp(1, batch);
        // Items are processed in contiguous runs, one run per thread, each run reusing one
        // workspace (so a thread's buffers stay warm in cache from item to item).
        let per_thread = n_chunks.div_ceil(threads);
        let n_ws = n_chunks.div_ceil(per_thread);
        if self.chunks.len() < n_ws {
            self.chunks.resize_with(n_ws, Chunk::default);
        }
        if self.items.len() < n_chunks {
            self.items.resize_with(n_chunks, Item::default);
        }
        let scale = F::from_f64(1.0 / n_tok as f64);
        let shared = &self.wxb[..shared_len];
        let per = batch / n_chunks;
        let rem = batch % n_chunks;
        let bounds = move |c: usize| {
            let start = c * per + c.min(rem);
            let len = per + usize::from(c < rem);
            (start, len)
        };
        let run_items = |first: usize, ws: &mut Chunk<F>, items: &mut [Item<F>]| {
            for (j, item) in items.iter_mut().enumerate() {
                let (b0, nb) = bounds(first + j);
                chunk_pass(
                    ws,
                    item,
                    p,
                    shared,
                    &x[b0 * steps..(b0 + nb) * steps],
                    &y[b0 * steps..(b0 + nb) * steps],
                    nb,
                    steps,
                    scale,
                    want_grads,
                );
            }
        };
        if n_ws == 1 {
            run_items(0, &mut self.chunks[0], &mut self.items[..n_chunks]);
        } else {
            self.chunks[..n_ws]
                .par_iter_mut()
                .zip(self.items[..n_chunks].par_chunks_mut(per_thread))
                .enumerate()
                .for_each(|(c, (ws, items))| run_items(c * per_thread, ws, items));
        }

        let items = &self.items[..n_chunks];
        let loss_sum: f64 = items.iter().map(|c| c.loss_sum).sum();
        if let Some(g) = grads {
            g.resize_zero(v, h);
            for it in items {
                add_into(&mut g.w_xh, &it.g.w_xh);
                add_into(&mut g.w_hh, &it.g.w_hh);
                add_into(&mut g.b_h, &it.g.b_h);
                add_into(&mut g.w_hq, &it.g.w_hq);
                add_into(&mut g.b_q, &it.g.b_q);
            }
        }
        F::from_f64(loss_sum / n_tok as f64)
    }
}

#[inline(always)]
fn add_into<F: FusedFloat>(dst: &mut [F], src: &[F]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

/// Forward (and optionally backward) over one chunk of `nb` batch rows.
///
/// Dispatches at runtime to a copy compiled with AVX2+FMA when the CPU has them
/// (the binary itself targets baseline x86_64), so the elementwise loops
/// (tanh, exp, softmax, dtanh, scatters) vectorise 8-wide. The matmuls go
/// through `gemm`, which does its own runtime dispatch.
#[allow(clippy::too_many_arguments)]
fn chunk_pass<F: FusedFloat>(
    ch: &mut Chunk<F>,
    out: &mut Item<F>,
    p: &ParamsRef<F>,
    shared: &[F],
    x: &[u32],
    y: &[u32],
    nb: usize,
    steps: usize,
    scale: F,
    want_grads: bool,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the required CPU features were just detected.
            unsafe { chunk_pass_avx2(ch, out, p, shared, x, y, nb, steps, scale, want_grads) };
            return;
        }
    }
    chunk_pass_impl(ch, out, p, shared, x, y, nb, steps, scale, want_grads)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn chunk_pass_avx2<F: FusedFloat>(
    ch: &mut Chunk<F>,
    out: &mut Item<F>,
    p: &ParamsRef<F>,
    shared: &[F],
    x: &[u32],
    y: &[u32],
    nb: usize,
    steps: usize,
    scale: F,
    want_grads: bool,
) {
    chunk_pass_impl(ch, out, p, shared, x, y, nb, steps, scale, want_grads)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn chunk_pass_impl<F: FusedFloat>(
    ch: &mut Chunk<F>,
    out: &mut Item<F>,
    p: &ParamsRef<F>,
    shared: &[F],
    x: &[u32],
    y: &[u32],
    nb: usize,
    steps: usize,
    scale: F,
    want_grads: bool,
) {
    let (v, h) = (p.vocab, p.hiddens);
    let rows = steps * nb; // all (t, b) rows
    ensure(&mut ch.hs, rows * h);
    let vp = v.div_ceil(8) * 8;
    let cs = if want_grads { vp + h } else { vp };
    let (wxb, wc) = shared.split_at(v * h);
    ensure(&mut ch.c, rows * cs);
    ensure(&mut ch.bq, vp);
    ensure(&mut ch.zy, SM_BLOCK);
    if ch.tg.len() < SM_BLOCK {
        ch.tg.resize(SM_BLOCK, 0);
    }
    if want_grads {
        ensure(&mut ch.scratch, nb * h);
        ensure(&mut ch.gw, h * cs);
    }
    let hs = &mut ch.hs[..rows * h];
    let step_len = nb * h;

    // ---------------- forward recurrence ----------------
    for t in 0..steps {
        let (prev, cur) = hs.split_at_mut(t * step_len);
        let cur = &mut cur[..step_len];
        // a_t = W_xh[x_t] + b_h
        for (b, row) in cur.chunks_exact_mut(h.max(1)).enumerate() {
            let id = x[b * steps + t] as usize;
            row.copy_from_slice(&wxb[id * h..id * h + h]);
        }
        if t > 0 {
            let hp = &prev[(t - 1) * step_len..];
            // a_t += h_{t-1} · W_hh
            unsafe {
                mm(
                    nb,
                    h,
                    h,
                    cur.as_mut_ptr(),
                    h,
                    true,
                    hp.as_ptr(),
                    h,
                    1,
                    p.w_hh.as_ptr(),
                    h,
                    1,
                );
            }
        }
        F::tanh_inplace(cur);
    }

    // ---------------- output layer over all steps at once ----------------
    // Logits go into `c`, whose rows have stride `cs`. The first `vp` columns of a row hold
    // the logits (then dL/do) padded to a multiple of 8 so every row loop below runs on
    // whole vectors; with gradients, the next `h` columns of row (t, b) receive dL/da_{t+1}
    // during BPTT so that [dO_t | dA_{t+1}] is one contiguous lhs for the combined products.
    // gemm writes only the first `v` columns; the padding columns hold stale finite values
    // (0 after the first pass) and get a -1e30 "bias", so they become ≈-1e30 logits,
    // exp to exactly 0 and carry zero gradient.
    let c = &mut ch.c[..rows * cs];
    unsafe {
        mm(
            rows,
            v,
            h,
            c.as_mut_ptr(),
            cs,
            false,
            hs.as_ptr(),
            h,
            1,
            p.w_hq.as_ptr(),
            v,
            1,
        );
    }
    let bq = &mut ch.bq[..vp];
    bq[..v].copy_from_slice(p.b_q);
    for b in &mut bq[v..] {
        *b = F::from_f64(-1e30);
    }
    let bq: &[F] = bq;

    // ---------------- fused softmax + cross-entropy (+ dL/do) ----------------
    let mut loss_sum = 0.0f64;
    let zy = &mut ch.zy[..SM_BLOCK];
    let tg = &mut ch.tg[..SM_BLOCK];
    let mut r0 = 0;
    while r0 < rows {
        let r1 = (r0 + SM_BLOCK).min(rows);
        let blk = &mut c[r0 * cs..r1 * cs];
        // bias, max-subtract, remember target logit, exp
        let (mut t, mut b) = (r0 / nb, r0 % nb);
        for (i, row) in blk.chunks_exact_mut(cs).enumerate() {
            let row = &mut row[..vp];
            let tgt = y[b * steps + t] as usize;
            add_into(row, bq);
            let m = row_max(row);
            for z in row.iter_mut() {
                *z -= m;
            }
            zy[i] = row[tgt];
            tg[i] = tgt as u32;
            F::exp_nonpos_inplace(row);
            b += 1;
            if b == nb {
                b = 0;
                t += 1;
            }
        }
        let mut prod = 1.0f64;
        for (i, row) in blk.chunks_exact_mut(cs).enumerate() {
            let row = &mut row[..vp];
            let s = row_sum(row);
            // loss_row = ln(s) - z_y; accumulate ln(s) via products (s in [1, V]).
            prod *= s.to_f64();
            if prod > 1e200 {
                loss_sum += prod.ln();
                prod = 1.0;
            }
            loss_sum -= zy[i].to_f64();
            if want_grads {
                let k = scale / s;
                for e in row.iter_mut() {
                    *e *= k;
                }
                row[tg[i] as usize] -= scale;
            }
        }
        loss_sum += prod.ln();
        r0 = r1;
    }
    out.loss_sum = loss_sum;
    if !want_grads {
        return;
    }

    // ---------------- backward ----------------
    let g = &mut out.g;
    g.resize_zero(v, h);
    let hs: &[F] = hs;
    let scratch = &mut ch.scratch[..step_len];
    // dA_T = 0
    for row in c[(steps - 1) * nb * cs..].chunks_exact_mut(cs) {
        row[vp..].fill(F::ZERO);
    }
    // BPTT: dh_t = [dO_t | dA_{t+1}] · [W_hqᵀ ; 0 ; W_hhᵀ]   (one gemm per step, k = vp + h)
    //       dA_t = dh_t ⊙ (1 - h_t²)  → stored next to dO_{t-1}; scattered into dW_xh.
    for t in (0..steps).rev() {
        let (c_prev, c_cur) = c.split_at_mut(t * nb * cs);
        unsafe {
            mm(
                nb,
                h,
                cs,
                scratch.as_mut_ptr(),
                h,
                false,
                c_cur.as_ptr(),
                cs,
                1,
                wc.as_ptr(),
                h,
                1,
            );
        }
        let ht = &hs[t * step_len..(t + 1) * step_len];
        for (b, (d, hrow)) in scratch
            .chunks_exact_mut(h)
            .zip(ht.chunks_exact(h))
            .enumerate()
        {
            for (dv, &hv) in d.iter_mut().zip(hrow) {
                *dv *= F::ONE - hv * hv;
            }
            let id = x[b * steps + t] as usize;
            add_into(&mut g.w_xh[id * h..id * h + h], d);
            if t > 0 {
                c_prev[(t - 1) * nb * cs + b * cs + vp..][..h].copy_from_slice(d);
            }
        }
    }

    // [dW_hq | · | dW_hh] = Hsᵀ · [dO | dA_next]   (one gemm over all steps, k = T·nb)
    let gw = &mut ch.gw[..h * cs];
    unsafe {
        mm(
            h,
            cs,
            rows,
            gw.as_mut_ptr(),
            cs,
            false,
            hs.as_ptr(),
            1,
            h,
            c.as_ptr(),
            cs,
            1,
        );
    }
    for (i, grow) in gw.chunks_exact(cs).enumerate() {
        g.w_hq[i * v..(i + 1) * v].copy_from_slice(&grow[..v]);
        g.w_hh[i * h..(i + 1) * h].copy_from_slice(&grow[vp..]);
    }
    // db_q = column sums of dO (padding columns are exactly 0)
    let dbq = &mut ch.bq[..vp];
    dbq.fill(F::ZERO);
    for row in c.chunks_exact(cs) {
        add_into(dbq, &row[..vp]);
    }
    g.b_q.copy_from_slice(&dbq[..v]);
    // db_h = Σ_v dW_xh[v] (every dA row is scattered into exactly one W_xh row)
    for row in g.w_xh.chunks_exact(h.max(1)) {
        add_into(&mut g.b_h, row);
    }
}

#[cfg(test)]
mod tests {
    // The reference implementation is deliberately written as plain indexed loops.
    #![allow(clippy::needless_range_loop, clippy::type_complexity)]
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
}
