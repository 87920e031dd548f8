//! Layer table, initialization, forward and backward passes.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use super::{AInit, Activation, ModelConfig, Workspace};
use crate::linalg::{matmul_nn, matmul_nt, matmul_tn_acc, MatRef};

/// One dense layer `y = act(x·Wᵀ + b)` as offsets into the flat parameter vector.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseLayer {
    /// Input width.
    pub in_dim: usize,
    /// Output width.
    pub out_dim: usize,
    /// Offset of `W` (`out_dim × in_dim`, row-major).
    pub weight_offset: usize,
    /// Offset of `b` (`out_dim`).
    pub bias_offset: usize,
    /// Activation applied to the output.
    pub activation: Activation,
}

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
    encoder: Vec<DenseLayer>,
    decoder: Vec<DenseLayer>,
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

fn dense_stack(
    dims: &[usize],
    offset: &mut usize,
    hidden: Activation,
    last: Activation,
) -> Vec<DenseLayer> {
    let n_layers = dims.len() - 1;
    (0..n_layers)
        .map(|i| {
            let (in_dim, out_dim) = (dims[i], dims[i + 1]);
            let weight_offset = *offset;
            let bias_offset = weight_offset + in_dim * out_dim;
            *offset = bias_offset + out_dim;
            let activation = if i + 1 == n_layers { last } else { hidden };
            DenseLayer {
                in_dim,
                out_dim,
                weight_offset,
                bias_offset,
                activation,
            }
        })
        .collect()
}

impl Network {
    /// Lays out the parameters of a checked `config`.
    pub fn new(config: &ModelConfig) -> Self {
        let mut offset = 0;
        let mut enc_dims = vec![config.input_dim];
        enc_dims.extend(&config.encoder_widths);
        let encoder = dense_stack(
            &enc_dims,
            &mut offset,
            config.hidden_activation,
            config.latent_activation,
        );
        let a_offset = offset;
        offset += config.rsr_dim * config.latent_dim();
        let mut dec_dims = vec![config.rsr_dim];
        dec_dims.extend(&config.decoder_widths);
        dec_dims.push(config.input_dim);
        let decoder = dense_stack(
            &dec_dims,
            &mut offset,
            config.hidden_activation,
            config.output_activation,
        );
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
    pub fn encoder(&self) -> &[DenseLayer] {
        &self.encoder
    }

    /// The decoder's layers.
    pub fn decoder(&self) -> &[DenseLayer] {
        &self.decoder
    }

    /// The range of `A` in the flat parameter vector.
    pub fn a_range(&self) -> std::ops::Range<usize> {
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

    /// Draws initial parameters: PyTorch's `nn.Linear` default (weights and biases
    /// uniform in `±1/√in`) for dense layers, and `A` by the configured rule.
    pub fn init_params(&self, rng: &mut impl Rng) -> Vec<f32> {
        let mut params = vec![0.0f32; self.n_params];
        for layer in self.encoder.iter().chain(&self.decoder) {
            let bound = 1.0 / (layer.in_dim as f32).sqrt();
            let end = layer.bias_offset + layer.out_dim;
            for p in &mut params[layer.weight_offset..end] {
                *p = rng.gen_range(-bound..bound);
            }
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
    pub(crate) fn forward(&self, params: &[f32], x: &[f32], n: usize, ws: &mut Workspace) {
        ws.set_rows(n);
        let input = MatRef::new(x, n, self.config.input_dim);
        run_stack(&self.encoder, params, input, &mut ws.encoder_out);

        let latent = self.config.latent_dim();
        let d = self.config.rsr_dim;
        let z = MatRef::new(&ws.encoder_out[self.encoder.len() - 1], n, latent);
        let a = MatRef::new(&params[self.a_range()], d, latent);
        matmul_nt(z, a, &mut ws.rsr_out[..n * d]);
        ws.decoder_in[..n * d].copy_from_slice(&ws.rsr_out[..n * d]);
        if self.config.normalize_latent {
            normalize_rows(&mut ws.decoder_in[..n * d], d, &mut ws.rsr_norm[..n]);
        }
        let y = MatRef::new(&ws.decoder_in, n, d);
        run_stack(&self.decoder, params, y, &mut ws.decoder_out);
    }

    /// The reconstructions `x̂` of the last forward pass.
    pub(crate) fn reconstruction<'w>(&self, ws: &'w Workspace) -> &'w [f32] {
        &ws.decoder_out[self.decoder.len() - 1][..ws.rows() * self.config.input_dim]
    }

    /// The RSR layer outputs `Az` of the last forward pass, before any normalization.
    pub(crate) fn rsr_output<'w>(&self, ws: &'w Workspace) -> &'w [f32] {
        &ws.rsr_out[..ws.rows() * self.config.rsr_dim]
    }

