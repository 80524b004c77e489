//! What both kernels size their buffers with: [`ensure`] (grow, never shrink) and [`Dims`],
//! the shapes of one work item's block of rows (tokens, hidden units, batch rows, steps).

use super::float::FusedFloat;

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
