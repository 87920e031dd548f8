//! One entry point that picks the reader for a file from its name and content.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::{csv, idx, npy, Dataset};
use crate::error::{DataError, Error, Result};

/// The formats [`load`] reads, for error messages.
const SUPPORTED: &str = "supported are .csv (a header row, then numeric columns), .npy (one 2-D \
                         array) and IDX image files such as train-images-idx3-ubyte[.gz]";

/// Magic bytes that open every `.npy` file.
const NPY_MAGIC: &[u8] = b"\x93NUMPY";

/// Loads a data set, choosing the reader as follows:
///
/// - a name ending in `.csv` reads as CSV with [`csv::read_csv`], with `label_column` as
///   its label column;
/// - a name ending in `.npy`, or content starting with the NumPy magic bytes, reads with
///   [`npy::read_npy`];
/// - a name containing `idx3-ubyte`, or content (raw or gzip) starting with the IDX image
///   magic 2051, reads with [`idx::read_images`]. When a sibling label file exists, named
///   with `images-idx3` replaced by `labels-idx1` (or `images.idx3` by `labels.idx1`),
///   with or without `.gz`, its labels fill [`Dataset::labels`].
///
/// # Errors
///
/// [`DataError::Invalid`] for an unknown format, for a `label_column` with a format that
/// has no column names, and for a label file whose count differs from the images'. Any
/// error of the chosen reader.
pub fn load(path: impl AsRef<Path>, label_column: Option<&str>) -> Result<Dataset> {
    let path = path.as_ref();
    let format = detect_format(path)?;
    if format != Format::Csv {
        if let Some(label) = label_column {
            let message = format!(
                "{}: a label column (\"{label}\") applies only to CSV files, which name their \
                 columns; load this file without one",
                path.display()
            );
            return Err(DataError::Invalid(message).into());
        }
    }

    match format {
        Format::Csv => csv::read_csv(path, label_column),
        Format::Npy => npy::read_npy(path),
        Format::IdxImages => load_idx_images(path),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Npy,
    IdxImages,
}

/// Picks the format from the file name, then from the first bytes of the content.
fn detect_format(path: &Path) -> Result<Format> {
    let name = file_name(path).to_ascii_lowercase();
    if name.ends_with(".csv") {
        return Ok(Format::Csv);
    }
    if name.ends_with(".npy") {
        return Ok(Format::Npy);
    }
    if name.contains("idx3-ubyte") {
        return Ok(Format::IdxImages);
    }

    let start = read_start(path)?;
    if start.starts_with(NPY_MAGIC) {
        return Ok(Format::Npy);
    }
    let magic = start
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let hint = match magic {
        Some(idx::IMAGES_MAGIC) => return Ok(Format::IdxImages),
        Some(idx::LABELS_MAGIC) => "; this is an IDX label file, so load the matching image file",
        _ => "",
    };
    let message = format!("{}: unknown data format; {SUPPORTED}{hint}", path.display());
    Err(DataError::Invalid(message).into())
}

/// Returns up to the first 8 bytes of the file, decompressed when it is gzip.
fn read_start(path: &Path) -> Result<Vec<u8>> {
    let mut raw = Vec::new();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    file.take(8)
        .read_to_end(&mut raw)
        .map_err(|e| Error::io(path, e))?;
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }

    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut start = Vec::new();
    // A file that is not valid gzip after all has no recognizable start, so it reads as empty.
    let _ = MultiGzDecoder::new(file).take(8).read_to_end(&mut start);
    Ok(start)
}

/// Reads IDX images and, when a sibling label file exists, their labels.
fn load_idx_images(path: &Path) -> Result<Dataset> {
    let images = idx::read_images(path)?;
    let Some(labels_path) = sibling_labels(path) else {
        return Ok(images.into_dataset(None));
    };

    let labels = idx::read_labels(&labels_path)?;
    if labels.len() != images.n {
        let message = format!(
            "{} has {} labels, but {} has {} images; use the label file that belongs to the images",
            labels_path.display(),
            labels.len(),
            path.display(),
            images.n
        );
        return Err(DataError::Invalid(message).into());
    }
    let labels = labels.into_iter().map(i64::from).collect();
    Ok(images.into_dataset(Some(labels)))
}

