//! Turns raw arguments into checked library parameters, holding every cross-flag rule.

use anyhow::Result;
use rsrae::loss::NormMode;
use rsrae::nn::{AInit, Activation};
use rsrae::{Recipe, RsraeParams, ScoreKind};

use crate::cli::{AInitArg, NormArg, OutputArg, RecipeArg, ScoreArg, TrainArgs};

/// Builds checked hyperparameters from the shared training flags.
pub fn train_params(args: &TrainArgs) -> Result<RsraeParams> {
    let recipe = match args.recipe {
        RecipeArg::Default => Recipe::Default,
        RecipeArg::Blog => Recipe::Blog,
    };
    let mut params = RsraeParams::new(recipe);
    if let Some(epochs) = args.epochs {
        params.epochs = Some(epochs);
    }
    if let Some(v) = args.batch_size {
        params.batch_size = v;
    }
    if let Some(v) = args.lr {
        params.lr = v;
    }
    if let Some(v) = args.weight_decay {
        params.weight_decay = v;
    }
    if let Some(v) = args.lambda1 {
        params.lambda1 = v;
    }
    if let Some(v) = args.lambda2 {
        params.lambda2 = v;
    }
    if let Some(v) = args.p {
        params.p = v;
    }
    params.rsr_dim = args.d.or(params.rsr_dim);
    if let Some(norm) = args.norm {
        params.norm_mode = match norm {
            NormArg::PerSample => NormMode::PerSample,
            NormArg::WholeBatch => NormMode::WholeBatch,
        };
    }
    if args.keep_last {
        params.drop_last = false;
    }
    params.encoder_widths = args.encoder_widths.clone();
    if let Some(init) = args.a_init {
        params.a_init = match init {
            AInitArg::Orthogonal => AInit::Orthogonal,
            AInitArg::Gaussian => AInit::Gaussian,
        };
    }
    params.output_activation = match args.output_activation {
        OutputArg::Auto => None,
        OutputArg::Sigmoid => Some(Activation::Sigmoid),
        OutputArg::Identity => Some(Activation::Identity),
    };
    if let Some(score) = args.score {
        params.score = match score {
            ScoreArg::Reconstruction => ScoreKind::Reconstruction,
            ScoreArg::Cosine => ScoreKind::Cosine,
        };
    }
    params.seed = args.seed;
    params.contamination = args.contamination;
    params.check()?;
    Ok(params)
}
