//! Loading rejects missing, tampered and crafted model files with an error, never a panic.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::{CONFIG_FILE, WEIGHTS_FILE};
use crate::data::{DataKind, Dataset};
use crate::{Recipe, Rsrae, RsraeParams};

fn dataset(n_samples: usize, n_features: usize) -> Dataset {
    let features = (0..n_samples * n_features)
        .map(|i| ((i * 7) % 11) as f32 - 3.0)
        .collect();
    Dataset {
        features,
        n_samples,
        n_features,
        feature_names: (0..n_features).map(|j| format!("c{j}")).collect(),
        labels: None,
        kind: DataKind::Tabular,
    }
}

fn fit(n_features: usize) -> Rsrae {
    let params = RsraeParams::new(Recipe::Default).with_epochs(1);
    let data = dataset(20, n_features);
    params
        .fit(&data, &mut |_| ControlFlow::Continue(()))
        .unwrap()
        .model
}

/// Saves a 3-column model into a fresh folder and returns the folder and the model path.
fn saved_model() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let model_dir = dir.path().join("model");
    fit(3).save(&model_dir).unwrap();
    (dir, model_dir)
}

fn load_error(dir: &Path) -> String {
    Rsrae::load(dir).unwrap_err().to_string()
}

fn edit_config(dir: &Path, edit: impl FnOnce(&mut Value)) {
    let path = dir.join(CONFIG_FILE);
    let mut config: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut config);
    std::fs::write(&path, serde_json::to_vec(&config).unwrap()).unwrap();
}

#[test]
fn load_and_from_bytes_reproduce_scores() {
    let (_tmp, dir) = saved_model();
    let original = fit(3);
    let loaded = Rsrae::load(&dir).unwrap();
    let config = std::fs::read(dir.join(CONFIG_FILE)).unwrap();
    let weights = std::fs::read(dir.join(WEIGHTS_FILE)).unwrap();
    let from_bytes = Rsrae::from_bytes(&config, &weights).unwrap();

    let data = dataset(7, 3);
    let expected = original.score(&data).unwrap();
    assert_eq!(loaded.score(&data).unwrap(), expected);
    assert_eq!(from_bytes.score(&data).unwrap(), expected);
}

#[test]
fn combined_score_round_trips_with_its_scale() {
    let mut data = dataset(40, 16);
    data.kind = DataKind::Image {
        height: 4,
        width: 4,
        max_value: 255.0,
    };
    for v in &mut data.features {
        *v = (*v + 3.0) * 20.0;
    }
    let params = RsraeParams::new(Recipe::Default).with_epochs(1);
    let outcome = params
        .fit(&data, &mut |_| ControlFlow::Continue(()))
        .unwrap();
    assert_eq!(outcome.model.config().score, crate::ScoreKind::Combined);
    let dir = tempfile::tempdir().unwrap();
    outcome.model.save(dir.path()).unwrap();
    let loaded = Rsrae::load(dir.path()).unwrap();
    assert_eq!(loaded.config(), outcome.model.config());
    assert_eq!(loaded.score(&data).unwrap(), outcome.training_scores);
}

#[test]
fn missing_files_name_the_fix() {
    let (_tmp, dir) = saved_model();
    std::fs::remove_file(dir.join(WEIGHTS_FILE)).unwrap();
    let text = load_error(&dir);
    assert!(text.contains("model.safetensors: not found"), "{text}");
    assert!(text.contains("refit the model"), "{text}");

    std::fs::remove_file(dir.join(CONFIG_FILE)).unwrap();
    let text = load_error(&dir);
    assert!(text.contains("config.json: not found"), "{text}");
    assert!(text.contains("rsrae fit --model DIR"), "{text}");
}

#[test]
fn newer_format_version_rejected() {
    let (_tmp, dir) = saved_model();
    edit_config(&dir, |c| c["format_version"] = json!(99));
    let text = load_error(&dir);
    assert!(text.contains("format version 99 is newer"), "{text}");
    assert!(text.contains("upgrade rsrae"), "{text}");
}

#[test]
fn format_version_that_is_not_a_version_rejected() {
    for version in [json!(0), json!("2"), json!(-1), json!(1.5)] {
        let (_tmp, dir) = saved_model();
        edit_config(&dir, |c| c["format_version"] = version.clone());
        let text = load_error(&dir);
        let expected = format!("format_version {version} is not a version (1 to 2)");
        assert!(text.contains(&expected), "{text}");
    }
}

