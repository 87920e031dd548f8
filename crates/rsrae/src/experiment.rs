//! The paper's evaluation protocol, run with any method of this crate.
//!
//! Transductive: a model is fitted on a contaminated set and scores the same set. For an
//! inlier class `k`, the set holds every sample of class `k` (in file order) followed by
//! the first `⌊n_pure · c⌋` samples of the other classes in file order, where `c` is the
//! number of outliers per inlier (`n_pure` is 1000 for the Fashion-MNIST test split, 360
//! for 20 Newsgroups). ROC AUC and average precision are computed with outliers as the
//! positive class.

use std::ops::ControlFlow;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{DataError, Result};
use crate::metrics;
use crate::pca::Pca;
use crate::preprocess::{PreprocessKind, Preprocessor};
use crate::train::gather_rows;
use crate::{Recipe, RsraeParams};

/// A method compared in the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// An RSR autoencoder trained with a recipe.
    Rsrae(Recipe),
    /// The paper's network without the RSR layer, trained on the reconstruction loss alone
    /// with RSRAE+'s optimizer, scored by `−cos(x, x̂)`.
    Autoencoder,
    /// PCA with 10 components (the paper's `d`) on the paper's preprocessing, scored by
    /// the residual norm.
    Pca,
}

impl Method {
    /// The name used on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Method::Rsrae(Recipe::Default) => "default",
            Method::Rsrae(Recipe::Blog) => "blog",
            Method::Rsrae(Recipe::Paper) => "paper",
            Method::Rsrae(Recipe::PaperPlus) => "paper-plus",
            Method::Autoencoder => "ae",
            Method::Pca => "pca",
        }
    }
}

/// Components of the PCA baseline.
pub const PCA_COMPONENTS: usize = 10;

/// One contaminated set of the protocol.
#[derive(Debug, Clone)]
pub struct ProtocolSet {
    /// The data: the inliers first, then the outliers.
    pub data: Dataset,
    /// Outlier flag per row.
    pub is_outlier: Vec<bool>,
}

/// Builds the set for inlier class `inlier` with `⌊n_pure · c⌋` outliers.
pub fn protocol_set(source: &Dataset, inlier: i64, c: f64, n_pure: usize) -> Result<ProtocolSet> {
    let labels = source.labels.as_deref().ok_or_else(|| {
        DataError::Invalid("the protocol needs class labels, and the data has none".into())
    })?;
    let n_outliers = (n_pure as f64 * c).floor() as usize;
    let inliers = (0..labels.len()).filter(|&i| labels[i] == inlier);
    let outliers: Vec<usize> = (0..labels.len())
        .filter(|&i| labels[i] != inlier)
        .take(n_outliers)
        .collect();
    if outliers.len() < n_outliers {
        return Err(DataError::Invalid(format!(
            "c = {c} asks for {n_outliers} outliers but only {} samples are outside class {inlier}",
            outliers.len()
        ))
        .into());
    }
    let rows: Vec<usize> = inliers.chain(outliers.iter().copied()).collect();
    let is_outlier = rows.iter().map(|&r| labels[r] != inlier).collect();
    let data = select_rows(source, labels, &rows);
    Ok(ProtocolSet { data, is_outlier })
}

/// Copies the `rows` of `source`, in that order, with their `labels`.
fn select_rows(source: &Dataset, labels: &[i64], rows: &[usize]) -> Dataset {
    let width = source.n_features;
    let mut features = vec![0.0f32; rows.len() * width];
    gather_rows(&source.features, width, rows, &mut features);
    Dataset {
        features,
        n_samples: rows.len(),
        n_features: width,
        feature_names: source.feature_names.clone(),
        labels: Some(rows.iter().map(|&r| labels[r]).collect()),
        kind: source.kind.clone(),
    }
}

/// Reorders rows stored class after class so that classes alternate: the first row of each
/// class in class order, then the second of each, and so on, each class keeping its own
/// order.
///
/// The protocol takes the first outliers in file order. In a file grouped by class, such as
/// the 20 Newsgroups documents, those would all come from one class. Interleaved, they mix
/// every other class, as in the shuffled Fashion-MNIST test split. Rows without labels stay
/// as they are.
pub fn interleave_classes(source: &Dataset) -> Dataset {
    let Some(labels) = source.labels.as_deref() else {
        return source.clone();
    };
    let mut rank_in_class = vec![0usize; labels.len()];
    let mut seen = std::collections::HashMap::new();
    for (rank, label) in rank_in_class.iter_mut().zip(labels) {
        let count = seen.entry(*label).or_insert(0usize);
        *rank = *count;
        *count += 1;
    }
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by_key(|&i| (rank_in_class[i], labels[i]));
    select_rows(source, labels, &order)
}

