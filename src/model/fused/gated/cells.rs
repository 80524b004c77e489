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

/// Lanes per chunk of the row loops: one AVX2 vector of f32.
const W: usize = 8;

/// Runs `f` over every element of a row of length `n`: `io` slices are read and written back,
/// `ins` are read, `outs` are written. Whole chunks of [`W`] elements are copied into local
/// arrays first, so the compiler sees no aliasing and turns each chunk into vector
/// instructions (with a dozen separate slices it would otherwise fall back to scalar code); the
/// last `n % W` elements run one by one through the same `f`.
#[inline(always)]
fn map_lanes<F: GateFloat, const NIO: usize, const NI: usize, const NO: usize>(
    n: usize,
    io: [&mut [F]; NIO],
    ins: [&[F]; NI],
    outs: [&mut [F]; NO],
    f: impl Fn([F; NIO], [F; NI]) -> ([F; NIO], [F; NO]),
) {
    let io = io.map(|s| &mut s[..n]);
    let ins = ins.map(|s| &s[..n]);
    let outs = outs.map(|s| &mut s[..n]);
    let mut j = 0;
    while j + W <= n {
        let xio: [[F; W]; NIO] = std::array::from_fn(|q| io[q][j..j + W].try_into().unwrap());
        let xin: [[F; W]; NI] = std::array::from_fn(|q| ins[q][j..j + W].try_into().unwrap());
        let mut yio = [[F::ZERO; W]; NIO];
        let mut yout = [[F::ZERO; W]; NO];
        for l in 0..W {
            let (a, b) = f(
                std::array::from_fn(|q| xio[q][l]),
                std::array::from_fn(|q| xin[q][l]),
            );
            for q in 0..NIO {
                yio[q][l] = a[q];
            }
            for q in 0..NO {
                yout[q][l] = b[q];
            }
        }
        for q in 0..NIO {
            io[q][j..j + W].copy_from_slice(&yio[q]);
        }
        for q in 0..NO {
            outs[q][j..j + W].copy_from_slice(&yout[q]);
        }
        j += W;
    }
    while j < n {
        let (a, b) = f(
            std::array::from_fn(|q| io[q][j]),
            std::array::from_fn(|q| ins[q][j]),
        );
        for q in 0..NIO {
            io[q][j] = a[q];
        }
        for q in 0..NO {
            outs[q][j] = b[q];
        }
        j += 1;
    }
}

/// The first `G` blocks of `hn` elements of a row of gates (`hn` > 0).
#[inline(always)]
fn gate_blocks<F, const G: usize>(row: &[F], hn: usize) -> [&[F]; G] {
    std::array::from_fn(|q| &row[q * hn..(q + 1) * hn])
}

/// [`gate_blocks`], writable.
#[inline(always)]
fn gate_blocks_mut<F, const G: usize>(row: &mut [F], hn: usize) -> [&mut [F]; G] {
    let mut blocks = row[..G * hn].chunks_exact_mut(hn);
    std::array::from_fn(|_| blocks.next().expect("G blocks"))
}

