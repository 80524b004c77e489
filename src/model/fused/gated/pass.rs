//! One work item (a contiguous run of batch rows): forward through every layer, output layer
//! and loss, then BPTT top down. Buffers are `[T·nb, ·]` with rows `(t, b)` in step-major
//! order, so one step's rows are contiguous and whole-sequence products are single GEMMs.

use super::super::float::add_into;
use super::super::gemm::{MatMut, MatRef};
use super::super::grad_product::{matmul_at_b, GradProductBufs};
use super::super::packed::{matmul_packed, matmul_packed_from, Start};
use super::super::rows::{ensure, Dims};
use super::super::softmax_ce::{softmax_cross_entropy, SM_BLOCK};
use super::cells::{
    gru_backward, gru_forward, lstm_backward, lstm_forward, rnn_backward, rnn_forward, GateFloat,
};
use super::params::{Cell, GatedDims, GatedParams, LayerParams};
use super::shared::Shared;
use crate::model::dropout::{keep_scale, Dropout};

/// What one item reads.
pub(super) struct Ctx<'a, F> {
    /// The model, with `batch` = this item's rows.
    pub d: &'a GatedDims,
    pub p: &'a GatedParams<F>,
    pub sh: &'a Shared<F>,
    /// This item's tokens and targets, `[nb, T]`.
    pub x: &'a [u32],
    pub y: &'a [u32],
    /// The item's first row in the whole batch (for the dropout masks).
    pub b0: usize,
    pub dropout: Option<Dropout>,
    /// 1 / tokens of the whole batch.
    pub scale: F,
    pub grads: bool,
}

/// One layer's forward results, kept for the backward.
#[derive(Default)]
pub(super) struct LayerWs<F> {
    /// [T·nb, G·H]: input projections, then the gate activations (RNN: h itself).
    g: Vec<F>,
    /// [T·nb, H]: h (GRU, LSTM).
    h: Vec<F>,
    /// [T·nb, H]: c and tanh(c) (LSTM).
    c: Vec<F>,
    tc: Vec<F>,
    /// [T·nb, H]: `W_hn h + b_hn` (GRU).
    ghn: Vec<F>,
    /// [T·nb, H]: the dropout mask (0 or 1/(1−p)) and the masked output (with dropout).
    mask: Vec<F>,
    y: Vec<F>,
}

impl<F: GateFloat> LayerWs<F> {
    /// The hidden states h_t, [T·nb, H].
    fn hs(&self, cell: Cell, n: usize) -> &[F] {
        if cell == Cell::Rnn {
            &self.g[..n]
        } else {
            &self.h[..n]
        }
    }

    /// What the next layer (or the output layer) reads: h, masked when dropout is on.
    fn out(&self, cell: Cell, n: usize, dropout: bool) -> &[F] {
        if dropout {
            &self.y[..n]
        } else {
            self.hs(cell, n)
        }
    }
}

/// Per-thread workspace, reused item after item; it carries no values between items.
#[derive(Default)]
pub(super) struct ItemWs<F> {
    layers: Vec<LayerWs<F>>,
    /// [min(nb, STEP_ROWS), G·H]: one block of a step's recurrent product (GRU).
    ghs: Vec<F>,
    /// [min(nb, STEP_ROWS), G·H]: one block of a step's gate pre-activations (the products
    /// write to cache, not to the cold `g`, which receives the cell's activations).
    gs: Vec<F>,
    /// [T·nb, Vp]: logits, then dL/dlogits.
    logits: Vec<F>,
    bq: Vec<F>,
    zy: Vec<F>,
    tg: Vec<u32>,
    /// [T·nb, H]: dL/dh of the layer being differentiated.
    dy: Vec<F>,
    /// [T·nb, G·H]: gradients of the gate input pre-activations; [T·nb, H] (GRU): the part of
    /// the recurrent product's gradient that differs from them (`dx_n ⊙ r`).
    dg: Vec<F>,
    dgh: Vec<F>,
    /// [nb, H]: dL/dc carried to the previous step (LSTM).
    dc: Vec<F>,
    /// [nb, H] each: dL/dh of the step being differentiated and of the one before it, whole
    /// (from above, from the cell, from the recurrent product), swapped after every step.
    dh_cur: Vec<F>,
    dh_next: Vec<F>,
    /// Packing buffers of the weight-gradient products.
    wg: GradProductBufs,
    /// [H] zeros: the state before the first step, and the gradient nothing receives.
    zeros: Vec<F>,
    sink: Vec<F>,
}

