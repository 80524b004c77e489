//! The buffers one work item runs in, and the shapes that lay them out.
//!
//! A workspace carries no state from one work item (or one call) to the next: every element a
//! step reads was written earlier in the same pass. That is what makes a result independent
//! of which thread, and after which earlier call, an item ran; in particular a NaN from a
//! diverged batch cannot survive into the next call.

use super::float::FusedFloat;
use super::GradsBuf;

/// Grow `a` to at least `n` elements (never shrinks, never reallocates in steady state).
#[inline]
pub(super) fn ensure<F: FusedFloat>(a: &mut Vec<F>, n: usize) {
    if a.len() < n {
        a.resize(n, F::ZERO);
    }
}

/// `n` rounded up to a multiple of 8.
#[inline(always)]
fn padded(n: usize) -> usize {
    n.div_ceil(8) * 8
}

/// The shapes of one work item.
#[derive(Clone, Copy, Debug)]
pub(super) struct Dims {
    /// V: tokens.
    pub vocab: usize,
    /// H: hidden units.
    pub hiddens: usize,
    /// Row stride of the logits buffer: Vp, plus H with gradients (room for dL/da_{t+1}).
    pub row_stride: usize,
    /// nb: batch rows in this item.
    pub batch: usize,
    /// T: time steps.
    pub steps: usize,
}

impl Dims {
    pub fn new(vocab: usize, hiddens: usize, batch: usize, steps: usize, grads: bool) -> Self {
        Dims {
            vocab,
            hiddens,
            row_stride: padded(vocab) + if grads { hiddens } else { 0 },
            batch,
            steps,
        }
    }

    /// Vp: V rounded up to a multiple of 8, so row loops over logits run on whole vectors.
    ///
    /// Derived rather than stored: inlined, it lets the compiler see that Vp is a multiple of
    /// 8, so the row loops over logits compile without scalar remainder loops (a stored field
    /// hides that, and cost the softmax step about 30 more instructions per row at V = 28).
    #[inline(always)]
    pub fn vocab_padded(&self) -> usize {
        padded(self.vocab)
    }

    /// All (t, b) rows: T·nb.
    pub fn rows(&self) -> usize {
        self.steps * self.batch
    }

    /// Elements of one step's hidden states: nb·H.
    pub fn step_len(&self) -> usize {
        self.batch * self.hiddens
    }
}

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