/// RNN forward: `h' = tanh(a)`.
#[inline(always)]
pub(super) fn rnn_forward<F: GateFloat>(a: &[F], h_out: &mut [F]) {
    for (o, &v) in h_out.iter_mut().zip(a) {
        *o = v.tanh_();
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
/// W_in x + b_in]`; `gh` (3H) is `W_hh h` (no bias; zeros when h = 0); `b_hn` (H). Writes the
/// activations `act = [r | z | n]` and `ghn = W_hn h + b_hn` (kept for the backward), and h'.
#[inline(always)]
pub(super) fn gru_forward<F: GateFloat>(
    a: &[F],
    gh: &[F],
    b_hn: &[F],
    h_prev: &[F],
    act: &mut [F],
    ghn: &mut [F],
    h_out: &mut [F],
) {
    let hn = h_out.len();
    let [ar, az, an] = gate_blocks(a, hn);
    let [gr, gz, gn] = gate_blocks(gh, hn);
    let [r_out, z_out, n_out] = gate_blocks_mut(act, hn);
    map_lanes(
        hn,
        [],
        [ar, az, an, gr, gz, gn, b_hn, h_prev],
        [r_out, z_out, n_out, ghn, h_out],
        |[], [ar, az, an, gr, gz, gn, b, hp]| {
            let r = (ar + gr).sigmoid();
            let z = (az + gz).sigmoid();
            let q = gn + b;
            let n = (an + r * q).tanh_();
            ([], [r, z, n, q, (F::ONE - z) * n + z * hp])
        },
    );
}

/// GRU backward for one row. `g` = `[r | z | n]`, `ghn` as the forward left them, `h_prev`
/// (zeros at the first step), `dh` the gradient of h'. Writes the gradients of the input
/// pre-activations `dgi = [da_r | da_z | dx_n]` and the new part of the recurrent product's,
/// `dghn = dx_n ⊙ r` (the whole is `[da_r | da_z | dx_n ⊙ r]`: its first 2H are `dgi`'s),
/// and adds the direct part `dh ⊙ z` to `dh_prev`.
#[inline(always)]
pub(super) fn gru_backward<F: GateFloat>(
    g: &[F],
    ghn: &[F],
    h_prev: &[F],
    dh: &[F],
    dgi: &mut [F],
    dghn: &mut [F],
    dh_prev: &mut [F],
) {
    let hn = dh.len();
    let [r, z, n] = gate_blocks(g, hn);
    let [dir, diz, din] = gate_blocks_mut(dgi, hn);
    map_lanes(
        hn,
        [dh_prev],
        [r, z, n, ghn, h_prev, dh],
        [dir, diz, din, dghn],
        |[dhp], [r, z, n, q, hp, d]| {
            let dn = d * (F::ONE - z);
            let dz = d * (hp - n);
            let dan = dn * (F::ONE - n * n);
            let dar = dan * q * r * (F::ONE - r);
            let daz = dz * z * (F::ONE - z);
            ([dhp + d * z], [dar, daz, dan, dan * r])
        },
    );
}

/// LSTM forward for one row. `a` (4H) holds every pre-activation `[i | f | g | o]` (products
/// and biases); `c_prev` is zeros at the first step. Writes the activations `act`, c',
/// tanh(c') and h'.
#[inline(always)]
pub(super) fn lstm_forward<F: GateFloat>(
    a: &[F],
    c_prev: &[F],
    act: &mut [F],
    c: &mut [F],
    tc: &mut [F],
    h_out: &mut [F],
) {
    let hn = h_out.len();
    let [ai, af, ag, ao] = gate_blocks(a, hn);
    let [i_out, f_out, g_out, o_out] = gate_blocks_mut(act, hn);
    map_lanes(
        hn,
        [],
        [ai, af, ag, ao, c_prev],
        [i_out, f_out, g_out, o_out, c, tc, h_out],
        |[], [ai, af, ag, ao, cp]| {
            let i = ai.sigmoid();
            let f = af.sigmoid();
            let g = ag.tanh_();
            let o = ao.sigmoid();
            let cv = f * cp + i * g;
            let t = cv.tanh_();
            ([], [i, f, g, o, cv, t, o * t])
        },
    );
}

/// LSTM backward for one row. `gates` = `[i | f | g | o]` activations, `c_prev` (zeros at
/// the first step), `tc` = tanh(c'), `dh` the gradient of h', `dc` the gradient of c' coming
/// from the next step (0 at the last), overwritten with the gradient of c (the previous cell
/// state). Writes `da` (4H), the gradient of every pre-activation.
#[inline(always)]
pub(super) fn lstm_backward<F: GateFloat>(
    gates: &[F],
    c_prev: &[F],
    tc: &[F],
    dh: &[F],
    dc: &mut [F],
    da: &mut [F],
) {
    let hn = dh.len();
    let [i, f, g, o] = gate_blocks(gates, hn);
    let [dai, daf, dag, dao] = gate_blocks_mut(da, hn);
    map_lanes(
        hn,
        [dc],
        [i, f, g, o, c_prev, tc, dh],
        [dai, daf, dag, dao],
        |[dc], [i, f, g, o, cp, t, d]| {
            let dcv = dc + d * o * (F::ONE - t * t);
            (
                [dcv * f],
                [
                    dcv * g * i * (F::ONE - i),
                    dcv * cp * f * (F::ONE - f),
                    dcv * i * (F::ONE - g * g),
                    d * t * o * (F::ONE - o),
                ],
            )
        },
    );
}
