//! `rsrae experiment`: the paper's protocol over classes, ratios, runs and methods.

use std::fmt::Write as _;

use anyhow::{bail, Context, Result};
use rsrae::data::{mnist, newsgroups, Dataset};
use rsrae::experiment::{self, Method, RunResult};
use rsrae::Recipe;
use serde::Serialize;

use super::demo::data_dir;
use super::first_repeated;
use crate::cli::{ExperimentArgs, MethodArg, ProtocolDatasetArg};
use crate::output::write_atomic;

/// Inliers per class in the Fashion-MNIST and MNIST test splits, which sets `⌊n · c⌋`.
const N_PURE_IMAGES: usize = 1000;

/// The official code's `n` for 20 Newsgroups, whose classes contain 628 to 999 documents.
const N_PURE_NEWSGROUPS: usize = 360;

/// The data of one protocol: its name, rows, number of classes and `n`.
struct Source {
    name: &'static str,
    data: Dataset,
    n_classes: i64,
    n_pure: usize,
}

fn load_source(args: &ExperimentArgs) -> Result<Source> {
    let root = data_dir(args.data_dir.as_ref())?;
    load_source_from(args, &root).with_context(|| {
        format!(
            "cannot read the {} files under {}; pass --data-dir with the folder that holds \
             mnist/, fashion-mnist/ or text/20newsgroups/, or set RSRAE_DATA_DIR",
            dataset_name(args.dataset),
            root.display()
        )
    })
}

fn dataset_name(dataset: ProtocolDatasetArg) -> &'static str {
    match dataset {
        ProtocolDatasetArg::Mnist => "mnist",
        ProtocolDatasetArg::FashionMnist => "fashion-mnist",
        ProtocolDatasetArg::Newsgroups20 => "20newsgroups",
    }
}

fn load_source_from(args: &ExperimentArgs, root: &std::path::Path) -> Result<Source> {
    let images = |name: &'static str| -> Result<Source> {
        let data = mnist::load_split(root.join(name), mnist::Split::Test)?;
        Ok(Source {
            name,
            data,
            n_classes: i64::from(mnist::N_CLASSES),
            n_pure: N_PURE_IMAGES,
        })
    };
    match args.dataset {
        ProtocolDatasetArg::Mnist => images("mnist"),
        ProtocolDatasetArg::FashionMnist => images("fashion-mnist"),
        ProtocolDatasetArg::Newsgroups20 => Ok(Source {
            name: "20newsgroups",
            data: experiment::interleave_classes(&newsgroups::load(
                root.join("text/20newsgroups"),
            )?),
            n_classes: newsgroups::N_CLASSES,
            n_pure: N_PURE_NEWSGROUPS,
        }),
    }
}

/// Aggregated figures of one method at one ratio.
#[derive(Debug, Serialize)]
struct Cell {
    method: &'static str,
    c: f64,
    mean_roc_auc: f64,
    mean_average_precision: f64,
    /// Mean over classes of the standard deviation over runs (population, as NumPy).
    mean_class_std_roc_auc: f64,
    mean_class_std_average_precision: f64,
    mean_seconds_per_run: f64,
    runs: Vec<RunRecord>,
}

#[derive(Debug, Serialize)]
struct RunRecord {
    class: i64,
    seed: u64,
    #[serde(flatten)]
    result: RunResult,
}

fn method(arg: MethodArg) -> Method {
    match arg {
        MethodArg::Default => Method::Rsrae(Recipe::Default),
        MethodArg::Blog => Method::Rsrae(Recipe::Blog),
        MethodArg::Paper => Method::Rsrae(Recipe::Paper),
        MethodArg::PaperPlus => Method::Rsrae(Recipe::PaperPlus),
        MethodArg::Ae => Method::Autoencoder,
        MethodArg::Pca => Method::Pca,
    }
}

