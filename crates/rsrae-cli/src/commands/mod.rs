//! One module per subcommand.

pub mod bench;
pub mod demo;
pub mod experiment;
pub mod fit;
pub mod report;
pub mod score;

use anyhow::Result;
use rsrae::data::Dataset;
use rsrae::error::MemoryError;
use rsrae::memory::available_memory;
use rsrae::{FitOutcome, RsraeParams};

use crate::interrupt;
use crate::output::warn;
use crate::progress::TrainProgress;

/// Fits `params` on `data` with a progress bar, collecting user-facing warnings.
pub fn fit_with_progress(
    params: &RsraeParams,
    data: &Dataset,
    quiet: bool,
    warnings: &mut Vec<String>,
) -> Result<FitOutcome> {
    if data.n_samples < params.batch_size {
        warn(
            warnings,
            format!(
                "the data has {} rows, fewer than the batch size {}; training on all rows as one batch",
                data.n_samples, params.batch_size
            ),
        );
    }
    let progress = TrainProgress::new(quiet);
    let guard = interrupt::guard();
    let outcome = params.fit(data, &mut |report| progress.on_step(report));
    drop(guard);
    progress.finish();
    let outcome = outcome?;
    for column in outcome.model.config().preprocessing.constant_columns() {
        let name = &data.feature_names[column];
        warn(
            warnings,
            format!("column {name:?} is constant, so it carries no information"),
        );
    }
    if outcome.model.threshold().is_none() {
        warn(
            warnings,
            "every training score is equal, so the model cannot separate samples and no \
             threshold was set; check the data or train longer"
                .to_string(),
        );
    }
    Ok(outcome)
}

/// Stops with the estimate when fitting `params` on `data` needs more memory than
/// `max_memory`, or than the memory available when that is `None` and it is known.
pub fn check_memory(params: &RsraeParams, data: &Dataset, max_memory: Option<u64>) -> Result<()> {
    let (limit, limit_source) = match max_memory {
        Some(limit) => (limit, "limit set with --max-memory"),
        None => match available_memory() {
            Some(available) => (
                available,
                "available (MemAvailable in /proc/meminfo, lowered to any cgroup limit)",
            ),
            None => return Ok(()),
        },
    };
    let estimate = params.memory_estimate(data)?;
    if estimate.total() > limit {
        let error = MemoryError {
            estimate,
            limit,
            limit_source: limit_source.to_owned(),
        };
        return Err(rsrae::Error::from(error).into());
    }
    Ok(())
}

/// Outlier flags and classes from 0/1 labels of a labelled file.
/// Returns the first value of `values` that also appears earlier in it.
pub fn first_repeated<T: PartialEq>(values: &[T]) -> Option<&T> {
    values
        .iter()
        .enumerate()
        .find(|(i, v)| values[..*i].contains(v))
        .map(|(_, v)| v)
}

/// Explains why the ranking metrics are missing when the data has class labels (as IDX label
/// files give) but no outlier flags.
pub fn explain_class_labels(data: &Dataset, evaluation: &mut rsrae::evaluate::Evaluation) {
    if data.labels.is_some() && evaluation.n_outliers.is_none() {
        evaluation.metrics_undefined = Some(
            "the labels are class numbers, not outlier flags (1 = outlier, 0 = inlier), so \
             ROC AUC and AP need a choice of outlier classes; `rsrae demo` and `rsrae \
             experiment` make that choice"
                .to_owned(),
        );
    }
}

pub fn binary_labels(data: &Dataset, column: Option<&str>) -> Result<Option<Vec<bool>>> {
    match (&data.labels, column) {
        (Some(labels), Some(column)) => Ok(Some(rsrae::evaluate::outlier_flags(labels, column)?)),
        _ => Ok(None),
    }
}
