//! Fuzzes the CSV reader, with and without a label column, and the preprocessing of any
//! file it accepts.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use rsrae::preprocess::{PreprocessKind, Preprocessor};

fuzz_target!(|bytes: &[u8]| {
    let path = common::scratch_file("data.csv", bytes);
    for label in [None, Some("label")] {
        if let Ok(data) = rsrae::data::csv::read_csv(&path, label) {
            assert_eq!(data.features.len(), data.n_samples * data.n_features);
            assert!(data.features.iter().all(|v| v.is_finite()));
            for kind in [PreprocessKind::Standard, PreprocessKind::Paper] {
                let x = Preprocessor::fit(&data, kind).apply(&data.features, data.n_features);
                assert!(
                    x.iter().all(|v| v.is_finite()),
                    "{kind:?} made a non-finite value"
                );
            }
        }
    }
});
