//! Score histograms, the score summary, and the ROC and precision-recall curves.

use anyhow::Result;
use rsrae::evaluate::{self, Evaluation};
use rsrae::metrics;

use super::histogram::Bins;
use super::{Groups, ReportInput};

/// Classes drawn as separate histograms; past this many, the rest are left out.
pub const MAX_CLASS_HISTOGRAMS: usize = 12;

/// Points a curve is drawn through; longer curves are thinned evenly.
pub const MAX_CURVE_POINTS: usize = 2000;

/// A histogram of the scores of some rows.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupHistogram {
    /// Name of the rows counted: "all samples" or a group name.
    pub name: String,
    /// The group's palette index from [`Groups::colours`]; 0 for all samples.
    pub colour: usize,
    /// Rows counted.
    pub n_rows: usize,
    /// Rows per bin.
    pub counts: Vec<usize>,
}

/// The score distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreFigures {
    /// Bins shared by every histogram, spanning the scores and the threshold.
    pub bins: Bins,
    /// The histogram of every score.
    pub all: GroupHistogram,
    /// One histogram per group, when the rows have class labels.
    pub per_class: Vec<GroupHistogram>,
    /// Classes left out of `per_class`.
    pub n_classes_left_out: usize,
    /// The outlier threshold, when the model has one.
    pub threshold: Option<f64>,
    /// Summary statistics, ranking metrics and mean score per class.
    pub evaluation: Evaluation,
}

impl ScoreFigures {
    /// Bins the scores of `input`, overall and per class.
    pub fn build(input: &ReportInput<'_>, flags: &[bool], groups: &Groups) -> Result<Self> {
        let scores = input.scores;
        let threshold = input.model.threshold();
        let labels = input.data.labels.as_deref();
        let evaluation = evaluate::evaluate(scores, flags, input.is_outlier, labels)?;

        let mut span: Vec<f32> = scores.to_vec();
        span.extend(threshold.map(|t| t as f32));
        let bins = Bins::spanning(&span).unwrap_or(Bins {
            low: 0.0,
            width: 1.0,
        });
        let all = GroupHistogram {
            name: "all samples".to_string(),
            colour: 0,
            n_rows: scores.len(),
            counts: bins.count(scores.iter().copied()),
        };
        let mut per_class = Vec::new();
        if labels.is_some() {
            for (group, name) in groups.names.iter().enumerate().take(MAX_CLASS_HISTOGRAMS) {
                let rows = scores
                    .iter()
                    .zip(&groups.of_row)
                    .filter(|(_, &g)| g == group);
                let members: Vec<f32> = rows.map(|(&s, _)| s).collect();
                per_class.push(GroupHistogram {
                    name: name.clone(),
                    colour: groups.colours[group],
                    n_rows: members.len(),
                    counts: bins.count(members),
                });
            }
        }
        let n_classes_left_out = if labels.is_some() {
            groups.names.len().saturating_sub(MAX_CLASS_HISTOGRAMS)
        } else {
            0
        };
        Ok(ScoreFigures {
            bins,
            all,
            per_class,
            n_classes_left_out,
            threshold,
            evaluation,
        })
    }
}

/// The ranking curves, for data with outlier labels.
#[derive(Debug, Clone, PartialEq)]
pub struct RankingFigures {
    /// `(false positive rate, true positive rate)` points.
    pub roc: Vec<(f64, f64)>,
    /// `(recall, precision)` points.
    pub precision_recall: Vec<(f64, f64)>,
    /// Whether either curve was thinned to [`MAX_CURVE_POINTS`] points for drawing.
    pub thinned: bool,
    /// Area under the ROC curve.
    pub roc_auc: f64,
    /// Average precision.
    pub average_precision: f64,
    /// Fraction of outliers, the precision of a random ranking.
    pub outlier_fraction: f64,
}

impl RankingFigures {
    /// Computes the curves, or returns why they are undefined.
    pub fn build(input: &ReportInput<'_>) -> Result<Self, String> {
        let Some(is_outlier) = input.is_outlier else {
            return Err(
                "the data has no outlier labels; for a CSV file, pass --label-column with a \
                 column of 1 for outliers and 0 for inliers to see ROC and precision-recall \
                 curves"
                    .to_string(),
            );
        };
        let scores = input.scores;
        let roc = metrics::roc_curve(scores, is_outlier).map_err(|e| e.to_string())?;
        let precision_recall =
            metrics::precision_recall_curve(scores, is_outlier).map_err(|e| e.to_string())?;
        let roc_auc = metrics::roc_auc(scores, is_outlier).map_err(|e| e.to_string())?;
        let average_precision =
            metrics::average_precision(scores, is_outlier).map_err(|e| e.to_string())?;
        let n_outliers = is_outlier.iter().filter(|&&o| o).count();
        let thinned = roc.len() > MAX_CURVE_POINTS || precision_recall.len() > MAX_CURVE_POINTS;
        Ok(RankingFigures {
            roc: thin(roc, MAX_CURVE_POINTS),
            precision_recall: thin(precision_recall, MAX_CURVE_POINTS),
            thinned,
            roc_auc,
            average_precision,
            outlier_fraction: n_outliers as f64 / scores.len() as f64,
        })
    }
}

/// Keeps at most `max` points, evenly spaced, always keeping the first and the last.
fn thin(points: Vec<(f64, f64)>, max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max || max < 2 {
        return points;
    }
    let last = points.len() - 1;
    (0..max).map(|k| points[k * last / (max - 1)]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thin_keeps_ends_and_count() {
        let points: Vec<(f64, f64)> = (0..10_001).map(|i| (i as f64, 0.0)).collect();
        let thinned = thin(points, 2000);
        assert_eq!(thinned.len(), 2000);
        assert_eq!(thinned[0].0, 0.0);
        assert_eq!(thinned[1999].0, 10_000.0);
        assert!(thinned.windows(2).all(|w| w[0].0 < w[1].0));
        let short = vec![(0.0, 0.0), (1.0, 1.0)];
        assert_eq!(thin(short.clone(), 2000), short);
    }
}
