//! Gradient clipping by the global L2 norm, exactly as d2l's `clip_gradients`:
//! `norm = sqrt(sum over all params of sum(g^2))`; if `norm > theta`, every `g *= theta / norm`.
//! `theta = 0` turns clipping off (d2l's trainer reads `gradient_clip_val=0` so): the norm is
//! still measured and reported.

use candle_core::{Result, Tensor};

use crate::model::host;
use crate::model::{BatchLoss, Gradients};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipOutcome {
    /// The norm before clipping.
    pub norm: f64,
    /// Whether the gradients were scaled (only when clipping is on and `norm > theta`).
    pub clipped: bool,
}

/// Clip `grads` to `theta` and report the norm (reads it to the host).
pub fn clip_gradients(grads: &mut Gradients, theta: f64) -> Result<ClipOutcome> {
    Ok(clip_reading(None, grads, theta)?.1)
}

/// One training step's reading: clip `grads` to `theta` and bring the batch's loss, the norm
/// and the clip decision to the host together. On the candle path that is one device→host
/// transfer per batch: the norm and the clip scale are computed in f32 on the device, the
/// scale is applied there, and the three numbers are read at once.
pub fn clip_and_read(
    loss: &BatchLoss,
    grads: &mut Gradients,
    theta: f64,
) -> Result<(f64, ClipOutcome)> {
    match loss {
        BatchLoss::Device(t) => {
            let (loss, clip) = clip_reading(Some(t), grads, theta)?;
            Ok((loss.unwrap_or(f64::NAN), clip))
        }
        BatchLoss::Host(v) => Ok((*v, clip_gradients(grads, theta)?)),
    }
}

/// Clip, reading `loss` (a 0-dim tensor on the gradients' device) along with the norm.
fn clip_reading(
    loss: Option<&Tensor>,
    grads: &mut Gradients,
    theta: f64,
) -> Result<(Option<f64>, ClipOutcome)> {
    let on = theta > 0.0;
    if grads.is_on_host() {
        // The fused kernel's gradients: the norm is summed in f64 on the host, as always.
        let norm = grads.global_norm()?;
        let clipped = on && norm > theta;
        if clipped {
            grads.scale(theta / norm)?;
        }
        let loss = loss.map(host::scalar).transpose()?;
        return Ok((loss, ClipOutcome { norm, clipped }));
    }
    let norm = grads.device_norm()?;
    let mut scalars = vec![norm.clone()];
    scalars.extend(loss.cloned());
    if on {
        // theta / max(norm, theta): exactly 1 at or below the threshold (x / x is exact),
        // theta / norm above it. Scaling by 1 leaves the gradients as they were.
        let theta_t = norm.ones_like()?.affine(0.0, theta)?;
        let scale = (&theta_t / norm.maximum(&theta_t)?)?;
        grads.scale_by(&scale)?;
        scalars.push(scale);
    }
    let read = host::read_scalars(&scalars)?;
    let norm = read[0];
    let loss = loss.map(|_| read[1]);
    // A scale below 1 is the device's own clip decision, so the report matches what was done.
    let clipped = on && read[read.len() - 1] < 1.0;
    Ok((loss, ClipOutcome { norm, clipped }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RnnParams;
    use candle_core::{Device, Tensor};

    /// The same gradients as the fused kernel (host) and the candle path (device) hand them
    /// over: every check below runs on both.
    fn both(scale: f32) -> [Gradients; 2] {
        [
            Gradients::on_host(params(scale)),
            Gradients::on_device(params(scale)),
        ]
    }

    fn params(scale: f32) -> RnnParams {
        let t = |v: &[f32]| {
            Tensor::new(
                v.iter().map(|x| x * scale).collect::<Vec<_>>(),
                &Device::Cpu,
            )
            .unwrap()
        };
        // Norm over all five tensors: sqrt(9 + 16 + 0 + 144 + 0) = 13 (times scale).
        RnnParams::from_array([t(&[3.0]), t(&[4.0]), t(&[0.0]), t(&[12.0, 0.0]), t(&[0.0])])
    }

    fn values(g: &Gradients) -> Vec<f32> {
        g.0.iter()
            .flat_map(|t| t.to_vec1::<f32>().unwrap())
            .collect()
    }

    #[test]
    fn norm_spans_all_parameters_and_scaling_is_exact() {
        for mut g in both(1.0) {
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
    }

    #[test]
    fn no_clip_at_or_below_threshold() {
        for mut g in both(1.0) {
            let out = clip_gradients(&mut g, 13.0).unwrap();
            assert!(!out.clipped, "norm == theta is not clipped (d2l uses >)");
            assert_eq!(values(&g), values(&both(1.0)[0]));
        }
        for mut g in both(0.01) {
            assert!(!clip_gradients(&mut g, 1.0).unwrap().clipped);
        }
    }

    #[test]
    fn a_zero_threshold_turns_clipping_off() {
        for mut g in both(100.0) {
            let out = clip_gradients(&mut g, 0.0).unwrap();
            assert!(!out.clipped);
            assert!((out.norm - 1300.0).abs() < 1e-3, "{}", out.norm);
            assert_eq!(values(&g), values(&both(100.0)[0]), "gradients untouched");
        }
    }

    #[test]
    fn one_reading_carries_the_loss_the_norm_and_the_decision() {
        let loss = BatchLoss::Device(Tensor::new(2.5f32, &Device::Cpu).unwrap());
        let [_, mut g] = both(1.0);
        let (l, out) = clip_and_read(&loss, &mut g, 1.0).unwrap();
        assert_eq!(l, 2.5);
        assert_eq!(out.norm, 13.0);
        assert!(out.clipped);
        let [_, mut g] = both(1.0);
        let (l, out) = clip_and_read(&loss, &mut g, 0.0).unwrap();
        assert_eq!((l, out.clipped), (2.5, false));
        let [mut g, _] = both(1.0);
        let (l, out) = clip_and_read(&BatchLoss::Host(1.25), &mut g, 20.0).unwrap();
        assert_eq!((l, out.norm, out.clipped), (1.25, 13.0, false));
    }
}
