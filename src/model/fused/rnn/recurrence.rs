//! The recurrence `h_t = tanh(W_xh[x_t] + b_h + h_{t-1} · W_hh)`: forward over all steps, and
//! backpropagation through time.

use super::super::float::{add_into, FusedFloat};
use super::super::gemm::{matmul, MatMut, MatRef};
use super::super::rows::Dims;

/// Forward: fill `hs` (T×nb×H) with the hidden state after every step, from `h_0 = 0`.
/// `wxb` is `W_xh + b_h` (V×H), so the input term is one row gather per token.
#[inline(always)]
pub(super) fn recurrence_forward<F: FusedFloat>(
    hs: &mut [F],
    wxb: &[F],
    w_hh: &[F],
    x: &[u32],
    d: &Dims,
) {
    let (h, nb, steps) = (d.hiddens, d.batch, d.steps);
    let step_len = d.step_len();
    for t in 0..steps {
        let (prev, cur) = hs.split_at_mut(t * step_len);
        let cur = &mut cur[..step_len];
        // a_t = W_xh[x_t] + b_h
        for (b, row) in cur.chunks_exact_mut(h).enumerate() {
            let id = x[b * steps + t] as usize;
            row.copy_from_slice(&wxb[id * h..id * h + h]);
        }
        if t > 0 {
            // a_t += h_{t-1} · W_hh
            let h_prev = &prev[(t - 1) * step_len..];
            matmul(
                MatMut::new(cur, nb, h, h),
                MatRef::new(h_prev, nb, h, h),
                MatRef::new(w_hh, h, h, h),
                true,
            );
        }
        F::tanh_inplace(cur);
    }
}

/// Backward (BPTT), from `T` down to 1. `c` holds dL/do_t in the first Vp columns of every
/// row (t, b) (see the softmax step); this writes dL/da_{t+1} into the last H columns of
/// row (t, b), zero for the last step, so that one product per step against the stacked
/// `wc = [W_hqᵀ ; 0 ; W_hhᵀ]` gives `dh_t = dO_t·W_hqᵀ + dA_{t+1}·W_hhᵀ`. Then
/// `dA_t = dh_t ⊙ (1 - h_t²)` is scattered into `dw_xh` (the gather's backward) while it is
/// still in cache.
#[inline(always)]
pub(super) fn recurrence_backward<F: FusedFloat>(
    c: &mut [F],
    scratch: &mut [F],
    hs: &[F],
    wc: &[F],
    x: &[u32],
    dw_xh: &mut [F],
    d: &Dims,
) {
    let (h, nb, steps, cs, vp) = (d.hiddens, d.batch, d.steps, d.row_stride, d.vocab_padded());
    let step_len = d.step_len();
    // dA_T = 0
    for row in c[(steps - 1) * nb * cs..].chunks_exact_mut(cs) {
        row[vp..].fill(F::ZERO);
    }
    for t in (0..steps).rev() {
        let (c_prev, c_cur) = c.split_at_mut(t * nb * cs);
        // dh_t = [dO_t | dA_{t+1}] · [W_hqᵀ ; 0 ; W_hhᵀ]   (k = Vp + H)
        matmul(
            MatMut::new(scratch, nb, h, h),
            MatRef::new(c_cur, nb, cs, cs),
            MatRef::new(wc, cs, h, h),
            false,
        );
        let ht = &hs[t * step_len..(t + 1) * step_len];
        for (b, (da, hrow)) in scratch
            .chunks_exact_mut(h)
            .zip(ht.chunks_exact(h))
            .enumerate()
        {
            for (dv, &hv) in da.iter_mut().zip(hrow) {
                *dv *= F::ONE - hv * hv;
            }
            let id = x[b * steps + t] as usize;
            add_into(&mut dw_xh[id * h..id * h + h], da);
            if t > 0 {
                c_prev[(t - 1) * nb * cs + b * cs + vp..][..h].copy_from_slice(da);
            }
        }
    }
}
