//! Fused CPU kernels for gated and stacked recurrent language models: `nn.RNN` (tanh),
//! `nn.GRU` and `nn.LSTM` stacks of any depth, with a one-hot or learned-embedding input and a
//! linear output layer, in PyTorch's parameter layout (d2l §10.1–10.3, §9.5 exercise 5).
//!
//! # API
//! * [`GatedDims`]: the cell ([`Cell`]), vocabulary `V`, embedding size `E` (0 = one-hot input),
//!   hidden size `H`, layers `L`, and the batch shape (`batch` rows × `steps` steps).
//! * [`GatedParams<F>`]: owned host copies of the weights, every tensor row-major in PyTorch's
//!   shape (`G` = 1 / 3 / 4 gates for RNN / GRU / LSTM, `In_0` = `E` or `V`, `In_k` = `H`):
//!   `embedding` `[V, E]` (empty when `E = 0`), per layer `w_ih` `[G·H, In_k]`, `w_hh`
//!   `[G·H, H]`, `b_ih` `[G·H]`, `b_hh` `[G·H]`, then `fc_w` `[V, H]`, `fc_b` `[V]`.
//!   [`GatedParams::named`] lists them with their checkpoint names (`embedding.weight`,
//!   `rnn.weight_ih_l{k}`, …, `fc.weight`, `fc.bias`) and shapes, in that order. The same type
//!   holds gradients.
//! * [`GatedKernel<F>`] (a reusable workspace; `f32` or `f64`):
//!   - [`GatedKernel::loss_and_grads`]`(dims, params, tokens, targets, dropout, grads)`: the mean
//!     cross-entropy over `batch·steps` targets; overwrites `grads` (resized to the
//!     parameters' shapes) with its gradient. `dropout`: `None`, or a
//!     [`Dropout`](crate::model::dropout::Dropout) (inverted dropout on every layer's output
//!     sequence, masks from [`crate::model::dropout::keep`] with `batch_item` = row in the
//!     batch).
//!   - [`GatedKernel::forward_loss`]: the same loss without gradients or dropout (validation).
//! * [`GatedState`] and [`step`]: one token through the model for one sequence, keeping
//!   every layer's `h` (and LSTM `c`); the logits of the next token come back. For completion
//!   and for the heatmap (read `state.h(layer)` / `state.c(layer)` after each step).
//!
//! Tokens are laid out as in [`crate::data::Batch`] and the §9.5 kernel: `x[b * steps + t]`.
//! Every id must be `< V`; lengths are checked with `assert!`. Each batch starts from zero
//! state. Threads: rayon's current pool (call inside `ThreadPool::install` to choose); the
//! batch is cut into work items by its size alone and item results are summed in item order,
//! so results are bit-identical for any thread count.
//!
//! # How it runs
//! Per work item (≤ [`ITEM_ROWS`] batch rows), per layer, in the style of the §9.5 kernel,
//! step by step and within a step in blocks of 64 rows (so a block's gates are still in L2
//! when the cell reads them):
//! * the block's input projection: for layer 0 a row gather from a per-call table
//!   `P = W_ihᵀ + b` (`[V, G·H]`; with an embedding `P = E·W_ihᵀ + b`, so the embedding costs
//!   nothing per token), for layers above one product `x·W_ihᵀ` that starts from the bias;
//! * one product `h_{t-1}·W_hhᵀ` for all `G·H` gates, accumulated straight into the
//!   projections (RNN, LSTM: `b_hh` is folded into the table / bias), and one fused loop of
//!   gate math per row that leaves the activations in place for the backward;
//! * the output layer is one product over all steps, then the §9.5 kernel's fused softmax +
//!   cross-entropy step;
//! * BPTT per layer, top down: per step and block the fused gate backward, one product
//!   `dgates·W_hh` added into the previous step's `dh` and (layers above 0) one `dgates·W_ih`
//!   into the gradient of the layer below; afterwards one product over all steps for each
//!   weight gradient (`dW_hh = Σ dgatesᵀ·h_{t-1}`, `dW_ih = dgatesᵀ·x`); layer 0 scatters its
//!   gate gradients into `dP`, from which `dW_ih`, `db_ih` (and `dE = dP·W_ih`) follow once
//!   per call.
//!
//! Every product against a weight matrix (`W_hhᵀ`, `W_hh`, `W_ihᵀ`, `W_ih`, the output layer)
//! reads it packed once per call (`fused::packed`: column panels and a 6 × 16 AVX2+FMA
//! microkernel); the weight gradients, whose operands both change with every call, pack both
//! sides block by block for the same microkernel (`fused::grad_product`).
//!
//! The per-item passes are compiled twice and dispatched at run time to an AVX2+FMA copy.

