//! Fitting an RSR autoencoder on a data set and scoring data with it.

use std::ops::ControlFlow;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::{DataKind, Dataset};
use crate::error::{DataError, Error, ModelError, ParamsError, Result};
use crate::memory::{check_model_size, MemoryEstimate};
use crate::metrics::quantile;
use crate::nn::{Activation, ImageShape, ModelConfig, Network, Workspace};
use crate::params::{Architecture, Recipe, RsraeParams, ScoreKind};
use crate::preprocess::Preprocessor;
use crate::train::{self, StepReport, TrainConfig, TrainHistory};

/// Version of the model directory format that this build writes. It also reads earlier
/// versions. Version 2 added the combined score and its `score_scale`.
pub const FORMAT_VERSION: u32 = 2;

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
    /// The score, never [`ScoreKind::Auto`] because fitting resolves it.
    pub score: ScoreKind,
    /// Medians and spreads that [`ScoreKind::Combined`] standardizes by, measured on the
    /// training rows, or `None` for the other scores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_scale: Option<ScoreScale>,
    /// Expected fraction of outliers.
    pub contamination: f64,
    /// Scores above this are outliers; `None` when every training score was equal.
    pub threshold: Option<f64>,
    /// The seed of every random source.
    pub seed: u64,
}

/// The centre and spread of one score over the training rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RobustScale {
    /// The median.
    pub median: f64,
    /// The median absolute deviation from the median; 1 where that is 0, as when more
    /// than half of the rows score the same.
    pub mad: f64,
}

impl RobustScale {
    /// Measures the median and the median absolute deviation of `values`.
    pub fn of(values: &[f32]) -> Self {
        let median = median_of(values.iter().map(|&v| f64::from(v)).collect());
        let mad = median_of(
            values
                .iter()
                .map(|&v| (f64::from(v) - median).abs())
                .collect(),
        );
        RobustScale {
            median,
            mad: if mad > 0.0 && mad.is_finite() {
                mad
            } else {
                1.0
            },
        }
    }

    /// Returns `(value − median) / mad`.
    pub fn standardize(&self, value: f32) -> f64 {
        (f64::from(value) - self.median) / self.mad
    }
}

