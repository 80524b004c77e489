//! The §9.5 kernel's view of the five parameters and its gradient buffers.

use super::super::float::FusedFloat;
use crate::model::params::RnnParams;

/// Borrowed view of the five RNN parameters (row-major), with the sizes that shape them.
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

impl<'a, F> ParamsRef<'a, F> {
    /// A view of host copies of the parameters.
    pub fn new(p: &'a RnnParams<Vec<F>>, vocab: usize, hiddens: usize) -> Self {
        ParamsRef {
            w_xh: &p.w_xh,
            w_hh: &p.w_hh,
            b_h: &p.b_h,
            w_hq: &p.w_hq,
            b_q: &p.b_q,
            vocab,
            hiddens,
        }
    }
}

/// Gradients of the mean loss, same shapes as the parameters.
pub type GradsBuf<F> = RnnParams<Vec<F>>;

impl<F: FusedFloat> RnnParams<Vec<F>> {
    /// Zeros of the parameters' sizes for `v` tokens and `h` hidden units.
    pub(super) fn resize_zero(&mut self, v: usize, h: usize) {
        let sizes = [v * h, h * h, h, h * v, v];
        for (a, n) in self.as_array_mut().into_iter().zip(sizes) {
            a.clear();
            a.resize(n, F::ZERO);
        }
    }
}
