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

/// How dense weights and biases are initialized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightInit {
    /// PyTorch's `nn.Linear` default: weights and biases uniform in `±1/√in`.
    Torch,
    /// TensorFlow's default: Glorot-uniform weights in `±√(6/(in + out))`, zero biases.
    Glorot,
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
    /// Whether every hidden activation is followed by a frozen batch normalization
    /// `γ·h/√(1 + 0.001) + β` (TensorFlow's inference-mode layer with mean 0 and
    /// variance 1, as the official RSRAE code runs it).
    #[serde(default)]
    pub batch_norm: bool,
    /// Initialization of dense weights and biases.
    #[serde(default = "default_weight_init")]
    pub weight_init: WeightInit,
    /// Whether the RSR layer exists; without it the model is a plain autoencoder whose
    /// decoder reads `z` directly.
    #[serde(default = "default_true")]
    pub rsr_layer: bool,
    /// The image shape for the official convolutional network, whose encoder has
    /// `encoder_widths` channels; `None` builds dense layers.
    #[serde(default)]
    pub conv: Option<ImageShape>,
}

/// The shape of an image sample, stored height × width × channels (NHWC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageShape {
    /// Rows of pixels.
    pub height: usize,
    /// Columns of pixels.
    pub width: usize,
    /// Channels per pixel.
    pub channels: usize,
}

fn default_weight_init() -> WeightInit {
    WeightInit::Torch
}

fn default_true() -> bool {
    true
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
            batch_norm: false,
            weight_init: WeightInit::Torch,
            rsr_layer: true,
            conv: None,
        }
    }

    /// The official RSRAE dense architecture for `input_dim` inputs: encoder
    /// `input→32→64→128`, `d = 10`, decoder `10→128→64→32→input`, every layer (the output
    /// too) followed by `activation`, frozen batch normalization after each hidden layer,
    /// Glorot initialization, Gaussian `A` and a normalized latent.
    pub fn paper_dense(input_dim: usize, activation: Activation) -> Self {
        ModelConfig {
            input_dim,
            encoder_widths: vec![32, 64, 128],
            rsr_dim: 10,
            decoder_widths: vec![128, 64, 32],
            hidden_activation: activation,
            latent_activation: activation,
            output_activation: activation,
            a_init: AInit::Gaussian,
            normalize_latent: true,
            batch_norm: true,
            weight_init: WeightInit::Glorot,
            rsr_layer: true,
            conv: None,
        }
    }

    /// The official RSRAE convolutional network for `image`: 5×5/32, 5×5/64 and 3×3/128
    /// convolutions of stride 2 ("SAME" padding, the last one "VALID" when the height is
    /// not divisible by 8), each followed by `activation` and frozen batch normalization;
    /// `d = 10`; a decoder of a dense layer to `128·⌊H/8⌋·⌊W/8⌋` values and three
    /// transposed convolutions back to the image.
    pub fn paper_conv(image: ImageShape, activation: Activation) -> Self {
        let mut config = Self::paper_dense(image.height * image.width * image.channels, activation);
        config.conv = Some(image);
        config.decoder_widths = Vec::new();
        config
    }

    /// The width of the decoder's input: `d` with the RSR layer, `D` without.
    pub fn code_dim(&self) -> usize {
        if self.rsr_layer {
            self.rsr_dim
        } else {
            self.latent_dim()
        }
    }

    /// The latent width `D`: the last encoder width, or for the convolutional network the
    /// values of the last feature map.
    pub fn latent_dim(&self) -> usize {
        let last = self.encoder_widths.last().copied().unwrap_or(0);
        match self.conv {
            None => last,
            Some(image) => {
                let (h, w) = super::conv_stack::encoder_output_hw(image);
                h * w * last
            }
        }
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
        if let Some(image) = self.conv {
            super::conv_stack::check(self, image)?;
        }
        let latent = self.latent_dim();
        if !self.rsr_layer {
            return Ok(());
        }
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