/// Returns the existing label file that belongs to an IDX image file, if any.
fn sibling_labels(path: &Path) -> Option<PathBuf> {
    let name = file_name(path);
    let labels_name = ["images-idx3", "images.idx3"]
        .iter()
        .find(|pattern| name.contains(*pattern))
        .map(|pattern| {
            name.replace(
                pattern,
                &pattern.replace("images", "labels").replace('3', "1"),
            )
        })?;

    let other_compression = match labels_name.strip_suffix(".gz") {
        Some(raw) => raw.to_owned(),
        None => format!("{labels_name}.gz"),
    };
    [labels_name, other_compression]
        .into_iter()
        .map(|n| path.with_file_name(n))
        .find(|p| p.is_file())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DataKind;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn idx_bytes(magic: u32, dims: &[u32], payload: &[u8]) -> Vec<u8> {
        let mut bytes = magic.to_be_bytes().to_vec();
        for d in dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(payload);
        bytes
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn images(n: u32) -> Vec<u8> {
        let pixels: Vec<u8> = (0..n * 4).map(|i| i as u8).collect();
        idx_bytes(idx::IMAGES_MAGIC, &[n, 2, 2], &pixels)
    }

    #[test]
    fn csv_by_extension_with_label() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "d.CSV", b"a,label\n1,0\n2,1\n");
        let data = load(&path, Some("label")).unwrap();
        assert_eq!(data.features, vec![1.0, 2.0]);
        assert_eq!(data.labels, Some(vec![0, 1]));
    }

    #[test]
    fn npy_by_extension_and_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.npy");
        npyz::to_file_1d(&path, [1.0f32, 2.0]).unwrap();
        let text = load(&path, None).unwrap_err().to_string();
        assert!(
            text.contains("1-D"),
            "the .npy reader handles .npy names: {text}"
        );

        let renamed = dir.path().join("x.bin");
        std::fs::rename(&path, &renamed).unwrap();
        let text = load(&renamed, None).unwrap_err().to_string();
        assert!(
            text.contains("1-D"),
            "the .npy reader handles NumPy content: {text}"
        );
    }

    #[test]
    fn idx_images_with_sibling_labels() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "train-images-idx3-ubyte.gz", &gzip(&images(3)));
        let labels = idx_bytes(idx::LABELS_MAGIC, &[3], &[7, 0, 9]);
        write(&dir, "train-labels-idx1-ubyte", &labels);
        let data = load(&path, None).unwrap();
        assert_eq!(data.n_samples, 3);
        assert_eq!(
            data.kind,
            DataKind::Image {
                height: 2,
                width: 2,
                max_value: 255.0
            }
        );
        assert_eq!(data.labels, Some(vec![7, 0, 9]));
    }

    #[test]
    fn idx_images_dotted_name_finds_labels() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "t10k-images.idx3-ubyte", &images(2));
        write(
            &dir,
            "t10k-labels.idx1-ubyte",
            &idx_bytes(idx::LABELS_MAGIC, &[2], &[1, 2]),
        );
        assert_eq!(load(&path, None).unwrap().labels, Some(vec![1, 2]));
    }

    #[test]
    fn idx_images_without_labels() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "train-images-idx3-ubyte", &images(2));
        let data = load(&path, None).unwrap();
        assert_eq!(data.labels, None);
        assert_eq!(data.features[7], 7.0);
    }

    #[test]
    fn idx_by_content_under_other_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "digits.data", &gzip(&images(1)));
        assert_eq!(load(&path, None).unwrap().n_features, 4);
    }

    #[test]
    fn label_count_mismatch_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "a-images-idx3-ubyte", &images(3));
        write(
            &dir,
            "a-labels-idx1-ubyte",
            &idx_bytes(idx::LABELS_MAGIC, &[2], &[1, 2]),
        );
        let text = load(&path, None).unwrap_err().to_string();
        assert!(text.contains("2 labels"), "{text}");
        assert!(text.contains("3 images"), "{text}");
    }

    #[test]
    fn label_column_rejected_for_non_csv() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "train-images-idx3-ubyte", &images(1));
        let text = load(&path, Some("label")).unwrap_err().to_string();
        assert!(text.contains("only to CSV"), "{text}");
    }

    #[test]
    fn unknown_format_lists_supported() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "notes.txt", b"hello");
        let text = load(&path, None).unwrap_err().to_string();
        assert!(text.contains("unknown data format"), "{text}");
        assert!(text.contains(".csv"), "{text}");
        assert!(text.contains(".npy"), "{text}");
        assert!(text.contains("idx3-ubyte"), "{text}");
    }

    #[test]
    fn idx_label_file_gets_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "labels.bin",
            &idx_bytes(idx::LABELS_MAGIC, &[1], &[3]),
        );
        let text = load(&path, None).unwrap_err().to_string();
        assert!(text.contains("IDX label file"), "{text}");
    }
}
