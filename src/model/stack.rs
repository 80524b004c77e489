//! Models beyond §9.5: a stack of RNN (tanh), GRU or LSTM layers (d2l §9.5, §10.1–§10.3) on a
//! one-hot or learned-embedding input, with an output layer; parameters named and laid out as
//! PyTorch's `nn.Embedding` / `nn.RNN|GRU|LSTM(num_layers=L)` / `nn.Linear`, so a checkpoint
//! loads with `load_state_dict` and no renaming.
//!
//! [`StackNet`] is the candle-op path (autograd; the reference and the GPU path). It is written
//! with candle ops rather than candle-nn's `GRU`/`LSTM`: those project the input one step at a
//! time (here: all steps of a layer in one matmul, or a row gather for one-hot input), know
//! only layer 0's names for the GRU, and have no embedding or one-hot input.
//!
//! Gate order and math exactly as PyTorch:
//! - GRU (r, z, n): `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`, `h' = (1 − z) ⊙ n + z ⊙ h`;
//! - LSTM (i, f, g, o): `c' = f ⊙ c + i ⊙ g`, `h' = o ⊙ tanh(c')`.

use candle_core::{DType, Device, Result, Tensor, Var, D};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Uniform};

use super::named::NamedParams;
use crate::hparams::{Cell, HParams};

/// A model's architecture: what decides the parameters' names and shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arch {
    pub cell: Cell,
    pub vocab: usize,
    pub hiddens: usize,
    pub layers: usize,
    /// 0: one-hot input.
    pub embed: usize,
}

impl Arch {
    pub fn from_hparams(hp: &HParams, vocab: usize) -> Arch {
        Arch {
            cell: hp.cell,
            vocab,
            hiddens: hp.hiddens,
            layers: hp.layers,
            embed: hp.embed,
        }
    }

    /// d2l §9.5's model: one RNN layer on one-hot input, with the §9.5 names.
    pub fn is_section_9_5(&self) -> bool {
        self.cell == Cell::Rnn && self.layers == 1 && self.embed == 0
    }

    /// Rows of the stacked gate matrices.
    pub fn gate_rows(&self) -> usize {
        self.cell.gates() * self.hiddens
    }

    /// Width of layer `k`'s input.
    pub fn input_width(&self, k: usize) -> usize {
        match (k, self.embed) {
            (0, 0) => self.vocab,
            (0, e) => e,
            _ => self.hiddens,
        }
    }

    /// Every parameter's checkpoint name and shape, in canonical order (the order the
    /// initialisation draws them in and the checkpoint lists them).
    pub fn param_shapes(&self) -> Vec<(String, Vec<usize>)> {
        if self.is_section_9_5() {
            let s = super::params::param_shapes(self.vocab, self.hiddens);
            return super::params::PARAM_NAMES
                .iter()
                .zip(s)
                .map(|(n, s)| (n.to_string(), s))
                .collect();
        }
        let (g, h) = (self.gate_rows(), self.hiddens);
        let mut out = Vec::new();
        if self.embed > 0 {
            out.push(("embedding.weight".into(), vec![self.vocab, self.embed]));
        }
        for k in 0..self.layers {
            out.push((format!("rnn.weight_ih_l{k}"), vec![g, self.input_width(k)]));
            out.push((format!("rnn.weight_hh_l{k}"), vec![g, h]));
            out.push((format!("rnn.bias_ih_l{k}"), vec![g]));
            out.push((format!("rnn.bias_hh_l{k}"), vec![g]));
        }
        out.push(("fc.weight".into(), vec![self.vocab, h]));
        out.push(("fc.bias".into(), vec![self.vocab]));
        out
    }

    /// Number of scalar parameters.
    pub fn param_count(&self) -> usize {
        self.param_shapes()
            .iter()
            .map(|(_, s)| s.iter().product::<usize>())
            .sum()
    }

    /// Fresh parameters drawn from `seed` (one ChaCha8 stream, canonical order): PyTorch's
    /// defaults, `U(−1/√H, 1/√H)` for every recurrent and output weight and bias, `N(0, 1)`
    /// for the embedding. (The §9.5 model keeps d2l's `randn * 0.01`, see
    /// [`super::params::init_params`].)
    pub fn init(&self, seed: u64, device: &Device, dtype: DType) -> Result<NamedParams> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let bound = 1.0 / (self.hiddens as f64).sqrt();
        let uniform = Uniform::new_inclusive(-bound, bound).expect("a finite bound");
        let normal = Normal::new(0.0f64, 1.0).expect("unit normal");
        let mut out = Vec::new();
        for (name, shape) in self.param_shapes() {
            let n: usize = shape.iter().product();
            let data: Vec<f64> = if name == "embedding.weight" {
                (0..n).map(|_| normal.sample(&mut rng)).collect()
            } else {
                (0..n).map(|_| uniform.sample(&mut rng)).collect()
            };
            out.push((
                name,
                super::host::from_f64(data, shape.as_slice(), dtype, device)?,
            ));
        }
        Ok(NamedParams::new(out))
    }
}

