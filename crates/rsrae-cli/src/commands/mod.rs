//! One module per subcommand.

pub mod demo;
pub mod fit;
pub mod score;

use anyhow::Result;
use rsrae::data::Dataset;
use rsrae::{FitOutcome, RsraeParams};

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
    let outcome = params.fit(data, &mut |report| progress.on_step(report));
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

/// Outlier flags and classes from 0/1 labels of a labelled file.
pub fn binary_labels(data: &Dataset, column: Option<&str>) -> Result<Option<Vec<bool>>> {
    match (&data.labels, column) {
        (Some(labels), Some(column)) => Ok(Some(rsrae::evaluate::outlier_flags(labels, column)?)),
        _ => Ok(None),
    }
}
