//! Evaluation metrics for outlier scores, where a higher score means more anomalous.
//!
//! [`roc_auc`] and [`average_precision`] follow scikit-learn's `roc_auc_score` and
//! `average_precision_score`, ties included. Samples are sorted by score, highest first, and
//! tied scores form one threshold. With `TP_k` and `FP_k` the true and false positives at
//! the k-th distinct threshold, `P` outliers and `N` inliers:
//!
//! - ROC AUC = Σ_k (FP_k − FP_{k−1}) (TP_k + TP_{k−1}) / (2 P N), the trapezoid rule over the
//!   ROC curve, which equals the Mann–Whitney statistic with ties counted as 1/2;
//! - AP = Σ_k (R_k − R_{k−1}) P_k, with recall R_k = TP_k / P and precision
//!   P_k = TP_k / (TP_k + FP_k), without interpolation.
//!
//! Both sums run over integer counts in `f64`. The tests compare them with scikit-learn's
//! values within 1e-12.

/// The reason a metric cannot be computed from its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Undefined {
    /// No scores at all.
    #[error("no scores: the metric needs at least one sample")]
    Empty,
    /// Scores and labels of different lengths.
    #[error("{n_scores} scores but {n_labels} labels: pass one label per score")]
    LengthMismatch {
        /// Number of scores.
        n_scores: usize,
        /// Number of labels.
        n_labels: usize,
    },
    /// Labels of a single class, which leave the ranking metrics undefined.
    #[error(
        "only one class in the labels: {n_outliers} outliers among {n_samples} samples; the \
         metric needs both outliers and inliers"
    )]
    OneClass {
        /// Number of samples labelled as outliers.
        n_outliers: usize,
        /// Number of samples.
        n_samples: usize,
    },
    /// A NaN score, which has no rank.
    #[error("the score at index {index} is NaN; scores must be numbers to be ranked")]
    NanScore {
        /// Index of the first NaN score.
        index: usize,
    },
}

/// Returns the area under the ROC curve, as scikit-learn's `roc_auc_score`.
///
/// Infinite scores rank like any other; scikit-learn rejects them.
///
/// # Errors
///
/// [`Undefined`] for empty input, lengths that differ, a NaN score, or labels of one class.
pub fn roc_auc(scores: &[f32], is_outlier: &[bool]) -> Result<f64, Undefined> {
    let counts = threshold_counts(scores, is_outlier)?;
    let (n_pos, n_neg) = both_classes(&counts, scores.len())?;

    // Twice the trapezoid area, in integer units: each group of false positives covers the
    // true positives before it plus half of those tied with it.
    let mut doubled_area = 0.0f64;
    let mut tp_before = 0usize;
    for group in &counts {
        doubled_area += group.fp as f64 * (2 * tp_before + group.tp) as f64;
        tp_before += group.tp;
    }
    Ok(doubled_area / (2.0 * n_pos as f64 * n_neg as f64))
}

/// Returns the average precision, as scikit-learn's `average_precision_score`.
///
/// Labels that are all outliers give 1, as in scikit-learn.
///
/// # Errors
///
/// [`Undefined`] for empty input, lengths that differ, a NaN score, or no outliers.
pub fn average_precision(scores: &[f32], is_outlier: &[bool]) -> Result<f64, Undefined> {
    let counts = threshold_counts(scores, is_outlier)?;
    let n_pos: usize = counts.iter().map(|g| g.tp).sum();
    if n_pos == 0 {
        return Err(Undefined::OneClass {
            n_outliers: 0,
            n_samples: scores.len(),
        });
    }

    let (mut tp, mut fp) = (0usize, 0usize);
    let mut weighted = 0.0f64;
    for group in &counts {
        tp += group.tp;
        fp += group.fp;
        weighted += group.tp as f64 * (tp as f64 / (tp + fp) as f64);
    }
    Ok(weighted / n_pos as f64)
}

