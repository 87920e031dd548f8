//! Fitting an RSR autoencoder on a data set and scoring data with it.

use std::ops::ControlFlow;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::{DataKind, Dataset};
use crate::error::{DataError, Error, Result};
use crate::metrics::quantile;
use crate::nn::{Activation, ModelConfig, Network, Workspace};
use crate::params::{Recipe, RsraeParams, ScoreKind};
use crate::preprocess::Preprocessor;
use crate::train::{self, StepReport, TrainConfig, TrainHistory};

/// Version of the model directory format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Rows scored per forward pass.
const SCORE_CHUNK: usize = 512;

/// Everything about a fitted model except its weights: saved as `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedConfig {
    /// Version of this format.
    pub format_version: u32,
    /// Version of rsrae that wrote the model.
    pub rsrae_version: String,
    /// The recipe the hyperparameters came from.
    pub recipe: Recipe,
    /// The architecture.
    pub model: ModelConfig,
    /// The training hyperparameters as used.
    pub train: TrainConfig,
    /// The preprocessing fitted on the training data.
    pub preprocessing: Preprocessor,
    /// The kind of data the model was fitted on.
    pub data_kind: DataKind,
    /// Column names at fit time, checked again at scoring.
    pub feature_names: Vec<String>,
    /// Number of training rows.
    pub n_train_samples: usize,
    /// The score.
    pub score: ScoreKind,
    /// Expected fraction of outliers.
    pub contamination: f64,
    /// Scores above this are outliers; `None` when every training score was equal.
    pub threshold: Option<f64>,
    /// The seed of every random source.
    pub seed: u64,
}

/// A fitted RSR autoencoder.
#[derive(Debug, Clone)]
pub struct Rsrae {
    config: FittedConfig,
    network: Network,
    params: Vec<f32>,
}

/// A fitted model with what fitting produced.
#[derive(Debug, Clone)]
pub struct FitOutcome {
    /// The model.
    pub model: Rsrae,
    /// The scores of the training rows.
    pub training_scores: Vec<f32>,
    /// Losses per step and timing.
    pub history: TrainHistory,
}

/// Picks sigmoid when every preprocessed value lies in [0, 1], identity otherwise.
fn auto_output_activation(values: &[f32]) -> Activation {
    if values.iter().all(|&v| (0.0..=1.0).contains(&v)) {
        Activation::Sigmoid
    } else {
        Activation::Identity
    }
}

impl RsraeParams {
    /// Fits a model on `data`, reporting each step to `on_step`.
    pub fn fit(
        &self,
        data: &Dataset,
        on_step: &mut dyn FnMut(&StepReport) -> ControlFlow<()>,
    ) -> Result<FitOutcome> {
        self.check()?;
        check_dataset(data)?;
        let preprocessing = Preprocessor::fit(data);
        let x = preprocessing.apply(&data.features, data.n_features);
        let model = self.model_config(data.n_features, &x)?;
        let network = Network::new(&model);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut params = network.init_params(&mut rng);
        let train_config = self.train_config(data.n_samples);
        let history = train::train(&network, &mut params, &x, &train_config, self.seed, on_step)?;

        let config = FittedConfig {
            format_version: FORMAT_VERSION,
            rsrae_version: env!("CARGO_PKG_VERSION").to_string(),
            recipe: self.recipe,
            model,
            train: train_config,
            preprocessing,
            data_kind: data.kind.clone(),
            feature_names: data.feature_names.clone(),
            n_train_samples: data.n_samples,
            score: self.score,
            contamination: self.contamination,
            threshold: None,
            seed: self.seed,
        };
        let mut model = Rsrae {
            config,
            network,
            params,
        };
        let training_scores = model.score_preprocessed(&x);
        model.config.threshold = threshold(&training_scores, self.contamination);
        Ok(FitOutcome {
            model,
            training_scores,
            history,
        })
    }

    fn model_config(&self, input_dim: usize, x: &[f32]) -> Result<ModelConfig> {
        let output = self
            .output_activation
            .unwrap_or_else(|| auto_output_activation(x));
        let mut config = ModelConfig::default_for(input_dim, output);
        if let Some(widths) = &self.encoder_widths {
            config.encoder_widths = widths.clone();
            let mut decoder: Vec<usize> = widths.iter().rev().copied().collect();
            decoder.pop();
            config.decoder_widths = decoder;
        }
        if let Some(d) = self.rsr_dim {
            config.rsr_dim = d;
        }
        config.a_init = self.a_init;
        config.check()?;
        Ok(config)
    }

    fn train_config(&self, n_samples: usize) -> TrainConfig {
        TrainConfig {
            epochs: self.epochs_for(n_samples),
            batch_size: self.batch_size,
            lr: self.lr,
            weight_decay: self.weight_decay,
            lambda1: self.lambda1,
            lambda2: self.lambda2,
            p: self.p,
            norm_mode: self.norm_mode,
            drop_last: self.drop_last,
            schedule: self.schedule,
        }
    }
}

fn check_dataset(data: &Dataset) -> Result<()> {
    if data.n_samples == 0 || data.n_features == 0 {
        return Err(DataError::Invalid(format!(
            "the data has {} rows and {} columns; at least one of each is needed",
            data.n_samples, data.n_features
        ))
        .into());
    }
    if data.features.len() != data.n_samples * data.n_features {
        return Err(Error::Shape {
            op: "dataset",
            expected: format!("{} × {} values", data.n_samples, data.n_features),
            actual: format!("{} values", data.features.len()),
        });
    }
    if let Some(i) = data.features.iter().position(|v| !v.is_finite()) {
        let (row, col) = (i / data.n_features, i % data.n_features);
        return Err(DataError::Invalid(format!(
            "value {} at row {row}, column {col} is not finite; remove or impute it",
            data.features[i]
        ))
        .into());
    }
    Ok(())
}

