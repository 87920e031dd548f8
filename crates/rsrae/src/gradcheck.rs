//! Gradient tests: the analytic gradients of the f32 core against central finite
//! differences of an independent, naive f64 implementation of the same losses.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::loss::NormMode;
use crate::nn::{AInit, Activation, ModelConfig, Network, TermWeights, Workspace};
use crate::train::term_gradients;

fn act64(act: Activation, v: f64) -> f64 {
    match act {
        Activation::Identity => v,
        Activation::LeakyRelu { slope } => {
            if v < 0.0 {
                v * f64::from(slope)
            } else {
                v
            }
        }
        Activation::Relu => v.max(0.0),
        Activation::Tanh => v.tanh(),
        Activation::Sigmoid => 1.0 / (1.0 + (-v).exp()),
    }
}

fn dense64(net: &Network, layers: &[crate::nn::Layer], p: &[f64], mut h: Vec<f64>) -> Vec<f64> {
    let _ = net;
    for l in layers {
        let mut out = vec![0.0; l.out_dim];
        for (o, v) in out.iter_mut().enumerate() {
            let w = &p[l.weight_offset + o * l.in_dim..l.weight_offset + (o + 1) * l.in_dim];
            *v = act64(
                l.activation,
                w.iter().zip(&h).map(|(a, b)| a * b).sum::<f64>() + p[l.bias_offset + o],
            );
            if let Some(at) = l.norm_offset {
                *v = p[at + o] * *v / 1.001f64.sqrt() + p[at + l.out_dim + o];
            }
        }
        h = out;
    }
    h
}

fn norm_power(rows: &[Vec<f64>], power: f64, mode: NormMode) -> f64 {
    match mode {
        NormMode::PerSample => rows
            .iter()
            .map(|r| r.iter().map(|v| v * v).sum::<f64>().sqrt().powf(power))
            .sum(),
        NormMode::WholeBatch => rows
            .iter()
            .flatten()
            .map(|v| v * v)
            .sum::<f64>()
            .sqrt()
            .powf(power),
    }
}

/// The weighted loss terms in f64 with plain loops.
fn reference_loss(
    net: &Network,
    p: &[f64],
    x: &[f32],
    power: f64,
    mode: NormMode,
    w: TermWeights,
) -> [f64; 3] {
    let c = net.config();
    let (m, latent, d) = (c.input_dim, c.latent_dim(), c.rsr_dim);
    let a = &p[net.a_range()];
    let (mut recon, mut proj) = (Vec::new(), Vec::new());
    for row in x.chunks_exact(m) {
        let xr: Vec<f64> = row.iter().map(|&v| f64::from(v)).collect();
        let z = dense64(net, net.encoder(), p, xr.clone());
        let y: Vec<f64> = if c.rsr_layer {
            (0..d)
                .map(|i| (0..latent).map(|k| a[i * latent + k] * z[k]).sum())
                .collect()
        } else {
            z.clone()
        };
        let e: Vec<f64> = if c.rsr_layer {
            (0..latent)
                .map(|k| z[k] - (0..d).map(|i| a[i * latent + k] * y[i]).sum::<f64>())
                .collect()
        } else {
            vec![0.0; latent]
        };
        let mut yin = y.clone();
        if c.normalize_latent {
            let nrm = yin.iter().map(|v| v * v).sum::<f64>().max(1e-12).sqrt();
            yin.iter_mut().for_each(|v| *v /= nrm);
        }
        let xh = dense64(net, net.decoder(), p, yin);
        recon.push(xh.iter().zip(&xr).map(|(a, b)| a - b).collect());
        proj.push(e);
    }
    let mut gram = 0.0;
    let d_orth = if c.rsr_layer { d } else { 0 };
    for i in 0..d_orth {
        for j in 0..d_orth {
            let g: f64 = (0..latent)
                .map(|k| a[i * latent + k] * a[j * latent + k])
                .sum();
            gram += (g - if i == j { 1.0 } else { 0.0 }).powi(2);
        }
    }
    [
        f64::from(w.reconstruction) * norm_power(&recon, power, mode),
        f64::from(w.projection) * norm_power(&proj, 1.0, mode),
        f64::from(w.orthogonality) * gram,
    ]
}

