//! The elementwise math of the three cells, one batch row at a time: forward (activations,
//! state update) and backward (gate pre-activation gradients). The products that feed and
//! follow these loops are in `pass.rs`.
//!
//! Gate order and formulas are PyTorch's (`nn.RNN` tanh, `nn.GRU`, `nn.LSTM`):
//! ```text
//! RNN : h' = tanh(a)                                      a = W_ih x + b_ih + W_hh h + b_hh
//! GRU : r = σ(a_r), z = σ(a_z)                            (a_r, a_z: both products and biases)
//!       n = tanh(x_n + r ⊙ (W_hn h + b_hn))               (x_n = W_in x + b_in)
//!       h' = (1 − z) ⊙ n + z ⊙ h
//! LSTM: i, f, o = σ(a_i, a_f, a_o), g = tanh(a_g); c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c')
//! ```

use super::super::float::{fast_tanh_f32, FusedFloat};

/// The activations the cells need, per element, written so the row loops vectorise for `f32`
/// (branch-free rational tanh; σ(x) = ½ + ½·tanh(x/2)). `f64` uses `std` (the reference
/// precision for gradient checks).
pub trait GateFloat: FusedFloat {
    fn tanh_(self) -> Self;
    fn sigmoid(self) -> Self;
}

impl GateFloat for f32 {
    #[inline(always)]
    fn tanh_(self) -> Self {
        fast_tanh_f32(self)
    }
    #[inline(always)]
    fn sigmoid(self) -> Self {
        0.5 + 0.5 * fast_tanh_f32(0.5 * self)
    }
}

impl GateFloat for f64 {
    #[inline(always)]
    fn tanh_(self) -> Self {
        self.tanh()
    }
    #[inline(always)]
    fn sigmoid(self) -> Self {
        1.0 / (1.0 + (-self).exp())
    }
}

/// RNN forward: `a ← tanh(a)` (the row becomes h').
#[inline(always)]
pub(super) fn rnn_forward<F: GateFloat>(a: &mut [F]) {
    for v in a {
        *v = v.tanh_();
    }
}

/// RNN backward: `da = dh ⊙ (1 − h'²)`.
#[inline(always)]
pub(super) fn rnn_backward<F: GateFloat>(dh: &[F], h: &[F], da: &mut [F]) {
    for ((o, &d), &hv) in da.iter_mut().zip(dh).zip(h) {
        *o = d * (F::ONE - hv * hv);
    }
}

/// GRU forward for one row. `a` (3H) holds `[W_ir x + b_ir + b_hr | W_iz x + b_iz + b_hz |
/// W_in x + b_in]` and is overwritten with `[r | z | n]`; `gh` (3H) is `W_hh h` (no bias;
/// `None` when h = 0); `b_hn` (H). Writes `ghn = W_hn h + b_hn` (kept for the backward) and
/// h'.
#[inline(always)]
pub(super) fn gru_forward<F: GateFloat>(
    a: &mut [F],
    gh: Option<&[F]>,
    b_hn: &[F],
    h_prev: Option<&[F]>,
    ghn: &mut [F],
    h_out: &mut [F],
) {
    let hn = h_out.len();
    let (ar, rest) = a.split_at_mut(hn);
    let (az, an) = rest.split_at_mut(hn);
    match (gh, h_prev) {
        (Some(gh), Some(hp)) => {
            let (gr, rest) = gh.split_at(hn);
            let (gz, gn) = rest.split_at(hn);
            for j in 0..hn {
                let r = (ar[j] + gr[j]).sigmoid();
                let z = (az[j] + gz[j]).sigmoid();
                let q = gn[j] + b_hn[j];
                let n = (an[j] + r * q).tanh_();
                ar[j] = r;
                az[j] = z;
                an[j] = n;
                ghn[j] = q;
                h_out[j] = (F::ONE - z) * n + z * hp[j];
            }
        }
        _ => {
            for j in 0..hn {
                let r = ar[j].sigmoid();
                let z = az[j].sigmoid();
                let q = b_hn[j];
                let n = (an[j] + r * q).tanh_();
                ar[j] = r;
                az[j] = z;
                an[j] = n;
                ghn[j] = q;
                h_out[j] = (F::ONE - z) * n;
            }
        }
    }
}

