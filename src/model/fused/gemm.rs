//! A safe matrix product over slices. The views check once, when they are made, that every
//! element their shape and strides address lies inside their slice; [`matmul`] checks that the
//! shapes agree and then hands raw pointers to `gemm`, which dispatches to its own SIMD code.

use gemm::Parallelism;

use super::float::FusedFloat;

/// Whether a `rows × cols` matrix with these strides stays inside `len` elements.
#[inline(always)]
fn fits(len: usize, rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> bool {
    if rows == 0 || cols == 0 {
        return true;
    }
    let last = (rows - 1).checked_mul(row_stride).and_then(|r| {
        (cols - 1)
            .checked_mul(col_stride)
            .and_then(|c| r.checked_add(c))
    });
    last.is_some_and(|last| last < len)
}

/// A read-only matrix over a slice: element `(i, j)` is `data[i * row_stride + j * col_stride]`.
#[derive(Clone, Copy)]
pub(super) struct MatRef<'a, F> {
    data: &'a [F],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a, F> MatRef<'a, F> {
    /// A row-major `rows × cols` matrix whose rows start `row_stride` elements apart.
    #[inline(always)]
    pub(super) fn new(data: &'a [F], rows: usize, cols: usize, row_stride: usize) -> Self {
        assert!(
            fits(data.len(), rows, cols, row_stride, 1),
            "a {rows}×{cols} matrix with row stride {row_stride} does not fit in {} elements",
            data.len()
        );
        MatRef {
            data,
            rows,
            cols,
            row_stride,
            col_stride: 1,
        }
    }

    /// Its slice, shape and strides: `(data, rows, cols, row_stride, col_stride)`; every
    /// element they address lies inside `data`.
    #[inline(always)]
    pub(super) fn parts(&self) -> (&'a [F], usize, usize, usize, usize) {
        (
            self.data,
            self.rows,
            self.cols,
            self.row_stride,
            self.col_stride,
        )
    }

    /// The transpose (the same elements, strides swapped).
    #[inline(always)]
    pub(super) fn t(self) -> Self {
        MatRef {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }
}

/// A writable row-major matrix over a slice: element `(i, j)` is `data[i * row_stride + j]`.
pub(super) struct MatMut<'a, F> {
    data: &'a mut [F],
    rows: usize,
    cols: usize,
    row_stride: usize,
}

impl<'a, F> MatMut<'a, F> {
    /// A row-major `rows × cols` matrix whose rows start `row_stride` elements apart; the
    /// elements between the end of one row and the start of the next are left alone.
    #[inline(always)]
    pub(super) fn new(data: &'a mut [F], rows: usize, cols: usize, row_stride: usize) -> Self {
        assert!(
            fits(data.len(), rows, cols, row_stride, 1),
            "a {rows}×{cols} matrix with row stride {row_stride} does not fit in {} elements",
            data.len()
        );
        MatMut {
            data,
            rows,
            cols,
            row_stride,
        }
    }

    /// Its slice, shape and row stride: `(data, rows, cols, row_stride)`; every element they
    /// address lies inside `data`.
    #[inline(always)]
    pub(super) fn parts(self) -> (&'a mut [F], usize, usize, usize) {
        (self.data, self.rows, self.cols, self.row_stride)
    }
}

/// `dst = lhs · rhs`, or `dst += lhs · rhs` when `accumulate`. Single-threaded: the kernel
/// parallelises over work items, not inside a product.
#[inline(always)]
pub(super) fn matmul<F: FusedFloat>(
    dst: MatMut<'_, F>,
    lhs: MatRef<'_, F>,
    rhs: MatRef<'_, F>,
    accumulate: bool,
) {
    let (m, n, k) = (lhs.rows, rhs.cols, lhs.cols);
    assert_eq!(rhs.rows, k, "inner dimensions differ");
    assert_eq!((dst.rows, dst.cols), (m, n), "destination shape");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // An empty sum: gemm is not asked to handle it.
        if !accumulate {
            for row in dst.data.chunks_mut(dst.row_stride.max(1)).take(m) {
                row[..n].fill(F::ZERO);
            }
        }
        return;
    }
    // SAFETY: `MatRef::new` / `MatMut::new` checked that every element addressed by each
    // view's shape and strides lies inside its slice (`t` only swaps shape and strides
    // together), and the shapes were just checked to agree, so gemm reads `lhs` and `rhs` and
    // writes `dst` only inside the three slices. `dst` is a unique borrow, so it overlaps
    // neither input. With `accumulate == false` gemm does not read `dst`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.data.as_mut_ptr(),
            1,
            dst.row_stride as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            F::ONE,
            F::ONE,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_with_strides_and_transposes() {
        // lhs 2×3 inside rows of 4; rhs given as its 2×3 transpose.
        let lhs = [1.0f64, 2.0, 3.0, 99.0, 4.0, 5.0, 6.0, 99.0];
        let rhs_t = [1.0f64, 0.0, 2.0, 0.0, 1.0, 1.0];
        let mut dst = [9.0f64; 6];
        matmul(
            MatMut::new(&mut dst, 2, 2, 3),
            MatRef::new(&lhs, 2, 3, 4),
            MatRef::new(&rhs_t, 2, 3, 3).t(),
            false,
        );
        // Row i of lhs times columns [1,0,2] and [0,1,1]; column 2 of each dst row untouched.
        assert_eq!(dst, [7.0, 5.0, 9.0, 16.0, 11.0, 9.0]);
        matmul(
            MatMut::new(&mut dst, 2, 2, 3),
            MatRef::new(&lhs, 2, 3, 4),
            MatRef::new(&rhs_t, 2, 3, 3).t(),
            true,
        );
        assert_eq!(dst, [14.0, 10.0, 9.0, 32.0, 22.0, 9.0]);
    }

    #[test]
    #[should_panic(expected = "does not fit")]
    fn a_view_past_the_end_of_its_slice_is_refused() {
        let data = [0.0f32; 11];
        let _ = MatRef::new(&data, 3, 4, 4);
    }

    #[test]
    #[should_panic(expected = "inner dimensions differ")]
    fn mismatched_shapes_are_refused() {
        let (a, b) = ([0.0f32; 6], [0.0f32; 6]);
        let mut d = [0.0f32; 4];
        matmul(
            MatMut::new(&mut d, 2, 2, 2),
            MatRef::new(&a, 2, 3, 3),
            MatRef::new(&b, 2, 3, 3),
            false,
        );
    }
}
