//! The measured workloads, each run in a fresh child process of `rsrae bench`.
//!
//! The parent sets `MATMUL_NUM_THREADS` in the child's environment, and `matrixmultiply`
//! reads it once at the first matrix product, so every workload runs with the thread count
//! the parent asked for. Each child prints one [`ChildResult`] as JSON on stdout.

use std::ops::ControlFlow;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rsrae::data::{mnist, Dataset};
use rsrae::nn::Network;
use rsrae::{Recipe, Rsrae, RsraeParams};
use serde::{Deserialize, Serialize};

use super::machine::{cpu_and_wait_seconds, load_average, peak_rss_mib};

/// The inlier digit of corrupted MNIST, as in the PyTorch reference.
const INLIER_DIGIT: u8 = 4;
/// The digits that contribute outliers.
const OUTLIER_DIGITS: [u8; 4] = [0, 1, 2, 8];
/// Outliers taken from each outlier digit, the first ones in file order.
const OUTLIERS_PER_DIGIT: usize = 100;
/// Rows of the small fit that gives the scoring workload a model: ten batches of 64.
const SCORE_MODEL_ROWS: usize = 640;
/// Rows scored once before the timed passes, as the reference's warm-up does.
const SCORE_WARMUP_ROWS: usize = 1024;

/// The result of one child: `value` is the workload's headline figure in `unit`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChildResult {
    /// The headline figure.
    pub value: f64,
    /// Its unit: `s/epoch`, `images/s` or `MiB`.
    pub unit: String,
    /// Every timed epoch or pass, in order; empty for memory.
    pub samples: Vec<f64>,
    /// Rows the workload trained on or scored.
    pub rows: usize,
    /// `MATMUL_NUM_THREADS` as the child saw it.
    pub matmul_threads: Option<String>,
    /// The 1-minute load average when the child finished.
    pub load_average_1min: Option<f64>,
    /// Peak resident set size (VmHWM) when the child finished, in MiB.
    pub peak_rss_mib: Option<f64>,
    /// Peak resident set size right after the data was read, in MiB (memory children).
    pub peak_rss_mib_after_data_load: Option<f64>,
    /// CPU seconds of every timed epoch or pass, summed over threads; on a busy machine
    /// this grows less than the wall-clock time. Empty where not measured.
    #[serde(default)]
    pub cpu_seconds: Vec<f64>,
    /// Seconds the threads waited for a CPU during every timed epoch or pass, a direct
    /// measure of how much other load slowed the run.
    #[serde(default)]
    pub wait_seconds: Vec<f64>,
}

impl ChildResult {
    fn new(value: f64, unit: &str, samples: Vec<f64>, rows: usize) -> Self {
        ChildResult {
            value,
            unit: unit.to_string(),
            samples,
            rows,
            matmul_threads: std::env::var("MATMUL_NUM_THREADS").ok(),
            load_average_1min: load_average(),
            peak_rss_mib: peak_rss_mib(),
            peak_rss_mib_after_data_load: None,
            cpu_seconds: Vec::new(),
            wait_seconds: Vec::new(),
        }
    }

    fn with_cpu(mut self, clocks: &[Clocks]) -> Self {
        self.cpu_seconds = clocks.iter().map(|c| c.cpu).collect();
        self.wait_seconds = clocks.iter().map(|c| c.wait).collect();
        self
    }
}

/// Wall-clock, CPU and run-queue seconds of one timed interval.
#[derive(Debug, Clone, Copy, Default)]
struct Clocks {
    wall: f64,
    cpu: f64,
    wait: f64,
}

/// A point in time on the three clocks.
struct Stamp {
    wall: Instant,
    cpu_wait: (f64, f64),
}

impl Stamp {
    fn now() -> Self {
        Stamp {
            wall: Instant::now(),
            cpu_wait: cpu_and_wait_seconds().unwrap_or((f64::NAN, f64::NAN)),
        }
    }

    /// Returns the clocks from `self` to now, and a stamp of now.
    fn lap(&self) -> (Clocks, Stamp) {
        let now = Stamp::now();
        let clocks = Clocks {
            wall: now.wall.duration_since(self.wall).as_secs_f64(),
            cpu: now.cpu_wait.0 - self.cpu_wait.0,
            wait: now.cpu_wait.1 - self.cpu_wait.1,
        };
        (clocks, now)
    }
}

/// Trains the blog model on corrupted MNIST for `epochs` epochs; the value is the median
/// epoch time.
///
/// The first epoch is timed from the call to `fit`, so it includes the preprocessing of
/// the 6,242 rows and the weight initialization (a few milliseconds).
pub fn train(mnist_dir: &Path, epochs: usize, seed: u64) -> Result<ChildResult> {
    let data = mnist::corrupted(
        mnist_dir,
        mnist::Split::Train,
        INLIER_DIGIT,
        &OUTLIER_DIGITS,
        OUTLIERS_PER_DIGIT,
    )?;
    let clocks = fit_epoch_clocks(&data, epochs, seed)?;
    let seconds: Vec<f64> = clocks.iter().map(|c| c.wall).collect();
    let result = ChildResult::new(median(&seconds), "s/epoch", seconds, data.n_samples);
    Ok(result.with_cpu(&clocks))
}

/// Trains the blog model for two epochs on the first `samples` MNIST training images; the
/// value is the time of the second epoch.
pub fn scaling(mnist_dir: &Path, samples: usize, seed: u64) -> Result<ChildResult> {
    let data = mnist::load_split(mnist_dir, mnist::Split::Train)?;
    if samples == 0 || samples > data.n_samples {
        bail!(
            "invalid sample count {samples}: the MNIST training split has {} images",
            data.n_samples
        );
    }
    let data = first_rows(&data, samples);
    let clocks = fit_epoch_clocks(&data, 2, seed)?;
    let seconds: Vec<f64> = clocks.iter().map(|c| c.wall).collect();
    Ok(ChildResult::new(seconds[1], "s/epoch", seconds, samples).with_cpu(&clocks))
}

