//! Products against a weight matrix that a whole call reuses: `dst (+)= lhs · W`.
//!
//! The gated kernels multiply by the same `W_hhᵀ` at every step of every work item (forward)
//! and by `W_hh` again in BPTT, and by `W_ihᵀ`, `W_ih` and the output layer once per item.
//! `gemm` re-packs its right-hand side on every call; at H = 256 a step's product is only
//! 256 × 256 × 768, so that packing, and its generic blocking for these shapes, cost a
//! noticeable share of the pass. Here `W` is packed once per call into column panels as wide
//! as the active path's register tile ([`super::tile`]: 16 columns for AVX2, 32 for AVX-512;
//! each panel `k × NR`, contiguous, zero-padded), and the tile computes blocks of `dst` with
//! its accumulators in registers, reading `lhs` rows in place (it needs no packing:
//! broadcasts read one element of each row per step).
//!
//! Other element types (`f64`, the gradient-check precision) and the portable path fall back
//! to [`matmul`] with the plain matrix: the same product, `gemm`'s summation order.

use super::float::{add_into, FusedFloat};
use super::gemm::{matmul, MatMut, MatRef};
use super::rows::ensure;
use super::tile::Tile;
#[cfg(target_arch = "x86_64")]
use super::tile::{MicroKernel, KC};

/// A `k × n` right-hand side kept both plain (row-major, for the fallback) and, where a tile
/// runs, packed into panels of that tile's width.
#[derive(Default)]
pub(super) struct PackedRhs<F> {
    k: usize,
    n: usize,
    /// `[k, n]` row-major.
    plain: Vec<F>,
    /// The tile the panels are laid out for; `None`: the fallback is used.
    tile: Option<Tile>,
    /// `ceil(n / NR)` panels of `[k, NR]`: element `(p, j·NR + q)` at `(j·k + p)·NR + q`;
    /// columns past `n` are zero. Empty when the fallback is used.
    panels: Vec<f32>,
}

impl<F: FusedFloat> PackedRhs<F> {
    /// Packs `src`, read as a `k × n` matrix: row-major `[k, n]`, or with `transposed` the
    /// transpose of a row-major `[n, k]` (how the weights are stored), for the active path's
    /// tile. Buffers are reused.
    pub(super) fn pack(&mut self, src: &[F], k: usize, n: usize, transposed: bool) {
        self.pack_for(Tile::active(), src, k, n, transposed)
    }

    /// [`Self::pack`] for a given tile (`None`: the fallback); a tile this CPU lacks is
    /// packed for the fallback instead.
    pub(super) fn pack_for(
        &mut self,
        tile: Option<Tile>,
        src: &[F],
        k: usize,
        n: usize,
        transposed: bool,
    ) {
        assert_eq!(src.len(), k * n, "a {k}×{n} matrix");
        self.k = k;
        self.n = n;
        ensure(&mut self.plain, k * n);
        self.plain.truncate(k * n);
        if transposed {
            for (c, col) in src.chunks_exact(k.max(1)).enumerate().take(n) {
                for (p, &v) in col.iter().enumerate() {
                    self.plain[p * n + c] = v;
                }
            }
        } else {
            self.plain.copy_from_slice(src);
        }
        self.panels.clear();
        // The products' `unsafe` calls rely on this: panels exist only for a tile the CPU has.
        self.tile = tile.filter(|t| t.runs_here());
        let (Some(plain), Some(tile)) = (F::as_f32(&self.plain), self.tile) else {
            self.tile = None;
            return;
        };
        let nr = tile.nr();
        let np = n.div_ceil(nr);
        self.panels.resize(np * k * nr, 0.0);
        for (j, panel) in self.panels.chunks_exact_mut(k * nr).enumerate() {
            let c0 = j * nr;
            let w = nr.min(n - c0);
            for (p, row) in panel.chunks_exact_mut(nr).enumerate() {
                row[..w].copy_from_slice(&plain[p * n + c0..p * n + c0 + w]);
            }
        }
    }

    /// Rows `range` of the matrix (a product over part of the inner dimension).
    pub(super) fn rows(&self, range: std::ops::Range<usize>) -> PackedRows<'_, F> {
        assert!(
            range.start <= range.end && range.end <= self.k,
            "rows {range:?} of {}",
            self.k
        );
        PackedRows {
            rhs: self,
            k0: range.start,
            k: range.len(),
        }
    }
}