/// One item's results.
#[derive(Default)]
pub(super) struct ItemOut<F> {
    /// Gradients of this item (layer 0's `w_ih`, `b_ih` and the embedding stay zero: they
    /// come from `dp` once per call).
    pub g: GatedParams<F>,
    /// [V, G·H]: layer 0's gate-input gradients summed per input token.
    pub dp: Vec<F>,
    pub loss_sum: f64,
}

/// Forward (and backward with `ctx.grads`) over one item, dispatched at run time to a copy
/// compiled with AVX2+FMA when the CPU has them.
pub(super) fn item_pass<F: GateFloat>(ws: &mut ItemWs<F>, out: &mut ItemOut<F>, ctx: &Ctx<F>) {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::device::isa::{active, Isa};
        // SAFETY: each copy only requires the CPU to have its path, and the active path is
        // never wider than the CPU's (`isa::force`).
        match active() {
            Isa::Avx512 => return unsafe { item_pass_avx512(ws, out, ctx) },
            Isa::Avx2 => return unsafe { item_pass_avx2(ws, out, ctx) },
            Isa::Portable => {}
        }
    }
    item_pass_impl(ws, out, ctx)
}

/// [`item_pass_impl`] compiled with AVX2 and FMA enabled.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn item_pass_avx2<F: GateFloat>(ws: &mut ItemWs<F>, out: &mut ItemOut<F>, ctx: &Ctx<F>) {
    item_pass_impl(ws, out, ctx)
}

/// [`item_pass_impl`] compiled with AVX-512 (F, BW, VL), AVX2 and FMA enabled: the
/// elementwise loops vectorise 16-wide.
///
/// # Safety
/// The CPU must support AVX-512F/BW/VL, AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
unsafe fn item_pass_avx512<F: GateFloat>(ws: &mut ItemWs<F>, out: &mut ItemOut<F>, ctx: &Ctx<F>) {
    item_pass_impl(ws, out, ctx)
}

#[inline(always)]
fn item_pass_impl<F: GateFloat>(ws: &mut ItemWs<F>, out: &mut ItemOut<F>, ctx: &Ctx<F>) {
    let d = ctx.d;
    let (v, h, gh, nl) = (d.vocab, d.hidden, d.gate_width(), d.layers);
    let (nb, steps) = (d.batch, d.steps);
    let rows = nb * steps;
    let drop = ctx.dropout.is_some();
    fit(ws, d, drop, ctx.grads);

    for k in 0..nl {
        let (below, rest) = ws.layers.split_at_mut(k);
        let below = below
            .last()
            .map(|l: &LayerWs<F>| l.out(d.cell, rows * h, drop));
        layer_forward(
            &mut rest[0],
            below,
            &mut ws.gs,
            &mut ws.ghs,
            &ws.zeros[..h],
            ctx,
            k,
        );
    }

    // Output layer and loss.
    let sd = Dims::new(v, h, nb, steps, false);
    let vp = sd.vocab_padded();
    let top = ws.layers[nl - 1].out(d.cell, rows * h, drop);
    let logits = &mut ws.logits[..rows * vp];
    matmul_packed(
        MatMut::new(logits, rows, v, vp),
        MatRef::new(top, rows, h, h),
        &ctx.sh.fc_w_t,
        false,
    );
    out.loss_sum = softmax_cross_entropy(
        logits,
        &ctx.p.fc_b,
        &mut ws.bq[..vp],
        ctx.y,
        &mut ws.zy[..SM_BLOCK],
        &mut ws.tg[..SM_BLOCK],
        ctx.scale,
        ctx.grads,
        &sd,
    );
    if !ctx.grads {
        return;
    }

    let g = &mut out.g;
    g.resize_zero(d);
    ensure(&mut out.dp, v * gh);
    out.dp[..v * gh].fill(F::ZERO);
    let logits = &ws.logits[..rows * vp];
    // dfc_w = dOᵀ·top, dfc_b = Σ dO, dy = dO·fc_w
    matmul_at_b(
        MatMut::new(&mut g.fc_w, v, h, h),
        MatRef::new(logits, rows, v, vp),
        MatRef::new(top, rows, h, h),
        &mut ws.wg,
    );
    for row in logits.chunks_exact(vp) {
        add_into(&mut g.fc_b, &row[..v]);
    }
    matmul_packed(
        MatMut::new(&mut ws.dy[..rows * h], rows, h, h),
        MatRef::new(logits, rows, v, vp),
        &ctx.sh.fc_w,
        false,
    );
    for k in (0..nl).rev() {
        let lw = &ws.layers[k];
        if drop {
            for (dv, &m) in ws.dy[..rows * h].iter_mut().zip(&lw.mask[..rows * h]) {
                *dv *= m;
            }
        }
        let below = (k > 0).then(|| ws.layers[k - 1].out(d.cell, rows * h, drop));
        layer_backward(
            lw,
            below,
            &ws.zeros[..h],
            &mut ws.sink[..h],
            &mut ws.dy,
            (&mut ws.dh_cur, &mut ws.dh_next),
            &mut ws.dg,
            &mut ws.dgh,
            &mut ws.dc,
            &mut ws.wg,
            &mut g.layers[k],
            &mut out.dp,
            ctx,
            k,
        );
    }
}

