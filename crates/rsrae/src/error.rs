//! Error types of the library: one enum per area, with a crate-wide [`Error`].

use std::path::PathBuf;

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
    #[error("{path}: {source}")]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
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
         lower the learning rate (for example --lr {suggested_lr})"
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
