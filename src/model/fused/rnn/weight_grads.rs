//! The weight half of the backward pass: the gradients of both products' weights and of both
//! biases, once BPTT has left `[dO | dA_next]` in every row.

use super::super::float::{add_into, FusedFloat};
use super::super::gemm::{matmul, MatMut, MatRef};
use super::super::rows::Dims;
use super::grads::GradsBuf;

/// `[dW_hq | · | dW_hh] = Hsᵀ · [dO | dA_next]` as one product over all steps (k = T·nb),
/// then `db_q` = column sums of dO and `db_h` = Σ_v dW_xh[v] (every dA row was scattered into
/// exactly one row of dW_xh). `gw` (H×row_stride) and `dbq` (Vp) are scratch.
#[inline(always)]
pub(super) fn weight_gradients<F: FusedFloat>(
    g: &mut GradsBuf<F>,
    gw: &mut [F],
    dbq: &mut [F],
    c: &[F],
    hs: &[F],
    d: &Dims,
) {
    let (v, h, vp, cs, rows) = (d.vocab, d.hiddens, d.vocab_padded(), d.row_stride, d.rows());
    matmul(
        MatMut::new(gw, h, cs, cs),
        MatRef::new(hs, rows, h, h).t(),
        MatRef::new(c, rows, cs, cs),
        false,
    );
    for (i, grow) in gw.chunks_exact(cs).enumerate() {
        g.w_hq[i * v..(i + 1) * v].copy_from_slice(&grow[..v]);
        g.w_hh[i * h..(i + 1) * h].copy_from_slice(&grow[vp..]);
    }
    // Padding columns of dO are exactly 0 (their softmax entries are).
    dbq.fill(F::ZERO);
    for row in c.chunks_exact(cs) {
        add_into(dbq, &row[..vp]);
    }
    g.b_q.copy_from_slice(&dbq[..v]);
    for row in g.w_xh.chunks_exact(h) {
        add_into(&mut g.b_h, row);
    }
}
