//! `RnnScratch`: the §9.5 recurrence written with candle ops, differentiated by candle's
//! autograd. This is the reference path, and the one that runs on CUDA and Metal.

use candle_core::{DType, Device, Result, Tensor, Var, D};

use super::params::RnnParams;

/// The from-scratch RNN language model: `h_t = tanh(x_t W_xh + h_{t-1} W_hh + b_h)`,
/// `o_t = h_t W_hq + b_q`, with `x_t` one-hot (done as a row gather of `W_xh`).
pub struct RnnScratch {
    pub vocab: usize,
    pub hiddens: usize,
    params: RnnParams<Var>,
}

impl RnnScratch {
    pub fn from_tensors(params: RnnParams) -> Result<Self> {
        let (vocab, hiddens) = params.w_xh.dims2()?;
        let params = params.try_map(|t| Var::from_tensor(&t))?;
        Ok(RnnScratch {
            vocab,
            hiddens,
            params,
        })
    }

    pub fn params(&self) -> &RnnParams<Var> {
        &self.params
    }

    pub fn device(&self) -> &Device {
        self.params.w_xh.device()
    }

    pub fn dtype(&self) -> DType {
        self.params.w_xh.dtype()
    }

    /// Run the recurrence over `x` (`(batch, num_steps)` token ids, `u32`) from `state`
    /// (`(batch, hiddens)`, zeros when `None`). Returns the logits `(batch, num_steps, vocab)`
    /// and the hidden state after every step, each `(batch, hiddens)`.
    pub fn forward(&self, x: &Tensor, state: Option<&Tensor>) -> Result<(Tensor, Vec<Tensor>)> {
        let RnnParams {
            w_xh,
            w_hh,
            b_h,
            w_hq,
            b_q,
        } = &self.params;
        let (batch, steps) = x.dims2()?;
        // x_t W_xh for every step at once: gathering rows of W_xh is the one-hot matmul.
        let ids = x.t()?.contiguous()?.flatten_all()?;
        let inputs = w_xh.index_select(&ids, 0)?.broadcast_add(b_h)?.reshape((
            steps,
            batch,
            self.hiddens,
        ))?;
        let mut h = match state {
            Some(s) => s.clone(),
            None => Tensor::zeros((batch, self.hiddens), self.dtype(), self.device())?,
        };
        let mut hiddens = Vec::with_capacity(steps);
        for t in 0..steps {
            h = (inputs.get(t)? + h.matmul(w_hh)?)?.tanh()?;
            hiddens.push(h.clone());
        }
        // The output layer once over all (batch, step) rows.
        let stacked = Tensor::stack(&hiddens, 1)?.reshape((batch * steps, self.hiddens))?;
        let logits = stacked
            .matmul(w_hq)?
            .broadcast_add(b_q)?
            .reshape((batch, steps, self.vocab))?;
        Ok((logits, hiddens))
    }

    /// Mean cross-entropy of `logits` `(batch, steps, vocab)` against `y` `(batch, steps)`.
    pub fn loss(&self, logits: &Tensor, y: &Tensor) -> Result<Tensor> {
        let logits = logits.reshape(((), self.vocab))?;
        let y = y.flatten_all()?;
        let log_sm = candle_nn::ops::log_softmax(&logits, D::Minus1)?;
        log_sm.gather(&y.unsqueeze(1)?, 1)?.neg()?.mean_all()
    }

    /// Loss and the gradient of every parameter.
    pub fn loss_and_grads(&self, x: &Tensor, y: &Tensor) -> Result<(Tensor, RnnParams)> {
        let (logits, _) = self.forward(x, None)?;
        let loss = self.loss(&logits, y)?;
        let grads = loss.backward()?;
        let get = |v: &Var| -> Result<Tensor> {
            match grads.get(v.as_tensor()) {
                Some(g) => Ok(g.clone()),
                None => v.zeros_like(),
            }
        };
        Ok((loss, self.params.as_ref().try_map(get)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::params::init_params;

    #[test]
    fn shapes_match_section_9_5() {
        let p = init_params(28, 32, 0.01, 0, &Device::Cpu, DType::F32).unwrap();
        let m = RnnScratch::from_tensors(p).unwrap();
        let x = Tensor::zeros((2, 5), DType::U32, &Device::Cpu).unwrap();
        let (logits, hs) = m.forward(&x, None).unwrap();
        assert_eq!(hs.len(), 5);
        for h in &hs {
            assert_eq!(h.dims(), &[2, 32]);
        }
        assert_eq!(logits.dims(), &[2, 5, 28]);
        // Near-zero weights give near-uniform predictions: loss close to ln(28).
        let loss = m.loss(&logits, &x).unwrap().to_scalar::<f32>().unwrap();
        assert!((loss - 28f32.ln()).abs() < 0.01, "{loss}");
    }
}
