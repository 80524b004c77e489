//! The RNN's parameters as one named struct, their names and shapes, and the seeded
//! `randn * sigma` initialisation.

use candle_core::{DType, Device, Result, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// The parameters in their canonical order; these are also the tensor names in checkpoints.
pub const PARAM_NAMES: [&str; 5] = ["W_xh", "W_hh", "b_h", "W_hq", "b_q"];

/// The five parameters of the §9.5 RNN, one field each (llm.c keeps its parameters the same
/// way). `T` is what is held per parameter: a [`Tensor`] (the default), a `Var`, a host
/// `Vec<f32>`, a gradient, or a borrowed slice.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RnnParams<T = Tensor> {
    /// Input-to-hidden weights, vocab×hiddens.
    pub w_xh: T,
    /// Hidden-to-hidden weights, hiddens×hiddens.
    pub w_hh: T,
    /// Hidden bias, hiddens.
    pub b_h: T,
    /// Hidden-to-output weights, hiddens×vocab.
    pub w_hq: T,
    /// Output bias, vocab.
    pub b_q: T,
}

impl<T> RnnParams<T> {
    /// From the five values in [`PARAM_NAMES`] order.
    pub fn from_array([w_xh, w_hh, b_h, w_hq, b_q]: [T; 5]) -> Self {
        RnnParams {
            w_xh,
            w_hh,
            b_h,
            w_hq,
            b_q,
        }
    }

    /// The five values in [`PARAM_NAMES`] order.
    pub fn into_array(self) -> [T; 5] {
        [self.w_xh, self.w_hh, self.b_h, self.w_hq, self.b_q]
    }

    /// Borrowed, in [`PARAM_NAMES`] order.
    pub fn as_array(&self) -> [&T; 5] {
        [&self.w_xh, &self.w_hh, &self.b_h, &self.w_hq, &self.b_q]
    }

    /// Mutably borrowed, in [`PARAM_NAMES`] order.
    pub fn as_array_mut(&mut self) -> [&mut T; 5] {
        [
            &mut self.w_xh,
            &mut self.w_hh,
            &mut self.b_h,
            &mut self.w_hq,
            &mut self.b_q,
        ]
    }

    /// Every value with its checkpoint name, in [`PARAM_NAMES`] order.
    pub fn named(&self) -> [(&'static str, &T); 5] {
        let [a, b, c, d, e] = self.as_array();
        let [na, nb, nc, nd, ne] = PARAM_NAMES;
        [(na, a), (nb, b), (nc, c), (nd, d), (ne, e)]
    }

    /// The values in [`PARAM_NAMES`] order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.as_array().into_iter()
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> RnnParams<U> {
        RnnParams::from_array(self.into_array().map(f))
    }

    /// [`RnnParams::map`] with a fallible function; stops at the first error.
    pub fn try_map<U, E>(
        self,
        mut f: impl FnMut(T) -> std::result::Result<U, E>,
    ) -> std::result::Result<RnnParams<U>, E> {
        let [a, b, c, d, e] = self.into_array();
        Ok(RnnParams {
            w_xh: f(a)?,
            w_hh: f(b)?,
            b_h: f(c)?,
            w_hq: f(d)?,
            b_q: f(e)?,
        })
    }

    pub fn as_ref(&self) -> RnnParams<&T> {
        RnnParams::from_array(self.as_array())
    }
}

impl<T> IntoIterator for RnnParams<T> {
    type Item = T;
    type IntoIter = std::array::IntoIter<T, 5>;

    /// The values in [`PARAM_NAMES`] order.
    fn into_iter(self) -> Self::IntoIter {
        self.into_array().into_iter()
    }
}

impl<'a, T> IntoIterator for &'a RnnParams<T> {
    type Item = &'a T;
    type IntoIter = std::array::IntoIter<&'a T, 5>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_array().into_iter()
    }
}

/// Shapes of the parameters for `vocab` tokens and `hiddens` units.
pub fn param_shapes(vocab: usize, hiddens: usize) -> RnnParams<Vec<usize>> {
    RnnParams {
        w_xh: vec![vocab, hiddens],
        w_hh: vec![hiddens, hiddens],
        b_h: vec![hiddens],
        w_hq: vec![hiddens, vocab],
        b_q: vec![vocab],
    }
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
) -> Result<RnnParams> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0f64, sigma).expect("sigma is finite and positive");
    // One stream drawn in canonical order: the order is part of what a seed means.
    param_shapes(vocab, hiddens).try_map(|shape| -> Result<Tensor> {
        let n: usize = shape.iter().product();
        let is_bias = shape.len() == 1;
        let data: Vec<f64> = (0..n)
            .map(|_| {
                if is_bias {
                    0.0
                } else {
                    normal.sample(&mut rng)
                }
            })
            .collect();
        // Drawn in f64 on the host, converted there: the device only sees `dtype`.
        super::host::from_f64(data, shape.as_slice(), dtype, device)
    })
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
        assert_eq!(flat(&a.w_xh), flat(&b.w_xh));
        assert_ne!(flat(&a.w_xh), flat(&c.w_xh));
        assert!(flat(&a.b_h).iter().all(|&v| v == 0.0));
        assert!(flat(&a.b_q).iter().all(|&v| v == 0.0));
        let w = flat(&a.w_hh);
        let std = (w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32).sqrt();
        assert!((0.008..0.012).contains(&std), "std {std}");
        assert_eq!(a.w_hq.dims(), &[32, 28]);
        assert_eq!(param_count(28, 32), 28 * 32 + 32 * 32 + 32 + 32 * 28 + 28);
    }
}
