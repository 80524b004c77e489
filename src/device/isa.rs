//! Which vector instructions the CPU kernels use: detected once, and forced narrower with
//! `--isa` / `RNN_TUI_ISA` (never wider than the CPU has).
//!
//! - `avx512`: the CPU has AVX-512F/BW/VL with FMA: the fused kernels' 8 × 32 register tile
//!   (packed products and weight-gradient products) and their passes compiled for AVX-512
//!   (elementwise loops 16 lanes wide).
//! - `avx2`: AVX2 and FMA: the 6 × 16 tile, and the passes compiled for AVX2 (8 lanes).
//! - `portable`: baseline x86-64 (or any other architecture): plain Rust loops, and `gemm` for
//!   the products.
//!
//! `gemm` chooses its own kernels from what the CPU has; forcing a narrower path changes the
//! fused kernels' code, not `gemm`'s.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

/// A vector instruction set the CPU kernels can run on, narrowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    Portable,
    Avx2,
    Avx512,
}

impl Isa {
    pub const ALL: [Isa; 3] = [Isa::Portable, Isa::Avx2, Isa::Avx512];

    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// The CPU flags this path needs, as `/proc/cpuinfo` writes them.
    pub fn needs(self) -> &'static str {
        match self {
            Isa::Portable => "nothing",
            Isa::Avx2 => "avx2 and fma",
            Isa::Avx512 => "avx512f, avx512bw, avx512vl and fma",
        }
    }

    fn code(self) -> u8 {
        self as u8 + 1
    }

    fn from_code(c: u8) -> Option<Isa> {
        Isa::ALL.get(c.checked_sub(1)? as usize).copied()
    }
}

impl std::fmt::Display for Isa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What `--isa` asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum IsaChoice {
    /// The widest path this CPU has.
    #[default]
    Auto,
    Avx512,
    Avx2,
    Portable,
}

impl IsaChoice {
    pub fn isa(self) -> Option<Isa> {
        match self {
            IsaChoice::Auto => None,
            IsaChoice::Avx512 => Some(Isa::Avx512),
            IsaChoice::Avx2 => Some(Isa::Avx2),
            IsaChoice::Portable => Some(Isa::Portable),
        }
    }
}

/// A path wider than the CPU has was asked for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "--isa {asked}: this CPU has {widest} at most ({asked} needs {needs}); use --isa auto, or one of {allowed}"
)]
pub struct IsaError {
    pub asked: Isa,
    pub widest: Isa,
    needs: &'static str,
    allowed: String,
}

/// The widest path this CPU has (detected once).
pub fn detected() -> Isa {
    static DETECTED: OnceLock<Isa> = OnceLock::new();
    *DETECTED.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let avx2 = has!("avx2") && has!("fma");
            if avx2 && has!("avx512f") && has!("avx512bw") && has!("avx512vl") {
                return Isa::Avx512;
            }
            if avx2 {
                return Isa::Avx2;
            }
        }
        Isa::Portable
    })
}

/// The CPU's model name as `/proc/cpuinfo` gives it (`None` where there is none), so every
/// speed figure printed can name the machine it was measured on.
pub fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("model name"))?;
    Some(line.split_once(':')?.1.trim().to_string())
}

/// 0: nothing forced (the detected path runs); else [`Isa::code`].
static FORCED: AtomicU8 = AtomicU8::new(0);

/// Run the CPU kernels on `isa` (`None`: the detected path). Refuses a path wider than the
/// CPU has, so [`active`] never exceeds [`detected`] — which is what makes the AVX2 copies'
/// `unsafe` calls sound.
pub fn force(isa: Option<Isa>) -> Result<Isa, IsaError> {
    let widest = detected();
    let Some(isa) = isa else {
        FORCED.store(0, Ordering::Relaxed);
        return Ok(widest);
    };
    if isa > widest {
        let allowed = Isa::ALL
            .iter()
            .filter(|&&i| i <= widest)
            .map(|i| i.name())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(IsaError {
            asked: isa,
            widest,
            needs: isa.needs(),
            allowed,
        });
    }
    FORCED.store(isa.code(), Ordering::Relaxed);
    Ok(isa)
}

/// The path the CPU kernels run on now.
#[inline]
pub fn active() -> Isa {
    Isa::from_code(FORCED.load(Ordering::Relaxed)).unwrap_or_else(detected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_ordered_and_never_wider_than_the_cpu() {
        assert!(Isa::Portable < Isa::Avx2 && Isa::Avx2 < Isa::Avx512);
        for i in Isa::ALL {
            assert_eq!(Isa::from_code(i.code()), Some(i));
        }
        // A path wider than the CPU is refused in one line naming both, and changes nothing.
        // (Forcing an allowed path here would race with the other unit tests, which compare
        // runs bit for bit: tests/isa_paths.rs forces every path, alone in its process.)
        let widest = detected();
        let before = active();
        for isa in Isa::ALL.into_iter().filter(|&i| i > widest) {
            let text = force(Some(isa)).unwrap_err().to_string();
            assert!(text.contains(&format!("has {widest} at most")), "{text}");
            assert!(text.contains(isa.needs()), "{text}");
            assert!(!text.contains('\n'));
            assert_eq!(active(), before);
        }
    }
}