/// The `(1 − contamination)` quantile of the scores, or `None` when all scores are equal.
pub fn threshold(scores: &[f32], contamination: f64) -> Option<f64> {
    let first = *scores.first()?;
    if scores.iter().all(|&s| s == first) {
        return None;
    }
    Some(f64::from(quantile(scores, 1.0 - contamination)))
}

impl Rsrae {
    /// Assembles a model from a saved configuration and weights.
    pub(crate) fn from_parts(config: FittedConfig, params: Vec<f32>) -> Result<Self> {
        config.model.check()?;
        let network = Network::new(&config.model);
        if params.len() != network.n_params() {
            return Err(Error::Shape {
                op: "model weights",
                expected: format!("{} values", network.n_params()),
                actual: format!("{} values", params.len()),
            });
        }
        Ok(Rsrae {
            config,
            network,
            params,
        })
    }

    /// The saved configuration.
    pub fn config(&self) -> &FittedConfig {
        &self.config
    }

    /// The network's structure.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The flat parameter vector.
    pub fn params(&self) -> &[f32] {
        &self.params
    }

    /// The outlier threshold, when the training scores were not all equal.
    pub fn threshold(&self) -> Option<f64> {
        self.config.threshold
    }

    /// Scores every row of `data`; higher is more anomalous.
    pub fn score(&self, data: &Dataset) -> Result<Vec<f32>> {
        self.check_columns(data)?;
        check_dataset(data)?;
        let x = self
            .config
            .preprocessing
            .apply(&data.features, data.n_features);
        Ok(self.score_preprocessed(&x))
    }

    /// Flags each score above the threshold as an outlier.
    pub fn flag(&self, scores: &[f32]) -> Vec<bool> {
        match self.config.threshold {
            Some(t) => scores.iter().map(|&s| f64::from(s) > t).collect(),
            None => vec![false; scores.len()],
        }
    }

    fn check_columns(&self, data: &Dataset) -> Result<()> {
        let expected = &self.config.feature_names;
        if data.n_features != expected.len() {
            return Err(DataError::Invalid(format!(
                "the data has {} columns but the model was fitted on {}; \
                 score data with the same columns as the training data",
                data.n_features,
                expected.len()
            ))
            .into());
        }
        if matches!(self.config.data_kind, DataKind::Tabular) {
            let differ = expected
                .iter()
                .zip(&data.feature_names)
                .position(|(a, b)| a != b);
            if let Some(i) = differ {
                return Err(DataError::Invalid(format!(
                    "column {} is named {:?} but the model was fitted with {:?} there; \
                     score data with the same columns in the same order",
                    i + 1,
                    data.feature_names[i],
                    expected[i]
                ))
                .into());
            }
        }
        Ok(())
    }

    /// Reconstructs preprocessed rows, returning `x̂` (`n × input_dim`).
    pub fn reconstruct_preprocessed(&self, x: &[f32]) -> Vec<f32> {
        let width = self.config.model.input_dim;
        let mut out = Vec::with_capacity(x.len());
        let mut ws = Workspace::new(&self.network, SCORE_CHUNK.min(x.len() / width).max(1));
        for chunk in x.chunks(SCORE_CHUNK * width) {
            let n = chunk.len() / width;
            self.network.forward(&self.params, chunk, n, &mut ws);
            out.extend_from_slice(self.network.reconstruction(&ws));
        }
        out
    }

    /// The RSR layer outputs `Az` (`n × d`) of preprocessed rows.
    pub fn embed_preprocessed(&self, x: &[f32]) -> Vec<f32> {
        let width = self.config.model.input_dim;
        let mut out = Vec::new();
        let mut ws = Workspace::new(&self.network, SCORE_CHUNK.min(x.len() / width).max(1));
        for chunk in x.chunks(SCORE_CHUNK * width) {
            let n = chunk.len() / width;
            self.network.forward(&self.params, chunk, n, &mut ws);
            out.extend_from_slice(self.network.rsr_output(&ws));
        }
        out
    }

    fn score_preprocessed(&self, x: &[f32]) -> Vec<f32> {
        let width = self.config.model.input_dim;
        let x_hat = self.reconstruct_preprocessed(x);
        let rows = x.chunks_exact(width).zip(x_hat.chunks_exact(width));
        match self.config.score {
            ScoreKind::Reconstruction => rows.map(|(a, b)| l2_distance(a, b)).collect(),
            ScoreKind::Cosine => rows.map(|(a, b)| -cosine(a, b)).collect(),
        }
    }
}

fn l2_distance(a: &[f32], b: &[f32]) -> f32 {
    let sq: f64 = a
        .iter()
        .zip(b)
        .map(|(&u, &v)| f64::from(u - v).powi(2))
        .sum();
    sq.sqrt() as f32
}

/// `cos(a, b)` with each norm floored at 1e-6, as the official RSRAE code does.
fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(&u, &v)| f64::from(u) * f64::from(v))
        .sum();
    let norm = |v: &[f32]| {
        v.iter()
            .map(|&u| f64::from(u).powi(2))
            .sum::<f64>()
            .sqrt()
            .max(1e-6)
    };
    (dot / (norm(a) * norm(b))) as f32
}