/// Returns the median of `values` (the mean of the two middle ones for an even count), or
/// 0 for no values.
fn median_of(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The medians and spreads that [`ScoreKind::Combined`] standardizes its two parts by.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoreScale {
    /// Scale of the L2 reconstruction error.
    pub reconstruction: RobustScale,
    /// Scale of the cosine score.
    pub cosine: RobustScale,
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
        let preprocessing = Preprocessor::fit(data, self.preprocessing);
        let extremes = preprocessed_extremes(&preprocessing, data);
        let model = self.model_config(data, &extremes)?;
        let network = Network::new(&model);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut params = network.init_params(&mut rng);
        let train_config = self.train_config(data.n_samples);
        // Each mini-batch is preprocessed as it is gathered, so no preprocessed copy of
        // the whole data set is ever held.
        let prepare = |rows: &mut [f32]| preprocessing.apply_in_place(rows, data.n_features);
        let history = train::train_prepared(
            &network,
            &mut params,
            &data.features,
            &prepare,
            &train_config,
            self.seed,
            on_step,
        )?;

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
            score: self.score.resolve(&data.kind),
            score_scale: None,
            contamination: self.contamination,
            threshold: None,
            seed: self.seed,
        };
        let mut model = Rsrae {
            config,
            network,
            params,
        };
        let parts = model.score_parts(&data.features)?;
        if model.config.score == ScoreKind::Combined {
            model.config.score_scale = Some(ScoreScale {
                reconstruction: RobustScale::of(&parts.reconstruction),
                cosine: RobustScale::of(&parts.cosine),
            });
        }
        let training_scores = model.combine(parts)?;
        model.config.threshold = threshold(&training_scores, self.contamination);
        Ok(FitOutcome {
            model,
            training_scores,
            history,
        })
    }

    /// Estimates the memory that [`RsraeParams::fit`] needs on `data`, from the shapes alone.
    pub fn memory_estimate(&self, data: &Dataset) -> Result<MemoryEstimate> {
        self.check()?;
        let config = self.architecture(data, Activation::Identity, &[])?;
        let network = Network::new(&config);
        let (batch_rows, _) = train::batch_plan(data.n_samples, self.batch_size, self.drop_last);
        Ok(MemoryEstimate::for_fit(
            &network,
            data.n_samples,
            batch_rows,
        ))
    }

    /// Builds the architecture, choosing the activations that depend on the data from
    /// `extremes`, the smallest and largest preprocessed values (the rules read only those).
    fn model_config(&self, data: &Dataset, extremes: &[f32; 2]) -> Result<ModelConfig> {
        let output = match self.architecture {
            Architecture::Blog => self
                .output_activation
                .unwrap_or_else(|| auto_output_activation(extremes)),
            Architecture::Paper => {
                let rule = self
                    .hidden_activation
                    .unwrap_or_else(|| Activation::official_rule(extremes));
                self.output_activation.unwrap_or(rule)
            }
        };
        self.architecture(data, output, extremes)
    }

    /// Builds the architecture for `input_dim` columns and checks it, including that laying
    /// out its parameters cannot overflow.
    fn architecture(&self, data: &Dataset, output: Activation, x: &[f32]) -> Result<ModelConfig> {
        let input_dim = data.n_features;
        let mut config = match self.architecture {
            Architecture::Blog => ModelConfig::default_for(input_dim, output),
            Architecture::Paper => {
                let hidden = self
                    .hidden_activation
                    .unwrap_or_else(|| Activation::official_rule(x));
                let mut config = match (&data.kind, self.dense) {
                    (DataKind::Image { height, width, .. }, false) => {
                        let channels = input_dim / (height * width).max(1);
                        let image = ImageShape {
                            height: *height,
                            width: *width,
                            channels,
                        };
                        ModelConfig::paper_conv(image, hidden)
                    }
                    _ => ModelConfig::paper_dense(input_dim, hidden),
                };
                config.output_activation = output;
                config
            }
        };
        if let (Architecture::Blog, Some(hidden)) = (self.architecture, self.hidden_activation) {
            config.hidden_activation = hidden;
        }
        config.rsr_layer = self.rsr_layer;
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
        config.check().map_err(|e| match e {
            ParamsError::Architecture(_) if input_dim == 1 && self.encoder_widths.is_none() => {
                ParamsError::Architecture(
                    "the data has 1 column, so the default latent width D is 1 and leaves no \
                     room for a subspace of d < D; pass --encoder-widths ending in 2 or more, \
                     such as --encoder-widths 8,2"
                        .to_owned(),
                )
            }
            e => e,
        })?;
        check_model_size(&config).map_err(ParamsError::Architecture)?;
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
            mode: self.mode,
            reduction: self.reduction,
            shuffle: self.shuffle,
            adam_style: self.adam_style,
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

/// Rejects a NaN score, which arises when a row's values overflow `f32` inside the network.
/// An infinite score stays: it ranks the row as the most anomalous.
fn check_scores(data: &Dataset, scores: &[f32]) -> Result<()> {
    let Some(row) = scores.iter().position(|s| s.is_nan()) else {
        return Ok(());
    };
    let values = &data.features[row * data.n_features..(row + 1) * data.n_features];
    let largest = values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()));
    let (column, value) = largest.map_or((0, 0.0), |(j, &v)| (j, v));
    Err(DataError::Invalid(format!(
        "data row {} scores NaN because its values overflow the network (its largest value is \
         {value:e} in column {:?}); check that row, or rescale the data to the range of the \
         training data",
        row + 1,
        data.feature_names[column]
    ))
    .into())
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
        let scores = self.combine(self.score_parts(&data.features)?)?;
        check_scores(data, &scores)?;
        Ok(scores)
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
    pub fn reconstruct_preprocessed(&self, x: &[f32]) -> Result<Vec<f32>> {
        self.forward_chunks(x, Network::reconstruction)
    }

    /// The RSR layer outputs `Az` (`n × d`) of preprocessed rows; without the RSR layer,
    /// the latent codes `z`.
    pub fn embed_preprocessed(&self, x: &[f32]) -> Result<Vec<f32>> {
        self.forward_chunks(x, Network::rsr_output)
    }

    /// Runs the network over `x` in chunks, collecting what `take` reads from each pass.
    fn forward_chunks(
        &self,
        x: &[f32],
        take: for<'w> fn(&Network, &'w Workspace) -> &'w [f32],
    ) -> Result<Vec<f32>> {
        let width = self.config.model.input_dim;
        let mut out = Vec::new();
        let mut ws = Workspace::new(&self.network, SCORE_CHUNK.min(x.len() / width).max(1));
        for chunk in x.chunks(SCORE_CHUNK * width) {
            let n = chunk.len() / width;
            self.network.forward(&self.params, chunk, n, &mut ws)?;
            out.extend_from_slice(take(&self.network, &ws));
        }
        Ok(out)
    }

    /// Computes the parts of the score that [`FittedConfig::score`] needs for raw rows, in
    /// chunks of [`SCORE_CHUNK`]. Each chunk is preprocessed into one reused buffer and
    /// scored from the workspace's reconstruction. Scoring therefore keeps neither a
    /// preprocessed copy nor the reconstructions of all rows.
    fn score_parts(&self, features: &[f32]) -> Result<ScoreParts> {
        let width = self.config.model.input_dim;
        let n = features.len() / width;
        let score = self.config.score.resolve(&self.config.data_kind);
        let wants_l2 = matches!(score, ScoreKind::Reconstruction | ScoreKind::Combined);
        let wants_cosine = matches!(score, ScoreKind::Cosine | ScoreKind::Combined);
        let chunk_rows = SCORE_CHUNK.min(n).max(1);
        let mut ws = Workspace::new(&self.network, chunk_rows);
        let mut buffer = vec![0.0f32; chunk_rows * width];
        let mut parts = ScoreParts::default();
        for raw in features.chunks(chunk_rows * width) {
            let x = &mut buffer[..raw.len()];
            x.copy_from_slice(raw);
            self.config.preprocessing.apply_in_place(x, width);
            self.network
                .forward(&self.params, x, raw.len() / width, &mut ws)?;
            let x_hat = self.network.reconstruction(&ws);
            for (a, b) in x.chunks_exact(width).zip(x_hat.chunks_exact(width)) {
                if wants_l2 {
                    parts.reconstruction.push(l2_distance(a, b));
                }
                if wants_cosine {
                    parts.cosine.push(-cosine(a, b));
                }
            }
        }
        Ok(parts)
    }

    /// Turns the parts into the score of each row.
    fn combine(&self, parts: ScoreParts) -> Result<Vec<f32>> {
        match self.config.score.resolve(&self.config.data_kind) {
            ScoreKind::Reconstruction => Ok(parts.reconstruction),
            ScoreKind::Cosine => Ok(parts.cosine),
            ScoreKind::Combined | ScoreKind::Auto => {
                let scale = self.config.score_scale.ok_or_else(|| ModelError::Invalid {
                    path: "config.json".into(),
                    message: "the combined score needs score_scale, which is missing; \
                              refit the model"
                        .into(),
                })?;
                let rows = parts.reconstruction.iter().zip(&parts.cosine);
                Ok(rows
                    .map(|(&l2, &cos)| {
                        let sum =
                            scale.reconstruction.standardize(l2) + scale.cosine.standardize(cos);
                        sum as f32
                    })
                    .collect())
            }
        }
    }
}

