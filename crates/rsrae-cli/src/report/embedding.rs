//! The RSR embedding `Az` of every row, projected onto its first three principal components
//! and sampled for the scatter plots.

use rsrae::Rsrae;

use super::pca;
use super::sample::{self, Stream};

/// Points drawn in each scatter plot; larger data is sampled with the model's seed.
pub const MAX_SCATTER_POINTS: usize = 2000;

/// The embedding's projection, for the sampled rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    /// Width of the embedding: `d` of the RSR layer, or the latent width `D` of a model
    /// without one.
    pub dim: usize,
    /// Whether the model has an RSR layer, so that the embedding is `Az` and not `z`.
    pub rsr_layer: bool,
    /// Rows in the data.
    pub n_rows: usize,
    /// The sampled rows, ascending.
    pub rows: Vec<usize>,
    /// `[PC1, PC2, PC3]` of each sampled row.
    pub points: Vec<[f64; pca::N_COMPONENTS]>,
    /// Share of the variance along each component, over all rows.
    pub explained_variance_ratio: Vec<f64>,
    /// The seed the rows were sampled with.
    pub seed: u64,
}

impl Embedding {
    /// Embeds the preprocessed rows with `model`, fits the PCA on all of them and keeps a
    /// seeded sample of at most [`MAX_SCATTER_POINTS`] rows.
    pub fn build(model: &Rsrae, preprocessed: &[f32]) -> rsrae::Result<Self> {
        let n_rows = preprocessed.len() / model.config().model.input_dim.max(1);
        let embedded = model.embed_preprocessed(preprocessed)?;
        let dim = embedded.len().checked_div(n_rows).unwrap_or(0);
        let projection = pca::project(&embedded, dim);
        let seed = model.config().seed;
        let rows = if projection.points.len() == n_rows {
            sample::indices(n_rows, MAX_SCATTER_POINTS, seed, Stream::Scatter)
        } else {
            Vec::new()
        };
        let points = rows.iter().map(|&i| projection.points[i]).collect();
        Ok(Embedding {
            dim,
            rsr_layer: model.config().model.rsr_layer,
            n_rows,
            rows,
            points,
            explained_variance_ratio: projection.explained_variance_ratio,
            seed,
        })
    }

    /// Returns whether the scatter plots show a sample instead of every row.
    pub fn is_sampled(&self) -> bool {
        self.rows.len() < self.n_rows
    }
}