/// Returns the precision among the `n` highest scores, where `n` is the number of outliers.
///
/// Ties at the cut are broken by a stable sort: by score, highest first, then by index,
/// lowest first. This equals `y[np.argsort(-s, kind="stable")[:n]].mean()` in NumPy.
///
/// # Errors
///
/// [`Undefined`] for empty input, lengths that differ, a NaN score, or no outliers.
pub fn precision_at_n(scores: &[f32], is_outlier: &[bool]) -> Result<f64, Undefined> {
    check_inputs(scores, is_outlier.len())?;
    let n = is_outlier.iter().filter(|&&o| o).count();
    if n == 0 {
        return Err(Undefined::OneClass {
            n_outliers: 0,
            n_samples: scores.len(),
        });
    }
    let hits = ranking(scores)
        .iter()
        .take(n)
        .filter(|&&i| is_outlier[i])
        .count();
    Ok(hits as f64 / n as f64)
}

/// Returns the ROC curve as `(false positive rate, true positive rate)` points: `(0, 0)`, then
/// one point per distinct score, highest first.
///
/// These are scikit-learn's `roc_curve(..., drop_intermediate=False)` points, whose trapezoid
/// area is [`roc_auc`].
///
/// # Errors
///
/// [`Undefined`] for empty input, lengths that differ, a NaN score, or labels of one class.
pub fn roc_curve(scores: &[f32], is_outlier: &[bool]) -> Result<Vec<(f64, f64)>, Undefined> {
    let counts = threshold_counts(scores, is_outlier)?;
    let (n_pos, n_neg) = both_classes(&counts, scores.len())?;

    let mut points = Vec::with_capacity(counts.len() + 1);
    points.push((0.0, 0.0));
    let (mut tp, mut fp) = (0usize, 0usize);
    for group in &counts {
        tp += group.tp;
        fp += group.fp;
        points.push((fp as f64 / n_neg as f64, tp as f64 / n_pos as f64));
    }
    Ok(points)
}

/// Returns the precision-recall curve as `(recall, precision)` points: `(0, 1)`, then one
/// point per distinct score, highest first.
///
/// These are scikit-learn's `precision_recall_curve(..., drop_intermediate=False)` points in
/// reverse order. [`average_precision`] is the area under the step function that holds each
/// point's precision over the recall interval ending at that point.
///
/// # Errors
///
/// [`Undefined`] for empty input, lengths that differ, a NaN score, or no outliers.
pub fn precision_recall_curve(
    scores: &[f32],
    is_outlier: &[bool],
) -> Result<Vec<(f64, f64)>, Undefined> {
    let counts = threshold_counts(scores, is_outlier)?;
    let n_pos: usize = counts.iter().map(|g| g.tp).sum();
    if n_pos == 0 {
        return Err(Undefined::OneClass {
            n_outliers: 0,
            n_samples: scores.len(),
        });
    }

    let mut points = Vec::with_capacity(counts.len() + 1);
    points.push((0.0, 1.0));
    let (mut tp, mut fp) = (0usize, 0usize);
    for group in &counts {
        tp += group.tp;
        fp += group.fp;
        points.push((tp as f64 / n_pos as f64, tp as f64 / (tp + fp) as f64));
    }
    Ok(points)
}

/// Returns the `q`-quantile of `scores` with linear interpolation, NumPy's default method.
///
/// Returns NaN for empty scores, scores that contain NaN, or `q` outside `[0, 1]`.
pub fn quantile(scores: &[f32], q: f64) -> f32 {
    if scores.is_empty() || !(0.0..=1.0).contains(&q) || scores.iter().any(|s| s.is_nan()) {
        return f32::NAN;
    }
    let mut sorted = scores.to_vec();
    sorted.sort_by(f32::total_cmp);
    sorted_quantile(&sorted, q) as f32
}

/// Summary statistics of a set of scores, as pandas' `describe`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScoreSummary {
    /// Number of scores.
    pub count: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (divisor `count − 1`, as pandas), 0 for a single score.
    pub std: f64,
    /// Smallest score.
    pub min: f64,
    /// First quartile, by linear interpolation.
    pub q1: f64,
    /// Median, by linear interpolation.
    pub median: f64,
    /// Third quartile, by linear interpolation.
    pub q3: f64,
    /// Largest score.
    pub max: f64,
}