/// Per-row parts of a score. Each part is empty unless the score needs it.
#[derive(Debug, Default)]
struct ScoreParts {
    /// `‖x − x̂‖₂`.
    reconstruction: Vec<f32>,
    /// `−cos(x, x̂)`.
    cosine: Vec<f32>,
}

/// Returns the smallest and largest values of `data` after `preprocessing`, computed a
/// chunk of rows at a time.
fn preprocessed_extremes(preprocessing: &Preprocessor, data: &Dataset) -> [f32; 2] {
    let width = data.n_features.max(1);
    let mut buffer = Vec::with_capacity(SCORE_CHUNK * width);
    let mut extremes = [f32::INFINITY, f32::NEG_INFINITY];
    for raw in data.features.chunks(SCORE_CHUNK * width) {
        buffer.clear();
        buffer.extend_from_slice(raw);
        preprocessing.apply_in_place(&mut buffer, width);
        for &v in &buffer {
            extremes = [extremes[0].min(v), extremes[1].max(v)];
        }
    }
    extremes
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

#[cfg(test)]
mod tests {
    use super::*;

    /// 300 rows of 8 × 8 images with pixels in 0..=255.
    fn images() -> Dataset {
        let features = (0..300 * 64)
            .map(|i| ((i as f32 * 0.731).sin().abs() * 255.0).round())
            .collect();
        Dataset {
            features,
            n_samples: 300,
            n_features: 64,
            feature_names: (0..64).map(|j| format!("pixel{j}")).collect(),
            labels: None,
            kind: DataKind::Image {
                height: 8,
                width: 8,
                max_value: 255.0,
            },
        }
    }

    /// `fit` preprocesses each mini-batch and each scoring chunk as it reads them. This
    /// test pins that it trains and scores exactly as on a preprocessed copy of all rows.
    #[test]
    fn fit_equals_training_on_copy() {
        let mut data = images();
        for recipe in [Recipe::Default, Recipe::Paper] {
            for kind in [data.kind.clone(), DataKind::Tabular] {
                data.kind = kind;
                let params = RsraeParams::new(recipe).with_epochs(2).with_seed(3);
                let outcome = params
                    .fit(&data, &mut |_| ControlFlow::Continue(()))
                    .unwrap();

                let pre = Preprocessor::fit(&data, params.preprocessing);
                let x = pre.apply(&data.features, data.n_features);
                let network = Network::new(&outcome.model.config.model);
                let mut rng = ChaCha8Rng::seed_from_u64(3);
                let mut weights = network.init_params(&mut rng);
                let config = params.train_config(data.n_samples);
                train::train(&network, &mut weights, &x, &config, 3, &mut |_| {
                    ControlFlow::Continue(())
                })
                .unwrap();
                assert_eq!(outcome.model.params(), &weights[..], "{recipe:?}");

                let x_hat = outcome.model.reconstruct_preprocessed(&x).unwrap();
                let rows = || x.chunks_exact(64).zip(x_hat.chunks_exact(64));
                let l2: Vec<f32> = rows().map(|(a, b)| l2_distance(a, b)).collect();
                let cos: Vec<f32> = rows().map(|(a, b)| -cosine(a, b)).collect();
                let config = outcome.model.config();
                let expected = match config.score {
                    ScoreKind::Reconstruction => l2,
                    ScoreKind::Cosine => cos,
                    ScoreKind::Combined | ScoreKind::Auto => {
                        let scale = ScoreScale {
                            reconstruction: RobustScale::of(&l2),
                            cosine: RobustScale::of(&cos),
                        };
                        assert_eq!(config.score_scale, Some(scale), "{recipe:?}");
                        let standardized = l2.iter().zip(&cos).map(|(&a, &b)| {
                            scale.reconstruction.standardize(a) + scale.cosine.standardize(b)
                        });
                        standardized.map(|v| v as f32).collect()
                    }
                };
                assert_eq!(outcome.training_scores, expected, "{recipe:?}");
            }
        }
    }

    #[test]
    fn cosine_of_parallel_and_opposite_rows() {
        assert!((cosine(&[1.0, 2.0], &[2.0, 4.0]) - 1.0).abs() < 1e-6);
        assert!((cosine(&[1.0, 0.0], &[-3.0, 0.0]) + 1.0).abs() < 1e-6);
        assert!(cosine(&[1.0, 0.0], &[0.0, 1.0]).abs() < 1e-6);
    }

    #[test]
    fn cosine_of_zero_row_is_zero_not_nan() {
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 1.0]), 0.0);
        assert_eq!(cosine(&[0.0, 0.0], &[0.0, 0.0]), 0.0);
    }

    #[test]
    fn cosine_floors_small_norms_at_1e_minus_6() {
        // ‖a‖ = 1e-8 is floored to 1e-6, so cos = a·b / (1e-6 · 1) = 1e-2.
        let value = cosine(&[1e-8, 0.0], &[1.0, 0.0]);
        assert!((value - 1e-2).abs() < 1e-6, "{value}");
    }

    #[test]
    fn auto_score_resolves_by_data_kind() {
        let mut data = images();
        let params = RsraeParams::new(Recipe::Default).with_epochs(1);
        let fit = |data: &Dataset| {
            params
                .fit(data, &mut |_| ControlFlow::Continue(()))
                .unwrap()
        };
        let image_model = fit(&data).model;
        assert_eq!(image_model.config().score, ScoreKind::Combined);
        assert!(image_model.config().score_scale.is_some());
        data.kind = DataKind::Tabular;
        let tabular_model = fit(&data).model;
        assert_eq!(tabular_model.config().score, ScoreKind::Reconstruction);
        assert_eq!(tabular_model.config().score_scale, None);
    }

    #[test]
    fn robust_scale_of_values() {
        // The median is 3, and the deviations 2, 1, 0, 1, 6 have median 1.
        let scale = RobustScale::of(&[1.0, 2.0, 3.0, 4.0, 9.0]);
        assert_eq!((scale.median, scale.mad), (3.0, 1.0));
        assert_eq!(scale.standardize(5.0), 2.0);
        // An even count takes the mean of the middle two values.
        assert_eq!(RobustScale::of(&[1.0, 2.0, 4.0, 10.0]).median, 3.0);
        // Equal values have a spread of 1, not 0.
        assert_eq!(RobustScale::of(&[5.0; 4]).mad, 1.0);
    }

    #[test]
    fn l2_distance_of_rows() {
        assert_eq!(l2_distance(&[0.0, 3.0], &[4.0, 0.0]), 5.0);
    }
}
