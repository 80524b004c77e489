//! `LanguageModel`: the parameters plus the compute path that trains them. The trainer talks
//! only to this type, so the recurrence behind it can change without the trainer knowing.

use candle_core::{DType, Device, Result, Tensor, Var};

use super::fused::gated::{self, GatedDims, GatedKernel, GatedParams};
use super::fused::{FusedRnn, GradsBuf, ParamsRef};
use super::host;
use super::named::NamedParams;
use super::params::{init_params, param_shapes, RnnParams};
use super::scratch::RnnScratch;
use super::snapshot::ModelSnapshot;
use super::stack::{Arch, DropoutDraw, StackNet, StackWeights};
use crate::data::{Batch, Vocab};
use crate::hparams::{Cell, HParams};

/// d2l's initialisation scale for the weights.
pub const INIT_SIGMA: f64 = 0.01;

/// Gradients of the mean loss, one tensor per parameter, and where their numbers live.
#[derive(Clone, Debug)]
pub struct Gradients(pub Vec<Tensor>, Residence);

/// Where gradients were computed, which decides where their norm is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Residence {
    /// In host memory (the fused CPU kernel's buffers): the norm is summed in f64 on the host.
    Host,
    /// On the training device (the candle path): the norm is summed in f32 there.
    Device,
}

impl Gradients {
    /// Gradients the fused CPU kernel computed in host memory.
    pub fn on_host(grads: impl IntoIterator<Item = Tensor>) -> Self {
        Gradients(grads.into_iter().collect(), Residence::Host)
    }

    /// Gradients the candle path computed on the training device.
    pub fn on_device(grads: impl IntoIterator<Item = Tensor>) -> Self {
        Gradients(grads.into_iter().collect(), Residence::Device)
    }

    pub fn is_on_host(&self) -> bool {
        self.1 == Residence::Host
    }

    /// `sqrt(sum of g^2)` over every entry of every parameter's gradient, read to the host.
    pub fn global_norm(&self) -> Result<f64> {
        if self.is_on_host() {
            let mut sum = 0f64;
            for g in &self.0 {
                sum += host::sum_of_squares_f64(g)?;
            }
            return Ok(sum.sqrt());
        }
        host::scalar(&self.device_norm()?)
    }

    /// The global norm as a 0-dim tensor on the gradients' device, in their dtype, without
    /// waiting for it. Each matrix is summed by rows first and then over the row sums, which
    /// keeps the f32 rounding error near that of an f64 sum (a flat running f32 sum over tens
    /// of thousands of squares would not be).
    pub fn device_norm(&self) -> Result<Tensor> {
        let sums = self
            .0
            .iter()
            .map(|g| {
                let sq = g.sqr()?;
                if sq.rank() == 2 {
                    sq.sum(1)?.sum_all()
                } else {
                    sq.sum_all()
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Tensor::stack(&sums, 0)?.sum_all()?.sqrt()
    }

    /// Multiply every gradient by `factor`.
    pub fn scale(&mut self, factor: f64) -> Result<()> {
        for g in self.0.iter_mut() {
            *g = g.affine(factor, 0.0)?;
        }
        Ok(())
    }

    /// Multiply every gradient by `factor`, a one-element tensor on their device: the clip
    /// scale is applied where it was computed, with no round trip through the host.
    pub fn scale_by(&mut self, factor: &Tensor) -> Result<()> {
        for g in self.0.iter_mut() {
            *g = g.broadcast_mul(factor)?;
        }
        Ok(())
    }
}

/// A batch's mean loss where the compute path left it; [`BatchLoss::read`] brings it to the
/// host.
#[derive(Clone, Debug)]
pub enum BatchLoss {
    /// The fused kernel computed it on the host.
    Host(f64),
    /// The candle path's 0-dim tensor, still on the training device.
    Device(Tensor),
}

impl BatchLoss {
    pub fn read(&self) -> Result<f64> {
        match self {
            BatchLoss::Host(v) => Ok(*v),
            BatchLoss::Device(t) => host::scalar(t),
        }
    }
}

/// Which implementation computes the loss and gradients.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ComputePath {
    /// The fused kernel on CPU, candle ops elsewhere.
    #[default]
    Auto,
    /// candle ops and autograd (any device): the reference.
    Candle,
    /// The fused CPU kernel (CPU only).
    Fused,
}

impl ComputePath {
    /// What this path needs of the device, for [`crate::device::select_for`]: the kernel's name
    /// when it runs on the CPU only.
    pub fn cpu_only(self) -> crate::device::CpuOnlyKernel<'static> {
        (self == ComputePath::Fused).then_some(self.name())
    }

    pub fn name(self) -> &'static str {
        match self {
            ComputePath::Auto => "auto",
            ComputePath::Candle => "candle",
            ComputePath::Fused => "fused",
        }
    }
}

