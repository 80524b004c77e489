//! The element type of the fused kernel and its elementwise building blocks: fast `tanh` and
//! `exp` for `f32`, and row max / row sum / row add written so they vectorise.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// Floating-point element type of the fused kernel (`f32` or `f64`).
pub trait FusedFloat:
    Copy
    + Send
    + Sync
    + 'static
    + Default
    + Debug
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + sealed::Sealed
{
    const ZERO: Self;
    const ONE: Self;
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
    /// In-place `tanh` over a slice.
    fn tanh_inplace(a: &mut [Self]);
    /// In-place `exp` over a slice; inputs are `<= 0` (softmax after max subtraction).
    fn exp_nonpos_inplace(a: &mut [Self]);
    /// The slice as `f32`, when that is the element type: the packed product's SIMD
    /// microkernel exists for `f32` only.
    fn as_f32(s: &[Self]) -> Option<&[f32]>;
    fn as_f32_mut(s: &mut [Self]) -> Option<&mut [f32]>;
}

impl FusedFloat for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    fn tanh_inplace(a: &mut [Self]) {
        for v in a {
            *v = v.tanh();
        }
    }
    fn exp_nonpos_inplace(a: &mut [Self]) {
        for v in a {
            *v = v.exp();
        }
    }
    fn as_f32(_: &[Self]) -> Option<&[f32]> {
        None
    }
    fn as_f32_mut(_: &mut [Self]) -> Option<&mut [f32]> {
        None
    }
}

impl FusedFloat for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn tanh_inplace(a: &mut [Self]) {
        for v in a {
            *v = fast_tanh_f32(*v);
        }
    }
    #[inline(always)]
    fn exp_nonpos_inplace(a: &mut [Self]) {
        for v in a {
            *v = fast_exp_nonpos_f32(*v);
        }
    }
    #[inline(always)]
    fn as_f32(s: &[Self]) -> Option<&[f32]> {
        Some(s)
    }
    #[inline(always)]
    fn as_f32_mut(s: &mut [Self]) -> Option<&mut [f32]> {
        Some(s)
    }
}

/// Rational approximation of tanh for f32 (the one used by Eigen / XLA),
/// max relative error a few ulp. Branch-free so loops over it vectorise.
#[inline(always)]
#[allow(clippy::excessive_precision)]
pub(super) fn fast_tanh_f32(x_in: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    let x = if x_in > CLAMP { CLAMP } else { x_in };
    let x = if x < -CLAMP { -CLAMP } else { x };
    let x2 = x * x;
    let mut p = -2.760_768_5e-16_f32;
    p = p * x2 + 2.000_187_9e-13;
    p = p * x2 + -8.604_671_5e-11;
    p = p * x2 + 5.122_297e-8;
    p = p * x2 + 1.485_722_4e-5;
    p = p * x2 + 6.372_619_3e-4;
    p = p * x2 + 4.893_524_6e-3;
    p *= x;
    let mut q = 1.198_258_4e-6_f32;
    q = q * x2 + 1.185_347_1e-4;
    q = q * x2 + 2.268_434_6e-3;
    q = q * x2 + 4.893_525e-3;
    let r = p / q;
    // For tiny |x| the rational form loses relative accuracy; tanh(x) == x there.
    if x_in.abs() < 4.0e-4 {
        x_in
    } else {
        r
    }
}

/// exp(x) for x <= 0 (f32), vectorisable: Cody–Waite reduction + degree-7 Taylor,
/// max relative error ~2e-7. Returns 0 for x < -87.
#[inline(always)]
pub(super) fn fast_exp_nonpos_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const MAGIC: f32 = 12_582_912.0; // 1.5 * 2^23: add/sub rounds to nearest integer
    let xc = if x < -87.0 { -87.0 } else { x };
    let t = xc * LOG2E + MAGIC;
    let n = t - MAGIC;
    let r = xc - n * LN2_HI - n * LN2_LO;
    let mut p = 1.0 / 5040.0_f32;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // 2^n: the low mantissa bits of t hold n (two's complement around 0x4B40_0000).
    let ni = t.to_bits().wrapping_sub(0x4B40_0000);
    let scale = f32::from_bits(ni.wrapping_add(127) << 23);
    let e = p * scale;
    if x < -87.0 {
        0.0
    } else {
        e
    }
}

/// Max of a row, with 8 independent lanes so it vectorises (rows are short: V≈28).
#[inline(always)]
pub(super) fn row_max<F: FusedFloat>(row: &[F]) -> F {
    let mut acc = [row[0]; 8];
    let mut it = row.chunks_exact(8);
    for c in &mut it {
        for j in 0..8 {
            acc[j] = if c[j] > acc[j] { c[j] } else { acc[j] };
        }
    }
    for (j, &z) in it.remainder().iter().enumerate() {
        acc[j] = if z > acc[j] { z } else { acc[j] };
    }
    let mut m = acc[0];
    for &a in &acc[1..] {
        m = if a > m { a } else { m };
    }
    m
}

/// Sum of a row with 8 independent accumulators (vectorisable, short dependency chain).
#[inline(always)]
pub(super) fn row_sum<F: FusedFloat>(row: &[F]) -> F {
    let mut acc = [F::ZERO; 8];
    let mut it = row.chunks_exact(8);
    for c in &mut it {
        for j in 0..8 {
            acc[j] += c[j];
        }
    }
    for (j, &z) in it.remainder().iter().enumerate() {
        acc[j] += z;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// `dst += src`, elementwise.
#[inline(always)]
pub(super) fn add_into<F: FusedFloat>(dst: &mut [F], src: &[F]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}
