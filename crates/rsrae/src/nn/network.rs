//! Layer table, initialization, forward and backward passes.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use super::conv::glorot_uniform;
use super::conv_stack::{plan, LayerPlan};
use super::layer::{Layer, LayerKind};
use super::{AInit, ModelConfig, WeightInit, Workspace};
use crate::error::Result;
use crate::linalg::{matmul_nn, matmul_nt, matmul_tn_acc, MatRef};

/// A named range of the flat parameter vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamGroup {
    /// Every parameter.
    All,
    /// The encoder's weights and biases.
    Encoder,
    /// The RSR layer `A`.
    Rsr,
    /// The encoder and `A`.
    EncoderAndRsr,
    /// The decoder's weights and biases.
    Decoder,
}

/// The network's structure: where each layer's parameters sit in the flat vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    config: ModelConfig,
    encoder: Vec<Layer>,
    decoder: Vec<Layer>,
    a_offset: usize,
    n_params: usize,
}

/// Gradient weights of the three loss terms for one backward pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TermWeights {
    pub reconstruction: f32,
    pub projection: f32,
    pub orthogonality: f32,
}

/// `1/√(1 + ε)` of TensorFlow's batch normalization with variance 1 and `ε = 0.001`.
pub(crate) fn frozen_norm_factor() -> f32 {
    (1.0f64 / 1.001f64.sqrt()) as f32
}

/// Lays out the parameters of planned layers from `offset` on.
fn lay_out(plans: &[LayerPlan], offset: &mut usize) -> Vec<Layer> {
    plans
        .iter()
        .map(|p| {
            let weight_len = match p.kind {
                LayerKind::Dense => p.in_dim * p.out_dim,
                LayerKind::Conv(spec) => spec.weight_len(),
                LayerKind::ConvTranspose(spec) => spec.weight_len(),
            };
            let mut layer = Layer {
                kind: p.kind,
                in_dim: p.in_dim,
                out_dim: p.out_dim,
                weight_offset: *offset,
                bias_offset: *offset + weight_len,
                activation: p.activation,
                norm_offset: None,
                norm_channels: p.norm_channels.unwrap_or(0),
            };
            *offset = layer.bias_offset + layer.out_channels();
            if let Some(channels) = p.norm_channels {
                layer.norm_offset = Some(*offset);
                *offset += 2 * channels;
            }
            layer
        })
        .collect()
}

impl Network {
    /// Lays out the parameters of a checked `config`.
    pub fn new(config: &ModelConfig) -> Self {
        let (encoder_plan, decoder_plan) = plan(config);
        let mut offset = 0;
        let encoder = lay_out(&encoder_plan, &mut offset);
        let a_offset = offset;
        if config.rsr_layer {
            offset += config.rsr_dim * config.latent_dim();
        }
        let decoder = lay_out(&decoder_plan, &mut offset);
        Network {
            config: config.clone(),
            encoder,
            decoder,
            a_offset,
            n_params: offset,
        }
    }

    /// The architecture.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// Number of trainable values.
    pub fn n_params(&self) -> usize {
        self.n_params
    }

    /// The encoder's layers.
    pub fn encoder(&self) -> &[Layer] {
        &self.encoder
    }

    /// The decoder's layers.
    pub fn decoder(&self) -> &[Layer] {
        &self.decoder
    }

    /// The range of `A` in the flat parameter vector (empty without the RSR layer).
    pub fn a_range(&self) -> std::ops::Range<usize> {
        if !self.config.rsr_layer {
            return self.a_offset..self.a_offset;
        }
        self.a_offset..self.a_offset + self.config.rsr_dim * self.config.latent_dim()
    }

    /// The range of a parameter group in the flat parameter vector.
    pub fn group_range(&self, group: ParamGroup) -> std::ops::Range<usize> {
        let a = self.a_range();
        match group {
            ParamGroup::All => 0..self.n_params,
            ParamGroup::Encoder => 0..a.start,
            ParamGroup::Rsr => a,
            ParamGroup::EncoderAndRsr => 0..a.end,
            ParamGroup::Decoder => a.end..self.n_params,
        }
    }

    /// Draws initial parameters: weights by the configured [`WeightInit`] (convolutions
    /// always Glorot-uniform, as TensorFlow), batch normalization as the identity
    /// (`γ = 1`, `β = 0`), and `A` by the configured rule.
    pub fn init_params(&self, rng: &mut impl Rng) -> Vec<f32> {
        let mut params = vec![0.0f32; self.n_params];
        for layer in self.encoder.iter().chain(&self.decoder) {
            init_layer(layer, self.config.weight_init, &mut params, rng);
        }
        if !self.config.rsr_layer {
            return params;
        }
        let (d, latent) = (self.config.rsr_dim, self.config.latent_dim());
        let a = &mut params[self.a_range()];
        for v in a.iter_mut() {
            *v = StandardNormal.sample(rng);
        }
        if self.config.a_init == AInit::Orthogonal {
            orthonormalize_rows(a, d, latent);
        }
        params
    }

