//! rsrae: unsupervised anomaly detection with the Robust Subspace Recovery autoencoder
//! (Lai, Zou and Lerman, ICLR 2020, arXiv 1904.00152).
//!
//! An encoder maps `x ∈ R^M` to `z ∈ R^D`, the RSR layer `A ∈ R^{d×D}` maps `z` to
//! `Az ∈ R^d`, and a decoder reconstructs `x̂`. Training minimizes the L2,p reconstruction
//! loss plus `λ₁ Σ‖z − AᵀAz‖₂ + λ₂ ‖AAᵀ − I_d‖²_F`, which pulls the latent codes of the
//! majority onto a `d`-dimensional subspace; samples that reconstruct badly score high.
#![warn(missing_docs)]

pub mod data;
pub mod error;
pub mod evaluate;
mod linalg;
pub mod loss;
pub mod metrics;
mod model;
pub mod nn;
pub mod optim;
mod params;
mod persist;
pub mod preprocess;
pub mod train;

#[cfg(test)]
mod gradcheck;

pub use error::{Error, Result};
pub use model::{threshold, FitOutcome, FittedConfig, Rsrae, FORMAT_VERSION};
pub use params::{Recipe, RsraeParams, ScoreKind, DEFAULT_STEP_BUDGET};
