//! Choosing where tensors live: CPU by default, CUDA or Metal when built with that feature.
//!
//! The decision ([`choose`]) is separate from opening devices, and takes the GPU backends this
//! build has and a way to open them as input, so a CUDA or Metal build's behaviour is tested
//! on a CPU-only build.

pub mod isa;

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

/// A GPU backend candle can be built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gpu {
    Cuda,
    Metal,
}

impl Gpu {
    /// The backends this binary was built with, in the order `--device auto` tries them.
    pub const COMPILED: &'static [Gpu] = &[
        #[cfg(feature = "cuda")]
        Gpu::Cuda,
        #[cfg(feature = "metal")]
        Gpu::Metal,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Gpu::Cuda => "cuda",
            Gpu::Metal => "metal",
        }
    }

    /// The backend's name in messages: `CUDA`, `Metal`.
    pub fn label(self) -> &'static str {
        match self {
            Gpu::Cuda => "CUDA",
            Gpu::Metal => "Metal",
        }
    }

    /// How to get a build with the backend.
    fn rebuild_hint(self) -> &'static str {
        match self {
            Gpu::Cuda => "rebuild with `--features cuda`",
            Gpu::Metal => "rebuild with `--features metal` (macOS only)",
        }
    }
}

/// Why the requested device cannot be used. Every message is one line; each is bad input
/// (the `--device` asked of this build or machine), not a failure while running.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The binary was built without the backend.
    #[error("this build has no {} support: {}", .0.label(), .0.rebuild_hint())]
    NotCompiled(Gpu),
    /// A GPU asked for a compute path that runs on the CPU only.
    #[error(
        "the {kernel} kernel runs on the CPU only: use --device cpu (or auto), or --kernel candle on {}",
        gpu.name()
    )]
    CpuOnlyKernel { kernel: String, gpu: Gpu },
    /// The backend is built in but no device of it could be opened.
    #[error("no usable {} device: {reason}", gpu.label())]
    Unavailable { gpu: Gpu, reason: String },
}

/// What the requested compute path needs of the device: the name of a kernel that runs only
/// on the CPU (the fused one), or `None` when any device will do.
pub type CpuOnlyKernel<'a> = Option<&'a str>;

/// Decide the device for `choice` and the kernel's needs, and describe the choice, with the
/// reason when `auto` decided ("cpu (auto: fused kernel is CPU-only)"). `compiled`: the GPU
/// backends this build has; `open`: opens one (fails when no such device is present); `cpu`:
/// the CPU device. `auto` never fails: it falls back to the CPU and says why.
pub fn choose<D>(
    choice: DeviceChoice,
    cpu_only_kernel: CpuOnlyKernel,
    compiled: &[Gpu],
    cpu: D,
    mut open: impl FnMut(Gpu) -> Result<D, DeviceError>,
) -> Result<(D, String), DeviceError> {
    let explicit = |gpu: Gpu, open: &mut dyn FnMut(Gpu) -> Result<D, DeviceError>| {
        if !compiled.contains(&gpu) {
            return Err(DeviceError::NotCompiled(gpu));
        }
        if let Some(kernel) = cpu_only_kernel {
            return Err(DeviceError::CpuOnlyKernel {
                kernel: kernel.to_owned(),
                gpu,
            });
        }
        open(gpu).map(|d| (d, format!("{}:0", gpu.name())))
    };
    match choice {
        DeviceChoice::Cpu => Ok((cpu, "cpu".into())),
        DeviceChoice::Cuda => explicit(Gpu::Cuda, &mut open),
        DeviceChoice::Metal => explicit(Gpu::Metal, &mut open),
        DeviceChoice::Auto => {
            if compiled.is_empty() {
                return Ok((cpu, "cpu (auto)".into()));
            }
            if let Some(kernel) = cpu_only_kernel {
                return Ok((cpu, format!("cpu (auto: {kernel} kernel is CPU-only)")));
            }
            for &gpu in compiled {
                if let Ok(d) = open(gpu) {
                    return Ok((d, format!("{}:0 (auto)", gpu.name())));
                }
            }
            let names: Vec<&str> = compiled.iter().map(|g| g.name()).collect();
            Ok((
                cpu,
                format!("cpu (auto: no usable {} device)", names.join("/")),
            ))
        }
    }
}

/// The device for `choice` on this build, for a compute path that runs anywhere.
pub fn select(choice: DeviceChoice) -> Result<(Device, String), DeviceError> {
    select_for(choice, None)
}

/// The device for `choice` on this build and the kernel's needs, and its description (see
/// [`choose`]).
pub fn select_for(
    choice: DeviceChoice,
    cpu_only_kernel: CpuOnlyKernel,
) -> Result<(Device, String), DeviceError> {
    let (device, label) = choose(choice, cpu_only_kernel, Gpu::COMPILED, Device::Cpu, open)?;
    Ok((device.clone(), cpu_label_with_isa(&device, label)))
}

