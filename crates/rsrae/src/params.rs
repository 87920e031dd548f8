//! Hyperparameters of an RSR autoencoder run, validated before fitting.
//!
//! The paper's symbols map to parameters as follows: λ₁ is `lambda1` (projection loss
//! weight), λ₂ is `lambda2` (orthogonality loss weight), `d` is `rsr_dim` (rows of `A`)
//! and `D` is the latent width (the encoder's last layer).

use serde::{Deserialize, Serialize};

use crate::data::DataKind;
use crate::error::ParamsError;
use crate::loss::NormMode;
use crate::nn::{AInit, Activation};
use crate::optim::{AdamStyle, Schedule};
use crate::preprocess::PreprocessKind;
use crate::train::{Reduction, Shuffle, TrainMode};

/// A named set of defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipe {
    /// The blog model and loss with a training budget chosen without labels, scored by
    /// [`ScoreKind::Auto`].
    Default,
    /// The widely read PyTorch version: 150 epochs, peak lr 0.01, λ₁ = λ₂ = 1, weight
    /// decay 0.01, batch 64, final partial batch dropped, `d = 16`.
    Blog,
    /// The paper's RSRAE as the official code runs it: the dense `input→32→64→128`
    /// network with frozen batch normalization, `d = 10`, a normalized latent, three
    /// alternating Adam steps per batch (lr 2.5e-4, 2.5e-3, 2.5e-3), 200 epochs, batch
    /// 128 shuffled once, batch-mean losses and the cosine score.
    Paper,
    /// RSRAE+: the paper's network with one summed loss `L_rec + λ₁ L_proj + λ₂ L_orth`,
    /// λ₁ = λ₂ = 0.1, one Adam at lr 2.5e-4. The official command line passes λ₁ = 0.0025.
    PaperPlus,
}

/// Which default network the recipe builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    /// The widely read PyTorch network: halving widths, LeakyReLU 0.01, no normalization.
    Blog,
    /// The official RSRAE dense network: 32, 64, 128 units with frozen batch normalization.
    Paper,
}

/// The per-sample anomaly score; higher means more anomalous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreKind {
    /// The L2 reconstruction error `‖x − x̂‖₂` in the preprocessed space.
    Reconstruction,
    /// `−cos(x, x̂)`, with both norms floored at 1e-6.
    Cosine,
    /// The sum of the two scores above, each standardized by the median and the median
    /// absolute deviation of its values on the training rows (stored in the model).
    ///
    /// On images the L2 error ranks thin outliers low (1s among MNIST 4s: ROC AUC 0.86 to
    /// 0.89 over three seeds). The cosine, blind to scale, ranks others low (0s among 4s:
    /// 0.83 to 0.97). The sum ranks both well; `docs/paper.md` has the figures.
    Combined,
    /// [`ScoreKind::Combined`] for images and [`ScoreKind::Reconstruction`] for other
    /// data, where the rows are standardized per column and their direction carries
    /// little meaning. Resolved when fitting: a fitted model never stores `Auto`.
    Auto,
}

impl ScoreKind {
    /// Returns the score used for data of `kind`: `Auto` resolved, the others as they are.
    pub fn resolve(self, kind: &DataKind) -> ScoreKind {
        match (self, kind) {
            (ScoreKind::Auto, DataKind::Image { .. }) => ScoreKind::Combined,
            (ScoreKind::Auto, DataKind::Tabular) => ScoreKind::Reconstruction,
            (score, _) => score,
        }
    }
}

/// Optimizer steps the default recipe aims for: see [`RsraeParams::epochs_for`].
pub const DEFAULT_STEP_BUDGET: usize = 25;

/// Hyperparameters, unchecked. Build with [`RsraeParams::new`] and the `with_…` setters,
/// then [`RsraeParams::check`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RsraeParams {
    /// The recipe the defaults came from.
    pub recipe: Recipe,
    /// Passes over the data; `None` lets the recipe's rule choose.
    pub epochs: Option<usize>,
    /// Rows per mini-batch.
    pub batch_size: usize,
    /// Peak learning rate.
    pub lr: f32,
    /// AdamW's decoupled weight decay.
    pub weight_decay: f32,
    /// Rows `d` of `A`; `None` takes the architecture's default.
    pub rsr_dim: Option<usize>,
    /// Weight λ₁ of the projection loss.
    pub lambda1: f32,
    /// Weight λ₂ of the orthogonality loss.
    pub lambda2: f32,
    /// Exponent `p ≥ 1` of the L2,p reconstruction loss.
    pub p: f32,
    /// Per-sample norms (default) or one norm over the batch.
    pub norm_mode: NormMode,
    /// Whether a final partial batch is skipped.
    pub drop_last: bool,
    /// Learning-rate schedule.
    pub schedule: Schedule,
    /// Initialization of `A`.
    pub a_init: AInit,
    /// Output activation; `None` picks sigmoid for data in [0, 1], identity otherwise.
    pub output_activation: Option<Activation>,
    /// Encoder widths ending in `D`; `None` takes the default for the input width.
    pub encoder_widths: Option<Vec<usize>>,
    /// Seed of every random source (initialization and shuffling).
    pub seed: u64,
    /// Expected fraction of outliers, which sets the threshold.
    pub contamination: f64,
    /// The score.
    pub score: ScoreKind,
    /// Summed or alternating optimizer steps.
    pub mode: TrainMode,
    /// Sum or mean of the loss terms over the batch.
    pub reduction: Reduction,
    /// Shuffle every epoch or once.
    pub shuffle: Shuffle,
    /// Where Adam adds its ε.
    pub adam_style: AdamStyle,
    /// The default network.
    pub architecture: Architecture,
    /// Hidden activation; `None` takes the architecture's (LeakyReLU 0.01 for the blog
    /// network, the official rule for the paper's).
    pub hidden_activation: Option<Activation>,
    /// How the data is preprocessed.
    pub preprocessing: PreprocessKind,
    /// Whether the model has the RSR layer; without it, it is a plain autoencoder.
    pub rsr_layer: bool,
    /// Whether the paper's recipes use the dense network for images too, instead of the
    /// convolutional one.
    pub dense: bool,
}

