//! Mini-batch training of the RSR autoencoder.
//!
//! Two modes (see [`TrainMode`]):
//!
//! - **summed** (the widely read PyTorch version and RSRAE+): each step minimizes
//!   `L_rec + λ₁ L_proj + λ₂ L_orth` (see [`crate::loss`]) with one Adam optimizer;
//! - **alternating** (the paper's RSRAE): three Adam optimizers and three steps per batch,
//!   each with its own forward pass: `L_rec` on every weight, then `L_orth` on `A`, then
//!   `L_proj` on the encoder and `A`.
//!
//! A non-finite loss stops training with [`TrainError::Diverged`].

use std::ops::{ControlFlow, Range};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::linalg::MatRef;
use crate::loss::{self, NormMode, ProjectionGrads};
use crate::nn::{Network, ParamGroup, TermWeights, Workspace};
use crate::optim::{AdamStyle, AdamW, Schedule};

/// How the loss terms are combined into optimizer steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TrainMode {
    /// One objective `L_rec + λ₁ L_proj + λ₂ L_orth`, one optimizer at `lr`.
    Summed,
    /// Three steps per batch: `L_rec` on all weights at `lr`, `L_orth` on `A` at
    /// `lr_orthogonality`, `L_proj` on the encoder and `A` at `lr_projection`.
    Alternating {
        /// Learning rate of the orthogonality step.
        lr_orthogonality: f32,
        /// Learning rate of the projection step.
        lr_projection: f32,
    },
}

/// Whether the loss terms sum over the batch or average.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reduction {
    /// Sums over samples, and `‖AAᵀ − I‖²_F` over entries (the PyTorch version).
    Sum,
    /// Means over samples, and over the `d²` entries of `AAᵀ − I` (the official code).
    Mean,
}

/// How the rows are ordered into batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shuffle {
    /// A new permutation every epoch.
    EveryEpoch,
    /// One permutation before the first epoch, kept for all epochs (the official code).
    Once,
}

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
    /// Weight λ₁ of the projection loss (summed mode only).
    pub lambda1: f32,
    /// Weight λ₂ of the orthogonality loss (summed mode only).
    pub lambda2: f32,
    /// Exponent `p ≥ 1` of the L2,p reconstruction loss.
    pub p: f32,
    /// Per-sample norms or one norm over the batch.
    pub norm_mode: NormMode,
    /// Whether a final batch smaller than `batch_size` is skipped.
    pub drop_last: bool,
    /// The learning-rate schedule.
    pub schedule: Schedule,
    /// Summed or alternating steps.
    #[serde(default = "default_mode")]
    pub mode: TrainMode,
    /// Sum or mean over the batch.
    #[serde(default = "default_reduction")]
    pub reduction: Reduction,
    /// Shuffle every epoch or once.
    #[serde(default = "default_shuffle")]
    pub shuffle: Shuffle,
    /// Where Adam adds its ε.
    #[serde(default = "default_adam_style")]
    pub adam_style: AdamStyle,
}

fn default_mode() -> TrainMode {
    TrainMode::Summed
}

fn default_reduction() -> Reduction {
    Reduction::Sum
}

fn default_shuffle() -> Shuffle {
    Shuffle::EveryEpoch
}

fn default_adam_style() -> AdamStyle {
    AdamStyle::PyTorch
}

/// Losses of one batch, as reported to the step callback.
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
    /// Projection loss of the batch, times λ₁ in summed mode.
    pub projection: f64,
    /// Orthogonality loss, times λ₂ in summed mode.
    pub orthogonality: f64,
    /// RSR loss: projection plus orthogonality.
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

/// The batches of an epoch: `(rows per batch, steps)`. With fewer rows than `batch_size`
/// all rows form one batch, so training never has zero steps.
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

/// Adam states of the parameter groups that training updates.
struct Optimizers {
    groups: Vec<(Range<usize>, AdamW)>,
}

