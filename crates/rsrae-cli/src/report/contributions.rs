//! Per-feature shares of the reconstruction error of the top anomalies.
//!
//! For a row `x` with reconstruction `x̂`, both in the preprocessed space, the share of
//! feature `j` is `(x_j − x̂_j)² / Σ_k (x_k − x̂_k)²`. The shares of a row sum to 1, or are
//! all 0 when the row is reconstructed exactly.

use anyhow::Result;

use super::tiles::ranking;
use super::ReportInput;

/// Highest-scoring rows listed.
pub const N_TOP_ROWS: usize = 20;

/// Features named per row in the table, largest share first.
pub const N_TOP_FEATURES: usize = 5;

/// Features drawn in the heatmap; past this many, the ones with the largest mean share
/// over the listed rows are kept.
pub const MAX_HEATMAP_FEATURES: usize = 40;

/// One of the highest-scoring rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ContributionRow {
    /// Row index, from 0.
    pub index: usize,
    /// The row's score.
    pub score: f32,
    /// The row's label, when known.
    pub label: Option<i64>,
    /// Whether the score is above the threshold.
    pub flagged: bool,
    /// Each feature's share of the squared reconstruction error.
    pub shares: Vec<f64>,
    /// The preprocessed value of each feature (a z-score for standardized columns).
    pub values: Vec<f32>,
}

/// The top anomalies with their per-feature error shares.
#[derive(Debug, Clone, PartialEq)]
pub struct Contributions {
    /// One name per feature.
    pub feature_names: Vec<String>,
    /// The highest-scoring rows, highest first.
    pub rows: Vec<ContributionRow>,
    /// Features drawn in the heatmap, in column order.
    pub heatmap_features: Vec<usize>,
}

impl Contributions {
    /// Reconstructs the [`N_TOP_ROWS`] highest-scoring rows and splits their squared error
    /// by feature.
    pub fn build(input: &ReportInput<'_>, preprocessed: &[f32], flags: &[bool]) -> Result<Self> {
        let width = input.data.n_features;
        let top: Vec<usize> = ranking(input.scores).into_iter().take(N_TOP_ROWS).collect();
        let mut x = Vec::with_capacity(top.len() * width);
        for &i in &top {
            x.extend_from_slice(&preprocessed[i * width..(i + 1) * width]);
        }
        let x_hat = input.model.reconstruct_preprocessed(&x)?;
        let rows: Vec<ContributionRow> = top
            .iter()
            .zip(x.chunks_exact(width).zip(x_hat.chunks_exact(width)))
            .map(|(&index, (row, reconstruction))| ContributionRow {
                index,
                score: input.scores[index],
                label: input.data.labels.as_ref().map(|l| l[index]),
                flagged: flags[index],
                shares: error_shares(row, reconstruction),
                values: row.to_vec(),
            })
            .collect();
        let heatmap_features = heatmap_features(&rows, width);
        Ok(Contributions {
            feature_names: input.data.feature_names.clone(),
            rows,
            heatmap_features,
        })
    }
}

impl Contributions {
    /// Returns the largest share in the heatmap's cells, 0 when there are none.
    pub fn max_heatmap_share(&self) -> f64 {
        let cells = self
            .rows
            .iter()
            .flat_map(|row| self.heatmap_features.iter().map(|&j| row.shares[j]));
        cells.fold(0.0, f64::max)
    }
}

/// Returns each feature's share of the squared error between `x` and `x_hat`.
pub fn error_shares(x: &[f32], x_hat: &[f32]) -> Vec<f64> {
    let squared: Vec<f64> = x
        .iter()
        .zip(x_hat)
        .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
        .collect();
    let total: f64 = squared.iter().sum();
    if total > 0.0 {
        squared.iter().map(|s| s / total).collect()
    } else {
        vec![0.0; squared.len()]
    }
}

/// Indices of the largest `k` values, largest first, ties by index.
pub fn largest(values: &[f64], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    order.truncate(k);
    order
}

fn heatmap_features(rows: &[ContributionRow], width: usize) -> Vec<usize> {
    if width <= MAX_HEATMAP_FEATURES {
        return (0..width).collect();
    }
    let mut mean = vec![0.0; width];
    for row in rows {
        for (m, s) in mean.iter_mut().zip(&row.shares) {
            *m += s / rows.len() as f64;
        }
    }
    let mut features = largest(&mean, MAX_HEATMAP_FEATURES);
    features.sort_unstable();
    features
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_sum_to_one() {
        let shares = error_shares(&[1.0, 2.0, 3.0], &[1.0, 0.0, 4.0]);
        assert_eq!(shares, vec![0.0, 0.8, 0.2]);
        assert_eq!(error_shares(&[1.0, 2.0], &[1.0, 2.0]), vec![0.0, 0.0]);
    }

    #[test]
    fn largest_breaks_ties_by_index() {
        assert_eq!(largest(&[0.1, 0.5, 0.5, 0.9], 3), vec![3, 1, 2]);
        assert_eq!(largest(&[0.1], 3), vec![0]);
    }
}