/// Where the stacked model's parameters sit in its canonical list.
#[derive(Clone, Copy, Debug)]
pub struct LayerIdx {
    pub w_ih: usize,
    pub w_hh: usize,
    pub b_ih: usize,
    pub b_hh: usize,
}

/// Indices of the parameters in [`Arch::param_shapes`] order.
#[derive(Clone, Debug)]
pub struct Layout {
    pub embedding: Option<usize>,
    pub layers: Vec<LayerIdx>,
    pub fc_w: usize,
    pub fc_b: usize,
}

impl Layout {
    pub fn of(arch: &Arch) -> Layout {
        let base = usize::from(arch.embed > 0);
        let layers = (0..arch.layers)
            .map(|k| LayerIdx {
                w_ih: base + 4 * k,
                w_hh: base + 4 * k + 1,
                b_ih: base + 4 * k + 2,
                b_hh: base + 4 * k + 3,
            })
            .collect();
        let fc_w = base + 4 * arch.layers;
        Layout {
            embedding: (arch.embed > 0).then_some(0),
            layers,
            fc_w,
            fc_b: fc_w + 1,
        }
    }
}

/// Dropout masks for one batch: `mask(layer)` is `(steps * batch, hiddens)` time-major, kept
/// units `1/(1−p)`, dropped 0. Built from [`crate::model::dropout::keep`], the same pure
/// function the fused kernels use.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DropoutDraw {
    pub p: f32,
    pub seed: u64,
}

impl DropoutDraw {
    fn mask(
        &self,
        layer: usize,
        batch: usize,
        steps: usize,
        hiddens: usize,
        dtype: DType,
        device: &Device,
    ) -> Result<Tensor> {
        let d = super::dropout::Dropout {
            p: self.p,
            seed: self.seed,
        };
        // The scale as the fused kernels use it: 1 / (1 − p) rounded once to the weights' type.
        let scale = super::dropout::keep_scale(self.p) as f32 as f64;
        let mut m = vec![0f64; steps * batch * hiddens];
        for (row, out) in m.chunks_exact_mut(hiddens).enumerate() {
            let (t, b) = (row / batch, row % batch);
            d.fill_row(layer, b, t, out, scale, 0.0);
        }
        super::host::from_f64(m, (steps * batch, hiddens), dtype, device)
    }
}

/// The stacked model on candle ops.
pub struct StackNet {
    pub arch: Arch,
    params: Vec<Var>,
    layout: Layout,
}

/// What [`StackNet::forward`] returns besides the logits: per layer, the hidden state after
/// every step (`(batch, hiddens)` each), and for an LSTM the cell state too.
pub struct StackStates {
    pub h: Vec<Vec<Tensor>>,
    pub c: Vec<Vec<Tensor>>,
}

impl StackNet {
    /// From parameters in [`Arch::param_shapes`] order (names and shapes checked).
    pub fn new(arch: Arch, params: &NamedParams) -> Result<Self> {
        let want = arch.param_shapes();
        if want.len() != params.len() {
            candle_core::bail!(
                "expected {} parameters for this model, got {}",
                want.len(),
                params.len()
            );
        }
        for ((name, shape), (n, t)) in want.iter().zip(params.named()) {
            if name != n || t.dims() != shape.as_slice() {
                candle_core::bail!("expected {name} {shape:?}, got {n} {:?}", t.dims().to_vec());
            }
        }
        let params = params
            .iter()
            .map(Var::from_tensor)
            .collect::<Result<Vec<_>>>()?;
        Ok(StackNet {
            layout: Layout::of(&arch),
            arch,
            params,
        })
    }

    pub fn vars(&self) -> &[Var] {
        &self.params
    }

    pub fn device(&self) -> &Device {
        self.params[0].device()
    }

    pub fn dtype(&self) -> DType {
        self.params[0].dtype()
    }

    fn p(&self, i: usize) -> &Tensor {
        self.params[i].as_tensor()
    }

