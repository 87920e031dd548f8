//! Scatter plots of the embedding's principal components, coloured by group.

use anyhow::Result;
use plotters::prelude::*;

use super::{group_colour, padded_range, svg, tick, CHART_SIZE};
use crate::report::pca::N_COMPONENTS;
use crate::report::Groups;

/// Points of one colour: a group's palette index and points.
struct Layer {
    colour: usize,
    points: Vec<[f64; N_COMPONENTS]>,
}

/// Splits `points` by group and orders the layers from the largest group to the smallest,
/// so that small groups, usually the outliers, are drawn on top.
fn layers(points: &[[f64; N_COMPONENTS]], rows: &[usize], groups: &Groups) -> Vec<Layer> {
    let mut layers: Vec<Layer> = groups
        .colours
        .iter()
        .map(|&colour| Layer {
            colour,
            points: Vec::new(),
        })
        .collect();
    for (point, &row) in points.iter().zip(rows) {
        if let Some(layer) = layers.get_mut(groups.of_row[row]) {
            layer.points.push(*point);
        }
    }
    layers.retain(|layer| !layer.points.is_empty());
    layers.sort_by_key(|layer| std::cmp::Reverse(layer.points.len()));
    layers
}

/// Draws components `a` and `b` (0-based) of the sampled rows as a 2-D scatter plot.
pub fn scatter_2d(
    points: &[[f64; N_COMPONENTS]],
    rows: &[usize],
    groups: &Groups,
    (a, b): (usize, usize),
) -> Result<String> {
    let x_range = padded_range(points.iter().map(|p| p[a]));
    let y_range = padded_range(points.iter().map(|p| p[b]));
    let layers = layers(points, rows, groups);
    svg(CHART_SIZE, |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("PC{} against PC{}", b + 1, a + 1),
                ("sans-serif", 15),
            )
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(50)
            .build_cartesian_2d(x_range, y_range)?;
        chart
            .configure_mesh()
            .x_desc(format!("PC{}", a + 1))
            .y_desc(format!("PC{}", b + 1))
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .light_line_style(WHITE)
            .draw()?;
        for layer in &layers {
            let style = group_colour(layer.colour).mix(0.7).filled();
            let dots = layer
                .points
                .iter()
                .map(|p| Circle::new((p[a], p[b]), 2, style));
            chart.draw_series(dots)?;
        }
        Ok(())
    })
}

/// Draws the first three components of the sampled rows, seen from a fixed angle.
pub fn scatter_3d(
    points: &[[f64; N_COMPONENTS]],
    rows: &[usize],
    groups: &Groups,
) -> Result<String> {
    let ranges: Vec<std::ops::Range<f64>> = (0..N_COMPONENTS)
        .map(|k| padded_range(points.iter().map(|p| p[k])))
        .collect();
    let layers = layers(points, rows, groups);
    svg((CHART_SIZE.0, CHART_SIZE.1 + 80), |area| {
        let mut chart = ChartBuilder::on(area)
            .caption("PC1 across, PC2 up, PC3 in depth", ("sans-serif", 15))
            .margin(10)
            .build_cartesian_3d(ranges[0].clone(), ranges[1].clone(), ranges[2].clone())?;
        chart.with_projection(|mut projection| {
            projection.yaw = 0.6;
            projection.pitch = 0.3;
            projection.scale = 0.8;
            projection.into_matrix()
        });
        chart
            .configure_axes()
            .light_grid_style(BLACK.mix(0.08))
            .max_light_lines(3)
            .x_formatter(&tick)
            .y_formatter(&tick)
            .z_formatter(&tick)
            .label_style(("sans-serif", 10))
            .draw()?;
        for layer in &layers {
            let style = group_colour(layer.colour).mix(0.7).filled();
            let dots = layer
                .points
                .iter()
                .map(|p| Circle::new((p[0], p[1], p[2]), 2, style));
            chart.draw_series(dots)?;
        }
        Ok(())
    })
}
