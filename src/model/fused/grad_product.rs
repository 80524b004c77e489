//! Weight-gradient products `dW = Aᵀ·B`: `A` (`[k, m]`, the gradients of a layer's
//! pre-activations, one row per batch row and step) and `B` (`[k, n]`, what that layer read)
//! both change with every call and the inner dimension `k` is every row of a work item
//! (thousands). `B` is packed block by block into the same panels as [`super::packed`] (as
//! wide as the tile); `A` is read in place: at each step the tile broadcasts as many
//! consecutive elements of one row of `A` as it has rows (packing `A` into micro-panels as
//! well cost a third of the time at H = 32, where each element of `A` meets only 32 columns).
//! The tile is the active path's (see [`super::tile`]).
//!
//! `f64` (the gradient-check precision) and the portable path fall back to [`matmul`].

use super::float::FusedFloat;
use super::gemm::{matmul, MatMut, MatRef};
use super::tile::Tile;
#[cfg(target_arch = "x86_64")]
use super::tile::{MicroKernel, KC};

/// The packing buffer of `B`, reused call after call (a work item's workspace holds one).
#[derive(Default)]
pub(super) struct GradProductBufs {
    b: Vec<f32>,
}

/// `dst = aᵀ · b` for a row-major `a` (`[k, m]`) and `b` (`[k, n]`), `dst` `[m, n]`, on the
/// active path's tile.
#[inline(always)]
pub(super) fn matmul_at_b<F: FusedFloat>(
    dst: MatMut<'_, F>,
    a: MatRef<'_, F>,
    b: MatRef<'_, F>,
    bufs: &mut GradProductBufs,
) {
    matmul_at_b_on(Tile::active(), dst, a, b, bufs)
}

/// [`matmul_at_b`] on a given tile (`None`, or one this CPU lacks: the fallback).
#[inline(always)]
pub(super) fn matmul_at_b_on<F: FusedFloat>(
    tile: Option<Tile>,
    dst: MatMut<'_, F>,
    a: MatRef<'_, F>,
    b: MatRef<'_, F>,
    bufs: &mut GradProductBufs,
) {
    #[cfg(target_arch = "x86_64")]
    if let ((a_s, k, m, lda, 1), (b_s, kb, n, ldb, 1), Some(tile)) =
        (a.parts(), b.parts(), tile.filter(|t| t.runs_here()))
    {
        if let (Some(a_s), Some(b_s), true) = (F::as_f32(a_s), F::as_f32(b_s), k > 0) {
            assert_eq!(k, kb, "inner dimensions differ");
            let (c, cm, cn, ldc) = dst.parts();
            assert_eq!((cm, cn), (m, n), "destination shape");
            let c = F::as_f32_mut(c).expect("the same element type as a");
            if m == 0 || n == 0 {
                return;
            }
            let nr = tile.nr();
            bufs.b.resize(n.div_ceil(nr) * KC * nr, 0.0);
            let args = AtBArgs {
                mnk: (m, n, k),
                a: (a_s.as_ptr(), lda),
                b: (b_s.as_ptr(), ldb),
                c: (c.as_mut_ptr(), ldc),
            };
            let bp = &mut bufs.b[..];
            // SAFETY: the CPU has the tile's path (`runs_here`). `parts()` guarantees that
            // every element of a `k × m` matrix at row stride `lda` lies in `a_s`, of a
            // `k × n` one at row stride `ldb` in `b_s` and of an `m × n` one at row stride
            // `ldc` in `c`; the buffer was sized for one block of `b` at this tile's width.
            // `c` is a unique borrow.
            unsafe {
                match tile {
                    Tile::Avx2 => at_b_avx2(args, bp),
                    Tile::Avx512 => at_b_avx512(args, bp),
                }
            }
            return;
        }
    }
    let _ = (tile, &bufs);
    matmul(dst, a.t(), b, false)
}

/// Columns of `a` per block: a 256 × 96 block (96 KiB) stays in L2 while every panel of `b`
/// passes over it (a multiple of every tile's rows).
#[cfg(target_arch = "x86_64")]
const MC: usize = 96;

/// The operands of `c = aᵀ · b` (see [`matmul_at_b`]): `a` `[k, m]` at row stride `lda`, `b`
/// `[k, n]` at `ldb`, `c` `[m, n]` at `ldc`.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct AtBArgs {
    mnk: (usize, usize, usize),
    a: (*const f32, usize),
    b: (*const f32, usize),
    c: (*mut f32, usize),
}

