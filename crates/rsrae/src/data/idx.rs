//! Reader for the IDX format of MNIST and Fashion-MNIST, raw or gzip-compressed.
//!
//! An IDX file is big-endian: a `u32` magic number, one `u32` per dimension, then the
//! values. Image files have magic 2051 (`0x00000803`: unsigned bytes, 3 dimensions) and
//! the dimensions `n, rows, cols`. Label files have magic 2049 (`0x00000801`: unsigned
//! bytes, 1 dimension) and the dimension `n`. Compression is detected from the gzip magic
//! bytes `1f 8b`, not from the file name.

use std::fs::File;
use std::io::{BufReader, ErrorKind, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::{numbered_feature_names, DataKind, Dataset};
use crate::error::{DataError, Error, Result};

/// Magic number of an IDX file of unsigned-byte images (`0x00000803`).
pub const IMAGES_MAGIC: u32 = 2051;

/// Magic number of an IDX file of unsigned-byte labels (`0x00000801`).
pub const LABELS_MAGIC: u32 = 2049;

/// Largest payload, in bytes, that a header may declare.
///
/// The MNIST training images take 47 MB, so this 16 GiB cap only rejects corrupt headers
/// before their sizes are trusted.
pub const MAX_PAYLOAD_BYTES: u64 = 16 << 30;

/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Images read from an IDX file: `n` images of `height × width` bytes, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub n: usize,
    /// Rows of pixels per image.
    pub height: usize,
    /// Columns of pixels per image.
    pub width: usize,
    /// Pixel values, image after image, each image row-major: `n * height * width` bytes.
    pub pixels: Vec<u8>,
}

impl IdxImages {
    /// Converts the images into a [`Dataset`] of kind [`DataKind::Image`] with `max_value`
    /// 255, one row per image and the feature names `f0`, `f1`, ….
    pub fn into_dataset(self, labels: Option<Vec<i64>>) -> Dataset {
        let n_features = self.height * self.width;
        Dataset {
            features: self.pixels.iter().map(|&p| f32::from(p)).collect(),
            n_samples: self.n,
            n_features,
            feature_names: numbered_feature_names(n_features),
            labels,
            kind: DataKind::Image {
                height: self.height,
                width: self.width,
                max_value: 255.0,
            },
        }
    }
}

/// Reads an IDX image file (magic 2051), raw or gzip-compressed.
///
/// # Errors
///
/// [`DataError::Format`] for a wrong magic number, zero images, a zero image size, a
/// declared size over [`MAX_PAYLOAD_BYTES`], or a payload whose length differs from the
/// header's counts. [`Error::Io`] when the file cannot be opened or read.
pub fn read_images(path: impl AsRef<Path>) -> Result<IdxImages> {
    let path = path.as_ref();
    let mut source = IdxSource::open(path)?;
    let dims = source.read_header(IMAGES_MAGIC, 3)?;
    let (n, height, width) = (dims[0], dims[1], dims[2]);
    if n == 0 {
        // Zero images need no payload, so the image size would go unchecked by the file size.
        let message = format!(
            "the header declares 0 images of {height}×{width} pixels, so the file holds no \
             data; use a file with at least one image"
        );
        return Err(format_error(path, message));
    }
    if height == 0 || width == 0 {
        let message = format!("invalid image size {height}×{width} in the header of {n} images");
        return Err(format_error(path, message));
    }

    let what = format!("{n} images of {height}×{width} bytes");
    let pixels = source.read_payload(&[n, height, width], &what)?;
    Ok(IdxImages {
        n: to_usize(n)?,
        height: to_usize(height)?,
        width: to_usize(width)?,
        pixels,
    })
}

/// Reads an IDX label file (magic 2049), raw or gzip-compressed, one byte per label.
///
/// # Errors
///
/// [`DataError::Format`] for a wrong magic number or a payload whose length differs from
/// the header's count. [`Error::Io`] when the file cannot be opened or read.
pub fn read_labels(path: impl AsRef<Path>) -> Result<Vec<u8>> {
    let mut source = IdxSource::open(path.as_ref())?;
    let dims = source.read_header(LABELS_MAGIC, 1)?;
    let what = format!("{} labels", dims[0]);
    source.read_payload(&dims, &what)
}

/// An open IDX file: the decompressed byte stream, and the file size when it is raw.
struct IdxSource<'a> {
    path: &'a Path,
    reader: Box<dyn Read>,
    /// Size of a raw file on disk; `None` for gzip, whose decompressed size is unknown.
    raw_size: Option<u64>,
}

