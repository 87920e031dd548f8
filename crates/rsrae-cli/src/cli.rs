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
}

/// A named set of defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RecipeArg {
    /// The blog model and loss, trained for about 100 steps (no labels needed).
    Default,
    /// The widely read PyTorch version: 150 epochs, lr 0.01, λ₁ = λ₂ = 1, batch 64.
    Blog,
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
    /// L2 reconstruction error.
    Reconstruction,
    /// Negative cosine similarity between the input and its reconstruction.
    Cosine,
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
    /// Passes over the data [default recipe: about 100 optimizer steps; blog: 150].
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
    pub train: TrainArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}
