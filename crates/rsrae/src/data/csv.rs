//! Reader for CSV files with a header row and numeric columns.
//!
//! Every column except the optional label column is a feature and must hold a finite
//! number in every row. Cells are trimmed, and quoted numbers such as `"1.5"` are accepted.
//! Line numbers in errors are 1-based and count the header as line 1.

use std::path::Path;

use ::csv::{ReaderBuilder, StringRecord, Trim};

use super::{DataKind, Dataset, NonFiniteCells};
use crate::error::{DataError, Error, Result};

/// How many column names an error lists before it abbreviates.
const COLUMNS_SHOWN: usize = 12;

/// Reads a CSV file into a [`Dataset`] of kind [`DataKind::Tabular`].
///
/// The header row is required. With `label_column`, that column is parsed as integer
/// labels (`1` and `1.0` both read as 1) and left out of the features. Without it, every
/// column is a feature and `labels` is `None`.
///
/// # Errors
///
/// [`DataError::Format`] for an empty file, a header without rows, a row whose cell count
/// differs from the header's, a cell that is not a number, or a label that is not an
/// integer. NaN, infinite and empty cells are reported together in one such error. [`DataError::Invalid`] when the
/// label column is not in the header. [`Error::Io`] when the file cannot be read.
pub fn read_csv(path: impl AsRef<Path>, label_column: Option<&str>) -> Result<Dataset> {
    let path = path.as_ref();
    let mut reader = ReaderBuilder::new()
        .has_headers(true)
        .trim(Trim::All)
        .flexible(true)
        .from_path(path)
        .map_err(|e| csv_error(path, e))?;
    let header = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    let columns = Columns::new(path, &header, label_column)?;

    let mut rows = Rows::new(&columns);
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, e))?;
        rows.push(path, &columns, &record)?;
    }
    rows.finish(path, columns)
}

/// The header split into feature columns and the label column.
struct Columns {
    names: Vec<String>,
    label_index: Option<usize>,
}

impl Columns {
    fn new(path: &Path, header: &StringRecord, label_column: Option<&str>) -> Result<Self> {
        let names: Vec<String> = header.iter().map(str::to_owned).collect();
        if names.is_empty() {
            let message = "file is empty; expected a header line such as f0,f1,label, then \
                           one line per sample"
                .to_owned();
            return Err(format_error(path, message));
        }
        let label_index = match label_column {
            Some(label) => Some(find_label(path, &names, label)?),
            None => None,
        };
        if label_index.is_some() && names.len() == 1 {
            let message = format!(
                "the only column is the label column \"{}\"; add the feature columns",
                names[0]
            );
            return Err(format_error(path, message));
        }
        Ok(Columns { names, label_index })
    }

    fn feature_names(&self) -> Vec<String> {
        let is_feature = |&(j, _): &(usize, &String)| Some(j) != self.label_index;
        self.names
            .iter()
            .enumerate()
            .filter(is_feature)
            .map(|(_, n)| n.clone())
            .collect()
    }
}

/// Returns the index of the label column, rejecting a missing or repeated name.
fn find_label(path: &Path, names: &[String], label: &str) -> Result<usize> {
    let matches: Vec<usize> = (0..names.len()).filter(|&j| names[j] == label).collect();
    match matches.as_slice() {
        [index] => Ok(*index),
        [] => {
            let message = format!(
                "{}: label column \"{label}\" not found; the header has the columns {}, so pass \
                 one of them as the label column, or none",
                path.display(),
                list_columns(names)
            );
            Err(DataError::Invalid(message).into())
        }
        _ => {
            let message = format!(
                "the label column \"{label}\" appears {} times in the header; rename the \
                 duplicates so that the label column is unique",
                matches.len()
            );
            Err(format_error(path, message))
        }
    }
}

