//! The AVX2+FMA tile: 6 × 16, twelve 8-lane accumulators.

use std::arch::x86_64::*;

use super::MicroKernel;

/// The 6 × 16 AVX2+FMA tile.
pub(in crate::model::fused) struct Avx2;

const NR: usize = 16;

// SAFETY: `tile` uses AVX2 and FMA only, and the trait's callers are compiled for them.
unsafe impl MicroKernel for Avx2 {
    const NR: usize = NR;
    /// 6 × 2 accumulator vectors, two vectors of the panel and a broadcast fill 15 of the 16
    /// registers.
    const MR: usize = 6;

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
            6 => tile_of::<6>(kb, a, b, c, add, cols),
            5 => tile_of::<5>(kb, a, b, c, add, cols),
            4 => tile_of::<4>(kb, a, b, c, add, cols),
            3 => tile_of::<3>(kb, a, b, c, add, cols),
            2 => tile_of::<2>(kb, a, b, c, add, cols),
            _ => tile_of::<1>(kb, a, b, c, add, cols),
        }
    }
}

/// Steps of the inner dimension per iteration of a tile's loop.
const UNROLL: usize = 4;

/// [`Avx2::tile`] with its row count known at compile time (the accumulators stay in
/// registers).
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
    let mut x = [[_mm256_setzero_ps(); 2]; R];
    // Four steps per iteration, the operands reached by advancing two pointers: fewer
    // address and loop instructions between the FMAs (about 5% faster than one step per
    // iteration with indexed addresses, measured on the two-layer GRU at H = 256).
    // (A packed panel's stride is the constant NR: that loop is compiled on its own.)
    if b_step == NR {
        steps(&mut x, kb, (a, a_row, a_step), (b, NR));
    } else {
        steps(&mut x, kb, (a, a_row, a_step), (b, b_step));
    }
    for (i, xi) in x.iter().enumerate() {
        let ci = c.add(i * ldc);
        let ai = if add.is_null() {
            add
        } else {
            add.add(i * add_ld)
        };
        if cols == NR {
            let (mut lo, mut hi) = (xi[0], xi[1]);
            if !ai.is_null() {
                lo = _mm256_add_ps(_mm256_loadu_ps(ai), lo);
                hi = _mm256_add_ps(_mm256_loadu_ps(ai.add(8)), hi);
            }
            _mm256_storeu_ps(ci, lo);
            _mm256_storeu_ps(ci.add(8), hi);
        } else {
            let mut row = [0f32; NR];
            _mm256_storeu_ps(row.as_mut_ptr(), xi[0]);
            _mm256_storeu_ps(row.as_mut_ptr().add(8), xi[1]);
            store_part(&row[..cols], ci, ai);
        }
    }
}

/// `kb` steps of the inner dimension, four per iteration.
#[inline(always)]
unsafe fn steps<const R: usize>(
    x: &mut [[__m256; 2]; R],
    kb: usize,
    (a, a_row, a_step): (*const f32, usize, usize),
    (b, b_step): (*const f32, usize),
) {
    let (mut ap, mut bp) = (a, b);
    let mut left = kb;
    while left >= UNROLL {
        for u in 0..UNROLL {
            step(x, ap.add(u * a_step), a_row, bp.add(u * b_step));
        }
        ap = ap.add(UNROLL * a_step);
        bp = bp.add(UNROLL * b_step);
        left -= UNROLL;
    }
    for _ in 0..left {
        step(x, ap, a_row, bp);
        ap = ap.add(a_step);
        bp = bp.add(b_step);
    }
}

/// One step of the inner dimension: row `i` of the tile (at `a + i·a_row`) times the panel's
/// row at `b`, added to the accumulators.
#[inline(always)]
unsafe fn step<const R: usize>(
    x: &mut [[__m256; 2]; R],
    a: *const f32,
    a_row: usize,
    b: *const f32,
) {
    let b0 = _mm256_loadu_ps(b);
    let b1 = _mm256_loadu_ps(b.add(8));
    for (i, xi) in x.iter_mut().enumerate() {
        let ai = _mm256_broadcast_ss(&*a.add(i * a_row));
        xi[0] = _mm256_fmadd_ps(ai, b0, xi[0]);
        xi[1] = _mm256_fmadd_ps(ai, b1, xi[1]);
    }
}

/// Stores the first `row.len()` columns of a tile's row at `c`, each plus the element at
/// `add` unless `add` is null (a partial last panel).
///
/// # Safety
/// `c` and (unless null) `add` address `row.len()` elements.
#[inline(always)]
unsafe fn store_part(row: &[f32], c: *mut f32, add: *const f32) {
    for (q, &v) in row.iter().enumerate() {
        *c.add(q) = if add.is_null() { v } else { *add.add(q) + v };
    }
}
