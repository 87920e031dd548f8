//! One layer of the network: a dense, convolution or transposed convolution map, its
//! activation, and an optional frozen batch normalization, as offsets into the flat
//! parameter vector.

use super::conv::{self, Conv2dSpec, ConvTranspose2dSpec};
use super::Activation;
use crate::error::Result;
use crate::linalg::{matmul_nn, matmul_nt, matmul_tn_acc, MatRef};

/// The linear map of a layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LayerKind {
    /// `y = x·Wᵀ + b`, `W` stored `out × in`.
    Dense,
    /// A 2-D convolution on NHWC samples.
    Conv(Conv2dSpec),
    /// A 2-D transposed convolution on NHWC samples.
    ConvTranspose(ConvTranspose2dSpec),
}

/// A layer `y = norm(act(map(x)))`, with its parameters as offsets into the flat vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// The linear map.
    pub kind: LayerKind,
    /// Input values per sample.
    pub in_dim: usize,
    /// Output values per sample.
    pub out_dim: usize,
    /// Offset of the weights (`out × in` for dense; TensorFlow's kernel layouts for convs).
    pub weight_offset: usize,
    /// Offset of the bias, one per output channel.
    pub bias_offset: usize,
    /// Activation applied to the map's output.
    pub activation: Activation,
    /// Offset of the frozen batch normalization's `γ` then `β` (`norm_channels` each).
    pub norm_offset: Option<usize>,
    /// Channels of the batch normalization: the last axis of the output.
    pub norm_channels: usize,
}

impl Layer {
    /// Output channels, the length of the bias.
    pub fn out_channels(&self) -> usize {
        match self.kind {
            LayerKind::Dense => self.out_dim,
            LayerKind::Conv(spec) => spec.out_c,
            LayerKind::ConvTranspose(spec) => spec.out_c,
        }
    }

    /// Values of the weights.
    pub fn weight_len(&self) -> usize {
        self.bias_offset - self.weight_offset
    }

    /// The shape the weights are saved with.
    pub fn weight_shape(&self) -> Vec<usize> {
        match self.kind {
            LayerKind::Dense => vec![self.out_dim, self.in_dim],
            LayerKind::Conv(s) => vec![s.kernel, s.kernel, s.in_c, s.out_c],
            LayerKind::ConvTranspose(s) => vec![s.kernel, s.kernel, s.out_c, s.in_c],
        }
    }

    /// Scratch values the map needs for `n` samples.
    pub fn scratch_len(&self, n: usize) -> usize {
        match self.kind {
            LayerKind::Dense => 0,
            LayerKind::Conv(spec) => spec.scratch_len(n),
            LayerKind::ConvTranspose(spec) => spec.scratch_len(n),
        }
    }

    /// Writes `map(x)` (before the activation) for `n` samples into `y`.
    pub(crate) fn map_forward(
        &self,
        params: &[f32],
        x: &[f32],
        n: usize,
        y: &mut [f32],
        scratch: &mut [f32],
    ) -> Result<()> {
        let weight = &params[self.weight_offset..self.bias_offset];
        let bias = &params[self.bias_offset..self.bias_offset + self.out_channels()];
        let (x, y) = (&x[..n * self.in_dim], &mut y[..n * self.out_dim]);
        match self.kind {
            LayerKind::Dense => {
                matmul_nt(
                    MatRef::new(x, n, self.in_dim),
                    MatRef::new(weight, self.out_dim, self.in_dim),
                    y,
                );
                for row in y.chunks_exact_mut(self.out_dim) {
                    for (v, b) in row.iter_mut().zip(bias) {
                        *v += b;
                    }
                }
                Ok(())
            }
            LayerKind::Conv(spec) => conv::conv2d_forward(&spec, x, n, weight, bias, y, scratch),
            LayerKind::ConvTranspose(spec) => {
                conv::conv_transpose2d_forward(&spec, x, n, weight, bias, y, scratch)
            }
        }
    }

    /// Adds the weight and bias gradients for the output gradient `delta` to `grad`, and
    /// writes the input gradient to `dx` when given.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn map_backward(
        &self,
        params: &[f32],
        x: &[f32],
        n: usize,
        delta: &[f32],
        grad: &mut [f32],
        dx: Option<&mut [f32]>,
        scratch: &mut [f32],
    ) -> Result<()> {
        let weight = &params[self.weight_offset..self.bias_offset];
        let (x, delta) = (&x[..n * self.in_dim], &delta[..n * self.out_dim]);
        let (dweight, rest) = grad[self.weight_offset..].split_at_mut(self.weight_len());
        let dbias = &mut rest[..self.out_channels()];
        let dx = dx.map(|d| &mut d[..n * self.in_dim]);
        match self.kind {
            LayerKind::Dense => {
                let dm = MatRef::new(delta, n, self.out_dim);
                matmul_tn_acc(dm, MatRef::new(x, n, self.in_dim), 1.0, dweight);
                for row in delta.chunks_exact(self.out_dim) {
                    for (g, v) in dbias.iter_mut().zip(row) {
                        *g += v;
                    }
                }
                if let Some(dx) = dx {
                    matmul_nn(
                        dm,
                        MatRef::new(weight, self.out_dim, self.in_dim),
                        1.0,
                        false,
                        dx,
                    );
                }
                Ok(())
            }
            LayerKind::Conv(spec) => {
                conv::conv2d_backward(&spec, x, n, weight, delta, dweight, dbias, dx, scratch)
            }
            LayerKind::ConvTranspose(spec) => conv::conv_transpose2d_backward(
                &spec, x, n, weight, delta, dweight, dbias, dx, scratch,
            ),
        }
    }
}
