//! Dense matrix products over the `matrixmultiply` crate.
//!
//! Matrices are row-major `f32` slices. The three products below are the ones a dense
//! layer needs, with the weight `W` stored `out × in` as PyTorch stores it:
//! forward `Y = X·Wᵀ`, weight gradient `dW += dYᵀ·X` and input gradient `dX = dY·W`.
//! `matrixmultiply` packs both operands and threads over output tiles, so every output
//! element is summed in the same order whatever its thread count. On x86-64 CPUs with AVX2
//! and FMA, products on one thread can run on the kernels of [`avx2`] instead, which skip
//! the packing. They do so when one operand is small enough to stay in cache, as in the
//! dense layers' products on mini-batches. They sum in another order, so results on one
//! thread differ in the last bits from results on several; for a fixed thread count they
//! never vary, and the choice of kernel never depends on the number of rows alone.

// The explicit path lets `benches/kernels.rs` compile this file as a module of its own.
#[cfg(target_arch = "x86_64")]
#[path = "linalg/avx2.rs"]
mod avx2;

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
    #[cfg(target_arch = "x86_64")]
    if let Some(order) = avx2_order((x.rows, x.cols), w.rows * w.cols, true) {
        if x.cols >= MIN_DOT_DEPTH {
            check_product(x, w, (x.cols, w.cols), (x.rows, w.rows), y.len());
            // SAFETY: `avx2_order` checked the CPU, and `check_product` the bounds; `y` is
            // borrowed mutably, so it overlaps neither input.
            unsafe {
                avx2::gemm_dot(
                    (x.rows, w.rows, x.cols),
                    1.0,
                    avx2::Rows::new(x.data.as_ptr(), x.cols),
                    avx2::Rows::new(w.data.as_ptr(), w.cols),
                    0.0,
                    avx2::Rows::new(y.as_mut_ptr(), w.rows),
                    order,
                );
            }
            return;
        }
    }
    gemm(1.0, x, false, w, true, 0.0, y);
}

/// `dw += dyᵀ · x` (`dy`: n × out, `x`: n × in, `dw`: out × in).
pub(crate) fn matmul_tn_acc(dy: MatRef, x: MatRef, alpha: f32, dw: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if let Some(order) = avx2_order((dy.cols, dy.rows), x.rows * x.cols, false) {
        check_product(dy, x, (dy.rows, x.rows), (dy.cols, x.cols), dw.len());
        let dy_t = avx2::Strided {
            ptr: dy.data.as_ptr(),
            row_stride: 1,
            col_stride: dy.cols as isize,
        };
        // SAFETY: `avx2_order` checked the CPU, and `check_product` the bounds: `dyᵀ`
        // reads `dy[p·out + i]` for `i < out`, `p < n`. `dw` overlaps neither input.
        unsafe {
            avx2::gemm_broadcast(
                (dy.cols, x.cols, dy.rows),
                alpha,
                dy_t,
                avx2::Rows::new(x.data.as_ptr(), x.cols),
                1.0,
                avx2::Rows::new(dw.as_mut_ptr(), x.cols),
                order,
            );
        }
        return;
    }
    gemm(alpha, dy, true, x, false, 1.0, dw);
}

/// `dx = dy · w` (`dy`: n × out, `w`: out × in, `dx`: n × in), or `dx += …` with `accumulate`.
pub(crate) fn matmul_nn(dy: MatRef, w: MatRef, alpha: f32, accumulate: bool, dx: &mut [f32]) {
    let beta = if accumulate { 1.0 } else { 0.0 };
    #[cfg(target_arch = "x86_64")]
    if let Some(order) = avx2_order((dy.rows, dy.cols), w.rows * w.cols, false) {
        check_product(dy, w, (dy.cols, w.rows), (dy.rows, w.cols), dx.len());
        let dy_rows = avx2::Strided {
            ptr: dy.data.as_ptr(),
            row_stride: dy.cols as isize,
            col_stride: 1,
        };
        // SAFETY: `avx2_order` checked the CPU, and `check_product` the bounds. `dx`
        // overlaps neither input.
        unsafe {
            avx2::gemm_broadcast(
                (dy.rows, w.cols, dy.cols),
                alpha,
                dy_rows,
                avx2::Rows::new(w.data.as_ptr(), w.cols),
                beta,
                avx2::Rows::new(dx.as_mut_ptr(), w.cols),
                order,
            );
        }
        return;
    }
    gemm(alpha, dy, false, w, false, beta, dx);
}

