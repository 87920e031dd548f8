//! Saving and loading a model directory: `config.json` and `model.safetensors`, plus
//! `history.json` when saved with [`Rsrae::save_with_history`].
//!
//! The weights are stored per layer under PyTorch-style names (`encoder.0.weight`
//! `[out, in]`, `encoder.0.bias`, `rsr.A` `[d, D]`, `decoder.…`). A directory is written
//! to a temporary sibling first and renamed into place, so a failed save leaves any
//! earlier model at that path intact.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::error::{Error, ModelError, Result};
use crate::history::{write_history, HISTORY_FILE};
use crate::model::{FittedConfig, Rsrae, FORMAT_VERSION};
use crate::nn::{Layer, Network};
use crate::train::TrainHistory;

#[cfg(test)]
mod tests;
mod validate;

/// File name of the configuration inside a model directory.
pub const CONFIG_FILE: &str = "config.json";
/// File name of the weights inside a model directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Largest weights data accepted, 4 GiB, checked before reading.
const MAX_WEIGHTS_BYTES: u64 = 4 << 30;
/// Largest safetensors header accepted, the limit of the `safetensors` crate (0.4).
const MAX_HEADER_BYTES: u64 = 100_000_000;
/// Largest `config.json` accepted, 256 MiB, which leaves room for the feature names and
/// column statistics of millions of columns.
pub const MAX_CONFIG_BYTES: u64 = 256 << 20;

/// One named tensor: its offset and shape in the flat parameter vector.
struct TensorSlot {
    name: String,
    offset: usize,
    shape: Vec<usize>,
}

fn tensor_slots(network: &Network) -> Vec<TensorSlot> {
    let mut slots = Vec::new();
    let mut add_layers = |prefix: &str, layers: &[Layer]| {
        for (i, l) in layers.iter().enumerate() {
            slots.push(TensorSlot {
                name: format!("{prefix}.{i}.weight"),
                offset: l.weight_offset,
                shape: l.weight_shape(),
            });
            slots.push(TensorSlot {
                name: format!("{prefix}.{i}.bias"),
                offset: l.bias_offset,
                shape: vec![l.out_channels()],
            });
            if let Some(at) = l.norm_offset {
                let channels = l.norm_channels;
                for (name, offset) in [("gamma", at), ("beta", at + channels)] {
                    slots.push(TensorSlot {
                        name: format!("{prefix}.{i}.norm.{name}"),
                        offset,
                        shape: vec![channels],
                    });
                }
            }
        }
    };
    add_layers("encoder", network.encoder());
    add_layers("decoder", network.decoder());
    let config = network.config();
    if config.rsr_layer {
        slots.push(TensorSlot {
            name: "rsr.A".into(),
            offset: network.a_range().start,
            shape: vec![config.rsr_dim, config.latent_dim()],
        });
    }
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
        self.save_with(dir, None)
    }

    /// Writes the model files, and `history` when given, into a staging directory that
    /// then replaces `dir`.
    pub(crate) fn save_with(&self, dir: &Path, history: Option<&TrainHistory>) -> Result<()> {
        self.stage(dir, history)?.commit()
    }

    /// Writes the model files, and `history` when given, into a temporary sibling of `dir`
    /// that [`StagedModel::commit`] moves into place. Dropping the result without a commit
    /// removes the files and leaves `dir` as it was.
    ///
    /// # Errors
    ///
    /// Any error of [`Rsrae::check_save_path`], and I/O errors while writing.
    pub fn stage(&self, dir: &Path, history: Option<&TrainHistory>) -> Result<StagedModel> {
        Rsrae::check_save_path(dir)?;
        let parent = parent_folder(dir);
        let staging = tempfile::Builder::new()
            .prefix(".rsrae-model-")
            .tempdir_in(&parent)
            .map_err(|e| unwritable(&parent, e))?;
        self.write_files(staging.path())?;
        if let Some(history) = history {
            write_history(staging.path(), history)?;
        }
        Ok(StagedModel {
            staging,
            target: dir.to_path_buf(),
        })
    }

    /// Checks that a model can be saved to `dir`: its parent folder exists and is writable,
    /// and `dir` is absent, empty or a model directory, whose files saving would replace.
    ///
    /// # Errors
    ///
    /// [`ModelError::Invalid`] naming the path and the fix when the parent folder is
    /// missing or not writable, when `dir` is not a directory, or when `dir` contains a file
    /// that is not part of a model.
    pub fn check_save_path(dir: &Path) -> Result<()> {
        let parent = parent_folder(dir);
        if !parent.is_dir() {
            let problem = if parent.exists() {
                "is not a folder"
            } else {
                "does not exist"
            };
            let message = format!(
                "{} {problem}; create that folder or choose another --model path",
                parent.display()
            );
            return Err(invalid(dir, message));
        }
        if dir.exists() {
            check_replaceable(dir)?;
        }
        tempfile::Builder::new()
            .prefix(".rsrae-check-")
            .tempdir_in(&parent)
            .map(drop)
            .map_err(|e| unwritable(&parent, e))
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
    ///
    /// Loading parses JSON and safetensors and runs no code from the files. The
    /// configuration is read only up to [`MAX_CONFIG_BYTES`] and is checked for consistency
    /// first. The weights file is read only when its size fits the parameter count that the
    /// configuration declares.
    pub fn load(dir: &Path) -> Result<Self> {
        let config_path = dir.join(CONFIG_FILE);
        let config_bytes = read_config_file(&config_path)?;
        let config = parse_config(&config_path, &config_bytes)?;
        let network = Network::new(&config.model);
        let weights_path = dir.join(WEIGHTS_FILE);
        let weights_bytes = read_weights_file(&weights_path, &network)?;
        let params = parse_weights(&weights_path, &weights_bytes, &network)?;
        Rsrae::from_parts(config, params)
    }

    /// Builds a model from the bytes of its `config.json` and `model.safetensors`, with the
    /// same checks as [`Rsrae::load`]. Errors name the two files without a folder.
    pub fn from_bytes(config: &[u8], weights: &[u8]) -> Result<Self> {
        let config_path = Path::new(CONFIG_FILE);
        if config.len() as u64 > MAX_CONFIG_BYTES {
            return Err(config_too_large(config_path, config.len() as u64));
        }
        let config = parse_config(config_path, config)?;
        let network = Network::new(&config.model);
        let weights_path = Path::new(WEIGHTS_FILE);
        check_weights_size(weights_path, weights.len() as u64, &network)?;
        let params = parse_weights(weights_path, weights, &network)?;
        Rsrae::from_parts(config, params)
    }
}

