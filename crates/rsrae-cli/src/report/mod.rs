//! The HTML report: the figures an analyst looks at after fitting or scoring.
//!
//! [`Report::build`] computes the data of every figure from a model, the scored data and,
//! when there is one, the training history. [`html::render`] draws the charts with plotters'
//! SVG backend and writes one self-contained HTML page, with the SVG charts and the PNG
//! images inline, so it opens without network access. The same inputs give the same bytes:
//! the page contains no timestamp, and measured durations only when [`Timings`] are passed.

mod charts;
mod contributions;
mod embedding;
mod histogram;
mod html;
mod images;
mod pca;
mod sample;
mod scores;
mod summary;
mod tiles;

use std::path::Path;

use anyhow::Result;
use rsrae::data::{DataKind, Dataset};
use rsrae::train::TrainHistory;
use rsrae::Rsrae;

use crate::output::write_atomic;

/// Everything a report is drawn from.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// The command that wrote the report, such as `fit`.
    pub command: &'a str,
    /// Description of the data, such as its file path.
    pub data_description: &'a str,
    /// Source of the labels, when the data has labels.
    pub label_description: Option<&'a str>,
    /// The scored data, before preprocessing.
    pub data: &'a Dataset,
    /// The model that scored it.
    pub model: &'a Rsrae,
    /// One score per row of `data`.
    pub scores: &'a [f32],
    /// Outlier flags from the labels, when known.
    pub is_outlier: Option<&'a [bool]>,
    /// Losses per training step, when known.
    pub history: Option<&'a TrainHistory>,
    /// Warnings the command printed.
    pub warnings: &'a [String],
    /// Measured durations, shown only when present.
    pub timings: Option<Timings>,
}

/// Measured wall-clock durations, which differ from run to run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timings {
    /// Seconds per training epoch, for commands that trained.
    pub seconds_per_epoch: Option<f64>,
    /// Seconds the command ran before writing the report.
    pub total_seconds: f64,
}

/// The rows of one colour in the charts: a class when labels are known, else the flagged
/// and the unflagged rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    /// One name per group, in legend order.
    pub names: Vec<String>,
    /// The group of each row.
    pub of_row: Vec<usize>,
    /// The palette index of each group: inliers and unflagged rows take the first colour.
    pub colours: Vec<usize>,
}

/// The data of every figure in the report.
pub struct Report {
    /// The page title.
    pub title: String,
    /// Run summary: data, shape, preprocessing, versions, seed and threshold.
    pub summary: Vec<(String, String)>,
    /// Architecture and training hyperparameters as saved in the model.
    pub hyperparameters: Vec<summary::Table>,
    /// Warnings the command printed.
    pub warnings: Vec<String>,
    /// Losses per step, or why there are none.
    pub losses: Result<Vec<rsrae::train::StepReport>, String>,
    /// The score histograms, summary and class means.
    pub scores: scores::ScoreFigures,
    /// ROC and precision-recall curves, or why they are missing.
    pub ranking: Result<scores::RankingFigures, String>,
    /// The RSR embedding projected to 3-D.
    pub embedding: embedding::Embedding,
    /// Image grids, for image data.
    pub images: Option<tiles::ImageFigures>,
    /// Per-feature error shares of the top anomalies, for tabular data.
    pub contributions: Option<contributions::Contributions>,
    /// The colour groups of the rows.
    pub groups: Groups,
}

impl Report {
    /// Computes the data of every figure from `input`.
    pub fn build(input: &ReportInput<'_>) -> Result<Self> {
        let flags = input.model.flag(input.scores);
        let groups = groups(input.data.labels.as_deref(), input.is_outlier, &flags);
        let preprocessed = input
            .model
            .config()
            .preprocessing
            .apply(&input.data.features, input.data.n_features);
        let scores = scores::ScoreFigures::build(input, &flags, &groups)?;
        let images = match input.data.kind {
            DataKind::Image { height, width, .. } if height * width == input.data.n_features => {
                Some(tiles::ImageFigures::build(
                    input,
                    &preprocessed,
                    (height, width),
                )?)
            }
            DataKind::Image { .. } | DataKind::Tabular => None,
        };
        let contributions = match input.data.kind {
            DataKind::Tabular => Some(contributions::Contributions::build(
                input,
                &preprocessed,
                &flags,
            )?),
            DataKind::Image { .. } => None,
        };
        Ok(Report {
            title: match input.command {
                "report" => "rsrae report".to_string(),
                command => format!("rsrae {command} report"),
            },
            summary: summary::run_rows(input, &scores),
            hyperparameters: summary::hyperparameter_tables(input.model.config())?,
            warnings: input.warnings.to_vec(),
            losses: losses(input),
            ranking: scores::RankingFigures::build(input),
            embedding: embedding::Embedding::build(input.model, &preprocessed)?,
            scores,
            images,
            contributions,
            groups,
        })
    }
}

