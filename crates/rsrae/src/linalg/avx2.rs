//! AVX2 + FMA matrix products that read both operands where they lie, without packing.
//!
//! `matrixmultiply` copies (packs) both operands of every product into its own layout
//! first. For a dense layer on a batch of 64 rows the weight matrix is as large as the
//! product's whole output, so packing it on every call costs up to a fifth of a training
//! step. The two kernels here need no copy:
//!
//! - [`gemm_dot`] computes `C = α·A·Bᵀ + β·C` for `A` and `B` with contiguous rows (the
//!   forward product `X·Wᵀ`): each `3 × 4` tile of `C` is twelve dot products over `k`,
//!   eight lanes wide, summed across lanes at the end.
//! - [`gemm_broadcast`] computes `C = α·A·B + β·C` for `B` with contiguous rows and `A`
//!   read one value at a time at any strides (the backward products `dY·W` and `dYᵀ·X`).
//!   For every `p`, each `6 × 16` tile of `C` adds row `p` of `B` scaled by the
//!   broadcast `A[i, p]`.
//!
//! Each element of `C` is summed in one fixed order, so results do not depend on how the
//! caller splits `C` into blocks.

use std::arch::x86_64::*;

/// Returns `true` when the CPU has the AVX2 and FMA instructions the kernels use.
pub(super) fn available() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}

/// A matrix read one element at a time: `(i, p)` at `ptr + i·row_stride + p·col_stride`.
#[derive(Clone, Copy)]
pub(super) struct Strided {
    pub ptr: *const f32,
    pub row_stride: isize,
    pub col_stride: isize,
}

/// A matrix with contiguous rows `stride` values apart.
#[derive(Clone, Copy)]
pub(super) struct Rows<P> {
    pub ptr: P,
    pub stride: usize,
}

impl<P> Rows<P> {
    pub(super) fn new(ptr: P, stride: usize) -> Self {
        Rows { ptr, stride }
    }
}

/// Rows of a [`gemm_broadcast`] tile: 6 × 2 accumulators, 2 loads of `B` and one
/// broadcast fill 15 of the 16 vector registers.
const BROADCAST_ROWS: usize = 6;
/// Columns of a [`gemm_broadcast`] tile: two 8-lane vectors.
const BROADCAST_COLS: usize = 16;
/// Rows of a [`gemm_dot`] tile.
const DOT_ROWS: usize = 3;
/// Columns of a [`gemm_dot`] tile: 12 accumulators, 3 rows of `A` and one of `B` fill
/// the 16 vector registers.
const DOT_COLS: usize = 4;

/// Computes `C = alpha·A·B + beta·C` for `A` (`m × k`, strided), `B` (`k × n`) and `C`
/// (`m × n`). With `beta == 0` the old values of `C` are not read.
///
/// # Safety
///
/// The CPU must have AVX2 and FMA ([`available`]). Every element of `A` and the first `n`
/// values of the `k` rows of `B` and of the `m` rows of `C` must be in bounds. `C` must
/// not overlap `A` or `B`.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn gemm_broadcast(
    (m, n, k): (usize, usize, usize),
    alpha: f32,
    a: Strided,
    b: Rows<*const f32>,
    beta: f32,
    c: Rows<*mut f32>,
    order: Order,
) {
    let scale = Scale { alpha, beta };
    let tile = |i: usize, j: usize| {
        let (rows, cols) = ((m - i).min(BROADCAST_ROWS), (n - j).min(BROADCAST_COLS));
        let a = Strided {
            ptr: a.ptr.offset(i as isize * a.row_stride),
            ..a
        };
        let b = Rows {
            ptr: b.ptr.add(j),
            stride: b.stride,
        };
        let c = Rows {
            ptr: c.ptr.add(i * c.stride + j),
            stride: c.stride,
        };
        match rows {
            6 => broadcast_tile::<6>(k, a, b, c, cols, scale),
            5 => broadcast_tile::<5>(k, a, b, c, cols, scale),
            4 => broadcast_tile::<4>(k, a, b, c, cols, scale),
            3 => broadcast_tile::<3>(k, a, b, c, cols, scale),
            2 => broadcast_tile::<2>(k, a, b, c, cols, scale),
            _ => broadcast_tile::<1>(k, a, b, c, cols, scale),
        }
    };
    order.for_each_tile((m, n), (BROADCAST_ROWS, BROADCAST_COLS), tile);
}

