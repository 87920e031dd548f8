//! 2-D convolution, transposed convolution and frozen batch normalization, with the
//! semantics of TensorFlow 1.x `tf.layers.conv2d`, `tf.layers.conv2d_transpose` and
//! `tf.layers.batch_normalization` in inference mode, as the official RSRAE conv model
//! uses them.
//!
//! Tensors are `f32` slices in NHWC order: `n × H × W × C`, row-major, batch first. Kernels
//! and biases are plain slices too, so they can sit inside the flat parameter vector:
//!
//! - `conv2d`: kernel `[kh, kw, in_c, out_c]` (TensorFlow's HWIO), bias `[out_c]`,
//!   `y[b, i, j, o] = bias[o] + Σ_{p, q, c} x[b, i·s + p − pad_top, j·s + q − pad_left, c] ·
//!   w[p, q, c, o]`, with taps outside the input counting as zero.
//! - `conv2d_transpose`: kernel `[kh, kw, out_c, in_c]` (TensorFlow's layout), bias `[out_c]`.
//!   It is the adjoint of the `conv2d` whose input has the transposed convolution's output
//!   shape (see [`ConvTranspose2dSpec::adjoint`]), plus the bias, which is how TensorFlow
//!   computes it (`conv2d_backprop_input`).
//!
//! Both run as one matrix product per chunk of samples: `im2col` copies every receptive
//! field of the chunk into a `positions × (kh·kw·in_c)` matrix in caller-provided scratch,
//! and `matrixmultiply` does the rest, so a training step allocates nothing. With scratch of
//! `scratch_len(n)` values the chunk is the whole batch.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ParamsError, Result};
use crate::linalg::{matmul_nn, matmul_nt, matmul_tn_acc, MatRef};

/// TensorFlow's padding rule for one spatial axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    /// `out = ⌈in / stride⌉`. The input is padded by `max((out − 1)·stride + k − in, 0)`
    /// zeros in total: `⌊total / 2⌋` before, the rest (one more when odd) after.
    Same,
    /// `out = ⌈(in − k + 1) / stride⌉`, no padding. Inputs past the last full window are
    /// ignored.
    Valid,
}

impl Padding {
    /// Output length of a convolution over `in_len` values, or 0 when VALID padding leaves
    /// no full window.
    pub fn output_len(self, in_len: usize, kernel: usize, stride: usize) -> usize {
        match self {
            Padding::Same => in_len.div_ceil(stride),
            Padding::Valid if in_len < kernel => 0,
            Padding::Valid => (in_len - kernel + 1).div_ceil(stride),
        }
    }

    /// Output length of a transposed convolution over `in_len` values, as
    /// `tf.layers.conv2d_transpose` infers it: `in·stride` for SAME and
    /// `in·stride + max(k − stride, 0)` for VALID, which is `(in − 1)·stride + k` when
    /// `k ≥ stride`.
    pub fn transposed_output_len(self, in_len: usize, kernel: usize, stride: usize) -> usize {
        match self {
            Padding::Same => in_len * stride,
            Padding::Valid => in_len * stride + kernel.saturating_sub(stride),
        }
    }

    /// Zeros added before the first input value of a convolution.
    fn pad_before(self, in_len: usize, out_len: usize, kernel: usize, stride: usize) -> usize {
        match self {
            Padding::Same => {
                let total = ((out_len.saturating_sub(1)) * stride + kernel).saturating_sub(in_len);
                total / 2
            }
            Padding::Valid => 0,
        }
    }
}

/// The shape of a 2-D convolution layer with a square kernel (`tf.layers.conv2d`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conv2dSpec {
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Input channels.
    pub in_c: usize,
    /// Output channels (TensorFlow's `filters`).
    pub out_c: usize,
    /// Kernel height and width.
    pub kernel: usize,
    /// Stride along both axes.
    pub stride: usize,
    /// Padding along both axes.
    pub padding: Padding,
}

impl Conv2dSpec {
    /// Output height.
    pub fn out_h(&self) -> usize {
        self.padding.output_len(self.in_h, self.kernel, self.stride)
    }

