//! Weight-gradient products `dW = Aᵀ·B`: `A` (`[k, m]`, the gradients of a layer's
//! pre-activations, one row per batch row and step) and `B` (`[k, n]`, what that layer read)
//! both change with every call and the inner dimension `k` is every row of a work item
//! (thousands), so both sides are packed block by block: `B` into the same 16-column panels
//! as [`super::packed`], and `A` into micro-panels of 6 of its columns, so that the tile reads
//! both operands contiguously. The tile is the 6 × 16 AVX2+FMA one of `packed`.
//!
//! `f64` (the gradient-check precision) and CPUs without AVX2+FMA fall back to [`matmul`].

use super::float::FusedFloat;
use super::gemm::{matmul, MatMut, MatRef};

/// Packing buffers, reused call after call (a work item's workspace holds one).
#[derive(Default)]
pub(super) struct GradProductBufs {
    a: Vec<f32>,
    b: Vec<f32>,
}

/// `dst = aᵀ · b` for a row-major `a` (`[k, m]`) and `b` (`[k, n]`), `dst` `[m, n]`.
#[inline(always)]
pub(super) fn matmul_at_b<F: FusedFloat>(
    dst: MatMut<'_, F>,
    a: MatRef<'_, F>,
    b: MatRef<'_, F>,
    bufs: &mut GradProductBufs,
) {
    #[cfg(target_arch = "x86_64")]
    if let ((a_s, k, m, lda, 1), (b_s, kb, n, ldb, 1)) = (a.parts(), b.parts()) {
        let simd = super::packed::simd_available();
        if let (Some(a_s), Some(b_s), true) = (F::as_f32(a_s), F::as_f32(b_s), simd && k > 0) {
            assert_eq!(k, kb, "inner dimensions differ");
            let (c, cm, cn, ldc) = dst.parts();
            assert_eq!((cm, cn), (m, n), "destination shape");
            let c = F::as_f32_mut(c).expect("the same element type as a");
            if m == 0 || n == 0 {
                return;
            }
            let np = n.div_ceil(super::packed::NR);
            bufs.b.resize(np * avx2::KC * super::packed::NR, 0.0);
            bufs.a.resize(avx2::MC * avx2::KC + 8, 0.0);
            // SAFETY: AVX2 and FMA were detected above. `parts()` guarantees that every
            // element of a `k × m` matrix at row stride `lda` lies in `a_s`, of a `k × n`
            // one at row stride `ldb` in `b_s` and of an `m × n` one at row stride `ldc` in
            // `c`; the buffers were sized for one block of each. `c` is a unique borrow.
            unsafe {
                avx2::product_at_b(
                    (m, n, k),
                    (a_s.as_ptr(), lda),
                    (b_s.as_ptr(), ldb),
                    (c.as_mut_ptr(), ldc),
                    (&mut bufs.a, &mut bufs.b),
                );
            }
            return;
        }
    }
    matmul(dst, a.t(), b, false)
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::super::packed::avx2::{tile, MR};
    use super::super::packed::NR;
    use std::arch::x86_64::*;

    /// Inner dimension per block: a panel block of `b` (256 × 16, 16 KiB) and a micro-panel
    /// of `a` (256 × 6, 6 KiB) stay in L1 while a tile runs; the result (`[m, n]`, larger
    /// than L2 for a GRU's `[3H, H]`) is read and written once per block.
    pub(super) const KC: usize = 256;
    /// Columns of `a` packed at a time: 96 × 256 (96 KiB) stays in L2 while every panel of
    /// `b` passes over it.
    pub(super) const MC: usize = 96;

    /// `c = aᵀ · b` (see `matmul_at_b`); blocks of [`KC`] after the first add to `c`, so the
    /// sum over `k` runs in order.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA; `a`, `b` and `c` address the elements their shapes and
    /// strides name; `ap` holds at least `MC·KC + 8` elements and `bp` `ceil(n/NR)·KC·NR`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn product_at_b(
        (m, n, k): (usize, usize, usize),
        (a, lda): (*const f32, usize),
        (b, ldb): (*const f32, usize),
        (c, ldc): (*mut f32, usize),
        (ap, bp): (&mut [f32], &mut [f32]),
    ) {
        let np = n.div_ceil(NR);
        let mut p0 = 0;
        while p0 < k {
            let kb = KC.min(k - p0);
            // Panels of b: element (p, j·NR + q) at (j·kb + p)·NR + q, zero past column n.
            for p in 0..kb {
                let row = b.add((p0 + p) * ldb);
                for j in 0..np {
                    let dst = bp.as_mut_ptr().add((j * kb + p) * NR);
                    let w = NR.min(n - j * NR);
                    if w == NR {
                        _mm256_storeu_ps(dst, _mm256_loadu_ps(row.add(j * NR)));
                        _mm256_storeu_ps(dst.add(8), _mm256_loadu_ps(row.add(j * NR + 8)));
                    } else {
                        for q in 0..NR {
                            *dst.add(q) = if q < w { *row.add(j * NR + q) } else { 0.0 };
                        }
                    }
                }
            }
            let mut i0 = 0;
            while i0 < m {
                let mb = MC.min(m - i0);
                let tiles = mb.div_ceil(MR);
                pack_a(ap, a.add(p0 * lda + i0), lda, kb, mb);
                for j in 0..np {
                    let cols = NR.min(n - j * NR);
                    let bj = bp.as_ptr().add(j * kb * NR);
                    for t in 0..tiles {
                        let at = ap.as_ptr().add(t * kb * MR);
                        let ct = c.add((i0 + t * MR) * ldc + j * NR);
                        // Blocks after the first add to what the earlier ones stored.
                        let (add, add_ld) = if p0 > 0 {
                            (ct as *const f32, ldc)
                        } else {
                            (std::ptr::null(), 0)
                        };
                        // A micro-panel: column i of `a`, step p at `p·MR + i`.
                        let rows = MR.min(mb - t * MR);
                        tile(rows, kb, (at, 1, MR), bj, (ct, ldc), (add, add_ld), cols);
                    }
                }
                i0 += mb;
            }
            p0 += kb;
        }
    }

    /// Micro-panels of `mb` columns of a `kb`-row block of `a` (row stride `lda`): column
    /// `t·MR + r` of row `p` at `(t·kb + p)·MR + r`; a partial last panel is zero-padded.
    #[inline(always)]
    unsafe fn pack_a(ap: &mut [f32], a: *const f32, lda: usize, kb: usize, mb: usize) {
        let full = mb / MR;
        for t in 0..full {
            let dst = ap.as_mut_ptr().add(t * kb * MR);
            let src = a.add(t * MR);
            if t * MR + 8 <= mb {
                // Eight lanes stored where six belong: the two extra are overwritten by the
                // next row's six (and, after the last row, by the next panel or slack).
                for p in 0..kb {
                    _mm256_storeu_ps(dst.add(p * MR), _mm256_loadu_ps(src.add(p * lda)));
                }
            } else {
                for p in 0..kb {
                    for r in 0..MR {
                        *dst.add(p * MR + r) = *src.add(p * lda + r);
                    }
                }
            }
        }
        let rest = mb - full * MR;
        if rest > 0 {
            let dst = ap.as_mut_ptr().add(full * kb * MR);
            let src = a.add(full * MR);
            for p in 0..kb {
                for r in 0..MR {
                    *dst.add(p * MR + r) = if r < rest { *src.add(p * lda + r) } else { 0.0 };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(len: usize, seed: u64) -> Vec<f64> {
        (0..len as u64)
            .map(|i| (((i * 2654435761 + seed * 97) % 1009) as f64 / 1009.0) - 0.5)
            .collect()
    }

    /// `aᵀ·b` by the definition: every edge of both blockings (rows of the result not a
    /// multiple of 6 or of the 96-column block, columns not a multiple of 16, an inner
    /// dimension longer than a block), strided operands and a strided destination whose
    /// padding stays untouched; what `dst` held before is overwritten, never added to.
    #[test]
    fn products_match_the_definition_at_every_edge() {
        let mut bufs = GradProductBufs::default();
        for &(k, m, n) in &[
            (1, 1, 1),
            (5, 7, 21),
            (128, 6, 16),
            (129, 97, 17),
            (300, 200, 35),
            (1000, 768, 256),
            (257, 28, 256),
        ] {
            let (lda, ldb, ldc) = (m + 3, n + 2, n + 5);
            let a = values(k * lda, 1);
            let b = values(k * ldb, 2);
            let before = values(m * ldc, 3);
            let mut want = before.clone();
            for i in 0..m {
                for j in 0..n {
                    want[i * ldc + j] = (0..k).map(|p| a[p * lda + i] * b[p * ldb + j]).sum();
                }
            }
            let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
            let b32: Vec<f32> = b.iter().map(|&v| v as f32).collect();
            let mut got: Vec<f32> = before.iter().map(|&v| v as f32).collect();
            matmul_at_b(
                MatMut::new(&mut got, m, n, ldc),
                MatRef::new(&a32, k, m, lda),
                MatRef::new(&b32, k, n, ldb),
                &mut bufs,
            );
            for (idx, (&g, &w)) in got.iter().zip(&want).enumerate() {
                let (i, j) = (idx / ldc, idx % ldc);
                if j >= n {
                    assert_eq!(
                        g, before[idx] as f32,
                        "padding at ({i}, {j}) of {k}×{m}×{n}"
                    );
                } else {
                    let tol = 1e-5 * (k as f64).sqrt().max(1.0) * (1.0 + w.abs());
                    assert!(
                        (g as f64 - w).abs() < tol,
                        "({i}, {j}) of {k}×{m}×{n}: {g} vs {w}"
                    );
                }
            }
            // f64 takes the fallback: the same product.
            let mut got64 = before.clone();
            matmul_at_b(
                MatMut::new(&mut got64, m, n, ldc),
                MatRef::new(&a, k, m, lda),
                MatRef::new(&b, k, n, ldb),
                &mut bufs,
            );
            for (&g, &w) in got64.iter().zip(&want) {
                assert!((g - w).abs() < 1e-9 * (1.0 + w.abs()), "{k}×{m}×{n} f64");
            }
        }
    }

    /// NaN in `dst` before the call does not leak into the result (it is not read).
    #[test]
    fn the_destination_is_not_read() {
        let (k, m, n) = (130, 13, 20);
        let a: Vec<f32> = values(k * m, 5).iter().map(|&v| v as f32).collect();
        let b: Vec<f32> = values(k * n, 6).iter().map(|&v| v as f32).collect();
        let mut dst = vec![f32::NAN; m * n];
        matmul_at_b(
            MatMut::new(&mut dst, m, n, n),
            MatRef::new(&a, k, m, m),
            MatRef::new(&b, k, n, n),
            &mut GradProductBufs::default(),
        );
        assert!(dst.iter().all(|v| v.is_finite()));
    }
}