/// Fits the blog recipe for `epochs` epochs and returns the clocks of each epoch.
fn fit_epoch_clocks(data: &Dataset, epochs: usize, seed: u64) -> Result<Vec<Clocks>> {
    let params = RsraeParams::new(Recipe::Blog)
        .with_epochs(epochs)
        .with_seed(seed);
    let mut clocks = Vec::with_capacity(epochs);
    let mut stamp = Stamp::now();
    params.fit(data, &mut |report| {
        if report.step == report.steps_per_epoch {
            let (epoch, next) = stamp.lap();
            clocks.push(epoch);
            stamp = next;
        }
        ControlFlow::Continue(())
    })?;
    Ok(clocks)
}

/// Scores the 60,000 MNIST training images `passes` times with [`Rsrae::score`]; the value
/// is the median throughput.
///
/// The model comes from a 640-row fit, because the cost of scoring does not depend on the
/// weights. Every pass includes what `score` does beyond the network: the column and
/// finiteness checks, the preprocessed copy of the data and the reconstructions.
pub fn score(mnist_dir: &Path, passes: usize, seed: u64) -> Result<ChildResult> {
    let data = mnist::load_split(mnist_dir, mnist::Split::Train)?;
    let model = small_model(&data, seed)?;
    model.score(&first_rows(&data, SCORE_WARMUP_ROWS.min(data.n_samples)))?;
    let mut rates = Vec::with_capacity(passes);
    let mut clocks = Vec::with_capacity(passes);
    for _ in 0..passes {
        let start = Stamp::now();
        let scores = model.score(&data)?;
        let (pass, _) = start.lap();
        std::hint::black_box(scores);
        rates.push(data.n_samples as f64 / pass.wall);
        clocks.push(pass);
    }
    let result = ChildResult::new(median(&rates), "images/s", rates, data.n_samples);
    Ok(result.with_cpu(&clocks))
}

fn small_model(data: &Dataset, seed: u64) -> Result<Rsrae> {
    let rows = first_rows(data, SCORE_MODEL_ROWS.min(data.n_samples));
    let params = RsraeParams::new(Recipe::Blog)
        .with_epochs(1)
        .with_seed(seed);
    let outcome = params.fit(&rows, &mut |_| ControlFlow::Continue(()))?;
    Ok(outcome.model)
}

/// Peak memory of [`RsraeParams::fit`] for one epoch on the 60,000 MNIST training images,
/// which includes the preprocessed copy of the data and the scoring of every training row
/// after the epoch.
pub fn memory_fit(mnist_dir: &Path, seed: u64) -> Result<ChildResult> {
    let data = mnist::load_split(mnist_dir, mnist::Split::Train)?;
    let after_load = peak_rss_mib();
    let params = RsraeParams::new(Recipe::Blog)
        .with_epochs(1)
        .with_seed(seed);
    let start = Instant::now();
    params.fit(&data, &mut |_| ControlFlow::Continue(()))?;
    let seconds = start.elapsed().as_secs_f64();
    memory_result(seconds, data.n_samples, after_load)
}

/// Peak memory of one epoch of the training loop ([`rsrae::train::train`]) on the 60,000
/// MNIST training images, which is what the reference's `memory` command measures.
///
/// The pixels are scaled to [0, 1] in place, the operation the fitted preprocessing
/// applies to images, so one `f32` copy of the data exists, as in the reference. The
/// architecture and training configuration come from a 64-row fit of the blog recipe.
pub fn memory_train(mnist_dir: &Path, seed: u64) -> Result<ChildResult> {
    let mut data = mnist::load_split(mnist_dir, mnist::Split::Train)?;
    data.labels = None;
    let after_load = peak_rss_mib();
    let fitted = small_model(&first_rows(&data, 64), seed)?.config().clone();
    let max_value = match data.kind {
        rsrae::data::DataKind::Image { max_value, .. } => max_value,
        rsrae::data::DataKind::Tabular => bail!("the MNIST reader returned tabular data"),
    };
    for value in &mut data.features {
        *value /= max_value;
    }
    let network = Network::new(&fitted.model);
    let mut params = network.init_params(&mut rand_chacha_rng(seed));
    let mut config = fitted.train;
    config.epochs = 1;
    let start = Instant::now();
    rsrae::train::train(
        &network,
        &mut params,
        &data.features,
        &config,
        seed,
        &mut |_| ControlFlow::Continue(()),
    )
    .context("training failed")?;
    let seconds = start.elapsed().as_secs_f64();
    memory_result(seconds, data.n_samples, after_load)
}

fn memory_result(seconds: f64, rows: usize, after_load: Option<f64>) -> Result<ChildResult> {
    let mut result = ChildResult::new(0.0, "MiB", vec![seconds], rows);
    result.value = result
        .peak_rss_mib
        .context("cannot read VmHWM from /proc/self/status; peak memory needs Linux")?;
    result.peak_rss_mib_after_data_load = after_load;
    Ok(result)
}

fn rand_chacha_rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    use rand::SeedableRng;
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

/// Copies the first `rows` rows of `data`, without labels.
fn first_rows(data: &Dataset, rows: usize) -> Dataset {
    Dataset {
        features: data.features[..rows * data.n_features].to_vec(),
        n_samples: rows,
        n_features: data.n_features,
        feature_names: data.feature_names.clone(),
        labels: None,
        kind: data.kind.clone(),
    }
}

/// Returns the median of `values`: the mean of the middle two for an even length, NaN
/// for an empty list.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.is_empty() {
        f64::NAN
    } else if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}