    /// Output width.
    pub fn out_w(&self) -> usize {
        self.padding.output_len(self.in_w, self.kernel, self.stride)
    }

    /// Values of one input sample, `in_h · in_w · in_c`.
    pub fn in_len(&self) -> usize {
        self.in_h * self.in_w * self.in_c
    }

    /// Values of one output sample, `out_h · out_w · out_c`.
    pub fn out_len(&self) -> usize {
        self.out_h() * self.out_w() * self.out_c
    }

    /// Length of the kernel, `kernel² · in_c · out_c`.
    pub fn weight_len(&self) -> usize {
        self.kernel * self.kernel * self.in_c * self.out_c
    }

    /// Trainable values: the kernel and `out_c` biases.
    pub fn n_params(&self) -> usize {
        self.weight_len() + self.out_c
    }

    /// Scratch values that let forward and backward passes over `n` samples run as a
    /// single matrix product: `n · out_h · out_w · kernel² · in_c`.
    pub fn scratch_len(&self, n: usize) -> usize {
        self.window().cols_len(n)
    }

    /// Glorot fans of the kernel as TensorFlow computes them for `[kh, kw, in_c, out_c]`:
    /// `(kernel² · in_c, kernel² · out_c)`.
    pub fn fans(&self) -> (usize, usize) {
        let field = self.kernel * self.kernel;
        (field * self.in_c, field * self.out_c)
    }

    /// Fills `weight` Glorot-uniform and `bias` with zeros, TensorFlow's defaults.
    pub fn init(&self, weight: &mut [f32], bias: &mut [f32], rng: &mut impl Rng) -> Result<()> {
        check_len("conv2d init", "weight", weight.len(), self.weight_len())?;
        check_len("conv2d init", "bias", bias.len(), self.out_c)?;
        let (fan_in, fan_out) = self.fans();
        glorot_uniform(weight, fan_in, fan_out, rng);
        bias.fill(0.0);
        Ok(())
    }

    /// Checks that every size is positive and that VALID padding leaves a full window.
    pub fn check(&self) -> Result<(), ParamsError> {
        check_sizes(
            "conv2d",
            [
                ("in_h", self.in_h),
                ("in_w", self.in_w),
                ("in_c", self.in_c),
                ("out_c", self.out_c),
                ("kernel", self.kernel),
                ("stride", self.stride),
            ],
        )?;
        if self.padding == Padding::Valid && self.kernel > self.in_h.min(self.in_w) {
            return Err(ParamsError::Architecture(format!(
                "conv2d: the {k} × {k} kernel does not fit the {h} × {w} input with VALID \
                 padding; use SAME padding or a kernel of at most {m}",
                k = self.kernel,
                h = self.in_h,
                w = self.in_w,
                m = self.in_h.min(self.in_w),
            )));
        }
        Ok(())
    }

    fn window(&self) -> Window {
        let (out_h, out_w) = (self.out_h(), self.out_w());
        let pad = |in_len, out_len| {
            self.padding
                .pad_before(in_len, out_len, self.kernel, self.stride)
        };
        Window {
            in_h: self.in_h,
            in_w: self.in_w,
            in_c: self.in_c,
            kernel: self.kernel,
            stride: self.stride,
            pad_top: pad(self.in_h, out_h),
            pad_left: pad(self.in_w, out_w),
            out_h,
            out_w,
        }
    }
}

/// The shape of a 2-D transposed convolution layer with a square kernel
/// (`tf.layers.conv2d_transpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvTranspose2dSpec {
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Input channels.
    pub in_c: usize,
    /// Output channels (TensorFlow's `filters`).
    pub out_c: usize,
    /// Kernel height and width.
    pub kernel: usize,
    /// Stride along both axes.
    pub stride: usize,
    /// Padding along both axes.
    pub padding: Padding,
}

impl ConvTranspose2dSpec {
    /// Output height.
    pub fn out_h(&self) -> usize {
        self.padding
            .transposed_output_len(self.in_h, self.kernel, self.stride)
    }

