//! The run summary and the hyperparameter table.

use anyhow::{Context, Result};
use rsrae::data::DataKind;
use rsrae::preprocess::Preprocessor;
use rsrae::{FittedConfig, ScoreKind};
use serde_json::Value;

use super::scores::ScoreFigures;
use super::ReportInput;

/// Rows of the run summary table.
pub fn run_rows(input: &ReportInput<'_>, scores: &ScoreFigures) -> Vec<(String, String)> {
    let config = input.model.config();
    let data = input.data;
    let mut rows = vec![
        ("command".into(), format!("rsrae {}", input.command)),
        ("data".into(), input.data_description.to_string()),
        (
            "shape".into(),
            shape(data.n_samples, data.n_features, &data.kind),
        ),
        (
            "labels".into(),
            input.label_description.unwrap_or("none").to_string(),
        ),
        ("preprocessing".into(), preprocessing(&config.preprocessing)),
        (
            "model".into(),
            format!(
                "trained on {} samples, recipe {}",
                config.n_train_samples,
                json_text(&serde_json::to_value(config.recipe).unwrap_or(Value::Null))
            ),
        ),
        ("score".into(), score_kind(config.score).to_string()),
        ("threshold".into(), threshold(config, scores)),
        ("seed".into(), config.seed.to_string()),
        (
            "rsrae version".into(),
            format!(
                "{} (the model was written by {})",
                env!("CARGO_PKG_VERSION"),
                config.rsrae_version
            ),
        ),
    ];
    if let Some(timings) = input.timings {
        if let Some(seconds) = timings.seconds_per_epoch {
            rows.push(("seconds per epoch".into(), format!("{seconds:.3}")));
        }
        rows.push((
            "seconds in total".into(),
            format!("{:.3}", timings.total_seconds),
        ));
    }
    rows
}

/// Returns the hyperparameter tables, architecture then training: every field of the saved
/// configuration, as `config.json` names it.
pub fn hyperparameter_tables(config: &FittedConfig) -> Result<Vec<Table>> {
    let model = serde_json::to_value(&config.model).context("cannot describe the model")?;
    let train = serde_json::to_value(&config.train).context("cannot describe the training")?;
    let mut training = object_rows(&train);
    training.push((
        "contamination".to_string(),
        config.contamination.to_string(),
    ));
    Ok(vec![
        Table {
            title: "Architecture".to_string(),
            rows: object_rows(&model),
        },
        Table {
            title: "Training".to_string(),
            rows: training,
        },
    ])
}

/// A titled table of names and values.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The heading above the table.
    pub title: String,
    /// `(name, value)` rows.
    pub rows: Vec<(String, String)>,
}

fn object_rows(value: &Value) -> Vec<(String, String)> {
    match value {
        Value::Object(fields) => fields
            .iter()
            .map(|(key, value)| (key.clone(), json_text(value)))
            .collect(),
        other => vec![("value".to_string(), json_text(other))],
    }
}

/// Plain text of a configuration value: strings unquoted, `f32` values in their shortest
/// form, and a tagged object such as `{"type": "leaky_relu", "slope": 0.01}` as
/// `leaky_relu (slope 0.01)`.
fn json_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => match (number.as_f64(), number.is_f64()) {
            (Some(v), true) if f64::from(v as f32) == v => (v as f32).to_string(),
            _ => number.to_string(),
        },
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(json_text).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(fields) => {
            let kind = fields.get("type").map(json_text);
            let rest: Vec<String> = fields
                .iter()
                .filter(|(key, _)| key.as_str() != "type")
                .map(|(key, value)| format!("{key} {}", json_text(value)))
                .collect();
            match (kind, rest.is_empty()) {
                (Some(kind), true) => kind,
                (Some(kind), false) => format!("{kind} ({})", rest.join(", ")),
                (None, _) => format!("({})", rest.join(", ")),
            }
        }
        Value::Null => "none".to_string(),
        Value::Bool(flag) => flag.to_string(),
    }
}

fn shape(n_samples: usize, n_features: usize, kind: &DataKind) -> String {
    let base = format!("{n_samples} samples × {n_features} features");
    match kind {
        DataKind::Image {
            height,
            width,
            max_value,
        } => format!("{base} ({height} × {width} images, pixel values 0 to {max_value})"),
        DataKind::Tabular => format!("{base} (tabular)"),
    }
}

fn preprocessing(preprocessor: &Preprocessor) -> String {
    match preprocessor {
        Preprocessor::Scale { max_value } => format!("pixels divided by {max_value}"),
        Preprocessor::Standardize {
            mean,
            constant_columns,
            ..
        } => format!(
            "{} columns standardized to zero mean and unit variance on the training data \
             ({} constant)",
            mean.len(),
            constant_columns.len()
        ),
        Preprocessor::Identity => "none".to_string(),
        Preprocessor::SignedUnitRows { max_value } => format!(
            "pixels mapped to [-1, 1] by x / {max_value} · 2 − 1, then each sample scaled to \
             unit L2 norm"
        ),
    }
}

fn score_kind(score: ScoreKind) -> &'static str {
    match score {
        ScoreKind::Reconstruction => "L2 reconstruction error in the preprocessed space",
        ScoreKind::Cosine => "negative cosine similarity between input and reconstruction",
        ScoreKind::Combined | ScoreKind::Auto => {
            "L2 reconstruction error plus negative cosine similarity, each standardized by \
             its median and median absolute deviation on the training rows"
        }
    }
}

fn threshold(config: &FittedConfig, scores: &ScoreFigures) -> String {
    let evaluation = &scores.evaluation;
    match config.threshold {
        Some(t) => format!(
            "{t:.6}, the {} quantile of the training scores; {} of {} samples score above it",
            ((1.0 - config.contamination) * 1e9).round() / 1e9,
            evaluation.n_flagged,
            evaluation.n_samples
        ),
        None => "none: every training score was equal, so no sample is flagged".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_text_reads_plainly() {
        assert_eq!(json_text(&json!(f64::from(0.01f32))), "0.01");
        assert_eq!(json_text(&json!(0.1)), "0.1");
        assert_eq!(json_text(&json!(64)), "64");
        assert_eq!(json_text(&json!([392, 196])), "[392, 196]");
        assert_eq!(json_text(&json!({"type": "sigmoid"})), "sigmoid");
        let leaky = json!({"type": "leaky_relu", "slope": f64::from(0.01f32)});
        assert_eq!(json_text(&leaky), "leaky_relu (slope 0.01)");
        assert_eq!(json_text(&json!(null)), "none");
        assert_eq!(json_text(&json!("per_sample")), "per_sample");
    }
}