    /// Runs the forward pass of the first `n` rows of `x` into the workspace.
    pub(crate) fn forward(
        &self,
        params: &[f32],
        x: &[f32],
        n: usize,
        ws: &mut Workspace,
    ) -> Result<()> {
        ws.set_rows(n);
        let input = &x[..n * self.config.input_dim];
        let stack = &mut ws.encoder;
        run_stack(&self.encoder, params, input, n, stack, &mut ws.conv_scratch)?;

        let latent = self.config.latent_dim();
        let z = &ws.encoder.outputs[self.encoder.len() - 1][..n * latent];
        let code = self.config.code_dim();
        if self.config.rsr_layer {
            let a = MatRef::new(&params[self.a_range()], code, latent);
            matmul_nt(MatRef::new(z, n, latent), a, &mut ws.rsr_out[..n * code]);
            ws.decoder_in[..n * code].copy_from_slice(&ws.rsr_out[..n * code]);
        } else {
            ws.decoder_in[..n * code].copy_from_slice(z);
        }
        if self.config.normalize_latent {
            normalize_rows(&mut ws.decoder_in[..n * code], code, &mut ws.rsr_norm[..n]);
        }
        let y = &ws.decoder_in[..n * code];
        run_stack(
            &self.decoder,
            params,
            y,
            n,
            &mut ws.decoder,
            &mut ws.conv_scratch,
        )
    }

    /// The reconstructions `x̂` of the last forward pass.
    pub(crate) fn reconstruction<'w>(&self, ws: &'w Workspace) -> &'w [f32] {
        &ws.decoder.outputs[self.decoder.len() - 1][..ws.rows() * self.config.input_dim]
    }

    /// The latent codes `z` of the last forward pass.
    pub(crate) fn latent<'w>(&self, ws: &'w Workspace) -> &'w [f32] {
        &ws.encoder.outputs[self.encoder.len() - 1][..ws.rows() * self.config.latent_dim()]
    }

    /// The decoder's input code of the last forward pass before any normalization: `Az`
    /// with the RSR layer, `z` without.
    pub(crate) fn rsr_output<'w>(&self, ws: &'w Workspace) -> &'w [f32] {
        if self.config.rsr_layer {
            &ws.rsr_out[..ws.rows() * self.config.rsr_dim]
        } else {
            self.latent(ws)
        }
    }

    /// Back-propagates the loss gradients stored in the workspace and adds them to `grad`.
    ///
    /// Expects `ws.grad_output` = ∂L_rec/∂x̂ and `ws.grad_latent` = ∂L_proj/∂z from the
    /// losses, each already scaled by its weight; `weights` selects which terms are present.
    /// The orthogonality gradient needs no workspace and is added by the caller.
    pub(crate) fn backward(
        &self,
        params: &[f32],
        x: &[f32],
        weights: TermWeights,
        ws: &mut Workspace,
        grad: &mut [f32],
    ) -> Result<()> {
        let n = ws.rows();
        if weights.reconstruction != 0.0 {
            self.backward_decoder(params, ws, grad)?;
            self.backward_code(params, weights.projection != 0.0, ws, grad);
        } else if weights.projection == 0.0 {
            return Ok(());
        }
        let mut delta = std::mem::take(&mut ws.grad_latent);
        let stack = StackBuffers {
            input: &x[..n * self.config.input_dim],
            buffers: &ws.encoder,
        };
        let result = back_stack(
            &self.encoder,
            params,
            stack,
            n,
            &mut delta,
            &mut ws.scratch,
            None,
            grad,
            &mut ws.conv_scratch,
        );
        ws.grad_latent = delta;
        result
    }

    /// Maps ∂L/∂(decoder input) in `ws.grad_rsr` through the normalization and the RSR
    /// layer into `ws.grad_latent`, adding `∂L/∂A`.
    fn backward_code(
        &self,
        params: &[f32],
        accumulate: bool,
        ws: &mut Workspace,
        grad: &mut [f32],
    ) {
        let n = ws.rows();
        let (code, latent) = (self.config.code_dim(), self.config.latent_dim());
        let dy = &mut ws.grad_rsr[..n * code];
        if self.config.normalize_latent {
            normalize_rows_backward(&ws.decoder_in[..n * code], &ws.rsr_norm[..n], code, dy);
        }
        let dz = &mut ws.grad_latent[..n * latent];
        if self.config.rsr_layer {
            let a_range = self.a_range();
            let z = &ws.encoder.outputs[self.encoder.len() - 1][..n * latent];
            let dy = MatRef::new(dy, n, code);
            matmul_tn_acc(
                dy,
                MatRef::new(z, n, latent),
                1.0,
                &mut grad[a_range.clone()],
            );
            let a = MatRef::new(&params[a_range], code, latent);
            matmul_nn(dy, a, 1.0, accumulate, dz);
        } else if accumulate {
            dz.iter_mut().zip(dy.iter()).for_each(|(g, v)| *g += v);
        } else {
            dz.copy_from_slice(dy);
        }
    }

    fn backward_decoder(&self, params: &[f32], ws: &mut Workspace, grad: &mut [f32]) -> Result<()> {
        let n = ws.rows();
        let code = self.config.code_dim();
        let mut delta = std::mem::take(&mut ws.grad_output);
        let stack = StackBuffers {
            input: &ws.decoder_in[..n * code],
            buffers: &ws.decoder,
        };
        let first_grad = Some(&mut ws.grad_rsr[..n * code]);
        let result = back_stack(
            &self.decoder,
            params,
            stack,
            n,
            &mut delta,
            &mut ws.scratch,
            first_grad,
            grad,
            &mut ws.conv_scratch,
        );
        ws.grad_output = delta;
        result
    }
}