/// Rows `k0..k0 + k` of a [`PackedRhs`]: every panel's rows are contiguous, so the view is the
/// same panels from row `k0` on, at the full matrix's panel stride.
#[derive(Clone, Copy)]
pub(super) struct PackedRows<'a, F> {
    rhs: &'a PackedRhs<F>,
    k0: usize,
    k: usize,
}

impl<'a, F> From<&'a PackedRhs<F>> for PackedRows<'a, F> {
    fn from(rhs: &'a PackedRhs<F>) -> Self {
        PackedRows {
            rhs,
            k0: 0,
            k: rhs.k,
        }
    }
}

impl<F> PackedRows<'_, F> {
    /// The plain rows, `[k, n]`.
    fn plain(&self) -> MatRef<'_, F> {
        let n = self.rhs.n;
        MatRef::new(&self.rhs.plain[self.k0 * n..], self.k, n, n)
    }
}

/// What a product adds its sum to.
#[derive(Clone, Copy)]
pub(super) enum Start<'a, F> {
    /// Nothing: `dst = lhs · rhs` (`dst` is not read).
    Zero,
    /// `dst` itself: `dst += lhs · rhs`.
    Dst,
    /// A row vector of length `n`, for every row: `dst = bias + lhs · rhs`.
    Bias(&'a [F]),
}

/// `dst = lhs · rhs`, or `dst += lhs · rhs` when `accumulate`.
#[inline(always)]
pub(super) fn matmul_packed<'r, F: FusedFloat + 'r>(
    dst: MatMut<'_, F>,
    lhs: MatRef<'_, F>,
    rhs: impl Into<PackedRows<'r, F>>,
    accumulate: bool,
) {
    let start = if accumulate { Start::Dst } else { Start::Zero };
    matmul_packed_from(dst, lhs, rhs, start)
}

/// `dst = start + lhs · rhs` (see [`Start`]).
#[inline(always)]
pub(super) fn matmul_packed_from<'r, F: FusedFloat + 'r>(
    dst: MatMut<'_, F>,
    lhs: MatRef<'_, F>,
    rhs: impl Into<PackedRows<'r, F>>,
    start: Start<'_, F>,
) {
    let rows: PackedRows<'r, F> = rhs.into();
    let rhs = rows.rhs;
    if let Start::Bias(bias) = start {
        assert_eq!(bias.len(), rhs.n, "a bias per column");
    }
    #[cfg(target_arch = "x86_64")]
    if let ((a, m, k, lda, 1), Some(tile)) = (lhs.parts(), rhs.tile) {
        // Packed panels exist only for `f32` on a tile the CPU has; an empty sum is left to
        // the fallback.
        if let Some(a) = F::as_f32(a).filter(|_| k > 0) {
            assert_eq!(k, rows.k, "inner dimensions differ");
            let (c, cm, cn, ldc) = dst.parts();
            assert_eq!((cm, cn), (m, rhs.n), "destination shape");
            let c = F::as_f32_mut(c).expect("the same element type as lhs");
            if m == 0 || cn == 0 {
                return;
            }
            let init = match start {
                Start::Zero => Init::Zero,
                Start::Dst => Init::Dst,
                Start::Bias(b) => {
                    Init::Bias(F::as_f32(b).expect("the same element type as lhs").as_ptr())
                }
            };
            let args = ProductArgs {
                mnk: (m, cn, k),
                a: (a.as_ptr(), lda),
                b: (rhs.panels.as_ptr(), rows.k0, rhs.k),
                c: (c.as_mut_ptr(), ldc),
                init,
            };
            // SAFETY: `rhs.tile` is set (in `pack_for`) only to a tile the CPU has, and the
            // panels are laid out for it. `lhs.parts()` and `dst.parts()` guarantee that
            // every element of an `m × k` matrix at row stride `lda` (column stride 1) lies
            // in `a` and of an `m × n` one at row stride `ldc` in `c`; `panels` holds
            // `ceil(n / NR)` panels of `rhs.k × NR`, and rows `k0..k0 + k` of each lie
            // inside it (checked by `rows`); a bias holds `n` elements (asserted above).
            // `c` is a unique borrow, so it overlaps no input.
            unsafe {
                match tile {
                    Tile::Avx2 => product_avx2(args),
                    Tile::Avx512 => product_avx512(args),
                }
            }
            return;
        }
    }
    match start {
        Start::Zero => matmul(dst, lhs, rows.plain(), false),
        Start::Dst => matmul(dst, lhs, rows.plain(), true),
        Start::Bias(bias) => {
            let (c, cm, cn, ldc) = dst.parts();
            matmul(MatMut::new(c, cm, cn, ldc), lhs, rows.plain(), false);
            for row in c.chunks_mut(ldc.max(1)).take(cm) {
                add_into(&mut row[..cn], bias);
            }
        }
    }
}

