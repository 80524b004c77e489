//! Choosing where tensors live: CPU by default, CUDA or Metal when built with that feature.

use candle_core::Device;

/// The `--device` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceChoice {
    /// CUDA or Metal when built with the feature and a device exists, else CPU.
    #[default]
    Auto,
    Cpu,
    Cuda,
    Metal,
}

/// The chosen device and a short description of it ("cpu", "cuda:0", "cpu (auto: ...)").
pub fn select(choice: DeviceChoice) -> Result<(Device, String), String> {
    match choice {
        DeviceChoice::Cpu => Ok((Device::Cpu, "cpu".into())),
        DeviceChoice::Cuda => cuda().map(|d| (d, "cuda:0".into())),
        DeviceChoice::Metal => metal().map(|d| (d, "metal:0".into())),
        DeviceChoice::Auto => {
            if let Ok(d) = cuda() {
                return Ok((d, "cuda:0 (auto)".into()));
            }
            if let Ok(d) = metal() {
                return Ok((d, "metal:0 (auto)".into()));
            }
            Ok((Device::Cpu, "cpu (auto)".into()))
        }
    }
}

#[cfg(feature = "cuda")]
fn cuda() -> Result<Device, String> {
    Device::new_cuda(0).map_err(|e| format!("no usable CUDA device: {e}"))
}

#[cfg(not(feature = "cuda"))]
fn cuda() -> Result<Device, String> {
    Err("this build has no CUDA support: rebuild with `--features cuda`".into())
}

#[cfg(feature = "metal")]
fn metal() -> Result<Device, String> {
    Device::new_metal(0).map_err(|e| format!("no usable Metal device: {e}"))
}

#[cfg(not(feature = "metal"))]
fn metal() -> Result<Device, String> {
    Err("this build has no Metal support: rebuild with `--features metal` (macOS only)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_always_works_and_auto_says_it_chose() {
        assert_eq!(select(DeviceChoice::Cpu).unwrap().1, "cpu");
        assert!(select(DeviceChoice::Auto).unwrap().1.contains("auto"));
        #[cfg(not(feature = "cuda"))]
        assert!(select(DeviceChoice::Cuda)
            .unwrap_err()
            .contains("--features cuda"));
    }
}
