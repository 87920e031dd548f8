//! `rsrae demo`: corrupted MNIST end to end.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use rsrae::data::{download, mnist};

use super::fit_with_progress;
use crate::cli::{DatasetArg, DemoArgs};
use crate::options::train_params;
use crate::output::{print_report, write_scores, RunReport};

/// The data folder: `--data-dir`, else `$RSRAE_DATA_DIR`, else the user cache folder.
fn data_dir(args: &DemoArgs) -> Result<PathBuf> {
    if let Some(dir) = &args.data_dir {
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
    let (subdir, files, name) = match args.dataset {
        DatasetArg::Mnist => ("mnist", mnist::MNIST_FILES, "mnist"),
        DatasetArg::FashionMnist => ("fashion-mnist", mnist::FASHION_MNIST_FILES, "fashion-mnist"),
    };
    let dir = data_dir(args)?.join(subdir);
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

    let mut warnings = Vec::new();
    let outcome = fit_with_progress(&params, &data, args.output.quiet, &mut warnings)?;
    let model = &outcome.model;
    if let Some(path) = &args.model {
        model
            .save(path)
            .with_context(|| format!("cannot save the model to {}", path.display()))?;
    }
    let scores = &outcome.training_scores;
    let flags = model.flag(scores);
    if let Some(path) = &args.scores {
        write_scores(path, scores, &flags, Some(&labels))?;
    }
    let evaluation = rsrae::evaluate::evaluate(scores, &flags, Some(&is_outlier), Some(&labels))?;
    let report = RunReport {
        command: "demo",
        input: format!(
            "corrupted {name}: all training {}s + the first {} of {:?}",
            args.inlier_class, args.outliers_per_class, args.outlier_classes
        ),
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