/// What the first block of the inner dimension adds its sum to; later blocks add to `c`.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
enum Init {
    Zero,
    Dst,
    /// `n` elements, the same for every row.
    Bias(*const f32),
}

/// A packed product's operands: `c (+)= a · b` for an `m × k` `a` (row stride `lda`), rows
/// `k0..k0 + k` of the packed panels `b` of a `panel_k`-row matrix (panel `j` starts at
/// `j·panel_k·NR`) and an `m × n` `c` (row stride `ldc`).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct ProductArgs {
    mnk: (usize, usize, usize),
    a: (*const f32, usize),
    b: (*const f32, usize, usize),
    c: (*mut f32, usize),
    init: Init,
}

/// [`product`] on the AVX2 tile.
///
/// # Safety
/// The CPU has AVX2 and FMA; the operands are as [`product`] needs, packed for this tile.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn product_avx2(args: ProductArgs) {
    product::<super::tile::Avx2>(args)
}

/// [`product`] on the AVX-512 tile.
///
/// # Safety
/// The CPU has AVX-512F/BW/VL, AVX2 and FMA; the operands are as [`product`] needs, packed
/// for this tile.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
unsafe fn product_avx512(args: ProductArgs) {
    product::<super::tile::Avx512>(args)
}

/// Rows of `lhs` and `dst` per block: a 128 × 256 block of `lhs` (128 KiB) stays in L2 while
/// every panel passes over it, and so does the block of `dst` (128 × n) while the inner
/// dimension is summed block after block.
#[cfg(target_arch = "x86_64")]
const MC: usize = 128;

