//! The register tiles the fused kernels' matrix products are built from, one per vector
//! instruction set, behind one trait so the products' blocking and packing are written once.
//!
//! A tile computes `rows × NR` of the result (`rows` ≤ `MR`) with its accumulators in
//! registers: at each step of the inner dimension it loads one row of a packed panel (`NR`
//! columns) and broadcasts one element of each of its `rows` rows of the left-hand side.
//!
//! - [`Avx2`]: 6 × 16 (twelve 8-lane accumulators; 15 of the 16 `ymm` registers in use).
//! - [`Avx512`]: 8 × 32 (sixteen 16-lane accumulators in the 32 `zmm` registers; the
//!   broadcasts are memory operands of the FMAs, so no register holds them).
//!
//! Every tile sums the inner dimension in order, one FMA per step per element, and the
//! products block the inner dimension the same way on every tile ([`KC`]), so the two tiles
//! give the same result bit for bit: only the width of the vectors differs.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;

#[cfg(target_arch = "x86_64")]
pub(super) use avx2::Avx2;
#[cfg(target_arch = "x86_64")]
pub(super) use avx512::Avx512;

use crate::device::isa::{self, Isa};

/// Inner dimension per block, the same for every tile (so their sums agree bit for bit): a
/// panel block of 256 rows (16 KiB at 16 columns, 32 KiB at 32) stays in L1 while a tile runs.
pub(super) const KC: usize = 256;

/// Which tile a product runs on: chosen when the right-hand side is packed, from the active
/// path (`--isa`), and kept with the packed panels (whose width it sets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tile {
    Avx2,
    Avx512,
}

impl Tile {
    /// The tile of the active path; `None` on the portable path (the products use `gemm`).
    #[inline]
    pub(super) fn active() -> Option<Tile> {
        Tile::of(isa::active())
    }

    /// The tile of a path.
    pub(super) fn of(path: Isa) -> Option<Tile> {
        if !cfg!(target_arch = "x86_64") {
            return None;
        }
        match path {
            Isa::Portable => None,
            Isa::Avx2 => Some(Tile::Avx2),
            Isa::Avx512 => Some(Tile::Avx512),
        }
    }

    /// Columns per packed panel.
    pub(super) fn nr(self) -> usize {
        match self {
            Tile::Avx2 => 16,
            Tile::Avx512 => 32,
        }
    }

    /// The path the tile needs.
    pub(super) fn path(self) -> Isa {
        match self {
            Tile::Avx2 => Isa::Avx2,
            Tile::Avx512 => Isa::Avx512,
        }
    }

    /// Whether this CPU has the tile's path.
    pub(super) fn runs_here(self) -> bool {
        cfg!(target_arch = "x86_64") && self.path() <= isa::detected()
    }

    /// Every tile this CPU can run (for tests and the products benchmark).
    pub(super) fn available() -> Vec<Tile> {
        [Tile::Avx2, Tile::Avx512]
            .into_iter()
            .filter(|t| t.runs_here())
            .collect()
    }
}

/// A register tile (see the module docs).
///
/// # Safety
/// Implementors' methods may use instructions of their path: they are called only from
/// functions compiled for it (`#[target_feature]`), on a CPU that has it.
pub(super) unsafe trait MicroKernel {
    /// Columns of a tile: the width of a packed panel.
    const NR: usize;
    /// Most rows of a tile.
    const MR: usize;

    /// One `rows × NR` tile of `c` (`rows` ≤ `MR`) over `kb` steps of the inner dimension:
    /// element `(i, p)` of `a` at `a[i·a_row + p·a_step]`, row `p` of `b`'s `NR` columns at
    /// `b + p·b_step` (a packed panel: `b_step` = `NR`; a narrow matrix read in place: its
    /// row stride); plus (unless `add` is null) the rows
    /// at `add` (row stride `add_ld`: 0 repeats one row); only the first `cols` columns are
    /// read and stored (the rest of the panel is padding).
    ///
    /// # Safety
    /// The CPU has the tile's path, the caller is compiled for it, and the pointers address
    /// the elements those shapes name.
    unsafe fn tile(
        rows: usize,
        kb: usize,
        a: (*const f32, usize, usize),
        b: (*const f32, usize),
        c: (*mut f32, usize),
        add: (*const f32, usize),
        cols: usize,
    );
}

/// Fetches the rows a tile will add to and store into while it computes (the weight-gradient
/// products' result is larger than L2).
///
/// # Safety
/// `c` (row stride `ldc`) and, unless null, `add` (row stride `add_ld`) address `R` rows of
/// `width` elements.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn prefetch_rows<const R: usize>(
    (c, ldc): (*mut f32, usize),
    (add, add_ld): (*const f32, usize),
    width: usize,
) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_ET0, _MM_HINT_T0};
    for i in 0..R {
        // (When the tile adds to its own rows, fetching them for writing below suffices.)
        if !add.is_null() && !std::ptr::eq(add, c) {
            _mm_prefetch::<_MM_HINT_T0>(add.add(i * add_ld) as *const i8);
            _mm_prefetch::<_MM_HINT_T0>(add.add(i * add_ld + width - 1) as *const i8);
        }
        _mm_prefetch::<_MM_HINT_ET0>(c.add(i * ldc) as *const i8);
        _mm_prefetch::<_MM_HINT_ET0>(c.add(i * ldc + width - 1) as *const i8);
    }
}
