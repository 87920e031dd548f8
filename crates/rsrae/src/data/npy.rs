//! Reader for NumPy `.npy` files holding one 2-D array of shape `(n_samples, n_features)`.
//!
//! Supported dtypes are `f4`, `f8` (either byte order) and `u1`, in C or Fortran order.
//! The [`DataKind`] follows this rule:
//!
//! - `u1` with a perfect-square number of features of at least 64 reads as square images
//!   ([`DataKind::Image`] with `max_value` 255), so 28 × 28 MNIST rows are images;
//! - every other array reads as [`DataKind::Tabular`].

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use npyz::{DType, NpyFile, NpyHeader, Order, TypeChar};

use super::{numbered_feature_names, DataKind, Dataset, NonFiniteCells};
use crate::error::{DataError, Error, Result};

/// Smallest number of `u1` features that reads as square images.
pub const MIN_IMAGE_FEATURES: usize = 64;

/// Element types this reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    F32,
    F64,
    U8,
}

/// Reads a 2-D `.npy` array into a [`Dataset`] with the feature names `f0`, `f1`, … and no
/// labels. See the module documentation for the dtypes and the kind.
///
/// # Errors
///
/// [`DataError::Format`] for an invalid header, an array that is not 2-D, an unsupported
/// dtype, an empty array, a data size that differs from the header's, or NaN and infinite
/// values (all reported at once). [`Error::Io`] when the file cannot be read.
pub fn read_npy(path: impl AsRef<Path>) -> Result<Dataset> {
    let path = path.as_ref();
    check_header_text(path)?;
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let file_size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut reader = BufReader::new(file);
    let header = NpyHeader::from_reader(&mut reader).map_err(|e| {
        format_error(
            path,
            format!("invalid .npy header ({e}); save the array with np.save"),
        )
    })?;

    let (n_samples, n_features) = check_shape(path, header.shape())?;
    let element = check_dtype(path, &header.dtype(), header.shape())?;
    let order = header.order();
    let data_start = reader.stream_position().map_err(|e| Error::io(path, e))?;
    let available = file_size.saturating_sub(data_start);
    check_data_size(path, available, n_samples * n_features, element)?;

    let file = NpyFile::with_header(header, reader);
    let shape = Shape {
        n_samples,
        n_features,
        order,
    };
    let features = match element {
        Element::F32 => read_row_major::<f32>(path, file, shape)?,
        Element::F64 => read_row_major::<f64>(path, file, shape)?,
        Element::U8 => read_row_major::<u8>(path, file, shape)?,
    };
    Ok(Dataset {
        features,
        n_samples,
        n_features,
        feature_names: numbered_feature_names(n_features),
        labels: None,
        kind: kind_of(element, n_features),
    })
}

/// Largest header accepted, in bytes: the default limit of NumPy's own reader
/// (`_MAX_HEADER_SIZE` in `numpy/lib/_format_impl.py`, NumPy 2.4).
const MAX_HEADER_BYTES: u64 = 10_000;

/// Deepest bracket nesting accepted in a header. A plain array's header nests two levels,
/// `{'shape': (2, 3)}`. The Python-literal parser behind `npyz` 0.8 takes time exponential
/// in the nesting depth (1.5 s at 16 levels, 48 s at 20), so deeper headers are rejected
/// before it runs.
const MAX_HEADER_NESTING: usize = 8;