/// Formats column names for an error, abbreviating after [`COLUMNS_SHOWN`] names.
fn list_columns(names: &[String]) -> String {
    let quoted: Vec<String> = names
        .iter()
        .take(COLUMNS_SHOWN)
        .map(|n| format!("\"{n}\""))
        .collect();
    let mut list = quoted.join(", ");
    if names.len() > COLUMNS_SHOWN {
        list.push_str(&format!(" and {} more", names.len() - COLUMNS_SHOWN));
    }
    list
}

/// Parsed rows, accumulated while the reader streams the file.
struct Rows {
    features: Vec<f32>,
    labels: Option<Vec<i64>>,
    n_samples: usize,
    non_finite: NonFiniteCells,
}

impl Rows {
    fn new(columns: &Columns) -> Self {
        Rows {
            features: Vec::new(),
            labels: columns.label_index.map(|_| Vec::new()),
            n_samples: 0,
            non_finite: NonFiniteCells::default(),
        }
    }

    /// Parses one record, checking its length and every cell.
    fn push(&mut self, path: &Path, columns: &Columns, record: &StringRecord) -> Result<()> {
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != columns.names.len() {
            let cells = if record.len() == 1 { "cell" } else { "cells" };
            let message = format!(
                "line {line} has {} {cells}, but the header has {} columns; every line needs \
                 one cell per column",
                record.len(),
                columns.names.len()
            );
            return Err(format_error(path, message));
        }

        for (j, cell) in record.iter().enumerate() {
            let name = &columns.names[j];
            if Some(j) == columns.label_index {
                let label = parse_label(cell).ok_or_else(|| label_error(path, line, name, cell))?;
                self.labels.get_or_insert_with(Vec::new).push(label);
                continue;
            }
            let value = self.parse_feature(path, line, name, cell)?;
            self.features.push(value);
        }
        self.n_samples += 1;
        Ok(())
    }

    /// Parses a feature cell. NaN, infinite and empty cells are recorded and read as 0 so
    /// that the whole file is scanned before they are reported together.
    fn parse_feature(&mut self, path: &Path, line: u64, name: &str, cell: &str) -> Result<f32> {
        if cell.is_empty() {
            self.non_finite
                .record(|| format!("line {line} column \"{name}\" (empty)"));
            return Ok(0.0);
        }
        let Ok(value) = cell.parse::<f64>() else {
            let message = format!(
                "line {line}, column \"{name}\": \"{cell}\" is not a number; feature columns \
                 must be numeric, so remove or encode this column"
            );
            return Err(format_error(path, message));
        };
        if !value.is_finite() {
            self.non_finite
                .record(|| format!("line {line} column \"{name}\" (\"{cell}\")"));
            return Ok(0.0);
        }
        let narrowed = value as f32;
        if !narrowed.is_finite() {
            let message = format!(
                "line {line}, column \"{name}\": {cell} is outside the f32 range (±{:e}); rescale \
                 this column",
                f32::MAX
            );
            return Err(format_error(path, message));
        }
        Ok(narrowed)
    }

    fn finish(self, path: &Path, columns: Columns) -> Result<Dataset> {
        if self.n_samples == 0 {
            let message =
                "the file has a header but no data rows; add one line per sample".to_owned();
            return Err(format_error(path, message));
        }
        self.non_finite.check(
            path,
            "remove or impute these values before loading the file",
        )?;

        let feature_names = columns.feature_names();
        Ok(Dataset {
            features: self.features,
            n_samples: self.n_samples,
            n_features: feature_names.len(),
            feature_names,
            labels: self.labels,
            kind: DataKind::Tabular,
        })
    }
}

/// Parses an integer label; a float with no fractional part, such as `1.0`, also counts.
fn parse_label(cell: &str) -> Option<i64> {
    if let Ok(label) = cell.parse::<i64>() {
        return Some(label);
    }
    let value = cell.parse::<f64>().ok()?;
    // 2^63 is exact in f64, so this range check admits only values that fit in i64.
    let in_range = value >= -(2f64.powi(63)) && value < 2f64.powi(63);
    (value.fract() == 0.0 && in_range).then_some(value as i64)
}