/// The fused kernel's reusable buffers: host copies of the weights and the gradients.
struct FusedState {
    kernel: FusedRnn<f32>,
    weights: RnnParams<Vec<f32>>,
    grads: GradsBuf<f32>,
}

/// The engine behind a [`LanguageModel`]: the network, and the fused kernel's buffers when
/// that kernel computes it. One value, so only the four real engines can be written: candle
/// §9.5, fused §9.5, candle stack, fused gated (a §9.5 network never holds the gated kernel's
/// buffers, nor a stack the §9.5 kernel's). The compute path is decided once, by
/// [`LanguageModel::set_compute_path`], and read from here.
enum Engine {
    /// d2l §9.5's RNN with its own names; `fused`: the fused §9.5 kernel computes it, else
    /// candle ops and autograd.
    Rnn {
        net: RnnScratch,
        fused: Option<Box<FusedState>>,
    },
    /// A stack of RNN / GRU / LSTM layers (PyTorch names); `gated`: the fused gated kernel
    /// computes it, else candle ops.
    Stack {
        net: StackNet,
        gated: Option<Box<GatedState>>,
    },
}

/// The gated kernel's reusable buffers: host copies of the weights and the gradients.
struct GatedState {
    kernel: GatedKernel<f32>,
    weights: GatedParams<f32>,
    grads: GatedParams<f32>,
}

pub struct LanguageModel {
    pub vocab: Vocab,
    arch: Arch,
    engine: Engine,
    /// Dropout of the next training batch (`None`: none). Never applied by [`Self::loss`].
    dropout: Option<DropoutDraw>,
}

impl LanguageModel {
    /// A fresh model with d2l's `randn * 0.01` weights drawn from `seed`.
    pub fn new(vocab: Vocab, hiddens: usize, seed: u64, device: &Device) -> Result<Self> {
        let params = init_params(vocab.len(), hiddens, INIT_SIGMA, seed, device, DType::F32)?;
        Self::from_params(vocab, params)
    }

    /// Like [`LanguageModel::new`], computing with `path`.
    pub fn with_path(
        vocab: Vocab,
        hiddens: usize,
        seed: u64,
        device: &Device,
        path: ComputePath,
    ) -> Result<Self> {
        let mut lm = Self::new(vocab, hiddens, seed, device)?;
        lm.set_compute_path(path)?;
        Ok(lm)
    }

    /// A fresh model of the architecture `hp` describes (cell, layers, embedding, hiddens),
    /// initialised from `hp.seed`. The §9.5 model is exactly [`LanguageModel::new`]'s.
    pub fn for_hparams(vocab: Vocab, hp: &HParams, device: &Device) -> Result<Self> {
        let arch = Arch::from_hparams(hp, vocab.len());
        if arch.is_section_9_5() {
            return Self::new(vocab, hp.hiddens, hp.seed, device);
        }
        let params = arch.init(hp.seed, device, DType::F32)?;
        Self::from_named(vocab, arch, params)
    }

    /// Switch implementation. `Auto` picks the fused kernel for f32 weights on the CPU.
    pub fn set_compute_path(&mut self, path: ComputePath) -> Result<()> {
        let dtype = match &self.engine {
            Engine::Rnn { net, .. } => net.dtype(),
            Engine::Stack { net, .. } => net.dtype(),
        };
        let fusable = self.device().is_cpu() && dtype == DType::F32;
        let fused = match path {
            ComputePath::Candle => false,
            ComputePath::Auto => fusable,
            ComputePath::Fused if fusable => true,
            ComputePath::Fused => {
                candle_core::bail!("the fused kernel runs on the CPU only: use --kernel candle")
            }
        };
        match &mut self.engine {
            Engine::Rnn { fused: state, .. } => {
                *state = fused.then(|| {
                    Box::new(FusedState {
                        kernel: FusedRnn::new(),
                        weights: Default::default(),
                        grads: GradsBuf::default(),
                    })
                });
            }
            Engine::Stack { gated: state, .. } => {
                *state = fused.then(|| {
                    Box::new(GatedState {
                        kernel: GatedKernel::new(),
                        weights: GatedParams::default(),
                        grads: GatedParams::default(),
                    })
                });
            }
        }
        Ok(())
    }

