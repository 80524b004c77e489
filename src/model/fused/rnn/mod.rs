//! The fused kernel of d2l §9.5's character-level RNN.
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
//! One pass over a work item is a sequence of named steps, one file each, in the manner of
//! llm.c's `train_gpt2.c`: [`recurrence`] (forward, and BPTT as its backward), [`logits`],
//! [`super::softmax_ce`] (softmax and cross-entropy with their gradient) and [`weight_grads`]. They
//! are `#[inline(always)]` so that each vector path's copy of the pass (see `item_pass`)
//! compiles them for that path. Every matrix product goes through the bounds-checked [`super::gemm::matmul`]
//! (the gated kernels multiply by their weights through [`super::packed`], which packs each weight once
//! per call for its own microkernel).
//!
//! Design:
//! * The batch is split into work items of at most [`ITEM_ROWS`] rows. The split depends on
//!   the batch size only, never on the thread count, and the items' losses and gradients are
//!   summed in item order, so a seed gives bit-identical results on any number of threads.
//!   Each thread runs the whole recurrence for a contiguous run of items, one after another in
//!   one reusable workspace (warm in L2). At these sizes this beats parallelising the
//!   individual matmuls.
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
//!   relative error, tested); `f64` uses `std`. The per-item code is compiled
//!   twice and dispatched at runtime to an AVX2+FMA copy when available (the
//!   crate itself targets baseline x86_64); `gemm` dispatches on its own.
//! * Workspaces are allocated once and only grown when shapes grow: no
//!   allocation in steady state. They carry no values from one call to the next.
//!
//! Preconditions (the caller guarantees them; they are checked with
//! `assert!` for lengths and `debug_assert!` for ids): every id in `x` and `y`
//! is `< vocab`, `x.len() == y.len() == batch * steps`, and the parameter
//! slices have the lengths given above.

mod grads;
mod logits;
mod recurrence;
mod weight_grads;
mod workspace;

#[cfg(test)]
mod tests;

pub use grads::{GradsBuf, ParamsRef};

use super::float::{add_into, FusedFloat};
use super::rows::{ensure, Dims};
use super::softmax_ce::{softmax_cross_entropy, SM_BLOCK};
use super::split;
use logits::logits_forward;
use recurrence::{recurrence_backward, recurrence_forward};
use weight_grads::weight_gradients;
use workspace::{WorkItem, Workspace};

/// Reusable workspace: all buffers are allocated once and grown only when
/// shapes grow; no per-step allocation.
pub struct FusedRnn<F> {
    workspaces: Vec<Workspace<F>>,
    items: Vec<WorkItem<F>>,
    /// [W_xh + b_h (V×H): embedding row plus hidden bias, gathered per token |
    ///  stacked backward weight [W_hqᵀ ; 0 ; W_hhᵀ] ((Vp+H)×H)].
    wxb: Vec<F>,
}

impl<F: FusedFloat> Default for FusedRnn<F> {
    fn default() -> Self {
        Self::new()
    }
}

/// Most batch rows per work item: keeps an item's T-step working set close to L2.
pub const ITEM_ROWS: usize = 256;

/// Number of work items for `batch` rows. It depends on nothing else (in particular not on
/// the thread count), which is what makes results independent of the machine.
pub fn work_items(batch: usize) -> usize {
    batch.div_ceil(ITEM_ROWS).max(1)
}