/// A model written to a temporary sibling of its target directory, not yet in place.
#[derive(Debug)]
pub struct StagedModel {
    staging: tempfile::TempDir,
    target: PathBuf,
}

impl StagedModel {
    /// Moves the staged files to the target directory, replacing any model there.
    pub fn commit(self) -> Result<()> {
        replace_dir(self.staging.keep(), &self.target)
    }
}

fn parent_folder(dir: &Path) -> PathBuf {
    match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn unwritable(folder: &Path, e: std::io::Error) -> Error {
    let message = format!(
        "cannot create a folder here ({e}); check that the folder exists and is writable, or \
         choose another --model path"
    );
    invalid(folder, message)
}

/// Accepts an existing `dir` only if it is a directory that contains nothing but model files,
/// so that saving never deletes anything else.
fn check_replaceable(dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return Err(invalid(
            dir,
            "exists and is not a directory; choose another --model path",
        ));
    }
    let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let name = entry.map_err(|e| Error::io(dir, e))?.file_name();
        let is_model_file = [CONFIG_FILE, WEIGHTS_FILE, HISTORY_FILE]
            .iter()
            .any(|known| name == *known);
        if !is_model_file {
            let message = format!(
                "exists and contains {name:?}, which is not part of an rsrae model, so saving \
                 would delete it; choose another --model path or empty the folder"
            );
            return Err(invalid(dir, message));
        }
    }
    Ok(())
}

fn not_found(path: &Path, e: std::io::Error, fix: &str) -> Error {
    match e.kind() {
        std::io::ErrorKind::NotFound => invalid(path, format!("not found; {fix}")),
        _ => Error::io(path, e),
    }
}

