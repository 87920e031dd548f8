//! Image grids: sampled inputs beside their reconstructions, and the highest- and
//! lowest-scoring images with their scores and labels.

use anyhow::Result;

use rsrae::preprocess::Preprocessor;

use super::images::{png_data_uri, Gray};
use super::sample::{self, Stream};
use super::ReportInput;

/// Inputs shown beside their reconstructions.
pub const N_PAIRS: usize = 24;

/// Images shown at each end of the ranking.
pub const N_EXTREMES: usize = 60;

/// One image in a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    /// Row index, from 0.
    pub index: usize,
    /// The row's score.
    pub score: f32,
    /// The row's label, when known.
    pub label: Option<i64>,
    /// Whether the score is above the threshold.
    pub flagged: bool,
    /// The preprocessed input as a PNG `data:` URI.
    pub input: String,
    /// The reconstruction as a PNG `data:` URI, in the pairs grid only.
    pub reconstruction: Option<String>,
}

/// The three image grids.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFigures {
    /// Sampled inputs with their reconstructions, by row index.
    pub pairs: Vec<Tile>,
    /// The highest-scoring images, highest first.
    pub highest: Vec<Tile>,
    /// The lowest-scoring images, lowest first.
    pub lowest: Vec<Tile>,
    /// The seed the pairs were sampled with.
    pub seed: u64,
    /// Whether each image is stretched to its own value range for display, because the
    /// preprocessing does not map pixels to [0, 1].
    pub stretched: bool,
}

impl ImageFigures {
    /// Encodes the tiles of `input`, whose preprocessed rows are `height × width` images.
    pub fn build(
        input: &ReportInput<'_>,
        preprocessed: &[f32],
        (height, width): (usize, usize),
    ) -> Result<Self> {
        let pixels = height * width;
        let stretched = !matches!(
            input.model.config().preprocessing,
            Preprocessor::Scale { .. }
        );
        let encode = |values: &[f32]| -> Result<String> {
            let shown = if stretched {
                stretch(values)
            } else {
                values.to_vec()
            };
            png_data_uri(Gray {
                values: &shown,
                height,
                width,
            })
        };
        let n_rows = input.scores.len();
        let flags = input.model.flag(input.scores);
        let tile = |index: usize, reconstruction: Option<String>| -> Result<Tile> {
            let values = &preprocessed[index * pixels..(index + 1) * pixels];
            Ok(Tile {
                index,
                score: input.scores[index],
                label: input.data.labels.as_ref().map(|l| l[index]),
                flagged: flags[index],
                input: encode(values)?,
                reconstruction,
            })
        };

        let seed = input.model.config().seed;
        let sampled = sample::indices(n_rows, N_PAIRS, seed, Stream::ImagePairs);
        let mut rows = Vec::with_capacity(sampled.len() * pixels);
        for &i in &sampled {
            rows.extend_from_slice(&preprocessed[i * pixels..(i + 1) * pixels]);
        }
        let reconstructed = input.model.reconstruct_preprocessed(&rows)?;
        let mut pairs = Vec::with_capacity(sampled.len());
        for (k, &index) in sampled.iter().enumerate() {
            let values = &reconstructed[k * pixels..(k + 1) * pixels];
            pairs.push(tile(index, Some(encode(values)?))?);
        }

        let ranked = ranking(input.scores);
        let highest = ranked.iter().take(N_EXTREMES).map(|&i| tile(i, None));
        let lowest = ranked.iter().rev().take(N_EXTREMES).map(|&i| tile(i, None));
        Ok(ImageFigures {
            pairs,
            highest: highest.collect::<Result<_>>()?,
            lowest: lowest.collect::<Result<_>>()?,
            seed,
            stretched,
        })
    }
}

/// Maps `values` linearly onto [0, 1], from their minimum to their maximum; constant
/// values map to 0.
fn stretch(values: &[f32]) -> Vec<f32> {
    let low = values.iter().copied().fold(f32::INFINITY, f32::min);
    let high = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if high > low {
        values.iter().map(|v| (v - low) / (high - low)).collect()
    } else {
        vec![0.0; values.len()]
    }
}

/// Row indices by score, highest first, ties by index, as the library ranks them.
pub fn ranking(scores: &[f32]) -> Vec<usize> {
    let placeholder = vec![0; scores.len()];
    rsrae::metrics::top_classes(scores, &placeholder, scores.len())
        .map(|top| top.into_iter().map(|(index, _, _)| index).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretch_maps_range_to_unit() {
        assert_eq!(stretch(&[-0.02, 0.0, 0.02]), vec![0.0, 0.5, 1.0]);
        assert_eq!(stretch(&[0.3, 0.3]), vec![0.0, 0.0]);
    }
}
