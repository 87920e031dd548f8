//! Fuzzes the IDX readers and format detection: the input is read as an image file, as a
//! label file, and through `data::load` under an IDX name.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use rsrae::data::idx;

fuzz_target!(|bytes: &[u8]| {
    let path = common::scratch_file("fuzz-images-idx3-ubyte", bytes);
    if let Ok(images) = idx::read_images(&path) {
        assert_eq!(images.pixels.len(), images.n * images.height * images.width);
    }
    let _ = idx::read_labels(&path);
    if let Ok(data) = rsrae::data::load(&path, None) {
        assert_eq!(data.features.len(), data.n_samples * data.n_features);
    }
});