mod cells;
mod params;
mod pass;
mod shared;
#[cfg(test)]
mod tests;

use super::float::add_into;
use super::gemm::{matmul, MatMut, MatRef};
use super::split;
use crate::model::dropout::Dropout;
pub use cells::GateFloat;
pub use params::{Cell, GatedDims, GatedParams, LayerParams};
use pass::{item_pass, ItemOut, ItemWs};
use shared::Shared;

/// Most batch rows per work item.
pub const ITEM_ROWS: usize = 256;

/// Fewest batch rows per work item when a small batch is split so that threads share it.
pub const MIN_ITEM_ROWS: usize = 32;

/// Work items a batch with the rows for it is split into at least: a char-rnn batch of 64 rows
/// still trains on two threads, 128 rows on four.
pub const MIN_ITEMS: usize = 4;

/// Work items for `batch` rows: depends on the batch size alone, never on the thread count
/// (so the gradients' summation order, and the results, do not either).
pub fn work_items(batch: usize) -> usize {
    batch
        .div_ceil(ITEM_ROWS)
        .max((batch / MIN_ITEM_ROWS).clamp(1, MIN_ITEMS))
}

/// Reusable buffers of the gated kernels; see the module documentation.
pub struct GatedKernel<F> {
    workspaces: Vec<ItemWs<F>>,
    items: Vec<ItemOut<F>>,
    shared: Shared<F>,
}

impl<F: GateFloat> Default for GatedKernel<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: GateFloat> GatedKernel<F> {
    pub fn new() -> Self {
        GatedKernel {
            workspaces: Vec::new(),
            items: Vec::new(),
            shared: Shared::default(),
        }
    }

    /// Mean cross-entropy over `batch·steps` targets, with `dropout` when given; overwrites
    /// `grads` (reshaping it) with the gradient of that loss.
    pub fn loss_and_grads(
        &mut self,
        d: &GatedDims,
        p: &GatedParams<F>,
        tokens: &[u32],
        targets: &[u32],
        dropout: Option<Dropout>,
        grads: &mut GatedParams<F>,
    ) -> F {
        self.run(d, p, tokens, targets, dropout, Some(grads))
    }

    /// Mean cross-entropy over `batch·steps` targets, no dropout, no gradients.
    pub fn forward_loss(
        &mut self,
        d: &GatedDims,
        p: &GatedParams<F>,
        tokens: &[u32],
        targets: &[u32],
    ) -> F {
        self.run(d, p, tokens, targets, None, None)
    }

