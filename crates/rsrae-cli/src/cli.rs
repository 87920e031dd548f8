//! Raw command-line arguments, as clap parses them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Unsupervised anomaly detection with the Robust Subspace Recovery autoencoder.
#[derive(Debug, Parser)]
#[command(name = "rsrae", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fit a model on unlabelled data and save it to a directory.
    Fit(FitArgs),
    /// Score data with a saved model and write one row per sample to a CSV file.
    Score(ScoreArgs),
    /// Build corrupted MNIST, train, score and print how well the outliers were found.
    Demo(DemoArgs),
    /// Score a file with a saved model and write an HTML report of the scores.
    Report(ReportArgs),
    /// Run the paper's protocol: fit and score contaminated sets for every inlier class.
    Experiment(ExperimentArgs),
    /// Measure training, scoring and memory on MNIST, optionally against the PyTorch reference.
    Bench(BenchArgs),
}

/// A named set of defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RecipeArg {
    /// The blog model and loss for about 25 steps, combined score for images (no labels needed).
    Default,
    /// The widely read PyTorch version: 150 epochs, lr 0.01, λ₁ = λ₂ = 1, batch 64.
    Blog,
    /// The paper's RSRAE as its official code runs: three alternating Adam steps per batch.
    Paper,
    /// RSRAE+: the paper's network with one summed loss, λ₁ = λ₂ = 0.1.
    PaperPlus,
}

/// A hidden activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ActivationArg {
    /// LeakyReLU with slope 0.01.
    LeakyRelu,
    /// LeakyReLU with slope 0.2.
    LeakyRelu02,
    /// ReLU.
    Relu,
    /// tanh.
    Tanh,
}

/// How the loss norms are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NormArg {
    /// One L2 norm per sample.
    PerSample,
    /// One Frobenius norm over the whole batch, as the blog's code computes it.
    WholeBatch,
}

/// The anomaly score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScoreArg {
    /// Combined for images, reconstruction for other data (the default recipe's)
    Auto,
    /// L2 reconstruction error.
    Reconstruction,
    /// Negative cosine similarity between the input and its reconstruction.
    Cosine,
    /// The sum of both, each standardized by its median and median absolute deviation on
    /// the training rows
    Combined,
}

/// The output activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    /// Sigmoid when the preprocessed data lies in [0, 1], identity otherwise.
    Auto,
    /// Sigmoid.
    Sigmoid,
    /// No activation.
    Identity,
}

/// Initialization of the RSR layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AInitArg {
    /// Orthonormal rows.
    Orthogonal,
    /// I.i.d. N(0, 1) entries.
    Gaussian,
}

/// Hyperparameters shared by `fit` and `demo`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Recipe whose defaults the other flags override.
    #[arg(long, value_enum, default_value = "default")]
    pub recipe: RecipeArg,
    /// Passes over the data [default recipe: about 25 optimizer steps, at least one pass; blog: 150].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Rows per mini-batch.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Peak learning rate of the one-cycle schedule.
    #[arg(long)]
    pub lr: Option<f32>,
    /// AdamW weight decay.
    #[arg(long)]
    pub weight_decay: Option<f32>,
    /// Dimension d of the RSR subspace (rows of A).
    #[arg(long)]
    pub d: Option<usize>,
    /// Weight λ₁ of the projection loss Σ‖z − AᵀAz‖₂.
    #[arg(long)]
    pub lambda1: Option<f32>,
    /// Weight λ₂ of the orthogonality loss ‖AAᵀ − I‖²_F.
    #[arg(long)]
    pub lambda2: Option<f32>,
    /// Exponent p ≥ 1 of the L2,p reconstruction loss.
    #[arg(long)]
    pub p: Option<f32>,
    /// Per-sample norms or one norm over the whole batch.
    #[arg(long, value_enum)]
    pub norm: Option<NormArg>,
    /// Keep a final batch smaller than --batch-size instead of dropping it.
    #[arg(long)]
    pub keep_last: bool,
    /// Comma-separated encoder widths ending in the latent width D, such as 392,196,128.
    #[arg(long, value_delimiter = ',')]
    pub encoder_widths: Option<Vec<usize>>,
    /// Initialization of the RSR layer A.
    #[arg(long, value_enum)]
    pub a_init: Option<AInitArg>,
    /// Hidden activation [default: LeakyReLU 0.01; paper recipes: ReLU when the data is
    /// non-negative, else tanh when it is at most 1, else LeakyReLU 0.2].
    #[arg(long, value_enum)]
    pub activation: Option<ActivationArg>,
    /// Drop the RSR layer, which makes the model a plain autoencoder (a baseline).
    #[arg(long)]
    pub no_rsr_layer: bool,
    /// With the paper's recipes, use the dense network for images instead of the
    /// convolutional one.
    #[arg(long)]
    pub dense: bool,
    /// Output activation of the decoder.
    #[arg(long, value_enum, default_value = "auto")]
    pub output_activation: OutputArg,
    /// Anomaly score.
    #[arg(long, value_enum)]
    pub score: Option<ScoreArg>,
    /// Seed of every random source; the same seed gives the same model and scores.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Expected fraction of outliers in the training data, which sets the threshold.
    #[arg(long, default_value_t = 0.1)]
    pub contamination: f64,
    /// Memory that fitting may use, in bytes or with a unit of powers of 1024 such as 512M
    /// or 8G; fitting stops before it starts when its estimate is larger [default: the
    /// memory available, from /proc/meminfo].
    #[arg(long, value_name = "SIZE", value_parser = crate::options::parse_size)]
    pub max_memory: Option<u64>,
}

