//! `rsrae score`: score a file with a saved model.

use std::time::Instant;

use anyhow::{Context, Result};
use rsrae::Rsrae;

use super::binary_labels;
use super::report::{label_description, saved_history, write_requested};
use crate::cli::ScoreArgs;
use crate::output::{check_output_path, print_report, warn, write_scores, RunReport};
use crate::report::{ReportInput, Timings};

/// Runs `rsrae score`.
pub fn run(args: &ScoreArgs) -> Result<()> {
    let start = Instant::now();
    for path in [Some(&args.output), args.html.report.as_ref()]
        .into_iter()
        .flatten()
    {
        check_output_path(path, &[&args.input])?;
    }
    let model = Rsrae::load(&args.model)
        .with_context(|| format!("cannot load the model from {}", args.model.display()))?;
    let data = rsrae::data::load(&args.input, args.label_column.as_deref())?;
    let input_name = || args.input.display().to_string();
    let is_outlier = binary_labels(&data, args.label_column.as_deref()).with_context(input_name)?;
    let scores = model.score(&data).with_context(input_name)?;
    let flags = model.flag(&scores);
    let classes = data.labels.as_deref();
    let mut evaluation =
        rsrae::evaluate::evaluate(&scores, &flags, is_outlier.as_deref(), classes)?;
    super::explain_class_labels(&data, &mut evaluation);
    write_scores(&args.output, &scores, &flags, data.labels.as_deref())?;
    let mut warnings = Vec::new();
    if model.threshold().is_none() {
        warn(&mut warnings, "the model has no threshold because its training scores were all equal; no sample is flagged".into());
    }
    if args.html.report.is_some() {
        let history = saved_history(&args.model, &mut warnings);
        let description = args.input.display().to_string();
        let labels = label_description(&data, args.label_column.as_deref());
        let report_input = ReportInput {
            command: "score",
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
        let timings = Timings {
            seconds_per_epoch: None,
            total_seconds: start.elapsed().as_secs_f64(),
        };
        write_requested(&args.html, report_input, timings)?;
    }
    let config = model.config();
    let report = RunReport {
        command: "score",
        input: args.input.display().to_string(),
        n_features: data.n_features,
        recipe: format!("{:?}", config.recipe).to_lowercase(),
        seed: config.seed,
        epochs: None,
        seconds_per_epoch: None,
        total_seconds: start.elapsed().as_secs_f64(),
        threshold: model.threshold(),
        evaluation,
        warnings,
    };
    print_report(&report, args.output_flags.json)
}
