//! Parameter names, shapes and the seeded `randn * sigma` initialisation.

use candle_core::{DType, Device, Result, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// The parameters in their canonical order; these are also the tensor names in checkpoints.
pub const PARAM_NAMES: [&str; 5] = ["W_xh", "W_hh", "b_h", "W_hq", "b_q"];

/// Shapes of the parameters for `vocab` tokens and `hiddens` units, in [`PARAM_NAMES`] order.
pub fn param_shapes(vocab: usize, hiddens: usize) -> [Vec<usize>; 5] {
    [
        vec![vocab, hiddens],
        vec![hiddens, hiddens],
        vec![hiddens],
        vec![hiddens, vocab],
        vec![vocab],
    ]
}

/// Number of scalar parameters.
pub fn param_count(vocab: usize, hiddens: usize) -> usize {
    param_shapes(vocab, hiddens)
        .iter()
        .map(|s| s.iter().product::<usize>())
        .sum()
}

/// d2l's initialisation: weights `randn * sigma`, biases zero. candle's CPU `randn` cannot be
/// seeded, so the normal draws come from a seeded ChaCha8 stream, weights in canonical order.
pub fn init_params(
    vocab: usize,
    hiddens: usize,
    sigma: f64,
    seed: u64,
    device: &Device,
    dtype: DType,
) -> Result<[Tensor; 5]> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0f64, sigma).expect("sigma is finite and positive");
    let shapes = param_shapes(vocab, hiddens);
    let make = |i: usize, rng: &mut ChaCha8Rng| -> Result<Tensor> {
        let shape = &shapes[i];
        let n: usize = shape.iter().product();
        let is_bias = shape.len() == 1;
        let data: Vec<f64> = (0..n)
            .map(|_| if is_bias { 0.0 } else { normal.sample(rng) })
            .collect();
        Tensor::from_vec(data, shape.as_slice(), &Device::Cpu)?
            .to_dtype(dtype)?
            .to_device(device)
    };
    Ok([
        make(0, &mut rng)?,
        make(1, &mut rng)?,
        make(2, &mut rng)?,
        make(3, &mut rng)?,
        make(4, &mut rng)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_is_seeded_scaled_and_biases_are_zero() {
        let a = init_params(28, 32, 0.01, 3, &Device::Cpu, DType::F32).unwrap();
        let b = init_params(28, 32, 0.01, 3, &Device::Cpu, DType::F32).unwrap();
        let c = init_params(28, 32, 0.01, 4, &Device::Cpu, DType::F32).unwrap();
        let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(flat(&a[0]), flat(&b[0]));
        assert_ne!(flat(&a[0]), flat(&c[0]));
        assert!(flat(&a[2]).iter().all(|&v| v == 0.0));
        assert!(flat(&a[4]).iter().all(|&v| v == 0.0));
        let w = flat(&a[1]);
        let std = (w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32).sqrt();
        assert!((0.008..0.012).contains(&std), "std {std}");
        assert_eq!(a[3].dims(), &[32, 28]);
        assert_eq!(param_count(28, 32), 28 * 32 + 32 * 32 + 32 + 32 * 28 + 28);
    }
}
