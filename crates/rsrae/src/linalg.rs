//! Dense matrix products over the `matrixmultiply` crate.
//!
//! Matrices are row-major `f32` slices. The three products below are the ones a dense
//! layer needs, with the weight `W` stored `out × in` as PyTorch stores it:
//! forward `Y = X·Wᵀ`, weight gradient `dW += dYᵀ·X` and input gradient `dX = dY·W`.
//! `matrixmultiply` packs both operands and threads over output tiles, so every output
//! element is summed in the same order whatever the thread count.

/// A read-only view of a row-major `rows × cols` matrix.
#[derive(Clone, Copy)]
pub(crate) struct MatRef<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
}

impl<'a> MatRef<'a> {
    pub(crate) fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        debug_assert!(data.len() >= rows * cols);
        MatRef { data, rows, cols }
    }
}

/// Computes `c = alpha · op(a) · op(b) + beta · c` where `op` transposes when asked.
///
/// `c` is row-major with `m = rows of op(a)` rows and `n = cols of op(b)` columns.
#[allow(clippy::too_many_arguments)]
fn gemm(alpha: f32, a: MatRef, trans_a: bool, b: MatRef, trans_b: bool, beta: f32, c: &mut [f32]) {
    let (m, k, rsa, csa) = if trans_a {
        (a.cols, a.rows, 1, a.cols as isize)
    } else {
        (a.rows, a.cols, a.cols as isize, 1)
    };
    let (k2, n, rsb, csb) = if trans_b {
        (b.cols, b.rows, 1, b.cols as isize)
    } else {
        (b.rows, b.cols, b.cols as isize, 1)
    };
    assert_eq!(k, k2, "inner dimensions of a matrix product differ");
    assert!(
        c.len() >= m * n,
        "output buffer of a matrix product is too small"
    );
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: the asserts above and `MatRef::new` guarantee that every index the strides
    // reach lies inside `a`, `b` and `c`, and `c` does not alias the inputs because it is
    // borrowed mutably.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            alpha,
            a.data.as_ptr(),
            rsa,
            csa,
            b.data.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// `y = x · wᵀ` (`x`: n × in, `w`: out × in, `y`: n × out).
pub(crate) fn matmul_nt(x: MatRef, w: MatRef, y: &mut [f32]) {
    gemm(1.0, x, false, w, true, 0.0, y);
}

/// `dw += dyᵀ · x` (`dy`: n × out, `x`: n × in, `dw`: out × in).
pub(crate) fn matmul_tn_acc(dy: MatRef, x: MatRef, alpha: f32, dw: &mut [f32]) {
    gemm(alpha, dy, true, x, false, 1.0, dw);
}

/// `dx = dy · w` (`dy`: n × out, `w`: out × in, `dx`: n × in), or `dx += …` with `accumulate`.
pub(crate) fn matmul_nn(dy: MatRef, w: MatRef, alpha: f32, accumulate: bool, dx: &mut [f32]) {
    let beta = if accumulate { 1.0 } else { 0.0 };
    gemm(alpha, dy, false, w, false, beta, dx);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        c
    }

    fn transpose(a: &[f32], rows: usize, cols: usize) -> Vec<f32> {
        let mut t = vec![0.0; a.len()];
        for i in 0..rows {
            for j in 0..cols {
                t[j * rows + i] = a[i * cols + j];
            }
        }
        t
    }

    fn ramp(len: usize, scale: f32) -> Vec<f32> {
        (0..len)
            .map(|i| ((i * 7 % 11) as f32 - 5.0) * scale)
            .collect()
    }

    fn assert_close(got: &[f32], want: &[f32]) {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= 1e-5 * (1.0 + w.abs()), "{g} vs {w}");
        }
    }

    #[test]
    fn products_match_naive_loops() {
        let (n, din, dout) = (5, 4, 3);
        let x = ramp(n * din, 0.3);
        let w = ramp(dout * din, 0.2);
        let mut y = vec![0.0; n * dout];
        matmul_nt(MatRef::new(&x, n, din), MatRef::new(&w, dout, din), &mut y);
        let expected = naive(&x, &transpose(&w, dout, din), n, din, dout);
        assert_close(&y, &expected);

        let mut dw = vec![1.0; dout * din];
        matmul_tn_acc(
            MatRef::new(&y, n, dout),
            MatRef::new(&x, n, din),
            1.0,
            &mut dw,
        );
        let expected = naive(&transpose(&y, n, dout), &x, dout, n, din);
        for (got, want) in dw.iter().zip(&expected) {
            assert!((got - (want + 1.0)).abs() < 1e-4);
        }

        let mut dx = vec![0.0; n * din];
        matmul_nn(
            MatRef::new(&y, n, dout),
            MatRef::new(&w, dout, din),
            1.0,
            false,
            &mut dx,
        );
        assert_close(&dx, &naive(&y, &w, n, dout, din));
    }
}
