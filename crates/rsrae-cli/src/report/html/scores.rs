//! The training, score distribution and ranking sections.

use std::fmt::Write;

use anyhow::Result;

use super::{escape, write_chart};
use crate::report::charts::{self, SMALL_CHART_SIZE};
use crate::report::scores::{RankingFigures, ScoreFigures, MAX_CURVE_POINTS};
use crate::report::Report;

/// Writes the training section: the loss curves, or why there are none.
pub fn write_training(page: &mut String, report: &Report) -> Result<()> {
    writeln!(page, "<section id=\"training\">\n<h2>Training</h2>")?;
    match &report.losses {
        Ok(steps) => {
            let step_points = |loss: fn(&rsrae::train::StepReport) -> f64| -> Vec<(f64, f64)> {
                steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| ((i + 1) as f64, loss(s)))
                    .collect()
            };
            let reconstruction = step_points(|s| s.reconstruction);
            let rsr = step_points(|s| s.rsr);
            page.push_str("<div class=\"charts\">\n");
            let caption = format!(
                "Loss of each mini-batch over {} optimizer steps.",
                steps.len()
            );
            let svg = charts::loss_curve("Reconstruction loss", &reconstruction, 0)?;
            write_chart(page, "reconstruction-loss", &svg, &caption)?;
            let svg = charts::loss_curve(
                "RSR loss (lambda1 projection + lambda2 orthogonality)",
                &rsr,
                1,
            )?;
            write_chart(page, "rsr-loss", &svg, &caption)?;
            page.push_str("</div>\n");
        }
        Err(reason) => writeln!(
            page,
            "<p class=\"note\">No training curves: {}.</p>",
            escape(reason)
        )?,
    }
    writeln!(page, "</section>")?;
    Ok(())
}

/// Writes the score distribution section.
pub fn write_scores(page: &mut String, report: &Report) -> Result<()> {
    let figures = &report.scores;
    writeln!(page, "<section id=\"scores\">\n<h2>Score distribution</h2>")?;
    page.push_str("<div class=\"charts\">\n");
    let all = &figures.all;
    let svg = charts::histogram(
        "Scores of all samples",
        (&figures.bins, &all.counts),
        figures.threshold,
        0,
        charts::CHART_SIZE,
    )?;
    let caption = match figures.threshold {
        Some(_) => "The red line is the outlier threshold; samples to its right are flagged.",
        None => "The model has no threshold, so no sample is flagged.",
    };
    write_chart(page, "score-histogram", &svg, caption)?;
    page.push_str("<div>\n");
    write_score_summary(page, figures)?;
    write_class_means(page, figures)?;
    page.push_str("</div>\n</div>\n");
    write_class_histograms(page, figures)?;
    writeln!(page, "</section>")?;
    Ok(())
}

fn write_score_summary(page: &mut String, figures: &ScoreFigures) -> Result<()> {
    let s = &figures.evaluation.score_summary;
    page.push_str("<table>\n<tr>");
    for name in ["count", "mean", "std", "min", "25%", "50%", "75%", "max"] {
        write!(page, "<th class=\"num\">{name}</th>")?;
    }
    write!(page, "</tr>\n<tr><td class=\"num\">{}</td>", s.count)?;
    for value in [s.mean, s.std, s.min, s.q1, s.median, s.q3, s.max] {
        write!(page, "<td class=\"num\">{value:.4}</td>")?;
    }
    page.push_str("</tr>\n</table>\n");
    Ok(())
}

fn write_class_means(page: &mut String, figures: &ScoreFigures) -> Result<()> {
    let means = &figures.evaluation.mean_score_per_class;
    if means.is_empty() {
        return Ok(());
    }
    page.push_str("<table>\n<tr><th>class</th><th class=\"num\">samples</th>");
    page.push_str("<th class=\"num\">mean score</th></tr>\n");
    for class in means {
        writeln!(
            page,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{:.4}</td></tr>",
            class.class, class.count, class.mean_score
        )?;
    }
    page.push_str("</table>\n");
    Ok(())
}

fn write_class_histograms(page: &mut String, figures: &ScoreFigures) -> Result<()> {
    if figures.per_class.is_empty() {
        return Ok(());
    }
    writeln!(page, "<h3>Scores per class</h3>\n<div class=\"charts\">")?;
    for histogram in &figures.per_class {
        let title = format!("{} (n = {})", histogram.name, histogram.n_rows);
        let svg = charts::histogram(
            &title,
            (&figures.bins, &histogram.counts),
            figures.threshold,
            histogram.colour,
            SMALL_CHART_SIZE,
        )?;
        writeln!(
            page,
            "<figure class=\"chart\" data-chart=\"class-histogram\">\n{svg}\n</figure>"
        )?;
    }
    page.push_str("</div>\n");
    if figures.n_classes_left_out > 0 {
        writeln!(
            page,
            "<p class=\"note\">{} more classes are not drawn.</p>",
            figures.n_classes_left_out
        )?;
    }
    Ok(())
}

/// Writes the ROC and precision-recall section, or why it is empty.
pub fn write_ranking(page: &mut String, ranking: &Result<RankingFigures, String>) -> Result<()> {
    writeln!(
        page,
        "<section id=\"ranking\">\n<h2>ROC and precision-recall curves</h2>"
    )?;
    match ranking {
        Ok(figures) => {
            page.push_str("<div class=\"charts\">\n");
            let svg = charts::roc_curve(&figures.roc, figures.roc_auc)?;
            let caption = "The dashed diagonal is a random ranking.";
            write_chart(page, "roc-curve", &svg, caption)?;
            let svg = charts::precision_recall_curve(
                &figures.precision_recall,
                figures.average_precision,
                figures.outlier_fraction,
            )?;
            let caption = format!(
                "The dashed line is the outlier fraction {:.4}, the precision of a random \
                 ranking.",
                figures.outlier_fraction
            );
            write_chart(page, "precision-recall-curve", &svg, &caption)?;
            page.push_str("</div>\n");
            if figures.thinned {
                writeln!(
                    page,
                    "<p class=\"note\">The curves are drawn through at most {} evenly spaced \
                     points; AUC and AP use every point.</p>",
                    MAX_CURVE_POINTS
                )?;
            }
        }
        Err(reason) => writeln!(page, "<p class=\"note\">No curves: {}.</p>", escape(reason))?,
    }
    writeln!(page, "</section>")?;
    Ok(())
}