/// The loop order over the tiles of `C`, which decides the operand that stays in cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Order {
    /// Passes over at most `rows_per_pass` rows of the first operand, each with column
    /// panels outside and row blocks inside. A panel of the second operand stays in L1
    /// while the rows of the pass, which should fit in L2, are read once per panel.
    ColumnPanels {
        /// Rows of the first operand per pass; rounded down to whole tiles.
        rows_per_pass: usize,
    },
    /// Row blocks outside, column panels inside: the rows of the first operand stay in L1
    /// and the whole second operand is read again for every row block.
    RowBlocks,
}

impl Order {
    /// Calls `tile(i, j)` for the top-left corner of every `rows × cols` tile of an
    /// `m × n` matrix, in this order.
    #[inline(always)]
    fn for_each_tile(
        self,
        (m, n): (usize, usize),
        (rows, cols): (usize, usize),
        mut tile: impl FnMut(usize, usize),
    ) {
        match self {
            Order::ColumnPanels { rows_per_pass } => {
                // Whole tiles per pass, so that no tile reaches into the next pass.
                let pass = (rows_per_pass / rows).max(1) * rows;
                for start in (0..m).step_by(pass) {
                    let end = (start + pass).min(m);
                    for j in (0..n).step_by(cols) {
                        for i in (start..end).step_by(rows) {
                            tile(i, j);
                        }
                    }
                }
            }
            Order::RowBlocks => {
                for i in (0..m).step_by(rows) {
                    for j in (0..n).step_by(cols) {
                        tile(i, j);
                    }
                }
            }
        }
    }
}

/// The factors of `C = alpha·(product) + beta·C`.
#[derive(Clone, Copy)]
struct Scale {
    alpha: f32,
    beta: f32,
}

/// Lane masks for the first `cols` (at most 16) columns of a tile, 8 lanes each.
#[inline(always)]
unsafe fn column_masks(cols: usize) -> [__m256i; 2] {
    let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    let cols = cols as i32;
    [
        _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lanes),
        _mm256_cmpgt_epi32(_mm256_set1_epi32(cols - 8), lanes),
    ]
}

/// Computes one `MR × cols` tile of [`gemm_broadcast`], `cols ≤ 16`.
#[inline(always)]
unsafe fn broadcast_tile<const MR: usize>(
    k: usize,
    a: Strided,
    b: Rows<*const f32>,
    c: Rows<*mut f32>,
    cols: usize,
    scale: Scale,
) {
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
    let masks = column_masks(cols);
    let full = cols == BROADCAST_COLS;
    for p in 0..k {
        let bp = b.ptr.add(p * b.stride);
        let (b0, b1) = if full {
            (_mm256_loadu_ps(bp), _mm256_loadu_ps(bp.add(8)))
        } else {
            (
                _mm256_maskload_ps(bp, masks[0]),
                _mm256_maskload_ps(bp.add(8), masks[1]),
            )
        };
        let ap = a.ptr.offset(p as isize * a.col_stride);
        for (r, acc) in acc.iter_mut().enumerate() {
            let av = _mm256_broadcast_ss(&*ap.offset(r as isize * a.row_stride));
            acc[0] = _mm256_fmadd_ps(av, b0, acc[0]);
            acc[1] = _mm256_fmadd_ps(av, b1, acc[1]);
        }
    }
    let alpha = _mm256_set1_ps(scale.alpha);
    let beta = _mm256_set1_ps(scale.beta);
    for (r, acc) in acc.iter().enumerate() {
        let row = c.ptr.add(r * c.stride);
        for (half, &sum) in acc.iter().enumerate() {
            let out = row.add(8 * half);
            let mut v = _mm256_mul_ps(alpha, sum);
            if full {
                if scale.beta != 0.0 {
                    v = _mm256_fmadd_ps(beta, _mm256_loadu_ps(out), v);
                }
                _mm256_storeu_ps(out, v);
            } else {
                if scale.beta != 0.0 {
                    v = _mm256_fmadd_ps(beta, _mm256_maskload_ps(out, masks[half]), v);
                }
                _mm256_maskstore_ps(out, masks[half], v);
            }
        }
    }
}