/// Grow every buffer to what `d` needs.
fn fit<F: GateFloat>(ws: &mut ItemWs<F>, d: &GatedDims, drop: bool, grads: bool) {
    let (h, gh, rows) = (d.hidden, d.gate_width(), d.batch * d.steps);
    let n = rows * h;
    ws.layers
        .resize_with(d.layers.max(ws.layers.len()), LayerWs::default);
    for lw in &mut ws.layers[..d.layers] {
        ensure(&mut lw.g, rows * gh);
        match d.cell {
            Cell::Rnn => {}
            Cell::Gru => {
                ensure(&mut lw.h, n);
                ensure(&mut lw.ghn, n);
            }
            Cell::Lstm => {
                ensure(&mut lw.h, n);
                ensure(&mut lw.c, n);
                ensure(&mut lw.tc, n);
            }
        }
        if drop {
            ensure(&mut lw.mask, n);
            ensure(&mut lw.y, n);
        }
    }
    if d.cell == Cell::Gru {
        ensure(&mut ws.ghs, d.batch.min(STEP_ROWS) * gh);
    }
    ensure(&mut ws.gs, d.batch.min(STEP_ROWS) * gh);
    ensure(&mut ws.zeros, h);
    ensure(&mut ws.sink, h);
    ws.zeros[..h].fill(F::ZERO);
    let vp = d.vocab.div_ceil(8) * 8;
    ensure(&mut ws.logits, rows * vp);
    ensure(&mut ws.bq, vp);
    ensure(&mut ws.zy, SM_BLOCK);
    if ws.tg.len() < SM_BLOCK {
        ws.tg.resize(SM_BLOCK, 0);
    }
    if grads {
        ensure(&mut ws.dy, n);
        ensure(&mut ws.dg, rows * gh);
        ensure(&mut ws.dh_cur, d.batch * h);
        ensure(&mut ws.dh_next, d.batch * h);
        if d.cell == Cell::Gru {
            ensure(&mut ws.dgh, rows * h);
        }
        if d.cell == Cell::Lstm {
            ensure(&mut ws.dc, d.batch * h);
        }
    }
}

/// Batch rows a step is worked in: the input projection, the recurrent product and the cell
/// of one block run back to back, so the block's gates (64 × 3H at H = 256: 192 KiB) are
/// still in L2 when the cell reads them. (Results do not depend on it: a product's rows are
/// independent.)
const STEP_ROWS: usize = 64;

/// The input pre-activations of rows `b0..b0 + m` of step `t` of layer `k` into `cur`
/// ([m, G·H]): layer 0 looks its rows up in the input table, a layer above multiplies the
/// output of the one below by `W_ihᵀ` and adds the folded biases.
#[inline(always)]
fn step_input<F: GateFloat>(
    cur: &mut [F],
    below: Option<&[F]>,
    ctx: &Ctx<F>,
    k: usize,
    (t, b0, m): (usize, usize, usize),
) {
    let d = ctx.d;
    let (h, gh, nb, steps) = (d.hidden, d.gate_width(), d.batch, d.steps);
    match below {
        None => {
            for (b, row) in (b0..b0 + m).zip(cur.chunks_exact_mut(gh)) {
                let id = ctx.x[b * steps + t] as usize;
                row.copy_from_slice(&ctx.sh.inp0[id * gh..(id + 1) * gh]);
            }
        }
        Some(xin) => matmul_packed_from(
            MatMut::new(cur, m, gh, gh),
            MatRef::new(&xin[(t * nb + b0) * h..], m, h, h),
            &ctx.sh.w_ih_t[k],
            Start::Bias(&ctx.sh.bias_x[k]),
        ),
    }
}