    /// Output width.
    pub fn out_w(&self) -> usize {
        self.padding
            .transposed_output_len(self.in_w, self.kernel, self.stride)
    }

    /// Values of one input sample, `in_h · in_w · in_c`.
    pub fn in_len(&self) -> usize {
        self.in_h * self.in_w * self.in_c
    }

    /// Values of one output sample, `out_h · out_w · out_c`.
    pub fn out_len(&self) -> usize {
        self.out_h() * self.out_w() * self.out_c
    }

    /// Length of the kernel, `kernel² · out_c · in_c`.
    pub fn weight_len(&self) -> usize {
        self.kernel * self.kernel * self.out_c * self.in_c
    }

    /// Trainable values: the kernel and `out_c` biases.
    pub fn n_params(&self) -> usize {
        self.weight_len() + self.out_c
    }

    /// Scratch values that let forward and backward passes over `n` samples run as a
    /// single matrix product: `n · in_h · in_w · kernel² · out_c`.
    pub fn scratch_len(&self, n: usize) -> usize {
        self.adjoint().scratch_len(n)
    }

    /// Glorot fans as TensorFlow computes them from the kernel shape
    /// `[kh, kw, out_c, in_c]`: `(kernel² · out_c, kernel² · in_c)`.
    pub fn fans(&self) -> (usize, usize) {
        let field = self.kernel * self.kernel;
        (field * self.out_c, field * self.in_c)
    }

    /// Fills `weight` Glorot-uniform and `bias` with zeros, TensorFlow's defaults.
    pub fn init(&self, weight: &mut [f32], bias: &mut [f32], rng: &mut impl Rng) -> Result<()> {
        check_len(
            "conv2d_transpose init",
            "weight",
            weight.len(),
            self.weight_len(),
        )?;
        check_len("conv2d_transpose init", "bias", bias.len(), self.out_c)?;
        let (fan_in, fan_out) = self.fans();
        glorot_uniform(weight, fan_in, fan_out, rng);
        bias.fill(0.0);
        Ok(())
    }

    /// Checks that every size is positive.
    pub fn check(&self) -> Result<(), ParamsError> {
        check_sizes(
            "conv2d_transpose",
            [
                ("in_h", self.in_h),
                ("in_w", self.in_w),
                ("in_c", self.in_c),
                ("out_c", self.out_c),
                ("kernel", self.kernel),
                ("stride", self.stride),
            ],
        )
    }

    /// Returns the convolution whose input gradient this layer computes: input
    /// `out_h × out_w × out_c`, output `in_h × in_w × in_c`, same kernel, stride and
    /// padding. Its kernel layout `[kh, kw, out_c, in_c]` is this layer's kernel, so the
    /// two share weights, and `⟨conv(x), y⟩ = ⟨x, conv_transpose(y)⟩` without biases.
    pub fn adjoint(&self) -> Conv2dSpec {
        Conv2dSpec {
            in_h: self.out_h(),
            in_w: self.out_w(),
            in_c: self.out_c,
            out_c: self.in_c,
            kernel: self.kernel,
            stride: self.stride,
            padding: self.padding,
        }
    }
}

/// Runs `y = conv2d(x) + bias` over `n` samples.
///
/// `x` contains `n · spec.in_len()` values, `y` receives `n · spec.out_len()`, `weight` is
/// `[kernel, kernel, in_c, out_c]` and `bias` is `[out_c]`. `scratch` needs at least one
/// sample's share of `spec.scratch_len(n)`; with less than the whole batch's share the
/// samples run in chunks.
///
/// # Errors
///
/// [`Error::Params`] for an invalid spec and [`Error::Shape`] for a slice of the wrong
/// length.
pub fn conv2d_forward(
    spec: &Conv2dSpec,
    x: &[f32],
    n: usize,
    weight: &[f32],
    bias: &[f32],
    y: &mut [f32],
    scratch: &mut [f32],
) -> Result<()> {
    const OP: &str = "conv2d_forward";
    spec.check()?;
    check_len(OP, "x", x.len(), n * spec.in_len())?;
    check_len(OP, "weight", weight.len(), spec.weight_len())?;
    check_len(OP, "bias", bias.len(), spec.out_c)?;
    check_len(OP, "y", y.len(), n * spec.out_len())?;
    let window = spec.window();
    let rows = chunk_rows(OP, scratch.len(), window.cols_len(1), n)?;

    let patch = window.patch_len();
    let w = MatRef::new(weight, patch, spec.out_c);
    let x_chunks = x.chunks(rows * spec.in_len());
    for (x_chunk, y_chunk) in x_chunks.zip(y.chunks_mut(rows * spec.out_len())) {
        let positions = y_chunk.len() / spec.out_c;
        let cols = &mut scratch[..positions * patch];
        window.im2col(x_chunk, cols);

        // `matmul_nn` multiplies any `m × k` by `k × n`: here columns by the HWIO kernel.
        matmul_nn(MatRef::new(cols, positions, patch), w, 1.0, false, y_chunk);
        add_bias(y_chunk, bias);
    }
    Ok(())
}

