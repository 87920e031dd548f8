//! MNIST and Fashion-MNIST from a folder of the four original IDX files.
//!
//! Both data sets use the same file names, so every function takes the folder. The files
//! may be gzip-compressed (`train-images-idx3-ubyte.gz`, as published) or raw (the same
//! name without `.gz`).
//!
//! [`corrupted`] builds the outlier benchmark of the RSR autoencoder experiments: every
//! image of one inlier class, mixed with a fixed number of images of each outlier class.

use std::path::{Path, PathBuf};

use super::{idx, Dataset};
use crate::error::{DataError, Result};

/// The MNIST files as published: name and SHA-256 of the gzip-compressed file.
pub const MNIST_FILES: [(&str, &str); 4] = [
    (
        "train-images-idx3-ubyte.gz",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    (
        "train-labels-idx1-ubyte.gz",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    (
        "t10k-images-idx3-ubyte.gz",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    (
        "t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
];

/// The Fashion-MNIST files as published: name and SHA-256 of the gzip-compressed file.
pub const FASHION_MNIST_FILES: [(&str, &str); 4] = [
    (
        "train-images-idx3-ubyte.gz",
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    ),
    (
        "train-labels-idx1-ubyte.gz",
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    ),
    (
        "t10k-images-idx3-ubyte.gz",
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    ),
    (
        "t10k-labels-idx1-ubyte.gz",
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    ),
];

/// Number of classes in MNIST and Fashion-MNIST, labelled `0..=9`.
pub const N_CLASSES: u8 = 10;

/// One of the two published splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// The 60,000 training images.
    Train,
    /// The 10,000 test images (`t10k`).
    Test,
}

impl Split {
    /// Returns the published name of the split's image file, with `.gz`.
    pub fn images_file(self) -> &'static str {
        match self {
            Split::Train => MNIST_FILES[0].0,
            Split::Test => MNIST_FILES[2].0,
        }
    }

    /// Returns the published name of the split's label file, with `.gz`.
    pub fn labels_file(self) -> &'static str {
        match self {
            Split::Train => MNIST_FILES[1].0,
            Split::Test => MNIST_FILES[3].0,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

/// Loads every image of `split` from `dir` with its class label.
///
/// # Errors
///
/// [`DataError::Invalid`] when a file is missing or the two files disagree on the count,
/// and any error of [`idx::read_images`] and [`idx::read_labels`].
pub fn load_split(dir: impl AsRef<Path>, split: Split) -> Result<Dataset> {
    let (images, labels) = read_split(dir.as_ref(), split)?;
    let labels = labels.into_iter().map(i64::from).collect();
    Ok(images.into_dataset(Some(labels)))
}

/// Builds an outlier benchmark from `split`: every image of class `inlier`, plus the first
/// `per_class` images (in file order) of each class in `outliers`.
///
/// Rows keep the file order, and `labels` contains the classes, so the outliers are the rows
/// whose label differs from `inlier`.
///
/// # Errors
///
/// [`DataError::Invalid`] for a class outside `0..=9`, an inlier class among the outlier
/// classes, an outlier class listed twice, or an outlier class with fewer than `per_class`
/// images in the split. Any error of [`load_split`].
pub fn corrupted(
    dir: impl AsRef<Path>,
    split: Split,
    inlier: u8,
    outliers: &[u8],
    per_class: usize,
) -> Result<Dataset> {
    check_classes(inlier, outliers)?;
    let (images, labels) = read_split(dir.as_ref(), split)?;
    check_class_sizes(&labels, outliers, per_class, split)?;

    let mut n_selected = [0usize; N_CLASSES as usize];
    let selected: Vec<usize> = (0..labels.len())
        .filter(|&i| {
            let class = labels[i];
            if class == inlier {
                return true;
            }
            let count = &mut n_selected[usize::from(class)];
            let keep = outliers.contains(&class) && *count < per_class;
            *count += usize::from(keep);
            keep
        })
        .collect();

    let pixels_per_image = images.height * images.width;
    let pixels = selected
        .iter()
        .flat_map(|&i| &images.pixels[i * pixels_per_image..(i + 1) * pixels_per_image])
        .copied()
        .collect();
    let subset = idx::IdxImages {
        n: selected.len(),
        pixels,
        ..images
    };
    let labels = selected.iter().map(|&i| i64::from(labels[i])).collect();
    Ok(subset.into_dataset(Some(labels)))
}

/// Rejects classes outside `0..=9`, repeated outlier classes and an inlier among them.
fn check_classes(inlier: u8, outliers: &[u8]) -> Result<()> {
    for &class in std::iter::once(&inlier).chain(outliers) {
        if class >= N_CLASSES {
            let message = format!("invalid class {class}: classes are 0 to {}", N_CLASSES - 1);
            return Err(DataError::Invalid(message).into());
        }
    }
    if outliers.contains(&inlier) {
        let message = format!(
            "class {inlier} is both the inlier class and an outlier class; remove it from the \
             outlier classes"
        );
        return Err(DataError::Invalid(message).into());
    }
    for (k, class) in outliers.iter().enumerate() {
        if outliers[..k].contains(class) {
            let message = format!("outlier class {class} is listed twice; list each class once");
            return Err(DataError::Invalid(message).into());
        }
    }
    Ok(())
}

/// Rejects an outlier class with fewer than `per_class` images.
fn check_class_sizes(labels: &[u8], outliers: &[u8], per_class: usize, split: Split) -> Result<()> {
    for &class in outliers {
        let available = labels.iter().filter(|&&l| l == class).count();
        if available < per_class {
            let message = format!(
                "class {class} has {available} images in the {} split, fewer than the {per_class} \
                 requested per outlier class; request at most {available}",
                split.name()
            );
            return Err(DataError::Invalid(message).into());
        }
    }
    Ok(())
}

/// Reads the images and labels of `split`, checking that the counts match and that every
/// label is a class in `0..=9`.
fn read_split(dir: &Path, split: Split) -> Result<(idx::IdxImages, Vec<u8>)> {
    let images_path = find_file(dir, split.images_file())?;
    let labels_path = find_file(dir, split.labels_file())?;
    let images = idx::read_images(&images_path)?;
    let labels = idx::read_labels(&labels_path)?;
    if labels.len() != images.n {
        let message = format!(
            "{} has {} labels, but {} has {} images; the files belong to different data sets, so \
             download them again",
            labels_path.display(),
            labels.len(),
            images_path.display(),
            images.n
        );
        return Err(DataError::Invalid(message).into());
    }
    if let Some(position) = labels.iter().position(|&l| l >= N_CLASSES) {
        let message = format!(
            "{}: label {} at index {position} is not a class in 0 to {}; the file is not an MNIST \
             label file",
            labels_path.display(),
            labels[position],
            N_CLASSES - 1
        );
        return Err(DataError::Invalid(message).into());
    }
    Ok((images, labels))
}

/// Returns `dir/name`, or `dir/name` without `.gz` when only the raw file exists.
fn find_file(dir: &Path, name: &str) -> Result<PathBuf> {
    let compressed = dir.join(name);
    let raw = dir.join(name.trim_end_matches(".gz"));
    for path in [&compressed, &raw] {
        if path.is_file() {
            return Ok(path.clone());
        }
    }
    let message = format!(
        "{} not found (nor {}); put the four MNIST or Fashion-MNIST files in {}",
        compressed.display(),
        raw.display(),
        dir.display()
    );
    Err(DataError::Invalid(message).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DataKind;

    /// Writes a raw split of 2×2 images whose first pixel is the image index.
    fn write_split(dir: &Path, split: Split, labels: &[u8]) {
        let n = labels.len() as u32;
        let mut images = idx::IMAGES_MAGIC.to_be_bytes().to_vec();
        for d in [n, 2, 2] {
            images.extend_from_slice(&d.to_be_bytes());
        }
        for i in 0..labels.len() {
            images.extend_from_slice(&[i as u8, 1, 2, 3]);
        }
        let mut label_bytes = idx::LABELS_MAGIC.to_be_bytes().to_vec();
        label_bytes.extend_from_slice(&n.to_be_bytes());
        label_bytes.extend_from_slice(labels);

        let raw = |name: &str| dir.join(name.trim_end_matches(".gz"));
        std::fs::write(raw(split.images_file()), images).unwrap();
        std::fs::write(raw(split.labels_file()), label_bytes).unwrap();
    }

    const LABELS: [u8; 12] = [3, 1, 0, 1, 3, 7, 1, 0, 3, 7, 1, 3];

    #[test]
    fn load_split_reads_all_rows() {
        let dir = tempfile::tempdir().unwrap();
        write_split(dir.path(), Split::Test, &LABELS);
        let data = load_split(dir.path(), Split::Test).unwrap();
        assert_eq!(data.n_samples, 12);
        assert_eq!(data.n_features, 4);
        assert_eq!(
            data.kind,
            DataKind::Image {
                height: 2,
                width: 2,
                max_value: 255.0
            }
        );
        let expected: Vec<i64> = LABELS.iter().map(|&l| i64::from(l)).collect();
        assert_eq!(data.labels, Some(expected));
    }

    #[test]
    fn corrupted_keeps_inliers_and_first_outliers() {
        let dir = tempfile::tempdir().unwrap();
        write_split(dir.path(), Split::Train, &LABELS);
        let data = corrupted(dir.path(), Split::Train, 1, &[3, 7], 2).unwrap();

        // Inliers (class 1) at 1, 3, 6, 10; first two 3s at 0, 4; first two 7s at 5, 9.
        let rows: Vec<f32> = (0..data.n_samples).map(|i| data.features[i * 4]).collect();
        assert_eq!(rows, vec![0.0, 1.0, 3.0, 4.0, 5.0, 6.0, 9.0, 10.0]);
        assert_eq!(data.labels, Some(vec![3, 1, 1, 3, 7, 1, 7, 1]));
        assert_eq!(data.features.len(), 8 * 4);
    }

    #[test]
    fn corrupted_zero_per_class_gives_inliers_only() {
        let dir = tempfile::tempdir().unwrap();
        write_split(dir.path(), Split::Train, &LABELS);
        let data = corrupted(dir.path(), Split::Train, 0, &[3], 0).unwrap();
        assert_eq!(data.labels, Some(vec![0, 0]));
    }

    #[test]
    fn corrupted_rejects_too_few_images() {
        let dir = tempfile::tempdir().unwrap();
        write_split(dir.path(), Split::Train, &LABELS);
        let text = corrupted(dir.path(), Split::Train, 1, &[3, 0], 3)
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("class 0 has 2 images in the train split"),
            "{text}"
        );
        assert!(text.contains("fewer than the 3"), "{text}");
    }

    #[test]
    fn corrupted_rejects_bad_class_lists() {
        let dir = tempfile::tempdir().unwrap();
        write_split(dir.path(), Split::Train, &LABELS);
        let cases: [(u8, &[u8], &str); 4] = [
            (1, &[3, 1], "both the inlier class and an outlier class"),
            (10, &[3], "invalid class 10"),
            (1, &[3, 12], "invalid class 12"),
            (1, &[3, 7, 3], "listed twice"),
        ];
        for (inlier, outliers, expected) in cases {
            let err = corrupted(dir.path(), Split::Train, inlier, outliers, 1).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(expected), "{inlier} {outliers:?}: {text}");
        }
    }

    #[test]
    fn missing_files_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let text = load_split(dir.path(), Split::Train)
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("train-images-idx3-ubyte.gz not found"),
            "{text}"
        );
    }

    #[test]
    fn labels_out_of_range_rejected() {
        let dir = tempfile::tempdir().unwrap();
        write_split(dir.path(), Split::Test, &[1, 2, 11]);
        let text = load_split(dir.path(), Split::Test).unwrap_err().to_string();
        assert!(text.contains("label 11 at index 2"), "{text}");
    }

    /// Builds the benchmark from the real MNIST test files when `RSRAE_DATA_DIR` is set.
    #[test]
    fn real_mnist_corrupted_test_split() {
        let Some(root) = std::env::var_os("RSRAE_DATA_DIR") else {
            eprintln!("note: RSRAE_DATA_DIR is unset, so the real MNIST benchmark test is skipped");
            return;
        };
        let dir = PathBuf::from(root).join("mnist");
        let data = corrupted(&dir, Split::Test, 0, &[1, 5], 100).unwrap();
        // 980 zeros in the test split, plus 100 ones and 100 fives.
        assert_eq!(data.n_samples, 980 + 200);
        let labels = data.labels.unwrap();
        assert_eq!(labels.iter().filter(|&&l| l == 0).count(), 980);
        assert_eq!(labels.iter().filter(|&&l| l == 5).count(), 100);

        let text = corrupted(&dir, Split::Test, 0, &[5], 893)
            .unwrap_err()
            .to_string();
        assert!(text.contains("class 5 has 892 images"), "{text}");
    }
}