impl ScoreSummary {
    /// Computes the summary in `f64`.
    ///
    /// A single score gets `std` 0, where pandas reports NaN, so that every summary
    /// serializes to JSON numbers.
    ///
    /// # Errors
    ///
    /// [`Undefined::Empty`] for no scores and [`Undefined::NanScore`] for a NaN score.
    pub fn from_scores(scores: &[f32]) -> Result<Self, Undefined> {
        check_inputs(scores, scores.len())?;
        let mut sorted: Vec<f64> = scores.iter().map(|&s| f64::from(s)).collect();
        sorted.sort_by(f64::total_cmp);

        let count = sorted.len();
        let mean = sorted.iter().sum::<f64>() / count as f64;
        let std = if count > 1 {
            let squares: f64 = sorted.iter().map(|v| (v - mean) * (v - mean)).sum();
            (squares / (count - 1) as f64).sqrt()
        } else {
            0.0
        };
        Ok(ScoreSummary {
            count,
            mean,
            std,
            min: sorted[0],
            q1: sorted_quantile(&sorted, 0.25),
            median: sorted_quantile(&sorted, 0.5),
            q3: sorted_quantile(&sorted, 0.75),
            max: sorted[count - 1],
        })
    }
}

/// Returns `(class, count, mean score)` for each class in `labels`, sorted by class.
///
/// # Errors
///
/// [`Undefined`] for lengths that differ or a NaN score. Empty input gives an empty list.
pub fn mean_score_per_class(
    scores: &[f32],
    labels: &[i64],
) -> Result<Vec<(i64, usize, f64)>, Undefined> {
    if !scores.is_empty() {
        check_inputs(scores, labels.len())?;
    } else if !labels.is_empty() {
        return Err(Undefined::LengthMismatch {
            n_scores: 0,
            n_labels: labels.len(),
        });
    }
    let mut sums = std::collections::BTreeMap::<i64, (usize, f64)>::new();
    for (&score, &class) in scores.iter().zip(labels) {
        let entry = sums.entry(class).or_insert((0, 0.0));
        entry.0 += 1;
        entry.1 += f64::from(score);
    }
    Ok(sums
        .into_iter()
        .map(|(class, (n, sum))| (class, n, sum / n as f64))
        .collect())
}

/// Returns `(index, class, score)` of the `k` highest scores, highest first, with ties
/// broken by index. Fewer than `k` entries come back when there are fewer samples.
///
/// # Errors
///
/// [`Undefined`] for empty input, lengths that differ or a NaN score.
pub fn top_classes(
    scores: &[f32],
    labels: &[i64],
    k: usize,
) -> Result<Vec<(usize, i64, f32)>, Undefined> {
    check_inputs(scores, labels.len())?;
    let top = ranking(scores).into_iter().take(k);
    Ok(top.map(|i| (i, labels[i], scores[i])).collect())
}

/// True and false positives that share one score.
#[derive(Debug, Clone, Copy)]
struct Group {
    tp: usize,
    fp: usize,
}

/// Groups the samples by distinct score, highest first, counting outliers and inliers.
fn threshold_counts(scores: &[f32], is_outlier: &[bool]) -> Result<Vec<Group>, Undefined> {
    check_inputs(scores, is_outlier.len())?;
    let order = ranking(scores);
    let mut groups: Vec<Group> = Vec::new();
    let mut previous: Option<f32> = None;
    for i in order {
        // -0.0 and 0.0 compare equal, so they share a threshold as in NumPy.
        if previous != Some(scores[i]) {
            groups.push(Group { tp: 0, fp: 0 });
            previous = Some(scores[i]);
        }
        if let Some(group) = groups.last_mut() {
            if is_outlier[i] {
                group.tp += 1;
            } else {
                group.fp += 1;
            }
        }
    }
    Ok(groups)
}

/// Returns `(n_outliers, n_inliers)`, rejecting labels of one class.
fn both_classes(counts: &[Group], n_samples: usize) -> Result<(usize, usize), Undefined> {
    let n_pos: usize = counts.iter().map(|g| g.tp).sum();
    let n_neg = n_samples - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return Err(Undefined::OneClass {
            n_outliers: n_pos,
            n_samples,
        });
    }
    Ok((n_pos, n_neg))
}