    /// The implementation in use: `ComputePath::Candle` or `ComputePath::Fused`.
    pub fn compute_path(&self) -> ComputePath {
        match &self.engine {
            Engine::Rnn { fused: Some(_), .. } | Engine::Stack { gated: Some(_), .. } => {
                ComputePath::Fused
            }
            Engine::Rnn { fused: None, .. } | Engine::Stack { gated: None, .. } => {
                ComputePath::Candle
            }
        }
    }

    /// The §9.5 model from its five parameters. Computes with the candle path; call
    /// [`LanguageModel::set_compute_path`] to change.
    pub fn from_params(vocab: Vocab, params: RnnParams) -> Result<Self> {
        let net = RnnScratch::from_tensors(params)?;
        if net.vocab != vocab.len() {
            candle_core::bail!(
                "weights are for {} tokens but the vocabulary has {}",
                net.vocab,
                vocab.len()
            );
        }
        let arch = Arch {
            cell: Cell::Rnn,
            vocab: net.vocab,
            hiddens: net.hiddens,
            layers: 1,
            embed: 0,
        };
        Ok(LanguageModel {
            vocab,
            arch,
            engine: Engine::Rnn { net, fused: None },
            dropout: None,
        })
    }

    /// Any model from its named parameters ([`Arch::param_shapes`] names, order and shapes).
    /// Computes with the candle path.
    pub fn from_named(vocab: Vocab, arch: Arch, params: NamedParams) -> Result<Self> {
        if arch.vocab != vocab.len() {
            candle_core::bail!(
                "weights are for {} tokens but the vocabulary has {}",
                arch.vocab,
                vocab.len()
            );
        }
        if arch.is_section_9_5() {
            let Some(p) = params.to_rnn() else {
                candle_core::bail!("the §9.5 model's parameters are W_xh, W_hh, b_h, W_hq, b_q");
            };
            return Self::from_params(vocab, p);
        }
        let net = StackNet::new(arch, &params)?;
        Ok(LanguageModel {
            vocab,
            arch,
            engine: Engine::Stack { net, gated: None },
            dropout: None,
        })
    }

    pub fn arch(&self) -> &Arch {
        &self.arch
    }

    pub fn hiddens(&self) -> usize {
        self.arch.hiddens
    }

    pub fn device(&self) -> &Device {
        match &self.engine {
            Engine::Rnn { net, .. } => net.device(),
            Engine::Stack { net, .. } => net.device(),
        }
    }

    /// The §9.5 network (`None` for the stacked models).
    pub fn net(&self) -> Option<&RnnScratch> {
        match &self.engine {
            Engine::Rnn { net, .. } => Some(net),
            Engine::Stack { .. } => None,
        }
    }

    /// The stacked network (`None` for the §9.5 model).
    pub fn stack(&self) -> Option<&StackNet> {
        match &self.engine {
            Engine::Rnn { .. } => None,
            Engine::Stack { net, .. } => Some(net),
        }
    }

    /// Dropout for the next training batches: drop probability `p` (0: none) with the masks of
    /// `seed` (the trainer draws one per batch). Validation, evaluation and decoding never
    /// drop.
    pub fn set_dropout(&mut self, p: f64, seed: u64) {
        self.dropout = (p > 0.0).then_some(DropoutDraw { p: p as f32, seed });
    }

    /// The trainable variables, in canonical order.
    pub fn vars(&self) -> Vec<&Var> {
        match &self.engine {
            Engine::Rnn { net, .. } => net.params().iter().collect(),
            Engine::Stack { net, .. } => net.vars().iter().collect(),
        }
    }