/// `cpu (auto)` → `cpu avx2 (auto)`: on the CPU the label says which vector path the kernels
/// run (see [`isa`]), so the headless header, the status bar and `bench` name it.
fn cpu_label_with_isa(device: &Device, label: String) -> String {
    match label.strip_prefix("cpu") {
        Some(rest) if device.is_cpu() => format!("cpu {}{rest}", isa::active()),
        _ => label,
    }
}

fn open(gpu: Gpu) -> Result<Device, DeviceError> {
    match gpu {
        Gpu::Cuda => cuda(),
        Gpu::Metal => metal(),
    }
}

#[cfg(feature = "cuda")]
fn cuda() -> Result<Device, DeviceError> {
    Device::new_cuda(0).map_err(|e| DeviceError::Unavailable {
        gpu: Gpu::Cuda,
        reason: e.to_string(),
    })
}

#[cfg(not(feature = "cuda"))]
fn cuda() -> Result<Device, DeviceError> {
    Err(DeviceError::NotCompiled(Gpu::Cuda))
}

#[cfg(feature = "metal")]
fn metal() -> Result<Device, DeviceError> {
    Device::new_metal(0).map_err(|e| DeviceError::Unavailable {
        gpu: Gpu::Metal,
        reason: e.to_string(),
    })
}

#[cfg(not(feature = "metal"))]
fn metal() -> Result<Device, DeviceError> {
    Err(DeviceError::NotCompiled(Gpu::Metal))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A build with `compiled` backends whose devices `present` are plugged in; devices are
    /// their names.
    fn pick(
        choice: DeviceChoice,
        kernel: CpuOnlyKernel,
        compiled: &[Gpu],
        present: &[Gpu],
    ) -> Result<(&'static str, String), DeviceError> {
        choose(choice, kernel, compiled, "cpu", |g| {
            if present.contains(&g) {
                Ok(g.name())
            } else {
                Err(DeviceError::Unavailable {
                    gpu: g,
                    reason: "none plugged in".into(),
                })
            }
        })
    }

    const CUDA: &[Gpu] = &[Gpu::Cuda];
    const METAL: &[Gpu] = &[Gpu::Metal];

    #[test]
    fn cpu_always_works_and_auto_says_it_chose() {
        assert_eq!(
            select(DeviceChoice::Cpu).unwrap().1,
            format!("cpu {}", isa::active())
        );
        assert!(select(DeviceChoice::Auto).unwrap().1.contains("auto"));
        #[cfg(not(feature = "cuda"))]
        assert!(select(DeviceChoice::Cuda)
            .unwrap_err()
            .to_string()
            .contains("--features cuda"));
    }

    #[test]
    fn auto_with_the_fused_kernel_on_a_cuda_build_falls_back_to_the_cpu_and_says_why() {
        let got = pick(DeviceChoice::Auto, Some("fused"), CUDA, CUDA).unwrap();
        assert_eq!(got, ("cpu", "cpu (auto: fused kernel is CPU-only)".into()));
        let got = pick(DeviceChoice::Auto, Some("fused"), METAL, METAL).unwrap();
        assert_eq!(got, ("cpu", "cpu (auto: fused kernel is CPU-only)".into()));
    }

    #[test]
    fn auto_takes_a_present_gpu_for_a_kernel_that_runs_anywhere() {
        let got = pick(DeviceChoice::Auto, None, CUDA, CUDA).unwrap();
        assert_eq!(got, ("cuda", "cuda:0 (auto)".into()));
        let got = pick(DeviceChoice::Auto, None, METAL, METAL).unwrap();
        assert_eq!(got, ("metal", "metal:0 (auto)".into()));
        let got = pick(DeviceChoice::Auto, None, CUDA, &[]).unwrap();
        assert_eq!(got, ("cpu", "cpu (auto: no usable cuda device)".into()));
        let got = pick(DeviceChoice::Auto, None, &[], &[]).unwrap();
        assert_eq!(got, ("cpu", "cpu (auto)".into()));
    }

    #[test]
    fn an_explicit_gpu_is_an_error_when_missing_or_asked_for_the_fused_kernel() {
        let e = pick(DeviceChoice::Cuda, None, &[], &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("--features cuda"), "{e}");
        let e = pick(DeviceChoice::Metal, None, CUDA, CUDA)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--features metal"), "{e}");
        let e = pick(DeviceChoice::Cuda, Some("fused"), CUDA, CUDA)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("CPU only") && e.contains("--kernel candle"),
            "{e}"
        );
        let e = pick(DeviceChoice::Cuda, None, CUDA, &[])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "no usable CUDA device: none plugged in");
        let got = pick(DeviceChoice::Cuda, None, CUDA, CUDA).unwrap();
        assert_eq!(got, ("cuda", "cuda:0".into()));
        let got = pick(DeviceChoice::Cpu, Some("fused"), CUDA, CUDA).unwrap();
        assert_eq!(got, ("cpu", "cpu".into()));
        #[cfg(not(feature = "cuda"))]
        assert!(select_for(DeviceChoice::Cuda, Some("fused"))
            .unwrap_err()
            .to_string()
            .contains("--features cuda"));
    }
}