fn label_error(path: &Path, line: u64, name: &str, cell: &str) -> Error {
    let message = format!(
        "line {line}, label column \"{name}\": \"{cell}\" is not an integer; labels must be \
         integer classes, such as 1 for an outlier and 0 for an inlier"
    );
    format_error(path, message)
}

/// Maps a `csv` error: I/O failures keep their kind, anything else is a format error.
fn csv_error(path: &Path, e: ::csv::Error) -> Error {
    if e.is_io_error() {
        if let ::csv::ErrorKind::Io(io) = e.into_kind() {
            return Error::io(path, io);
        }
        return format_error(path, "read failed".to_owned());
    }
    let message = format!("invalid CSV ({e}); save the file as UTF-8 CSV");
    format_error(path, message)
}

fn format_error(path: &Path, message: String) -> Error {
    DataError::Format {
        path: path.to_path_buf(),
        message,
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn write(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let path = dir.path().join("data.csv");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn read_error(text: &str, label: Option<&str>) -> String {
        let dir = tempfile::tempdir().unwrap();
        read_csv(write(&dir, text), label).unwrap_err().to_string()
    }

    #[test]
    fn reads_features_and_labels() {
        let dir = tempfile::tempdir().unwrap();
        let text = "a,label,b\n1.5,0,2\n-3,1,4e2\n";
        let data = read_csv(write(&dir, text), Some("label")).unwrap();
        assert_eq!(data.n_samples, 2);
        assert_eq!(data.n_features, 2);
        assert_eq!(data.feature_names, vec!["a", "b"]);
        assert_eq!(data.features, vec![1.5, 2.0, -3.0, 400.0]);
        assert_eq!(data.labels, Some(vec![0, 1]));
        assert_eq!(data.kind, DataKind::Tabular);
    }

    #[test]
    fn without_label_every_column_is_feature() {
        let dir = tempfile::tempdir().unwrap();
        let data = read_csv(write(&dir, "x,label\n1,0\n2,1\n"), None).unwrap();
        assert_eq!(data.n_features, 2);
        assert_eq!(data.features, vec![1.0, 0.0, 2.0, 1.0]);
        assert_eq!(data.labels, None);
    }

    #[test]
    fn trims_whitespace_and_accepts_quotes() {
        let dir = tempfile::tempdir().unwrap();
        let text = " x , y ,label\n\"1.25\",  7 , 1.0 \n\"-2\",\" 3 \",0\n";
        let data = read_csv(write(&dir, text), Some("label")).unwrap();
        assert_eq!(data.feature_names, vec!["x", "y"]);
        assert_eq!(data.features, vec![1.25, 7.0, -2.0, 3.0]);
        assert_eq!(data.labels, Some(vec![1, 0]));
    }

    #[test]
    fn empty_file_rejected() {
        let text = read_error("", None);
        assert!(text.contains("file is empty"), "{text}");
    }

    #[test]
    fn header_only_rejected() {
        let text = read_error("f0,f1,label\n", Some("label"));
        assert!(text.contains("no data rows"), "{text}");
    }

    #[test]
    fn ragged_row_names_line_and_counts() {
        let text = read_error("a,b,c\n1,2,3\n4,5\n", None);
        assert!(text.contains("line 3 has 2 cells"), "{text}");
        assert!(text.contains("3 columns"), "{text}");
    }

    #[test]
    fn label_only_file_rejected() {
        // Found by fuzzing: a label column alone left zero feature columns.
        let text = read_error("label\n\" 130 \"\n", Some("label"));
        assert!(
            text.contains("the only column is the label column \"label\""),
            "{text}"
        );
    }

    #[test]
    fn single_cell_row_counted_in_singular() {
        let text = read_error("a,b\n1,2\n3\n", None);
        assert!(text.contains("line 3 has 1 cell, but"), "{text}");
    }

    #[test]
    fn non_numeric_cell_names_line_column_value() {
        let text = read_error("a,b\n1,2\n3,abc\n", None);
        assert!(text.contains("line 3"), "{text}");
        assert!(text.contains("column \"b\""), "{text}");
        assert!(text.contains("\"abc\""), "{text}");
    }

    #[test]
    fn non_finite_cells_reported_together() {
        let text = read_error("a,b\n1,NaN\ninf,2\n3,\n4,-Infinity\n", None);
        assert!(text.contains("4 cells"), "{text}");
        assert!(text.contains("line 2 column \"b\" (\"NaN\")"), "{text}");
        assert!(text.contains("line 3 column \"a\" (\"inf\")"), "{text}");
        assert!(text.contains("line 4 column \"b\" (empty)"), "{text}");
        assert!(text.contains("impute"), "{text}");
    }

    #[test]
    fn first_positions_only_are_listed() {
        let rows: String = (0..8).map(|_| "nan\n").collect();
        let text = read_error(&format!("a\n{rows}"), None);
        assert!(text.contains("8 cells"), "{text}");
        assert!(text.contains("line 6"), "{text}");
        assert!(!text.contains("line 7"), "{text}");
    }

    #[test]
    fn f32_overflow_rejected() {
        let text = read_error("a\n1e50\n", None);
        assert!(text.contains("1e50"), "{text}");
        assert!(text.contains("f32 range"), "{text}");
    }

    #[test]
    fn missing_label_column_lists_columns() {
        let text = read_error("f0,f1,y\n1,2,0\n", Some("label"));
        assert!(text.contains("\"label\" not found"), "{text}");
        assert!(text.contains("\"f0\", \"f1\", \"y\""), "{text}");
    }

    #[test]
    fn long_column_list_abbreviated() {
        let names: Vec<String> = (0..20).map(|j| format!("c{j}")).collect();
        let text = format!("{}\n{}\n", names.join(","), vec!["1"; 20].join(","));
        let text = read_error(&text, Some("label"));
        assert!(text.contains("\"c11\" and 8 more"), "{text}");
    }

    #[test]
    fn duplicate_label_column_rejected() {
        let text = read_error("label,a,label\n0,1,0\n", Some("label"));
        assert!(text.contains("appears 2 times"), "{text}");
    }

    #[test]
    fn non_integer_label_rejected() {
        for bad in ["0.5", "yes", ""] {
            let text = read_error(&format!("a,label\n1,0\n2,{bad}\n"), Some("label"));
            assert!(text.contains("line 3"), "{bad}: {text}");
            assert!(text.contains("not an integer"), "{bad}: {text}");
        }
    }

    #[test]
    fn parse_label_accepts_integral_floats() {
        assert_eq!(parse_label("7"), Some(7));
        assert_eq!(parse_label("-2.0"), Some(-2));
        assert_eq!(parse_label("1e3"), Some(1000));
        assert_eq!(parse_label("1e30"), None);
        assert_eq!(parse_label("nan"), None);
        assert_eq!(parse_label("inf"), None);
    }

    #[test]
    fn invalid_utf8_is_format_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv");
        std::fs::write(&path, b"a,b\n1,\xff\n").unwrap();
        let err = read_csv(&path, None).unwrap_err();
        assert!(
            matches!(err, Error::Data(DataError::Format { .. })),
            "{err:?}"
        );
    }

    /// Reads the real cardio benchmark when `RSRAE_DATA_DIR` points at the data folder.
    #[test]
    fn real_cardio_csv() {
        let Some(root) = std::env::var_os("RSRAE_DATA_DIR") else {
            eprintln!("note: RSRAE_DATA_DIR is unset, so the real cardio CSV test is skipped");
            return;
        };
        let path = PathBuf::from(root).join("tabular").join("cardio.csv");
        let data = read_csv(path, Some("label")).unwrap();
        assert_eq!(data.n_samples, 1831);
        assert_eq!(data.n_features, 21);
        assert_eq!(data.features.len(), 1831 * 21);
        assert_eq!(data.feature_names[20], "f20");

        let labels = data.labels.unwrap();
        assert_eq!(labels.iter().filter(|&&l| l == 1).count(), 176);
        assert_eq!(labels.iter().filter(|&&l| l == 0).count(), 1831 - 176);
    }
}
