//! Error types of the library: one enum per area, with a crate-wide [`Error`].

use std::path::PathBuf;

use crate::memory::{format_bytes, MemoryEstimate};

/// Crate-wide result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Any error the library returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid hyperparameters.
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// Unreadable or invalid input data.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Training stopped.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// A model directory that cannot be saved or loaded.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Shapes that do not fit an operation.
    #[error("{op}: shape mismatch, expected {expected}, got {actual}")]
    Shape {
        /// The operation that failed.
        op: &'static str,
        /// The expected shape.
        expected: String,
        /// The shape that was passed.
        actual: String,
    },
    /// An I/O failure on a named path.
    ///
    /// The message includes the underlying error, so [`std::error::Error::source`] returns
    /// `None` and a printed cause chain shows it once.
    #[error("{path}: {error}")]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// A fit that needs more memory than the limit allows.
    #[error(transparent)]
    Memory(#[from] MemoryError),
}

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error,
        }
    }
}

/// A hyperparameter that fails validation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamsError {
    /// A value outside its allowed range.
    #[error("invalid {name} {value}: {rule}")]
    OutOfRange {
        /// The hyperparameter's name as the CLI spells it.
        name: &'static str,
        /// The offending value.
        value: String,
        /// The rule the value breaks, with the fix.
        rule: &'static str,
    },
    /// Layer widths that do not fit together.
    #[error("invalid architecture: {0}")]
    Architecture(String),
}

/// Input data that cannot be read or used.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file whose content breaks its format.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong and where, with the fix.
        message: String,
    },
    /// Data that is well-formed but unusable.
    #[error("{0}")]
    Invalid(String),
    /// A download that failed or did not match its checksum.
    #[error("download of {url} failed: {message}")]
    Download {
        /// The address tried.
        url: String,
        /// Why it failed.
        message: String,
    },
    /// A file that no mirror served with the expected checksum.
    #[error(
        "download of {name} failed on every mirror: {failures}; check the network connection, \
         or download the file by hand into {}",
        .dir.display()
    )]
    AllMirrorsFailed {
        /// The file name.
        name: String,
        /// The folder the file was meant for.
        dir: PathBuf,
        /// Each address tried, with why it failed.
        failures: String,
    },
}

/// Training that stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A loss that became NaN or infinite.
    #[error(
        "training diverged at epoch {epoch}, step {step}: the {which} loss is {value}; \
         lower the learning rate (for example --lr {})",
        format_lr(*.suggested_lr)
    )]
    Diverged {
        /// The epoch, counted from 1.
        epoch: usize,
        /// The step within the epoch, counted from 1.
        step: usize,
        /// Which loss term failed.
        which: &'static str,
        /// The non-finite value.
        value: f64,
        /// A learning rate ten times lower than the one used.
        suggested_lr: f64,
    },
    /// Training cancelled by the caller.
    #[error("training interrupted at epoch {epoch}, step {step}")]
    Interrupted {
        /// The epoch, counted from 1.
        epoch: usize,
        /// The step within the epoch, counted from 1.
        step: usize,
    },
}

/// A model directory that cannot be saved or loaded.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file of the model directory that is missing or invalid.
    #[error("model {path}: {message}")]
    Invalid {
        /// The file involved.
        path: PathBuf,
        /// What is wrong, with the fix.
        message: String,
    },
}

/// Formats a suggested learning rate with 3 significant digits, in plain notation between
/// 1e-4 and 1e4 and in exponent notation outside, so that it can be pasted after `--lr`.
fn format_lr(lr: f64) -> String {
    let rounded: f64 = format!("{lr:.2e}").parse().unwrap_or(lr);
    if (1e-4..1e4).contains(&rounded.abs()) {
        format!("{rounded}")
    } else {
        format!("{rounded:e}")
    }
}

/// A fit whose estimated memory exceeds the limit, found before any large allocation.
#[derive(Debug, thiserror::Error)]
#[error(
    "fitting needs about {} ({}), more than the {} {}; use fewer columns, narrower \
     --encoder-widths or a smaller --batch-size, or set the limit with --max-memory",
    format_bytes(estimate.total()),
    estimate.breakdown(),
    format_bytes(*limit),
    limit_source
)]
pub struct MemoryError {
    /// The estimate that exceeded the limit.
    pub estimate: MemoryEstimate,
    /// The limit in bytes.
    pub limit: u64,
    /// Where the limit came from, such as "limit set with --max-memory"; the message
    /// shows it after the limit.
    pub limit_source: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_lr_pastes_as_flag_value() {
        assert_eq!(format_lr(f64::from(0.01f32) / 10.0), "0.001");
        assert_eq!(format_lr(f64::from(1e30f32) / 10.0), "1e29");
        assert_eq!(format_lr(f64::from(3e-5f32) / 10.0), "3e-6");
        assert_eq!(format_lr(0.5), "0.5");
    }

    #[test]
    fn io_error_shows_cause_once() {
        let error = Error::io("a.csv", std::io::Error::other("disk full"));
        assert_eq!(error.to_string(), "a.csv: disk full");
        assert!(std::error::Error::source(&error).is_none());
    }
}