/// Back-propagates `dy` through [`conv2d_forward`]: adds the kernel and bias gradients to
/// `dweight_acc` and `dbias_acc`, and overwrites `dx` with the input gradient when given.
///
/// `x` is the forward input and `dy` contains `n · spec.out_len()` values. `scratch` follows
/// the rule of [`conv2d_forward`].
///
/// # Errors
///
/// [`Error::Params`] for an invalid spec and [`Error::Shape`] for a slice of the wrong
/// length.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_backward(
    spec: &Conv2dSpec,
    x: &[f32],
    n: usize,
    weight: &[f32],
    dy: &[f32],
    dweight_acc: &mut [f32],
    dbias_acc: &mut [f32],
    mut dx: Option<&mut [f32]>,
    scratch: &mut [f32],
) -> Result<()> {
    const OP: &str = "conv2d_backward";
    spec.check()?;
    check_len(OP, "x", x.len(), n * spec.in_len())?;
    check_len(OP, "weight", weight.len(), spec.weight_len())?;
    check_len(OP, "dy", dy.len(), n * spec.out_len())?;
    check_len(OP, "dweight", dweight_acc.len(), spec.weight_len())?;
    check_len(OP, "dbias", dbias_acc.len(), spec.out_c)?;
    if let Some(dx) = dx.as_deref() {
        check_len(OP, "dx", dx.len(), n * spec.in_len())?;
    }
    let window = spec.window();
    let rows = chunk_rows(OP, scratch.len(), window.cols_len(1), n)?;

    let patch = window.patch_len();
    let (in_step, out_step) = (rows * spec.in_len(), rows * spec.out_len());
    for (chunk, (x_chunk, dy_chunk)) in x.chunks(in_step).zip(dy.chunks(out_step)).enumerate() {
        let positions = dy_chunk.len() / spec.out_c;
        let cols = &mut scratch[..positions * patch];
        window.im2col(x_chunk, cols);
        let dy_mat = MatRef::new(dy_chunk, positions, spec.out_c);
        matmul_tn_acc(
            MatRef::new(cols, positions, patch),
            dy_mat,
            1.0,
            dweight_acc,
        );
        sum_channels(dy_chunk, dbias_acc);

        if let Some(dx) = dx.as_deref_mut() {
            let dx_chunk = &mut dx[chunk * in_step..][..x_chunk.len()];
            matmul_nt(dy_mat, MatRef::new(weight, patch, spec.out_c), cols);
            dx_chunk.fill(0.0);
            window.col2im(cols, dx_chunk);
        }
    }
    Ok(())
}