    fn run(
        &mut self,
        d: &GatedDims,
        p: &GatedParams<F>,
        x: &[u32],
        y: &[u32],
        dropout: Option<Dropout>,
        grads: Option<&mut GatedParams<F>>,
    ) -> F {
        d.check();
        p.check(d);
        let (batch, steps, v) = (d.batch, d.steps, d.vocab);
        assert_eq!(x.len(), batch * steps, "tokens must be batch×steps");
        assert_eq!(y.len(), batch * steps, "targets must be batch×steps");
        debug_assert!(x.iter().all(|&i| (i as usize) < v), "token id out of range");
        debug_assert!(
            y.iter().all(|&i| (i as usize) < v),
            "target id out of range"
        );
        let dropout = dropout.filter(|dr| dr.p > 0.0);
        let want_grads = grads.is_some();
        let n_tok = batch * steps;
        if n_tok == 0 {
            if let Some(g) = grads {
                g.resize_zero(d);
            }
            return F::ZERO;
        }
        self.shared.prepare(d, p);

        // The batch over threads (see [`split`]): results do not depend on the thread count.
        let n_items = work_items(batch);
        let scale = F::from_f64(1.0 / n_tok as f64);
        let shared = &self.shared;
        split::run(
            &mut self.workspaces,
            &mut self.items,
            split::Items::new(batch, n_items),
            |ws: &mut ItemWs<F>, item: &mut ItemOut<F>, b0, nb| {
                let span = b0 * steps..(b0 + nb) * steps;
                item_pass(
                    ws,
                    item,
                    &pass::Ctx {
                        d: &d.with_batch(nb, steps),
                        p,
                        sh: shared,
                        x: &x[span.clone()],
                        y: &y[span],
                        b0,
                        dropout,
                        scale,
                        grads: want_grads,
                    },
                )
            },
        );

        let items = &self.items[..n_items];
        let loss_sum: f64 = items.iter().map(|c| c.loss_sum).sum();
        if let Some(g) = grads {
            g.resize_zero(d);
            let gh = d.gate_width();
            let mut dp = std::mem::take(&mut self.items[0].dp);
            for it in &self.items[1..n_items] {
                add_into(&mut dp[..v * gh], &it.dp[..v * gh]);
            }
            for it in &self.items[..n_items] {
                g.add(&it.g);
            }
            finish_input_layer(d, p, &dp[..v * gh], g);
            self.items[0].dp = dp;
        }
        F::from_f64(loss_sum / n_tok as f64)
    }
}

/// Layer 0's input gradients from `dP` [V, G·H], the gate-input gradients summed per token:
/// `db_ih = Σ_v dP[v]`; one-hot: `dW_ih = dPᵀ`; embedding: `dW_ih = dPᵀ·E`, `dE = dP·W_ih`.
fn finish_input_layer<F: GateFloat>(
    d: &GatedDims,
    p: &GatedParams<F>,
    dp: &[F],
    g: &mut GatedParams<F>,
) {
    let (v, gh) = (d.vocab, d.gate_width());
    let l0 = &mut g.layers[0];
    l0.b_ih.fill(F::ZERO);
    for row in dp.chunks_exact(gh) {
        add_into(&mut l0.b_ih, row);
    }
    if d.embed == 0 {
        for (id, row) in dp.chunks_exact(gh).enumerate() {
            for (j, &x) in row.iter().enumerate() {
                l0.w_ih[j * v + id] = x;
            }
        }
    } else {
        let e = d.embed;
        matmul(
            MatMut::new(&mut l0.w_ih, gh, e, e),
            MatRef::new(dp, v, gh, gh).t(),
            MatRef::new(&p.embedding, v, e, e),
            false,
        );
        matmul(
            MatMut::new(&mut g.embedding, v, e, e),
            MatRef::new(dp, v, gh, gh),
            MatRef::new(&p.layers[0].w_ih, gh, e, e),
            false,
        );
    }
}

/// The recurrent state of every layer for one sequence: `h` (and `c` for LSTM), zero at the
/// start.
#[derive(Clone, Debug, PartialEq)]
pub struct GatedState<F> {
    hidden: usize,
    /// [L, H]
    h: Vec<F>,
    /// [L, H] (LSTM only; empty otherwise)
    c: Vec<F>,
}

impl<F: GateFloat> GatedState<F> {
    /// Zero state for the model `d`.
    pub fn zeros(d: &GatedDims) -> Self {
        let n = d.layers * d.hidden;
        GatedState {
            hidden: d.hidden,
            h: vec![F::ZERO; n],
            c: if d.cell == Cell::Lstm {
                vec![F::ZERO; n]
            } else {
                Vec::new()
            },
        }
    }

