//! Mini-batch training of the RSR autoencoder with one summed objective and AdamW.
//!
//! Each step minimizes `L_rec + λ₁ L_proj + λ₂ L_orth` on a shuffled mini-batch (see
//! [`crate::loss`]), then applies AdamW with the scheduled learning rate. A non-finite loss
//! stops training with [`TrainError::Diverged`].

use std::ops::ControlFlow;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::linalg::MatRef;
use crate::loss::{self, NormMode, ProjectionGrads};
use crate::nn::TermWeights;
use crate::nn::{Network, Workspace};
use crate::optim::{AdamW, Schedule};

/// Training hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the data.
    pub epochs: usize,
    /// Rows per mini-batch.
    pub batch_size: usize,
    /// Learning rate; the peak of the one-cycle schedule.
    pub lr: f32,
    /// AdamW's decoupled weight decay.
    pub weight_decay: f32,
    /// Weight λ₁ of the projection loss.
    pub lambda1: f32,
    /// Weight λ₂ of the orthogonality loss.
    pub lambda2: f32,
    /// Exponent `p ≥ 1` of the L2,p reconstruction loss.
    pub p: f32,
    /// Per-sample norms or one norm over the batch.
    pub norm_mode: NormMode,
    /// Whether a final batch smaller than `batch_size` is skipped.
    pub drop_last: bool,
    /// The learning-rate schedule.
    pub schedule: Schedule,
}

/// Losses of one optimizer step, as reported to the step callback.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// The epoch, counted from 1.
    pub epoch: usize,
    /// The step within the epoch, counted from 1.
    pub step: usize,
    /// Steps in each epoch.
    pub steps_per_epoch: usize,
    /// Steps in the whole run.
    pub total_steps: usize,
    /// Reconstruction loss of the batch.
    pub reconstruction: f64,
    /// RSR loss `λ₁ L_proj + λ₂ L_orth` of the batch.
    pub rsr: f64,
    /// The learning rate used.
    pub lr: f32,
}

/// What a training run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainHistory {
    /// Every step's report, in order.
    pub steps: Vec<StepReport>,
    /// Epochs completed.
    pub epochs: usize,
    /// Rows per batch actually used (smaller than asked when the data has fewer rows).
    pub batch_size: usize,
    /// Wall-clock seconds per epoch.
    pub seconds_per_epoch: f64,
}

/// The batches of an epoch: `batch_size` rows each, with the rule for a partial last batch.
pub(crate) fn batch_plan(n: usize, batch_size: usize, drop_last: bool) -> (usize, usize) {
    if n <= batch_size {
        return (n, 1);
    }
    let full = n / batch_size;
    let steps = if drop_last || n % batch_size == 0 {
        full
    } else {
        full + 1
    };
    (batch_size, steps)
}

/// Trains `params` in place on the `n × input_dim` rows of `x`.
///
/// `on_step` sees every step's losses and may stop training by returning `Break`.
pub fn train(
    network: &Network,
    params: &mut [f32],
    x: &[f32],
    config: &TrainConfig,
    seed: u64,
    on_step: &mut dyn FnMut(&StepReport) -> ControlFlow<()>,
) -> Result<TrainHistory, TrainError> {
    let width = network.config().input_dim;
    let n = x.len() / width;
    let (batch_size, steps_per_epoch) = batch_plan(n, config.batch_size, config.drop_last);
    let total_steps = steps_per_epoch * config.epochs;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..n).collect();
    let mut batch = vec![0.0f32; batch_size * width];
    let mut ws = Workspace::new(network, batch_size);
    let mut grad = vec![0.0f32; params.len()];
    let mut optimizer = AdamW::new(params.len(), 0.999, 1e-8, config.weight_decay);
    let mut steps = Vec::with_capacity(total_steps);
    let start = std::time::Instant::now();

    for epoch in 1..=config.epochs {
        order.shuffle(&mut rng);
        for step in 1..=steps_per_epoch {
            let rows = &order[(step - 1) * batch_size..n.min(step * batch_size)];
            gather_rows(x, width, rows, &mut batch);
            let batch = &batch[..rows.len() * width];
            let (reconstruction, rsr) =
                summed_gradient(network, params, batch, config, &mut ws, &mut grad);
            let global = steps.len();
            let (lr, beta1) = config.schedule.at(global, total_steps, config.lr);
            let report = StepReport {
                epoch,
                step,
                steps_per_epoch,
                total_steps,
                reconstruction,
                rsr,
                lr,
            };
            check_finite(&report, config.lr)?;
            optimizer.step(params, &grad, lr, beta1);
            steps.push(report);
            if on_step(&report).is_break() {
                return Err(TrainError::Interrupted { epoch, step });
            }
        }
    }
    let seconds_per_epoch = start.elapsed().as_secs_f64() / config.epochs.max(1) as f64;
    Ok(TrainHistory {
        steps,
        epochs: config.epochs,
        batch_size,
        seconds_per_epoch,
    })
}