/// Runs `y = conv2d_transpose(x) + bias` over `n` samples.
///
/// `x` contains `n · spec.in_len()` values, `y` receives `n · spec.out_len()`, `weight` is
/// `[kernel, kernel, out_c, in_c]` and `bias` is `[out_c]`. `scratch` needs at least one
/// sample's share of `spec.scratch_len(n)`; with less than the whole batch's share the
/// samples run in chunks.
///
/// # Errors
///
/// [`Error::Params`] for an invalid spec and [`Error::Shape`] for a slice of the wrong
/// length.
pub fn conv_transpose2d_forward(
    spec: &ConvTranspose2dSpec,
    x: &[f32],
    n: usize,
    weight: &[f32],
    bias: &[f32],
    y: &mut [f32],
    scratch: &mut [f32],
) -> Result<()> {
    const OP: &str = "conv2d_transpose_forward";
    spec.check()?;
    check_len(OP, "x", x.len(), n * spec.in_len())?;
    check_len(OP, "weight", weight.len(), spec.weight_len())?;
    check_len(OP, "bias", bias.len(), spec.out_c)?;
    check_len(OP, "y", y.len(), n * spec.out_len())?;
    let window = spec.adjoint().window();
    let rows = chunk_rows(OP, scratch.len(), window.cols_len(1), n)?;

    let patch = window.patch_len();
    let w = MatRef::new(weight, patch, spec.in_c);
    let x_chunks = x.chunks(rows * spec.in_len());
    for (x_chunk, y_chunk) in x_chunks.zip(y.chunks_mut(rows * spec.out_len())) {
        let positions = x_chunk.len() / spec.in_c;
        let cols = &mut scratch[..positions * patch];
        matmul_nt(MatRef::new(x_chunk, positions, spec.in_c), w, cols);
        y_chunk.fill(0.0);
        window.col2im(cols, y_chunk);
        add_bias(y_chunk, bias);
    }
    Ok(())
}

/// Back-propagates `dy` through [`conv_transpose2d_forward`]: adds the kernel and bias
/// gradients to `dweight_acc` and `dbias_acc`, and overwrites `dx` with the input gradient
/// when given.
///
/// `x` is the forward input and `dy` contains `n · spec.out_len()` values. `scratch` follows
/// the rule of [`conv_transpose2d_forward`].
///
/// # Errors
///
/// [`Error::Params`] for an invalid spec and [`Error::Shape`] for a slice of the wrong
/// length.
#[allow(clippy::too_many_arguments)]
pub fn conv_transpose2d_backward(
    spec: &ConvTranspose2dSpec,
    x: &[f32],
    n: usize,
    weight: &[f32],
    dy: &[f32],
    dweight_acc: &mut [f32],
    dbias_acc: &mut [f32],
    mut dx: Option<&mut [f32]>,
    scratch: &mut [f32],
) -> Result<()> {
    const OP: &str = "conv2d_transpose_backward";
    spec.check()?;
    check_len(OP, "x", x.len(), n * spec.in_len())?;
    check_len(OP, "weight", weight.len(), spec.weight_len())?;
    check_len(OP, "dy", dy.len(), n * spec.out_len())?;
    check_len(OP, "dweight", dweight_acc.len(), spec.weight_len())?;
    check_len(OP, "dbias", dbias_acc.len(), spec.out_c)?;
    if let Some(dx) = dx.as_deref() {
        check_len(OP, "dx", dx.len(), n * spec.in_len())?;
    }
    let window = spec.adjoint().window();
    let rows = chunk_rows(OP, scratch.len(), window.cols_len(1), n)?;

    let patch = window.patch_len();
    let (in_step, out_step) = (rows * spec.in_len(), rows * spec.out_len());
    for (chunk, (x_chunk, dy_chunk)) in x.chunks(in_step).zip(dy.chunks(out_step)).enumerate() {
        let positions = x_chunk.len() / spec.in_c;
        let cols = &mut scratch[..positions * patch];
        window.im2col(dy_chunk, cols);
        let cols = MatRef::new(cols, positions, patch);
        let x_mat = MatRef::new(x_chunk, positions, spec.in_c);
        matmul_tn_acc(cols, x_mat, 1.0, dweight_acc);
        sum_channels(dy_chunk, dbias_acc);

        if let Some(dx) = dx.as_deref_mut() {
            let dx_chunk = &mut dx[chunk * in_step..][..x_chunk.len()];
            let w = MatRef::new(weight, patch, spec.in_c);
            matmul_nn(cols, w, 1.0, false, dx_chunk);
        }
    }
    Ok(())
}