#[test]
fn version_1_model_still_loads() {
    // Version 1 had no combined score and no `score_scale`; such a model scores as before.
    let (_tmp, dir) = saved_model();
    edit_config(&dir, |c| c["format_version"] = json!(1));
    let data = dataset(7, 3);
    let loaded = Rsrae::load(&dir).unwrap();
    assert_eq!(loaded.score(&data).unwrap(), fit(3).score(&data).unwrap());
}

#[test]
fn truncated_weights_name_both_sizes() {
    let (_tmp, dir) = saved_model();
    let path = dir.join(WEIGHTS_FILE);
    let n_params = Rsrae::load(&dir).unwrap().params().len();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(100).unwrap();
    let text = load_error(&dir);
    let sizes = format!("the file has 100 bytes, but config.json describes {n_params} weights");
    assert!(text.contains(&sizes), "{text}");
    assert!(text.contains("truncated"), "{text}");
}

#[test]
fn weights_of_another_model_rejected() {
    for n_features in [2, 5] {
        let (_tmp, dir) = saved_model();
        let other = tempfile::tempdir().unwrap();
        let other_dir = other.path().join("other");
        fit(n_features).save(&other_dir).unwrap();
        std::fs::copy(other_dir.join(WEIGHTS_FILE), dir.join(WEIGHTS_FILE)).unwrap();
        let text = load_error(&dir);
        let shapes = "tensor encoder.0.weight is F32";
        assert!(text.contains(shapes), "{n_features} columns: {text}");
        assert!(
            text.contains("different models"),
            "{n_features} columns: {text}"
        );
    }
}