/// Runs `rsrae experiment`.
pub fn run(args: &ExperimentArgs) -> Result<()> {
    if args.protocol != "paper" {
        bail!(
            "unknown --protocol {:?}; the only protocol is \"paper\"",
            args.protocol
        );
    }
    if let Some(c) = args.c.iter().find(|&&c| !(c > 0.0 && c <= 1.0)) {
        bail!("invalid --c {c}: each ratio must be in (0, 1], such as 0.1,0.5,0.9");
    }
    if args.runs == 0 {
        bail!("invalid --runs 0: pass at least 1 run per class and ratio");
    }
    if let Some(c) = first_repeated(&args.c) {
        bail!("--c lists {c} twice; list each ratio once");
    }
    if let Some(&arg) = first_repeated(&args.methods) {
        let name = method(arg).name();
        bail!("--methods lists {name} twice; list each method once");
    }
    let source = load_source(args)?;
    let classes = match &args.classes {
        Some(classes) => classes.clone(),
        None => (0..source.n_classes).collect(),
    };
    if let Some(class) = classes.iter().find(|c| !(0..source.n_classes).contains(*c)) {
        bail!(
            "invalid --classes {class}: {} has classes 0 to {}",
            source.name,
            source.n_classes - 1
        );
    }
    if let Some(class) = first_repeated(&classes) {
        bail!("--classes lists {class} twice; list each class once");
    }
    let mut cells = Vec::new();
    for &arg in &args.methods {
        for &c in &args.c {
            cells.push(run_cell(&source, &classes, method(arg), c, args)?);
        }
    }
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("cannot create the folder {}", args.output.display()))?;
    let json = serde_json::to_string_pretty(&cells)?;
    write_atomic(&args.output.join("results.json"), |out| {
        out.write_all(json.as_bytes())
    })?;
    let table = markdown(&cells, args, &classes, source.name);
    write_atomic(&args.output.join("results.md"), |out| {
        out.write_all(table.as_bytes())
    })?;
    print!("{table}");
    Ok(())
}

fn run_cell(
    source: &Source,
    classes: &[i64],
    method: Method,
    c: f64,
    args: &ExperimentArgs,
) -> Result<Cell> {
    let mut runs = Vec::new();
    for &class in classes {
        let set = experiment::protocol_set(&source.data, class, c, source.n_pure)?;
        for seed in 0..args.runs {
            let result = experiment::run(&set, method, seed, args.epochs)?;
            if !args.quiet {
                eprintln!(
                    "{} c={c} class={class} seed={seed}: ROC AUC {:.4}, AP {:.4}, {:.1} s",
                    method.name(),
                    result.roc_auc,
                    result.average_precision,
                    result.seconds
                );
            }
            runs.push(RunRecord {
                class,
                seed,
                result,
            });
        }
    }
    Ok(aggregate(method, c, classes, runs))
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    sum / n.max(1) as f64
}

fn std(values: &[f64]) -> f64 {
    let m = mean(values.iter().copied());
    mean(values.iter().map(|v| (v - m).powi(2))).sqrt()
}

fn aggregate(method: Method, c: f64, classes: &[i64], runs: Vec<RunRecord>) -> Cell {
    let per_class = |field: fn(&RunResult) -> f64| {
        mean(classes.iter().map(|&k| {
            let values: Vec<f64> = runs
                .iter()
                .filter(|r| r.class == k)
                .map(|r| field(&r.result))
                .collect();
            std(&values)
        }))
    };
    Cell {
        method: method.name(),
        c,
        mean_roc_auc: mean(runs.iter().map(|r| r.result.roc_auc)),
        mean_average_precision: mean(runs.iter().map(|r| r.result.average_precision)),
        mean_class_std_roc_auc: per_class(|r| r.roc_auc),
        mean_class_std_average_precision: per_class(|r| r.average_precision),
        mean_seconds_per_run: mean(runs.iter().map(|r| r.result.seconds)),
        runs,
    }
}

fn markdown(cells: &[Cell], args: &ExperimentArgs, classes: &[i64], dataset: &str) -> String {
    let mut out = String::new();
    let classes: Vec<String> = classes.iter().map(i64::to_string).collect();
    let rows = match args.dataset {
        ProtocolDatasetArg::Newsgroups20 => "all documents of",
        _ => "test split of",
    };
    let _ = writeln!(
        out,
        "Protocol `paper` on the {rows} {dataset}: classes {}, {} run(s) each (seeds 0 to {}), \
         epochs {}.\n",
        classes.join(","),
        args.runs,
        args.runs.saturating_sub(1),
        args.epochs
            .map_or("as each recipe sets".to_string(), |e| e.to_string())
    );
    let _ = writeln!(
        out,
        "| method | c | ROC AUC | AP | class std AUC | class std AP | s per run |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- |");
    for cell in cells {
        let _ = writeln!(
            out,
            "| {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.1} |",
            cell.method,
            cell.c,
            cell.mean_roc_auc,
            cell.mean_average_precision,
            cell.mean_class_std_roc_auc,
            cell.mean_class_std_average_precision,
            cell.mean_seconds_per_run
        );
    }
    out
}