/// The `ε` of `tf.layers.batch_normalization`'s default, `0.001`.
pub const BATCH_NORM_EPSILON: f64 = 1e-3;

/// `tf.layers.batch_normalization` as the official RSRAE code calls it: in inference mode,
/// with a moving mean of 0 and a moving variance of 1 that never update, so
/// `y = γ · x / √(1 + ε) + β` per channel (the last axis), with `ε` =
/// [`BATCH_NORM_EPSILON`].
///
/// Each output depends only on its own input value, never on the other samples of the
/// batch, so a sample scores the same alone and inside any batch. The trainable values are
/// `γ` (initially 1) and `β` (initially 0), `channels` of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenBatchNorm {
    /// Channels, the length of the last axis.
    pub channels: usize,
}

impl FrozenBatchNorm {
    /// Returns the fixed factor `1 / √(1 + ε)`, rounded to `f32`.
    pub fn scale() -> f32 {
        (1.0 / (1.0 + BATCH_NORM_EPSILON).sqrt()) as f32
    }

    /// Trainable values: `γ` and `β`.
    pub fn n_params(&self) -> usize {
        2 * self.channels
    }

    /// Sets `γ` to 1 and `β` to 0, TensorFlow's defaults.
    pub fn init(&self, gamma: &mut [f32], beta: &mut [f32]) -> Result<()> {
        check_len("batch_norm init", "gamma", gamma.len(), self.channels)?;
        check_len("batch_norm init", "beta", beta.len(), self.channels)?;
        gamma.fill(1.0);
        beta.fill(0.0);
        Ok(())
    }

    /// Computes `y = γ · x / √(1 + ε) + β`, where `x` and `y` have one length, a multiple of
    /// `channels`.
    ///
    /// # Errors
    ///
    /// [`Error::Shape`] for a slice of the wrong length.
    pub fn forward(&self, x: &[f32], gamma: &[f32], beta: &[f32], y: &mut [f32]) -> Result<()> {
        const OP: &str = "batch_norm_forward";
        self.check_params(OP, gamma, beta)?;
        self.check_values(OP, "x", x.len())?;
        check_len(OP, "y", y.len(), x.len())?;

        let scale = Self::scale();
        let channels = self.channels;
        for (x_row, y_row) in x.chunks_exact(channels).zip(y.chunks_exact_mut(channels)) {
            for (c, (out, &value)) in y_row.iter_mut().zip(x_row).enumerate() {
                *out = gamma[c] * scale * value + beta[c];
            }
        }
        Ok(())
    }

    /// Back-propagates `dy`: adds `Σ dy · x / √(1 + ε)` to `dgamma_acc` and `Σ dy` to
    /// `dbeta_acc`, summed over every position of each channel, and overwrites `dx` with
    /// `γ · dy / √(1 + ε)` when given.
    ///
    /// # Errors
    ///
    /// [`Error::Shape`] for a slice of the wrong length.
    pub fn backward(
        &self,
        x: &[f32],
        gamma: &[f32],
        dy: &[f32],
        dgamma_acc: &mut [f32],
        dbeta_acc: &mut [f32],
        dx: Option<&mut [f32]>,
    ) -> Result<()> {
        const OP: &str = "batch_norm_backward";
        check_len(OP, "gamma", gamma.len(), self.channels)?;
        check_len(OP, "dgamma", dgamma_acc.len(), self.channels)?;
        check_len(OP, "dbeta", dbeta_acc.len(), self.channels)?;
        self.check_values(OP, "x", x.len())?;
        check_len(OP, "dy", dy.len(), x.len())?;
        if let Some(dx) = dx.as_deref() {
            check_len(OP, "dx", dx.len(), x.len())?;
        }

        let scale = Self::scale();
        let channels = self.channels;
        for (x_row, dy_row) in x.chunks_exact(channels).zip(dy.chunks_exact(channels)) {
            for c in 0..channels {
                dgamma_acc[c] += dy_row[c] * x_row[c] * scale;
                dbeta_acc[c] += dy_row[c];
            }
        }
        if let Some(dx) = dx {
            for (dx_row, dy_row) in dx.chunks_exact_mut(channels).zip(dy.chunks_exact(channels)) {
                for (c, (out, &grad)) in dx_row.iter_mut().zip(dy_row).enumerate() {
                    *out = gamma[c] * scale * grad;
                }
            }
        }
        Ok(())
    }

