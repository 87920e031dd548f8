//! The 20 Newsgroups TF-IDF features: a Matrix Market matrix of documents by terms, a CSV
//! of per-document labels and a vocabulary file.
//!
//! The folder contains `20ng_tfidf10000.mtx.gz` (coordinate format, 1-based, one row per
//! document), `20ng_docs.csv.gz` (`row,split,label,label_name,path`, with `row` the 0-based
//! matrix row and `label` the class in `0..=19`) and `20ng_vocab10000.txt` (one term per
//! line, the name of each column).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use nalgebra_sparse::io::load_coo_from_matrix_market_str;

use super::{DataKind, Dataset};
use crate::error::{DataError, Error, Result};

/// The TF-IDF matrix file.
pub const MATRIX_FILE: &str = "20ng_tfidf10000.mtx.gz";
/// The per-document labels.
pub const DOCS_FILE: &str = "20ng_docs.csv.gz";
/// The column names.
pub const VOCAB_FILE: &str = "20ng_vocab10000.txt";

/// Number of newsgroups, labelled `0..=19`.
pub const N_CLASSES: i64 = 20;

/// Loads every document of the folder `dir` as a dense row of TF-IDF values, with its
/// newsgroup as the label.
///
/// # Errors
///
/// [`Error::Io`] when a file cannot be read, and [`DataError::Invalid`] when a file is
/// malformed or the three files disagree on the number of rows or columns.
pub fn load(dir: impl AsRef<Path>) -> Result<Dataset> {
    let dir = dir.as_ref();
    let matrix_path = dir.join(MATRIX_FILE);
    let text = read_gz_text(&matrix_path)?;
    let coo = load_coo_from_matrix_market_str::<f32>(&text).map_err(|e| {
        DataError::Invalid(format!(
            "{}: not a readable Matrix Market matrix ({e}); restore the file from the data \
             set's source",
            matrix_path.display()
        ))
    })?;
    drop(text);
    let (n_rows, n_cols) = (coo.nrows(), coo.ncols());

    let feature_names = read_vocabulary(&dir.join(VOCAB_FILE))?;
    if feature_names.len() != n_cols {
        return Err(DataError::Invalid(format!(
            "{} lists {} terms but {} has {n_cols} columns; use the files of one release",
            VOCAB_FILE,
            feature_names.len(),
            MATRIX_FILE
        ))
        .into());
    }
    let labels = read_labels(&dir.join(DOCS_FILE), n_rows)?;

    let mut features = vec![0.0f32; n_rows * n_cols];
    for (row, col, &value) in coo.triplet_iter() {
        features[row * n_cols + col] = value;
    }
    Ok(Dataset {
        features,
        n_samples: n_rows,
        n_features: n_cols,
        feature_names,
        labels: Some(labels),
        kind: DataKind::Tabular,
    })
}

fn read_gz_text(path: &Path) -> Result<String> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut text = String::new();
    MultiGzDecoder::new(file)
        .read_to_string(&mut text)
        .map_err(|e| Error::io(path, e))?;
    Ok(text)
}

fn read_vocabulary(path: &Path) -> Result<Vec<String>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    BufReader::new(file)
        .lines()
        .map(|line| line.map_err(|e| Error::io(path, e)))
        .collect()
}

/// Reads the label of each of the `n_rows` matrix rows from the documents CSV.
fn read_labels(path: &Path, n_rows: usize) -> Result<Vec<i64>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = csv::Reader::from_reader(MultiGzDecoder::new(file));
    let invalid = |what: String| -> Error {
        DataError::Invalid(format!(
            "{}: {what}; restore the file from the data set's source",
            path.display()
        ))
        .into()
    };
    let headers = reader
        .headers()
        .map_err(|e| invalid(format!("no header ({e})")))?;
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| invalid(format!("no `{name}` column")))
    };
    let (row_col, label_col) = (column("row")?, column("label")?);
    let mut labels = vec![None; n_rows];
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| invalid(format!("line {}: {e}", line + 2)))?;
        let field = |i: usize| record.get(i).unwrap_or("");
        let row: usize = field(row_col)
            .parse()
            .map_err(|_| invalid(format!("line {}: row {:?}", line + 2, field(row_col))))?;
        let label: i64 = field(label_col)
            .parse()
            .ok()
            .filter(|l| (0..N_CLASSES).contains(l))
            .ok_or_else(|| invalid(format!("line {}: label {:?}", line + 2, field(label_col))))?;
        match labels.get_mut(row) {
            Some(slot @ None) => *slot = Some(label),
            Some(Some(_)) => return Err(invalid(format!("row {row} is listed twice"))),
            None => {
                return Err(invalid(format!(
                    "row {row} is outside the matrix's {n_rows} rows"
                )))
            }
        }
    }
    labels
        .into_iter()
        .enumerate()
        .map(|(row, label)| label.ok_or_else(|| invalid(format!("row {row} has no label"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_20newsgroups_files() {
        let Ok(root) = std::env::var("RSRAE_DATA_DIR") else {
            return;
        };
        let data = load(Path::new(&root).join("text/20newsgroups")).unwrap();
        assert_eq!((data.n_samples, data.n_features), (18_846, 10_000));
        let labels = data.labels.as_deref().unwrap();
        // scikit-learn's bydate counts: alt.atheism has 799 posts, rec.sport.hockey 999.
        assert_eq!(labels.iter().filter(|&&l| l == 0).count(), 799);
        assert_eq!(labels.iter().filter(|&&l| l == 10).count(), 999);
        // Every row is L2-normalized TF-IDF.
        for row in data.features.chunks_exact(10_000).step_by(997) {
            let norm: f64 = row
                .iter()
                .map(|&v| f64::from(v).powi(2))
                .sum::<f64>()
                .sqrt();
            assert!((norm - 1.0).abs() < 1e-5, "{norm}");
        }
        assert_eq!(data.feature_names.len(), 10_000);
    }

    #[test]
    fn labels_must_cover_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docs.csv.gz");
        let write = |text: &str| {
            let file = File::create(&path).unwrap();
            let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
            std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
            gz.finish().unwrap();
        };
        write("row,split,label\n0,train,3\n1,test,19\n");
        assert_eq!(read_labels(&path, 2).unwrap(), vec![3, 19]);
        let cases = [
            ("row,split,label\n0,train,3\n", "row 1 has no label"),
            (
                "row,split,label\n0,train,3\n0,train,4\n",
                "row 0 is listed twice",
            ),
            (
                "row,split,label\n0,train,3\n5,train,4\n",
                "row 5 is outside",
            ),
            (
                "row,split,label\n0,train,3\n1,train,20\n",
                "line 3: label \"20\"",
            ),
            ("row,split\n0,train\n", "no `label` column"),
        ];
        for (text, expected) in cases {
            write(text);
            let message = read_labels(&path, 2).unwrap_err().to_string();
            assert!(message.contains(expected), "{message}");
        }
    }
}
