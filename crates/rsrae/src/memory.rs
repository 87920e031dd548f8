//! Memory that fitting needs, estimated before the network's buffers are allocated.
//!
//! Fitting keeps the `P` parameters and three more vectors of `P` values (the gradient
//! and AdamW's two moments), the data, and the activations and gradients of one
//! mini-batch. At the end it scores the training rows a chunk at a time. Mini-batches and
//! chunks are preprocessed as they are read, so no preprocessed copy of the data exists.
//! The estimate adds these up as `f32` values (4 bytes each). It leaves out allocator
//! overhead and small bookkeeping, so the real peak is somewhat higher.

use std::iter;

use crate::nn::{ModelConfig, Network};

/// Most values (parameters, or one layer's activations) a model may describe.
///
/// 2^40 values take 4 TiB as `f32`, so this cap rejects nothing that fits in memory, and it
/// keeps every size computed from a layer table far from `usize` overflow.
pub const MAX_MODEL_VALUES: u64 = 1 << 40;

/// Bytes per value: every buffer is of `f32`.
const VALUE_BYTES: u64 = 4;

/// Rows scored per forward pass when the training rows are scored after fitting.
const SCORE_ROWS: usize = 512;

/// Memory that fitting a model on a data set needs, in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// Trainable values `P`.
    pub n_params: u64,
    /// The parameters, their gradient and AdamW's two moments: `4 · P` values.
    pub parameter_bytes: u64,
    /// The larger of the training buffers for one mini-batch and the scoring buffers
    /// for one chunk of rows.
    pub activation_bytes: u64,
    /// The data as read.
    pub data_bytes: u64,
    /// Rows in a training mini-batch.
    pub batch_rows: usize,
}

impl MemoryEstimate {
    /// Estimates the memory of fitting `network` on `n_samples` rows in mini-batches of
    /// `batch_rows` rows.
    pub fn for_fit(network: &Network, n_samples: usize, batch_rows: usize) -> Self {
        let n_params = network.n_params() as u64;
        let input_dim = network.config().input_dim as u64;
        let data_values = (n_samples as u64).saturating_mul(input_dim);

        let batch = batch_rows.min(n_samples).max(1);
        let training = workspace_values(network, batch).saturating_add(batch as u64 * input_dim);
        let score_rows = SCORE_ROWS.min(n_samples).max(1);
        let scoring =
            workspace_values(network, score_rows).saturating_add(score_rows as u64 * input_dim);
        MemoryEstimate {
            n_params,
            parameter_bytes: n_params.saturating_mul(4 * VALUE_BYTES),
            activation_bytes: training.max(scoring).saturating_mul(VALUE_BYTES),
            data_bytes: data_values.saturating_mul(VALUE_BYTES),
            batch_rows: batch,
        }
    }

    /// Returns the total in bytes.
    pub fn total(&self) -> u64 {
        self.parameter_bytes
            .saturating_add(self.activation_bytes)
            .saturating_add(self.data_bytes)
    }

    /// Formats the parts of the total for messages.
    pub fn breakdown(&self) -> String {
        format!(
            "{} for {} parameters with their gradients and AdamW moments, {} for activations \
             of batches of {} rows, {} for the data",
            format_bytes(self.parameter_bytes),
            self.n_params,
            format_bytes(self.activation_bytes),
            self.batch_rows,
            format_bytes(self.data_bytes)
        )
    }
}

