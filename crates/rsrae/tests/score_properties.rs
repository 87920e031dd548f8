//! Properties of scoring: a row's score does not depend on the other rows scored with it,
//! on their order, or on where the 512-row scoring chunks split them. The scores are
//! compared bit for bit.

use std::ops::ControlFlow;
use std::sync::OnceLock;

use proptest::prelude::*;
use rsrae::data::{DataKind, Dataset};
use rsrae::{Recipe, Rsrae, RsraeParams, ScoreKind};

const N_FEATURES: usize = 37;

fn dataset(features: Vec<f32>) -> Dataset {
    let n_samples = features.len() / N_FEATURES;
    Dataset {
        features,
        n_samples,
        n_features: N_FEATURES,
        feature_names: (0..N_FEATURES).map(|j| format!("f{j}")).collect(),
        labels: None,
        kind: DataKind::Tabular,
    }
}

/// Deterministic training rows with varied columns.
fn training_rows(n_samples: usize) -> Vec<f32> {
    (0..n_samples * N_FEATURES)
        .map(|i| ((i as f32) * 0.731).sin() * (1.0 + (i % N_FEATURES) as f32 * 0.1))
        .collect()
}

/// Two small fitted models: reconstruction and cosine scores, with uneven layer widths so
/// that the matrix products use partial register tiles.
fn models() -> &'static [Rsrae; 2] {
    static MODELS: OnceLock<[Rsrae; 2]> = OnceLock::new();
    MODELS.get_or_init(|| {
        let data = dataset(training_rows(300));
        let fit = |score| {
            let mut params = RsraeParams::new(Recipe::Default).with_epochs(2);
            params.encoder_widths = Some(vec![29, 13]);
            params.score = score;
            let outcome = params.fit(&data, &mut |_| ControlFlow::Continue(()));
            outcome.unwrap().model
        };
        [fit(ScoreKind::Reconstruction), fit(ScoreKind::Cosine)]
    })
}

fn rows_strategy() -> impl Strategy<Value = Vec<f32>> {
    (1usize..1100).prop_flat_map(|n| prop::collection::vec(-4.0f32..4.0, n * N_FEATURES))
}

fn bits(scores: &[f32]) -> Vec<u32> {
    scores.iter().map(|s| s.to_bits()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn permuted_rows_permute_scores(rows in rows_strategy(), seed in any::<u64>()) {
        let n = rows.len() / N_FEATURES;
        let mut order: Vec<usize> = (0..n).collect();
        let mut state = seed;
        for i in (1..n).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (state >> 33) as usize % (i + 1));
        }
        let permuted: Vec<f32> = order
            .iter()
            .flat_map(|&i| rows[i * N_FEATURES..(i + 1) * N_FEATURES].iter().copied())
            .collect();
        for model in models() {
            let scores = model.score(&dataset(rows.clone())).unwrap();
            let permuted_scores = model.score(&dataset(permuted.clone())).unwrap();
            let expected: Vec<f32> = order.iter().map(|&i| scores[i]).collect();
            prop_assert_eq!(bits(&permuted_scores), bits(&expected));
        }
    }

    #[test]
    fn row_alone_scores_as_in_batch(rows in rows_strategy()) {
        let n = rows.len() / N_FEATURES;
        for model in models() {
            let batch = model.score(&dataset(rows.clone())).unwrap();
            // Every row near a chunk boundary, plus a spread of the others.
            let picks = (0..n).filter(|i| i % 97 == 0 || (510..515).contains(i) || *i + 1 == n);
            for i in picks {
                let alone = dataset(rows[i * N_FEATURES..(i + 1) * N_FEATURES].to_vec());
                let score = model.score(&alone).unwrap()[0];
                prop_assert_eq!(score.to_bits(), batch[i].to_bits(), "row {} of {}", i, n);
            }
        }
    }

    #[test]
    fn splitting_rows_keeps_scores(rows in rows_strategy(), split in 0.0f64..1.0) {
        let n = rows.len() / N_FEATURES;
        let at = ((n as f64) * split) as usize;
        for model in models() {
            let whole = model.score(&dataset(rows.clone())).unwrap();
            let (head, tail) = rows.split_at(at * N_FEATURES);
            let mut parts = Vec::new();
            for part in [head, tail] {
                if !part.is_empty() {
                    parts.extend(model.score(&dataset(part.to_vec())).unwrap());
                }
            }
            prop_assert_eq!(bits(&parts), bits(&whole));
        }
    }
}

const WIDE_FEATURES: usize = 784;

/// A model as wide as MNIST, so that a 512-row chunk and a single row take products of
/// very different shapes through `matrixmultiply`.
fn wide_model() -> &'static Rsrae {
    static MODEL: OnceLock<Rsrae> = OnceLock::new();
    MODEL.get_or_init(|| {
        let features = (0..200 * WIDE_FEATURES)
            .map(|i| ((i as f32) * 0.377).sin().abs())
            .collect();
        let data = wide_dataset(features);
        let params = RsraeParams::new(Recipe::Default).with_epochs(1);
        let outcome = params.fit(&data, &mut |_| ControlFlow::Continue(()));
        outcome.unwrap().model
    })
}

fn wide_dataset(features: Vec<f32>) -> Dataset {
    let n_samples = features.len() / WIDE_FEATURES;
    Dataset {
        features,
        n_samples,
        n_features: WIDE_FEATURES,
        feature_names: (0..WIDE_FEATURES).map(|j| format!("f{j}")).collect(),
        labels: None,
        kind: DataKind::Tabular,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]

    #[test]
    fn wide_row_alone_scores_identically(
        rows in (513usize..600).prop_flat_map(|n| {
            prop::collection::vec(0.0f32..1.0, n * WIDE_FEATURES)
        })
    ) {
        let model = wide_model();
        let n = rows.len() / WIDE_FEATURES;
        let batch = model.score(&wide_dataset(rows.clone())).unwrap();
        // The rows at both ends of each 512-row chunk, and every 13th row.
        let near_edge = |i: usize| i < 8 || (504..520).contains(&i) || i + 8 >= n;
        let picked = batch.iter().enumerate().filter(|&(i, _)| near_edge(i) || i % 13 == 0);
        for (i, &in_batch) in picked {
            let row = rows[i * WIDE_FEATURES..(i + 1) * WIDE_FEATURES].to_vec();
            let alone = model.score(&wide_dataset(row)).unwrap()[0];
            prop_assert!(alone > 0.0 && in_batch > 0.0, "row {} of {}", i, n);
            prop_assert_eq!(alone.to_bits(), in_batch.to_bits(), "row {} of {}", i, n);
        }
    }
}
