//! Data sets and their readers: IDX (MNIST format), CSV with a header, and NumPy `.npy`.
//!
//! Every reader returns a [`Dataset`]: `n_samples × n_features` values in row-major `f32`,
//! the feature names, optional integer labels and the [`DataKind`] that decides the
//! preprocessing.

/// What kind of data a [`Dataset`] holds, which decides the preprocessing.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DataKind {
    /// Images of `height × width` pixels with values in `0..=max_value` (255 for `u8`).
    Image {
        /// Rows of pixels.
        height: usize,
        /// Columns of pixels.
        width: usize,
        /// The largest possible pixel value, used to scale pixels to [0, 1].
        max_value: f32,
    },
    /// Numeric feature vectors, standardized per column.
    Tabular,
}

/// A data set in memory.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Feature values, row-major, `n_samples * n_features` long.
    pub features: Vec<f32>,
    /// Number of rows.
    pub n_samples: usize,
    /// Number of columns.
    pub n_features: usize,
    /// One name per column (CSV header, or `f0`, `f1`, … where the format has none).
    pub feature_names: Vec<String>,
    /// Integer class labels, one per row, when known. For outlier benchmarks 1 = outlier.
    pub labels: Option<Vec<i64>>,
    /// The kind of data, which decides the preprocessing.
    pub kind: DataKind,
}
