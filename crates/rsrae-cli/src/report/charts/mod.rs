//! Charts drawn with plotters' SVG backend, returned as SVG text to inline in the page.
//!
//! The SVG backend writes text as `<text>` elements, so no font files are read. Its layout
//! estimates text width from the byte length, so chart text stays ASCII.

mod heatmap;
mod lines;
mod scatter;

pub use heatmap::contribution_heatmap;
pub use lines::{histogram, loss_curve, precision_recall_curve, roc_curve};
pub use scatter::{scatter_2d, scatter_3d};

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Width and height of a regular chart, in pixels.
pub const CHART_SIZE: (u32, u32) = (520, 340);

/// Width and height of a small per-class histogram, in pixels.
pub const SMALL_CHART_SIZE: (u32, u32) = (340, 220);

/// The outcome of drawing on an SVG drawing area.
type DrawResult = std::result::Result<(), DrawingAreaErrorKind<std::io::Error>>;

/// The drawing area of an SVG chart.
type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Colours of the first groups (Tableau 10); later groups take plotters' 99-colour palette.
const GROUP_COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Colour of the threshold line.
const THRESHOLD_COLOUR: RGBColor = RGBColor(214, 39, 40);

/// Returns palette colour `index`.
pub fn group_colour(index: usize) -> RGBColor {
    match GROUP_COLOURS.get(index) {
        Some(&colour) => colour,
        None => {
            let (r, g, b) = Palette99::pick(index).rgb();
            RGBColor(r, g, b)
        }
    }
}

/// Draws on a white `size` SVG canvas and returns the SVG text.
fn svg(size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> DrawResult) -> Result<String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    Ok(text)
}

/// Returns the range of the finite `values` widened by 5% on each side, or by 1 when they
/// are all equal.
fn padded_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (low, high) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    // No finite value leaves low at +inf and high at -inf.
    if low >= high {
        let centre = if low.is_finite() { low } else { 0.0 };
        return centre - 1.0..centre + 1.0;
    }
    let pad = (high - low) * 0.05;
    low - pad..high + pad
}

/// Plain text for a tick label: 3 significant digits, without trailing zeros.
fn tick(value: &f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_range_handles_equal_values() {
        assert_eq!(padded_range([2.0, 2.0].into_iter()), 1.0..3.0);
        assert_eq!(padded_range(std::iter::empty()), -1.0..1.0);
        let range = padded_range([0.0, 10.0].into_iter());
        assert_eq!(range, -0.5..10.5);
    }

    #[test]
    fn tick_trims_zeros() {
        assert_eq!(tick(&1.5), "1.5");
        assert_eq!(tick(&2.0), "2");
        assert_eq!(tick(&-0.0001), "0");
        assert_eq!(tick(&0.125), "0.125");
    }

    #[test]
    fn svg_chart_has_text_and_shapes() {
        let svg = loss_curve("loss", &[(1.0, 3.0), (2.0, 2.0), (3.0, 1.5)], 0).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("<text"));
        assert!(svg.contains("<polyline"));
    }
}
