//! Buffers for the forward and backward passes, allocated once per batch capacity.

use super::network::StackOutputs;
use super::{Layer, Network};

/// Preallocated activations and gradients for up to `capacity` rows.
#[derive(Debug, Clone)]
pub struct Workspace {
    capacity: usize,
    rows: usize,
    pub(crate) encoder: StackOutputs,
    pub(crate) decoder: StackOutputs,
    pub(crate) rsr_out: Vec<f32>,
    pub(crate) rsr_norm: Vec<f32>,
    pub(crate) decoder_in: Vec<f32>,
    /// ∂L/∂x̂, written by the reconstruction loss.
    pub(crate) grad_output: Vec<f32>,
    /// ∂L/∂z, written by the projection loss.
    pub(crate) grad_latent: Vec<f32>,
    /// ∂L/∂(decoder input).
    pub(crate) grad_rsr: Vec<f32>,
    /// A spare gradient buffer that trades places with the others between layers.
    pub(crate) scratch: Vec<f32>,
    /// im2col matrices of the convolutions.
    pub(crate) conv_scratch: Vec<f32>,
}

fn stack_outputs(layers: &[Layer], capacity: usize) -> StackOutputs {
    let acts = layers
        .iter()
        .map(|l| {
            vec![
                0.0;
                if l.norm_offset.is_some() {
                    capacity * l.out_dim
                } else {
                    0
                }
            ]
        })
        .collect();
    StackOutputs {
        outputs: layers
            .iter()
            .map(|l| vec![0.0; capacity * l.out_dim])
            .collect(),
        acts,
    }
}

impl Workspace {
    /// Allocates buffers for batches of up to `capacity` rows.
    pub fn new(network: &Network, capacity: usize) -> Self {
        let config = network.config();
        let layers = || network.encoder().iter().chain(network.decoder());
        let max_width = layers().map(|l| l.in_dim.max(l.out_dim)).max().unwrap_or(1);
        let conv_scratch = layers().map(|l| l.scratch_len(capacity)).max().unwrap_or(0);
        let grad = vec![0.0; capacity * max_width];
        let code = config.code_dim();
        Workspace {
            capacity,
            rows: 0,
            encoder: stack_outputs(network.encoder(), capacity),
            decoder: stack_outputs(network.decoder(), capacity),
            rsr_out: vec![0.0; capacity * config.rsr_dim],
            rsr_norm: vec![0.0; capacity],
            decoder_in: vec![0.0; capacity * code],
            grad_output: grad.clone(),
            grad_latent: grad.clone(),
            grad_rsr: vec![0.0; capacity * code.max(config.rsr_dim)],
            scratch: grad,
            conv_scratch: vec![0.0; conv_scratch],
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
