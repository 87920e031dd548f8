//! Saving and loading a model directory: `config.json` and `model.safetensors`.
//!
//! The weights are stored per layer under PyTorch-style names (`encoder.0.weight`
//! `[out, in]`, `encoder.0.bias`, `rsr.A` `[d, D]`, `decoder.…`). A directory is written
//! to a temporary sibling first and renamed into place, so a failed save leaves any
//! earlier model at that path intact.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::error::{Error, ModelError, Result};
use crate::model::{FittedConfig, Rsrae, FORMAT_VERSION};
use crate::nn::{DenseLayer, Network};

/// File name of the configuration inside a model directory.
pub const CONFIG_FILE: &str = "config.json";
/// File name of the weights inside a model directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Largest weights file accepted, 4 GiB, checked before reading.
const MAX_WEIGHTS_BYTES: u64 = 4 << 30;

/// One named tensor: its offset and shape in the flat parameter vector.
struct TensorSlot {
    name: String,
    offset: usize,
    shape: Vec<usize>,
}

fn tensor_slots(network: &Network) -> Vec<TensorSlot> {
    let mut slots = Vec::new();
    let mut add_layers = |prefix: &str, layers: &[DenseLayer]| {
        for (i, l) in layers.iter().enumerate() {
            slots.push(TensorSlot {
                name: format!("{prefix}.{i}.weight"),
                offset: l.weight_offset,
                shape: vec![l.out_dim, l.in_dim],
            });
            slots.push(TensorSlot {
                name: format!("{prefix}.{i}.bias"),
                offset: l.bias_offset,
                shape: vec![l.out_dim],
            });
        }
    };
    add_layers("encoder", network.encoder());
    add_layers("decoder", network.decoder());
    let config = network.config();
    slots.push(TensorSlot {
        name: "rsr.A".into(),
        offset: network.a_range().start,
        shape: vec![config.rsr_dim, config.latent_dim()],
    });
    slots
}

fn invalid(path: &Path, message: impl Into<String>) -> Error {
    ModelError::Invalid {
        path: path.to_path_buf(),
        message: message.into(),
    }
    .into()
}

impl Rsrae {
    /// Writes the model to the directory `dir`, replacing any model there only once the
    /// new one is complete.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let staging = tempfile::Builder::new()
            .prefix(".rsrae-model-")
            .tempdir_in(&parent)
            .map_err(|e| Error::io(&parent, e))?;
        self.write_files(staging.path())?;
        replace_dir(staging.keep(), dir)
    }

    fn write_files(&self, dir: &Path) -> Result<()> {
        let json = serde_json::to_string_pretty(self.config())
            .map_err(|e| invalid(dir, format!("cannot serialize the configuration: {e}")))?;
        let config_path = dir.join(CONFIG_FILE);
        fs::write(&config_path, json).map_err(|e| Error::io(&config_path, e))?;

        let slots = tensor_slots(self.network());
        let bytes: Vec<Vec<u8>> = slots
            .iter()
            .map(|s| {
                let len: usize = s.shape.iter().product();
                self.params()[s.offset..s.offset + len]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect()
            })
            .collect();
        let mut views = Vec::with_capacity(slots.len());
        for (slot, data) in slots.iter().zip(&bytes) {
            let view = TensorView::new(Dtype::F32, slot.shape.clone(), data)
                .map_err(|e| invalid(dir, format!("tensor {}: {e}", slot.name)))?;
            views.push((slot.name.clone(), view));
        }
        let metadata = HashMap::from([("format_version".to_string(), FORMAT_VERSION.to_string())]);
        let weights_path = dir.join(WEIGHTS_FILE);
        safetensors::serialize_to_file(views, &Some(metadata), &weights_path)
            .map_err(|e| invalid(&weights_path, format!("cannot write the weights: {e}")))
    }

    /// Reads a model directory written by [`Rsrae::save`].
    pub fn load(dir: &Path) -> Result<Self> {
        let config = read_config(dir)?;
        let network = Network::new(&config.model);
        let weights_path = dir.join(WEIGHTS_FILE);
        let params = read_weights(&weights_path, &network)?;
        Rsrae::from_parts(config, params)
    }
}

