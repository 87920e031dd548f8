//! Consistency checks of a loaded `config.json`, run before anything is sized from it.
//!
//! A configuration is JSON that anyone can edit, so every length and value that scoring
//! relies on is checked against the architecture before the network is laid out or the
//! weights are read.

use crate::data::DataKind;
use crate::memory::check_model_size;
use crate::model::FittedConfig;
use crate::preprocess::Preprocessor;
use crate::ScoreKind;

/// Returns what is inconsistent in `config`, if anything.
pub(super) fn check_fitted_config(config: &FittedConfig) -> Result<(), String> {
    // The sizes come first, because the architecture check multiplies them unchecked.
    let input_dim = config.model.input_dim;
    if let Some(image) = config.model.conv {
        let values = image
            .height
            .checked_mul(image.width)
            .and_then(|v| v.checked_mul(image.channels));
        if values != Some(input_dim) {
            return Err(format!(
                "a convolutional input of {}×{}×{} values for an input of {input_dim} columns",
                image.height, image.width, image.channels
            ));
        }
    }
    check_model_size(&config.model)?;
    config.model.check().map_err(|e| e.to_string())?;
    if config.feature_names.len() != input_dim {
        return Err(format!(
            "{} feature names for an input of {input_dim} columns",
            config.feature_names.len()
        ));
    }
    check_preprocessing(&config.preprocessing, input_dim)?;
    if let DataKind::Image { height, width, .. } = config.data_kind {
        if height.checked_mul(width) != Some(input_dim) {
            return Err(format!(
                "images of {height}×{width} pixels for an input of {input_dim} columns"
            ));
        }
    }
    check_score(config)?;
    match config.threshold {
        Some(t) if !t.is_finite() => Err(format!("threshold {t} is not finite")),
        _ => Ok(()),
    }
}

fn check_score(config: &FittedConfig) -> Result<(), String> {
    match (config.score, &config.score_scale) {
        (ScoreKind::Auto, _) => Err("score \"auto\", which fitting resolves".into()),
        (ScoreKind::Combined, None) => Err("the combined score without score_scale".into()),
        (ScoreKind::Combined, Some(scale)) => {
            for (name, part) in [
                ("reconstruction", scale.reconstruction),
                ("cosine", scale.cosine),
            ] {
                if !(part.median.is_finite() && part.mad.is_finite() && part.mad > 0.0) {
                    return Err(format!(
                        "score_scale.{name} has median {} and mad {}, which must be finite \
                         with mad above 0",
                        part.median, part.mad
                    ));
                }
            }
            Ok(())
        }
        (score, Some(_)) => Err(format!(
            "a score_scale with the {} score, which does not use one",
            serde_json::to_string(&score).unwrap_or_default()
        )),
        (_, None) => Ok(()),
    }
}

fn check_preprocessing(preprocessing: &Preprocessor, input_dim: usize) -> Result<(), String> {
    match preprocessing {
        Preprocessor::Scale { max_value } | Preprocessor::SignedUnitRows { max_value }
            if !(max_value.is_finite() && *max_value > 0.0) =>
        {
            Err(format!(
                "pixel maximum {max_value} is not a positive number"
            ))
        }
        Preprocessor::Standardize {
            mean,
            scale,
            constant_columns,
        } => {
            if mean.len() != input_dim || scale.len() != input_dim {
                return Err(format!(
                    "{} means and {} scales for an input of {input_dim} columns",
                    mean.len(),
                    scale.len()
                ));
            }
            if let Some(j) = mean.iter().position(|m| !m.is_finite()) {
                return Err(format!("mean of column {j} is {}", mean[j]));
            }
            if let Some(j) = scale.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
                return Err(format!(
                    "scale of column {j} is {}, not a positive number",
                    scale[j]
                ));
            }
            match constant_columns.iter().find(|&&j| j >= input_dim) {
                Some(j) => Err(format!("constant column {j} is outside the input")),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}