    fn names(&self) -> Vec<String> {
        self.arch
            .param_shapes()
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    /// The gated kernel's shapes for this model and a batch.
    fn gated_dims(&self, batch: usize, steps: usize) -> GatedDims {
        let a = &self.arch;
        GatedDims {
            cell: match a.cell {
                Cell::Rnn => gated::Cell::Rnn,
                Cell::Gru => gated::Cell::Gru,
                Cell::Lstm => gated::Cell::Lstm,
            },
            vocab: a.vocab,
            embed: a.embed,
            hidden: a.hiddens,
            layers: a.layers,
            batch,
            steps,
        }
    }

    /// Copy the stacked model's weights into the gated kernel's host buffers.
    fn load_gated_weights(stack: &StackNet, dims: &GatedDims, g: &mut GatedState) -> Result<()> {
        g.weights.resize_zero(dims);
        for (dst, v) in g.weights.tensors_mut().into_iter().zip(stack.vars()) {
            *dst = host::to_vec_f32(v.as_tensor())?;
        }
        Ok(())
    }

    /// The batch's inputs and targets as `[batch, steps]` tensors on `device` (candle paths).
    fn batch_tensors(batch: &Batch, device: &Device) -> Result<(Tensor, Tensor)> {
        let shape = (batch.batch_size, batch.num_steps);
        Ok((
            Tensor::from_slice(&batch.x, shape, device)?,
            Tensor::from_slice(&batch.y, shape, device)?,
        ))
    }

    /// Copy the weights into the fused kernel's host buffers.
    fn load_host_weights(net: &RnnScratch, fused: &mut FusedState) -> Result<()> {
        for (dst, p) in fused.weights.as_array_mut().into_iter().zip(net.params()) {
            *dst = host::to_vec_f32(p.as_tensor())?;
        }
        Ok(())
    }

    fn params_ref<'a>(net: &RnnScratch, w: &'a RnnParams<Vec<f32>>) -> ParamsRef<'a, f32> {
        ParamsRef::new(w, net.vocab, net.hiddens)
    }

    /// Mean cross-entropy of the batch and the gradient of every parameter.
    pub fn loss_and_grads(&mut self, batch: &Batch) -> Result<(f64, Gradients)> {
        let (loss, grads) = self.forward_backward(batch)?;
        Ok((loss.read()?, grads))
    }

    /// Like [`LanguageModel::loss_and_grads`], leaving the loss where it was computed, so the
    /// trainer can read it together with the gradient norm (see `train::clip_and_read`).
    pub fn forward_backward(&mut self, batch: &Batch) -> Result<(BatchLoss, Gradients)> {
        let dims = self.gated_dims(batch.batch_size, batch.num_steps);
        let dropout = self.dropout;
        match &mut self.engine {
            Engine::Stack {
                net,
                gated: Some(g),
            } => {
                Self::load_gated_weights(net, &dims, g)?;
                let dropout = dropout.and_then(|d| super::dropout::Dropout::new(d.p, d.seed));
                let loss = g.kernel.loss_and_grads(
                    &dims,
                    &g.weights,
                    &batch.x,
                    &batch.y,
                    dropout,
                    &mut g.grads,
                );
                let dev = net.device();
                let grads = g
                    .grads
                    .named(&dims)
                    .into_iter()
                    .map(|(_, shape, t)| Tensor::from_slice(t, shape.as_slice(), dev))
                    .collect::<Result<Vec<_>>>()?;
                Ok((BatchLoss::Host(loss as f64), Gradients::on_host(grads)))
            }
            Engine::Stack { net, gated: None } => {
                let (x, y) = Self::batch_tensors(batch, net.device())?;
                let (loss, grads) = net.loss_and_grads(&x, &y, dropout)?;
                Ok((BatchLoss::Device(loss), Gradients::on_device(grads)))
            }
            Engine::Rnn {
                net,
                fused: Some(fused),
            } => {
                Self::load_host_weights(net, fused)?;
                let p = Self::params_ref(net, &fused.weights);
                let loss = fused.kernel.loss_and_grads(
                    &p,
                    &batch.x,
                    &batch.y,
                    batch.batch_size,
                    batch.num_steps,
                    &mut fused.grads,
                );
                let (g, dev) = (&fused.grads, net.device());
                let s = param_shapes(net.vocab, net.hiddens);
                let grads = RnnParams {
                    w_xh: Tensor::from_slice(&g.w_xh, s.w_xh.as_slice(), dev)?,
                    w_hh: Tensor::from_slice(&g.w_hh, s.w_hh.as_slice(), dev)?,
                    b_h: Tensor::from_slice(&g.b_h, s.b_h.as_slice(), dev)?,
                    w_hq: Tensor::from_slice(&g.w_hq, s.w_hq.as_slice(), dev)?,
                    b_q: Tensor::from_slice(&g.b_q, s.b_q.as_slice(), dev)?,
                };
                Ok((BatchLoss::Host(loss as f64), Gradients::on_host(grads)))
            }
            Engine::Rnn { net, fused: None } => {
                let (x, y) = Self::batch_tensors(batch, net.device())?;
                let (loss, grads) = net.loss_and_grads(&x, &y)?;
                Ok((BatchLoss::Device(loss), Gradients::on_device(grads)))
            }
        }
    }

    /// Mean cross-entropy of the batch, no gradients and no dropout (validation).
    pub fn loss(&mut self, batch: &Batch) -> Result<f64> {
        let dims = self.gated_dims(batch.batch_size, batch.num_steps);
        match &mut self.engine {
            Engine::Stack {
                net,
                gated: Some(g),
            } => {
                Self::load_gated_weights(net, &dims, g)?;
                let loss = g.kernel.forward_loss(&dims, &g.weights, &batch.x, &batch.y);
                Ok(loss as f64)
            }
            Engine::Stack { net, gated: None } => {
                let (x, y) = Self::batch_tensors(batch, net.device())?;
                let (logits, _) = net.forward(&x, None)?;
                host::scalar(&net.loss(&logits, &y)?)
            }
            Engine::Rnn {
                net,
                fused: Some(fused),
            } => {
                Self::load_host_weights(net, fused)?;
                let p = Self::params_ref(net, &fused.weights);
                let loss =
                    fused
                        .kernel
                        .loss(&p, &batch.x, &batch.y, batch.batch_size, batch.num_steps);
                Ok(loss as f64)
            }
            Engine::Rnn { net, fused: None } => {
                let (x, y) = Self::batch_tensors(batch, net.device())?;
                let (logits, _) = net.forward(&x, None)?;
                host::scalar(&net.loss(&logits, &y)?)
            }
        }
    }

    /// Plain SGD: `p -= lr * g`.
    pub fn sgd_step(&mut self, grads: &Gradients, lr: f64) -> Result<()> {
        for (p, g) in self.vars().into_iter().zip(&grads.0) {
            p.set(&(p.as_tensor() - g.affine(lr, 0.0)?)?)?;
        }
        Ok(())
    }

    /// Current weights, detached copies, with their checkpoint names.
    pub fn params(&self) -> Result<NamedParams> {
        let t = self
            .vars()
            .into_iter()
            .map(|p| p.as_tensor().copy())
            .collect::<Result<Vec<_>>>()?;
        Ok(NamedParams::new(self.names().into_iter().zip(t).collect()))
    }

    /// Overwrite the weights (same shapes), e.g. to roll back to the last good ones.
    pub fn set_params(&mut self, params: &NamedParams) -> Result<()> {
        for (p, v) in self.vars().into_iter().zip(params) {
            p.set(v)?;
        }
        Ok(())
    }

    /// Copies of the weights on the host (the CPU), e.g. for a checkpoint: the copy happens
    /// first, so whatever the checkpoint does with them (conversions, checks) runs there.
    pub fn host_params(&self) -> Result<NamedParams> {
        let t = self
            .vars()
            .into_iter()
            .map(|p| host::to_host(p.as_tensor()))
            .collect::<Result<Vec<_>>>()?;
        Ok(NamedParams::new(self.names().into_iter().zip(t).collect()))
    }

    /// Copy the weights to plain memory for decoding and display.
    pub fn snapshot(&self) -> Result<ModelSnapshot> {
        let net = match &self.engine {
            Engine::Rnn { net, .. } => net,
            Engine::Stack { net: stack, .. } => {
                let params = stack
                    .vars()
                    .iter()
                    .map(|v| host::to_vec_f32(v.as_tensor()))
                    .collect::<Result<Vec<_>>>()?;
                return Ok(ModelSnapshot {
                    vocab: self.vocab.clone(),
                    hiddens: self.arch.hiddens,
                    w_xh: Vec::new(),
                    w_hh: Vec::new(),
                    b_h: Vec::new(),
                    w_hq: Vec::new(),
                    b_q: Vec::new(),
                    stack: Some(std::sync::Arc::new(StackWeights {
                        arch: self.arch,
                        params,
                    })),
                });
            }
        };
        let p = net.params();
        let flat = |v: &candle_core::Var| host::to_vec_f32(v.as_tensor());
        Ok(ModelSnapshot {
            vocab: self.vocab.clone(),
            hiddens: net.hiddens,
            w_xh: flat(&p.w_xh)?,
            w_hh: flat(&p.w_hh)?,
            b_h: flat(&p.b_h)?,
            w_hq: flat(&p.w_hq)?,
            b_q: flat(&p.b_q)?,
            stack: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Corpus, CorpusSource, Dataset};

    #[test]
    fn snapshot_decoding_follows_the_tensor_forward_pass() {
        let c = Corpus::load(&CorpusSource::TimeMachine).unwrap();
        let vocab = Vocab::from_text(&c.text);
        // Larger weights than d2l's so the states are far from zero and the check bites.
        let params = init_params(vocab.len(), 16, 0.5, 9, &Device::Cpu, DType::F32).unwrap();
        let lm = LanguageModel::from_params(vocab.clone(), params).unwrap();
        let snap = lm.snapshot().unwrap();
        let done = snap.complete("it has", 10).unwrap();
        assert_eq!(done.tokens.len(), 16);
        assert_eq!(done.prefix(), "it has");
        let ids = vocab.encode(&done.text());
        let x = Tensor::from_slice(&ids, (1, ids.len()), &Device::Cpu).unwrap();
        let (logits, hs) = lm.net().unwrap().forward(&x, None).unwrap();
        for (t, h) in hs.iter().enumerate() {
            let h: Vec<f32> = h.flatten_all().unwrap().to_vec1().unwrap();
            for (a, b) in h.iter().zip(&done.hidden[t]) {
                assert!((a - b).abs() < 1e-5, "step {t}: {a} vs {b}");
            }
        }
        // Each generated character is the argmax of the logits one step earlier.
        let am = logits
            .argmax(2)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<u32>()
            .unwrap();
        for t in 6..16 {
            assert_eq!(ids[t], am[t - 1], "step {t}");
        }
        let _ = Dataset::new(vocab, &c.text, 32, 10_000, 5_000).unwrap();
    }

    #[test]
    fn unknown_characters_and_empty_prefix() {
        let vocab = Vocab::from_text("ab ");
        let params = init_params(vocab.len(), 4, 0.01, 0, &Device::Cpu, DType::F32).unwrap();
        let lm = LanguageModel::from_params(vocab, params).unwrap();
        let snap = lm.snapshot().unwrap();
        let c = snap.complete("a!", 3).unwrap();
        assert_eq!(c.tokens[1], "<unk>");
        assert_eq!(c.hidden.len(), 5);
        assert!(snap.complete("", 3).is_err());
    }

    #[test]
    fn sgd_step_moves_weights_against_the_gradient() {
        let vocab = Vocab::from_text("ab ");
        let params = init_params(vocab.len(), 4, 0.3, 1, &Device::Cpu, DType::F32).unwrap();
        let mut lm = LanguageModel::from_params(vocab, params).unwrap();
        let batch = Batch {
            x: vec![2, 3, 0, 2],
            y: vec![3, 0, 2, 3],
            batch_size: 2,
            num_steps: 2,
        };
        let before = lm.params().unwrap();
        let (l0, g) = lm.loss_and_grads(&batch).unwrap();
        lm.sgd_step(&g, 0.5).unwrap();
        let after = lm.params().unwrap();
        let expect = (before.get("W_hh").unwrap() - g.0[1].affine(0.5, 0.0).unwrap()).unwrap();
        let d = (after.get("W_hh").unwrap().clone() - expect)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap();
        assert!(d.to_scalar::<f32>().unwrap() < 1e-7);
        assert!(lm.loss(&batch).unwrap() < l0);
    }
}
