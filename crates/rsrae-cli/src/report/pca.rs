//! Principal component analysis of the RSR embedding, down to three components.
//!
//! With `X` the `n × d` rows centred on their mean, the covariance is
//! `C = XᵀX / (n − 1)` (`d × d`, in `f64`). Its symmetric eigendecomposition `C = VΛVᵀ`,
//! sorted by eigenvalue from largest, gives the components `V[:, :3]` and the explained
//! variance ratios `λ_k / Σλ`. Each component's sign is fixed so that its entry of largest
//! magnitude is positive, as scikit-learn's `svd_flip` does, so the projection is
//! deterministic.

use nalgebra::{DMatrix, SymmetricEigen};

/// Principal components kept.
pub const N_COMPONENTS: usize = 3;

/// Rows projected onto their first principal components.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// One `[PC1, PC2, PC3]` triple per row; components past `d` are 0.
    pub points: Vec<[f64; N_COMPONENTS]>,
    /// Share of the total variance along each kept component, `min(d, 3)` entries; all 0
    /// when the rows do not vary.
    pub explained_variance_ratio: Vec<f64>,
}

/// Projects the `n × dim` row-major `values` onto their first three principal components.
pub fn project(values: &[f32], dim: usize) -> Projection {
    let n = values.len().checked_div(dim).unwrap_or(0);
    if n == 0 {
        return Projection {
            points: Vec::new(),
            explained_variance_ratio: Vec::new(),
        };
    }
    let centred = centred_rows(values, n, dim);
    let covariance = centred.transpose() * &centred / (n.saturating_sub(1).max(1) as f64);
    let eigen = SymmetricEigen::new(covariance);

    let mut order: Vec<usize> = (0..dim).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    let leading = &order[..dim.min(N_COMPONENTS)];
    let components: Vec<Vec<f64>> = leading
        .iter()
        .map(|&k| sign_fixed(eigen.eigenvectors.column(k).iter().copied().collect()))
        .collect();

    let total: f64 = eigen.eigenvalues.iter().map(|v| v.max(0.0)).sum();
    let explained_variance_ratio = leading
        .iter()
        .map(|&k| {
            if total > 0.0 {
                eigen.eigenvalues[k].max(0.0) / total
            } else {
                0.0
            }
        })
        .collect();

    let points = centred
        .row_iter()
        .map(|row| {
            let mut point = [0.0; N_COMPONENTS];
            for (p, component) in point.iter_mut().zip(&components) {
                *p = row.iter().zip(component).map(|(x, v)| x * v).sum();
            }
            point
        })
        .collect();
    Projection {
        points,
        explained_variance_ratio,
    }
}

fn centred_rows(values: &[f32], n: usize, dim: usize) -> DMatrix<f64> {
    let mut matrix = DMatrix::from_row_iterator(n, dim, values.iter().map(|&v| f64::from(v)));
    for mut column in matrix.column_iter_mut() {
        let mean = column.sum() / n as f64;
        column.add_scalar_mut(-mean);
    }
    matrix
}

/// Flips `vector` so that its entry of largest magnitude is positive.
fn sign_fixed(mut vector: Vec<f64>) -> Vec<f64> {
    let largest = vector
        .iter()
        .copied()
        .max_by(|a, b| a.abs().total_cmp(&b.abs()))
        .unwrap_or(0.0);
    if largest < 0.0 {
        for v in &mut vector {
            *v = -*v;
        }
    }
    vector
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    // Reference from NumPy 2.4.6:
    //
    // x = np.array([[2, 0, 1], [0, 1, -1], [1, 3, 0.5], [4, -1, 2], [-1, 2, 0]], float)
    // c = x - x.mean(0)
    // w, v = np.linalg.eigh(c.T @ c / (len(x) - 1))
    // print(w[::-1] / w.sum(), (c @ v[:, ::-1])[0])
    //
    // eigenvalues [6.30209827, 0.95042674, 0.19747498], components (columns of v[:, ::-1])
    // [-0.74655844, 0.54293608, -0.38453986], [0.3646437, 0.81734101, 0.44608144],
    // [0.55649391, 0.19280583, -0.80817105]
    const X: [f32; 15] = [
        2.0, 0.0, 1.0, 0.0, 1.0, -1.0, 1.0, 3.0, 0.5, 4.0, -1.0, 2.0, -1.0, 2.0, 0.0,
    ];
    const EIGENVALUES: [f64; 3] = [6.30209827, 0.95042674, 0.19747498];
    const COMPONENTS: [[f64; 3]; 3] = [
        [0.74655844, -0.54293608, 0.38453986],
        [0.3646437, 0.81734101, 0.44608144],
        [-0.55649391, -0.19280583, 0.80817105],
    ];

    #[test]
    fn pca_matches_numpy_eigh() {
        let projection = project(&X, 3);
        let total: f64 = EIGENVALUES.iter().sum();
        for (ratio, value) in projection.explained_variance_ratio.iter().zip(EIGENVALUES) {
            assert_abs_diff_eq!(*ratio, value / total, epsilon = 1e-7);
        }
        // NumPy's first and third components have their largest entry negative, so they are
        // flipped in COMPONENTS.
        let mean = [1.2, 1.0, 0.5];
        for (row, point) in X.chunks(3).zip(&projection.points) {
            for (k, component) in COMPONENTS.iter().enumerate() {
                let expected: f64 = (0..3)
                    .map(|j| (f64::from(row[j]) - mean[j]) * component[j])
                    .sum();
                assert_abs_diff_eq!(point[k], expected, epsilon = 1e-6);
            }
        }
    }

    #[test]
    fn pca_pads_missing_components_with_zero() {
        let values = [0.0f32, 1.0, 2.0, 4.0, 4.0, 0.0];
        let projection = project(&values, 2);
        assert_eq!(projection.explained_variance_ratio.len(), 2);
        assert_abs_diff_eq!(
            projection.explained_variance_ratio.iter().sum::<f64>(),
            1.0,
            epsilon = 1e-12
        );
        assert!(projection.points.iter().all(|p| p[2] == 0.0));
    }

    #[test]
    fn pca_of_constant_rows_is_zero() {
        let projection = project(&[1.0; 12], 4);
        assert_eq!(projection.explained_variance_ratio, vec![0.0; 3]);
        assert!(projection.points.iter().all(|p| p == &[0.0; 3]));
        assert!(project(&[], 4).points.is_empty());
    }
}