fn init_layer(layer: &Layer, init: WeightInit, params: &mut [f32], rng: &mut impl Rng) {
    let (weights, rest) = params[layer.weight_offset..].split_at_mut(layer.weight_len());
    let biases = &mut rest[..layer.out_channels()];
    match (layer.kind, init) {
        (LayerKind::Dense, WeightInit::Torch) => {
            let bound = 1.0 / (layer.in_dim as f32).sqrt();
            for p in weights.iter_mut().chain(biases.iter_mut()) {
                *p = rng.gen_range(-bound..bound);
            }
        }
        (LayerKind::Dense, WeightInit::Glorot) => {
            glorot_uniform(weights, layer.in_dim, layer.out_dim, rng);
        }
        (LayerKind::Conv(spec), _) => {
            let (fan_in, fan_out) = spec.fans();
            glorot_uniform(weights, fan_in, fan_out, rng);
        }
        (LayerKind::ConvTranspose(spec), _) => {
            let (fan_in, fan_out) = spec.fans();
            glorot_uniform(weights, fan_in, fan_out, rng);
        }
    }
    if let Some(at) = layer.norm_offset {
        params[at..at + layer.norm_channels].fill(1.0);
    }
}

/// Per-layer buffers of one stack: each layer's output, and with batch normalization the
/// activation's output before it.
#[derive(Debug, Clone)]
pub(crate) struct StackOutputs {
    pub outputs: Vec<Vec<f32>>,
    pub acts: Vec<Vec<f32>>,
}

/// The input of a stack with the buffers its forward pass filled.
struct StackBuffers<'a> {
    input: &'a [f32],
    buffers: &'a StackOutputs,
}

/// Runs the layers; with batch normalization, `acts[i]` keeps each activation's output
/// and `outputs[i]` the normalized values.
fn run_stack(
    layers: &[Layer],
    params: &[f32],
    input: &[f32],
    n: usize,
    stack: &mut StackOutputs,
    scratch: &mut [f32],
) -> Result<()> {
    for (i, layer) in layers.iter().enumerate() {
        let (before, rest) = stack.outputs.split_at_mut(i);
        let x = if i == 0 { input } else { &before[i - 1][..] };
        let width = layer.out_dim;
        let y = match layer.norm_offset {
            Some(_) => &mut stack.acts[i][..n * width],
            None => &mut rest[0][..n * width],
        };
        layer.map_forward(params, x, n, y, scratch)?;
        layer.activation.apply(y);
        if let Some(at) = layer.norm_offset {
            let channels = layer.norm_channels;
            let (gamma, beta) = params[at..at + 2 * channels].split_at(channels);
            let c = frozen_norm_factor();
            let out = rest[0][..n * width].chunks_exact_mut(channels);
            for (o_row, a_row) in out.zip(stack.acts[i][..n * width].chunks_exact(channels)) {
                for (((o, &a), g), b) in o_row.iter_mut().zip(a_row).zip(gamma).zip(beta) {
                    *o = g * a * c + b;
                }
            }
        }
    }
    Ok(())
}