struct Case {
    batch_norm: bool,
    rsr_layer: bool,
    hidden: Activation,
    output: Activation,
    normalize: bool,
    power: f32,
    mode: NormMode,
    weights: TermWeights,
}

fn check(case: Case) {
    let config = ModelConfig {
        input_dim: 5,
        encoder_widths: vec![4, 3],
        rsr_dim: 2,
        decoder_widths: vec![3],
        hidden_activation: case.hidden,
        latent_activation: Activation::Identity,
        output_activation: case.output,
        a_init: AInit::Gaussian,
        normalize_latent: case.normalize,
        batch_norm: case.batch_norm,
        weight_init: crate::nn::WeightInit::Glorot,
        rsr_layer: case.rsr_layer,
        conv: None,
    };
    let net = Network::new(&config);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut params = net.init_params(&mut rng);
    // Move the batch normalization and biases away from their initial 1 and 0.
    params
        .iter_mut()
        .for_each(|p| *p += rng.gen_range(-0.2..0.2));
    let x: Vec<f32> = (0..4 * 5).map(|_| rng.gen_range(0.0..1.0)).collect();
    let mut ws = Workspace::new(&net, 4);
    let mut grad = vec![0.0; net.n_params()];
    let values = term_gradients(
        &net,
        &params,
        &x,
        case.power,
        case.mode,
        case.weights,
        &mut ws,
        &mut grad,
    )
    .unwrap();

    let p64: Vec<f64> = params.iter().map(|&v| f64::from(v)).collect();
    let power = f64::from(case.power);
    let reference = reference_loss(&net, &p64, &x, power, case.mode, case.weights);
    for k in 0..3 {
        assert!(
            (values[k] - reference[k]).abs() <= 1e-4 * (1.0 + reference[k].abs()),
            "term {k}: {} vs {}",
            values[k],
            reference[k]
        );
    }
    let total = |p: &[f64]| {
        reference_loss(&net, p, &x, power, case.mode, case.weights)
            .iter()
            .sum::<f64>()
    };
    let h = 1e-6;
    for i in 0..net.n_params() {
        let (mut plus, mut minus) = (p64.clone(), p64.clone());
        plus[i] += h;
        minus[i] -= h;
        let numeric = (total(&plus) - total(&minus)) / (2.0 * h);
        let analytic = f64::from(grad[i]);
        let tol = 2e-4 * (1.0 + numeric.abs());
        assert!(
            (numeric - analytic).abs() <= tol,
            "parameter {i}: finite difference {numeric}, analytic {analytic}"
        );
    }
}

const ALL: TermWeights = TermWeights {
    reconstruction: 1.0,
    projection: 0.7,
    orthogonality: 0.3,
};
const LEAKY: Activation = Activation::LeakyRelu { slope: 0.01 };

#[test]
fn gradient_of_summed_loss_per_sample() {
    check(Case {
        batch_norm: false,
        rsr_layer: true,
        hidden: LEAKY,
        output: Activation::Sigmoid,
        normalize: false,
        power: 1.0,
        mode: NormMode::PerSample,
        weights: ALL,
    });
}

#[test]
fn gradient_of_summed_loss_whole_batch() {
    check(Case {
        batch_norm: false,
        rsr_layer: true,
        hidden: LEAKY,
        output: Activation::Sigmoid,
        normalize: false,
        power: 1.0,
        mode: NormMode::WholeBatch,
        weights: ALL,
    });
}

#[test]
fn gradient_with_p_above_one() {
    for power in [1.5, 2.0, 3.0] {
        check(Case {
            batch_norm: false,
            rsr_layer: true,
            hidden: Activation::Tanh,
            output: Activation::Identity,
            normalize: false,
            power,
            mode: NormMode::PerSample,
            weights: ALL,
        });
    }
}