/// Checks the header's length and bracket nesting before the header is parsed. A file
/// that does not start like a `.npy` file is left to the parser, which names the problem.
fn check_header_text(path: &Path) -> Result<()> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut preamble = [0u8; 12];
    let n_read = read_up_to(&mut file, &mut preamble).map_err(|e| Error::io(path, e))?;
    let header_len = match (&preamble[..6] == b"\x93NUMPY", preamble[6]) {
        (true, 1) if n_read >= 10 => u64::from(u16::from_le_bytes([preamble[8], preamble[9]])),
        (true, 2 | 3) if n_read >= 12 => {
            let len = [preamble[8], preamble[9], preamble[10], preamble[11]];
            u64::from(u32::from_le_bytes(len))
        }
        _ => return Ok(()),
    };
    if header_len > MAX_HEADER_BYTES {
        let message = format!(
            "the .npy header is {header_len} bytes, more than the {MAX_HEADER_BYTES} bytes that \
             NumPy's np.load accepts; save the array with np.save"
        );
        return Err(format_error(path, message));
    }

    let start = if preamble[6] == 1 { 10 } else { 12 };
    let mut text = Vec::new();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut header = file.take(start + header_len);
    header
        .read_to_end(&mut text)
        .map_err(|e| Error::io(path, e))?;
    let depth = nesting_depth(text.get(start as usize..).unwrap_or_default());
    if depth > MAX_HEADER_NESTING {
        let message = format!(
            "the .npy header nests brackets {depth} levels deep, more than the \
             {MAX_HEADER_NESTING} a plain array needs; the header is corrupt, so save the \
             array again with np.save"
        );
        return Err(format_error(path, message));
    }
    Ok(())
}

