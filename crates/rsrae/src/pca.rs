//! Principal component analysis, the classical baseline for subspace anomaly scores.
//!
//! The data `X` (`n × m`) is centered by its column means. The top `k` principal
//! directions are the leading eigenvectors of the covariance `XᵀX` (`m × m`); when
//! `m > n` they come from the smaller Gram matrix `XXᵀ` (`n × n`) instead, since
//! `XᵀX v = λ v` with `v = Xᵀu / ‖Xᵀu‖` for `XXᵀ u = λ u`. A sample's score is the L2
//! norm of its residual `x − x̂` after projection onto the `k` directions.

use nalgebra::{DMatrix, SymmetricEigen};

use crate::error::{DataError, Result};

/// A fitted PCA projection.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    width: usize,
    mean: Vec<f64>,
    /// `k × width`, orthonormal rows.
    components: Vec<f64>,
}

impl Pca {
    /// Fits `k` principal directions to the rows of `x` (`width` columns).
    pub fn fit(x: &[f32], width: usize, k: usize) -> Result<Self> {
        let n = x.len() / width.max(1);
        if n < 2 || width == 0 || k == 0 || k > width.min(n) {
            return Err(DataError::Invalid(format!(
                "PCA with {k} components needs at least 2 rows and k ≤ min(rows, columns); \
                 the data has {n} rows and {width} columns"
            ))
            .into());
        }
        let mean = column_means(x, width);
        let centered = DMatrix::from_fn(n, width, |i, j| f64::from(x[i * width + j]) - mean[j]);
        let components = if width <= n {
            leading_eigenvectors(centered.transpose() * &centered, k)
        } else {
            gram_directions(&centered, k)
        };
        Ok(Pca {
            width,
            mean,
            components,
        })
    }

    /// The number of components.
    pub fn n_components(&self) -> usize {
        self.components.len() / self.width
    }

    /// The L2 norm of each row's residual after projection.
    pub fn residual_norms(&self, x: &[f32]) -> Vec<f32> {
        x.chunks_exact(self.width)
            .map(|row| self.residual_norm(row))
            .collect()
    }

    fn residual_norm(&self, row: &[f32]) -> f32 {
        let centered: Vec<f64> = row
            .iter()
            .zip(&self.mean)
            .map(|(&v, m)| f64::from(v) - m)
            .collect();
        let mut residual = centered.clone();
        for component in self.components.chunks_exact(self.width) {
            let coef: f64 = component.iter().zip(&centered).map(|(c, v)| c * v).sum();
            for (r, c) in residual.iter_mut().zip(component) {
                *r -= coef * c;
            }
        }
        residual.iter().map(|v| v * v).sum::<f64>().sqrt() as f32
    }
}

fn column_means(x: &[f32], width: usize) -> Vec<f64> {
    let n = (x.len() / width) as f64;
    let mut sum = vec![0.0; width];
    for row in x.chunks_exact(width) {
        for (s, &v) in sum.iter_mut().zip(row) {
            *s += f64::from(v);
        }
    }
    sum.iter().map(|s| s / n).collect()
}

/// The `k` eigenvectors of a symmetric matrix with the largest eigenvalues, as rows.
fn leading_eigenvectors(matrix: DMatrix<f64>, k: usize) -> Vec<f64> {
    let (order, eigen) = sorted_eigen(matrix);
    order
        .iter()
        .take(k)
        .flat_map(|&c| {
            eigen
                .eigenvectors
                .column(c)
                .iter()
                .copied()
                .collect::<Vec<_>>()
        })
        .collect()
}

fn sorted_eigen(matrix: DMatrix<f64>) -> (Vec<usize>, SymmetricEigen<f64, nalgebra::Dyn>) {
    let eigen = SymmetricEigen::new(matrix);
    let mut order: Vec<usize> = (0..eigen.eigenvalues.len()).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    (order, eigen)
}

/// Principal directions from the Gram matrix `XXᵀ` when there are more columns than rows.
fn gram_directions(centered: &DMatrix<f64>, k: usize) -> Vec<f64> {
    let (order, eigen) = sorted_eigen(centered * centered.transpose());
    let mut rows = Vec::with_capacity(k * centered.ncols());
    for &c in order.iter().take(k) {
        let direction = centered.transpose() * eigen.eigenvectors.column(c);
        let norm = direction.norm();
        let norm = if norm > 0.0 { norm } else { 1.0 };
        rows.extend(direction.iter().map(|v| v / norm));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points on a 2-D plane in R^4 plus one point off it.
    fn plane_with_outlier() -> Vec<f32> {
        let mut x = Vec::new();
        for i in 0..20 {
            let (a, b) = (i as f32 * 0.3, (i % 5) as f32 - 2.0);
            x.extend([a, b, a + b, a - b]);
        }
        x.extend([0.0, 0.0, 5.0, -5.0]);
        x
    }

    #[test]
    fn residuals_vanish_on_the_subspace() {
        let x = plane_with_outlier();
        let inliers = &x[..80];
        let pca = Pca::fit(inliers, 4, 2).unwrap();
        assert_eq!(pca.n_components(), 2);
        for r in pca.residual_norms(inliers) {
            assert!(r < 1e-4, "residual {r}");
        }
        let outlier = pca.residual_norms(&x[80..]);
        assert!(outlier[0] > 1.0, "residual {}", outlier[0]);
    }

    #[test]
    fn gram_path_matches_covariance_path() {
        let x = plane_with_outlier();
        // Five rows with each of the four columns written twice: eight columns and five
        // rows take the Gram path, and the points still lie on a 2-D plane.
        let wide: Vec<f32> = x[..20]
            .chunks_exact(4)
            .flat_map(|r| [r, r].concat())
            .collect();
        let pca = Pca::fit(&wide, 8, 2).unwrap();
        for r in pca.residual_norms(&wide) {
            assert!(r < 1e-4, "residual {r}");
        }
    }

    #[test]
    fn too_many_components_is_an_error() {
        let x = plane_with_outlier();
        assert!(Pca::fit(&x, 4, 5).is_err());
        assert!(Pca::fit(&x[..4], 4, 1).is_err());
    }
}