    fn check_params(&self, op: &'static str, gamma: &[f32], beta: &[f32]) -> Result<()> {
        check_len(op, "gamma", gamma.len(), self.channels)?;
        check_len(op, "beta", beta.len(), self.channels)
    }

    fn check_values(&self, op: &'static str, name: &str, len: usize) -> Result<()> {
        if self.channels == 0 {
            return Err(Error::Shape {
                op,
                expected: "at least 1 channel".to_string(),
                actual: "0 channels".to_string(),
            });
        }
        if len % self.channels != 0 {
            return Err(Error::Shape {
                op,
                expected: format!("{name} of a length that is a multiple of {}", self.channels),
                actual: format!("{name} of length {len}"),
            });
        }
        Ok(())
    }
}

/// Fills `values` uniformly in `[−√(6 / (fan_in + fan_out)), √(6 / (fan_in + fan_out)))`,
/// TensorFlow's default `glorot_uniform` kernel initializer. A dense kernel has fans
/// `(in, out)`, and convolutions report theirs with `fans()`.
pub fn glorot_uniform(values: &mut [f32], fan_in: usize, fan_out: usize, rng: &mut impl Rng) {
    let fans = (fan_in + fan_out).max(1) as f64;
    let limit = (6.0 / fans).sqrt() as f32;
    for value in values {
        *value = rng.gen_range(-limit..limit);
    }
}

/// A convolution's geometry with the padding resolved.
#[derive(Debug, Clone, Copy)]
struct Window {
    in_h: usize,
    in_w: usize,
    in_c: usize,
    kernel: usize,
    stride: usize,
    pad_top: usize,
    pad_left: usize,
    out_h: usize,
    out_w: usize,
}

impl Window {
    /// Columns of the `im2col` matrix: one receptive field, `kernel² · in_c`, ordered as the
    /// first three axes of an HWIO kernel.
    fn patch_len(&self) -> usize {
        self.kernel * self.kernel * self.in_c
    }

    fn cols_len(&self, n: usize) -> usize {
        n * self.out_h * self.out_w * self.patch_len()
    }

    /// Returns the kernel taps `lo..hi` along one axis that land inside the input for output
    /// index `out_index`, and the input index of tap 0, negative inside the padding.
    fn taps(&self, out_index: usize, pad: usize, in_len: usize) -> (usize, usize, isize) {
        let start = (out_index * self.stride) as isize - pad as isize;
        let lo = (-start).clamp(0, self.kernel as isize) as usize;
        let hi = (in_len as isize - start).clamp(lo as isize, self.kernel as isize) as usize;
        (lo, hi, start)
    }

    /// Copies every receptive field of the samples in `x` into the rows of `cols`,
    /// writing zeros for taps in the padding.
    fn im2col(&self, x: &[f32], cols: &mut [f32]) {
        let (in_len, row_len) = (self.in_h * self.in_w * self.in_c, self.kernel * self.in_c);
        let sample_cols = self.cols_len(1);
        assert_eq!(
            x.len() / in_len * sample_cols,
            cols.len(),
            "im2col sizes differ"
        );
        for (x_s, cols_s) in x
            .chunks_exact(in_len)
            .zip(cols.chunks_exact_mut(sample_cols))
        {
            let mut patches = cols_s.chunks_exact_mut(self.patch_len());
            for oh in 0..self.out_h {
                let (h_lo, h_hi, h_start) = self.taps(oh, self.pad_top, self.in_h);
                for ow in 0..self.out_w {
                    let (w_lo, w_hi, w_start) = self.taps(ow, self.pad_left, self.in_w);
                    let Some(patch) = patches.next() else { return };
                    for (kh, dst) in patch.chunks_exact_mut(row_len).enumerate() {
                        if kh < h_lo || kh >= h_hi {
                            dst.fill(0.0);
                            continue;
                        }
                        let ih = (h_start + kh as isize) as usize;
                        let iw = (w_start + w_lo as isize) as usize;
                        let src = (ih * self.in_w + iw) * self.in_c;
                        let len = (w_hi - w_lo) * self.in_c;
                        dst[..w_lo * self.in_c].fill(0.0);
                        dst[w_lo * self.in_c..][..len].copy_from_slice(&x_s[src..src + len]);
                        dst[w_hi * self.in_c..].fill(0.0);
                    }
                }
            }
        }
    }

