//! The RSR autoencoder network: dense encoder, RSR layer `A`, dense decoder.
//!
//! All trainable values live in one flat `f32` vector laid out as
//! `[encoder weights and biases…, A, decoder weights and biases…]`, so an optimizer updates
//! them in one pass and a parameter group (the encoder, `A`, the decoder) is a range.

mod activation;
mod config;
pub mod conv;
mod conv_stack;
mod layer;
mod network;
mod workspace;

pub use activation::Activation;
pub use config::{AInit, ImageShape, ModelConfig, WeightInit};
pub use layer::{Layer, LayerKind};
pub(crate) use network::TermWeights;
pub use network::{Network, ParamGroup};
pub use workspace::Workspace;