/// The outcome of one method on one set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// ROC AUC.
    pub roc_auc: f64,
    /// Average precision.
    pub average_precision: f64,
    /// Wall-clock seconds to fit and score.
    pub seconds: f64,
}

/// Fits `method` on the set and scores the same set; `epochs` overrides the recipe's.
pub fn run(
    set: &ProtocolSet,
    method: Method,
    seed: u64,
    epochs: Option<usize>,
) -> Result<RunResult> {
    let start = Instant::now();
    let scores = match method {
        Method::Pca => {
            let pre = Preprocessor::fit(&set.data, PreprocessKind::Paper);
            let x = pre.apply(&set.data.features, set.data.n_features);
            Pca::fit(&x, set.data.n_features, PCA_COMPONENTS)?.residual_norms(&x)
        }
        Method::Rsrae(recipe) => fit_scores(RsraeParams::new(recipe), set, seed, epochs)?,
        Method::Autoencoder => {
            let mut params = RsraeParams::new(Recipe::PaperPlus);
            params.rsr_layer = false;
            fit_scores(params, set, seed, epochs)?
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let undefined = |e: metrics::Undefined| DataError::Invalid(e.to_string());
    Ok(RunResult {
        roc_auc: metrics::roc_auc(&scores, &set.is_outlier).map_err(undefined)?,
        average_precision: metrics::average_precision(&scores, &set.is_outlier)
            .map_err(undefined)?,
        seconds,
    })
}

fn fit_scores(
    mut params: RsraeParams,
    set: &ProtocolSet,
    seed: u64,
    epochs: Option<usize>,
) -> Result<Vec<f32>> {
    params.seed = seed;
    if epochs.is_some() {
        params.epochs = epochs;
    }
    let outcome = params.fit(&set.data, &mut |_| ControlFlow::Continue(()))?;
    Ok(outcome.training_scores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DataKind;

    fn labelled(labels: &[i64]) -> Dataset {
        Dataset {
            features: labels.iter().map(|&l| l as f32).collect(),
            n_samples: labels.len(),
            n_features: 1,
            feature_names: vec!["f0".into()],
            labels: Some(labels.to_vec()),
            kind: DataKind::Tabular,
        }
    }

    #[test]
    fn set_takes_all_inliers_then_first_outliers_in_file_order() {
        let source = labelled(&[2, 0, 1, 0, 3, 0, 1, 2]);
        let set = protocol_set(&source, 0, 0.5, 6).unwrap();
        assert_eq!(set.data.labels.as_deref(), Some(&[0, 0, 0, 2, 1, 3][..]));
        assert_eq!(set.is_outlier, [false, false, false, true, true, true]);
        assert_eq!(set.data.features, [0.0, 0.0, 0.0, 2.0, 1.0, 3.0]);
    }

    #[test]
    fn interleaving_alternates_classes_in_file_order() {
        let source = labelled(&[0, 0, 0, 1, 1, 2, 2, 2]);
        let mut features = source.features.clone();
        // Mark each row by its position so the order within a class shows.
        for (i, v) in features.iter_mut().enumerate() {
            *v += i as f32 * 10.0;
        }
        let source = Dataset { features, ..source };
        let mixed = interleave_classes(&source);
        assert_eq!(mixed.labels.as_deref(), Some(&[0, 1, 2, 0, 1, 2, 0, 2][..]));
        assert_eq!(
            mixed.features,
            [0.0, 31.0, 52.0, 10.0, 41.0, 62.0, 20.0, 72.0]
        );
        // The first outliers of class 0 now come from both other classes.
        let set = protocol_set(&mixed, 0, 0.5, 4).unwrap();
        assert_eq!(set.data.labels.as_deref(), Some(&[0, 0, 0, 1, 2][..]));
    }

    #[test]
    fn set_rejects_more_outliers_than_exist() {
        let source = labelled(&[0, 0, 1]);
        assert!(protocol_set(&source, 0, 0.9, 10).is_err());
    }
}