    /// Adds every row of `cols` back onto the input positions its receptive field reads,
    /// the adjoint of [`Window::im2col`]. Padding taps are dropped.
    fn col2im(&self, cols: &[f32], x: &mut [f32]) {
        let (in_len, row_len) = (self.in_h * self.in_w * self.in_c, self.kernel * self.in_c);
        let sample_cols = self.cols_len(1);
        assert_eq!(
            x.len() / in_len * sample_cols,
            cols.len(),
            "col2im sizes differ"
        );
        for (x_s, cols_s) in x
            .chunks_exact_mut(in_len)
            .zip(cols.chunks_exact(sample_cols))
        {
            let mut patches = cols_s.chunks_exact(self.patch_len());
            for oh in 0..self.out_h {
                let (h_lo, h_hi, h_start) = self.taps(oh, self.pad_top, self.in_h);
                for ow in 0..self.out_w {
                    let (w_lo, w_hi, w_start) = self.taps(ow, self.pad_left, self.in_w);
                    let Some(patch) = patches.next() else { return };
                    for kh in h_lo..h_hi {
                        let ih = (h_start + kh as isize) as usize;
                        let iw = (w_start + w_lo as isize) as usize;
                        let dst = (ih * self.in_w + iw) * self.in_c;
                        let len = (w_hi - w_lo) * self.in_c;
                        let src = &patch[kh * row_len + w_lo * self.in_c..][..len];
                        for (out, &value) in x_s[dst..dst + len].iter_mut().zip(src) {
                            *out += value;
                        }
                    }
                }
            }
        }
    }
}

/// Returns the samples per chunk: as many as fit in `scratch_len` values, at most `n` and
/// at least 1.
fn chunk_rows(op: &'static str, scratch_len: usize, per_sample: usize, n: usize) -> Result<usize> {
    let rows = scratch_len / per_sample.max(1);
    if rows == 0 && n > 0 {
        return Err(Error::Shape {
            op,
            expected: format!("scratch of at least {per_sample} values (one sample)"),
            actual: format!("scratch of length {scratch_len}"),
        });
    }
    Ok(rows.clamp(1, n.max(1)))
}

fn check_len(op: &'static str, name: &str, actual: usize, expected: usize) -> Result<()> {
    if actual == expected {
        return Ok(());
    }
    Err(Error::Shape {
        op,
        expected: format!("{name} of length {expected}"),
        actual: format!("{name} of length {actual}"),
    })
}

fn check_sizes<const N: usize>(layer: &str, sizes: [(&str, usize); N]) -> Result<(), ParamsError> {
    match sizes.iter().find(|(_, size)| *size == 0) {
        Some((name, _)) => Err(ParamsError::Architecture(format!(
            "invalid {layer} spec: {name} is 0, but every size and the stride must be at least 1"
        ))),
        None => Ok(()),
    }
}

/// Adds `bias[c]` to channel `c` of every position.
fn add_bias(values: &mut [f32], bias: &[f32]) {
    for row in values.chunks_exact_mut(bias.len()) {
        for (value, b) in row.iter_mut().zip(bias) {
            *value += b;
        }
    }
}

/// Adds the sum over positions of each channel of `values` to `sums`.
fn sum_channels(values: &[f32], sums: &mut [f32]) {
    for row in values.chunks_exact(sums.len()) {
        for (sum, value) in sums.iter_mut().zip(row) {
            *sum += value;
        }
    }
}

#[cfg(test)]
#[path = "conv_tests.rs"]
mod tests;
