//! rsrae: unsupervised anomaly detection with the Robust Subspace Recovery autoencoder.
#![warn(missing_docs)]

pub mod data;
pub mod error;
pub mod metrics;

pub use error::{Error, Result};