    /// Logits `(steps * batch, vocab)` in time-major row order for `x` `(batch, steps)`, and
    /// every layer's states. `dropout`: training-time masks (none at validation and decoding).
    pub fn forward(
        &self,
        x: &Tensor,
        dropout: Option<DropoutDraw>,
    ) -> Result<(Tensor, StackStates)> {
        let a = self.arch;
        let (batch, steps) = x.dims2()?;
        let h_n = a.hiddens;
        let ids = x.t()?.contiguous()?.flatten_all()?;
        // Layer 0's input projection for every step at once, `(steps * batch, G*H)`.
        let l0 = self.layout.layers[0];
        let mut proj = match self.layout.embedding {
            // One-hot input: x W_ih^T is a gather of W_ih^T's rows.
            None => self.p(l0.w_ih).t()?.contiguous()?.index_select(&ids, 0)?,
            Some(e) => {
                let emb = self.p(e).index_select(&ids, 0)?;
                emb.matmul(&self.p(l0.w_ih).t()?)?
            }
        };
        let mut states = StackStates {
            h: Vec::new(),
            c: Vec::new(),
        };
        let mut out = None;
        for (k, l) in self.layout.layers.iter().enumerate() {
            if k > 0 {
                let below: &Tensor = out.as_ref().expect("a layer below");
                proj = below.matmul(&self.p(l.w_ih).t()?)?;
            }
            let proj_b =
                proj.broadcast_add(self.p(l.b_ih))?
                    .reshape((steps, batch, a.gate_rows()))?;
            let w_hh_t = self.p(l.w_hh).t()?;
            let b_hh = self.p(l.b_hh);
            let mut h = Tensor::zeros((batch, h_n), self.dtype(), self.device())?;
            let mut c = h.clone();
            let (mut hs, mut cs) = (Vec::with_capacity(steps), Vec::new());
            for t in 0..steps {
                let gx = proj_b.get(t)?;
                let gh = h.matmul(&w_hh_t)?.broadcast_add(b_hh)?;
                match a.cell {
                    Cell::Rnn => h = (gx + gh)?.tanh()?,
                    Cell::Gru => {
                        let chunk = |m: &Tensor, i: usize| m.narrow(1, i * h_n, h_n);
                        let r = candle_nn::ops::sigmoid(&(chunk(&gx, 0)? + chunk(&gh, 0)?)?)?;
                        let z = candle_nn::ops::sigmoid(&(chunk(&gx, 1)? + chunk(&gh, 1)?)?)?;
                        let n = (chunk(&gx, 2)? + (r * chunk(&gh, 2)?)?)?.tanh()?;
                        // (1 − z) ⊙ n + z ⊙ h = n + z ⊙ (h − n)
                        h = (&n + (z * (&h - &n)?)?)?;
                    }
                    Cell::Lstm => {
                        let g4 = (gx + gh)?;
                        let chunk = |i: usize| g4.narrow(1, i * h_n, h_n);
                        let i_g = candle_nn::ops::sigmoid(&chunk(0)?)?;
                        let f_g = candle_nn::ops::sigmoid(&chunk(1)?)?;
                        let g_g = chunk(2)?.tanh()?;
                        let o_g = candle_nn::ops::sigmoid(&chunk(3)?)?;
                        c = ((f_g * &c)? + (i_g * g_g)?)?;
                        h = (o_g * c.tanh()?)?;
                        cs.push(c.clone());
                    }
                }
                hs.push(h.clone());
            }
            // `(steps * batch, hiddens)`, time-major.
            let mut seq = Tensor::stack(&hs, 0)?.reshape((steps * batch, h_n))?;
            if let Some(d) = dropout.filter(|d| d.p > 0.0) {
                let mask = d.mask(k, batch, steps, h_n, self.dtype(), self.device())?;
                seq = (seq * mask)?;
            }
            out = Some(seq);
            states.h.push(hs);
            states.c.push(cs);
        }
        let top = out.expect("at least one layer");
        let logits = top
            .matmul(&self.p(self.layout.fc_w).t()?)?
            .broadcast_add(self.p(self.layout.fc_b))?;
        Ok((logits, states))
    }

    /// Mean cross-entropy of time-major `logits` against `y` `(batch, steps)`.
    pub fn loss(&self, logits: &Tensor, y: &Tensor) -> Result<Tensor> {
        let y = y.t()?.contiguous()?.flatten_all()?;
        let log_sm = candle_nn::ops::log_softmax(logits, D::Minus1)?;
        log_sm.gather(&y.unsqueeze(1)?, 1)?.neg()?.mean_all()
    }