/// Computes `C = alpha·A·Bᵀ + beta·C` for `A` (`m × k`), `B` (`n × k`) and `C` (`m × n`).
/// With `beta == 0` the old values of `C` are not read.
///
/// # Safety
///
/// The CPU must have AVX2 and FMA ([`available`]). The first `k` values of the `m` rows
/// of `A` and of the `n` rows of `B`, and the first `n` values of the `m` rows of `C`, must
/// be in bounds. `C` must not overlap `A` or `B`.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn gemm_dot(
    (m, n, k): (usize, usize, usize),
    alpha: f32,
    a: Rows<*const f32>,
    b: Rows<*const f32>,
    beta: f32,
    c: Rows<*mut f32>,
    order: Order,
) {
    let scale = Scale { alpha, beta };
    let tile = |i: usize, j: usize| {
        let (rows, cols) = ((m - i).min(DOT_ROWS), (n - j).min(DOT_COLS));
        let a = Rows {
            ptr: a.ptr.add(i * a.stride),
            stride: a.stride,
        };
        let b = Rows {
            ptr: b.ptr.add(j * b.stride),
            stride: b.stride,
        };
        let c = Rows {
            ptr: c.ptr.add(i * c.stride + j),
            stride: c.stride,
        };
        match (rows, cols) {
            (3, 4) => dot_tile::<3, 4>(k, a, b, c, scale),
            (2, 4) => dot_tile::<2, 4>(k, a, b, c, scale),
            (1, 4) => dot_tile::<1, 4>(k, a, b, c, scale),
            (3, 3) => dot_tile::<3, 3>(k, a, b, c, scale),
            (2, 3) => dot_tile::<2, 3>(k, a, b, c, scale),
            (1, 3) => dot_tile::<1, 3>(k, a, b, c, scale),
            (3, 2) => dot_tile::<3, 2>(k, a, b, c, scale),
            (2, 2) => dot_tile::<2, 2>(k, a, b, c, scale),
            (1, 2) => dot_tile::<1, 2>(k, a, b, c, scale),
            (3, _) => dot_tile::<3, 1>(k, a, b, c, scale),
            (2, _) => dot_tile::<2, 1>(k, a, b, c, scale),
            _ => dot_tile::<1, 1>(k, a, b, c, scale),
        }
    };
    order.for_each_tile((m, n), (DOT_ROWS, DOT_COLS), tile);
}

