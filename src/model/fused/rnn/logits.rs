//! The output layer `o_t = h_t · W_hq` over every step at once (its bias is added by the
//! softmax step, its backward is part of BPTT and of the weight gradients).

use super::super::float::FusedFloat;
use super::super::gemm::{matmul, MatMut, MatRef};
use super::super::rows::Dims;

/// Forward: the first V columns of every row (t, b) of `c` (row stride `d.row_stride`) get the
/// logits of that row. The padding columns V..Vp are not written here.
#[inline(always)]
pub(super) fn logits_forward<F: FusedFloat>(c: &mut [F], hs: &[F], w_hq: &[F], d: &Dims) {
    let (v, h, rows) = (d.vocab, d.hiddens, d.rows());
    matmul(
        MatMut::new(c, rows, v, d.row_stride),
        MatRef::new(hs, rows, h, h),
        MatRef::new(w_hq, h, v, v),
        false,
    );
}
