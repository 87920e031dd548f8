//! Evaluation of scores against known labels: the figures an analyst reads first.

use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};
use crate::metrics::{self, ScoreSummary, Undefined};

/// Mean score of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMean {
    /// The class label.
    pub class: i64,
    /// Samples of the class.
    pub count: usize,
    /// Their mean score.
    pub mean_score: f64,
}

/// One of the highest-scoring samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopScore {
    /// Row index, from 0.
    pub index: usize,
    /// The class label, when known.
    pub class: Option<i64>,
    /// The score.
    pub score: f32,
}

/// Scores summarized, with ranking metrics when outlier labels are known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Number of scored samples.
    pub n_samples: usize,
    /// Samples labelled as outliers, when labels are known.
    pub n_outliers: Option<usize>,
    /// Samples whose score exceeds the threshold.
    pub n_flagged: usize,
    /// Area under the ROC curve.
    pub roc_auc: Option<f64>,
    /// Average precision.
    pub average_precision: Option<f64>,
    /// Precision among the `n_outliers` highest scores.
    pub precision_at_n: Option<f64>,
    /// Why the ranking metrics are missing, when labels are known but they are undefined.
    pub metrics_undefined: Option<String>,
    /// Count, mean, standard deviation, minimum, quartiles and maximum of the scores.
    pub score_summary: ScoreSummary,
    /// Mean score per class, when labels are known.
    pub mean_score_per_class: Vec<ClassMean>,
    /// The ten highest scores with their classes.
    pub top_scores: Vec<TopScore>,
}

/// Samples listed in [`Evaluation::top_scores`].
pub const N_TOP_SCORES: usize = 10;

/// Turns 0/1 labels into outlier flags (1 = outlier), rejecting any other value.
pub fn outlier_flags(labels: &[i64], column: &str) -> Result<Vec<bool>> {
    match labels.iter().position(|&l| l != 0 && l != 1) {
        Some(row) => Err(DataError::Invalid(format!(
            "label column {column:?} has the value {} in data row {}; labels must be 1 for an \
             outlier and 0 for an inlier",
            labels[row],
            row + 1
        ))
        .into()),
        None => Ok(labels.iter().map(|&l| l == 1).collect()),
    }
}

/// Evaluates `scores`; `flagged` marks the samples above the threshold, `is_outlier` and
/// `classes` are the labels when known.
pub fn evaluate(
    scores: &[f32],
    flagged: &[bool],
    is_outlier: Option<&[bool]>,
    classes: Option<&[i64]>,
) -> Result<Evaluation> {
    let summary = ScoreSummary::from_scores(scores).map_err(undefined)?;
    let mut evaluation = Evaluation {
        n_samples: scores.len(),
        n_outliers: is_outlier.map(|o| o.iter().filter(|&&v| v).count()),
        n_flagged: flagged.iter().filter(|&&v| v).count(),
        roc_auc: None,
        average_precision: None,
        precision_at_n: None,
        metrics_undefined: None,
        score_summary: summary,
        mean_score_per_class: Vec::new(),
        top_scores: Vec::new(),
    };
    if let Some(labels) = is_outlier {
        match ranking_metrics(scores, labels) {
            Ok((auc, ap, pn)) => {
                evaluation.roc_auc = Some(auc);
                evaluation.average_precision = Some(ap);
                evaluation.precision_at_n = Some(pn);
            }
            Err(reason) => evaluation.metrics_undefined = Some(reason.to_string()),
        }
    }
    if let Some(classes) = classes {
        let means = metrics::mean_score_per_class(scores, classes).map_err(undefined)?;
        evaluation.mean_score_per_class = means
            .into_iter()
            .map(|(class, count, mean_score)| ClassMean {
                class,
                count,
                mean_score,
            })
            .collect();
    }
    evaluation.top_scores = top_scores(scores, classes)?;
    Ok(evaluation)
}

fn ranking_metrics(scores: &[f32], labels: &[bool]) -> Result<(f64, f64, f64), Undefined> {
    let auc = metrics::roc_auc(scores, labels)?;
    let ap = metrics::average_precision(scores, labels)?;
    let pn = metrics::precision_at_n(scores, labels)?;
    Ok((auc, ap, pn))
}

fn top_scores(scores: &[f32], classes: Option<&[i64]>) -> Result<Vec<TopScore>> {
    let placeholder;
    let labels = match classes {
        Some(c) => c,
        None => {
            placeholder = vec![0; scores.len()];
            &placeholder
        }
    };
    let top = metrics::top_classes(scores, labels, N_TOP_SCORES).map_err(undefined)?;
    Ok(top
        .into_iter()
        .map(|(index, class, score)| TopScore {
            index,
            class: classes.map(|_| class),
            score,
        })
        .collect())
}

fn undefined(reason: Undefined) -> crate::Error {
    DataError::Invalid(format!("cannot evaluate the scores: {reason}")).into()
}
