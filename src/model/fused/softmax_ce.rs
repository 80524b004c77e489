//! Softmax and cross-entropy, with their gradient, in one pass over blocks of rows.

use super::float::{row_max, row_sum, FusedFloat};
use super::rows::Dims;

/// Rows per softmax block (keeps the block in L1).
pub(super) const SM_BLOCK: usize = 64;

/// What a padding column's logit is set to: it exps to exactly 0, so it adds nothing to the
/// softmax sum and gets a zero gradient.
const PAD_LOGIT: f64 = -1e30;

/// Adds the output bias `b_q` to the logits in `c`, returns the sum over rows of
/// `-log softmax(o)[y]`, and, when `backward`, overwrites each row's first Vp columns with
/// `dL/do = scale · (softmax(o) - onehot(y))` (scale = 1 / tokens of the whole batch).
///
/// Forward and backward share one pass because the backward needs exactly the exponentials
/// the forward has just computed, while the block is still in L1.
///
/// The padding columns V..Vp are set here, not added to: the logits product does not write
/// them, and whatever an earlier call left in them (a NaN after a divergence, say) must not
/// leak into this one. `bias` (Vp) is scratch for the padded bias.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn softmax_cross_entropy<F: FusedFloat>(
    c: &mut [F],
    b_q: &[F],
    bias: &mut [F],
    y: &[u32],
    zy: &mut [F],
    tg: &mut [u32],
    scale: F,
    backward: bool,
    d: &Dims,
) -> f64 {
    let (v, vp, cs, nb, steps) = (d.vocab, d.vocab_padded(), d.row_stride, d.batch, d.steps);
    let rows = d.rows();
    // [b_q | PAD …]: one pass over the whole padded row then sets every column.
    let bias = &mut bias[..vp];
    bias[..v].copy_from_slice(b_q);
    bias[v..].fill(F::from_f64(PAD_LOGIT));
    let bias: &[F] = bias;
    let v_lanes = u32::try_from(v).expect("vocab must fit the u32 token ids");
    let mut loss_sum = 0.0f64;
    let mut r0 = 0;
    while r0 < rows {
        let r1 = (r0 + SM_BLOCK).min(rows);
        let blk = &mut c[r0 * cs..r1 * cs];
        // bias, max-subtract, remember target logit, exp
        let (mut t, mut b) = (r0 / nb, r0 % nb);
        for (i, row) in blk.chunks_exact_mut(cs).enumerate() {
            let row = &mut row[..vp];
            let tgt = y[b * steps + t] as usize;
            add_bias_set_padding(row, bias, v_lanes);
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
            if backward {
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
    loss_sum
}

/// `row[j] += bias[j]` for the V real columns, `row[j] = bias[j]` (the padding logit) for the
/// rest, so the padding never reads what was left in it.
///
/// Written as one select over the whole padded row, counted in `u32` lanes, because that
/// compiles to whole 8-lane chunks (add, compare, blend). A `fill` of the padding plus an
/// add over the V real columns (28: no multiple of 8), or a `usize` index, compiles to
/// remainder loops and 64-bit lane compares: 2–3 times the instructions per row.
#[inline(always)]
fn add_bias_set_padding<F: FusedFloat>(row: &mut [F], bias: &[F], v: u32) {
    for (j, (z, &b)) in (0u32..).zip(row.iter_mut().zip(bias)) {
        let biased = *z + b;
        *z = if j < v { biased } else { b };
    }
}