impl<F: FusedFloat> FusedRnn<F> {
    pub fn new() -> Self {
        FusedRnn {
            workspaces: Vec::new(),
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

        let shared_len = self.prepare_shared(p, want_grads);

        // The batch over threads (see [`split`]): results do not depend on the thread count.
        let n_items = work_items(batch);
        let scale = F::from_f64(1.0 / n_tok as f64);
        let shared = &self.wxb[..shared_len];
        split::run(
            &mut self.workspaces,
            &mut self.items,
            split::Items::new(batch, n_items),
            |ws: &mut Workspace<F>, item: &mut WorkItem<F>, b0, nb| {
                let inputs = ItemInputs {
                    p,
                    shared,
                    x: &x[b0 * steps..(b0 + nb) * steps],
                    y: &y[b0 * steps..(b0 + nb) * steps],
                    d: Dims::new(v, h, nb, steps, want_grads),
                    scale,
                    want_grads,
                };
                item_pass(ws, item, &inputs)
            },
        );

        // Reduced in item order, whatever the threads did.
        let items = &self.items[..n_items];
        let loss_sum: f64 = items.iter().map(|c| c.loss_sum).sum();
        if let Some(g) = grads {
            g.resize_zero(v, h);
            for it in items {
                for (dst, src) in g.as_array_mut().into_iter().zip(it.g.as_array()) {
                    add_into(dst, src);
                }
            }
        }
        F::from_f64(loss_sum / n_tok as f64)
    }

    /// Fill the per-call read-only buffer `[W_xh + b_h (V×H) | Wc ((Vp+H)×H)]`, where
    /// `Wc = [W_hqᵀ ; 0 (padding rows) ; W_hhᵀ]` is the stacked backward weight (only with
    /// gradients). Returns its length.
    fn prepare_shared(&mut self, p: &ParamsRef<F>, want_grads: bool) -> usize {
        let (v, h) = (p.vocab, p.hiddens);
        let vp = v.div_ceil(8) * 8;
        let shared_len = v * h + if want_grads { (vp + h) * h } else { 0 };
        ensure(&mut self.wxb, shared_len);
        let (wxb, wc) = self.wxb[..shared_len].split_at_mut(v * h);
        for (row_out, row_in) in wxb.chunks_exact_mut(h).zip(p.w_xh.chunks_exact(h)) {
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
        shared_len
    }
}

/// What one pass over a work item reads: the weights, the per-call shared buffer, the item's
/// ids and shapes.
struct ItemInputs<'a, F> {
    p: &'a ParamsRef<'a, F>,
    shared: &'a [F],
    x: &'a [u32],
    y: &'a [u32],
    d: Dims,
    scale: F,
    want_grads: bool,
}

/// Forward (and optionally backward) over one work item of `d.batch` batch rows.
///
/// Dispatches at run time to a copy compiled for the active vector path (the binary itself
/// targets baseline x86_64), so the elementwise loops (tanh, exp, softmax, dtanh, scatters)
/// vectorise 8-wide (AVX2) or 16-wide (AVX-512). The matmuls go through `gemm`, which does
/// its own runtime dispatch (measured as fast as our tiles at these shapes: `rnn-tui bench
/// --products`).
fn item_pass<F: FusedFloat>(ws: &mut Workspace<F>, out: &mut WorkItem<F>, i: &ItemInputs<F>) {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::device::isa::{active, Isa};
        // SAFETY: each copy only requires the CPU to have its path, and the active path is
        // never wider than the CPU's (`isa::force`).
        match active() {
            Isa::Avx512 => return unsafe { item_pass_avx512(ws, out, i) },
            Isa::Avx2 => return unsafe { item_pass_avx2(ws, out, i) },
            Isa::Portable => {}
        }
    }
    item_pass_impl(ws, out, i)
}

/// [`item_pass_impl`] compiled with AVX2 and FMA enabled.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn item_pass_avx2<F: FusedFloat>(
    ws: &mut Workspace<F>,
    out: &mut WorkItem<F>,
    i: &ItemInputs<F>,
) {
    item_pass_impl(ws, out, i)
}

/// [`item_pass_impl`] compiled with AVX-512 (F, BW, VL), AVX2 and FMA enabled: the
/// elementwise loops vectorise 16-wide.
///
/// # Safety
/// The CPU must support AVX-512F/BW/VL, AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
unsafe fn item_pass_avx512<F: FusedFloat>(
    ws: &mut Workspace<F>,
    out: &mut WorkItem<F>,
    i: &ItemInputs<F>,
) {
    item_pass_impl(ws, out, i)
}

/// The steps of one pass, in order. Inlined, with every step, into every dispatch target.
#[inline(always)]
fn item_pass_impl<F: FusedFloat>(ws: &mut Workspace<F>, out: &mut WorkItem<F>, i: &ItemInputs<F>) {
    let &ItemInputs {
        p,
        shared,
        x,
        y,
        d,
        scale,
        want_grads,
    } = i;
    ws.fit(&d, want_grads, SM_BLOCK);
    let (v, h, rows) = (d.vocab, d.hiddens, d.rows());
    let (wxb, wc) = shared.split_at(v * h);
    let hs = &mut ws.hs[..rows * h];
    let c = &mut ws.c[..rows * d.row_stride];

    recurrence_forward(hs, wxb, p.w_hh, x, &d);
    logits_forward(c, hs, p.w_hq, &d);
    out.loss_sum = softmax_cross_entropy(
        c,
        p.b_q,
        &mut ws.bq[..d.vocab_padded()],
        y,
        &mut ws.zy[..SM_BLOCK],
        &mut ws.tg[..SM_BLOCK],
        scale,
        want_grads,
        &d,
    );
    if !want_grads {
        return;
    }

    let g = &mut out.g;
    g.resize_zero(v, h);
    let scratch = &mut ws.scratch[..d.step_len()];
    recurrence_backward(c, scratch, hs, wc, x, &mut g.w_xh, &d);
    weight_gradients(
        g,
        &mut ws.gw[..h * d.row_stride],
        &mut ws.bq[..d.vocab_padded()],
        c,
        hs,
        &d,
    );
}
