//! Fuzzes model loading: the first 4 bytes (little-endian) give the length of the
//! `config.json` bytes that follow, and the rest is `model.safetensors`. A model that
//! loads must score a row without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rsrae::data::{DataKind, Dataset};
use rsrae::Rsrae;

fuzz_target!(|bytes: &[u8]| {
    let Some((head, rest)) = bytes.split_first_chunk::<4>() else {
        return;
    };
    let config_len = (u32::from_le_bytes(*head) as usize).min(rest.len());
    let (config, weights) = rest.split_at(config_len);
    let Ok(model) = Rsrae::from_bytes(config, weights) else {
        return;
    };
    let fitted = model.config();
    let width = fitted.model.input_dim;
    if width > 1 << 16 {
        return;
    }
    let data = Dataset {
        features: vec![0.5; 2 * width],
        n_samples: 2,
        n_features: width,
        feature_names: fitted.feature_names.clone(),
        labels: None,
        kind: DataKind::Tabular,
    };
    let _ = model.score(&data);
});