/// Computes one `MR × NR` tile of [`gemm_dot`].
// Indices read best here: `acc[r][q]` pairs row `r` of `A` with row `q` of `B`.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
unsafe fn dot_tile<const MR: usize, const NR: usize>(
    k: usize,
    a: Rows<*const f32>,
    b: Rows<*const f32>,
    c: Rows<*mut f32>,
    scale: Scale,
) {
    let mut acc = [[_mm256_setzero_ps(); NR]; MR];
    let full = k - k % 8;
    let mut p = 0;
    while p < full {
        let mut av = [_mm256_setzero_ps(); MR];
        for (r, v) in av.iter_mut().enumerate() {
            *v = _mm256_loadu_ps(a.ptr.add(r * a.stride + p));
        }
        for q in 0..NR {
            let bv = _mm256_loadu_ps(b.ptr.add(q * b.stride + p));
            for r in 0..MR {
                acc[r][q] = _mm256_fmadd_ps(av[r], bv, acc[r][q]);
            }
        }
        p += 8;
    }
    if full < k {
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        let mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((k - full) as i32), lanes);
        for q in 0..NR {
            let bv = _mm256_maskload_ps(b.ptr.add(q * b.stride + p), mask);
            for r in 0..MR {
                let av = _mm256_maskload_ps(a.ptr.add(r * a.stride + p), mask);
                acc[r][q] = _mm256_fmadd_ps(av, bv, acc[r][q]);
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        let sums = lane_sums(acc);
        let row = c.ptr.add(r * c.stride);
        for (q, &sum) in sums.iter().enumerate() {
            let out = row.add(q);
            let v = scale.alpha * sum;
            *out = if scale.beta == 0.0 {
                v
            } else {
                v + scale.beta * *out
            };
        }
    }
}

/// Sums the eight lanes of each vector.
#[inline(always)]
unsafe fn lane_sums<const NR: usize>(acc: &[__m256; NR]) -> [f32; NR] {
    let mut out = [0.0f32; NR];
    for (sum, &v) in out.iter_mut().zip(acc) {
        let x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let x = _mm_add_ps(x, _mm_movehl_ps(x, x));
        let x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
        *sum = _mm_cvtss_f32(x);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in [-0.5, 0.5].
    fn values(len: usize, seed: usize) -> Vec<f32> {
        (0..len)
            .map(|i| ((i * 7919 + seed * 104_729) % 1009) as f32 / 1009.0 - 0.5)
            .collect()
    }

    /// `alpha·A·B + beta·C` in f64, with `a(i, p)` and `b(p, j)` given as closures.
    fn reference(
        (m, n, k): (usize, usize, usize),
        a: impl Fn(usize, usize) -> f32,
        b: impl Fn(usize, usize) -> f32,
        (alpha, beta): (f32, f32),
        c: &[f32],
    ) -> Vec<f32> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let dot: f64 = (0..k)
                    .map(|p| f64::from(a(i, p)) * f64::from(b(p, j)))
                    .sum();
                out[i * n + j] = (f64::from(alpha) * dot + f64::from(beta * c[i * n + j])) as f32;
            }
        }
        out
    }

    fn assert_close(got: &[f32], want: &[f32], shape: (usize, usize, usize)) {
        for (index, (g, w)) in got.iter().zip(want).enumerate() {
            let tolerance = 1e-5 * (1.0 + w.abs()) * (shape.2 as f32).sqrt();
            assert!(
                (g - w).abs() <= tolerance,
                "{shape:?} at {index}: {g} vs {w}"
            );
        }
    }

    /// Sizes around the tile edges: 6 × 16 and 3 × 4 tiles, 8-lane vectors.
    const SIZES: [(usize, usize, usize); 8] = [
        (1, 1, 1),
        (5, 7, 3),
        (6, 16, 8),
        (7, 17, 9),
        (13, 33, 31),
        (64, 40, 20),
        (3, 4, 100),
        (11, 24, 65),
    ];

    /// `alpha`, `beta` and the loop order of each checked product.
    const CASES: [(f32, f32, Order); 6] = [
        (
            1.0,
            0.0,
            Order::ColumnPanels {
                rows_per_pass: usize::MAX,
            },
        ),
        (
            -0.5,
            1.0,
            Order::ColumnPanels {
                rows_per_pass: usize::MAX,
            },
        ),
        (1.0, 0.0, Order::ColumnPanels { rows_per_pass: 7 }),
        (-0.5, 1.0, Order::ColumnPanels { rows_per_pass: 1 }),
        (1.0, 0.0, Order::RowBlocks),
        (2.0, 0.5, Order::RowBlocks),
    ];

    #[test]
    fn broadcast_matches_reference() {
        if !available() {
            return;
        }
        for &(m, n, k) in &SIZES {
            for (alpha, beta, order) in CASES {
                let a = values(m * k, 1);
                let b = values(k * n, 2);
                let mut c = values(m * n, 3);
                // A is read transposed from a `k × m` buffer, as `dyᵀ` is.
                let a_at = |i: usize, p: usize| a[p * m + i];
                let want = reference((m, n, k), a_at, |p, j| b[p * n + j], (alpha, beta), &c);
                // SAFETY: AVX2 and FMA are present, and the shapes match the buffers.
                unsafe {
                    gemm_broadcast(
                        (m, n, k),
                        alpha,
                        Strided {
                            ptr: a.as_ptr(),
                            row_stride: 1,
                            col_stride: m as isize,
                        },
                        Rows {
                            ptr: b.as_ptr(),
                            stride: n,
                        },
                        beta,
                        Rows {
                            ptr: c.as_mut_ptr(),
                            stride: n,
                        },
                        order,
                    );
                }
                assert_close(&c, &want, (m, n, k));
            }
        }
    }

    #[test]
    fn dot_matches_reference() {
        if !available() {
            return;
        }
        for &(m, n, k) in &SIZES {
            for (alpha, beta, order) in CASES {
                let a = values(m * k, 4);
                let b = values(n * k, 5);
                let mut c = values(m * n, 6);
                let want = reference(
                    (m, n, k),
                    |i, p| a[i * k + p],
                    |p, j| b[j * k + p],
                    (alpha, beta),
                    &c,
                );
                // SAFETY: AVX2 and FMA are present, and the shapes match the buffers.
                unsafe {
                    gemm_dot(
                        (m, n, k),
                        alpha,
                        Rows {
                            ptr: a.as_ptr(),
                            stride: k,
                        },
                        Rows {
                            ptr: b.as_ptr(),
                            stride: k,
                        },
                        beta,
                        Rows {
                            ptr: c.as_mut_ptr(),
                            stride: n,
                        },
                        order,
                    );
                }
                assert_close(&c, &want, (m, n, k));
            }
        }
    }

    #[test]
    fn beta_zero_ignores_nan_output() {
        if !available() {
            return;
        }
        let (m, n, k) = (7, 18, 9);
        let a = values(m * k, 7);
        let b = values(k * n, 8);
        let mut c = vec![f32::NAN; m * n];
        // SAFETY: AVX2 and FMA are present, and the shapes match the buffers.
        unsafe {
            gemm_broadcast(
                (m, n, k),
                1.0,
                Strided {
                    ptr: a.as_ptr(),
                    row_stride: k as isize,
                    col_stride: 1,
                },
                Rows {
                    ptr: b.as_ptr(),
                    stride: n,
                },
                0.0,
                Rows {
                    ptr: c.as_mut_ptr(),
                    stride: n,
                },
                Order::RowBlocks,
            );
        }
        assert!(c.iter().all(|v| v.is_finite()));
    }
}
