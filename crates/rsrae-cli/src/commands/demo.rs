//! `rsrae demo`: corrupted MNIST end to end.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use rsrae::data::{download, mnist};

use super::report::write_requested;
use super::{check_memory, fit_with_progress};
use crate::cli::{DatasetArg, DemoArgs};
use crate::interrupt;
use crate::options::train_params;
use crate::output::{check_output_path, print_report, stage_scores, RunReport};
use crate::report::{ReportInput, Timings};

/// The data folder: `--data-dir`, else `$RSRAE_DATA_DIR`, else the user cache folder.
pub fn data_dir(flag: Option<&PathBuf>) -> Result<PathBuf> {
    if let Some(dir) = flag {
        return Ok(dir.clone());
    }
    if let Some(dir) = std::env::var_os("RSRAE_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    dirs::cache_dir().map(|d| d.join("rsrae")).context(
        "no user cache folder is known on this system; pass --data-dir or set RSRAE_DATA_DIR",
    )
}

/// Runs `rsrae demo`.
pub fn run(args: &DemoArgs) -> Result<()> {
    let start = Instant::now();
    let params = train_params(&args.train)?;
    check_destinations(args)?;
    let (subdir, files, name) = match args.dataset {
        DatasetArg::Mnist => ("mnist", mnist::MNIST_FILES, "mnist"),
        DatasetArg::FashionMnist => ("fashion-mnist", mnist::FASHION_MNIST_FILES, "fashion-mnist"),
    };
    let dir = data_dir(args.data_dir.as_ref())?.join(subdir);
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the data folder {}", dir.display()))?;
    let mirrors: Vec<&str> = if args.mirror.is_empty() {
        match args.dataset {
            DatasetArg::Mnist => download::default_mnist_mirrors().to_vec(),
            DatasetArg::FashionMnist => download::default_fashion_mnist_mirrors().to_vec(),
        }
    } else {
        args.mirror.iter().map(String::as_str).collect()
    };
    download::ensure_files(&dir, &files, &mirrors)?;
    let data = mnist::corrupted(
        &dir,
        mnist::Split::Train,
        args.inlier_class,
        &args.outlier_classes,
        args.outliers_per_class,
    )?;
    let labels = data.labels.clone().unwrap_or_default();
    let is_outlier: Vec<bool> = labels
        .iter()
        .map(|&l| l != i64::from(args.inlier_class))
        .collect();

    check_memory(&params, &data, args.train.max_memory)?;
    let mut warnings = Vec::new();
    let outcome = fit_with_progress(&params, &data, args.output.quiet, &mut warnings)?;
    let model = &outcome.model;
    let scores = &outcome.training_scores;
    let flags = model.flag(scores);
    let evaluation = rsrae::evaluate::evaluate(scores, &flags, Some(&is_outlier), Some(&labels))?;

    // Both outputs are staged before either replaces an old file, as in `rsrae fit`.
    let guard = interrupt::guard();
    let save_context = |path: &Path| format!("cannot save the model to {}", path.display());
    let staged_model = match &args.model {
        Some(path) => Some(
            model
                .stage(path, Some(&outcome.history))
                .with_context(|| save_context(path))?,
        ),
        None => None,
    };
    let staged_scores = match &args.scores {
        Some(path) => Some(stage_scores(path, scores, &flags, Some(&labels))?),
        None => None,
    };
    interrupt::check()?;
    if let (Some(staged), Some(path)) = (staged_model, &args.model) {
        staged.commit().with_context(|| save_context(path))?;
    }
    if let Some(staged) = staged_scores {
        staged.commit()?;
    }
    drop(guard);
    let description = format!(
        "corrupted {name}: all training {}s + the first {} of {:?}",
        args.inlier_class, args.outliers_per_class, args.outlier_classes
    );
    let label_description = format!(
        "{name} classes; class {} is the inlier class, the others are outliers",
        args.inlier_class
    );
    let report_input = ReportInput {
        command: "demo",
        data_description: &description,
        label_description: Some(&label_description),
        data: &data,
        model,
        scores,
        is_outlier: Some(&is_outlier),
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
        command: "demo",
        input: description,
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

/// Checks every output path before the data is read and the model trained.
fn check_destinations(args: &DemoArgs) -> Result<()> {
    if let Some(path) = &args.model {
        rsrae::Rsrae::check_save_path(path)?;
    }
    let outputs = [args.scores.as_deref(), args.html.report.as_deref()];
    for path in outputs.into_iter().flatten() {
        check_output_path(path, &[])?;
    }
    Ok(())
}
