//! Fuzzes the `.npy` reader.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let path = common::scratch_file("data.npy", bytes);
    if let Ok(data) = rsrae::data::npy::read_npy(&path) {
        assert_eq!(data.features.len(), data.n_samples * data.n_features);
        assert!(data.features.iter().all(|v| v.is_finite()));
    }
});