/// [`product_at_b`] on the AVX2 tile.
///
/// # Safety
/// As [`product_at_b`]; the CPU has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn at_b_avx2(args: AtBArgs, bp: &mut [f32]) {
    product_at_b::<super::tile::Avx2>(args, bp)
}

/// [`product_at_b`] on the AVX-512 tile.
///
/// # Safety
/// As [`product_at_b`]; the CPU has AVX-512F/BW/VL, AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
unsafe fn at_b_avx512(args: AtBArgs, bp: &mut [f32]) {
    product_at_b::<super::tile::Avx512>(args, bp)
}

/// `c = aᵀ · b` on tile `K`; blocks of [`KC`] after the first add to `c`, so the sum over `k`
/// runs in order.
///
/// # Safety
/// Called only from a function compiled for `K`'s path, on a CPU that has it; `a`, `b` and
/// `c` address the elements their shapes and strides name; `bp` holds at least
/// `ceil(n/NR)·KC·NR` elements.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn product_at_b<K: MicroKernel>(args: AtBArgs, bp: &mut [f32]) {
    let AtBArgs {
        mnk: (m, n, k),
        a: (a, lda),
        b: (b, ldb),
        c: (c, ldc),
    } = args;
    let (nr, mr) = (K::NR, K::MR);
    let np = n.div_ceil(nr);
    // A `b` of whole panels whose rows lie at most 256 bytes apart is read in place: where
    // each element of `b` meets few columns of `a` (H = 32), packing it cost as much as half
    // the product; wider rows, read in place, would fall on a few sets of L1 and evict
    // one another, so they are packed.
    let in_place = n % nr == 0 && ldb <= 64;
    let mut p0 = 0;
    while p0 < k {
        let kb = KC.min(k - p0);
        // Panels of b: element (p, j·NR + q) at (j·kb + p)·NR + q, zero past column n; a
        // narrow b is read in place instead (see `in_place`).
        for p in (0..kb).filter(|_| !in_place) {
            let row = b.add((p0 + p) * ldb);
            for j in 0..np {
                let dst = bp.as_mut_ptr().add((j * kb + p) * nr);
                let w = nr.min(n - j * nr);
                if w == K::NR {
                    // A constant length: inline vector moves, not a call to `memcpy`.
                    std::ptr::copy_nonoverlapping(row.add(j * nr), dst, K::NR);
                } else {
                    std::ptr::copy_nonoverlapping(row.add(j * nr), dst, w);
                    std::ptr::write_bytes(dst.add(w), 0, nr - w);
                }
            }
        }
        let mut i0 = 0;
        while i0 < m {
            let mb = MC.min(m - i0);
            let tiles = mb.div_ceil(mr);
            for j in 0..np {
                let cols = nr.min(n - j * nr);
                let bj = if in_place {
                    (b.add(p0 * ldb + j * nr), ldb)
                } else {
                    (bp.as_ptr().add(j * kb * nr), nr)
                };
                for t in 0..tiles {
                    let at = a.add(p0 * lda + i0 + t * mr);
                    let ct = c.add((i0 + t * mr) * ldc + j * nr);
                    // Blocks after the first add to what the earlier ones stored.
                    let (add, add_ld) = if p0 > 0 {
                        (ct as *const f32, ldc)
                    } else {
                        (std::ptr::null(), 0)
                    };
                    // `a` in place: column i of the tile, step p at `p·lda + i`.
                    let rows = mr.min(mb - t * mr);
                    K::tile(rows, kb, (at, 1, lda), bj, (ct, ldc), (add, add_ld), cols);
                }
            }
            i0 += mb;
        }
        p0 += kb;
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
    /// multiple of a tile's rows or of the 96-column block, columns not a multiple of 16 or 32, an inner
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
            let mut results = Vec::new();
            let tiles = std::iter::once(None).chain(Tile::available().into_iter().map(Some));
            for tile in tiles {
                let mut got: Vec<f32> = before.iter().map(|&v| v as f32).collect();
                matmul_at_b_on(
                    tile,
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
                            "{tile:?}: padding at ({i}, {j}) of {k}×{m}×{n}"
                        );
                    } else {
                        let tol = 1e-5 * (k as f64).sqrt().max(1.0) * (1.0 + w.abs());
                        assert!(
                            (g as f64 - w).abs() < tol,
                            "{tile:?}: ({i}, {j}) of {k}×{m}×{n}: {g} vs {w}"
                        );
                    }
                }
                if tile.is_some() {
                    results.push(got);
                }
            }
            // Every tile sums in the same order: the same bits.
            assert!(
                results.windows(2).all(|w| w[0] == w[1]),
                "{k}×{m}×{n}: tiles differ"
            );
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
