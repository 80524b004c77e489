//! The AVX-512 tile: 8 × 32, sixteen 16-lane accumulators.

use std::arch::x86_64::*;

use super::MicroKernel;

/// The 8 × 32 AVX-512 tile.
pub(in crate::model::fused) struct Avx512;

const NR: usize = 32;

// SAFETY: `tile` uses AVX-512F only, and the trait's callers are compiled for it.
unsafe impl MicroKernel for Avx512 {
    const NR: usize = NR;
    /// 8 × 2 accumulators and two vectors of the panel: 18 of the 32 registers. Eight rows
    /// divide the kernels' 64-row blocks exactly; 12 and 14 rows (24 and 28 accumulators)
    /// were measured too (see the products table in docs/performance.md).
    const MR: usize = 8;

    #[inline(always)]
    unsafe fn tile(
        rows: usize,
        kb: usize,
        a: (*const f32, usize, usize),
        b: (*const f32, usize),
        c: (*mut f32, usize),
        add: (*const f32, usize),
        cols: usize,
    ) {
        match rows {
            8 => tile_of::<8>(kb, a, b, c, add, cols),
            7 => tile_of::<7>(kb, a, b, c, add, cols),
            6 => tile_of::<6>(kb, a, b, c, add, cols),
            5 => tile_of::<5>(kb, a, b, c, add, cols),
            4 => tile_of::<4>(kb, a, b, c, add, cols),
            3 => tile_of::<3>(kb, a, b, c, add, cols),
            2 => tile_of::<2>(kb, a, b, c, add, cols),
            _ => tile_of::<1>(kb, a, b, c, add, cols),
        }
    }
}

/// [`Avx512::tile`] with its row count known at compile time.
#[inline(always)]
unsafe fn tile_of<const R: usize>(
    kb: usize,
    (a, a_row, a_step): (*const f32, usize, usize),
    (b, b_step): (*const f32, usize),
    (c, ldc): (*mut f32, usize),
    (add, add_ld): (*const f32, usize),
    cols: usize,
) {
    super::prefetch_rows::<R>((c, ldc), (add, add_ld), NR);
    let mut x = [[_mm512_setzero_ps(); 2]; R];
    // One step per iteration: unrolled four times like the AVX2 tile's loop, the compiler
    // kept half the accumulators on the stack (a third of the speed, measured).
    let (mut ap, mut bp) = (a, b);
    for _ in 0..kb {
        step(&mut x, ap, a_row, bp);
        ap = ap.add(a_step);
        bp = bp.add(b_step);
    }
    // A partial last panel stores through masks: no scalar loop per row (the logits'
    // panel is 28 of 32 columns wide, at every one of thousands of rows).
    let lanes = |from: usize| -> __mmask16 {
        let w = cols.saturating_sub(from).min(16);
        ((1u32 << w) - 1) as __mmask16
    };
    let (m0, m1) = (lanes(0), lanes(16));
    for (i, xi) in x.iter().enumerate() {
        let ci = c.add(i * ldc);
        let (mut lo, mut hi) = (xi[0], xi[1]);
        if !add.is_null() {
            let ai = add.add(i * add_ld);
            lo = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, ai), lo);
            hi = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, ai.add(16)), hi);
        }
        _mm512_mask_storeu_ps(ci, m0, lo);
        _mm512_mask_storeu_ps(ci.add(16), m1, hi);
    }
}

/// One step of the inner dimension (see the AVX2 tile's).
#[inline(always)]
unsafe fn step<const R: usize>(
    x: &mut [[__m512; 2]; R],
    a: *const f32,
    a_row: usize,
    b: *const f32,
) {
    let b0 = _mm512_loadu_ps(b);
    let b1 = _mm512_loadu_ps(b.add(16));
    for (i, xi) in x.iter_mut().enumerate() {
        let ai = _mm512_set1_ps(*a.add(i * a_row));
        xi[0] = _mm512_fmadd_ps(ai, b0, xi[0]);
        xi[1] = _mm512_fmadd_ps(ai, b1, xi[1]);
    }
}
