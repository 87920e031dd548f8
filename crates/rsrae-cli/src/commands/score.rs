//! `rsrae score`: score a file with a saved model.

use std::time::Instant;

use anyhow::{Context, Result};
use rsrae::Rsrae;

use super::binary_labels;
use crate::cli::ScoreArgs;
use crate::output::{print_report, warn, write_scores, RunReport};

/// Runs `rsrae score`.
pub fn run(args: &ScoreArgs) -> Result<()> {
    let start = Instant::now();
    let model = Rsrae::load(&args.model)
        .with_context(|| format!("cannot load the model from {}", args.model.display()))?;
    let data = rsrae::data::load(&args.input, args.label_column.as_deref())?;
    let is_outlier = binary_labels(&data, args.label_column.as_deref())?;
    let scores = model.score(&data)?;
    let flags = model.flag(&scores);
    write_scores(&args.output, &scores, &flags, data.labels.as_deref())?;
    let mut warnings = Vec::new();
    if model.threshold().is_none() {
        warn(&mut warnings, "the model has no threshold because its training scores were all equal; no sample is flagged".into());
    }
    let classes = is_outlier.as_ref().and(data.labels.as_deref());
    let evaluation = rsrae::evaluate::evaluate(&scores, &flags, is_outlier.as_deref(), classes)?;
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