    /// Back-propagates the loss gradients stored in the workspace and adds them to `grad`.
    ///
    /// Expects `ws.grad_output` = ∂L_rec/∂x̂ and `ws.grad_latent` = ∂L_proj/∂z from the
    /// losses, each already scaled by its weight; `weights` says which terms are present.
    /// The orthogonality gradient needs no workspace and is added by the caller.
    pub(crate) fn backward(
        &self,
        params: &[f32],
        x: &[f32],
        weights: TermWeights,
        ws: &mut Workspace,
        grad: &mut [f32],
    ) {
        let n = ws.rows();
        let (d, latent) = (self.config.rsr_dim, self.config.latent_dim());
        let a_range = self.a_range();
        if weights.reconstruction != 0.0 {
            self.backward_decoder(params, ws, grad);
            let dy = &mut ws.grad_rsr[..n * d];
            if self.config.normalize_latent {
                normalize_rows_backward(&ws.decoder_in[..n * d], &ws.rsr_norm[..n], d, dy);
            }
            let z = &ws.encoder_out[self.encoder.len() - 1][..n * latent];
            let z = MatRef::new(z, n, latent);
            let dy = MatRef::new(dy, n, d);
            matmul_tn_acc(dy, z, 1.0, &mut grad[a_range.clone()]);
            let a = MatRef::new(&params[a_range], d, latent);
            matmul_nn(
                dy,
                a,
                1.0,
                weights.projection != 0.0,
                &mut ws.grad_latent[..n * latent],
            );
        } else if weights.projection == 0.0 {
            return;
        }
        self.backward_encoder(params, x, ws, grad);
    }

    fn backward_decoder(&self, params: &[f32], ws: &mut Workspace, grad: &mut [f32]) {
        let n = ws.rows();
        let mut delta = std::mem::take(&mut ws.grad_output);
        for (i, layer) in self.decoder.iter().enumerate().rev() {
            let out = &ws.decoder_out[i][..n * layer.out_dim];
            layer
                .activation
                .backward(out, &mut delta[..n * layer.out_dim]);
            let input: &[f32] = if i == 0 {
                &ws.decoder_in
            } else {
                &ws.decoder_out[i - 1]
            };
            let input = MatRef::new(input, n, layer.in_dim);
            let target: &mut Vec<f32> = if i == 0 {
                &mut ws.grad_rsr
            } else {
                &mut ws.scratch
            };
            dense_backward(layer, params, input, &delta, n, grad, target);
            if i != 0 {
                std::mem::swap(&mut delta, &mut ws.scratch);
            }
        }
        ws.grad_output = delta;
    }

    fn backward_encoder(&self, params: &[f32], x: &[f32], ws: &mut Workspace, grad: &mut [f32]) {
        let n = ws.rows();
        let mut delta = std::mem::take(&mut ws.grad_latent);
        for (i, layer) in self.encoder.iter().enumerate().rev() {
            let out = &ws.encoder_out[i][..n * layer.out_dim];
            layer
                .activation
                .backward(out, &mut delta[..n * layer.out_dim]);
            let input: &[f32] = if i == 0 { x } else { &ws.encoder_out[i - 1] };
            let input = MatRef::new(input, n, layer.in_dim);
            if i == 0 {
                dense_param_grad(layer, input, &delta, n, grad);
            } else {
                dense_backward(layer, params, input, &delta, n, grad, &mut ws.scratch);
                std::mem::swap(&mut delta, &mut ws.scratch);
            }
        }
        // The gradient buffers share one size, so which of them comes back does not matter.
        ws.grad_latent = delta;
    }
}

fn run_stack(layers: &[DenseLayer], params: &[f32], input: MatRef, outputs: &mut [Vec<f32>]) {
    let n = input.rows;
    for (i, layer) in layers.iter().enumerate() {
        let (before, rest) = outputs.split_at_mut(i);
        let x = if i == 0 {
            input
        } else {
            MatRef::new(&before[i - 1], n, layer.in_dim)
        };
        let y = &mut rest[0][..n * layer.out_dim];
        let w = MatRef::new(
            &params[layer.weight_offset..layer.bias_offset],
            layer.out_dim,
            layer.in_dim,
        );
        matmul_nt(x, w, y);
        let bias = &params[layer.bias_offset..layer.bias_offset + layer.out_dim];
        for row in y.chunks_exact_mut(layer.out_dim) {
            for (v, b) in row.iter_mut().zip(bias) {
                *v += b;
            }
        }
        layer.activation.apply(y);
    }
}

/// Adds the weight and bias gradients of `layer` for the output gradient `delta`.
fn dense_param_grad(layer: &DenseLayer, input: MatRef, delta: &[f32], n: usize, grad: &mut [f32]) {
    let delta = MatRef::new(delta, n, layer.out_dim);
    matmul_tn_acc(
        delta,
        input,
        1.0,
        &mut grad[layer.weight_offset..layer.bias_offset],
    );
    let db = &mut grad[layer.bias_offset..layer.bias_offset + layer.out_dim];
    for row in delta.data[..n * layer.out_dim].chunks_exact(layer.out_dim) {
        for (g, v) in db.iter_mut().zip(row) {
            *g += v;
        }
    }
}

/// Adds the parameter gradients of `layer` and writes the input gradient to `input_grad`.
fn dense_backward(
    layer: &DenseLayer,
    params: &[f32],
    input: MatRef,
    delta: &[f32],
    n: usize,
    grad: &mut [f32],
    input_grad: &mut [f32],
) {
    dense_param_grad(layer, input, delta, n, grad);
    let w = MatRef::new(
        &params[layer.weight_offset..layer.bias_offset],
        layer.out_dim,
        layer.in_dim,
    );
    let delta = MatRef::new(delta, n, layer.out_dim);
    matmul_nn(delta, w, 1.0, false, &mut input_grad[..n * layer.in_dim]);
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