impl<'a> IdxSource<'a> {
    /// Opens `path`, decompressing it when it starts with the gzip magic bytes.
    fn open(path: &'a Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut reader = BufReader::new(file);

        let mut start = [0u8; 2];
        let n_start = read_up_to(&mut reader, &mut start).map_err(|e| Error::io(path, e))?;
        let prefix = std::io::Cursor::new(start[..n_start].to_vec());
        let stream = prefix.chain(reader);
        if n_start == 2 && start == GZIP_MAGIC {
            let reader = Box::new(MultiGzDecoder::new(stream));
            return Ok(IdxSource {
                path,
                reader,
                raw_size: None,
            });
        }
        Ok(IdxSource {
            path,
            reader: Box::new(stream),
            raw_size: Some(size),
        })
    }

    /// Reads the magic number and `n_dims` dimensions, checking the magic against `expected`.
    fn read_header(&mut self, expected: u32, n_dims: usize) -> Result<Vec<u64>> {
        let header_len = 4 * (1 + n_dims);
        let mut header = vec![0u8; header_len];
        let n_read = read_up_to(&mut self.reader, &mut header).map_err(|e| self.read_error(e))?;
        if n_read < 4 {
            return Err(self.truncated_header(n_read, header_len));
        }

        let words: Vec<u32> = header
            .chunks_exact(4)
            .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        check_magic(self.path, words[0], expected)?;
        if n_read < header_len {
            return Err(self.truncated_header(n_read, header_len));
        }
        Ok(words[1..].iter().map(|&d| u64::from(d)).collect())
    }

    /// Reads exactly the `dims` product of bytes and checks that nothing follows them.
    ///
    /// The buffer grows as bytes arrive, so a corrupt header cannot make it allocate more
    /// than the file provides.
    fn read_payload(&mut self, dims: &[u64], what: &str) -> Result<Vec<u8>> {
        let expected = payload_bytes(self.path, dims, what)?;
        let header_len = 4 * (1 + dims.len() as u64);
        if let Some(size) = self.raw_size {
            check_raw_size(self.path, size, header_len, expected, what)?;
        }

        let mut payload = Vec::new();
        let mut limited = (&mut self.reader).take(expected + 1);
        limited
            .read_to_end(&mut payload)
            .map_err(|e| self.read_error(e))?;
        let got = payload.len() as u64;
        if got != expected {
            let message = if got < expected {
                format!(
                    "the header declares {what} ({expected} bytes), but the decompressed data \
                         ends after {got} bytes; the file is truncated, so download it again"
                )
            } else {
                format!(
                    "the header declares {what} ({expected} bytes), but more data follows \
                         them; the file is not a valid IDX file"
                )
            };
            return Err(format_error(self.path, message));
        }
        Ok(payload)
    }

    fn truncated_header(&self, n_read: usize, header_len: usize) -> Error {
        let message = format!(
            "file ends after {n_read} bytes, inside the {header_len}-byte IDX header; \
             the file is truncated, so download it again"
        );
        format_error(self.path, message)
    }

    /// Maps a read failure: invalid gzip data becomes a format error, anything else I/O.
    fn read_error(&self, e: std::io::Error) -> Error {
        let is_gzip = self.raw_size.is_none();
        match e.kind() {
            ErrorKind::InvalidData | ErrorKind::InvalidInput | ErrorKind::UnexpectedEof
                if is_gzip =>
            {
                let message = format!("invalid gzip data ({e}); download the file again");
                format_error(self.path, message)
            }
            _ => Error::io(self.path, e),
        }
    }
}

/// Rejects a magic number other than `expected`, with a hint when the two IDX kinds are
/// swapped.
fn check_magic(path: &Path, found: u32, expected: u32) -> Result<()> {
    if found == expected {
        return Ok(());
    }
    let hint = match (found, expected) {
        (LABELS_MAGIC, IMAGES_MAGIC) => "this is a label file, so pass the image file instead",
        (IMAGES_MAGIC, LABELS_MAGIC) => "this is an image file, so pass the label file instead",
        _ => "the file is not an IDX file of unsigned bytes",
    };
    let message = format!(
        "wrong IDX magic number {found} ({found:#010x}), expected {expected} ({expected:#010x}); \
         {hint}"
    );
    Err(format_error(path, message))
}

