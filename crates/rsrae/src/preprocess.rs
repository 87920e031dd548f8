//! Preprocessing fitted on the training data, stored in the model and reapplied at scoring.
//!
//! Images are scaled to [0, 1] by their maximum pixel value. Tabular columns are
//! standardized to zero mean and unit variance (population variance, as scikit-learn's
//! `StandardScaler`); a zero-variance column keeps scale 1, so it becomes all zeros
//! instead of NaN.

use serde::{Deserialize, Serialize};

use crate::data::{DataKind, Dataset};

/// Which preprocessing a recipe asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreprocessKind {
    /// Images scaled to [0, 1]; tabular columns standardized.
    Standard,
    /// The official RSRAE code's: images to `pixel/max·2 − 1`, then each sample scaled
    /// to unit L2 norm; vectors used as they are.
    Paper,
}

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
    /// `x / max_value · 2 − 1`, then each row divided by its L2 norm (rows of zeros stay).
    SignedUnitRows {
        /// The largest possible pixel value.
        max_value: f32,
    },
}

impl Preprocessor {
    /// Fits the preprocessing that `kind` and the data's kind call for.
    pub fn fit(data: &Dataset, kind: PreprocessKind) -> Self {
        match (kind, &data.kind) {
            (PreprocessKind::Standard, DataKind::Image { max_value, .. }) => Preprocessor::Scale {
                max_value: *max_value,
            },
            (PreprocessKind::Standard, DataKind::Tabular) => {
                standardizer(&data.features, data.n_features)
            }
            (PreprocessKind::Paper, DataKind::Image { max_value, .. }) => {
                Preprocessor::SignedUnitRows {
                    max_value: *max_value,
                }
            }
            (PreprocessKind::Paper, DataKind::Tabular) => Preprocessor::Identity,
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
        self.apply_in_place(&mut out, width);
        out
    }

    /// Preprocesses row-major `values` with `width` columns in place.
    ///
    /// Every step works on one row at a time, so preprocessing a block of rows gives the
    /// same values as preprocessing the whole data set and taking that block.
    pub fn apply_in_place(&self, values: &mut [f32], width: usize) {
        match self {
            Preprocessor::Scale { max_value } => {
                for v in values {
                    *v /= max_value;
                }
            }
            Preprocessor::Standardize { mean, scale, .. } => {
                for row in values.chunks_exact_mut(width.max(1)) {
                    for ((v, m), s) in row.iter_mut().zip(mean).zip(scale) {
                        *v = ((f64::from(*v) - m) / s) as f32;
                    }
                }
            }
            Preprocessor::Identity => {}
            Preprocessor::SignedUnitRows { max_value } => {
                let to_signed = |v: f32| f64::from(v) / f64::from(*max_value) * 2.0 - 1.0;
                for row in values.chunks_exact_mut(width.max(1)) {
                    let norm = row
                        .iter()
                        .map(|&v| to_signed(v) * to_signed(v))
                        .sum::<f64>()
                        .sqrt();
                    let norm = if norm > 0.0 { norm } else { 1.0 };
                    for v in row.iter_mut() {
                        *v = (to_signed(*v) / norm) as f32;
                    }
                }
            }
        }
    }
}

fn standardizer(values: &[f32], width: usize) -> Preprocessor {
    let n = (values.len() / width.max(1)).max(1) as f64;
    let mut sum = vec![0.0f64; width];
    for row in values.chunks_exact(width.max(1)) {
        for (s, &v) in sum.iter_mut().zip(row) {
            *s += f64::from(v);
        }
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let mut sq = vec![0.0f64; width];
    for row in values.chunks_exact(width.max(1)) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tabular(features: Vec<f32>, n_features: usize) -> Dataset {
        let n_samples = features.len().checked_div(n_features).unwrap_or(0);
        Dataset {
            features,
            n_samples,
            n_features,
            feature_names: (0..n_features).map(|j| format!("f{j}")).collect(),
            labels: None,
            kind: DataKind::Tabular,
        }
    }

    #[test]
    fn blocks_of_rows_preprocess_as_the_whole() {
        let values: Vec<f32> = (0..7 * 5)
            .map(|i| (i as f32 * 1.37).sin() * 200.0)
            .collect();
        let data = tabular(values.clone(), 5);
        let preprocessors = [
            Preprocessor::Scale { max_value: 255.0 },
            Preprocessor::fit(&data, PreprocessKind::Standard),
            Preprocessor::SignedUnitRows { max_value: 255.0 },
            Preprocessor::Identity,
        ];
        for pre in preprocessors {
            let whole = pre.apply(&values, 5);
            let mut blocks = values.clone();
            for block in blocks.chunks_mut(3 * 5) {
                pre.apply_in_place(block, 5);
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&blocks), bits(&whole), "{pre:?}");
        }
    }

    #[test]
    fn constant_columns_standardize_to_zero() {
        // Columns: constant 7, all zeros, varied.
        let data = tabular(vec![7.0, 0.0, 1.0, 7.0, 0.0, 2.0, 7.0, 0.0, 6.0], 3);
        let preprocessor = Preprocessor::fit(&data, PreprocessKind::Standard);
        assert_eq!(preprocessor.constant_columns(), vec![0, 1]);

        let x = preprocessor.apply(&data.features, 3);
        assert!(x.iter().all(|v| v.is_finite()), "{x:?}");
        for row in x.chunks_exact(3) {
            assert_eq!(row[0], 0.0);
            assert_eq!(row[1], 0.0);
        }
        let varied: Vec<f64> = x.chunks_exact(3).map(|r| f64::from(r[2])).collect();
        let mean = varied.iter().sum::<f64>() / 3.0;
        let variance = varied.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 3.0;
        assert!(mean.abs() < 1e-6, "{mean}");
        assert!((variance - 1.0).abs() < 1e-6, "{variance}");
    }

    #[test]
    fn zero_columns_fit_without_panic() {
        // Found by fuzzing: a CSV whose only column is the label has no feature columns.
        let data = tabular(Vec::new(), 0);
        let preprocessor = Preprocessor::fit(&data, PreprocessKind::Standard);
        assert_eq!(preprocessor.constant_columns(), Vec::<usize>::new());
        assert_eq!(preprocessor.apply(&[], 0), Vec::<f32>::new());
    }

    #[test]
    fn single_row_makes_every_column_constant() {
        let data = tabular(vec![3.0, -1.5, 1e30], 3);
        let preprocessor = Preprocessor::fit(&data, PreprocessKind::Standard);
        assert_eq!(preprocessor.constant_columns(), vec![0, 1, 2]);
        assert_eq!(preprocessor.apply(&data.features, 3), vec![0.0; 3]);
    }
}
