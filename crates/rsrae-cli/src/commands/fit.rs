//! `rsrae fit`: train on a file and save the model.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rsrae::Rsrae;

use super::report::{label_description, write_requested};
use super::{binary_labels, check_memory, fit_with_progress};
use crate::cli::FitArgs;
use crate::interrupt;
use crate::options::train_params;
use crate::output::{check_output_path, print_report, stage_scores, RunReport};
use crate::report::{ReportInput, Timings};

/// Runs `rsrae fit`.
pub fn run(args: &FitArgs) -> Result<()> {
    let start = Instant::now();
    let params = train_params(&args.train)?;
    check_destinations(args)?;
    let data = rsrae::data::load(&args.input, args.label_column.as_deref())?;
    let is_outlier = binary_labels(&data, args.label_column.as_deref())
        .with_context(|| args.input.display().to_string())?;
    check_memory(&params, &data, args.train.max_memory)?;
    let mut warnings = Vec::new();
    let outcome = fit_with_progress(&params, &data, args.output.quiet, &mut warnings)?;
    let model = &outcome.model;
    let scores = &outcome.training_scores;
    let flags = model.flag(scores);
    let classes = data.labels.as_deref();
    let mut evaluation = rsrae::evaluate::evaluate(scores, &flags, is_outlier.as_deref(), classes)?;
    super::explain_class_labels(&data, &mut evaluation);

    // Both outputs are staged before either replaces an old file, so a failure while
    // writing them leaves the old model and scores as they were.
    let guard = interrupt::guard();
    let staged_model = model
        .stage(&args.model, Some(&outcome.history))
        .with_context(|| save_context(args))?;
    let staged_scores = match &args.scores {
        Some(path) => Some(stage_scores(path, scores, &flags, data.labels.as_deref())?),
        None => None,
    };
    interrupt::check()?;
    staged_model.commit().with_context(|| save_context(args))?;
    if let Some(staged) = staged_scores {
        staged.commit()?;
    }
    drop(guard);
    let description = args.input.display().to_string();
    let labels = label_description(&data, args.label_column.as_deref());
    let report_input = ReportInput {
        command: "fit",
        data_description: &description,
        label_description: labels.as_deref(),
        data: &data,
        model,
        scores,
        is_outlier: is_outlier.as_deref(),
        history: Some(&outcome.history),
        warnings: &warnings,
        timings: None,
    };
    let timings = Timings {
        seconds_per_epoch: Some(outcome.history.seconds_per_epoch),
        total_seconds: start.elapsed().as_secs_f64(),
    };
    write_requested(&args.html, report_input, timings)?;
    let report = RunReport {
        command: "fit",
        input: args.input.display().to_string(),
        n_features: data.n_features,
        recipe: format!("{:?}", params.recipe).to_lowercase(),
        seed: params.seed,
        epochs: Some(outcome.history.epochs),
        seconds_per_epoch: Some(outcome.history.seconds_per_epoch),
        total_seconds: start.elapsed().as_secs_f64(),
        threshold: model.threshold(),
        evaluation,
        warnings,
    };
    print_report(&report, args.output.json)
}

fn save_context(args: &FitArgs) -> String {
    format!("cannot save the model to {}", args.model.display())
}

/// Checks every output path before the data is read and the model trained, so that a bad
/// path fails the run at once instead of after training.
fn check_destinations(args: &FitArgs) -> Result<()> {
    Rsrae::check_save_path(&args.model)?;
    let outputs = [args.scores.as_deref(), args.html.report.as_deref()];
    for path in outputs.into_iter().flatten() {
        if is_inside(path, &args.model) {
            bail!(
                "{} is inside the --model folder {}, which saving the model replaces; write \
                 it elsewhere",
                path.display(),
                args.model.display()
            );
        }
        check_output_path(path, &[&args.input])?;
    }
    Ok(())
}

/// Whether `path` names a file in `folder`, by name or once both are resolved.
fn is_inside(path: &Path, folder: &Path) -> bool {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let resolved = |p: &Path| p.canonicalize().ok();
    parent == folder || (resolved(parent).is_some() && resolved(parent) == resolved(folder))
}