/// The deepest nesting of `(`, `[` and `{` in `text`.
fn nesting_depth(text: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for byte in text {
        match byte {
            b'(' | b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Fills `buf` as far as the reader allows and returns how many bytes were read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Returns `(n_samples, n_features)`, rejecting arrays that are not 2-D or are empty.
fn check_shape(path: &Path, shape: &[u64]) -> Result<(usize, usize)> {
    let shape_label = shape_text(shape);
    let fix = match shape.len() {
        2 => None,
        0 => Some("store one sample per row, for example with x.reshape(1, -1)"),
        1 => Some(
            "reshape it to (n_samples, n_features), with x.reshape(-1, 1) for one feature or \
             x.reshape(1, -1) for one sample",
        ),
        _ => Some("flatten each sample, for example with x.reshape(len(x), -1)"),
    };
    if let Some(fix) = fix {
        let message = format!(
            "the array is {}-D with shape {shape_label}, expected a 2-D array of shape \
             (n_samples, n_features); {fix}",
            shape.len()
        );
        return Err(format_error(path, message));
    }

    if shape[0] == 0 || shape[1] == 0 {
        let message =
            format!("the array of shape {shape_label} is empty; it needs rows and columns");
        return Err(format_error(path, message));
    }
    let too_large = || {
        let message = format!("the array of shape {shape_label} does not fit in memory");
        format_error(path, message)
    };
    let n_samples = usize::try_from(shape[0]).map_err(|_| too_large())?;
    let n_features = usize::try_from(shape[1]).map_err(|_| too_large())?;
    n_samples.checked_mul(n_features).ok_or_else(too_large)?;
    Ok((n_samples, n_features))
}

/// Maps the dtype to an [`Element`], rejecting anything but `f4`, `f8` and `u1`.
fn check_dtype(path: &Path, dtype: &DType, shape: &[u64]) -> Result<Element> {
    let element = match dtype {
        DType::Plain(ty) => match (ty.type_char(), ty.size_field()) {
            (TypeChar::Float, 4) => Some(Element::F32),
            (TypeChar::Float, 8) => Some(Element::F64),
            (TypeChar::Uint, 1) => Some(Element::U8),
            _ => None,
        },
        _ => None,
    };
    element.ok_or_else(|| {
        let message = format!(
            "unsupported dtype {} for an array of shape {}; supported are float32, float64 and \
             uint8, so convert it with x.astype(np.float32)",
            dtype.descr(),
            shape_text(shape)
        );
        format_error(path, message)
    })
}

/// Checks the bytes after the header against the shape, before any value is read.
fn check_data_size(path: &Path, available: u64, n_values: usize, element: Element) -> Result<()> {
    let width: u64 = match element {
        Element::F32 => 4,
        Element::F64 => 8,
        Element::U8 => 1,
    };
    let expected = (n_values as u64).checked_mul(width);
    if expected == Some(available) {
        return Ok(());
    }
    let expected = expected.map_or_else(|| "too many".to_owned(), |b| b.to_string());
    let message = format!(
        "the header declares {n_values} values ({expected} bytes), but {available} bytes follow \
         the header; the file is truncated or corrupt, so save the array again"
    );
    Err(format_error(path, message))
}

/// The validated layout of a 2-D array.
#[derive(Debug, Clone, Copy)]
struct Shape {
    n_samples: usize,
    n_features: usize,
    order: Order,
}

/// Reads every value as `T` and converts them to row-major `f32`.
fn read_row_major<T>(path: &Path, file: NpyFile<BufReader<File>>, shape: Shape) -> Result<Vec<f32>>
where
    T: npyz::Deserialize + Into<f64> + Copy,
{
    let dtype = file.dtype().descr();
    let reader = file.data::<T>().map_err(|e| {
        format_error(
            path,
            format!("dtype {dtype} cannot be read ({e}); save the array again"),
        )
    })?;
    let values = reader
        .collect::<std::io::Result<Vec<T>>>()
        .map_err(|e| format_error(path, format!("read failed ({e}); save the array again")))?;
    to_row_major(path, &values, shape)
}

/// Converts file-order values to row-major `f32`, collecting NaN and infinite values and
/// rejecting values outside the `f32` range.
fn to_row_major<T: Into<f64> + Copy>(path: &Path, values: &[T], shape: Shape) -> Result<Vec<f32>> {
    let Shape {
        n_samples,
        n_features,
        order,
    } = shape;
    let mut features = Vec::with_capacity(values.len());
    let mut non_finite = NonFiniteCells::default();
    for i in 0..n_samples {
        for j in 0..n_features {
            let index = match order {
                Order::C => i * n_features + j,
                Order::Fortran => j * n_samples + i,
            };
            let value: f64 = values[index].into();
            if !value.is_finite() {
                non_finite.record(|| format!("x[{i}, {j}] = {value}"));
            } else if !(value as f32).is_finite() {
                let message = format!(
                    "x[{i}, {j}] = {value:e} is outside the f32 range (±{:e}); rescale the data",
                    f32::MAX
                );
                return Err(format_error(path, message));
            }
            features.push(value as f32);
        }
    }
    non_finite.check(
        path,
        "replace them, for example with np.nan_to_num, or drop those rows",
    )?;
    Ok(features)
}

/// Applies the kind rule of the module documentation.
fn kind_of(element: Element, n_features: usize) -> DataKind {
    let side = integer_sqrt(n_features);
    if element == Element::U8 && n_features >= MIN_IMAGE_FEATURES && side * side == n_features {
        return DataKind::Image {
            height: side,
            width: side,
            max_value: 255.0,
        };
    }
    DataKind::Tabular
}

fn integer_sqrt(n: usize) -> usize {
    let mut root = (n as f64).sqrt() as usize;
    while root * root > n {
        root -= 1;
    }
    while (root + 1) * (root + 1) <= n {
        root += 1;
    }
    root
}

fn shape_text(shape: &[u64]) -> String {
    let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
    match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    }
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
    use npyz::WriterBuilder;
    use std::path::PathBuf;

    /// Writes `values` (listed in file order) as an array of `shape` in `order`.
    fn write_npy<T>(dir: &tempfile::TempDir, shape: &[u64], order: Order, values: &[T]) -> PathBuf
    where
        T: npyz::AutoSerialize + Copy,
    {
        let path = dir.path().join("x.npy");
        let file = std::io::BufWriter::new(File::create(&path).unwrap());
        let mut writer = npyz::WriteOptions::new()
            .default_dtype()
            .shape(shape)
            .order(order)
            .writer(file)
            .begin_nd()
            .unwrap();
        writer.extend(values.iter().copied()).unwrap();
        writer.finish().unwrap();
        path
    }

    fn read_error(path: &Path) -> String {
        read_npy(path).unwrap_err().to_string()
    }

    #[test]
    fn reads_c_order_f32() {
        let dir = tempfile::tempdir().unwrap();
        let values = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let data = read_npy(write_npy(&dir, &[2, 3], Order::C, &values)).unwrap();
        assert_eq!((data.n_samples, data.n_features), (2, 3));
        assert_eq!(data.features, values);
        assert_eq!(data.feature_names, vec!["f0", "f1", "f2"]);
        assert_eq!(data.labels, None);
        assert_eq!(data.kind, DataKind::Tabular);
    }

    #[test]
    fn reads_fortran_order_f64() {
        let dir = tempfile::tempdir().unwrap();
        // Column-major storage of [[1, 2, 3], [4, 5, 6]].
        let stored = [1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0];
        let data = read_npy(write_npy(&dir, &[2, 3], Order::Fortran, &stored)).unwrap();
        assert_eq!(data.features, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn reads_big_endian_f32() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("be.npy");
        let file = std::io::BufWriter::new(File::create(&path).unwrap());
        let dtype = DType::parse("'>f4'").unwrap();
        let mut writer = npyz::WriteOptions::<f32>::new()
            .dtype(dtype)
            .shape(&[1, 2])
            .writer(file)
            .begin_nd()
            .unwrap();
        writer.extend([0.5f32, -8.25]).unwrap();
        writer.finish().unwrap();
        assert_eq!(read_npy(&path).unwrap().features, vec![0.5, -8.25]);
    }

    #[test]
    fn u8_square_features_read_as_images() {
        let dir = tempfile::tempdir().unwrap();
        let values: Vec<u8> = (0..2 * 64).map(|v| v as u8).collect();
        let data = read_npy(write_npy(&dir, &[2, 64], Order::C, &values)).unwrap();
        assert_eq!(
            data.kind,
            DataKind::Image {
                height: 8,
                width: 8,
                max_value: 255.0
            }
        );
        assert_eq!(data.features[127], 127.0);
    }

    #[test]
    fn u8_other_widths_read_as_tabular() {
        let dir = tempfile::tempdir().unwrap();
        for width in [49u64, 65, 3] {
            let values = vec![7u8; 2 * width as usize];
            let data = read_npy(write_npy(&dir, &[2, width], Order::C, &values)).unwrap();
            assert_eq!(data.kind, DataKind::Tabular, "width {width}");
        }
    }

    #[test]
    fn f32_square_features_stay_tabular() {
        let dir = tempfile::tempdir().unwrap();
        let data = read_npy(write_npy(&dir, &[1, 64], Order::C, &[0.5f32; 64])).unwrap();
        assert_eq!(data.kind, DataKind::Tabular);
    }

    #[test]
    fn one_d_array_rejected_with_fix() {
        let dir = tempfile::tempdir().unwrap();
        let text = read_error(&write_npy(&dir, &[4], Order::C, &[1.0f32; 4]));
        assert!(text.contains("1-D with shape (4,)"), "{text}");
        assert!(text.contains("reshape(-1, 1)"), "{text}");
    }

    #[test]
    fn three_d_array_rejected_with_fix() {
        let dir = tempfile::tempdir().unwrap();
        let text = read_error(&write_npy(&dir, &[2, 2, 2], Order::C, &[1u8; 8]));
        assert!(text.contains("3-D with shape (2, 2, 2)"), "{text}");
        assert!(text.contains("reshape(len(x), -1)"), "{text}");
    }

    #[test]
    fn unsupported_dtype_names_dtype_and_shape() {
        let dir = tempfile::tempdir().unwrap();
        let text = read_error(&write_npy(&dir, &[2, 2], Order::C, &[1i64, 2, 3, 4]));
        assert!(text.contains("'<i8'"), "{text}");
        assert!(text.contains("(2, 2)"), "{text}");
        assert!(text.contains("astype"), "{text}");
    }

    #[test]
    fn non_finite_values_reported_together() {
        let dir = tempfile::tempdir().unwrap();
        let values = [1.0f64, f64::NAN, 3.0, f64::INFINITY];
        let text = read_error(&write_npy(&dir, &[2, 2], Order::C, &values));
        assert!(text.contains("2 cells"), "{text}");
        assert!(text.contains("x[0, 1] = NaN"), "{text}");
        assert!(text.contains("x[1, 1] = inf"), "{text}");
    }

    #[test]
    fn f32_overflow_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let text = read_error(&write_npy(&dir, &[1, 2], Order::C, &[1.0f64, 1e300]));
        assert!(text.contains("x[0, 1] = 1e300"), "{text}");
        assert!(text.contains("f32 range"), "{text}");
    }

    #[test]
    fn empty_array_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let text = read_error(&write_npy::<f32>(&dir, &[0, 3], Order::C, &[]));
        assert!(text.contains("(0, 3) is empty"), "{text}");
    }

    #[test]
    fn truncated_data_names_both_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_npy(&dir, &[2, 3], Order::C, &[1.0f32; 6]);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        let text = read_error(&path);
        assert!(text.contains("(24 bytes)"), "{text}");
        assert!(text.contains("but 19 bytes"), "{text}");
    }

    /// Builds a version 1.0 `.npy` file by hand, so that its header can lie about the data.
    fn raw_npy(header: &str, data: &[u8]) -> Vec<u8> {
        let mut text = header.to_owned();
        while (10 + text.len() + 1) % 64 != 0 {
            text.push(' ');
        }
        text.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(text.len() as u16).to_le_bytes());
        bytes.extend_from_slice(text.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    #[test]
    fn hand_built_file_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.npy");
        let header = "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }";
        std::fs::write(&path, raw_npy(header, &[1, 4, 2, 5, 3, 6])).unwrap();
        let data = read_npy(&path).unwrap();
        assert_eq!(data.features, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn huge_declared_shape_rejected_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.npy");
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4000000000, 9), }";
        std::fs::write(&path, raw_npy(header, &[0; 8])).unwrap();
        let text = read_error(&path);
        assert!(text.contains("36000000000 values"), "{text}");
        assert!(text.contains("(144000000000 bytes)"), "{text}");
        assert!(text.contains("but 8 bytes"), "{text}");
    }

    #[test]
    fn invalid_header_is_format_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.npy");
        std::fs::write(&path, b"not a numpy file").unwrap();
        let text = read_error(&path);
        assert!(text.contains("invalid .npy header"), "{text}");
    }

    #[test]
    fn deeply_nested_header_rejected_quickly() {
        // Found by fuzzing: 37 nested brackets kept the header parser busy for minutes.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.npy");
        for depth in [9, 20, 37] {
            let header = format!(
                "{}{{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }}",
                "[".repeat(depth)
            );
            std::fs::write(&path, raw_npy(&header, &[0; 8])).unwrap();
            let start = std::time::Instant::now();
            let text = read_error(&path);
            assert!(
                start.elapsed().as_secs_f64() < 1.0,
                "depth {depth} took too long"
            );
            // The dictionary and the shape tuple add two levels.
            let expected = format!("nests brackets {} levels deep", depth + 2);
            assert!(text.contains(&expected), "{text}");
        }
    }

    #[test]
    fn nesting_within_limit_reaches_parser() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.npy");
        let header = "[[[[[[{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }";
        std::fs::write(&path, raw_npy(header, &[0; 8])).unwrap();
        let text = read_error(&path);
        assert!(text.contains("invalid .npy header"), "{text}");
    }

    #[test]
    fn oversized_header_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.npy");
        let mut bytes = b"\x93NUMPY\x02\x00".to_vec();
        bytes.extend_from_slice(&(1u32 << 30).to_le_bytes());
        bytes.extend_from_slice(b"{'descr': '<f4'");
        std::fs::write(&path, bytes).unwrap();
        let text = read_error(&path);
        assert!(text.contains("header is 1073741824 bytes"), "{text}");
    }

    #[test]
    fn integer_sqrt_is_exact() {
        for n in [0usize, 1, 63, 64, 65, 783, 784, 785, 1 << 40] {
            let root = integer_sqrt(n);
            assert!(root * root <= n, "{n}");
            assert!((root + 1) * (root + 1) > n, "{n}");
        }
    }
}