/// Values in a `Workspace` for `rows` rows: every layer's output (twice for a layer with
/// batch normalization), the RSR layer's buffers, three gradient buffers as wide as the
/// widest layer, and the largest im2col matrix of a convolution.
fn workspace_values(network: &Network, rows: usize) -> u64 {
    let layers = network.encoder().iter().chain(network.decoder());
    let outputs: u64 = layers.clone().map(|l| l.out_dim as u64).sum();
    let normalized = layers.clone().filter(|l| l.norm_offset.is_some());
    let norm_outputs: u64 = normalized.map(|l| l.out_dim as u64).sum();
    let max_width = layers.map(|l| l.in_dim.max(l.out_dim)).max().unwrap_or(1) as u64;
    let config = network.config();
    let (rsr_dim, code_dim) = (config.rsr_dim as u64, config.code_dim() as u64);
    let rsr = rsr_dim + 1 + code_dim + code_dim.max(rsr_dim);
    let per_row = outputs + norm_outputs + rsr + 3 * max_width;
    let layers = network.encoder().iter().chain(network.decoder());
    let conv_scratch = layers.map(|l| l.scratch_len(rows)).max().unwrap_or(0) as u64;
    per_row
        .saturating_mul(rows as u64)
        .saturating_add(conv_scratch)
}

/// Checks that the layer widths of `config` describe at most [`MAX_MODEL_VALUES`] values, so
/// that laying out its network cannot overflow. Returns the reason when they do not.
pub(crate) fn check_model_size(config: &ModelConfig) -> Result<(), String> {
    let widths = iter::once(config.input_dim)
        .chain(config.encoder_widths.iter().copied())
        .chain(iter::once(config.rsr_dim))
        .chain(config.decoder_widths.iter().copied());
    let max_width = widths.max().unwrap_or(0) as u64;
    let n_layers = (config.encoder_widths.len() + config.decoder_widths.len() + 2) as u64;
    // A dense layer has at most (W + 2)² values with W the widest layer: weights, a bias
    // and per-unit scales. The bound keeps W under 2^20, so even the larger products of a
    // convolutional network (its latent width times d) stay far below usize::MAX.
    let bound = max_width
        .checked_add(2)
        .and_then(|w| w.checked_mul(w))
        .and_then(|v| v.checked_mul(n_layers));
    match bound {
        Some(values) if values <= MAX_MODEL_VALUES => Ok(()),
        _ => Err(format!(
            "layers as wide as {max_width} units make more than {MAX_MODEL_VALUES} values"
        )),
    }
}

/// Memory the system can give this process, in bytes: `MemAvailable` from `/proc/meminfo`,
/// lowered to the free part of a cgroup v2 limit (`/sys/fs/cgroup/memory.max`) when one is
/// set. `None` where `/proc/meminfo` cannot be read, such as outside Linux.
pub fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let available = parse_mem_available(&meminfo)?;
    Some(match cgroup_free() {
        Some(free) => available.min(free),
        None => available,
    })
}

/// Reads the `MemAvailable` line of `/proc/meminfo` text, in bytes.
fn parse_mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut fields = line.split_whitespace().skip(1);
    let value: u64 = fields.next()?.parse().ok()?;
    match fields.next() {
        Some("kB") => value.checked_mul(1024),
        None => Some(value),
        Some(_) => None,
    }
}

/// Returns the cgroup v2 limit minus the current usage, when the process runs under one.
fn cgroup_free() -> Option<u64> {
    let read = |name: &str| std::fs::read_to_string(format!("/sys/fs/cgroup/{name}")).ok();
    let limit: u64 = read("memory.max")?.trim().parse().ok()?;
    let current: u64 = read("memory.current")?.trim().parse().ok()?;
    Some(limit.saturating_sub(current))
}