fn read_config(dir: &Path) -> Result<FittedConfig> {
    let path = dir.join(CONFIG_FILE);
    let text = fs::read_to_string(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => invalid(
            &path,
            "not found; pass the directory that `rsrae fit --model DIR` wrote",
        ),
        _ => Error::io(&path, e),
    })?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| invalid(&path, format!("not valid JSON ({e}); refit the model")))?;
    let version = value.get("format_version").and_then(|v| v.as_u64());
    match version {
        Some(v) if v > u64::from(FORMAT_VERSION) => {
            return Err(invalid(
                &path,
                format!(
                    "format version {v} is newer than this rsrae reads ({FORMAT_VERSION}); \
                     upgrade rsrae"
                ),
            ))
        }
        None => return Err(invalid(&path, "format_version is missing; refit the model")),
        _ => {}
    }
    serde_json::from_value(value).map_err(|e| {
        invalid(
            &path,
            format!("invalid configuration ({e}); refit the model"),
        )
    })
}

fn read_weights(path: &Path, network: &Network) -> Result<Vec<f32>> {
    let size = fs::metadata(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => invalid(
                path,
                "not found; the model directory is incomplete, refit the model",
            ),
            _ => Error::io(path, e),
        })?
        .len();
    if size > MAX_WEIGHTS_BYTES {
        return Err(invalid(
            path,
            format!("{size} bytes is larger than the 4 GiB limit"),
        ));
    }
    let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
    let tensors = SafeTensors::deserialize(&bytes).map_err(|e| {
        invalid(
            path,
            format!("not a valid safetensors file ({e}); refit the model"),
        )
    })?;
    let mut params = vec![0.0f32; network.n_params()];
    for slot in tensor_slots(network) {
        let view = tensors.tensor(&slot.name).map_err(|_| {
            invalid(
                path,
                format!("tensor {} is missing; refit the model", slot.name),
            )
        })?;
        if view.dtype() != Dtype::F32 || view.shape() != slot.shape.as_slice() {
            return Err(invalid(
                path,
                format!(
                    "tensor {} is {:?} {:?} but config.json expects F32 {:?}; \
                     the weights and configuration come from different models",
                    slot.name,
                    view.dtype(),
                    view.shape(),
                    slot.shape
                ),
            ));
        }
        let dst = &mut params[slot.offset..slot.offset + slot.shape.iter().product::<usize>()];
        for (d, chunk) in dst.iter_mut().zip(view.data().chunks_exact(4)) {
            *d = f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
    }
    if tensors.len() != tensor_slots(network).len() {
        return Err(invalid(
            path,
            format!(
                "{} tensors where config.json describes {}; refit the model",
                tensors.len(),
                tensor_slots(network).len()
            ),
        ));
    }
    if let Some(i) = params.iter().position(|v| !v.is_finite()) {
        return Err(invalid(
            path,
            format!(
                "weight {i} is {}; the file is corrupted, refit the model",
                params[i]
            ),
        ));
    }
    Ok(params)
}

/// Moves the finished directory `staged` to `target`, keeping any old `target` until the
/// new one is in place.
fn replace_dir(staged: PathBuf, target: &Path) -> Result<()> {
    let backup = if target.exists() {
        if !target.is_dir() {
            let _ = fs::remove_dir_all(&staged);
            return Err(invalid(
                target,
                "exists and is not a directory; choose another --model path",
            ));
        }
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".old-{}", std::process::id()));
        let backup = target.with_file_name(name);
        fs::rename(target, &backup).map_err(|e| Error::io(target, e))?;
        Some(backup)
    } else {
        None
    };
    if let Err(e) = fs::rename(&staged, target) {
        if let Some(b) = &backup {
            let _ = fs::rename(b, target);
        }
        let _ = fs::remove_dir_all(&staged);
        return Err(Error::io(target, e));
    }
    if let Some(b) = backup {
        let _ = fs::remove_dir_all(b);
    }
    Ok(())
}
