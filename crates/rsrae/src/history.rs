//! The training history saved beside a model as `history.json`, so that a report drawn
//! later from the model directory can show the loss curves.

use std::fs;
use std::path::Path;

use crate::error::{Error, ModelError, Result};
use crate::train::TrainHistory;
use crate::Rsrae;

/// File name of the training history inside a model directory.
pub const HISTORY_FILE: &str = "history.json";

/// Writes `history` as `history.json` into the directory `dir`.
pub(crate) fn write_history(dir: &Path, history: &TrainHistory) -> Result<()> {
    let path = dir.join(HISTORY_FILE);
    let json = serde_json::to_string(history).map_err(|e| ModelError::Invalid {
        path: path.clone(),
        message: format!("cannot serialize the training history: {e}"),
    })?;
    fs::write(&path, json).map_err(|e| Error::io(&path, e))
}

impl Rsrae {
    /// Writes the model to the directory `dir` as [`Rsrae::save`] does, with `history` as
    /// `history.json` beside the weights.
    pub fn save_with_history(&self, dir: &Path, history: &TrainHistory) -> Result<()> {
        self.save_with(dir, Some(history))
    }
}

impl TrainHistory {
    /// Reads the `history.json` of the model directory `dir`; `None` when the directory has
    /// none, as models saved without a history do.
    pub fn load(dir: &Path) -> Result<Option<Self>> {
        let path = dir.join(HISTORY_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let history = serde_json::from_str(&text).map_err(|e| ModelError::Invalid {
            path,
            message: format!("invalid training history ({e}); refit the model to rewrite it"),
        })?;
        Ok(Some(history))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DataKind, Dataset};
    use crate::{Recipe, RsraeParams};

    fn small_fit() -> crate::FitOutcome {
        let features: Vec<f32> = (0..64 * 4).map(|i| ((i * 7) % 11) as f32).collect();
        let data = Dataset {
            features,
            n_samples: 64,
            n_features: 4,
            feature_names: (0..4).map(|j| format!("f{j}")).collect(),
            labels: None,
            kind: DataKind::Tabular,
        };
        let mut params = RsraeParams::new(Recipe::Default);
        params.epochs = Some(2);
        params
            .fit(&data, &mut |_| std::ops::ControlFlow::Continue(()))
            .unwrap()
    }

    #[test]
    fn history_round_trips_beside_model() {
        let outcome = small_fit();
        let dir = tempfile::tempdir().unwrap();
        let model_dir = dir.path().join("model");
        outcome
            .model
            .save_with_history(&model_dir, &outcome.history)
            .unwrap();
        assert!(model_dir.join(crate::persist::CONFIG_FILE).is_file());
        let loaded = TrainHistory::load(&model_dir).unwrap().unwrap();
        assert_eq!(loaded, outcome.history);
    }

    #[test]
    fn history_missing_or_invalid() {
        let outcome = small_fit();
        let dir = tempfile::tempdir().unwrap();
        let model_dir = dir.path().join("model");
        outcome.model.save(&model_dir).unwrap();
        assert_eq!(TrainHistory::load(&model_dir).unwrap(), None);
        fs::write(model_dir.join(HISTORY_FILE), "{").unwrap();
        let message = TrainHistory::load(&model_dir).unwrap_err().to_string();
        assert!(message.contains("invalid training history"), "{message}");
    }
}