impl Optimizers {
    fn new(network: &Network, config: &TrainConfig) -> Self {
        let groups: &[ParamGroup] = match config.mode {
            TrainMode::Summed => &[ParamGroup::All],
            TrainMode::Alternating { .. } => {
                &[ParamGroup::All, ParamGroup::Rsr, ParamGroup::EncoderAndRsr]
            }
        };
        let groups = groups
            .iter()
            .map(|&g| {
                let range = network.group_range(g);
                let adam = AdamW::new(range.len(), 0.999, 1e-8, config.weight_decay)
                    .with_style(config.adam_style);
                (range, adam)
            })
            .collect();
        Optimizers { groups }
    }

    fn step(&mut self, group: usize, params: &mut [f32], grad: &[f32], lr: f32, beta1: f32) {
        let (range, adam) = &mut self.groups[group];
        adam.step(&mut params[range.clone()], &grad[range.clone()], lr, beta1);
    }
}

/// Trains `params` in place on the `n × input_dim` rows of `x`.
///
/// `on_step` receives every batch's losses and may stop training by returning `Break`.
pub fn train(
    network: &Network,
    params: &mut [f32],
    x: &[f32],
    config: &TrainConfig,
    seed: u64,
    on_step: &mut dyn FnMut(&StepReport) -> ControlFlow<()>,
) -> crate::Result<TrainHistory> {
    train_prepared(network, params, x, &|_| {}, config, seed, on_step)
}