    /// Layer `k`'s hidden state.
    pub fn h(&self, k: usize) -> &[F] {
        &self.h[k * self.hidden..(k + 1) * self.hidden]
    }

    /// Layer `k`'s LSTM cell state (`None` for RNN and GRU).
    pub fn c(&self, k: usize) -> Option<&[F]> {
        (!self.c.is_empty()).then(|| &self.c[k * self.hidden..(k + 1) * self.hidden])
    }
}

/// Feed `token` through every layer for one sequence (no dropout), updating `state`; writes
/// the next token's logits (V) into `logits`. Plain loops: for completion and the heatmap, a
/// few tokens at a time.
#[allow(clippy::needless_range_loop)]
pub fn step<F: GateFloat>(
    d: &GatedDims,
    p: &GatedParams<F>,
    token: u32,
    state: &mut GatedState<F>,
    logits: &mut [F],
) {
    d.check();
    p.check(d);
    let (v, h, gh) = (d.vocab, d.hidden, d.gate_width());
    let id = token as usize;
    assert!(id < v, "token {id} out of range for a vocabulary of {v}");
    assert_eq!(logits.len(), v, "logits must have vocab elements");
    assert_eq!(state.h.len(), d.layers * h, "state of another model");
    let mut a = vec![F::ZERO; gh];
    let mut gh_buf = vec![F::ZERO; gh];
    let mut x: Vec<F> = Vec::new();
    for (k, l) in p.layers.iter().enumerate() {
        let n_in = d.input_size(k);
        // a = W_ih x + b_ih
        if k == 0 && d.embed == 0 {
            for j in 0..gh {
                a[j] = l.w_ih[j * v + id] + l.b_ih[j];
            }
        } else {
            if k == 0 {
                x.clear();
                x.extend_from_slice(&p.embedding[id * n_in..(id + 1) * n_in]);
            }
            for j in 0..gh {
                let row = &l.w_ih[j * n_in..(j + 1) * n_in];
                a[j] = l.b_ih[j] + row.iter().zip(&x).fold(F::ZERO, |s, (&w, &xv)| s + w * xv);
            }
        }
        let hk = &mut state.h[k * h..(k + 1) * h];
        for j in 0..gh {
            let row = &l.w_hh[j * h..(j + 1) * h];
            gh_buf[j] = l.b_hh[j]
                + row
                    .iter()
                    .zip(hk.iter())
                    .fold(F::ZERO, |s, (&w, &hv)| s + w * hv);
        }
        match d.cell {
            Cell::Rnn => {
                for j in 0..h {
                    hk[j] = (a[j] + gh_buf[j]).tanh_();
                }
            }
            Cell::Gru => {
                for j in 0..h {
                    let r = (a[j] + gh_buf[j]).sigmoid();
                    let z = (a[h + j] + gh_buf[h + j]).sigmoid();
                    let n = (a[2 * h + j] + r * gh_buf[2 * h + j]).tanh_();
                    hk[j] = (F::ONE - z) * n + z * hk[j];
                }
            }
            Cell::Lstm => {
                let ck = &mut state.c[k * h..(k + 1) * h];
                for j in 0..h {
                    let i = (a[j] + gh_buf[j]).sigmoid();
                    let f = (a[h + j] + gh_buf[h + j]).sigmoid();
                    let g = (a[2 * h + j] + gh_buf[2 * h + j]).tanh_();
                    let o = (a[3 * h + j] + gh_buf[3 * h + j]).sigmoid();
                    ck[j] = f * ck[j] + i * g;
                    hk[j] = o * ck[j].tanh_();
                }
            }
        }
        x.clear();
        x.extend_from_slice(hk);
    }
    for (o, (row, &b)) in logits.iter_mut().zip(p.fc_w.chunks_exact(h).zip(&p.fc_b)) {
        *o = b + row.iter().zip(&x).fold(F::ZERO, |s, (&w, &hv)| s + w * hv);
    }
}
