//! The RSR autoencoder's loss terms and their gradients.
//!
//! - reconstruction `L_rec = Σ_i ‖x_i − x̂_i‖₂^p` (the L2,p loss, `p ≥ 1`);
//! - projection `L_proj = Σ_i ‖z_i − AᵀA z_i‖₂`;
//! - orthogonality `L_orth = ‖AAᵀ − I_d‖²_F`.
//!
//! With [`NormMode::WholeBatch`] the per-sample norms become one Frobenius norm over the
//! batch, as in the widely read PyTorch code. Each function multiplies its value and its
//! gradient by `scale`, so a mean over the batch or a weight λ is a scale. Where a norm is
//! zero the gradient of the norm is taken as zero (a subgradient), so it is never NaN.

use serde::{Deserialize, Serialize};

use crate::linalg::{matmul_nn, matmul_nt, matmul_tn_acc, MatRef};

/// How the norms in the reconstruction and projection losses are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NormMode {
    /// One L2 norm per sample, summed: `Σ_i ‖r_i‖₂^p`.
    PerSample,
    /// One Frobenius norm over the whole batch: `‖R‖_F^p`.
    WholeBatch,
}

/// `Σ ‖row‖^p` (or `‖R‖_F^p`) of the residuals `x̂ − x`, with `∂/∂x̂ · scale` in `grad`.
pub(crate) fn reconstruction(
    x: &[f32],
    x_hat: &[f32],
    width: usize,
    p: f32,
    mode: NormMode,
    scale: f32,
    grad: &mut [f32],
) -> f64 {
    let len = x_hat.len();
    for ((g, &xh), &xv) in grad[..len].iter_mut().zip(x_hat).zip(x) {
        *g = xh - xv;
    }
    scale_by_norm_power(&mut grad[..len], width, p, mode, scale)
}

/// Replaces each residual row `r` (or the whole matrix) by `scale · p‖r‖^(p−2) r` and
/// returns `scale · Σ ‖r‖^p`.
fn scale_by_norm_power(
    residual: &mut [f32],
    width: usize,
    p: f32,
    mode: NormMode,
    scale: f32,
) -> f64 {
    let apply = |block: &mut [f32]| -> f64 {
        let sq: f64 = block.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        let norm = sq.sqrt();
        let factor = if norm > 0.0 {
            f64::from(scale) * f64::from(p) * norm.powf(f64::from(p) - 2.0)
        } else {
            0.0
        };
        for v in block.iter_mut() {
            *v = (f64::from(*v) * factor) as f32;
        }
        f64::from(scale) * norm.powf(f64::from(p))
    };
    match mode {
        NormMode::PerSample => residual.chunks_exact_mut(width).map(apply).sum(),
        NormMode::WholeBatch => apply(residual),
    }
}

/// Buffers the projection loss writes into.
pub(crate) struct ProjectionGrads<'a> {
    /// ∂L/∂z (`n × D`), overwritten.
    pub latent: &'a mut [f32],
    /// ∂L/∂A (`d × D`), added to.
    pub rsr: &'a mut [f32],
    /// Scratch of `n × d` values.
    pub scratch: &'a mut [f32],
}

/// `scale · Σ_i ‖z_i − AᵀA z_i‖₂` for `z` (`n × D`), `A` (`d × D`) and `y = Az` (`n × d`).
///
/// With `g_i = e_i/‖e_i‖` for the residual `e_i = z_i − Aᵀy_i`, the gradients are
/// `∂L/∂z_i = g_i − AᵀA g_i` and `∂L/∂A = −Σ_i (A z_i) g_iᵀ + (A g_i) z_iᵀ`.
pub(crate) fn projection(
    z: MatRef,
    a: MatRef,
    y: MatRef,
    mode: NormMode,
    scale: f32,
    grads: ProjectionGrads,
) -> f64 {
    let (n, latent, d) = (z.rows, z.cols, a.rows);
    let g = &mut grads.latent[..n * latent];
    g.copy_from_slice(&z.data[..n * latent]);
    matmul_nn(y, a, -1.0, true, g);
    let value = scale_by_norm_power(g, latent, 1.0, mode, scale);

    let gm = MatRef::new(g, n, latent);
    let ag = &mut grads.scratch[..n * d];
    matmul_nt(gm, a, ag);
    matmul_tn_acc(y, gm, -1.0, grads.rsr);
    matmul_tn_acc(MatRef::new(ag, n, d), z, -1.0, grads.rsr);
    matmul_nn(MatRef::new(ag, n, d), a, -1.0, true, g);
    value
}

/// `scale · ‖AAᵀ − I‖²_F`, adding `scale · 4(AAᵀ − I)A` to `grad_a`.
pub(crate) fn orthogonality(a: MatRef, scale: f32, grad_a: &mut [f32]) -> f64 {
    let d = a.rows;
    let mut gram = vec![0.0f32; d * d];
    matmul_nt(a, a, &mut gram);
    for i in 0..d {
        gram[i * d + i] -= 1.0;
    }
    let value: f64 = gram.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    matmul_nn(MatRef::new(&gram, d, d), a, 4.0 * scale, true, grad_a);
    f64::from(scale) * value
}
