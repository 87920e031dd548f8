//! The heatmap of per-feature error shares of the top anomalies.

use anyhow::Result;
use plotters::prelude::*;

use super::svg;
use crate::report::contributions::Contributions;

/// Width of one heatmap cell and height of one row, in pixels.
const CELL: (u32, u32) = (18, 16);

/// Draws the heatmap of error shares. Rows are the top anomalies, highest first, and
/// columns are the kept features. Darker cells contain a larger share of the row's squared
/// error, and the darkest colour marks the largest share in the heatmap.
pub fn contribution_heatmap(contributions: &Contributions) -> Result<String> {
    let features = &contributions.heatmap_features;
    let rows = &contributions.rows;
    let n_columns = features.len().max(1) as i32;
    let n_rows = rows.len().max(1) as i32;
    let max_share = contributions.max_heatmap_share();
    let width = 130 + CELL.0 * n_columns as u32;
    let height = 100 + CELL.1 * n_rows as u32;
    let column_name = |value: &SegmentValue<i32>| match value {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => usize::try_from(*i)
            .ok()
            .and_then(|i| features.get(i))
            .map(|&j| contributions.feature_names[j].clone())
            .unwrap_or_default(),
        SegmentValue::Last => String::new(),
    };
    let row_name = |value: &SegmentValue<i32>| match value {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => usize::try_from(*i)
            .ok()
            .and_then(|i| rows.len().checked_sub(i + 1))
            .map(|r| format!("row {}", rows[r].index))
            .unwrap_or_default(),
        SegmentValue::Last => String::new(),
    };
    svg((width.max(320), height), |area| {
        let mut chart = ChartBuilder::on(area)
            .caption("Share of squared error per feature", ("sans-serif", 15))
            .margin(10)
            .x_label_area_size(70)
            .y_label_area_size(80)
            .build_cartesian_2d(
                (0..n_columns).into_segmented(),
                (0..n_rows).into_segmented(),
            )?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(features.len())
            .y_labels(rows.len())
            .x_label_formatter(&column_name)
            .y_label_formatter(&row_name)
            .x_label_style(
                ("sans-serif", 11)
                    .into_font()
                    .transform(FontTransform::Rotate90),
            )
            .y_label_style(("sans-serif", 11))
            .draw()?;
        let cells = rows.iter().enumerate().flat_map(|(r, row)| {
            // The highest-scoring row goes on top, where the y axis ends.
            let y = n_rows - 1 - r as i32;
            features.iter().enumerate().map(move |(c, &j)| {
                let share = if max_share > 0.0 {
                    (row.shares[j] / max_share).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                // White for no share, shading to red for the whole error.
                let green = 255 - (share * 200.0).round() as u8;
                let blue = 255 - (share * 230.0).round() as u8;
                let colour = RGBColor(255, green, blue);
                Rectangle::new(
                    [
                        (SegmentValue::Exact(c as i32), SegmentValue::Exact(y)),
                        (
                            SegmentValue::Exact(c as i32 + 1),
                            SegmentValue::Exact(y + 1),
                        ),
                    ],
                    colour.filled(),
                )
            })
        });
        chart.draw_series(cells)?;
        Ok(())
    })
}
