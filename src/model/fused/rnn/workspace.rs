//! The buffers one work item of the §9.5 kernel runs in.
//!
//! A workspace carries no state from one work item (or one call) to the next: every element a
//! step reads was written earlier in the same pass. That is what makes a result independent
//! of which thread, and after which earlier call, an item ran; in particular a NaN from a
//! diverged batch cannot survive into the next call.

use super::super::float::FusedFloat;
use super::super::rows::{ensure, Dims};
use super::grads::GradsBuf;

/// Per-thread workspace, reused for each work item the thread processes.
#[derive(Default)]
pub(super) struct Workspace<F> {
    /// Hidden states, T×nb×H (pre-activation during the forward step).
    pub hs: Vec<F>,
    /// Per row (t, b): [logits, then dL/do_t (Vp columns) | dL/da_{t+1} (H columns)].
    pub c: Vec<F>,
    /// dL/dh_t, then dL/da_t, for one step. nb×H.
    pub scratch: Vec<F>,
    /// [dW_hq | pad | dW_hh] accumulator, H×(Vp+H).
    pub gw: Vec<F>,
    /// The padded output bias (softmax step), then the db_q accumulator (backward), Vp.
    pub bq: Vec<F>,
    /// Per-row z_y (logit of the target minus row max) for one softmax block.
    pub zy: Vec<F>,
    /// Per-row target id for one softmax block.
    pub tg: Vec<u32>,
}

impl<F: FusedFloat> Workspace<F> {
    /// Grow every buffer to what `d` needs.
    pub fn fit(&mut self, d: &Dims, grads: bool, softmax_block: usize) {
        let rows = d.rows();
        ensure(&mut self.hs, rows * d.hiddens);
        ensure(&mut self.c, rows * d.row_stride);
        ensure(&mut self.bq, d.vocab_padded());
        ensure(&mut self.zy, softmax_block);
        if self.tg.len() < softmax_block {
            self.tg.resize(softmax_block, 0);
        }
        if grads {
            ensure(&mut self.scratch, d.step_len());
            ensure(&mut self.gw, d.hiddens * d.row_stride);
        }
    }
}

/// Output of one work item (a contiguous range of batch rows).
#[derive(Default)]
pub(super) struct WorkItem<F> {
    /// Partial gradients of this item.
    pub g: GradsBuf<F>,
    /// Sum of per-token losses of this item.
    pub loss_sum: f64,
}