/// Formats a byte count with a binary unit: `512 bytes`, `1.5 KiB`, `7.2 GiB`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Activation, ImageShape, Workspace};

    /// Sums the buffer lengths that a real `Workspace` allocates.
    fn allocated_values(ws: &Workspace) -> u64 {
        let nested = [
            &ws.encoder.outputs,
            &ws.encoder.acts,
            &ws.decoder.outputs,
            &ws.decoder.acts,
        ];
        let nested = nested.into_iter().flatten();
        let flat = [
            &ws.rsr_out,
            &ws.rsr_norm,
            &ws.decoder_in,
            &ws.grad_output,
            &ws.grad_latent,
            &ws.grad_rsr,
            &ws.scratch,
            &ws.conv_scratch,
        ];
        nested.chain(flat).map(|v| v.len() as u64).sum()
    }

    #[test]
    fn workspace_values_match_allocation() {
        let paper = ModelConfig::paper_dense(30, Activation::Identity);
        let image = ImageShape {
            height: 28,
            width: 28,
            channels: 1,
        };
        let conv = ModelConfig::paper_conv(image, Activation::Tanh);
        let mut no_rsr = ModelConfig::default_for(40, Activation::Identity);
        no_rsr.rsr_layer = false;
        let configs = [
            (ModelConfig::default_for(3, Activation::Identity), 1),
            (ModelConfig::default_for(21, Activation::Identity), 64),
            (ModelConfig::default_for(784, Activation::Sigmoid), 7),
            (ModelConfig::default_for(2000, Activation::Identity), 3),
            (paper, 5),
            (conv, 4),
            (no_rsr, 9),
        ];
        for (config, rows) in configs {
            let network = Network::new(&config);
            let ws = Workspace::new(&network, rows);
            let expected = allocated_values(&ws);
            let label = format!("{config:?}");
            assert_eq!(workspace_values(&network, rows), expected, "{label}");
        }
    }

    #[test]
    fn estimate_adds_parameters_activations_and_data() {
        // 20,000 columns: encoder 20000→10000→5000→128, d = 10, decoder 10→128→10000→20000.
        let config = ModelConfig::default_for(20_000, Activation::Identity);
        let network = Network::new(&config);
        let estimate = MemoryEstimate::for_fit(&network, 3, 64);
        let weights = 20_000 * 10_000 + 10_000 * 5_000 + 5_000 * 128 + 10 * 128 + 128 * 10_000;
        let biases = 10_000 + 5_000 + 128 + 128 + 10_000 + 20_000;
        let n_params: u64 = weights + 10_000 * 20_000 + biases + 10 * 128;
        assert_eq!(estimate.n_params, n_params);
        assert_eq!(estimate.parameter_bytes, 16 * n_params);
        assert_eq!(estimate.batch_rows, 3);
        assert_eq!(estimate.data_bytes, 4 * 3 * 20_000);

        // 3 rows: both workspaces have 3 rows, and each adds a buffer of the 3 input rows.
        let outputs = 10_000 + 5_000 + 128 + 128 + 10_000 + 20_000;
        let per_row = outputs + 3 * 10 + 1 + 3 * 20_000;
        assert_eq!(estimate.activation_bytes, 4 * (3 * per_row + 3 * 20_000));
        let total = estimate.parameter_bytes + estimate.activation_bytes + estimate.data_bytes;
        assert_eq!(estimate.total(), total);
        assert_eq!(format_bytes(total), "6.7 GiB");
    }

    #[test]
    fn huge_widths_rejected_before_layout() {
        let mut config = ModelConfig::default_for(10, Activation::Identity);
        assert_eq!(check_model_size(&config), Ok(()));
        config.encoder_widths = vec![usize::MAX / 2, 64];
        let reason = check_model_size(&config).unwrap_err();
        assert!(
            reason.contains("more than 1099511627776 values"),
            "{reason}"
        );
        config.encoder_widths = vec![1 << 21, 64];
        assert!(check_model_size(&config).is_err());
    }

    #[test]
    fn mem_available_parsed_in_bytes() {
        let text = "MemTotal:       32000000 kB\nMemFree:  100 kB\nMemAvailable:   23390092 kB\n";
        assert_eq!(parse_mem_available(text), Some(23_390_092 * 1024));
        assert_eq!(parse_mem_available("MemFree: 1 kB\n"), None);
        assert_eq!(parse_mem_available("MemAvailable: lots kB\n"), None);
    }

    #[test]
    fn bytes_formatted_with_binary_units() {
        assert_eq!(format_bytes(512), "512 bytes");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(7 << 30), "7.0 GiB");
        assert_eq!(format_bytes(u64::MAX), "16.0 EiB");
    }
}