/// Back-propagates `delta` (∂L/∂output of the last layer) through the layers, adding
/// parameter gradients to `grad` and writing ∂L/∂input to `input_grad` when given.
#[allow(clippy::too_many_arguments)]
fn back_stack(
    layers: &[Layer],
    params: &[f32],
    stack: StackBuffers,
    n: usize,
    delta: &mut Vec<f32>,
    spare: &mut Vec<f32>,
    input_grad: Option<&mut [f32]>,
    grad: &mut [f32],
    scratch: &mut [f32],
) -> Result<()> {
    let mut input_grad = input_grad;
    for (i, layer) in layers.iter().enumerate().rev() {
        let width = layer.out_dim;
        let act = match layer.norm_offset {
            Some(_) => &stack.buffers.acts[i][..n * width],
            None => &stack.buffers.outputs[i][..n * width],
        };
        norm_backward(layer, params, act, &mut delta[..n * width], grad);
        layer.activation.backward(act, &mut delta[..n * width]);
        let x = if i == 0 {
            stack.input
        } else {
            &stack.buffers.outputs[i - 1][..]
        };
        if i == 0 {
            layer.map_backward(params, x, n, delta, grad, input_grad.take(), scratch)?;
        } else {
            layer.map_backward(params, x, n, delta, grad, Some(&mut spare[..]), scratch)?;
            std::mem::swap(delta, spare);
        }
    }
    Ok(())
}

/// Maps ∂L/∂(normalized output) to ∂L/∂(activation output), adding `∂L/∂γ` and `∂L/∂β`.
fn norm_backward(layer: &Layer, params: &[f32], act: &[f32], delta: &mut [f32], grad: &mut [f32]) {
    let Some(at) = layer.norm_offset else { return };
    let channels = layer.norm_channels;
    let c = frozen_norm_factor();
    let (dgamma, dbeta) = grad[at..at + 2 * channels].split_at_mut(channels);
    for (d_row, a_row) in delta.chunks_exact(channels).zip(act.chunks_exact(channels)) {
        for (j, (&d, &a)) in d_row.iter().zip(a_row).enumerate() {
            dgamma[j] += d * a * c;
            dbeta[j] += d;
        }
    }
    let gamma = &params[at..at + channels];
    for row in delta.chunks_exact_mut(channels) {
        for (d, g) in row.iter_mut().zip(gamma) {
            *d *= g * c;
        }
    }
}

/// Squared norms under this value count as zero, as in the official RSRAE code.
const NORM_EPS: f32 = 1e-12;

fn normalize_rows(values: &mut [f32], width: usize, norms: &mut [f32]) {
    for (row, norm) in values.chunks_exact_mut(width).zip(norms) {
        let sq: f32 = row.iter().map(|v| v * v).sum();
        *norm = sq.max(NORM_EPS).sqrt();
        for v in row {
            *v /= *norm;
        }
    }
}

/// Maps ∂L/∂u to ∂L/∂y for `u = y / max(‖y‖, √ε)`, given `u` and the norms used.
fn normalize_rows_backward(unit: &[f32], norms: &[f32], width: usize, grad: &mut [f32]) {
    let rows = grad.chunks_exact_mut(width).zip(unit.chunks_exact(width));
    for ((g, u), &norm) in rows.zip(norms) {
        if norm * norm <= NORM_EPS {
            for v in g.iter_mut() {
                *v /= norm;
            }
            continue;
        }
        let dot: f32 = g.iter().zip(u).map(|(a, b)| a * b).sum();
        for (v, &ui) in g.iter_mut().zip(u) {
            *v = (*v - ui * dot) / norm;
        }
    }
}

/// Makes the rows of a `rows × cols` matrix orthonormal by modified Gram–Schmidt in f64,
/// which equals the `Q` of a QR factorization of the transpose with a positive diagonal `R`.
fn orthonormalize_rows(a: &mut [f32], rows: usize, cols: usize) {
    let mut m: Vec<f64> = a.iter().map(|&v| f64::from(v)).collect();
    for i in 0..rows {
        for j in 0..i {
            let dot: f64 = (0..cols).map(|k| m[i * cols + k] * m[j * cols + k]).sum();
            for k in 0..cols {
                m[i * cols + k] -= dot * m[j * cols + k];
            }
        }
        let norm = (0..cols)
            .map(|k| m[i * cols + k].powi(2))
            .sum::<f64>()
            .sqrt();
        let norm = if norm > 0.0 { norm } else { 1.0 };
        for k in 0..cols {
            m[i * cols + k] /= norm;
        }
    }
    for (dst, src) in a.iter_mut().zip(&m) {
        *dst = *src as f32;
    }
}