/// Row `j` of a block one step earlier (the block's offset in `buf` minus one step is `sp`), or
/// `zeros` (H) at the first step, when there is none.
#[inline(always)]
fn row_before<'a, F>(buf: &'a [F], sp: usize, j: usize, t: usize, zeros: &'a [F]) -> &'a [F] {
    let h = zeros.len();
    if t > 0 {
        &buf[sp + j * h..][..h]
    } else {
        zeros
    }
}

/// Forward through layer `k`, step by step and, within a step, block of [`STEP_ROWS`] rows by
/// block (input projection, recurrent product, cell); then the dropout mask (when on).
#[inline(always)]
fn layer_forward<F: GateFloat>(
    lw: &mut LayerWs<F>,
    below: Option<&[F]>,
    gs: &mut [F],
    ghs: &mut [F],
    zeros: &[F],
    ctx: &Ctx<F>,
    k: usize,
) {
    let d = ctx.d;
    let (h, gh, nb, steps) = (d.hidden, d.gate_width(), d.batch, d.steps);
    let rows = nb * steps;
    let n = rows * h;
    let w_hh_t = &ctx.sh.w_hh_t[k];
    let LayerWs {
        g,
        h: hs,
        c,
        tc,
        ghn,
        ..
    } = lw;
    for t in 0..steps {
        for b0 in (0..nb).step_by(STEP_ROWS) {
            let m = STEP_ROWS.min(nb - b0);
            // This block's rows: gates [m, G·H], states [m, H] (offsets of step t).
            let (gb, sb) = ((t * nb + b0) * gh, (t * nb + b0) * h);
            // The same rows one step earlier (t > 0).
            let (gp, sp) = (gb.wrapping_sub(nb * gh), sb.wrapping_sub(nb * h));
            let (g_prev, g_cur) = g.split_at_mut(gb);
            let act = &mut g_cur[..m * gh];
            let cur = &mut gs[..m * gh];
            step_input(cur, below, ctx, k, (t, b0, m));
            match d.cell {
                Cell::Rnn => {
                    if t > 0 {
                        matmul_packed(
                            MatMut::new(cur, m, h, h),
                            MatRef::new(&g_prev[gp..], m, h, h),
                            w_hh_t,
                            true,
                        );
                    }
                    rnn_forward(cur, act);
                }
                Cell::Lstm => {
                    let (h_prev, h_cur) = hs.split_at_mut(sb);
                    let (c_prev, c_cur) = c.split_at_mut(sb);
                    if t > 0 {
                        matmul_packed(
                            MatMut::new(cur, m, gh, gh),
                            MatRef::new(&h_prev[sp..], m, h, h),
                            w_hh_t,
                            true,
                        );
                    }
                    let tcb = &mut tc[sb..sb + m * h];
                    for j in 0..m {
                        let cp = row_before(c_prev, sp, j, t, zeros);
                        lstm_forward(
                            &cur[j * gh..(j + 1) * gh],
                            cp,
                            &mut act[j * gh..(j + 1) * gh],
                            &mut c_cur[j * h..(j + 1) * h],
                            &mut tcb[j * h..(j + 1) * h],
                            &mut h_cur[j * h..(j + 1) * h],
                        );
                    }
                }
                Cell::Gru => {
                    let b_hn = &ctx.p.layers[k].b_hh[2 * h..];
                    let (h_prev, h_cur) = hs.split_at_mut(sb);
                    let ghs = &mut ghs[..m * gh];
                    if t > 0 {
                        matmul_packed(
                            MatMut::new(ghs, m, gh, gh),
                            MatRef::new(&h_prev[sp..], m, h, h),
                            w_hh_t,
                            false,
                        );
                    } else {
                        ghs.fill(F::ZERO);
                    }
                    let q = &mut ghn[sb..sb + m * h];
                    for j in 0..m {
                        let hp = row_before(h_prev, sp, j, t, zeros);
                        gru_forward(
                            &cur[j * gh..(j + 1) * gh],
                            &ghs[j * gh..(j + 1) * gh],
                            b_hn,
                            hp,
                            &mut act[j * gh..(j + 1) * gh],
                            &mut q[j * h..(j + 1) * h],
                            &mut h_cur[j * h..(j + 1) * h],
                        );
                    }
                }
            }
        }
    }
    if let Some(dr) = ctx.dropout {
        let kept = F::from_f64(keep_scale(dr.p));
        let mask = &mut lw.mask[..n];
        for (r, row) in mask.chunks_exact_mut(h).enumerate() {
            let (t, b) = (r / nb, r % nb);
            dr.fill_row(k, ctx.b0 + b, t, row, kept, F::ZERO);
        }
        let hs: &[F] = if d.cell == Cell::Rnn {
            &lw.g[..n]
        } else {
            &lw.h[..n]
        };
        for ((o, &hv), &m) in lw.y[..n].iter_mut().zip(hs).zip(&lw.mask[..n]) {
            *o = hv * m;
        }
    }
}