    /// Loss and the gradient of every parameter (canonical order).
    pub fn loss_and_grads(
        &self,
        x: &Tensor,
        y: &Tensor,
        dropout: Option<DropoutDraw>,
    ) -> Result<(Tensor, Vec<Tensor>)> {
        let (logits, _) = self.forward(x, dropout)?;
        let loss = self.loss(&logits, y)?;
        let grads = loss.backward()?;
        let g = self
            .params
            .iter()
            .map(|v| match grads.get(v.as_tensor()) {
                Some(g) => Ok(g.clone()),
                None => v.zeros_like(),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((loss, g))
    }
}

/// The stacked model's weights in plain memory, for decoding one sequence at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct StackWeights {
    pub arch: Arch,
    /// Row-major `f32`, [`Arch::param_shapes`] order.
    pub params: Vec<Vec<f32>>,
}

/// One sequence's recurrent state: per layer `h` (and `c` for an LSTM).
#[derive(Clone, Debug, PartialEq)]
pub struct StackState {
    pub h: Vec<Vec<f32>>,
    pub c: Vec<Vec<f32>>,
}

impl StackWeights {
    pub fn zero_state(&self) -> StackState {
        let z = vec![vec![0f32; self.arch.hiddens]; self.arch.layers];
        StackState { h: z.clone(), c: z }
    }

    /// `out[j] = b[j] + sum_i w[j, i] x[i]` for `w` `[rows, x.len()]`.
    fn affine(w: &[f32], b: &[f32], x: &[f32], out: &mut Vec<f32>) {
        let n = x.len();
        out.clear();
        out.extend(b.iter().enumerate().map(|(j, &bj)| {
            bj + w[j * n..(j + 1) * n]
                .iter()
                .zip(x)
                .map(|(a, b)| a * b)
                .sum::<f32>()
        }));
    }

    /// Read token `id`: every layer steps once (no dropout: decoding).
    pub fn step(&self, id: u32, s: &mut StackState) {
        let a = self.arch;
        let lay = Layout::of(&a);
        let (h_n, g) = (a.hiddens, a.gate_rows());
        let p = &self.params;
        let mut input: Vec<f32> = match lay.embedding {
            Some(e) => p[e][id as usize * a.embed..(id as usize + 1) * a.embed].to_vec(),
            None => Vec::new(),
        };
        let (mut gx, mut gh) = (Vec::with_capacity(g), Vec::with_capacity(g));
        for (k, l) in lay.layers.iter().enumerate() {
            if k == 0 && lay.embedding.is_none() {
                // One-hot: column `id` of W_ih.
                let v = a.vocab;
                gx.clear();
                gx.extend((0..g).map(|j| p[l.w_ih][j * v + id as usize] + p[l.b_ih][j]));
            } else {
                Self::affine(&p[l.w_ih], &p[l.b_ih], &input, &mut gx);
            }
            Self::affine(&p[l.w_hh], &p[l.b_hh], &s.h[k], &mut gh);
            let sig = |v: f32| 1.0 / (1.0 + (-v).exp());
            let h = &mut s.h[k];
            match a.cell {
                Cell::Rnn => {
                    for j in 0..h_n {
                        h[j] = (gx[j] + gh[j]).tanh();
                    }
                }
                Cell::Gru => {
                    for j in 0..h_n {
                        let r = sig(gx[j] + gh[j]);
                        let z = sig(gx[h_n + j] + gh[h_n + j]);
                        let n = (gx[2 * h_n + j] + r * gh[2 * h_n + j]).tanh();
                        h[j] = n + z * (h[j] - n);
                    }
                }
                Cell::Lstm => {
                    let c = &mut s.c[k];
                    for j in 0..h_n {
                        let i = sig(gx[j] + gh[j]);
                        let f = sig(gx[h_n + j] + gh[h_n + j]);
                        let gg = (gx[2 * h_n + j] + gh[2 * h_n + j]).tanh();
                        let o = sig(gx[3 * h_n + j] + gh[3 * h_n + j]);
                        c[j] = f * c[j] + i * gg;
                        h[j] = o * c[j].tanh();
                    }
                }
            }
            input.clone_from(h);
        }
    }