/// GRU backward for one row. `g` = `[r | z | n]`, `ghn` as the forward left them, `dh` the
/// gradient of h'. Writes the gradients of the input pre-activations `dgi = [da_r | da_z |
/// dx_n]` and of the recurrent product `dgh = [da_r | da_z | dx_n ⊙ r]`, and adds the direct
/// part `dh ⊙ z` to `dh_prev` (when there is a previous step).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn gru_backward<F: GateFloat>(
    g: &[F],
    ghn: &[F],
    h_prev: Option<&[F]>,
    dh: &[F],
    dgi: &mut [F],
    dgh: &mut [F],
    dh_prev: Option<&mut [F]>,
) {
    let hn = dh.len();
    let (r, rest) = g.split_at(hn);
    let (z, n) = rest.split_at(hn);
    let (dir, rest) = dgi.split_at_mut(hn);
    let (diz, din) = rest.split_at_mut(hn);
    let (dhr, rest) = dgh.split_at_mut(hn);
    let (dhz, dhn) = rest.split_at_mut(hn);
    for j in 0..hn {
        let hp = h_prev.map_or(F::ZERO, |hp| hp[j]);
        let d = dh[j];
        let dn = d * (F::ONE - z[j]);
        let dz = d * (hp - n[j]);
        let dan = dn * (F::ONE - n[j] * n[j]);
        let dar = dan * ghn[j] * r[j] * (F::ONE - r[j]);
        let daz = dz * z[j] * (F::ONE - z[j]);
        dir[j] = dar;
        diz[j] = daz;
        din[j] = dan;
        dhr[j] = dar;
        dhz[j] = daz;
        dhn[j] = dan * r[j];
    }
    if let Some(dp) = dh_prev {
        for j in 0..hn {
            dp[j] += dh[j] * z[j];
        }
    }
}

/// LSTM forward for one row. `a` (4H) holds every pre-activation `[i | f | g | o]` (products
/// and biases) and is overwritten with the activations; writes c', tanh(c') and h'.
#[inline(always)]
pub(super) fn lstm_forward<F: GateFloat>(
    a: &mut [F],
    c_prev: Option<&[F]>,
    c: &mut [F],
    tc: &mut [F],
    h_out: &mut [F],
) {
    let hn = h_out.len();
    let (ai, rest) = a.split_at_mut(hn);
    let (af, rest) = rest.split_at_mut(hn);
    let (ag, ao) = rest.split_at_mut(hn);
    for j in 0..hn {
        let i = ai[j].sigmoid();
        let f = af[j].sigmoid();
        let g = ag[j].tanh_();
        let o = ao[j].sigmoid();
        ai[j] = i;
        af[j] = f;
        ag[j] = g;
        ao[j] = o;
        let cp = c_prev.map_or(F::ZERO, |cp| cp[j]);
        let cv = f * cp + i * g;
        let t = cv.tanh_();
        c[j] = cv;
        tc[j] = t;
        h_out[j] = o * t;
    }
}

/// LSTM backward for one row. `gates` = `[i | f | g | o]` activations, `tc` = tanh(c'),
/// `dh` the gradient of h', `dc` the gradient of c' coming from the next step (0 at the last),
/// overwritten with the gradient of c (the previous cell state). Writes `da` (4H), the
/// gradient of every pre-activation.
#[inline(always)]
pub(super) fn lstm_backward<F: GateFloat>(
    gates: &[F],
    c_prev: Option<&[F]>,
    tc: &[F],
    dh: &[F],
    dc: &mut [F],
    da: &mut [F],
) {
    let hn = dh.len();
    let (i, rest) = gates.split_at(hn);
    let (f, rest) = rest.split_at(hn);
    let (g, o) = rest.split_at(hn);
    let (dai, rest) = da.split_at_mut(hn);
    let (daf, rest) = rest.split_at_mut(hn);
    let (dag, dao) = rest.split_at_mut(hn);
    for j in 0..hn {
        let cp = c_prev.map_or(F::ZERO, |cp| cp[j]);
        let d = dh[j];
        let t = tc[j];
        let dcv = dc[j] + d * o[j] * (F::ONE - t * t);
        dao[j] = d * t * o[j] * (F::ONE - o[j]);
        dai[j] = dcv * g[j] * i[j] * (F::ONE - i[j]);
        dag[j] = dcv * i[j] * (F::ONE - g[j] * g[j]);
        daf[j] = dcv * cp * f[j] * (F::ONE - f[j]);
        dc[j] = dcv * f[j];
    }
}