/// Trains like [`train`] on raw rows, calling `prepare` on each mini-batch after it is
/// gathered, so that a per-row preprocessing never needs a copy of the whole data set.
pub(crate) fn train_prepared(
    network: &Network,
    params: &mut [f32],
    x: &[f32],
    prepare: &dyn Fn(&mut [f32]),
    config: &TrainConfig,
    seed: u64,
    on_step: &mut dyn FnMut(&StepReport) -> ControlFlow<()>,
) -> crate::Result<TrainHistory> {
    let width = network.config().input_dim;
    let n = x.len() / width;
    let (batch_size, steps_per_epoch) = batch_plan(n, config.batch_size, config.drop_last);
    let total_steps = steps_per_epoch * config.epochs;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..n).collect();
    let mut batch = vec![0.0f32; batch_size * width];
    let mut ws = Workspace::new(network, batch_size);
    let mut grad = vec![0.0f32; params.len()];
    let mut optimizers = Optimizers::new(network, config);
    let mut steps = Vec::with_capacity(total_steps);
    let start = std::time::Instant::now();

    for epoch in 1..=config.epochs {
        if epoch == 1 || config.shuffle == Shuffle::EveryEpoch {
            order.shuffle(&mut rng);
        }
        for step in 1..=steps_per_epoch {
            let rows = &order[(step - 1) * batch_size..n.min(step * batch_size)];
            let batch = &mut batch[..rows.len() * width];
            gather_rows(x, width, rows, batch);
            prepare(batch);
            let batch = &*batch;
            let (lr, beta1) = config.schedule.at(steps.len(), total_steps, config.lr);
            let mut ctx = StepContext {
                network,
                config,
                ws: &mut ws,
                grad: &mut grad,
            };
            let losses = match config.mode {
                TrainMode::Summed => ctx.summed_step(params, batch, &mut optimizers, lr, beta1)?,
                TrainMode::Alternating {
                    lr_orthogonality,
                    lr_projection,
                } => {
                    let rates = [lr, lr_orthogonality, lr_projection];
                    ctx.alternating_step(params, batch, &mut optimizers, rates, beta1)?
                }
            };
            let report = StepReport {
                epoch,
                step,
                steps_per_epoch,
                total_steps,
                reconstruction: losses[0],
                projection: losses[1],
                orthogonality: losses[2],
                rsr: losses[1] + losses[2],
                lr,
            };
            check_finite(&report, config.lr)?;
            steps.push(report);
            if on_step(&report).is_break() {
                return Err(TrainError::Interrupted { epoch, step }.into());
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

/// Borrowed state of one training step.
struct StepContext<'a> {
    network: &'a Network,
    config: &'a TrainConfig,
    ws: &'a mut Workspace,
    grad: &'a mut [f32],
}

impl StepContext<'_> {
    /// The weights of the terms: `λ`s in summed mode, and `1/n` or `1/d²` for means.
    fn weights(&self, n: usize, terms: [bool; 3]) -> TermWeights {
        let (lambda1, lambda2) = match self.config.mode {
            TrainMode::Summed => (self.config.lambda1, self.config.lambda2),
            TrainMode::Alternating { .. } => (1.0, 1.0),
        };
        let d = self.network.config().rsr_dim as f32;
        let (per_sample, per_entry) = match self.config.reduction {
            Reduction::Sum => (1.0, 1.0),
            Reduction::Mean => (1.0 / n as f32, 1.0 / (d * d)),
        };
        let rsr = self.network.config().rsr_layer;
        let pick = |on: bool, w: f32| if on { w } else { 0.0 };
        TermWeights {
            reconstruction: pick(terms[0], per_sample),
            projection: pick(terms[1] && rsr, lambda1 * per_sample),
            orthogonality: pick(terms[2] && rsr, lambda2 * per_entry),
        }
    }

    fn gradient(
        &mut self,
        params: &[f32],
        batch: &[f32],
        weights: TermWeights,
    ) -> crate::Result<[f64; 3]> {
        let (p, mode) = (self.config.p, self.config.norm_mode);
        term_gradients(
            self.network,
            params,
            batch,
            p,
            mode,
            weights,
            self.ws,
            self.grad,
        )
    }

    fn summed_step(
        &mut self,
        params: &mut [f32],
        batch: &[f32],
        optimizers: &mut Optimizers,
        lr: f32,
        beta1: f32,
    ) -> crate::Result<[f64; 3]> {
        let n = batch.len() / self.network.config().input_dim;
        let weights = self.weights(n, [true, true, true]);
        let losses = self.gradient(params, batch, weights)?;
        optimizers.step(0, params, self.grad, lr, beta1);
        Ok(losses)
    }

    fn alternating_step(
        &mut self,
        params: &mut [f32],
        batch: &[f32],
        optimizers: &mut Optimizers,
        rates: [f32; 3],
        beta1: f32,
    ) -> crate::Result<[f64; 3]> {
        let n = batch.len() / self.network.config().input_dim;
        let mut losses = [0.0; 3];
        // Step k updates optimizer group k (all weights, A, encoder and A) with the loss
        // term at TERM_OF_STEP[k] in the [reconstruction, projection, orthogonality] order.
        const TERM_OF_STEP: [usize; 3] = [0, 2, 1];
        for (step, &lr) in rates.iter().enumerate() {
            let term = TERM_OF_STEP[step];
            let mut terms = [false; 3];
            terms[term] = true;
            let weights = self.weights(n, terms);
            losses[term] = self.gradient(params, batch, weights)?[term];
            optimizers.step(step, params, self.grad, lr, beta1);
        }
        Ok(losses)
    }
}

pub(crate) fn gather_rows(x: &[f32], width: usize, rows: &[usize], out: &mut [f32]) {
    for (dst, &r) in out.chunks_exact_mut(width).zip(rows) {
        dst.copy_from_slice(&x[r * width..(r + 1) * width]);
    }
}

fn check_finite(report: &StepReport, lr: f32) -> Result<(), TrainError> {
    let terms = [
        ("reconstruction", report.reconstruction),
        ("projection", report.projection),
        ("orthogonality", report.orthogonality),
    ];
    match terms.into_iter().find(|(_, v)| !v.is_finite()) {
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

/// Forward pass, then the gradient of `Σ_k w_k L_k` into `grad`; returns each weighted term.
///
/// The forward pass is skipped when only the orthogonality term, which depends on `A`
/// alone, is asked for.
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
) -> crate::Result<[f64; 3]> {
    let config = network.config();
    let (width, latent, d) = (config.input_dim, config.latent_dim(), config.rsr_dim);
    let n = batch.len() / width;
    let needs_forward = weights.reconstruction != 0.0 || weights.projection != 0.0;
    if needs_forward {
        network.forward(params, batch, n, ws)?;
    }
    grad.fill(0.0);
    let a_range = network.a_range();
    let mut values = [0.0; 3];
    if weights.reconstruction != 0.0 {
        let x_hat = &ws.decoder.outputs[network.decoder().len() - 1][..n * width];
        let scale = weights.reconstruction;
        values[0] = loss::reconstruction(batch, x_hat, width, p, mode, scale, &mut ws.grad_output);
    }
    if weights.projection != 0.0 {
        let a = MatRef::new(&params[a_range.clone()], d, latent);
        let z = MatRef::new(&ws.encoder.outputs[network.encoder().len() - 1], n, latent);
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
    if needs_forward {
        network.backward(params, batch, weights, ws, grad)?;
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Activation, ModelConfig};
    use rand::{Rng, SeedableRng};

    fn paper_setup() -> (Network, Vec<f32>, Vec<f32>, TrainConfig) {
        let config = ModelConfig::paper_dense(6, Activation::Tanh);
        let network = Network::new(&config);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let params = network.init_params(&mut rng);
        let x: Vec<f32> = (0..8 * 6).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let mut params_cfg = crate::RsraeParams::new(crate::Recipe::Paper);
        params_cfg.batch_size = 8;
        let train = TrainConfig {
            epochs: 1,
            batch_size: 8,
            lr: 2.5e-4,
            weight_decay: 0.0,
            lambda1: params_cfg.lambda1,
            lambda2: params_cfg.lambda2,
            p: 1.0,
            norm_mode: NormMode::PerSample,
            drop_last: false,
            schedule: params_cfg.schedule,
            mode: params_cfg.mode,
            reduction: params_cfg.reduction,
            shuffle: params_cfg.shuffle,
            adam_style: params_cfg.adam_style,
        };
        (network, params, x, train)
    }

    /// Runs one alternating step in which only step `k` has a learning rate, and returns
    /// which parameter groups changed: (encoder, A, decoder).
    fn changed_groups(k: usize) -> (bool, bool, bool) {
        let (network, mut params, x, config) = paper_setup();
        let before = params.clone();
        let mut ws = Workspace::new(&network, 8);
        let mut grad = vec![0.0; params.len()];
        let mut optimizers = Optimizers::new(&network, &config);
        let mut rates = [0.0; 3];
        rates[k] = 1e-2;
        let mut ctx = StepContext {
            network: &network,
            config: &config,
            ws: &mut ws,
            grad: &mut grad,
        };
        ctx.alternating_step(&mut params, &x, &mut optimizers, rates, 0.9)
            .unwrap();
        let changed = |g: ParamGroup| {
            let r = network.group_range(g);
            params[r.clone()] != before[r]
        };
        (
            changed(ParamGroup::Encoder),
            changed(ParamGroup::Rsr),
            changed(ParamGroup::Decoder),
        )
    }

    #[test]
    fn reconstruction_step_updates_every_group() {
        assert_eq!(changed_groups(0), (true, true, true));
    }

    #[test]
    fn orthogonality_step_updates_only_a() {
        assert_eq!(changed_groups(1), (false, true, false));
    }

    #[test]
    fn projection_step_updates_encoder_and_a() {
        assert_eq!(changed_groups(2), (true, true, false));
    }

    #[test]
    fn batch_plan_never_has_zero_steps() {
        assert_eq!(batch_plan(10, 64, true), (10, 1));
        assert_eq!(batch_plan(130, 64, true), (64, 2));
        assert_eq!(batch_plan(130, 64, false), (64, 3));
        assert_eq!(batch_plan(128, 64, false), (64, 2));
    }
}