/// Bytes of an operand that the unpacked kernels read again and again: about the L2 cache
/// of one x86 core with AVX2 (256 KiB on Intel Haswell to Skylake, 512 KiB or more on
/// AMD Zen and newer Intel cores). Larger operands go to `matrixmultiply`, whose packing
/// then pays for itself.
#[cfg(target_arch = "x86_64")]
const CACHED_OPERAND_BYTES: usize = 256 * 1024;

/// Rows of the first operand that a pass of [`avx2::Order::ColumnPanels`] must cover at
/// least, so that the second operand, read once per pass, is read at most once per 64 rows.
#[cfg(target_arch = "x86_64")]
const MIN_ROWS_PER_PASS: usize = 64;

/// Returns the loop order for the unpacked kernels, or `None` when `matrixmultiply` should
/// run the product. That happens without AVX2 and FMA, with more than one thread, or when
/// neither operand fits in [`CACHED_OPERAND_BYTES`]: not the first (`rows × depth`, in
/// passes of at least [`MIN_ROWS_PER_PASS`] rows) and not the second (`second_len` values).
///
/// A `forward` product (`X·Wᵀ`, whose rows are the samples) never goes to
/// `matrixmultiply` for the last reason, which depends on the number of rows: a row scored
/// alone then takes the same kernel, and gets the same bits, as in a chunk of 512.
#[cfg(target_arch = "x86_64")]
fn avx2_order(
    (rows, depth): (usize, usize),
    second_len: usize,
    forward: bool,
) -> Option<avx2::Order> {
    let fits = |len: usize| len.saturating_mul(4) <= CACHED_OPERAND_BYTES;
    let rows_per_pass = CACHED_OPERAND_BYTES / 4 / depth.max(1);
    if !use_avx2() {
        None
    } else if fits(rows.saturating_mul(depth)) {
        Some(avx2::Order::ColumnPanels {
            rows_per_pass: rows,
        })
    } else if fits(second_len) {
        Some(avx2::Order::RowBlocks)
    } else if rows_per_pass >= MIN_ROWS_PER_PASS || forward {
        Some(avx2::Order::ColumnPanels {
            rows_per_pass: rows_per_pass.max(MIN_ROWS_PER_PASS),
        })
    } else {
        None
    }
}

/// Inner dimensions below this go to `matrixmultiply` in [`matmul_nt`], where the lane sums
/// at the end of each dot product would cost more than the products.
#[cfg(target_arch = "x86_64")]
const MIN_DOT_DEPTH: usize = 32;

/// Returns `true` when the products run on the kernels of [`avx2`]: the CPU has AVX2 and
/// FMA, and `MATMUL_NUM_THREADS` is 1 (or unset on a one-CPU machine), because those
/// kernels run on the calling thread only. Decided once per process, as `matrixmultiply`
/// reads the variable once.
#[cfg(target_arch = "x86_64")]
fn use_avx2() -> bool {
    static USE_AVX2: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *USE_AVX2.get_or_init(|| avx2::available() && matmul_threads() == 1)
}

/// Returns the thread count for the products: `MATMUL_NUM_THREADS` when set, else the
/// CPUs this process may run on. `matrixmultiply` counts physical cores in the second case
/// instead, which differs only where a core runs more than one thread.
#[cfg(target_arch = "x86_64")]
fn matmul_threads() -> usize {
    match std::env::var("MATMUL_NUM_THREADS") {
        Ok(value) if !value.is_empty() => value.trim().parse().unwrap_or(1),
        _ => std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
}

/// Asserts what the unchecked kernels need: both operands fit in their buffers, the inner
/// dimensions `inner` agree, and the `m × n` output fits in `c_len` values.
#[cfg(target_arch = "x86_64")]
fn check_product(
    a: MatRef,
    b: MatRef,
    inner: (usize, usize),
    (m, n): (usize, usize),
    c_len: usize,
) {
    assert!(
        a.data.len() >= a.rows * a.cols && b.data.len() >= b.rows * b.cols,
        "operand of a matrix product is shorter than its shape"
    );
    assert_eq!(
        inner.0, inner.1,
        "inner dimensions of a matrix product differ"
    );
    assert!(
        c_len >= m * n,
        "output buffer of a matrix product is too small"
    );
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
