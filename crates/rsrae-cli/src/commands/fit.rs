//! `rsrae fit`: train on a file and save the model.

use std::time::Instant;

use anyhow::{Context, Result};

use super::{binary_labels, fit_with_progress};
use crate::cli::FitArgs;
use crate::options::train_params;
use crate::output::{print_report, write_scores, RunReport};

/// Runs `rsrae fit`.
pub fn run(args: &FitArgs) -> Result<()> {
    let start = Instant::now();
    let params = train_params(&args.train)?;
    let data = rsrae::data::load(&args.input, args.label_column.as_deref())?;
    let is_outlier = binary_labels(&data, args.label_column.as_deref())?;
    let mut warnings = Vec::new();
    let outcome = fit_with_progress(&params, &data, args.output.quiet, &mut warnings)?;
    let model = &outcome.model;
    model
        .save(&args.model)
        .with_context(|| format!("cannot save the model to {}", args.model.display()))?;
    let scores = &outcome.training_scores;
    let flags = model.flag(scores);
    if let Some(path) = &args.scores {
        write_scores(path, scores, &flags, data.labels.as_deref())?;
    }
    let classes = is_outlier.as_ref().and(data.labels.as_deref());
    let evaluation = rsrae::evaluate::evaluate(scores, &flags, is_outlier.as_deref(), classes)?;
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
