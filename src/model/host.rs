//! The one place where training-device tensors become host numbers, and host numbers become
//! training-device tensors.
//!
//! The rule it keeps: nothing wider than f32 is ever created on the training device. candle's
//! Metal backend cannot cast F32 to F64 at all, and f64 on a GPU is slow where it exists, so
//! every widening to f64 happens here, after the values have reached the CPU. Everything else
//! on the candle path computes in the weights' dtype; `tests/no_f64_on_device.rs` checks that
//! no other file of the path converts dtypes or names F64.

use candle_core::{bail, DType, Device, Result, Shape, Tensor};

/// Read f32 scalars (0-dim tensors on one device) to the host in one transfer, widened to
/// f64. The trainer calls this once per batch with the loss, the gradient norm and the clip
/// scale, so a GPU waits for the host once per batch instead of once per number.
pub fn read_scalars(scalars: &[Tensor]) -> Result<Vec<f64>> {
    match scalars {
        [] => Ok(Vec::new()),
        [one] => Ok(vec![scalar(one)?]),
        many => Ok(Tensor::stack(many, 0)?
            .to_vec1::<f32>()?
            .into_iter()
            .map(f64::from)
            .collect()),
    }
}

/// One 0-dim tensor as an f64: f32 is copied as it is and widened here; any other dtype is
/// moved to the CPU before it is converted.
pub fn scalar(t: &Tensor) -> Result<f64> {
    if t.dtype() == DType::F32 {
        return Ok(f64::from(t.to_scalar::<f32>()?));
    }
    t.to_device(&Device::Cpu)?
        .to_dtype(DType::F64)?
        .to_scalar::<f64>()
}

/// A copy of `t` on the CPU that later in-place updates of `t` (a `Var` set by SGD) do not
/// reach. candle's `to_device` onto the device a tensor is already on shares its storage, so
/// CPU tensors are copied explicitly.
pub fn to_host(t: &Tensor) -> Result<Tensor> {
    if t.device().is_cpu() {
        t.copy()
    } else {
        t.to_device(&Device::Cpu)
    }
}

/// `t`'s values, row-major, as host `f32`: copied to the CPU first, converted there.
pub fn to_vec_f32(t: &Tensor) -> Result<Vec<f32>> {
    let host = t.to_device(&Device::Cpu)?.flatten_all()?;
    if host.dtype() == DType::F32 {
        host.to_vec1::<f32>()
    } else {
        host.to_dtype(DType::F32)?.to_vec1::<f32>()
    }
}

/// Whether every value of `t` is finite (no NaN, no ±inf), checked on the host.
pub fn all_finite(t: &Tensor) -> Result<bool> {
    let host = t.to_device(&Device::Cpu)?.flatten_all()?;
    Ok(match host.dtype() {
        DType::F32 => host.to_vec1::<f32>()?.iter().all(|v| v.is_finite()),
        _ => host
            .to_dtype(DType::F64)?
            .to_vec1::<f64>()?
            .iter()
            .all(|v| v.is_finite()),
    })
}

/// `sum(t^2)` in f64, for gradients that already live in host memory (the fused CPU kernel's).
/// Refuses a tensor on another device: there the sum is taken in f32 on the device.
pub fn sum_of_squares_f64(t: &Tensor) -> Result<f64> {
    if !t.device().is_cpu() {
        bail!("sum_of_squares_f64 is for host tensors; on a GPU the norm is taken in f32")
    }
    t.to_dtype(DType::F64)?.sqr()?.sum_all()?.to_scalar::<f64>()
}

/// A tensor of `dtype` on `device` from host f64 values: converted on the CPU, then copied.
pub fn from_f64(
    data: Vec<f64>,
    shape: impl Into<Shape>,
    dtype: DType,
    device: &Device,
) -> Result<Tensor> {
    Tensor::from_vec(data, shape, &Device::Cpu)?
        .to_dtype(dtype)?
        .to_device(device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_read_gives_every_scalar_widened() {
        let d = Device::Cpu;
        let ts = [
            Tensor::new(1.5f32, &d).unwrap(),
            Tensor::new(0.1f32, &d).unwrap(),
            Tensor::new(f32::NAN, &d).unwrap(),
        ];
        let v = read_scalars(&ts).unwrap();
        assert_eq!(v[0], 1.5);
        assert_eq!(v[1], f64::from(0.1f32));
        assert!(v[2].is_nan());
        assert_eq!(read_scalars(&ts[..1]).unwrap(), vec![1.5]);
        assert!(read_scalars(&[]).unwrap().is_empty());
    }

    #[test]
    fn host_copies_do_not_follow_later_updates() {
        let var = candle_core::Var::new(&[1f32, 2.0], &Device::Cpu).unwrap();
        let copy = to_host(var.as_tensor()).unwrap();
        var.set(&Tensor::new(&[5f32, 6.0], &Device::Cpu).unwrap())
            .unwrap();
        assert_eq!(copy.to_vec1::<f32>().unwrap(), vec![1.0, 2.0]);
    }

    #[test]
    fn finiteness_is_exact_even_where_an_f32_sum_would_overflow() {
        let big = Tensor::new(&[f32::MAX, f32::MAX], &Device::Cpu).unwrap();
        assert!(all_finite(&big).unwrap());
        let nan = Tensor::new(&[1f32, f32::NAN], &Device::Cpu).unwrap();
        assert!(!all_finite(&nan).unwrap());
    }
}