#[test]
fn gradient_of_each_term_alone() {
    let terms = [
        TermWeights {
            reconstruction: 1.0,
            projection: 0.0,
            orthogonality: 0.0,
        },
        TermWeights {
            reconstruction: 0.0,
            projection: 1.0,
            orthogonality: 0.0,
        },
        TermWeights {
            reconstruction: 0.0,
            projection: 0.0,
            orthogonality: 1.0,
        },
    ];
    for weights in terms {
        check(Case {
            batch_norm: false,
            rsr_layer: true,
            hidden: LEAKY,
            output: Activation::Sigmoid,
            normalize: false,
            power: 1.0,
            mode: NormMode::PerSample,
            weights,
        });
    }
}

#[test]
fn gradient_through_latent_normalization() {
    for hidden in [Activation::Tanh, Activation::LeakyRelu { slope: 0.2 }] {
        check(Case {
            batch_norm: false,
            rsr_layer: true,
            hidden,
            output: Activation::Tanh,
            normalize: true,
            power: 1.0,
            mode: NormMode::PerSample,
            weights: ALL,
        });
    }
}

#[test]
fn zero_residual_gives_zero_gradient_not_nan() {
    let mut grad = vec![1.0f32; 6];
    let x = [0.5f32; 6];
    let value = crate::loss::reconstruction(&x, &x, 3, 1.0, NormMode::PerSample, 1.0, &mut grad);
    assert_eq!(value, 0.0);
    assert!(grad.iter().all(|&g| g == 0.0));
}

#[test]
fn gradient_through_frozen_batch_norm() {
    for hidden in [Activation::Tanh, Activation::LeakyRelu { slope: 0.2 }] {
        check(Case {
            batch_norm: true,
            rsr_layer: true,
            hidden,
            output: hidden,
            normalize: true,
            power: 1.0,
            mode: NormMode::PerSample,
            weights: ALL,
        });
    }
}

#[test]
fn gradient_without_rsr_layer() {
    let recon = TermWeights {
        reconstruction: 1.0,
        projection: 0.0,
        orthogonality: 0.0,
    };
    check(Case {
        batch_norm: false,
        rsr_layer: false,
        hidden: LEAKY,
        output: Activation::Sigmoid,
        normalize: false,
        power: 1.0,
        mode: NormMode::PerSample,
        weights: recon,
    });
}

/// The convolutional network on 8 × 8 images: analytic gradients against central
/// differences of the network's own f32 forward pass, which checks how the layers, the
/// per-channel batch normalization and the reshapes are wired together (each convolution
/// is checked against an f64 reference in the conv tests).
#[test]
fn gradient_of_conv_network() {
    let image = crate::nn::ImageShape {
        height: 8,
        width: 8,
        channels: 1,
    };
    let mut config = ModelConfig::paper_conv(image, Activation::Tanh);
    config.encoder_widths = vec![2, 3, 4];
    config.rsr_dim = 2;
    config.check().unwrap();
    let net = Network::new(&config);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut params = net.init_params(&mut rng);
    params
        .iter_mut()
        .for_each(|p| *p += rng.gen_range(-0.2..0.2));
    let x: Vec<f32> = (0..3 * 64).map(|_| rng.gen_range(-0.5..0.5)).collect();
    let mut ws = Workspace::new(&net, 3);
    let mut grad = vec![0.0; net.n_params()];
    let loss = |p: &[f32], ws: &mut Workspace, g: &mut [f32]| -> f64 {
        term_gradients(&net, p, &x, 1.0, NormMode::PerSample, ALL, ws, g)
            .unwrap()
            .iter()
            .sum()
    };
    loss(&params, &mut ws, &mut grad);
    let analytic = grad.clone();
    let h = 1e-2f32;
    let mut worst = 0.0f64;
    for i in 0..net.n_params() {
        let mut p = params.clone();
        p[i] += h;
        let plus = loss(&p, &mut ws, &mut grad);
        p[i] -= 2.0 * h;
        let minus = loss(&p, &mut ws, &mut grad);
        let numeric = (plus - minus) / (2.0 * f64::from(h));
        let error = (numeric - f64::from(analytic[i])).abs() / (1.0 + numeric.abs());
        worst = worst.max(error);
        assert!(
            error < 2e-2,
            "parameter {i}: finite difference {numeric}, analytic {}",
            analytic[i]
        );
    }
    assert!(worst > 0.0);
}
