//! Turns raw arguments into checked library parameters, holding every cross-flag rule.

use anyhow::Result;
use rsrae::loss::NormMode;
use rsrae::nn::{AInit, Activation};
use rsrae::{Recipe, RsraeParams, ScoreKind};

use crate::cli::{AInitArg, ActivationArg, NormArg, OutputArg, RecipeArg, ScoreArg, TrainArgs};

/// Builds checked hyperparameters from the shared training flags.
pub fn train_params(args: &TrainArgs) -> Result<RsraeParams> {
    let recipe = match args.recipe {
        RecipeArg::Default => Recipe::Default,
        RecipeArg::Blog => Recipe::Blog,
        RecipeArg::Paper => Recipe::Paper,
        RecipeArg::PaperPlus => Recipe::PaperPlus,
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
            ScoreArg::Auto => ScoreKind::Auto,
            ScoreArg::Reconstruction => ScoreKind::Reconstruction,
            ScoreArg::Cosine => ScoreKind::Cosine,
            ScoreArg::Combined => ScoreKind::Combined,
        };
    }
    if let Some(activation) = args.activation {
        params.hidden_activation = Some(match activation {
            ActivationArg::LeakyRelu => Activation::LeakyRelu { slope: 0.01 },
            ActivationArg::LeakyRelu02 => Activation::LeakyRelu { slope: 0.2 },
            ActivationArg::Relu => Activation::Relu,
            ActivationArg::Tanh => Activation::Tanh,
        });
    }
    if args.no_rsr_layer {
        params.rsr_layer = false;
    }
    params.dense = args.dense;
    params.seed = args.seed;
    params.contamination = args.contamination;
    params.check()?;
    Ok(params)
}

/// Parses a memory size: a number of bytes, or a number with one of the units K, M, G, T
/// (powers of 1024, optionally followed by `iB` or `B`), such as `512M` or `1.5GiB`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let value: f64 = number.parse().map_err(|_| {
        format!("{text:?} is not a size; use a number with an optional unit, such as 8G")
    })?;
    let exponent = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 1,
        "M" | "MB" | "MIB" => 2,
        "G" | "GB" | "GIB" => 3,
        "T" | "TB" | "TIB" => 4,
        _ => {
            return Err(format!(
                "unknown unit {unit:?}; use K, M, G or T, such as 8G"
            ))
        }
    };
    let bytes = value * 1024f64.powi(exponent);
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("{text:?} is out of range; use a size such as 8G"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_size_reads_units() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("2 t"), Ok(2 << 40));
        assert_eq!(parse_size("8GB"), Ok(8 << 30));
    }

    #[test]
    fn parse_size_rejects_junk() {
        assert!(parse_size("lots").unwrap_err().contains("not a size"));
        assert!(parse_size("8X").unwrap_err().contains("unknown unit"));
        assert!(parse_size("0").unwrap_err().contains("out of range"));
        assert!(parse_size("").is_err());
    }
}
