//! Gradient clipping by the global L2 norm, exactly as d2l's `clip_gradients`:
//! `norm = sqrt(sum over all params of sum(g^2))`; if `norm > theta`, every `g *= theta / norm`.
//! `theta = 0` turns clipping off (d2l's trainer reads `gradient_clip_val=0` so): the norm is
//! still measured and reported.

use candle_core::Result;

use crate::model::Gradients;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipOutcome {
    /// The norm before clipping.
    pub norm: f64,
    /// Whether the gradients were scaled (only when clipping is on and `norm > theta`).
    pub clipped: bool,
}

pub fn clip_gradients(grads: &mut Gradients, theta: f64) -> Result<ClipOutcome> {
    let norm = grads.global_norm()?;
    let clipped = theta > 0.0 && norm > theta;
    if clipped {
        grads.scale(theta / norm)?;
    }
    Ok(ClipOutcome { norm, clipped })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RnnParams;
    use candle_core::{Device, Tensor};

    fn grads(scale: f32) -> Gradients {
        let t = |v: &[f32]| {
            Tensor::new(
                v.iter().map(|x| x * scale).collect::<Vec<_>>(),
                &Device::Cpu,
            )
            .unwrap()
        };
        // Norm over all five tensors: sqrt(9 + 16 + 0 + 144 + 0) = 13 (times scale).
        Gradients(RnnParams::from_array([
            t(&[3.0]),
            t(&[4.0]),
            t(&[0.0]),
            t(&[12.0, 0.0]),
            t(&[0.0]),
        ]))
    }

    fn values(g: &Gradients) -> Vec<f32> {
        g.0.iter()
            .flat_map(|t| t.to_vec1::<f32>().unwrap())
            .collect()
    }

    #[test]
    fn norm_spans_all_parameters_and_scaling_is_exact() {
        let mut g = grads(1.0);
        let out = clip_gradients(&mut g, 1.0).unwrap();
        assert!((out.norm - 13.0).abs() < 1e-9);
        assert!(out.clipped);
        let v = values(&g);
        let expect = [3.0 / 13.0, 4.0 / 13.0, 0.0, 12.0 / 13.0, 0.0, 0.0];
        for (a, b) in v.iter().zip(expect) {
            assert!((a - b).abs() < 1e-7, "{a} vs {b}");
        }
        assert!((g.global_norm().unwrap() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn no_clip_at_or_below_threshold() {
        let mut g = grads(1.0);
        let out = clip_gradients(&mut g, 13.0).unwrap();
        assert!(!out.clipped, "norm == theta is not clipped (d2l uses >)");
        assert_eq!(values(&g), values(&grads(1.0)));
        let mut g = grads(0.01);
        assert!(!clip_gradients(&mut g, 1.0).unwrap().clipped);
    }

    #[test]
    fn a_zero_threshold_turns_clipping_off() {
        let mut g = grads(100.0);
        let out = clip_gradients(&mut g, 0.0).unwrap();
        assert!(!out.clipped);
        assert!((out.norm - 1300.0).abs() < 1e-3, "{}", out.norm);
        assert_eq!(values(&g), values(&grads(100.0)), "gradients untouched");
    }
}