pub(crate) fn gather_rows(x: &[f32], width: usize, rows: &[usize], out: &mut [f32]) {
    for (dst, &r) in out.chunks_exact_mut(width).zip(rows) {
        dst.copy_from_slice(&x[r * width..(r + 1) * width]);
    }
}

fn check_finite(report: &StepReport, lr: f32) -> Result<(), TrainError> {
    let bad = [
        ("reconstruction", report.reconstruction),
        ("rsr", report.rsr),
    ]
    .into_iter()
    .find(|(_, v)| !v.is_finite());
    match bad {
        None => Ok(()),
        Some((which, value)) => Err(TrainError::Diverged {
            epoch: report.epoch,
            step: report.step,
            which,
            value,
            suggested_lr: f64::from(lr) / 10.0,
        }),
    }
}

/// Computes the gradient of `L_rec + λ₁ L_proj + λ₂ L_orth` on one batch into `grad` and
/// returns `(L_rec, λ₁ L_proj + λ₂ L_orth)`.
pub(crate) fn summed_gradient(
    network: &Network,
    params: &[f32],
    batch: &[f32],
    config: &TrainConfig,
    ws: &mut Workspace,
    grad: &mut [f32],
) -> (f64, f64) {
    let weights = TermWeights {
        reconstruction: 1.0,
        projection: config.lambda1,
        orthogonality: config.lambda2,
    };
    let losses = term_gradients(
        network,
        params,
        batch,
        config.p,
        config.norm_mode,
        weights,
        ws,
        grad,
    );
    (losses[0], losses[1] + losses[2])
}

/// Forward pass, then the gradient of `Σ_k w_k L_k` into `grad`; returns each weighted term.
#[allow(clippy::too_many_arguments)]
pub(crate) fn term_gradients(
    network: &Network,
    params: &[f32],
    batch: &[f32],
    p: f32,
    mode: NormMode,
    weights: TermWeights,
    ws: &mut Workspace,
    grad: &mut [f32],
) -> [f64; 3] {
    let config = network.config();
    let (width, latent, d) = (config.input_dim, config.latent_dim(), config.rsr_dim);
    let n = batch.len() / width;
    network.forward(params, batch, n, ws);
    grad.fill(0.0);
    let a_range = network.a_range();
    let mut values = [0.0; 3];
    if weights.reconstruction != 0.0 {
        let x_hat = &ws.decoder_out[network.decoder().len() - 1][..n * width];
        let scale = weights.reconstruction;
        values[0] = loss::reconstruction(batch, x_hat, width, p, mode, scale, &mut ws.grad_output);
    }
    if weights.projection != 0.0 {
        let a = MatRef::new(&params[a_range.clone()], d, latent);
        let z = MatRef::new(&ws.encoder_out[network.encoder().len() - 1], n, latent);
        let y = MatRef::new(&ws.rsr_out, n, d);
        let grads = ProjectionGrads {
            latent: &mut ws.grad_latent,
            rsr: &mut grad[a_range.clone()],
            scratch: &mut ws.grad_rsr,
        };
        values[1] = loss::projection(z, a, y, mode, weights.projection, grads);
    }
    if weights.orthogonality != 0.0 {
        let a = MatRef::new(&params[a_range.clone()], d, latent);
        values[2] = loss::orthogonality(a, weights.orthogonality, &mut grad[a_range]);
    }
    network.backward(params, batch, weights, ws, grad);
    values
}
