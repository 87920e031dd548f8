//! Tests that pin the details of the official RSRAE code that the paper's recipes follow.

use crate::nn::{Activation, ImageShape, ModelConfig, Network};
use crate::preprocess::{PreprocessKind, Preprocessor};
use crate::{Recipe, RsraeParams, ScoreKind};

#[test]
fn conv_network_for_28_by_28_has_official_parameter_count() {
    let image = ImageShape {
        height: 28,
        width: 28,
        channels: 1,
    };
    let config = ModelConfig::paper_conv(image, Activation::Tanh);
    config.check().unwrap();
    assert_eq!(config.latent_dim(), 1152);
    assert_eq!(Network::new(&config).n_params(), 276_865);
}

#[test]
fn conv_network_for_32_by_32_rgb_has_latent_2048() {
    let image = ImageShape {
        height: 32,
        width: 32,
        channels: 3,
    };
    let config = ModelConfig::paper_conv(image, Activation::Tanh);
    config.check().unwrap();
    assert_eq!(config.latent_dim(), 2048);
}

#[test]
fn activation_rule_follows_the_data_range() {
    assert_eq!(
        Activation::official_rule(&[0.0, 0.5, 3.0]),
        Activation::Relu
    );
    assert_eq!(
        Activation::official_rule(&[-0.5, 0.2, 1.0]),
        Activation::Tanh
    );
    let leaky = Activation::LeakyRelu { slope: 0.2 };
    assert_eq!(Activation::official_rule(&[-0.5, 1.5]), leaky);
}

#[test]
fn paper_preprocessing_gives_signed_unit_rows() {
    use crate::data::{DataKind, Dataset};
    let data = Dataset {
        features: vec![0.0, 255.0, 127.5, 255.0, 255.0, 255.0],
        n_samples: 2,
        n_features: 3,
        feature_names: vec!["a".into(), "b".into(), "c".into()],
        labels: None,
        kind: DataKind::Image {
            height: 1,
            width: 3,
            max_value: 255.0,
        },
    };
    let pre = Preprocessor::fit(&data, PreprocessKind::Paper);
    let x = pre.apply(&data.features, 3);
    let norm = 2f32.sqrt();
    let expected = [-1.0 / norm, 1.0 / norm, 0.0];
    for (got, want) in x[..3].iter().zip(expected) {
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }
    let unit = 1.0 / 3f32.sqrt();
    for got in &x[3..] {
        assert!((got - unit).abs() < 1e-6, "{got} vs {unit}");
    }
}

#[test]
fn paper_recipes_match_the_official_settings() {
    let paper = RsraeParams::new(Recipe::Paper);
    assert_eq!(paper.epochs, Some(200));
    assert_eq!(paper.batch_size, 128);
    assert_eq!(paper.lr, 2.5e-4);
    assert_eq!(paper.score, ScoreKind::Cosine);
    assert!(!paper.drop_last);
    let plus = RsraeParams::new(Recipe::PaperPlus);
    assert_eq!((plus.lambda1, plus.lambda2), (0.1, 0.1));
    assert_eq!(plus.mode, crate::train::TrainMode::Summed);
}
