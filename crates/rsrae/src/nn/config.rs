//! The architecture of an RSR autoencoder.

use serde::{Deserialize, Serialize};

use super::Activation;
use crate::error::ParamsError;

/// How the RSR layer `A ∈ R^{d×D}` is initialized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AInit {
    /// Orthonormal rows (`AAᵀ = I_d`), as PyTorch's `orthogonal_` gives.
    Orthogonal,
    /// I.i.d. `N(0, 1)` entries, unscaled.
    Gaussian,
}

/// The architecture: layer widths, activations and the RSR layer.
///
/// The paper's symbols map to fields as follows: `M` is `input_dim`, `D` is the last
/// entry of `encoder_widths` and `d` is `rsr_dim`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Width of the input `M`.
    pub input_dim: usize,
    /// Output widths of the encoder's dense layers; the last one is the latent width `D`.
    pub encoder_widths: Vec<usize>,
    /// Rows `d` of the RSR layer `A ∈ R^{d×D}`.
    pub rsr_dim: usize,
    /// Output widths of the decoder's hidden layers; a final layer maps to `input_dim`.
    pub decoder_widths: Vec<usize>,
    /// Activation after every hidden layer.
    pub hidden_activation: Activation,
    /// Activation after the encoder's last layer, which produces `z`.
    pub latent_activation: Activation,
    /// Activation of the reconstruction `x̂`.
    pub output_activation: Activation,
    /// Initialization of `A`.
    pub a_init: AInit,
    /// Whether `Az` is scaled to unit L2 norm before the decoder.
    pub normalize_latent: bool,
}

impl ModelConfig {
    /// The default architecture for `input_dim` inputs.
    ///
    /// For 784 inputs (28 × 28 images) this is the widely read PyTorch network: encoder
    /// 784→392→196→128, `d = 16`, decoder 16→128→392→784. For any other width `M`:
    /// `D = min(128, M)`, two hidden encoder layers of `max(⌊M/2⌋, D)` and
    /// `max(⌊M/4⌋, D)` units (the halving rule, never narrower than `D`), and
    /// `d = min(10, max(1, ⌊D/2⌋))`; the decoder mirrors the encoder.
    pub fn default_for(input_dim: usize, output_activation: Activation) -> Self {
        let latent = input_dim.clamp(1, 128);
        let hidden = [(input_dim / 2).max(latent), (input_dim / 4).max(latent)];
        let rsr_dim = if input_dim == 784 {
            16
        } else {
            (latent / 2).clamp(1, 10)
        };
        ModelConfig {
            input_dim,
            encoder_widths: vec![hidden[0], hidden[1], latent],
            rsr_dim,
            decoder_widths: vec![latent, hidden[0]],
            hidden_activation: Activation::LeakyRelu { slope: 0.01 },
            latent_activation: Activation::Identity,
            output_activation,
            a_init: AInit::Orthogonal,
            normalize_latent: false,
        }
    }

    /// The latent width `D`.
    pub fn latent_dim(&self) -> usize {
        self.encoder_widths.last().copied().unwrap_or(0)
    }

    /// Checks that the widths fit together.
    pub fn check(&self) -> Result<(), ParamsError> {
        let arch = |msg: String| Err(ParamsError::Architecture(msg));
        if self.input_dim == 0 {
            return arch("the input has no features".into());
        }
        if self.encoder_widths.is_empty() {
            return arch("the encoder needs at least one layer".into());
        }
        if self
            .encoder_widths
            .iter()
            .chain(&self.decoder_widths)
            .any(|&w| w == 0)
        {
            return arch("every layer width must be at least 1".into());
        }
        let latent = self.latent_dim();
        if self.rsr_dim == 0 || self.rsr_dim >= latent {
            return arch(format!(
                "d = {} must be at least 1 and smaller than the latent width D = {latent}; \
                 pass a smaller --d",
                self.rsr_dim
            ));
        }
        Ok(())
    }
}