/// Builds the report for `input` and writes it to `path` atomically.
pub fn write_report(path: &Path, input: &ReportInput<'_>) -> Result<()> {
    let report = Report::build(input)?;
    let page = html::render(&report)?;
    write_atomic(path, |out| out.write_all(page.as_bytes()))
}

fn losses(input: &ReportInput<'_>) -> Result<Vec<rsrae::train::StepReport>, String> {
    match input.history {
        Some(history) if !history.steps.is_empty() => Ok(history.steps.clone()),
        Some(_) => Err("training ran no optimizer step".to_string()),
        None => Err(format!(
            "rsrae {} did not train, and the model directory has no {}; models saved by \
             `rsrae fit` from this version on include it",
            input.command,
            rsrae::HISTORY_FILE
        )),
    }
}

/// Colours rows by class when labels are known, else by outlier flag.
fn groups(labels: Option<&[i64]>, is_outlier: Option<&[bool]>, flags: &[bool]) -> Groups {
    let Some(labels) = labels else {
        let names = vec!["not flagged".to_string(), "flagged as outlier".to_string()];
        let of_row = flags.iter().map(|&f| usize::from(f)).collect();
        // Blue for the unflagged rows, red (the fourth palette colour) for the flagged.
        let colours = vec![0, 3];
        return Groups {
            names,
            of_row,
            colours,
        };
    };
    let mut classes: Vec<i64> = labels.to_vec();
    classes.sort_unstable();
    classes.dedup();
    let names: Vec<String> = classes
        .iter()
        .map(|&class| class_name(class, labels, is_outlier))
        .collect();
    let of_row = labels
        .iter()
        .map(|label| classes.binary_search(label).unwrap_or(0))
        .collect();
    Groups {
        colours: inliers_first(&names),
        names,
        of_row,
    }
}

/// Numbers the groups for colouring, inlier classes first, each part in class order.
fn inliers_first(names: &[String]) -> Vec<usize> {
    let is_inlier = |name: &String| name.ends_with("(inliers)");
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by_key(|&g| !is_inlier(&names[g]));
    let mut colours = vec![0; names.len()];
    for (colour, group) in order.into_iter().enumerate() {
        colours[group] = colour;
    }
    colours
}

/// Names a class, adding "(outliers)" or "(inliers)" when every row of it is labelled so.
fn class_name(class: i64, labels: &[i64], is_outlier: Option<&[bool]>) -> String {
    let Some(is_outlier) = is_outlier else {
        return format!("class {class}");
    };
    let mut rows = labels.iter().zip(is_outlier).filter(|(&l, _)| l == class);
    let first = rows.next().map(|(_, &o)| o);
    let uniform = rows.all(|(_, &o)| Some(o) == first);
    match (first, uniform) {
        (Some(true), true) => format!("class {class} (outliers)"),
        (Some(false), true) => format!("class {class} (inliers)"),
        _ => format!("class {class}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_follow_classes_when_labelled() {
        let labels = [4, 0, 4, 8];
        let is_outlier = [false, true, false, true];
        let groups = groups(Some(&labels), Some(&is_outlier), &[false; 4]);
        assert_eq!(
            groups.names,
            [
                "class 0 (outliers)",
                "class 4 (inliers)",
                "class 8 (outliers)"
            ]
        );
        assert_eq!(groups.of_row, [1, 0, 1, 2]);
        assert_eq!(groups.colours, [1, 0, 2]);
    }

    #[test]
    fn groups_follow_flags_without_labels() {
        let groups = groups(None, None, &[true, false]);
        assert_eq!(groups.names, ["not flagged", "flagged as outlier"]);
        assert_eq!(groups.of_row, [1, 0]);
        assert_eq!(groups.colours, [0, 3]);
    }

    #[test]
    fn mixed_class_gets_plain_name() {
        let name = class_name(1, &[1, 1], Some(&[true, false]));
        assert_eq!(name, "class 1");
    }
}