impl RsraeParams {
    /// The defaults of a recipe.
    pub fn new(recipe: Recipe) -> Self {
        match recipe {
            Recipe::Default | Recipe::Blog => Self::blog_family(recipe),
            Recipe::Paper | Recipe::PaperPlus => Self::paper_family(recipe),
        }
    }

    fn paper_family(recipe: Recipe) -> Self {
        let mut params = Self::blog_family(recipe);
        params.epochs = Some(200);
        params.batch_size = 128;
        params.lr = 2.5e-4;
        params.weight_decay = 0.0;
        params.lambda1 = 0.1;
        params.lambda2 = 0.1;
        params.drop_last = false;
        params.schedule = Schedule::Constant { beta1: 0.9 };
        params.a_init = AInit::Gaussian;
        params.output_activation = None;
        params.score = ScoreKind::Cosine;
        params.mode = match recipe {
            Recipe::Paper => TrainMode::Alternating {
                lr_orthogonality: 2.5e-3,
                lr_projection: 2.5e-3,
            },
            _ => TrainMode::Summed,
        };
        params.reduction = Reduction::Mean;
        params.shuffle = Shuffle::Once;
        params.adam_style = AdamStyle::TensorFlow;
        params.architecture = Architecture::Paper;
        params.preprocessing = PreprocessKind::Paper;
        params
    }

    fn blog_family(recipe: Recipe) -> Self {
        let (epochs, score) = match recipe {
            Recipe::Blog => (Some(150), ScoreKind::Reconstruction),
            _ => (None, ScoreKind::Auto),
        };
        RsraeParams {
            recipe,
            epochs,
            batch_size: 64,
            lr: 0.01,
            weight_decay: 0.01,
            rsr_dim: None,
            lambda1: 1.0,
            lambda2: 1.0,
            p: 1.0,
            norm_mode: NormMode::PerSample,
            drop_last: true,
            schedule: Schedule::OneCycle,
            a_init: AInit::Orthogonal,
            output_activation: None,
            encoder_widths: None,
            seed: 0,
            contamination: 0.1,
            score,
            mode: TrainMode::Summed,
            reduction: Reduction::Sum,
            shuffle: Shuffle::EveryEpoch,
            adam_style: AdamStyle::PyTorch,
            architecture: Architecture::Blog,
            hidden_activation: None,
            preprocessing: PreprocessKind::Standard,
            rsr_layer: true,
            dense: false,
        }
    }

    /// Sets the number of epochs.
    pub fn with_epochs(mut self, epochs: usize) -> Self {
        self.epochs = Some(epochs);
        self
    }

    /// Sets the batch size.
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the contamination.
    pub fn with_contamination(mut self, contamination: f64) -> Self {
        self.contamination = contamination;
        self
    }

    /// The epochs to train on `n_samples` rows.
    ///
    /// An explicit value wins. Otherwise the default recipe's label-free rule trains
    /// for about [`DEFAULT_STEP_BUDGET`] optimizer steps: `max(1, round(budget / steps per
    /// epoch))`. A long-trained autoencoder learns to reconstruct the outliers too, so a
    /// short one-cycle run ranks them best.
    pub fn epochs_for(&self, n_samples: usize) -> usize {
        if let Some(epochs) = self.epochs {
            return epochs;
        }
        let (_, steps) = crate::train::batch_plan(n_samples, self.batch_size, self.drop_last);
        let epochs = (DEFAULT_STEP_BUDGET as f64 / steps.max(1) as f64).round() as usize;
        epochs.max(1)
    }

    /// Validates every value, one error per rule.
    pub fn check(&self) -> Result<(), ParamsError> {
        let fail = |name, value: String, rule| Err(ParamsError::OutOfRange { name, value, rule });
        if self.epochs == Some(0) {
            return fail("--epochs", "0".into(), "must be at least 1");
        }
        if self.batch_size == 0 {
            return fail("--batch-size", "0".into(), "must be at least 1");
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return fail(
                "--lr",
                self.lr.to_string(),
                "must be a positive number such as 0.01",
            );
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return fail(
                "--weight-decay",
                self.weight_decay.to_string(),
                "must be 0 or more",
            );
        }
        for (name, value) in [("--lambda1", self.lambda1), ("--lambda2", self.lambda2)] {
            if !(value.is_finite() && value >= 0.0) {
                return fail(name, value.to_string(), "must be 0 or more");
            }
        }
        if !(self.p.is_finite() && self.p >= 1.0) {
            return fail("--p", self.p.to_string(), "must be at least 1");
        }
        if !(self.contamination > 0.0 && self.contamination < 0.5) {
            return fail(
                "--contamination",
                self.contamination.to_string(),
                "must be between 0 and 0.5, the expected fraction of outliers such as 0.1",
            );
        }
        if self.rsr_dim == Some(0) {
            return fail("--d", "0".into(), "must be at least 1");
        }
        Ok(())
    }
}
