//! Data sets and their readers: IDX (MNIST format), CSV with a header, and NumPy `.npy`.
//!
//! Every reader returns a [`Dataset`]: `n_samples × n_features` values in row-major `f32`,
//! the feature names, optional integer labels and the [`DataKind`] that decides the
//! preprocessing.

pub mod csv;
pub mod download;
pub mod idx;
pub mod mnist;
pub mod newsgroups;
pub mod npy;

mod load;

pub use load::load;

use std::path::Path;

use crate::error::{DataError, Result};

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

/// Returns the feature names `f0`, `f1`, … for formats whose columns have no names.
pub(crate) fn numbered_feature_names(n_features: usize) -> Vec<String> {
    (0..n_features).map(|j| format!("f{j}")).collect()
}

/// NaN, infinite or empty cells found while reading a file, collected for one error.
///
/// Readers record every such cell and report the count with the first positions, so a
/// user fixes the whole file at once instead of one cell per run.
#[derive(Debug, Default)]
pub(crate) struct NonFiniteCells {
    count: usize,
    first: Vec<String>,
}

impl NonFiniteCells {
    /// How many positions the error message lists.
    const SHOWN: usize = 5;

    /// Records one cell; `describe` runs only for the first few cells, which the message lists.
    pub(crate) fn record(&mut self, describe: impl FnOnce() -> String) {
        self.count += 1;
        if self.first.len() < Self::SHOWN {
            self.first.push(describe());
        }
    }

    /// Returns a format error naming the count, the first positions and `fix`, if any cell
    /// was recorded.
    pub(crate) fn check(self, path: &Path, fix: &str) -> Result<()> {
        if self.count == 0 {
            return Ok(());
        }
        let cells = if self.count == 1 {
            "1 cell is"
        } else {
            "cells are"
        };
        let count = if self.count == 1 {
            String::new()
        } else {
            format!("{} ", self.count)
        };
        let message = format!(
            "{count}{cells} NaN, infinite or empty (first at {}); {fix}",
            self.first.join(", ")
        );
        Err(DataError::Format {
            path: path.to_path_buf(),
            message,
        }
        .into())
    }
}
