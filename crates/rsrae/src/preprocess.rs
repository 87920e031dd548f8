//! Preprocessing fitted on the training data, stored in the model and reapplied at scoring.
//!
//! Images are scaled to [0, 1] by their maximum pixel value. Tabular columns are
//! standardized to zero mean and unit variance (population variance, as scikit-learn's
//! `StandardScaler`); a zero-variance column keeps scale 1, so it becomes all zeros
//! instead of NaN.

use serde::{Deserialize, Serialize};

use crate::data::{DataKind, Dataset};

/// A fitted preprocessing step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Preprocessor {
    /// `x / max_value`.
    Scale {
        /// The divisor, the largest possible value of the data.
        max_value: f32,
    },
    /// `(x − mean) / scale` per column, computed in f64 (stored as f64 so that JSON
    /// round-trips it exactly).
    Standardize {
        /// Column means.
        mean: Vec<f64>,
        /// Column standard deviations, 1 where a column is constant.
        scale: Vec<f64>,
        /// Indices of the zero-variance columns, which carry no information.
        constant_columns: Vec<usize>,
    },
    /// The values as they are.
    Identity,
}

impl Preprocessor {
    /// Fits the preprocessing that the data's kind calls for.
    pub fn fit(data: &Dataset) -> Self {
        match data.kind {
            DataKind::Image { max_value, .. } => Preprocessor::Scale { max_value },
            DataKind::Tabular => standardizer(&data.features, data.n_features),
        }
    }

    /// The indices of columns that carry no information (zero variance) for a standardizer.
    pub fn constant_columns(&self) -> Vec<usize> {
        match self {
            Preprocessor::Standardize {
                constant_columns, ..
            } => constant_columns.clone(),
            _ => Vec::new(),
        }
    }

    /// Returns the preprocessed copy of row-major `values` with `width` columns.
    pub fn apply(&self, values: &[f32], width: usize) -> Vec<f32> {
        let mut out = values.to_vec();
        match self {
            Preprocessor::Scale { max_value } => {
                for v in &mut out {
                    *v /= max_value;
                }
            }
            Preprocessor::Standardize { mean, scale, .. } => {
                for row in out.chunks_exact_mut(width) {
                    for ((v, m), s) in row.iter_mut().zip(mean).zip(scale) {
                        *v = ((f64::from(*v) - m) / s) as f32;
                    }
                }
            }
            Preprocessor::Identity => {}
        }
        out
    }
}

fn standardizer(values: &[f32], width: usize) -> Preprocessor {
    let n = (values.len() / width.max(1)).max(1) as f64;
    let mut sum = vec![0.0f64; width];
    for row in values.chunks_exact(width) {
        for (s, &v) in sum.iter_mut().zip(row) {
            *s += f64::from(v);
        }
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let mut sq = vec![0.0f64; width];
    for row in values.chunks_exact(width) {
        for ((s, &v), m) in sq.iter_mut().zip(row).zip(&mean) {
            *s += (f64::from(v) - m).powi(2);
        }
    }
    let std: Vec<f64> = sq.iter().map(|s| (s / n).sqrt()).collect();
    let constant_columns = (0..width)
        .filter(|&i| !(std[i] > 0.0 && std[i].is_finite()))
        .collect();
    let scale = std
        .iter()
        .map(|&s| if s > 0.0 && s.is_finite() { s } else { 1.0 })
        .collect();
    Preprocessor::Standardize {
        mean,
        scale,
        constant_columns,
    }
}
