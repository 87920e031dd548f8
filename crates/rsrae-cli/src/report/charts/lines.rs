//! Line and bar charts: training losses, score histograms, ROC and precision-recall curves.

use anyhow::Result;
use plotters::prelude::*;

use super::{group_colour, padded_range, svg, tick, CHART_SIZE, THRESHOLD_COLOUR};
use crate::report::histogram::Bins;

/// Draws a loss per optimizer step, given as `(step, loss)` points, in palette colour
/// `colour`.
pub fn loss_curve(title: &str, points: &[(f64, f64)], colour: usize) -> Result<String> {
    let x_range = padded_range(points.iter().map(|p| p.0));
    let y_range = padded_range(points.iter().map(|p| p.1));
    svg(CHART_SIZE, |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x_range, y_range)?;
        chart
            .configure_mesh()
            .x_desc("optimizer step")
            .y_desc("loss")
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .light_line_style(WHITE)
            .draw()?;
        let style = group_colour(colour).stroke_width(2);
        chart.draw_series(LineSeries::new(points.iter().copied(), style))?;
        Ok(())
    })
}

/// Draws a histogram of `counts` over `bins`, with the threshold as a vertical line that
/// a legend names on charts of [`CHART_SIZE`].
pub fn histogram(
    title: &str,
    (bins, counts): (&Bins, &[usize]),
    threshold: Option<f64>,
    colour: usize,
    size: (u32, u32),
) -> Result<String> {
    let max_count = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    svg(size, |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 15))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(50)
            .build_cartesian_2d(bins.low..bins.high(), 0.0..max_count * 1.08)?;
        chart
            .configure_mesh()
            .x_desc("score")
            .y_desc("samples")
            .x_labels(6)
            .y_labels(5)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .light_line_style(WHITE)
            .draw()?;
        let fill = group_colour(colour).mix(0.75).filled();
        let bars = counts.iter().enumerate().map(|(i, &count)| {
            let left = bins.low + bins.width * i as f64;
            Rectangle::new([(left, 0.0), (left + bins.width, count as f64)], fill)
        });
        chart.draw_series(bars)?;
        let Some(t) = threshold else {
            return Ok(());
        };
        let line = [(t, 0.0), (t, max_count * 1.08)];
        let series = chart.draw_series(LineSeries::new(line, THRESHOLD_COLOUR.stroke_width(2)))?;
        // Small charts leave no room for a legend beside the bars.
        if size == CHART_SIZE {
            series
                .label(format!("threshold {}", tick(&t)))
                .legend(|(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], THRESHOLD_COLOUR.stroke_width(2))
                });
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .label_font(("sans-serif", 12))
                .draw()?;
        }
        Ok(())
    })
}

/// Draws the ROC curve with the diagonal of a random ranking.
pub fn roc_curve(points: &[(f64, f64)], auc: f64) -> Result<String> {
    let title = format!("ROC curve (AUC {auc:.4})");
    unit_square_curve(
        &title,
        points,
        ("false positive rate", "true positive rate"),
        |chart| {
            let chance =
                DashedLineSeries::new([(0.0, 0.0), (1.0, 1.0)], 6, 4, BLACK.mix(0.4).into());
            chart.draw_series(chance)?;
            Ok(())
        },
    )
}

/// Draws the precision-recall curve as a step function, with the outlier fraction, the
/// precision of a random ranking.
pub fn precision_recall_curve(
    points: &[(f64, f64)],
    average_precision: f64,
    outlier_fraction: f64,
) -> Result<String> {
    let title = format!("Precision-recall curve (AP {average_precision:.4})");
    // Each point's precision applies to the recall interval that ends at it.
    let mut steps = Vec::with_capacity(points.len() * 2);
    for pair in points.windows(2) {
        steps.push((pair[0].0, pair[1].1));
        steps.push(pair[1]);
    }
    let baseline = [(0.0, outlier_fraction), (1.0, outlier_fraction)];
    unit_square_curve(&title, &steps, ("recall", "precision"), |chart| {
        let style = BLACK.mix(0.4).into();
        chart.draw_series(DashedLineSeries::new(baseline, 6, 4, style))?;
        Ok(())
    })
}

type UnitChart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn unit_square_curve(
    title: &str,
    points: &[(f64, f64)],
    (x_desc, y_desc): (&str, &str),
    reference: impl FnOnce(&mut UnitChart<'_, '_>) -> super::DrawResult,
) -> Result<String> {
    svg(CHART_SIZE, |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(-0.02..1.02, -0.02..1.02)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .light_line_style(WHITE)
            .draw()?;
        reference(&mut chart)?;
        let style = group_colour(0).stroke_width(2);
        chart.draw_series(LineSeries::new(points.iter().copied(), style))?;
        Ok(())
    })
}