    /// The logits `fc.weight h_top + fc.bias`.
    pub fn logits(&self, s: &StackState) -> Vec<f32> {
        let lay = Layout::of(&self.arch);
        let mut out = Vec::new();
        Self::affine(
            &self.params[lay.fc_w],
            &self.params[lay.fc_b],
            &s.h[self.arch.layers - 1],
            &mut out,
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arch(cell: Cell, layers: usize, embed: usize) -> Arch {
        Arch {
            cell,
            vocab: 5,
            hiddens: 3,
            layers,
            embed,
        }
    }

    fn batch() -> (Tensor, Tensor) {
        let x: Vec<u32> = vec![0, 1, 2, 3, 4, 4, 3, 1];
        let y: Vec<u32> = vec![1, 2, 3, 4, 0, 2, 1, 0];
        (
            Tensor::from_vec(x, (2, 4), &Device::Cpu).unwrap(),
            Tensor::from_vec(y, (2, 4), &Device::Cpu).unwrap(),
        )
    }

    /// Central differences in f64 against candle's autograd through the unrolled stack, for
    /// every entry of every parameter.
    fn gradient_check(a: Arch, dropout: Option<DropoutDraw>) {
        // Weights larger than the default so the gates are away from their linear regime.
        let params = a
            .init(7, &Device::Cpu, DType::F64)
            .unwrap()
            .try_map(|t| t.affine(2.0, 0.1))
            .unwrap();
        let (x, y) = batch();
        let net = StackNet::new(a, &params).unwrap();
        let (_, grads) = net.loss_and_grads(&x, &y, dropout).unwrap();
        let loss_at = |p: &NamedParams| -> f64 {
            let n = StackNet::new(a, p).unwrap();
            let (logits, _) = n.forward(&x, dropout).unwrap();
            n.loss(&logits, &y).unwrap().to_scalar::<f64>().unwrap()
        };
        let eps = 1e-6;
        let mut checked = 0;
        for (i, (name, t)) in params.named().enumerate() {
            let base: Vec<f64> = t.flatten_all().unwrap().to_vec1().unwrap();
            let g: Vec<f64> = grads[i].flatten_all().unwrap().to_vec1().unwrap();
            for j in 0..base.len() {
                let shifted = |d: f64| {
                    let mut v = base.clone();
                    v[j] += d;
                    let mut e: Vec<(String, Tensor)> = params
                        .named()
                        .map(|(n, t)| (n.to_owned(), t.clone()))
                        .collect();
                    e[i].1 = Tensor::from_vec(v, t.dims(), &Device::Cpu).unwrap();
                    loss_at(&NamedParams::new(e))
                };
                let fd = (shifted(eps) - shifted(-eps)) / (2.0 * eps);
                assert!(
                    (fd - g[j]).abs() < 1e-6 * (1.0 + fd.abs()),
                    "{:?} {name}[{j}]: autograd {} vs finite difference {fd}",
                    a.cell,
                    g[j]
                );
                checked += 1;
            }
        }
        assert_eq!(checked, a.param_count());
    }

    #[test]
    fn gru_cell_gradients_match_finite_differences() {
        gradient_check(arch(Cell::Gru, 1, 0), None);
    }

    #[test]
    fn lstm_cell_gradients_match_finite_differences() {
        gradient_check(arch(Cell::Lstm, 1, 0), None);
    }

    #[test]
    fn stacks_and_embedding_gradients_match_finite_differences() {
        gradient_check(arch(Cell::Gru, 2, 0), None);
        gradient_check(arch(Cell::Lstm, 2, 2), None);
        gradient_check(arch(Cell::Rnn, 2, 2), None);
        // Fixed masks make dropout differentiable too.
        gradient_check(
            arch(Cell::Lstm, 2, 0),
            Some(DropoutDraw { p: 0.3, seed: 5 }),
        );
    }

    #[test]
    fn names_and_shapes_are_pytorchs() {
        let a = Arch {
            cell: Cell::Lstm,
            vocab: 28,
            hiddens: 32,
            layers: 2,
            embed: 8,
        };
        let names: Vec<(String, Vec<usize>)> = a.param_shapes();
        let expect = [
            ("embedding.weight", vec![28, 8]),
            ("rnn.weight_ih_l0", vec![128, 8]),
            ("rnn.weight_hh_l0", vec![128, 32]),
            ("rnn.bias_ih_l0", vec![128]),
            ("rnn.bias_hh_l0", vec![128]),
            ("rnn.weight_ih_l1", vec![128, 32]),
            ("rnn.weight_hh_l1", vec![128, 32]),
            ("rnn.bias_ih_l1", vec![128]),
            ("rnn.bias_hh_l1", vec![128]),
            ("fc.weight", vec![28, 32]),
            ("fc.bias", vec![28]),
        ];
        assert_eq!(names.len(), expect.len());
        for ((n, s), (en, es)) in names.iter().zip(&expect) {
            assert_eq!((n.as_str(), s), (*en, es));
        }
        let gru = Arch {
            cell: Cell::Gru,
            embed: 0,
            layers: 1,
            ..a
        };
        assert_eq!(gru.param_shapes()[0].1, vec![96, 28]);
        // §9.5 keeps its names.
        let rnn = Arch {
            cell: Cell::Rnn,
            embed: 0,
            layers: 1,
            ..a
        };
        assert_eq!(rnn.param_shapes()[0].0, "W_xh");
        // PyTorch's init bound, seeded.
        let p = gru.init(1, &Device::Cpu, DType::F32).unwrap();
        let w: Vec<f32> = p
            .iter()
            .next()
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let bound = 1.0 / 32f32.sqrt();
        assert!(w.iter().all(|v| v.abs() <= bound));
        assert!(w.iter().any(|v| v.abs() > 0.9 * bound));
        let again = gru.init(1, &Device::Cpu, DType::F32).unwrap();
        assert_eq!(
            again
                .iter()
                .next()
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap(),
            w
        );
    }

    /// Decoding one sequence in plain memory follows the candle forward pass, state by state.
    #[test]
    fn plain_memory_decoding_follows_the_candle_forward_pass() {
        for a in [
            arch(Cell::Gru, 2, 0),
            arch(Cell::Lstm, 2, 3),
            arch(Cell::Rnn, 1, 2),
        ] {
            let params = a.init(3, &Device::Cpu, DType::F32).unwrap();
            let net = StackNet::new(a, &params).unwrap();
            let ids = [0u32, 3, 1, 4, 2];
            let x = Tensor::from_slice(&ids, (1, ids.len()), &Device::Cpu).unwrap();
            let (logits, states) = net.forward(&x, None).unwrap();
            let w = StackWeights {
                arch: a,
                params: params
                    .iter()
                    .map(|t| t.flatten_all().unwrap().to_vec1().unwrap())
                    .collect(),
            };
            let mut s = w.zero_state();
            for (t, &id) in ids.iter().enumerate() {
                w.step(id, &mut s);
                for k in 0..a.layers {
                    let h: Vec<f32> = states.h[k][t].flatten_all().unwrap().to_vec1().unwrap();
                    for (x, y) in h.iter().zip(&s.h[k]) {
                        assert!((x - y).abs() < 1e-5, "{:?} layer {k} step {t}", a.cell);
                    }
                    if a.cell == Cell::Lstm {
                        let c: Vec<f32> = states.c[k][t].flatten_all().unwrap().to_vec1().unwrap();
                        for (x, y) in c.iter().zip(&s.c[k]) {
                            assert!((x - y).abs() < 1e-5);
                        }
                    }
                }
                let l: Vec<f32> = logits.get(t).unwrap().to_vec1().unwrap();
                for (x, y) in l.iter().zip(w.logits(&s)) {
                    assert!((x - y).abs() < 1e-5);
                }
            }
        }
    }

    #[test]
    fn dropout_masks_are_seeded_scaled_and_absent_without_a_draw() {
        let a = arch(Cell::Gru, 2, 0);
        let params = a.init(3, &Device::Cpu, DType::F32).unwrap();
        let net = StackNet::new(a, &params).unwrap();
        let (x, y) = batch();
        let loss = |d: Option<DropoutDraw>| {
            let (l, _) = net.forward(&x, d).unwrap();
            net.loss(&l, &y).unwrap().to_scalar::<f32>().unwrap()
        };
        let d = |seed| Some(DropoutDraw { p: 0.5, seed });
        assert_eq!(loss(d(1)).to_bits(), loss(d(1)).to_bits());
        assert_ne!(loss(d(1)), loss(d(2)));
        assert_ne!(loss(d(1)), loss(None));
        // p = 0 is exactly no dropout.
        assert_eq!(
            loss(Some(DropoutDraw { p: 0.0, seed: 1 })).to_bits(),
            loss(None).to_bits()
        );
        let m = d(4)
            .unwrap()
            .mask(0, 2, 4, 3, DType::F32, &Device::Cpu)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert!(m.iter().all(|&v| v == 0.0 || v == 2.0));
        assert!(m.contains(&0.0) && m.contains(&2.0));
    }
}