/// Output flags shared by every command.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print one JSON object on stdout instead of the text summary.
    #[arg(long)]
    pub json: bool,
    /// Hide the progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The HTML report flags of `fit`, `score` and `demo`.
#[derive(Debug, Args)]
pub struct HtmlReportArgs {
    /// Also write a self-contained HTML report with charts to this file.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Show measured durations in the HTML report, which then differs from run to run.
    #[arg(long, requires = "report")]
    pub report_timings: bool,
}

/// Arguments of `rsrae report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Directory of a model written by `rsrae fit`; its history.json, when present, gives
    /// the training curves.
    #[arg(long)]
    pub model: PathBuf,
    /// Data to score, with the same columns as the training data.
    #[arg(long)]
    pub input: PathBuf,
    /// Column of the CSV that holds labels (1 = outlier, 0 = inlier).
    #[arg(long)]
    pub label_column: Option<String>,
    /// HTML file to write.
    #[arg(long, value_name = "FILE.html")]
    pub output: PathBuf,
}

/// Arguments of `rsrae fit`.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// Training data: CSV with a header, NumPy .npy (2-D), or IDX images (.gz or raw).
    #[arg(long)]
    pub input: PathBuf,
    /// Column of the CSV that holds labels (1 = outlier, 0 = inlier); not used for training.
    #[arg(long)]
    pub label_column: Option<String>,
    /// Directory to write the model to (config.json and model.safetensors).
    #[arg(long)]
    pub model: PathBuf,
    /// Also write the training scores to this CSV file.
    #[arg(long)]
    pub scores: Option<PathBuf>,
    #[command(flatten)]
    pub html: HtmlReportArgs,
    #[command(flatten)]
    pub train: TrainArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `rsrae score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Directory of a model written by `rsrae fit`.
    #[arg(long)]
    pub model: PathBuf,
    /// Data to score, with the same columns as the training data.
    #[arg(long)]
    pub input: PathBuf,
    /// CSV file to write: index,score,is_outlier (and label when known).
    #[arg(long)]
    pub output: PathBuf,
    /// Column of the CSV that holds labels (1 = outlier, 0 = inlier).
    #[arg(long)]
    pub label_column: Option<String>,
    #[command(flatten)]
    pub html: HtmlReportArgs,
    #[command(flatten)]
    pub output_flags: OutputArgs,
}

/// The image data sets the demo can build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DatasetArg {
    /// Handwritten digits.
    Mnist,
    /// Zalando's clothing images.
    FashionMnist,
}

/// A data set of the paper's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtocolDatasetArg {
    /// Handwritten digits, test split: each class's images plus ⌊1000·c⌋ outliers.
    Mnist,
    /// Zalando's clothing images, test split, as for MNIST.
    FashionMnist,
    /// 20 Newsgroups TF-IDF (10,000 terms), all 18,846 documents: ⌊360·c⌋ outliers taken
    /// in turn from each other newsgroup.
    #[value(name = "20newsgroups")]
    Newsgroups20,
}

/// Arguments of `rsrae demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Image data set.
    #[arg(long, value_enum, default_value = "mnist")]
    pub dataset: DatasetArg,
    /// Folder holding mnist/ and fashion-mnist/ [default: $RSRAE_DATA_DIR, else the user
    /// cache folder]; missing files are downloaded there.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Class whose images are the inliers.
    #[arg(long, default_value_t = 4)]
    pub inlier_class: u8,
    /// Comma-separated classes that contribute outliers.
    #[arg(long, value_delimiter = ',', default_value = "0,1,2,8")]
    pub outlier_classes: Vec<u8>,
    /// Images taken from each outlier class (the first ones in file order).
    #[arg(long, default_value_t = 100)]
    pub outliers_per_class: usize,
    /// Base address to download the data from, tried in order [default: public mirrors].
    #[arg(long)]
    pub mirror: Vec<String>,
    /// Also save the trained model to this directory.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Also write the scores to this CSV file.
    #[arg(long)]
    pub scores: Option<PathBuf>,
    #[command(flatten)]
    pub html: HtmlReportArgs,
    #[command(flatten)]
    pub train: TrainArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Methods compared by `rsrae experiment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// The default recipe.
    Default,
    /// The widely read PyTorch recipe.
    Blog,
    /// The paper's RSRAE (alternating steps).
    Paper,
    /// RSRAE+ (one summed loss).
    PaperPlus,
    /// The paper's network without the RSR layer.
    Ae,
    /// PCA with 10 components.
    Pca,
}

/// Arguments of `rsrae experiment`.
#[derive(Debug, Args)]
pub struct ExperimentArgs {
    /// Protocol: `paper` is the transductive one-class protocol of Lai, Zou and Lerman.
    #[arg(long, default_value = "paper")]
    pub protocol: String,
    /// Data set: an image set's test split, or every 20 Newsgroups document.
    #[arg(long, value_enum, default_value = "fashion-mnist")]
    pub dataset: ProtocolDatasetArg,
    /// Folder holding mnist/, fashion-mnist/ or text/20newsgroups/ [default:
    /// $RSRAE_DATA_DIR].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Comma-separated outlier ratios c (outliers per inlier).
    #[arg(long, value_delimiter = ',', default_value = "0.1,0.3,0.5,0.7,0.9")]
    pub c: Vec<f64>,
    /// Comma-separated inlier classes [default: every class, 0 to 9 or 0 to 19].
    #[arg(long, value_delimiter = ',')]
    pub classes: Option<Vec<i64>>,
    /// Runs per class and ratio; run r uses seed r.
    #[arg(long, default_value_t = 5)]
    pub runs: u64,
    /// Comma-separated methods.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "paper,paper-plus,default,pca,ae"
    )]
    pub methods: Vec<MethodArg>,
    /// Epochs for every trained method, overriding each recipe's.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Folder to write results.md and results.json to.
    #[arg(long)]
    pub output: PathBuf,
    /// Hide the per-run progress lines.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Workloads of `rsrae bench`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchWorkloadArg {
    /// Seconds per epoch of the blog model on corrupted MNIST (6,242 rows, batch 64).
    Train,
    /// Images per second scoring the 60,000 MNIST training images.
    Score,
    /// Peak resident memory of one training epoch on the 60,000 MNIST training images.
    Memory,
    /// Seconds per epoch on the first N MNIST training images, for each --scaling-samples.
    Scaling,
}

/// A workload that a child process of `rsrae bench` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchChildArg {
    /// Training epochs on corrupted MNIST.
    Train,
    /// Scoring passes over the 60,000 training images.
    Score,
    /// One epoch of the training loop on the 60,000 training images.
    MemoryTrain,
    /// `fit` for one epoch on the 60,000 training images.
    MemoryFit,
    /// Two epochs on the first --samples training images.
    Scaling,
}

/// How the PyTorch reference batches rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LoaderArg {
    /// Slices the data tensor with a random permutation.
    Index,
    /// A `DataLoader` over a `TensorDataset`.
    Dataloader,
}

/// An `OMP_WAIT_POLICY` for the PyTorch reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WaitPolicyArg {
    /// Leave `OMP_WAIT_POLICY` unset.
    Default,
    /// `OMP_WAIT_POLICY=PASSIVE`.
    Passive,
}

/// Arguments of `rsrae bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Folder holding mnist/ with the MNIST training files [default: $RSRAE_DATA_DIR, else
    /// the user cache folder]; nothing is downloaded.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Comma-separated workloads.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "train,score,memory"
    )]
    pub workloads: Vec<BenchWorkloadArg>,
    /// Comma-separated thread counts; each run gets MATMUL_NUM_THREADS (rsrae) or
    /// OMP_NUM_THREADS, MKL_NUM_THREADS and --threads (PyTorch) set to it.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub threads: Vec<usize>,
    /// Rounds: runs of each workload and thread count per side, each in a fresh process.
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    /// Epochs of each training run; a run reports its median epoch.
    #[arg(long, default_value_t = 3)]
    pub epochs: usize,
    /// Timed passes over the 60,000 images in each scoring run.
    #[arg(long, default_value_t = 3)]
    pub score_passes: usize,
    /// Comma-separated training-set sizes of the scaling workload.
    #[arg(long, value_delimiter = ',', default_value = "6000,15000,30000,60000")]
    pub scaling_samples: Vec<usize>,
    /// Python interpreter with torch; runs the PyTorch reference interleaved with rsrae,
    /// such as benches/reference/.venv/bin/python.
    #[arg(long, value_name = "PYTHON")]
    pub reference: Option<PathBuf>,
    /// The PyTorch reference script.
    #[arg(long, default_value = "benches/reference/rsrae_torch.py")]
    pub reference_script: PathBuf,
    /// How the PyTorch reference batches rows in training.
    #[arg(long, value_enum, default_value = "index")]
    pub reference_loader: LoaderArg,
    /// Comma-separated OMP_WAIT_POLICY settings; the reference runs once with each.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "default,passive"
    )]
    pub omp_wait_policy: Vec<WaitPolicyArg>,
    /// Seed of initialization and shuffling, on both sides.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Runs one workload in this process and prints its result as JSON.
    #[arg(long, value_enum, hide = true)]
    pub child: Option<BenchChildArg>,
    /// Training rows of a scaling child.
    #[arg(long, hide = true)]
    pub samples: Option<usize>,
    #[command(flatten)]
    pub output: OutputArgs,
}
