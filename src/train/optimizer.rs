//! The update rule: d2l's SGD (`p -= lr * g`) or Adam (Kingma & Ba, as `torch.optim.Adam`:
//! betas 0.9 / 0.999, eps 1e-8, bias-corrected). The learning rate is passed at every step, so
//! it stays live-editable. Adam's moments and step count are saved with each checkpoint
//! (`optimizer.safetensors`) so a resumed run continues exactly.

use candle_core::{Result, Tensor};

use crate::hparams::Optimizer as Kind;
use crate::model::{Gradients, LanguageModel, NamedParams};
use crate::runs::OptimizerState;

pub const BETA1: f64 = 0.9;
pub const BETA2: f64 = 0.999;
pub const EPS: f64 = 1e-8;

/// Adam's first and second moments, one per parameter, and the steps taken.
#[derive(Clone, Debug)]
pub struct AdamState {
    pub step: u64,
    pub m: Vec<Tensor>,
    pub v: Vec<Tensor>,
}

pub struct Optimizer {
    kind: Kind,
    adam: Option<AdamState>,
}

impl Optimizer {
    pub fn new(kind: Kind) -> Self {
        Optimizer { kind, adam: None }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Move the weights of `model` against `grads` with learning rate `lr`.
    pub fn step(&mut self, model: &mut LanguageModel, grads: &Gradients, lr: f64) -> Result<()> {
        match self.kind {
            Kind::Sgd => model.sgd_step(grads, lr),
            Kind::Adam => {
                let vars = model.vars();
                let st = match &mut self.adam {
                    Some(s) => s,
                    None => {
                        let zeros = vars
                            .iter()
                            .map(|v| v.as_tensor().zeros_like())
                            .collect::<Result<Vec<_>>>()?;
                        self.adam.insert(AdamState {
                            step: 0,
                            m: zeros.clone(),
                            v: zeros,
                        })
                    }
                };
                st.step += 1;
                let t = st.step as i32;
                let c1 = 1.0 - BETA1.powi(t);
                let c2 = 1.0 - BETA2.powi(t);
                for (i, (p, g)) in vars.into_iter().zip(&grads.0).enumerate() {
                    let m = (st.m[i].affine(BETA1, 0.0)? + g.affine(1.0 - BETA1, 0.0)?)?;
                    let v = (st.v[i].affine(BETA2, 0.0)? + g.sqr()?.affine(1.0 - BETA2, 0.0)?)?;
                    // p -= lr * (m / c1) / (sqrt(v / c2) + eps)
                    let denom = v.affine(1.0 / c2, 0.0)?.sqrt()?.affine(1.0, EPS)?;
                    let update = (m.affine(lr / c1, 0.0)? / denom)?;
                    p.set(&(p.as_tensor() - update)?)?;
                    st.m[i] = m;
                    st.v[i] = v;
                }
                Ok(())
            }
        }
    }

    /// What a checkpoint keeps (`None` for SGD, or Adam before its first step).
    pub fn state(&self, names: &NamedParams) -> Result<Option<OptimizerState>> {
        let Some(st) = &self.adam else {
            return Ok(None);
        };
        let mut entries = Vec::new();
        for (prefix, moments) in [("m", &st.m), ("v", &st.v)] {
            for (name, t) in names.names().zip(moments) {
                entries.push((format!("{prefix}.{name}"), crate::model::host::to_host(t)?));
            }
        }
        Ok(Some(OptimizerState {
            kind: self.kind.name().into(),
            step: st.step,
            moments: NamedParams::new(entries),
        }))
    }

    /// Continue from a checkpoint's state, its moments moved to `device`.
    pub fn restore(
        &mut self,
        state: Option<&OptimizerState>,
        names: &NamedParams,
        device: &candle_core::Device,
    ) -> Result<()> {
        let Some(s) = state else {
            self.adam = None;
            return Ok(());
        };
        if s.kind != self.kind.name() {
            candle_core::bail!(
                "the saved optimizer state is {}'s but the run uses {}",
                s.kind,
                self.kind.name()
            );
        }
        let get = |prefix: &str| -> Result<Vec<Tensor>> {
            names
                .names()
                .map(|n| {
                    let key = format!("{prefix}.{n}");
                    match s.moments.get(&key) {
                        Some(t) => t.to_device(device),
                        None => candle_core::bail!("the optimizer state has no {key}"),
                    }
                })
                .collect()
        };
        self.adam = Some(AdamState {
            step: s.step,
            m: get("m")?,
            v: get("v")?,
        });
        Ok(())
    }

    /// The moments as they are now (cheap: tensors are shared, each step makes new ones), to
    /// roll back to with [`Optimizer::rewind`].
    pub fn mark(&self) -> Option<AdamState> {
        self.adam.clone()
    }

    pub fn rewind(&mut self, mark: Option<AdamState>) {
        self.adam = mark;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Vocab;
    use crate::model::init_params;
    use candle_core::{DType, Device};

    /// Two Adam steps on a tiny model against the formula computed by hand in f64.
    #[test]
    fn adam_matches_a_hand_computed_step() {
        let vocab = Vocab::from_text("ab");
        let params = init_params(vocab.len(), 2, 0.5, 3, &Device::Cpu, DType::F32).unwrap();
        let mut lm = LanguageModel::from_params(vocab, params).unwrap();
        let before: Vec<Vec<f32>> = lm
            .params()
            .unwrap()
            .iter()
            .map(|t| t.flatten_all().unwrap().to_vec1().unwrap())
            .collect();
        let grad_vals: Vec<Vec<f32>> = before
            .iter()
            .map(|p| (0..p.len()).map(|i| 0.3 - 0.2 * i as f32).collect())
            .collect();
        let grads = Gradients::on_host(
            lm.params()
                .unwrap()
                .iter()
                .zip(&grad_vals)
                .map(|(t, g)| Tensor::from_slice(g, t.dims(), &Device::Cpu).unwrap())
                .collect::<Vec<_>>(),
        );
        let mut opt = Optimizer::new(Kind::Adam);
        let lr = 0.01;
        opt.step(&mut lm, &grads, lr).unwrap();
        opt.step(&mut lm, &grads, lr).unwrap();
        let after: Vec<Vec<f32>> = lm
            .params()
            .unwrap()
            .iter()
            .map(|t| t.flatten_all().unwrap().to_vec1().unwrap())
            .collect();
        for ((b, a), g) in before.iter().zip(&after).zip(&grad_vals) {
            for ((&b, &a), &g) in b.iter().zip(a).zip(g) {
                let (g, mut p, mut m, mut v) = (g as f64, b as f64, 0.0, 0.0);
                for t in 1..=2 {
                    m = 0.9 * m + 0.1 * g;
                    v = 0.999 * v + 0.001 * g * g;
                    let mh = m / (1.0 - 0.9f64.powi(t));
                    let vh = v / (1.0 - 0.999f64.powi(t));
                    p -= lr * mh / (vh.sqrt() + 1e-8);
                }
                assert!((a as f64 - p).abs() < 1e-6, "{a} vs {p} (g {g})");
                // With a constant gradient each Adam step moves by about lr.
                if g.abs() > 1e-3 {
                    assert!(((b as f64 - a as f64).abs() - 2.0 * lr).abs() < 1e-4);
                }
            }
        }
        let st = opt.state(&lm.params().unwrap()).unwrap().unwrap();
        assert_eq!(st.step, 2);
        assert_eq!(st.moments.len(), 10);
        assert!(st.moments.get("m.W_hh").is_some() && st.moments.get("v.b_q").is_some());
        // SGD keeps no state.
        assert!(Optimizer::new(Kind::Sgd)
            .state(&lm.params().unwrap())
            .unwrap()
            .is_none());
    }
}
