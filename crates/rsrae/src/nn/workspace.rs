//! Buffers for the forward and backward passes, allocated once per batch capacity.

use super::Network;

/// Preallocated activations and gradients for up to `capacity` rows.
#[derive(Debug, Clone)]
pub struct Workspace {
    capacity: usize,
    rows: usize,
    pub(crate) encoder_out: Vec<Vec<f32>>,
    pub(crate) rsr_out: Vec<f32>,
    pub(crate) rsr_norm: Vec<f32>,
    pub(crate) decoder_in: Vec<f32>,
    pub(crate) decoder_out: Vec<Vec<f32>>,
    /// ∂L/∂x̂, written by the reconstruction loss.
    pub(crate) grad_output: Vec<f32>,
    /// ∂L/∂z, written by the projection loss.
    pub(crate) grad_latent: Vec<f32>,
    /// ∂L/∂(Az).
    pub(crate) grad_rsr: Vec<f32>,
    pub(crate) scratch: Vec<f32>,
}

impl Workspace {
    /// Allocates buffers for batches of up to `capacity` rows.
    pub fn new(network: &Network, capacity: usize) -> Self {
        let config = network.config();
        let layers = network.encoder().iter().chain(network.decoder());
        let max_width = layers.map(|l| l.in_dim.max(l.out_dim)).max().unwrap_or(1);
        let outputs = |layers: &[super::DenseLayer]| {
            layers
                .iter()
                .map(|l| vec![0.0; capacity * l.out_dim])
                .collect()
        };
        let grad = vec![0.0; capacity * max_width];
        Workspace {
            capacity,
            rows: 0,
            encoder_out: outputs(network.encoder()),
            rsr_out: vec![0.0; capacity * config.rsr_dim],
            rsr_norm: vec![0.0; capacity],
            decoder_in: vec![0.0; capacity * config.rsr_dim],
            decoder_out: outputs(network.decoder()),
            grad_output: grad.clone(),
            grad_latent: grad.clone(),
            grad_rsr: vec![0.0; capacity * config.rsr_dim],
            scratch: grad,
        }
    }

    /// The most rows a batch may have.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Rows of the last forward pass.
    pub fn rows(&self) -> usize {
        self.rows
    }

    pub(crate) fn set_rows(&mut self, rows: usize) {
        assert!(
            rows <= self.capacity,
            "batch of {rows} rows exceeds the workspace capacity"
        );
        self.rows = rows;
    }
}