/// Rejects empty scores, a label count that differs, and NaN scores.
fn check_inputs(scores: &[f32], n_labels: usize) -> Result<(), Undefined> {
    if scores.len() != n_labels {
        return Err(Undefined::LengthMismatch {
            n_scores: scores.len(),
            n_labels,
        });
    }
    if scores.is_empty() {
        return Err(Undefined::Empty);
    }
    if let Some(index) = scores.iter().position(|s| s.is_nan()) {
        return Err(Undefined::NanScore { index });
    }
    Ok(())
}

/// Returns the indices sorted by score, highest first, ties by index; scores hold no NaN.
fn ranking(scores: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    // A stable sort keeps tied scores in index order; partial_cmp orders -0.0 and 0.0 equal.
    order.sort_by(|&a, &b| {
        scores[b]
            .partial_cmp(&scores[a])
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    order
}

/// Linear interpolation between the closest ranks, NumPy's default; `sorted` is ascending
/// and not empty, and `q` is in `[0, 1]`.
fn sorted_quantile<T: Copy + Into<f64>>(sorted: &[T], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let fraction = position - below as f64;
    let (low, high) = (sorted[below].into(), sorted[above].into());
    // NumPy's lerp form, which returns `high` exactly when the fraction is 1.
    if fraction >= 0.5 {
        high - (high - low) * (1.0 - fraction)
    } else {
        low + (high - low) * fraction
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    /// Tolerance against the scikit-learn values, which sum in a different order.
    const TOL: f64 = 1e-12;

    fn labels(bits: &[u8]) -> Vec<bool> {
        bits.iter().map(|&b| b == 1).collect()
    }

    // Reference values from scikit-learn 1.9.1 and NumPy 2.4.6:
    //
    // import numpy as np
    // from sklearn.metrics import roc_auc_score, average_precision_score
    // cases = {
    //     "ties": ([0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.1, 0.9], [0, 1, 0, 1, 0, 1, 1, 0]),
    //     "all_tied": ([0.5] * 6, [0, 1, 0, 1, 1, 0]),
    //     "perfect": ([0.9, 0.8, 0.3, 0.2, 0.1], [1, 1, 0, 0, 0]),
    //     "inverted": ([0.1, 0.2, 0.7, 0.8], [1, 1, 0, 0]),
    // }
    // for name, (s, y) in cases.items():
    //     s = np.asarray(s, dtype=np.float32)
    //     print(name, repr(roc_auc_score(y, s)), repr(average_precision_score(y, s)))
    //
    // ties 0.53125 0.55
    // all_tied 0.5 0.5
    // perfect 1.0 1.0
    // inverted 0.0 0.41666666666666663
    #[test]
    fn auc_and_ap_match_sklearn_small_cases() {
        let cases: [(&[f32], &[u8], f64, f64); 4] = [
            (
                &[0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.1, 0.9],
                &[0, 1, 0, 1, 0, 1, 1, 0],
                0.53125,
                0.55,
            ),
            (&[0.5; 6], &[0, 1, 0, 1, 1, 0], 0.5, 0.5),
            (&[0.9, 0.8, 0.3, 0.2, 0.1], &[1, 1, 0, 0, 0], 1.0, 1.0),
            (
                &[0.1, 0.2, 0.7, 0.8],
                &[1, 1, 0, 0],
                0.0,
                0.41666666666666663,
            ),
        ];
        for (scores, bits, auc, ap) in cases {
            let y = labels(bits);
            assert_abs_diff_eq!(roc_auc(scores, &y).unwrap(), auc, epsilon = TOL);
            assert_abs_diff_eq!(average_precision(scores, &y).unwrap(), ap, epsilon = TOL);
        }
    }

    // Reference points from scikit-learn 1.9.1 and NumPy 2.4.6, on the "ties" case above:
    //
    // from sklearn.metrics import roc_curve, precision_recall_curve
    // fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    // p, r, _ = precision_recall_curve(y, s, drop_intermediate=False)
    // print(fpr, tpr, r[::-1], p[::-1])
    //
    // fpr [0, 0.25, 0.25, 0.5, 0.75, 1], tpr [0, 0, 0.25, 0.75, 0.75, 1]
    // recall [0, 0, 0.25, 0.75, 0.75, 1], precision [1, 0, 0.5, 0.6, 0.5, 0.5]
    #[test]
    fn curves_match_sklearn_with_ties() {
        let scores = [0.1f32, 0.4, 0.35, 0.8, 0.4, 0.4, 0.1, 0.9];
        let y = labels(&[0, 1, 0, 1, 0, 1, 1, 0]);
        let roc = roc_curve(&scores, &y).unwrap();
        let fpr = [0.0, 0.25, 0.25, 0.5, 0.75, 1.0];
        let tpr = [0.0, 0.0, 0.25, 0.75, 0.75, 1.0];
        assert_eq!(roc.len(), fpr.len());
        for (i, &(x, y)) in roc.iter().enumerate() {
            assert_abs_diff_eq!(x, fpr[i], epsilon = TOL);
            assert_abs_diff_eq!(y, tpr[i], epsilon = TOL);
        }
        let pr = precision_recall_curve(&scores, &y).unwrap();
        let recall = [0.0, 0.0, 0.25, 0.75, 0.75, 1.0];
        let precision = [1.0, 0.0, 0.5, 0.6, 0.5, 0.5];
        assert_eq!(pr.len(), recall.len());
        for (i, &(r, p)) in pr.iter().enumerate() {
            assert_abs_diff_eq!(r, recall[i], epsilon = TOL);
            assert_abs_diff_eq!(p, precision[i], epsilon = TOL);
        }
    }

    #[test]
    fn curve_areas_equal_auc_and_ap() {
        let y = labels(&LABELS_50);
        let roc = roc_curve(&SCORES_50, &y).unwrap();
        let trapezoids: f64 = roc
            .windows(2)
            .map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0)
            .sum();
        assert_abs_diff_eq!(trapezoids, roc_auc(&SCORES_50, &y).unwrap(), epsilon = TOL);
        let pr = precision_recall_curve(&SCORES_50, &y).unwrap();
        let steps: f64 = pr.windows(2).map(|w| (w[1].0 - w[0].0) * w[1].1).sum();
        let ap = average_precision(&SCORES_50, &y).unwrap();
        assert_abs_diff_eq!(steps, ap, epsilon = TOL);
    }

    #[test]
    fn curves_undefined_for_one_class() {
        let scores = [0.3f32, 0.1, 0.2];
        assert!(roc_curve(&scores, &[false; 3]).is_err());
        assert!(roc_curve(&scores, &[true; 3]).is_err());
        assert!(precision_recall_curve(&scores, &[false; 3]).is_err());
        let all_outliers = precision_recall_curve(&scores, &[true; 3]).unwrap();
        assert_eq!(all_outliers.len(), 4);
    }

    const SCORES_50: [f32; 50] = [
        0.63, 0.90, 0.78, 0.23, 0.30, 0.87, 0.01, 0.82, 0.80, 0.47, 0.30, 0.28, 0.25, 0.45, 0.50,
        0.55, 1.00, 0.79, 0.62, 0.99, 0.22, 0.16, 0.61, 0.04, 0.04, 0.51, 0.47, 0.92, 0.63, 0.51,
        0.50, 0.25, 0.01, 0.19, 0.69, 0.20, 0.37, 0.00, 0.83, 0.15, 0.27, 0.88, 0.51, 0.85, 0.64,
        0.74, 0.09, 0.54, 0.51, 0.87,
    ];
    const LABELS_50: [u8; 50] = [
        0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1,
        1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 1,
    ];

    // The 50 values above were drawn once, with scores rounded to 2 decimals so that ties occur:
    //
    // rng = np.random.default_rng(7)
    // s = np.round(rng.random(50), 2)
    // y = (rng.random(50) < 0.3).astype(int)
    //
    // Reference values from scikit-learn 1.9.1 and NumPy 2.4.6:
    //
    // import numpy as np
    // from sklearn.metrics import roc_auc_score, average_precision_score
    // s = np.array([...SCORES_50...], dtype=np.float32)
    // y = np.array([...LABELS_50...])
    // top = np.argsort(-s, kind="stable")[: y.sum()]
    // print(repr(roc_auc_score(y, s)), repr(average_precision_score(y, s)), repr(y[top].mean()))
    // d = s.astype(np.float64)
    // print(repr(d.mean()), repr(d.std(ddof=1)),
    //       [repr(np.quantile(d, q)) for q in (0.25, 0.5, 0.75, 0.9)])
    //
    // 0.500952380952381 0.34247894178573657 np.float64(0.3333333333333333)
    // np.float64(0.4948000008612871) np.float64(0.29389183061755664) ['np.float64(0.25)',
    //   'np.float64(0.5099999904632568)', 'np.float64(0.7699999809265137)',
    //   'np.float64(0.8710000038146973)']
    #[test]
    fn metrics_match_reference_on_50_values() {
        let y = labels(&LABELS_50);
        assert_abs_diff_eq!(
            roc_auc(&SCORES_50, &y).unwrap(),
            0.500952380952381,
            epsilon = TOL
        );
        let ap = average_precision(&SCORES_50, &y).unwrap();
        assert_abs_diff_eq!(ap, 0.34247894178573657, epsilon = TOL);
        let precision = precision_at_n(&SCORES_50, &y).unwrap();
        assert_abs_diff_eq!(precision, 0.3333333333333333, epsilon = TOL);
    }

    #[test]
    fn summary_matches_reference_on_50_values() {
        let summary = ScoreSummary::from_scores(&SCORES_50).unwrap();
        assert_eq!(summary.count, 50);
        assert_abs_diff_eq!(summary.mean, 0.4948000008612871, epsilon = TOL);
        assert_abs_diff_eq!(summary.std, 0.29389183061755664, epsilon = TOL);
        assert_abs_diff_eq!(summary.min, 0.0, epsilon = TOL);
        assert_abs_diff_eq!(summary.q1, 0.25, epsilon = TOL);
        assert_abs_diff_eq!(summary.median, 0.5099999904632568, epsilon = TOL);
        assert_abs_diff_eq!(summary.q3, 0.7699999809265137, epsilon = TOL);
        assert_abs_diff_eq!(summary.max, 1.0, epsilon = TOL);
        assert_eq!(quantile(&SCORES_50, 0.9), 0.8710000038146973f64 as f32);
    }

    #[test]
    fn auc_is_mann_whitney_with_half_ties() {
        // Brute force over all outlier-inlier pairs: 1 if the outlier scores higher, 1/2 on ties.
        let y = labels(&LABELS_50);
        let mut wins = 0.0;
        let mut pairs = 0.0;
        for (&outlier_score, _) in SCORES_50.iter().zip(&y).filter(|(_, &o)| o) {
            for (&inlier_score, _) in SCORES_50.iter().zip(&y).filter(|(_, &o)| !o) {
                wins += match outlier_score.partial_cmp(&inlier_score) {
                    Some(std::cmp::Ordering::Greater) => 1.0,
                    Some(std::cmp::Ordering::Equal) => 0.5,
                    _ => 0.0,
                };
                pairs += 1.0;
            }
        }
        assert_abs_diff_eq!(
            roc_auc(&SCORES_50, &y).unwrap(),
            wins / pairs,
            epsilon = TOL
        );
    }

    #[test]
    fn metrics_undefined_for_one_class_or_empty() {
        let scores = [0.3f32, 0.1, 0.2];
        let all_inliers = [false; 3];
        let all_outliers = [true; 3];
        let one_class = Undefined::OneClass {
            n_outliers: 0,
            n_samples: 3,
        };
        assert_eq!(roc_auc(&scores, &all_inliers), Err(one_class.clone()));
        assert_eq!(
            average_precision(&scores, &all_inliers),
            Err(one_class.clone())
        );
        assert_eq!(precision_at_n(&scores, &all_inliers), Err(one_class));
        let all_one = Undefined::OneClass {
            n_outliers: 3,
            n_samples: 3,
        };
        assert_eq!(roc_auc(&scores, &all_outliers), Err(all_one));
        assert_eq!(roc_auc(&[], &[]), Err(Undefined::Empty));
        assert_eq!(average_precision(&[], &[]), Err(Undefined::Empty));
        assert_eq!(precision_at_n(&[], &[]), Err(Undefined::Empty));
    }

    #[test]
    fn ap_and_precision_defined_when_all_outliers() {
        // scikit-learn: average_precision_score([1, 1, 1], [0.1, 0.2, 0.3]) == 1.0
        let scores = [0.1f32, 0.2, 0.3];
        assert_eq!(average_precision(&scores, &[true; 3]), Ok(1.0));
        assert_eq!(precision_at_n(&scores, &[true; 3]), Ok(1.0));
    }

    #[test]
    fn undefined_message_names_counts() {
        let text = roc_auc(&[0.5; 100], &[false; 100]).unwrap_err().to_string();
        assert!(text.contains("0 outliers among 100 samples"), "{text}");
    }

    #[test]
    fn bad_inputs_rejected() {
        let mismatch = Undefined::LengthMismatch {
            n_scores: 2,
            n_labels: 3,
        };
        assert_eq!(roc_auc(&[0.1, 0.2], &[true, false, true]), Err(mismatch));
        let nan = roc_auc(&[0.1, f32::NAN, 0.3], &[true, false, true]);
        assert_eq!(nan, Err(Undefined::NanScore { index: 1 }));
        assert_eq!(ScoreSummary::from_scores(&[]), Err(Undefined::Empty));
        assert!(mean_score_per_class(&[0.1], &[1, 2]).is_err());
        assert!(top_classes(&[0.1, 0.2], &[1], 1).is_err());
    }

    #[test]
    fn infinite_scores_rank_first() {
        let scores = [0.2f32, f32::INFINITY, 0.1, f32::NEG_INFINITY];
        let y = labels(&[0, 1, 0, 0]);
        assert_eq!(roc_auc(&scores, &y), Ok(1.0));
    }

    #[test]
    fn precision_at_n_breaks_ties_by_index() {
        // Two outliers; the top two are 0.9 at index 3, then the first 0.5 (index 0, inlier).
        let scores = [0.5f32, 0.5, 0.1, 0.9];
        let y = labels(&[0, 1, 0, 1]);
        assert_eq!(precision_at_n(&scores, &y), Ok(0.5));
        let y = labels(&[1, 0, 0, 1]);
        assert_eq!(precision_at_n(&scores, &y), Ok(1.0));
    }

    #[test]
    fn quantile_interpolates_like_numpy() {
        // np.quantile([1, 2, 4, 8], [0, 0.1, 0.5, 2/3, 1]) -> 1.0, 1.3, 3.0, 4.0..., 8.0
        let scores = [8.0f32, 1.0, 4.0, 2.0];
        assert_eq!(quantile(&scores, 0.0), 1.0);
        assert_abs_diff_eq!(quantile(&scores, 0.1), 1.3, epsilon = 1e-6);
        assert_eq!(quantile(&scores, 0.5), 3.0);
        assert_eq!(quantile(&scores, 1.0), 8.0);
        assert_eq!(quantile(&[5.0], 0.3), 5.0);
        assert!(quantile(&[], 0.5).is_nan());
        assert!(quantile(&scores, 1.5).is_nan());
        assert!(quantile(&[1.0, f32::NAN], 0.5).is_nan());
    }

    #[test]
    fn summary_of_one_score_has_zero_std() {
        let summary = ScoreSummary::from_scores(&[2.5]).unwrap();
        assert_eq!(summary.std, 0.0);
        assert_eq!((summary.min, summary.median, summary.max), (2.5, 2.5, 2.5));
        let json = serde_json::to_string(&summary).unwrap();
        let back: ScoreSummary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, summary);
    }

    #[test]
    fn mean_score_per_class_sorted_by_class() {
        let scores = [1.0f32, 2.0, 3.0, 5.0, 7.0];
        let classes = [4, -1, 4, 0, -1];
        let means = mean_score_per_class(&scores, &classes).unwrap();
        assert_eq!(means, vec![(-1, 2, 4.5), (0, 1, 5.0), (4, 2, 2.0)]);
        assert_eq!(mean_score_per_class(&[], &[]), Ok(vec![]));
    }

    #[test]
    fn top_classes_stable_on_ties() {
        let scores = [0.3f32, 0.9, 0.3, 0.1, 0.9];
        let classes = [10, 11, 12, 13, 14];
        let top = top_classes(&scores, &classes, 3).unwrap();
        assert_eq!(top, vec![(1, 11, 0.9), (4, 14, 0.9), (0, 10, 0.3)]);
        assert_eq!(top_classes(&scores, &classes, 10).unwrap().len(), 5);
    }
}