#[test]
fn swapped_tensor_shape_rejected() {
    let (_tmp, dir) = saved_model();
    let path = dir.join(WEIGHTS_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = String::from_utf8(bytes[8..8 + header_len].to_vec()).unwrap();
    // The decoder's first layer maps d = 1 to 3 units, so its weight is [3, 1].
    let mut value: Value = serde_json::from_str(&header).unwrap();
    assert_eq!(value["decoder.0.weight"]["shape"], json!([3, 1]));
    value["decoder.0.weight"]["shape"] = json!([1, 3]);
    let mut new_header = serde_json::to_string(&value).unwrap();
    while new_header.len() < header_len {
        new_header.push(' ');
    }
    assert_eq!(
        new_header.len(),
        header_len,
        "the edit keeps the header length"
    );
    bytes[8..8 + header_len].copy_from_slice(new_header.as_bytes());
    std::fs::write(&path, bytes).unwrap();
    let text = load_error(&dir);
    assert!(text.contains("tensor decoder.0.weight"), "{text}");
    assert!(text.contains("different models"), "{text}");
}

#[test]
fn non_finite_weight_rejected() {
    let (_tmp, dir) = saved_model();
    let path = dir.join(WEIGHTS_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let end = bytes.len();
    bytes[end - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
    let text = load_error(&dir);
    assert!(text.contains("is NaN"), "{text}");
    assert!(text.contains("corrupted"), "{text}");
}

#[test]
fn crafted_header_length_rejected() {
    let (_tmp, dir) = saved_model();
    let path = dir.join(WEIGHTS_FILE);
    for declared in [u64::MAX, 1 << 40, 99_999_999] {
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[..8].copy_from_slice(&declared.to_le_bytes());
        let config = std::fs::read(dir.join(CONFIG_FILE)).unwrap();
        let text = Rsrae::from_bytes(&config, &bytes).unwrap_err().to_string();
        assert!(
            text.contains("not a valid safetensors file"),
            "{declared}: {text}"
        );
    }
}

#[test]
fn inconsistent_config_rejected() {
    type ConfigEdit = fn(&mut Value);
    let cases: [(&str, ConfigEdit); 8] = [
        ("a score_scale with the \"reconstruction\" score", |c| {
            let part = json!({"median": 0.0, "mad": 1.0});
            c["score_scale"] = json!({"reconstruction": part, "cosine": part});
        }),
        ("2 feature names for an input of 3 columns", |c| {
            c["feature_names"] = json!(["a", "b"]);
        }),
        ("score \"auto\", which fitting resolves", |c| {
            c["score"] = json!("auto");
        }),
        ("the combined score without score_scale", |c| {
            c["score"] = json!("combined");
        }),
        ("score_scale.cosine has median 0 and mad 0", |c| {
            c["score"] = json!("combined");
            let part = json!({"median": 0.0, "mad": 1.0});
            let zero = json!({"median": 0.0, "mad": 0.0});
            c["score_scale"] = json!({"reconstruction": part, "cosine": zero});
        }),
        ("scale of column 1 is 0", |c| {
            c["preprocessing"]["scale"][1] = json!(0.0);
        }),
        ("3 means and 2 scales", |c| {
            c["preprocessing"]["scale"] = json!([1.0, 1.0]);
        }),
        ("images of 2×2 pixels", |c| {
            c["data_kind"] = json!({"type": "image", "height": 2, "width": 2, "max_value": 255.0});
        }),
    ];
    for (expected, edit) in cases {
        let (_tmp, dir) = saved_model();
        edit_config(&dir, edit);
        let text = load_error(&dir);
        assert!(text.contains("inconsistent configuration"), "{text}");
        assert!(text.contains(expected), "{text}");
    }
}

#[test]
fn huge_declared_widths_rejected_before_layout() {
    let (_tmp, dir) = saved_model();
    edit_config(&dir, |c| {
        c["model"]["encoder_widths"] = json!([u64::MAX / 4, 16]);
    });
    let text = load_error(&dir);
    assert!(text.contains("layers as wide as"), "{text}");

    edit_config(&dir, |c| {
        c["model"]["encoder_widths"] = json!([100_000, 100_000, 16]);
    });
    let text = load_error(&dir);
    assert!(text.contains("4294967296-byte limit"), "{text}");
}

#[test]
fn overflowing_image_shape_rejected() {
    let (_tmp, dir) = saved_model();
    edit_config(&dir, |c| {
        c["model"]["conv"] = json!({"height": 1u64 << 32, "width": 1u64 << 32, "channels": 1});
    });
    let text = load_error(&dir);
    let expected = "a convolutional input of 4294967296×4294967296×1 values for an input of 3";
    assert!(text.contains(expected), "{text}");
}

#[test]
fn oversized_config_rejected_before_reading() {
    let (_tmp, dir) = saved_model();
    let file = std::fs::File::create(dir.join(CONFIG_FILE)).unwrap();
    file.set_len(super::MAX_CONFIG_BYTES + 1).unwrap();
    let text = load_error(&dir);
    assert!(
        text.contains("larger than the 268435456-byte limit"),
        "{text}"
    );
}

#[test]
fn invalid_json_rejected() {
    let (_tmp, dir) = saved_model();
    std::fs::write(dir.join(CONFIG_FILE), b"{\"format_version\": 1,").unwrap();
    let text = load_error(&dir);
    assert!(text.contains("not valid JSON"), "{text}");
}

fn folder_snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap_or_default())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn dropped_stage_keeps_old_model() {
    let (tmp, dir) = saved_model();
    let before = folder_snapshot(&dir);
    let staged = fit(5).stage(&dir, None).unwrap();
    drop(staged);
    assert_eq!(folder_snapshot(&dir), before);
    let names: Vec<String> = folder_snapshot(tmp.path())
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(names, vec!["model"], "no staging folder is left");
}

#[test]
fn committed_stage_replaces_model() {
    let (tmp, dir) = saved_model();
    fit(5).stage(&dir, None).unwrap().commit().unwrap();
    assert_eq!(Rsrae::load(&dir).unwrap().config().feature_names.len(), 5);
    let names: Vec<String> = folder_snapshot(tmp.path())
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(names, vec!["model"], "no backup or staging folder is left");
}

#[test]
fn save_never_replaces_a_foreign_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("results");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "keep me").unwrap();
    let text = fit(3).save(&dir).unwrap_err().to_string();
    assert!(text.contains("contains \"notes.txt\""), "{text}");
    assert!(text.contains("choose another --model path"), "{text}");
    assert_eq!(std::fs::read(dir.join("notes.txt")).unwrap(), b"keep me");

    let file = tmp.path().join("file");
    std::fs::write(&file, "data").unwrap();
    let text = fit(3).save(&file).unwrap_err().to_string();
    assert!(text.contains("exists and is not a directory"), "{text}");
    assert_eq!(std::fs::read(&file).unwrap(), b"data");
}

#[test]
fn save_into_missing_folder_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("absent").join("model");
    let text = fit(3).save(&dir).unwrap_err().to_string();
    assert!(
        text.contains("absent does not exist; create that folder"),
        "{text}"
    );
    assert!(!tmp.path().join("absent").exists());
}

#[test]
fn save_into_empty_folder_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("empty");
    std::fs::create_dir(&dir).unwrap();
    fit(3).save(&dir).unwrap();
    assert!(Rsrae::load(&dir).is_ok());
}
