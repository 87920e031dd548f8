//! Runs of the PyTorch reference (`benches/reference/rsrae_torch.py`) as subprocesses.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::child::ChildResult;
use super::Workload;

/// The interpreter and script of the PyTorch reference.
#[derive(Debug, Clone)]
pub struct Reference {
    /// Python of the environment that has torch.
    pub python: PathBuf,
    /// `rsrae_torch.py`.
    pub script: PathBuf,
    /// `index` or `dataloader`, passed as `--loader` to `train` and `memory`.
    pub loader: &'static str,
}

/// An `OMP_WAIT_POLICY` for the reference's OpenMP threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitPolicy {
    /// The variable unset: OpenMP's default, where idle workers spin for a while.
    Default,
    /// `OMP_WAIT_POLICY=PASSIVE`: idle workers sleep.
    Passive,
}

impl WaitPolicy {
    /// Returns the label used in tables.
    pub fn label(self) -> &'static str {
        match self {
            WaitPolicy::Default => "torch, OMP default",
            WaitPolicy::Passive => "torch, OMP PASSIVE",
        }
    }
}

impl Reference {
    /// Runs `workload` with `threads` intra-op threads and returns its headline figure, or
    /// `None` for a workload the reference has no command for.
    pub fn run(
        &self,
        workload: Workload,
        threads: usize,
        policy: WaitPolicy,
        settings: &Settings,
    ) -> Result<Option<ChildResult>> {
        let (command, key, unit) = match workload {
            Workload::Train => ("train", "median_seconds_per_epoch", "s/epoch"),
            Workload::Score => ("score", "median_images_per_second", "images/s"),
            Workload::MemoryTrain => ("memory", "peak_rss_mib", "MiB"),
            Workload::MemoryFit | Workload::Scaling(_) => return Ok(None),
        };
        let mut cmd = Command::new(&self.python);
        cmd.arg(&self.script)
            .arg(command)
            .args(["--threads", &threads.to_string()])
            .args(["--seed", &settings.seed.to_string()])
            .arg("--mnist-dir")
            .arg(&settings.mnist_dir);
        match workload {
            Workload::Train => {
                cmd.args(["--epochs", &settings.epochs.to_string()]);
                cmd.args(["--loader", self.loader]);
            }
            Workload::Score => {
                cmd.args(["--repeats", &settings.score_passes.to_string()]);
            }
            _ => {
                cmd.args(["--loader", self.loader]);
            }
        }
        set_thread_env(&mut cmd, threads, policy);
        let output = run_json(cmd, "the PyTorch reference")?;
        Ok(Some(parse(&output, key, unit)?))
    }
}

/// The workload settings both sides share.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Folder with the MNIST training files.
    pub mnist_dir: PathBuf,
    /// Epochs of each training run.
    pub epochs: usize,
    /// Timed passes of each scoring run.
    pub score_passes: usize,
    /// Seed of initialization and shuffling.
    pub seed: u64,
}

/// Gives OpenMP, MKL and `matrixmultiply` the same thread count, and sets or clears
/// `OMP_WAIT_POLICY`.
pub fn set_thread_env(cmd: &mut Command, threads: usize, policy: WaitPolicy) {
    let threads = threads.to_string();
    for name in ["MATMUL_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] {
        cmd.env(name, &threads);
    }
    match policy {
        WaitPolicy::Default => cmd.env_remove("OMP_WAIT_POLICY"),
        WaitPolicy::Passive => cmd.env("OMP_WAIT_POLICY", "PASSIVE"),
    };
}

/// Runs `cmd` and parses its stdout as one JSON object.
pub fn run_json(mut cmd: Command, what: &str) -> Result<Value> {
    let output = cmd
        .output()
        .with_context(|| format!("cannot start {what} ({:?})", cmd.get_program()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(10).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("{what} failed with {}:\n{}", output.status, tail.join("\n"));
    }
    serde_json::from_slice(&output.stdout)
        .with_context(|| format!("{what} printed no JSON object on stdout"))
}

fn parse(output: &Value, key: &str, unit: &str) -> Result<ChildResult> {
    let number = |name: &str| output.get(name).and_then(Value::as_f64);
    let value = number(key).with_context(|| format!("the reference output has no {key:?}"))?;
    let samples = match output.get("seconds_per_epoch").and_then(Value::as_array) {
        Some(epochs) => epochs.iter().filter_map(Value::as_f64).collect(),
        None => output
            .get("runs")
            .and_then(Value::as_array)
            .map(|runs| {
                runs.iter()
                    .filter_map(|r| r.get("images_per_second").and_then(Value::as_f64))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let rows = number("samples").or(number("images")).unwrap_or(0.0) as usize;
    Ok(ChildResult {
        value,
        unit: unit.to_string(),
        samples,
        rows,
        matmul_threads: output.get("threads").map(|t| t.to_string()),
        load_average_1min: number("load_average_1min"),
        peak_rss_mib: number("peak_rss_mib"),
        peak_rss_mib_after_data_load: number("peak_rss_mib_after_data_load"),
        cpu_seconds: Vec::new(),
        wait_seconds: Vec::new(),
    })
}

/// Checks that the interpreter and script exist before the first measured run.
pub fn check(python: &Path, script: &Path) -> Result<()> {
    if !script.is_file() {
        bail!(
            "the reference script {} was not found; pass --reference-script with the path \
             of benches/reference/rsrae_torch.py",
            script.display()
        );
    }
    if !python.exists() {
        bail!(
            "the Python interpreter {} was not found; run benches/reference/setup.sh, \
             then pass --reference benches/reference/.venv/bin/python",
            python.display()
        );
    }
    Ok(())
}
