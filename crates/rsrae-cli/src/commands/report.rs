//! `rsrae report`: score a file with a saved model and write the HTML report, and the
//! `--report` flag of the other commands.

use std::path::Path;

use anyhow::{Context, Result};
use rsrae::data::Dataset;
use rsrae::train::TrainHistory;
use rsrae::Rsrae;

use super::binary_labels;
use crate::cli::{HtmlReportArgs, ReportArgs};
use crate::output::warn;
use crate::report::{write_report, ReportInput, Timings};

/// Runs `rsrae report`.
pub fn run(args: &ReportArgs) -> Result<()> {
    let model = Rsrae::load(&args.model)
        .with_context(|| format!("cannot load the model from {}", args.model.display()))?;
    let column = args.label_column.as_deref();
    let data = rsrae::data::load(&args.input, column)?;
    let is_outlier = binary_labels(&data, column)?;
    let scores = model.score(&data)?;
    let mut warnings = Vec::new();
    let history = saved_history(&args.model, &mut warnings);
    let description = args.input.display().to_string();
    let labels = label_description(&data, column);
    let input = ReportInput {
        command: "report",
        data_description: &description,
        label_description: labels.as_deref(),
        data: &data,
        model: &model,
        scores: &scores,
        is_outlier: is_outlier.as_deref(),
        history: history.as_ref(),
        warnings: &warnings,
        timings: None,
    };
    write_report(&args.output, &input)
        .with_context(|| format!("cannot write the report {}", args.output.display()))
}

/// Reads the training history saved beside the model, turning a failure into a warning
/// because the report can be drawn without it.
pub fn saved_history(model_dir: &Path, warnings: &mut Vec<String>) -> Option<TrainHistory> {
    match TrainHistory::load(model_dir) {
        Ok(history) => history,
        Err(error) => {
            warn(
                warnings,
                format!("{error:#}; the report shows no training curves"),
            );
            None
        }
    }
}

/// Describes where the labels of `data` come from, when it has labels.
pub fn label_description(data: &Dataset, column: Option<&str>) -> Option<String> {
    match (&data.labels, column) {
        (Some(_), Some(column)) => Some(format!("column {column:?} (1 = outlier, 0 = inlier)")),
        (Some(_), None) => Some("class labels stored with the data".to_string()),
        (None, _) => None,
    }
}

/// Writes the report that `--report` requests, if it was passed, adding the timings when
/// `--report-timings` was passed too.
pub fn write_requested(
    flags: &HtmlReportArgs,
    input: ReportInput<'_>,
    timings: Timings,
) -> Result<()> {
    let Some(path) = &flags.report else {
        return Ok(());
    };
    let input = ReportInput {
        timings: flags.report_timings.then_some(timings),
        ..input
    };
    write_report(path, &input)
        .with_context(|| format!("cannot write the report {}", path.display()))
}