/// Returns the payload size that `dims` declare, rejecting sizes over [`MAX_PAYLOAD_BYTES`].
fn payload_bytes(path: &Path, dims: &[u64], what: &str) -> Result<u64> {
    let bytes = dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
    match bytes {
        Some(bytes) if bytes <= MAX_PAYLOAD_BYTES => Ok(bytes),
        _ => {
            let message = format!(
                "the header declares {what}, more than the maximum of {MAX_PAYLOAD_BYTES} bytes; \
                 the header is corrupt, so download the file again"
            );
            Err(format_error(path, message))
        }
    }
}

/// Checks a raw file's size against its header before any payload is read.
fn check_raw_size(
    path: &Path,
    size: u64,
    header_len: u64,
    expected: u64,
    what: &str,
) -> Result<()> {
    let available = size.saturating_sub(header_len);
    if available == expected {
        return Ok(());
    }
    let fix = if available < expected {
        "the file is truncated, so download it again"
    } else {
        "the file is not a valid IDX file"
    };
    let message = format!(
        "the header declares {what} ({expected} bytes), but the file holds {available} bytes \
         after its {header_len}-byte header; {fix}"
    );
    Err(format_error(path, message))
}

/// Fills `buf` as far as the reader allows and returns how many bytes were read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn to_usize(value: u64) -> Result<usize> {
    usize::try_from(value).map_err(|_| {
        DataError::Invalid(format!(
            "size {value} does not fit in memory on this platform"
        ))
        .into()
    })
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
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;
    use std::path::PathBuf;

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

    fn message(err: Error) -> String {
        err.to_string()
    }

    fn pixels(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 37 % 256) as u8).collect()
    }

    #[test]
    fn reads_raw_images() {
        let dir = tempfile::tempdir().unwrap();
        let payload = pixels(3 * 2 * 4);
        let path = write(&dir, "x", &idx_bytes(IMAGES_MAGIC, &[3, 2, 4], &payload));
        let images = read_images(&path).unwrap();
        assert_eq!((images.n, images.height, images.width), (3, 2, 4));
        assert_eq!(images.pixels, payload);
    }

    #[test]
    fn reads_gzip_detected_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let payload = pixels(5 * 3 * 3);
        let bytes = gzip(&idx_bytes(IMAGES_MAGIC, &[5, 3, 3], &payload));
        // The name has no .gz suffix, so only the magic bytes can reveal the compression.
        let path = write(&dir, "images.idx", &bytes);
        let images = read_images(&path).unwrap();
        assert_eq!(images.pixels, payload);

        let labels = [3u8, 1, 4, 1, 5];
        let path = write(
            &dir,
            "labels.gz",
            &gzip(&idx_bytes(LABELS_MAGIC, &[5], &labels)),
        );
        assert_eq!(read_labels(&path).unwrap(), labels);
    }

    #[test]
    fn reads_raw_labels() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "l", &idx_bytes(LABELS_MAGIC, &[4], &[9, 0, 7, 2]));
        assert_eq!(read_labels(&path).unwrap(), vec![9, 0, 7, 2]);
    }

    #[test]
    fn wrong_magic_names_both_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "l", &idx_bytes(LABELS_MAGIC, &[2], &[1, 2]));
        let text = message(read_images(&path).unwrap_err());
        assert!(text.contains("2049"), "{text}");
        assert!(text.contains("expected 2051"), "{text}");
        assert!(text.contains("label file"), "{text}");

        let path = write(&dir, "junk", b"PK\x03\x04 not an idx file at all");
        let text = message(read_labels(&path).unwrap_err());
        assert!(text.contains("expected 2049"), "{text}");
        assert!(text.contains("not an IDX file"), "{text}");
    }

    #[test]
    fn truncated_raw_names_both_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = idx_bytes(IMAGES_MAGIC, &[2, 3, 3], &pixels(17));
        let path = write(&dir, "x", &bytes);
        let text = message(read_images(&path).unwrap_err());
        assert!(text.contains("18 bytes"), "{text}");
        assert!(text.contains("holds 17 bytes"), "{text}");
        assert!(text.contains("truncated"), "{text}");
    }

    #[test]
    fn trailing_bytes_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let raw = idx_bytes(LABELS_MAGIC, &[2], &[1, 2, 3]);
        let path = write(&dir, "raw", &raw);
        let text = message(read_labels(&path).unwrap_err());
        assert!(text.contains("holds 3 bytes"), "{text}");

        let path = write(&dir, "gz", &gzip(&raw));
        let text = message(read_labels(&path).unwrap_err());
        assert!(text.contains("more data follows"), "{text}");
    }

    #[test]
    fn truncated_gzip_names_both_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = gzip(&idx_bytes(IMAGES_MAGIC, &[4, 2, 2], &pixels(10)));
        let path = write(&dir, "x.gz", &bytes);
        let text = message(read_images(&path).unwrap_err());
        assert!(text.contains("(16 bytes)"), "{text}");
        assert!(text.contains("after 10 bytes"), "{text}");
    }

    #[test]
    fn cut_gzip_stream_is_format_error() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = gzip(&idx_bytes(IMAGES_MAGIC, &[50, 8, 8], &pixels(3200)));
        let path = write(&dir, "x.gz", &bytes[..bytes.len() / 2]);
        let err = read_images(&path).unwrap_err();
        assert!(
            matches!(err, Error::Data(DataError::Format { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn short_header_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "x", &[0, 0, 8]);
        let text = message(read_images(&path).unwrap_err());
        assert!(text.contains("after 3 bytes"), "{text}");

        let path = write(&dir, "y", &idx_bytes(IMAGES_MAGIC, &[5, 28], &[]));
        let text = message(read_images(&path).unwrap_err());
        assert!(text.contains("16-byte IDX header"), "{text}");
    }

    #[test]
    fn huge_declared_size_rejected_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = idx_bytes(IMAGES_MAGIC, &[u32::MAX, u32::MAX, 2], &pixels(8));
        for (name, content) in [("raw", bytes.clone()), ("gz", gzip(&bytes))] {
            let path = write(&dir, name, &content);
            let text = message(read_images(&path).unwrap_err());
            assert!(text.contains("maximum"), "{name}: {text}");
        }
    }

    #[test]
    fn declared_size_not_preallocated() {
        // 1 GiB declared, 8 bytes present: the reader must fail on the size, not allocate.
        let dir = tempfile::tempdir().unwrap();
        let bytes = gzip(&idx_bytes(IMAGES_MAGIC, &[1 << 20, 32, 32], &pixels(8)));
        let path = write(&dir, "x.gz", &bytes);
        let text = message(read_images(&path).unwrap_err());
        assert!(text.contains("after 8 bytes"), "{text}");
    }

    #[test]
    fn zero_images_rejected_before_sizing() {
        // Found by fuzzing: 0 images of 525101×7939 pixels need no payload, and the reader
        // then allocated one feature name per pixel (4 billion).
        let dir = tempfile::tempdir().unwrap();
        let bytes = idx_bytes(IMAGES_MAGIC, &[0, 525_101, 7_939], &[]);
        for (name, content) in [("raw", bytes.clone()), ("gz", gzip(&bytes))] {
            let path = write(&dir, name, &content);
            let text = message(read_images(&path).unwrap_err());
            assert!(
                text.contains("declares 0 images of 525101×7939"),
                "{name}: {text}"
            );
            assert!(text.contains("at least one image"), "{name}: {text}");
        }
    }

    #[test]
    fn zero_image_size_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "x", &idx_bytes(IMAGES_MAGIC, &[2, 0, 28], &[]));
        let text = message(read_images(&path).unwrap_err());
        assert!(text.contains("0×28"), "{text}");
    }

    #[test]
    fn missing_file_is_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_labels(dir.path().join("absent")).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
    }

    #[test]
    fn into_dataset_keeps_pixels_and_shape() {
        let images = IdxImages {
            n: 2,
            height: 2,
            width: 3,
            pixels: (0..12).collect(),
        };
        let data = images.into_dataset(Some(vec![4, 7]));
        assert_eq!(data.n_samples, 2);
        assert_eq!(data.n_features, 6);
        assert_eq!(data.features[7], 7.0);
        assert_eq!(data.feature_names[5], "f5");
        assert_eq!(
            data.kind,
            DataKind::Image {
                height: 2,
                width: 3,
                max_value: 255.0
            }
        );
    }

    /// Reads the real MNIST training files when `RSRAE_DATA_DIR` points at the data folder.
    #[test]
    fn real_mnist_train_files() {
        let Some(root) = std::env::var_os("RSRAE_DATA_DIR") else {
            eprintln!("note: RSRAE_DATA_DIR is unset, so the real MNIST test is skipped");
            return;
        };
        let dir = PathBuf::from(root).join("mnist");
        let images = read_images(dir.join("train-images-idx3-ubyte.gz")).unwrap();
        assert_eq!((images.n, images.height, images.width), (60000, 28, 28));
        assert_eq!(images.pixels.len(), 60000 * 784);

        let labels = read_labels(dir.join("train-labels-idx1-ubyte.gz")).unwrap();
        let mut histogram = [0usize; 10];
        for &label in &labels {
            histogram[usize::from(label)] += 1;
        }
        let expected = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
        assert_eq!(histogram, expected);
    }
}