/// Reads `config.json`, rejecting a file over [`MAX_CONFIG_BYTES`] before reading it.
fn read_config_file(path: &Path) -> Result<Vec<u8>> {
    let fix = "pass the directory that `rsrae fit --model DIR` wrote";
    let file = fs::File::open(path).map_err(|e| not_found(path, e, fix))?;
    let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if size > MAX_CONFIG_BYTES {
        return Err(config_too_large(path, size));
    }
    read_at_most(path, file, MAX_CONFIG_BYTES)
}

fn config_too_large(path: &Path, size: u64) -> Error {
    invalid(
        path,
        format!(
            "{size} bytes is larger than the {MAX_CONFIG_BYTES}-byte limit of a model \
             configuration; the file is not an rsrae configuration, so refit the model"
        ),
    )
}

/// Reads all of `file` but at most `limit` bytes, so a file that grows while it is read
/// cannot make the buffer larger than the checked size.
fn read_at_most(path: &Path, file: fs::File, limit: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    Ok(bytes)
}

/// Parses `config.json`: JSON, then the format version, then the fields, then their
/// consistency with each other.
fn parse_config(path: &Path, bytes: &[u8]) -> Result<FittedConfig> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| invalid(path, format!("not valid JSON ({e}); refit the model")))?;
    let version = match value.get("format_version") {
        None => None,
        Some(v) => match v.as_u64() {
            Some(v) if v >= 1 => Some(v),
            _ => {
                return Err(invalid(
                    path,
                    format!(
                        "format_version {v} is not a version (1 to {FORMAT_VERSION}); refit \
                         the model"
                    ),
                ))
            }
        },
    };
    match version {
        Some(v) if v > u64::from(FORMAT_VERSION) => {
            return Err(invalid(
                path,
                format!(
                    "format version {v} is newer than this rsrae reads ({FORMAT_VERSION}); \
                     upgrade rsrae"
                ),
            ))
        }
        None => return Err(invalid(path, "format_version is missing; refit the model")),
        _ => {}
    }
    let config: FittedConfig = serde_json::from_value(value).map_err(|e| {
        invalid(
            path,
            format!("invalid configuration ({e}); refit the model"),
        )
    })?;
    validate::check_fitted_config(&config).map_err(|reason| {
        invalid(
            path,
            format!("inconsistent configuration: {reason}; refit the model"),
        )
    })?;
    Ok(config)
}

/// Reads the weights file once its size is known to fit what `network` declares.
fn read_weights_file(path: &Path, network: &Network) -> Result<Vec<u8>> {
    let fix = "the model directory is incomplete, so refit the model";
    let file = fs::File::open(path).map_err(|e| not_found(path, e, fix))?;
    let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let limit = check_weights_size(path, size, network)?;
    read_at_most(path, file, limit)
}

/// Checks a weights file of `size` bytes against the parameter count of `network`: the
/// 8-byte header length, at most [`MAX_HEADER_BYTES`] of header and exactly 4 bytes per
/// parameter. Returns the largest size allowed.
fn check_weights_size(path: &Path, size: u64, network: &Network) -> Result<u64> {
    let data_bytes = 4 * network.n_params() as u64;
    if data_bytes > MAX_WEIGHTS_BYTES {
        let message = format!(
            "config.json describes {} weights, more than the {MAX_WEIGHTS_BYTES}-byte limit \
             of a weights file; refit the model",
            network.n_params()
        );
        return Err(invalid(path, message));
    }
    let (min, max) = (8 + data_bytes, 8 + MAX_HEADER_BYTES + data_bytes);
    if size < min {
        let message = format!(
            "the file has {size} bytes, but config.json describes {} weights ({data_bytes} \
             bytes); the file is truncated or belongs to another model, so refit the model",
            network.n_params()
        );
        return Err(invalid(path, message));
    }
    if size > max {
        let message = format!(
            "the file has {size} bytes, more than the {max} bytes that {} weights and a \
             header can take; the file belongs to another model, so refit the model",
            network.n_params()
        );
        return Err(invalid(path, message));
    }
    Ok(max)
}

fn parse_weights(path: &Path, bytes: &[u8], network: &Network) -> Result<Vec<f32>> {
    let tensors = SafeTensors::deserialize(bytes).map_err(|e| {
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
        if let Err(e) = fs::rename(target, &backup) {
            let _ = fs::remove_dir_all(&staged);
            return Err(Error::io(target, e));
        }
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
