//! rsrae: unsupervised anomaly detection with the Robust Subspace Recovery autoencoder
//! (Lai, Zou and Lerman, ICLR 2020, arXiv 1904.00152).
//!
//! An encoder maps `x ∈ R^M` to `z ∈ R^D`, the RSR layer `A ∈ R^{d×D}` maps `z` to
//! `Az ∈ R^d`, and a decoder reconstructs `x̂`. Training minimizes the L2,p reconstruction
//! loss plus `λ₁ Σ‖z − AᵀAz‖₂ + λ₂ ‖AAᵀ − I_d‖²_F`, which pulls the latent codes of the
//! majority onto a `d`-dimensional subspace; samples that reconstruct badly score high.
//!
//! Parameters are checked, fitted into a separate model type, and the model scores data:
//!
//! ```
//! use std::ops::ControlFlow;
//! use rsrae::data::{DataKind, Dataset};
//! use rsrae::{Recipe, RsraeParams};
//!
//! // 200 points near a line in R^8, and 10 far from it.
//! let mut features = Vec::new();
//! for i in 0..210 {
//!     let t = i as f32 / 100.0;
//!     let off = if i >= 200 { 3.0 } else { 0.0 };
//!     features.extend((0..8).map(|j| t * j as f32 + off * ((i + j) % 3) as f32));
//! }
//! let data = Dataset {
//!     features,
//!     n_samples: 210,
//!     n_features: 8,
//!     feature_names: (0..8).map(|j| format!("f{j}")).collect(),
//!     labels: None,
//!     kind: DataKind::Tabular,
//! };
//! let fitted = RsraeParams::new(Recipe::Default)
//!     .with_seed(0)
//!     .fit(&data, &mut |_step| ControlFlow::Continue(()))?;
//! let scores = fitted.model.score(&data)?;
//! assert_eq!(scores, fitted.training_scores);
//! # Ok::<(), rsrae::Error>(())
//! ```
#![warn(missing_docs)]

pub mod data;
pub mod error;
pub mod evaluate;
pub mod experiment;
mod history;
mod linalg;
pub mod loss;
pub mod memory;
pub mod metrics;
mod model;
pub mod nn;
pub mod optim;
mod params;
pub mod pca;
mod persist;
pub mod preprocess;
pub mod train;

#[cfg(test)]
mod gradcheck;
#[cfg(test)]
mod paper_tests;

pub use error::{Error, Result};
pub use history::HISTORY_FILE;
pub use model::{
    threshold, FitOutcome, FittedConfig, RobustScale, Rsrae, ScoreScale, FORMAT_VERSION,
};
pub use params::{Architecture, Recipe, RsraeParams, ScoreKind, DEFAULT_STEP_BUDGET};
pub use persist::StagedModel;