/// BPTT through layer `k`. On entry `dy` holds dL/dh_t for every row (from above, already
/// through this layer's dropout mask); on exit, for k > 0, dL/d(input) of every row, i.e. the
/// gradient of the layer below's (masked) output. Writes this layer's weight gradients into
/// `g` (layer 0: `w_hh`, `b_hh` only; its input side goes into `dp`).
///
/// The whole dL/dh of a step lives in `dh_cur`/`dh_next` ([nb, H], cache-sized), not in
/// `dy`: a block copies the rows from above in sequentially, then the cell and the recurrent
/// product add to them in cache. The sums are the same, in the same order, as adding onto
/// `dy` in place.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn layer_backward<F: GateFloat>(
    lw: &LayerWs<F>,
    below: Option<&[F]>,
    zeros: &[F],
    sink: &mut [F],
    dy: &mut [F],
    (dh_cur, dh_next): (&mut Vec<F>, &mut Vec<F>),
    dg: &mut [F],
    dgh_buf: &mut [F],
    dc: &mut [F],
    wg: &mut GradProductBufs,
    g: &mut LayerParams<F>,
    dp: &mut [F],
    ctx: &Ctx<F>,
    k: usize,
) {
    let d = ctx.d;
    let (h, gh, nb, steps) = (d.hidden, d.gate_width(), d.batch, d.steps);
    let rows = nb * steps;
    let n = rows * h;
    let sl = nb * gh;
    let sh = nb * h;
    let dy = &mut dy[..n];
    let dg = &mut dg[..rows * gh];
    let gates = &lw.g[..rows * gh];
    let hs = lw.hs(d.cell, n);
    let w_hh = &ctx.sh.w_hh[k];
    if d.cell == Cell::Lstm {
        dc[..sh].fill(F::ZERO);
    }
    // The recurrent product's gradient is dg's first `shared` columns, then an own part: for
    // the GRU `[da_r | da_z | dx_n ⊙ r]` (the own part in `dgh_buf`), for the others dg.
    let own = d.cell == Cell::Gru;
    let shared = if own { 2 * h } else { gh };
    dh_cur[..sh].copy_from_slice(&dy[(steps - 1) * sh..]);
    // Step by step from the last, block of rows by block: the cell's gradients, then (t > 0)
    // their product with W_hh into the previous step's dL/dh and (k > 0) with W_ih into
    // dL/d(input), while they are still in cache.
    for t in (0..steps).rev() {
        for b0 in (0..nb).step_by(STEP_ROWS) {
            let m = STEP_ROWS.min(nb - b0);
            let (gb, sb) = (t * sl + b0 * gh, t * sh + b0 * h);
            // The same rows one step earlier (t > 0).
            let sp = sb.wrapping_sub(sh);
            let dyb = &dh_cur[b0 * h..(b0 + m) * h];
            let dhn = &mut dh_next[b0 * h..(b0 + m) * h];
            if t > 0 {
                // What the layer above (or the loss) sends to h_{t-1}.
                dhn.copy_from_slice(&dy[sp..sp + m * h]);
            }
            let dgb = &mut dg[gb..gb + m * gh];
            match d.cell {
                Cell::Rnn => {
                    rnn_backward(dyb, &hs[sb..sb + m * h], dgb);
                }
                Cell::Lstm => {
                    for j in 0..m {
                        let cp = row_before(&lw.c, sp, j, t, zeros);
                        lstm_backward(
                            &gates[gb + j * gh..][..gh],
                            cp,
                            &lw.tc[sb + j * h..][..h],
                            &dyb[j * h..(j + 1) * h],
                            &mut dc[(b0 + j) * h..(b0 + j + 1) * h],
                            &mut dgb[j * gh..(j + 1) * gh],
                        );
                    }
                }
                Cell::Gru => {
                    let dghb = &mut dgh_buf[sb..sb + m * h];
                    for j in 0..m {
                        let hp = row_before(hs, sp, j, t, zeros);
                        let dhp = if t > 0 {
                            &mut dhn[j * h..(j + 1) * h]
                        } else {
                            &mut sink[..]
                        };
                        gru_backward(
                            &gates[gb + j * gh..][..gh],
                            &lw.ghn[sb + j * h..][..h],
                            hp,
                            &dyb[j * h..(j + 1) * h],
                            &mut dgb[j * gh..(j + 1) * gh],
                            &mut dghb[j * h..(j + 1) * h],
                            dhp,
                        );
                    }
                }
            }
            let dgb = &dg[gb..gb + m * gh];
            let own_b = own.then(|| &dgh_buf[sb..sb + m * h]);
            if t > 0 {
                matmul_packed(
                    MatMut::new(&mut dhn[..], m, h, h),
                    MatRef::new(dgb, m, shared, gh),
                    w_hh.rows(0..shared),
                    true,
                );
                if let Some(own_b) = own_b {
                    matmul_packed(
                        MatMut::new(dhn, m, h, h),
                        MatRef::new(own_b, m, h, h),
                        w_hh.rows(shared..gh),
                        true,
                    );
                }
            }
            // The biases' gradients (and layer 0's per-token input rows) while the block is
            // in cache: db_hh = Σ dgh, db_ih = Σ dg.
            for row in dgb.chunks_exact(gh) {
                add_into(&mut g.b_hh[..shared], &row[..shared]);
            }
            for row in own_b.iter().flat_map(|b| b.chunks_exact(h)) {
                add_into(&mut g.b_hh[shared..], row);
            }
            if below.is_some() {
                for row in dgb.chunks_exact(gh) {
                    add_into(&mut g.b_ih, row);
                }
                // dL/d(input) of these rows goes where their dL/dh from above was (it has
                // been read into `dh_cur`).
                matmul_packed(
                    MatMut::new(&mut dy[sb..sb + m * h], m, h, h),
                    MatRef::new(dgb, m, gh, gh),
                    &ctx.sh.w_ih[k],
                    false,
                );
            } else {
                for (b, row) in (b0..b0 + m).zip(dgb.chunks_exact(gh)) {
                    let id = ctx.x[b * steps + t] as usize;
                    add_into(&mut dp[id * gh..(id + 1) * gh], row);
                }
            }
        }
        std::mem::swap(dh_cur, dh_next);
    }
    // dW_hh = Σ_{t ≥ 1} dghᵀ_t · h_{t-1}, by its two parts
    if steps > 1 {
        let m = rows - nb;
        let (w_shared, w_own) = g.w_hh.split_at_mut(shared * h);
        matmul_at_b(
            MatMut::new(w_shared, shared, h, h),
            MatRef::new(&dg[nb * gh..], m, shared, gh),
            MatRef::new(&hs[..m * h], m, h, h),
            wg,
        );
        if own {
            matmul_at_b(
                MatMut::new(w_own, h, h, h),
                MatRef::new(&dgh_buf[nb * h..rows * h], m, h, h),
                MatRef::new(&hs[..m * h], m, h, h),
                wg,
            );
        }
    }
    // dW_ih = Σ dgᵀ · x (layer 0's came from `dp`)
    if let Some(xin) = below {
        matmul_at_b(
            MatMut::new(&mut g.w_ih, gh, h, h),
            MatRef::new(dg, rows, gh, gh),
            MatRef::new(xin, rows, h, h),
            wg,
        );
    }
}
