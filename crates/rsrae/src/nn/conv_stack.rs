//! Layer plans: the dense stacks, and the official convolutional network.

use super::conv::{Conv2dSpec, ConvTranspose2dSpec, Padding};
use super::layer::LayerKind;
use super::{Activation, ImageShape, ModelConfig};
use crate::error::ParamsError;

/// A layer before its parameters are laid out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerPlan {
    pub kind: LayerKind,
    pub in_dim: usize,
    pub out_dim: usize,
    pub activation: Activation,
    /// Channels of a frozen batch normalization after the activation, if any.
    pub norm_channels: Option<usize>,
}

impl LayerPlan {
    fn dense(in_dim: usize, out_dim: usize, activation: Activation, norm: bool) -> Self {
        let norm_channels = norm.then_some(out_dim);
        LayerPlan {
            kind: LayerKind::Dense,
            in_dim,
            out_dim,
            activation,
            norm_channels,
        }
    }
}

/// The padding of the third convolution: "SAME" when the height is divisible by 8.
fn third_padding(image: ImageShape) -> Padding {
    if image.height % 8 == 0 {
        Padding::Same
    } else {
        Padding::Valid
    }
}

/// The three encoder convolutions for `image` with `channels` output channels each.
fn encoder_specs(image: ImageShape, channels: [usize; 3]) -> [Conv2dSpec; 3] {
    let kernels = [5, 5, 3];
    let paddings = [Padding::Same, Padding::Same, third_padding(image)];
    let mut shape = (image.height, image.width, image.channels);
    // `from_fn` calls the closure for indices 0, 1, 2 in order, so each layer reads the
    // output shape of the one before.
    std::array::from_fn(|i| {
        let spec = Conv2dSpec {
            in_h: shape.0,
            in_w: shape.1,
            in_c: shape.2,
            out_c: channels[i],
            kernel: kernels[i],
            stride: 2,
            padding: paddings[i],
        };
        shape = (spec.out_h(), spec.out_w(), spec.out_c);
        spec
    })
}

/// Height and width of the encoder's last feature map.
pub(crate) fn encoder_output_hw(image: ImageShape) -> (usize, usize) {
    let last = encoder_specs(image, [1, 1, 1])[2];
    (last.out_h(), last.out_w())
}

fn channels(config: &ModelConfig) -> [usize; 3] {
    let w = &config.encoder_widths;
    [w[0], w[1], w[2]]
}

/// The decoder's transposed convolutions, from the `⌊H/8⌋ × ⌊W/8⌋` map back to the image.
fn decoder_specs(image: ImageShape, channels: [usize; 3]) -> [ConvTranspose2dSpec; 3] {
    let (h, w) = (image.height / 8, image.width / 8);
    let third = ConvTranspose2dSpec {
        in_h: h,
        in_w: w,
        in_c: channels[2],
        out_c: channels[1],
        kernel: 3,
        stride: 2,
        padding: third_padding(image),
    };
    let second = ConvTranspose2dSpec {
        in_h: third.out_h(),
        in_w: third.out_w(),
        in_c: channels[1],
        out_c: channels[0],
        kernel: 5,
        stride: 2,
        padding: Padding::Same,
    };
    let first = ConvTranspose2dSpec {
        in_h: second.out_h(),
        in_w: second.out_w(),
        in_c: channels[0],
        out_c: image.channels,
        kernel: 5,
        stride: 2,
        padding: Padding::Same,
    };
    [third, second, first]
}

/// Checks that the convolutional network fits the image.
pub(crate) fn check(config: &ModelConfig, image: ImageShape) -> Result<(), ParamsError> {
    let arch = |m: String| Err(ParamsError::Architecture(m));
    if config.encoder_widths.len() != 3 {
        return arch(format!(
            "the convolutional network has 3 encoder layers, but {} widths were given",
            config.encoder_widths.len()
        ));
    }
    if image.height < 8 || image.width < 8 || image.channels == 0 {
        return arch(format!(
            "the convolutional network needs images of at least 8 × 8 pixels, got {} × {} × {}",
            image.height, image.width, image.channels
        ));
    }
    if image.height * image.width * image.channels != config.input_dim {
        return arch(format!(
            "the image shape {} × {} × {} does not match the {} input values",
            image.height, image.width, image.channels, config.input_dim
        ));
    }
    let out = decoder_specs(image, channels(config))[2];
    if (out.out_h(), out.out_w()) != (image.height, image.width) {
        return arch(format!(
            "the decoder rebuilds {} × {} images from {} × {} inputs; use images whose \
             height and width give matching sizes, such as 28 × 28 or 32 × 32",
            out.out_h(),
            out.out_w(),
            image.height,
            image.width
        ));
    }
    Ok(())
}

/// The layers of the encoder and of the decoder.
pub(crate) fn plan(config: &ModelConfig) -> (Vec<LayerPlan>, Vec<LayerPlan>) {
    match config.conv {
        None => dense_plan(config),
        Some(image) => conv_plan(config, image),
    }
}

fn dense_plan(config: &ModelConfig) -> (Vec<LayerPlan>, Vec<LayerPlan>) {
    let bn = config.batch_norm;
    let mut encoder = Vec::new();
    let mut width = config.input_dim;
    for (i, &out) in config.encoder_widths.iter().enumerate() {
        let last = i + 1 == config.encoder_widths.len();
        let act = if last {
            config.latent_activation
        } else {
            config.hidden_activation
        };
        encoder.push(LayerPlan::dense(width, out, act, bn));
        width = out;
    }
    let mut decoder = Vec::new();
    let mut width = config.code_dim();
    for &out in &config.decoder_widths {
        decoder.push(LayerPlan::dense(width, out, config.hidden_activation, bn));
        width = out;
    }
    decoder.push(LayerPlan::dense(
        width,
        config.input_dim,
        config.output_activation,
        false,
    ));
    (encoder, decoder)
}

fn conv_plan(config: &ModelConfig, image: ImageShape) -> (Vec<LayerPlan>, Vec<LayerPlan>) {
    let c = channels(config);
    let bn = config.batch_norm;
    let act = config.hidden_activation;
    let encoder = encoder_specs(image, c)
        .into_iter()
        .enumerate()
        .map(|(i, spec)| LayerPlan {
            kind: LayerKind::Conv(spec),
            in_dim: spec.in_len(),
            out_dim: spec.out_len(),
            activation: if i == 2 {
                config.latent_activation
            } else {
                act
            },
            norm_channels: bn.then_some(spec.out_c),
        })
        .collect();
    let specs = decoder_specs(image, c);
    let mut decoder = vec![LayerPlan {
        kind: LayerKind::Dense,
        in_dim: config.code_dim(),
        out_dim: specs[0].in_len(),
        activation: act,
        norm_channels: bn.then_some(c[2]),
    }];
    for (i, spec) in specs.into_iter().enumerate() {
        let last = i == 2;
        decoder.push(LayerPlan {
            kind: LayerKind::ConvTranspose(spec),
            in_dim: spec.in_len(),
            out_dim: spec.out_len(),
            activation: if last { config.output_activation } else { act },
            norm_channels: (bn && !last).then_some(spec.out_c),
        });
    }
    (encoder, decoder)
}