/// `c (+)= a · b` (see [`ProductArgs`]) on tile `K`. For each block of [`MC`] rows, blocks of
/// [`KC`] after the first accumulate onto the first, so the sum over `k` runs in order.
///
/// # Safety
/// Called only from a function compiled for `K`'s path, on a CPU that has it; `a`, `b` and
/// `c` address at least the elements those shapes name (see `matmul_packed`), and `c`
/// overlaps neither input.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn product<K: MicroKernel>(args: ProductArgs) {
    let ProductArgs {
        mnk: (m, n, k),
        a: (a, lda),
        b: (b, k0, panel_k),
        c: (c, ldc),
        init,
    } = args;
    let (nr, mr) = (K::NR, K::MR);
    let panels = n.div_ceil(nr);
    let mut i0 = 0;
    while i0 < m {
        let mb = MC.min(m - i0);
        let mut p0 = 0;
        while p0 < k {
            let kb = KC.min(k - p0);
            let init = if p0 > 0 { Init::Dst } else { init };
            for j in 0..panels {
                let cols = nr.min(n - j * nr);
                let bj = b.add((j * panel_k + k0 + p0) * nr);
                let mut i = i0;
                while i < i0 + mb {
                    let rows = mr.min(i0 + mb - i);
                    let ai = a.add(i * lda + p0);
                    let ci = c.add(i * ldc + j * nr);
                    // The rows the tile adds to: none, its own, or the bias for all.
                    let (add, add_ld) = match init {
                        Init::Zero => (std::ptr::null(), 0),
                        Init::Dst => (ci as *const f32, ldc),
                        Init::Bias(bias) => (bias.add(j * nr), 0),
                    };
                    // `lhs` in place: row i, step p at `i·lda + p`.
                    K::tile(
                        rows,
                        kb,
                        (ai, lda, 1),
                        (bj, nr),
                        (ci, ldc),
                        (add, add_ld),
                        cols,
                    );
                    i += rows;
                }
            }
            p0 += kb;
        }
        i0 += mb;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `dst = start + lhs · rhs` by the definition, in f64: `start` is 0 (mode 0), `dst`
    /// (mode 1) or `bias` on every row (mode 2).
    #[allow(clippy::too_many_arguments)]
    fn naive(
        dst: &mut [f64],
        ldc: usize,
        lhs: &[f64],
        lda: usize,
        rhs: &[f64],
        bias: &[f64],
        (m, k, n): (usize, usize, usize),
        mode: usize,
    ) {
        for i in 0..m {
            for j in 0..n {
                let s: f64 = (0..k).map(|p| lhs[i * lda + p] * rhs[p * n + j]).sum();
                let start = [0.0, dst[i * ldc + j], bias[j]][mode];
                dst[i * ldc + j] = start + s;
            }
        }
    }

    fn values(len: usize, seed: u64) -> Vec<f64> {
        (0..len as u64)
            .map(|i| (((i * 2654435761 + seed * 97) % 1009) as f64 / 1009.0) - 0.5)
            .collect()
    }

    fn start<F: Copy>(mode: usize, bias: &[F]) -> Start<'_, F> {
        [Start::Zero, Start::Dst, Start::Bias(bias)][mode]
    }

    /// Every edge: rows not a multiple of 6 or of the row block, columns not a multiple of
    /// the panel, an inner dimension longer than a block, strided `lhs` and `dst` (whose
    /// padding must stay untouched), each start (zero, `dst`, a bias), and a transposed source.
    #[test]
    fn packed_products_match_the_definition_at_every_edge() {
        for &(m, k, n) in &[
            (1, 1, 1),
            (7, 5, 21),
            (6, 16, 16),
            (200, 300, 35),
            (13, 256, 768),
            (64, 768, 256),
            (5, 28, 256),
            (300, 256, 28),
        ] {
            for transposed in [false, true] {
                for mode in 0..3 {
                    let (lda, ldc) = (k + 3, n + 5);
                    let lhs = values(m * lda, 1);
                    let src = values(k * n, 2);
                    let bias = values(n, 4);
                    // The matrix the product uses, row-major [k, n].
                    let rhs: Vec<f64> = if transposed {
                        (0..k * n).map(|i| src[(i % n) * k + i / n]).collect()
                    } else {
                        src.clone()
                    };
                    let begin = values(m * ldc, 3);
                    let mut want = begin.clone();
                    naive(&mut want, ldc, &lhs, lda, &rhs, &bias, (m, k, n), mode);

                    let src32: Vec<f32> = src.iter().map(|&v| v as f32).collect();
                    let lhs32: Vec<f32> = lhs.iter().map(|&v| v as f32).collect();
                    let bias32: Vec<f32> = bias.iter().map(|&v| v as f32).collect();
                    let mut results = Vec::new();
                    for tile in tiles() {
                        let mut p32 = PackedRhs::<f32>::default();
                        p32.pack_for(tile, &src32, k, n, transposed);
                        assert_eq!(p32.tile, tile);
                        let mut got = begin.iter().map(|&v| v as f32).collect::<Vec<f32>>();
                        matmul_packed_from(
                            MatMut::new(&mut got, m, n, ldc),
                            MatRef::new(&lhs32, m, k, lda),
                            &p32,
                            start(mode, &bias32),
                        );
                        for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
                            let tol = 1e-5 * (k as f64).sqrt() * (1.0 + w.abs());
                            assert!(
                                (g as f64 - w).abs() <= tol,
                                "{tile:?} m={m} k={k} n={n} transposed={transposed} \
                                 mode={mode} at {i}: {g} vs {w}"
                            );
                        }
                        if tile.is_some() {
                            results.push(got);
                        }
                    }
                    // Every tile sums in the same order: the same bits.
                    assert!(results.windows(2).all(|w| w[0] == w[1]), "tiles differ");

                    let mut p64 = PackedRhs::<f64>::default();
                    p64.pack(&src, k, n, transposed);
                    let mut got = begin.clone();
                    matmul_packed_from(
                        MatMut::new(&mut got, m, n, ldc),
                        MatRef::new(&lhs, m, k, lda),
                        &p64,
                        start(mode, &bias),
                    );
                    for (&g, &w) in got.iter().zip(&want) {
                        assert!((g - w).abs() <= 1e-12 * (1.0 + w.abs()), "f64 fallback");
                    }
                }
            }
        }
    }

    /// A row range of a packed matrix multiplies like the plain sub-matrix of those rows, on
    /// the packed path (f32) and the fallback (f64), at ranges that start inside and on a
    /// block boundary; two ranges one after the other add up to the whole product.
    #[test]
    fn a_row_range_is_the_product_with_those_rows() {
        let (m, k, n) = (13, 768, 40);
        let lhs = values(m * k, 7);
        let src = values(k * n, 8);
        let mut p32 = PackedRhs::<f32>::default();
        p32.pack(
            &src.iter().map(|&v| v as f32).collect::<Vec<_>>(),
            k,
            n,
            false,
        );
        let mut p64 = PackedRhs::<f64>::default();
        p64.pack(&src, k, n, false);
        for (k0, k1) in [(0, 512), (512, 768), (100, 357), (0, 768)] {
            let kr = k1 - k0;
            // lhs columns k0..k1, as its own matrix
            let sub: Vec<f64> = (0..m * kr)
                .map(|i| lhs[(i / kr) * k + k0 + i % kr])
                .collect();
            let mut want = vec![0.0; m * n];
            let zeros = vec![0.0; n];
            naive(
                &mut want,
                n,
                &sub,
                kr,
                &src[k0 * n..k1 * n],
                &zeros,
                (m, kr, n),
                0,
            );

            let sub32: Vec<f32> = sub.iter().map(|&v| v as f32).collect();
            let mut got = vec![0f32; m * n];
            matmul_packed(
                MatMut::new(&mut got, m, n, n),
                MatRef::new(&sub32, m, kr, kr),
                p32.rows(k0..k1),
                false,
            );
            for (&g, &w) in got.iter().zip(&want) {
                assert!(
                    (g as f64 - w).abs() < 1e-4 * (1.0 + w.abs()),
                    "{k0}..{k1}: {g} {w}"
                );
            }
            let mut got = vec![0.0; m * n];
            matmul_packed(
                MatMut::new(&mut got, m, n, n),
                MatRef::new(&sub, m, kr, kr),
                p64.rows(k0..k1),
                false,
            );
            for (&g, &w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-12 * (1.0 + w.abs()), "f64 {k0}..{k1}");
            }
        }
        // rows 0..512 then 512..768 onto the same destination: the whole product
        let lhs32: Vec<f32> = lhs.iter().map(|&v| v as f32).collect();
        let mut whole = vec![0f32; m * n];
        matmul_packed(
            MatMut::new(&mut whole, m, n, n),
            MatRef::new(&lhs32, m, k, k),
            &p32,
            false,
        );
        let mut parts = vec![0f32; m * n];
        matmul_packed(
            MatMut::new(&mut parts, m, n, n),
            MatRef::new(&lhs32, m, 512, k),
            p32.rows(0..512),
            false,
        );
        matmul_packed(
            MatMut::new(&mut parts, m, n, n),
            MatRef::new(&lhs32[512..], m, 256, k),
            p32.rows(512..768),
            true,
        );
        // 512 is a block boundary of the inner dimension: the same sums in the same order
        assert_eq!(whole, parts);
    }

    /// Rows past the matrix are refused.
    #[test]
    #[should_panic(expected = "rows")]
    fn a_row_range_past_the_end_is_refused() {
        let mut p = PackedRhs::<f32>::default();
        p.pack(&[1.0; 6], 2, 3, false);
        let _ = p.rows(1..3);
    }

    /// With `accumulate == false` the destination is never read: NaN there does not leak.
    #[test]
    fn an_overwrite_ignores_what_the_destination_held() {
        let (m, k, n) = (9, 300, 20);
        let lhs = vec![1.0f32; m * k];
        let mut rhs = PackedRhs::<f32>::default();
        rhs.pack(&vec![0.5f32; k * n], k, n, false);
        let mut dst = vec![f32::NAN; m * n];
        matmul_packed(
            MatMut::new(&mut dst, m, n, n),
            MatRef::new(&lhs, m, k, k),
            &rhs,
            false,
        );
        assert!(dst.iter().all(|&v| v == 150.0), "{dst:?}");
    }

    /// The fallback, then every tile this CPU has.
    fn tiles() -> Vec<Option<Tile>> {
        std::iter::once(None)
            .chain(Tile::available().into_iter().map(Some))
            .collect()
    }

    /// `f32` is packed for the active path's tile (none on the portable path), as wide as
    /// that tile; `f64` never is; a tile the CPU lacks falls back.
    #[test]
    fn f32_is_packed_for_the_active_tile() {
        let mut rhs = PackedRhs::<f32>::default();
        rhs.pack(&[1.0; 6], 2, 3, false);
        assert_eq!(rhs.tile, Tile::active());
        assert_eq!(rhs.panels.len(), rhs.tile.map_or(0, |t| 2 * t.nr()));
        let mut r64 = PackedRhs::<f64>::default();
        r64.pack(&[1.0; 6], 2, 3, false);
        assert!(r64.panels.is_empty() && r64.tile.is_none());
        for tile in [Tile::Avx2, Tile::Avx512] {
            rhs.pack_for(Some(tile), &[1.0; 6], 2, 3, false);
            assert_eq!(rhs.tile.is_some(), tile.runs_here());
        }
    }
}
