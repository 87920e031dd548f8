//! Oracle tests for the convolution layers: forward passes against direct f64 loops that
//! derive TensorFlow's sizes and padding on their own, analytic gradients against central
//! finite differences of those loops, and the adjoint identity between the two layers.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

fn random_vec(rng: &mut ChaCha8Rng, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.gen_range(-1.0..1.0)).collect()
}

fn to_f64(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&v| f64::from(v)).collect()
}

fn conv(in_hw: (usize, usize), channels: (usize, usize), kernel: usize) -> Conv2dSpec {
    Conv2dSpec {
        in_h: in_hw.0,
        in_w: in_hw.1,
        in_c: channels.0,
        out_c: channels.1,
        kernel,
        stride: 1,
        padding: Padding::Same,
    }
}

fn conv_t(in_hw: (usize, usize), channels: (usize, usize), kernel: usize) -> ConvTranspose2dSpec {
    ConvTranspose2dSpec {
        in_h: in_hw.0,
        in_w: in_hw.1,
        in_c: channels.0,
        out_c: channels.1,
        kernel,
        stride: 1,
        padding: Padding::Same,
    }
}

/// TensorFlow's convolution output length and leading padding, written out independently
/// of the code under test: SAME `⌈in/s⌉` with `⌊total/2⌋` before, VALID `⌈(in−k+1)/s⌉`.
fn tf_conv_geometry(in_len: usize, kernel: usize, stride: usize, padding: Padding) -> (usize, i64) {
    match padding {
        Padding::Same => {
            let out = (in_len - 1) / stride + 1;
            let total = ((out - 1) * stride + kernel) as i64 - in_len as i64;
            (out, total.max(0) / 2)
        }
        Padding::Valid => ((in_len - kernel) / stride + 1, 0),
    }
}

/// `tf.layers.conv2d_transpose` output length (Keras `deconv_output_length`).
fn tf_transposed_len(in_len: usize, kernel: usize, stride: usize, padding: Padding) -> usize {
    match padding {
        Padding::Same => in_len * stride,
        Padding::Valid => in_len * stride + kernel.saturating_sub(stride),
    }
}

/// Direct convolution in f64: `y[b,i,j,o] = bias[o] + Σ x[b, i·s+p−pt, j·s+q−pl, c]·w[p,q,c,o]`.
fn naive_conv(spec: &Conv2dSpec, x: &[f64], n: usize, w: &[f64], bias: &[f64]) -> Vec<f64> {
    let (k, s) = (spec.kernel, spec.stride);
    let (out_h, pad_top) = tf_conv_geometry(spec.in_h, k, s, spec.padding);
    let (out_w, pad_left) = tf_conv_geometry(spec.in_w, k, s, spec.padding);
    let (ci_n, co_n) = (spec.in_c, spec.out_c);
    let mut y = vec![0.0; n * out_h * out_w * co_n];
    for b in 0..n {
        for i in 0..out_h {
            for j in 0..out_w {
                for o in 0..co_n {
                    let mut sum = bias[o];
                    for p in 0..k {
                        for q in 0..k {
                            let ih = (i * s + p) as i64 - pad_top;
                            let iw = (j * s + q) as i64 - pad_left;
                            if ih < 0 || iw < 0 || ih >= spec.in_h as i64 || iw >= spec.in_w as i64
                            {
                                continue;
                            }
                            let (ih, iw) = (ih as usize, iw as usize);
                            for c in 0..ci_n {
                                let xv = x[((b * spec.in_h + ih) * spec.in_w + iw) * ci_n + c];
                                sum += xv * w[((p * k + q) * ci_n + c) * co_n + o];
                            }
                        }
                    }
                    y[((b * out_h + i) * out_w + j) * co_n + o] = sum;
                }
            }
        }
    }
    y
}

/// Direct transposed convolution in f64 as a scatter: every input value adds
/// `x[b,i,j,c]·w[p,q,o,c]` to output `(i·s+p−pt, j·s+q−pl, o)`, where `pt`, `pl` are the
/// padding of the forward convolution from the output shape back to the input shape.
fn naive_conv_t(
    spec: &ConvTranspose2dSpec,
    x: &[f64],
    n: usize,
    w: &[f64],
    bias: &[f64],
) -> Vec<f64> {
    let (k, s) = (spec.kernel, spec.stride);
    let out_h = tf_transposed_len(spec.in_h, k, s, spec.padding);
    let out_w = tf_transposed_len(spec.in_w, k, s, spec.padding);
    let (_, pad_top) = tf_conv_geometry(out_h, k, s, spec.padding);
    let (_, pad_left) = tf_conv_geometry(out_w, k, s, spec.padding);
    let (ci_n, co_n) = (spec.in_c, spec.out_c);
    let mut y: Vec<f64> = (0..n * out_h * out_w).flat_map(|_| bias.to_vec()).collect();
    for b in 0..n {
        for i in 0..spec.in_h {
            for j in 0..spec.in_w {
                for p in 0..k {
                    for q in 0..k {
                        let oh = (i * s + p) as i64 - pad_top;
                        let ow = (j * s + q) as i64 - pad_left;
                        if oh < 0 || ow < 0 || oh >= out_h as i64 || ow >= out_w as i64 {
                            continue;
                        }
                        let (oh, ow) = (oh as usize, ow as usize);
                        for o in 0..co_n {
                            for c in 0..ci_n {
                                let xv = x[((b * spec.in_h + i) * spec.in_w + j) * ci_n + c];
                                let wv = w[((p * k + q) * co_n + o) * ci_n + c];
                                y[((b * out_h + oh) * out_w + ow) * co_n + o] += xv * wv;
                            }
                        }
                    }
                }
            }
        }
    }
    y
}

fn assert_close(got: &[f32], want: &[f64], tol: f64, label: &str) {
    assert_eq!(got.len(), want.len(), "{label}: lengths differ");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = (f64::from(g) - w).abs();
        assert!(
            err <= tol * (1.0 + w.abs()),
            "{label}[{i}]: got {g}, expected {w}"
        );
    }
}

fn run_conv(spec: &Conv2dSpec, x: &[f32], n: usize, w: &[f32], b: &[f32]) -> Vec<f32> {
    let mut y = vec![0.0; n * spec.out_len()];
    let mut scratch = vec![0.0; spec.scratch_len(n)];
    conv2d_forward(spec, x, n, w, b, &mut y, &mut scratch).unwrap();
    y
}

fn run_conv_t(spec: &ConvTranspose2dSpec, x: &[f32], n: usize, w: &[f32], b: &[f32]) -> Vec<f32> {
    let mut y = vec![0.0; n * spec.out_len()];
    let mut scratch = vec![0.0; spec.scratch_len(n)];
    conv_transpose2d_forward(spec, x, n, w, b, &mut y, &mut scratch).unwrap();
    y
}

fn conv_cases() -> Vec<Conv2dSpec> {
    use Padding::{Same, Valid};
    let with = |spec: Conv2dSpec, stride, padding| Conv2dSpec {
        stride,
        padding,
        ..spec
    };
    vec![
        with(conv((28, 28), (1, 32), 5), 2, Same),
        with(conv((7, 7), (4, 3), 3), 2, Valid),
        with(conv((7, 7), (4, 3), 3), 2, Same),
        with(conv((9, 6), (3, 5), 3), 1, Same),
        with(conv((9, 6), (3, 5), 3), 1, Valid),
        with(conv((11, 13), (2, 3), 4), 3, Same),
        with(conv((11, 13), (2, 3), 4), 3, Valid),
        with(conv((5, 5), (2, 3), 1), 2, Same),
        with(conv((6, 5), (2, 2), 2), 3, Same),
        with(conv((8, 8), (2, 2), 5), 1, Same),
    ]
}

fn conv_t_cases() -> Vec<ConvTranspose2dSpec> {
    use Padding::{Same, Valid};
    let with = |spec: ConvTranspose2dSpec, stride, padding| ConvTranspose2dSpec {
        stride,
        padding,
        ..spec
    };
    vec![
        with(conv_t((3, 3), (6, 4), 3), 2, Valid),
        with(conv_t((7, 7), (4, 3), 5), 2, Same),
        with(conv_t((14, 14), (3, 1), 5), 2, Same),
        with(conv_t((4, 5), (2, 3), 3), 1, Same),
        with(conv_t((4, 5), (2, 3), 3), 1, Valid),
        with(conv_t((3, 4), (2, 2), 4), 3, Valid),
        with(conv_t((3, 4), (2, 2), 2), 3, Valid),
        with(conv_t((3, 4), (2, 2), 2), 3, Same),
    ]
}

#[test]
fn padding_follows_tensorflow_rules() {
    assert_eq!(Padding::Same.output_len(28, 5, 2), 14);
    assert_eq!(Padding::Same.output_len(7, 3, 2), 4);
    assert_eq!(Padding::Valid.output_len(7, 3, 2), 3);
    assert_eq!(Padding::Valid.output_len(8, 3, 2), 3);
    assert_eq!(Padding::Valid.output_len(2, 3, 1), 0);
    // 28 → 14 with a 5-wide kernel pads 3 in total: 1 before, 2 after.
    assert_eq!(Padding::Same.pad_before(28, 14, 5, 2), 1);
    assert_eq!(Padding::Same.pad_before(14, 7, 5, 2), 1);
    assert_eq!(Padding::Same.pad_before(8, 4, 3, 2), 0);
    assert_eq!(Padding::Same.pad_before(9, 9, 4, 1), 1);
    assert_eq!(Padding::Same.pad_before(5, 3, 1, 2), 0);
    assert_eq!(Padding::Same.transposed_output_len(7, 5, 2), 14);
    assert_eq!(Padding::Valid.transposed_output_len(3, 3, 2), 7);
    assert_eq!(Padding::Valid.transposed_output_len(3, 2, 3), 9);
}

#[test]
fn conv_forward_matches_direct_loop() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for spec in conv_cases() {
        let n = 3;
        let (out_h, _) = tf_conv_geometry(spec.in_h, spec.kernel, spec.stride, spec.padding);
        let (out_w, _) = tf_conv_geometry(spec.in_w, spec.kernel, spec.stride, spec.padding);
        assert_eq!((spec.out_h(), spec.out_w()), (out_h, out_w), "{spec:?}");
        let x = random_vec(&mut rng, n * spec.in_len());
        let w = random_vec(&mut rng, spec.weight_len());
        let b = random_vec(&mut rng, spec.out_c);
        let got = run_conv(&spec, &x, n, &w, &b);
        let want = naive_conv(&spec, &to_f64(&x), n, &to_f64(&w), &to_f64(&b));
        assert_close(&got, &want, 1e-5, &format!("{spec:?}"));
    }
}

#[test]
fn conv_transpose_forward_matches_direct_loop() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for spec in conv_t_cases() {
        let n = 3;
        let out_h = tf_transposed_len(spec.in_h, spec.kernel, spec.stride, spec.padding);
        let out_w = tf_transposed_len(spec.in_w, spec.kernel, spec.stride, spec.padding);
        assert_eq!((spec.out_h(), spec.out_w()), (out_h, out_w), "{spec:?}");
        let x = random_vec(&mut rng, n * spec.in_len());
        let w = random_vec(&mut rng, spec.weight_len());
        let b = random_vec(&mut rng, spec.out_c);
        let got = run_conv_t(&spec, &x, n, &w, &b);
        let want = naive_conv_t(&spec, &to_f64(&x), n, &to_f64(&w), &to_f64(&b));
        assert_close(&got, &want, 1e-5, &format!("{spec:?}"));
    }
}

#[test]
fn chunked_scratch_gives_same_outputs() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let spec = Conv2dSpec {
        stride: 2,
        ..conv((7, 7), (3, 4), 3)
    };
    let n = 5;
    let x = random_vec(&mut rng, n * spec.in_len());
    let w = random_vec(&mut rng, spec.weight_len());
    let b = random_vec(&mut rng, spec.out_c);
    let dy = random_vec(&mut rng, n * spec.out_len());
    let whole = run_conv(&spec, &x, n, &w, &b);
    let (mut dw_whole, mut db_whole, mut dx_whole) =
        (vec![0.0; w.len()], vec![0.0; b.len()], vec![0.0; x.len()]);
    let mut scratch = vec![0.0; spec.scratch_len(n)];
    let dx = Some(dx_whole.as_mut_slice());
    conv2d_backward(
        &spec,
        &x,
        n,
        &w,
        &dy,
        &mut dw_whole,
        &mut db_whole,
        dx,
        &mut scratch,
    )
    .unwrap();

    // Two samples' worth and a bit: chunks of 2, 2 and 1.
    let mut small = vec![0.0; spec.scratch_len(2) + 7];
    let mut y = vec![0.0; whole.len()];
    conv2d_forward(&spec, &x, n, &w, &b, &mut y, &mut small).unwrap();
    assert_close(&y, &to_f64(&whole), 1e-6, "y");
    let (mut dw, mut db, mut dx) = (vec![0.0; w.len()], vec![0.0; b.len()], vec![0.0; x.len()]);
    let dx_arg = Some(dx.as_mut_slice());
    conv2d_backward(&spec, &x, n, &w, &dy, &mut dw, &mut db, dx_arg, &mut small).unwrap();
    assert_close(&dw, &to_f64(&dw_whole), 1e-5, "dweight");
    assert_close(&db, &to_f64(&db_whole), 1e-5, "dbias");
    assert_close(&dx, &to_f64(&dx_whole), 1e-6, "dx");

    let spec_t = ConvTranspose2dSpec {
        stride: 2,
        padding: Padding::Valid,
        ..conv_t((3, 3), (4, 3), 3)
    };
    let x_t = random_vec(&mut rng, n * spec_t.in_len());
    let w_t = random_vec(&mut rng, spec_t.weight_len());
    let whole = run_conv_t(&spec_t, &x_t, n, &w_t, &b[..3]);
    let mut small = vec![0.0; spec_t.scratch_len(1)];
    let mut y = vec![0.0; whole.len()];
    conv_transpose2d_forward(&spec_t, &x_t, n, &w_t, &b[..3], &mut y, &mut small).unwrap();
    assert_close(&y, &to_f64(&whole), 1e-6, "conv_transpose y");
}

/// The gradients of `L = Σ y ⊙ r` for a fixed random `r`, so `dy = r`.
struct Grads {
    weight: Vec<f32>,
    bias: Vec<f32>,
    input: Vec<f32>,
}

/// Checks `grads` against central differences of `loss(x, w, b)` in f64 at the point
/// `(x, w, b)`.
fn check_grads(
    loss: impl Fn(&[f64], &[f64], &[f64]) -> f64,
    x: &[f32],
    w: &[f32],
    b: &[f32],
    grads: &Grads,
) {
    let point = [to_f64(x), to_f64(w), to_f64(b)];
    let analytic = [&grads.input, &grads.weight, &grads.bias];
    let names = ["input", "weight", "bias"];
    let h = 1e-3;
    for part in 0..3 {
        for i in 0..point[part].len() {
            let (mut plus, mut minus) = (point.clone(), point.clone());
            plus[part][i] += h;
            minus[part][i] -= h;
            let numeric = (loss(&plus[0], &plus[1], &plus[2])
                - loss(&minus[0], &minus[1], &minus[2]))
                / (2.0 * h);
            let got = f64::from(analytic[part][i]);
            assert!(
                (numeric - got).abs() <= 1e-4 * (1.0 + numeric.abs()),
                "{} {i}: finite difference {numeric}, analytic {got}",
                names[part]
            );
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn conv_gradients_match_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let small = conv((5, 5), (2, 3), 3);
    let cases = [
        Conv2dSpec {
            stride: 2,
            padding: Padding::Same,
            ..small
        },
        Conv2dSpec {
            stride: 2,
            padding: Padding::Valid,
            ..small
        },
        Conv2dSpec {
            in_w: 6,
            kernel: 2,
            stride: 1,
            padding: Padding::Same,
            ..small
        },
    ];
    for spec in cases {
        let n = 2;
        let x = random_vec(&mut rng, n * spec.in_len());
        let w = random_vec(&mut rng, spec.weight_len());
        let b = random_vec(&mut rng, spec.out_c);
        let r = random_vec(&mut rng, n * spec.out_len());
        // Gradients accumulate onto nonzero buffers, and `dx` is overwritten.
        let mut grads = Grads {
            weight: vec![0.5; w.len()],
            bias: vec![0.5; b.len()],
            input: vec![9.0; x.len()],
        };
        let mut scratch = vec![0.0; spec.scratch_len(n)];
        let dx = Some(grads.input.as_mut_slice());
        let (dw, db) = (&mut grads.weight, &mut grads.bias);
        conv2d_backward(&spec, &x, n, &w, &r, dw, db, dx, &mut scratch).unwrap();
        grads.weight.iter_mut().for_each(|g| *g -= 0.5);
        grads.bias.iter_mut().for_each(|g| *g -= 0.5);

        let r64 = to_f64(&r);
        let loss = |x: &[f64], w: &[f64], b: &[f64]| dot(&naive_conv(&spec, x, n, w, b), &r64);
        check_grads(loss, &x, &w, &b, &grads);

        let (mut dw, mut db) = (vec![0.0; w.len()], vec![0.0; b.len()]);
        conv2d_backward(&spec, &x, n, &w, &r, &mut dw, &mut db, None, &mut scratch).unwrap();
        assert_close(&dw, &to_f64(&grads.weight), 1e-5, "dweight without dx");
    }
}

#[test]
fn conv_transpose_gradients_match_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let small = conv_t((3, 3), (3, 2), 3);
    let cases = [
        ConvTranspose2dSpec {
            stride: 2,
            padding: Padding::Same,
            ..small
        },
        ConvTranspose2dSpec {
            stride: 2,
            padding: Padding::Valid,
            ..small
        },
        ConvTranspose2dSpec {
            in_w: 2,
            kernel: 2,
            stride: 3,
            padding: Padding::Valid,
            ..small
        },
    ];
    for spec in cases {
        let n = 2;
        let x = random_vec(&mut rng, n * spec.in_len());
        let w = random_vec(&mut rng, spec.weight_len());
        let b = random_vec(&mut rng, spec.out_c);
        let r = random_vec(&mut rng, n * spec.out_len());
        let mut grads = Grads {
            weight: vec![0.0; w.len()],
            bias: vec![0.0; b.len()],
            input: vec![9.0; x.len()],
        };
        let mut scratch = vec![0.0; spec.scratch_len(n)];
        let dx = Some(grads.input.as_mut_slice());
        let (dw, db) = (&mut grads.weight, &mut grads.bias);
        conv_transpose2d_backward(&spec, &x, n, &w, &r, dw, db, dx, &mut scratch).unwrap();

        let r64 = to_f64(&r);
        let loss = |x: &[f64], w: &[f64], b: &[f64]| dot(&naive_conv_t(&spec, x, n, w, b), &r64);
        check_grads(loss, &x, &w, &b, &grads);
    }
}

#[test]
fn conv_transpose_is_adjoint_of_conv() {
    use Padding::{Same, Valid};
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let cases = [
        (conv_t((3, 3), (16, 8), 3), 2, Valid),
        (conv_t((7, 7), (8, 4), 5), 2, Same),
        (conv_t((14, 14), (4, 1), 5), 2, Same),
        (conv_t((4, 4), (8, 3), 3), 2, Same),
        (conv_t((5, 3), (2, 3), 3), 1, Valid),
        (conv_t((3, 4), (2, 2), 2), 3, Valid),
    ];
    for (spec, stride, padding) in cases {
        let spec_t = ConvTranspose2dSpec {
            stride,
            padding,
            ..spec
        };
        let spec = spec_t.adjoint();
        assert_eq!((spec.out_h(), spec.out_w()), (spec_t.in_h, spec_t.in_w));
        assert_eq!((spec.in_h, spec.in_w), (spec_t.out_h(), spec_t.out_w()));
        let n = 2;
        let x = random_vec(&mut rng, n * spec.in_len());
        let y = random_vec(&mut rng, n * spec.out_len());
        let w = random_vec(&mut rng, spec.weight_len());
        let conv_x = run_conv(&spec, &x, n, &w, &vec![0.0; spec.out_c]);
        let conv_t_y = run_conv_t(&spec_t, &y, n, &w, &vec![0.0; spec_t.out_c]);
        let lhs = dot(&to_f64(&conv_x), &to_f64(&y));
        let rhs = dot(&to_f64(&x), &to_f64(&conv_t_y));
        let scale = to_f64(&conv_x).iter().map(|v| v.abs()).sum::<f64>();
        assert!(
            (lhs - rhs).abs() <= 1e-4 * scale.max(lhs.abs()),
            "{spec_t:?}: ⟨conv(x), y⟩ = {lhs}, ⟨x, conv_t(y)⟩ = {rhs}"
        );

        // The transposed convolution is the input gradient of the convolution.
        let (mut dw, mut db, mut dx) = (
            vec![0.0; w.len()],
            vec![0.0; spec.out_c],
            vec![0.0; x.len()],
        );
        let mut scratch = vec![0.0; spec.scratch_len(n)];
        let dx_arg = Some(dx.as_mut_slice());
        conv2d_backward(&spec, &x, n, &w, &y, &mut dw, &mut db, dx_arg, &mut scratch).unwrap();
        assert_close(&conv_t_y, &to_f64(&dx), 1e-5, "conv_t(y) vs dx");
    }
}

/// Builds the official RSRAE conv encoder and decoder for square `side × side × channels` images:
/// VALID padding on the 3 × 3 layers when `side` is not a multiple of 8.
fn official_layers(side: usize, channels: usize) -> (Vec<Conv2dSpec>, Vec<ConvTranspose2dSpec>) {
    let pad3 = if side % 8 == 0 {
        Padding::Same
    } else {
        Padding::Valid
    };
    let conv1 = Conv2dSpec {
        stride: 2,
        ..conv((side, side), (channels, 32), 5)
    };
    let conv2 = Conv2dSpec {
        in_h: conv1.out_h(),
        in_w: conv1.out_w(),
        stride: 2,
        ..conv((0, 0), (32, 64), 5)
    };
    let conv3 = Conv2dSpec {
        in_h: conv2.out_h(),
        in_w: conv2.out_w(),
        stride: 2,
        padding: pad3,
        ..conv((0, 0), (64, 128), 3)
    };
    let latent_side = side / 8;
    let deconv3 = ConvTranspose2dSpec {
        stride: 2,
        padding: pad3,
        ..conv_t((latent_side, latent_side), (128, 64), 3)
    };
    let deconv2 = ConvTranspose2dSpec {
        in_h: deconv3.out_h(),
        in_w: deconv3.out_w(),
        stride: 2,
        ..conv_t((0, 0), (64, 32), 5)
    };
    let deconv1 = ConvTranspose2dSpec {
        in_h: deconv2.out_h(),
        in_w: deconv2.out_w(),
        stride: 2,
        ..conv_t((0, 0), (32, channels), 5)
    };
    (vec![conv1, conv2, conv3], vec![deconv3, deconv2, deconv1])
}

fn out_shape(spec: &Conv2dSpec) -> (usize, usize, usize) {
    (spec.out_h(), spec.out_w(), spec.out_c)
}

fn out_shape_t(spec: &ConvTranspose2dSpec) -> (usize, usize, usize) {
    (spec.out_h(), spec.out_w(), spec.out_c)
}

#[test]
fn official_28x28_model_shapes() {
    let (encoder, decoder) = official_layers(28, 1);
    assert_eq!(out_shape(&encoder[0]), (14, 14, 32));
    assert_eq!(out_shape(&encoder[1]), (7, 7, 64));
    assert_eq!(out_shape(&encoder[2]), (3, 3, 128));
    assert_eq!(encoder[2].out_len(), 1152);
    assert_eq!(decoder[0].in_len(), 1152);
    assert_eq!(out_shape_t(&decoder[0]), (7, 7, 64));
    assert_eq!(out_shape_t(&decoder[1]), (14, 14, 32));
    assert_eq!(out_shape_t(&decoder[2]), (28, 28, 1));
    for spec in &encoder {
        spec.check().unwrap();
    }
}

#[test]
fn official_32x32_model_shapes() {
    let (encoder, decoder) = official_layers(32, 3);
    assert_eq!(out_shape(&encoder[0]), (16, 16, 32));
    assert_eq!(out_shape(&encoder[1]), (8, 8, 64));
    assert_eq!(out_shape(&encoder[2]), (4, 4, 128));
    assert_eq!(encoder[2].out_len(), 2048);
    assert_eq!(decoder[0].in_len(), 2048);
    assert_eq!(out_shape_t(&decoder[0]), (8, 8, 64));
    assert_eq!(out_shape_t(&decoder[1]), (16, 16, 32));
    assert_eq!(out_shape_t(&decoder[2]), (32, 32, 3));
}

#[test]
fn official_28x28_model_parameter_count() {
    let (encoder, decoder) = official_layers(28, 1);
    let norm = |channels| FrozenBatchNorm { channels }.n_params();
    let (latent, d) = (encoder[2].out_len(), 10);

    // Encoder: conv → activation → batch norm, three times.
    let conv_counts: Vec<usize> = encoder.iter().map(Conv2dSpec::n_params).collect();
    assert_eq!(conv_counts, [832, 51_264, 73_856]);
    let encoder_total: usize = conv_counts.iter().sum::<usize>() + norm(32) + norm(64) + norm(128);
    assert_eq!(encoder_total, 126_400);

    // RSR layer `A`, no bias.
    let rsr = d * latent;
    assert_eq!(rsr, 11_520);

    // Decoder: dense → activation → reshape → batch norm over 128 channels, then
    // conv_transpose → activation → batch norm twice, then a last conv_transpose.
    let dense = d * latent + latent;
    let deconv_counts: Vec<usize> = decoder.iter().map(ConvTranspose2dSpec::n_params).collect();
    assert_eq!(deconv_counts, [73_792, 51_232, 801]);
    let decoder_total =
        dense + norm(128) + deconv_counts.iter().sum::<usize>() + norm(64) + norm(32);
    assert_eq!(decoder_total, 138_945);

    assert_eq!(encoder_total + rsr + decoder_total, 276_865);
}

#[test]
fn frozen_batch_norm_forward_and_gradients() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let norm = FrozenBatchNorm { channels: 3 };
    let x = random_vec(&mut rng, 4 * 3);
    let gamma = random_vec(&mut rng, 3);
    let beta = random_vec(&mut rng, 3);
    let mut y = vec![0.0; x.len()];
    norm.forward(&x, &gamma, &beta, &mut y).unwrap();
    let scale = 1.0 / 1.001f64.sqrt();
    let want: Vec<f64> = (0..x.len())
        .map(|i| f64::from(gamma[i % 3]) * f64::from(x[i]) * scale + f64::from(beta[i % 3]))
        .collect();
    assert_close(&y, &want, 1e-6, "y");

    let r = random_vec(&mut rng, x.len());
    let (mut dgamma, mut dbeta, mut dx) = (vec![0.0; 3], vec![0.0; 3], vec![0.0; x.len()]);
    norm.backward(&x, &gamma, &r, &mut dgamma, &mut dbeta, Some(&mut dx))
        .unwrap();
    let grads = Grads {
        weight: dgamma,
        bias: dbeta,
        input: dx,
    };
    let r64 = to_f64(&r);
    let loss = |x: &[f64], g: &[f64], b: &[f64]| {
        let y: Vec<f64> = (0..x.len())
            .map(|i| g[i % 3] * x[i] * scale + b[i % 3])
            .collect();
        dot(&y, &r64)
    };
    check_grads(loss, &x, &gamma, &beta, &grads);
}

#[test]
fn frozen_batch_norm_ignores_other_samples() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let norm = FrozenBatchNorm { channels: 4 };
    let batch = random_vec(&mut rng, 6 * 4);
    let gamma = random_vec(&mut rng, 4);
    let beta = random_vec(&mut rng, 4);
    let mut together = vec![0.0; batch.len()];
    norm.forward(&batch, &gamma, &beta, &mut together).unwrap();
    for (row, expected) in batch.chunks_exact(4).zip(together.chunks_exact(4)) {
        let mut alone = vec![0.0; 4];
        norm.forward(row, &gamma, &beta, &mut alone).unwrap();
        assert_eq!(alone, expected);
    }
}

#[test]
fn init_uses_glorot_bounds_and_zero_biases() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let spec = Conv2dSpec {
        stride: 2,
        ..conv((14, 14), (32, 64), 5)
    };
    assert_eq!(spec.fans(), (800, 1600));
    let mut weight = vec![0.0; spec.weight_len()];
    let mut bias = vec![1.0; spec.out_c];
    spec.init(&mut weight, &mut bias, &mut rng).unwrap();
    let limit = (6.0f64 / 2400.0).sqrt();
    assert!(weight.iter().all(|&w| f64::from(w).abs() <= limit));
    let variance = weight.iter().map(|&w| f64::from(w).powi(2)).sum::<f64>() / weight.len() as f64;
    // U(±l) has variance l²/3; 51 200 draws put the estimate within a few percent.
    assert!(
        (variance / (limit * limit / 3.0) - 1.0).abs() < 0.03,
        "variance {variance}"
    );
    assert!(bias.iter().all(|&b| b == 0.0));

    let spec_t = conv_t((7, 7), (64, 32), 5);
    assert_eq!(spec_t.fans(), (800, 1600));
    let mut weight = vec![0.0; spec_t.weight_len()];
    let mut bias = vec![1.0; spec_t.out_c];
    spec_t.init(&mut weight, &mut bias, &mut rng).unwrap();
    assert!(weight.iter().all(|&w| f64::from(w).abs() <= limit));
    assert!(bias.iter().all(|&b| b == 0.0));

    let norm = FrozenBatchNorm { channels: 2 };
    let (mut gamma, mut beta) = (vec![0.0; 2], vec![5.0; 2]);
    norm.init(&mut gamma, &mut beta).unwrap();
    assert_eq!((gamma, beta), (vec![1.0; 2], vec![0.0; 2]));
}

#[test]
fn invalid_specs_are_rejected() {
    let zero_stride = Conv2dSpec {
        stride: 0,
        ..conv((5, 5), (1, 1), 3)
    };
    let err = zero_stride.check().unwrap_err().to_string();
    assert!(err.contains("stride is 0"), "{err}");

    let too_big = Conv2dSpec {
        padding: Padding::Valid,
        ..conv((5, 4), (1, 1), 5)
    };
    let err = too_big.check().unwrap_err().to_string();
    assert!(err.contains("does not fit the 5 × 4 input"), "{err}");

    let no_channels = conv_t((3, 3), (0, 1), 3);
    assert!(no_channels.check().is_err());
}

#[test]
fn wrong_lengths_are_shape_errors() {
    let spec = Conv2dSpec {
        stride: 2,
        ..conv((6, 6), (2, 3), 3)
    };
    let n = 2;
    let x = vec![0.0; n * spec.in_len()];
    let w = vec![0.0; spec.weight_len()];
    let b = vec![0.0; spec.out_c];
    let mut y = vec![0.0; n * spec.out_len()];
    let mut scratch = vec![0.0; spec.scratch_len(n)];

    let err = conv2d_forward(&spec, &x[1..], n, &w, &b, &mut y, &mut scratch).unwrap_err();
    assert!(matches!(err, Error::Shape { .. }));
    assert_eq!(
        err.to_string(),
        "conv2d_forward: shape mismatch, expected x of length 144, got x of length 143"
    );
    let err = conv2d_forward(&spec, &x, n, &w, &b[1..], &mut y, &mut scratch).unwrap_err();
    assert!(err.to_string().contains("bias of length 3"), "{err}");
    let err = conv2d_forward(&spec, &x, n, &w, &b, &mut y, &mut scratch[..10]).unwrap_err();
    assert!(
        err.to_string().contains("scratch of at least 162 values"),
        "{err}"
    );

    let mut dx = vec![0.0; 3];
    let (mut dw, mut db) = (w.clone(), b.clone());
    let dx_arg = Some(dx.as_mut_slice());
    let err = conv2d_backward(&spec, &x, n, &w, &y, &mut dw, &mut db, dx_arg, &mut scratch);
    assert!(err.unwrap_err().to_string().contains("dx of length 144"));

    let norm = FrozenBatchNorm { channels: 3 };
    let mut out = vec![0.0; 5];
    let err = norm
        .forward(&[0.0; 5], &[1.0; 3], &[0.0; 3], &mut out)
        .unwrap_err();
    assert!(err.to_string().contains("multiple of 3"), "{err}");
}

#[test]
fn empty_batch_is_a_no_op() {
    let spec = conv((4, 4), (2, 2), 3);
    let w = vec![1.0; spec.weight_len()];
    let b = vec![1.0; 2];
    conv2d_forward(&spec, &[], 0, &w, &b, &mut [], &mut []).unwrap();
    let (mut dw, mut db) = (vec![0.0; w.len()], vec![0.0; 2]);
    conv2d_backward(
        &spec,
        &[],
        0,
        &w,
        &[],
        &mut dw,
        &mut db,
        Some(&mut []),
        &mut [],
    )
    .unwrap();
    assert!(dw.iter().chain(&db).all(|&g| g == 0.0));
}

/// Forward and backward of the official 28 × 28 encoder and decoder convolutions (no
/// activations, batch norm or dense layers) on a batch of 128. Run with
/// `cargo test --release -p rsrae --lib conv_stack_timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn conv_stack_timing_batch_128() {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let n = 128;
    let (encoder, decoder) = official_layers(28, 1);
    let scratch_len = encoder
        .iter()
        .map(|s| s.scratch_len(n))
        .chain(decoder.iter().map(|s| s.scratch_len(n)))
        .max()
        .unwrap();
    let mut scratch = vec![0.0; scratch_len];
    let mut weights =
        |len| -> Vec<f32> { random_vec(&mut rng, len).iter().map(|w| 0.05 * w).collect() };
    let enc_w: Vec<Vec<f32>> = encoder.iter().map(|s| weights(s.weight_len())).collect();
    let dec_w: Vec<Vec<f32>> = decoder.iter().map(|s| weights(s.weight_len())).collect();
    let mut enc_acts = vec![random_vec(&mut rng, n * encoder[0].in_len())];
    enc_acts.extend(encoder.iter().map(|s| vec![0.0; n * s.out_len()]));
    let mut dec_acts = vec![random_vec(&mut rng, n * decoder[0].in_len())];
    dec_acts.extend(decoder.iter().map(|s| vec![0.0; n * s.out_len()]));
    let mut enc_dw: Vec<Vec<f32>> = enc_w.iter().map(|w| vec![0.0; w.len()]).collect();
    let mut dec_dw: Vec<Vec<f32>> = dec_w.iter().map(|w| vec![0.0; w.len()]).collect();
    let bias = vec![0.0; 128];
    let mut db = vec![0.0; 128];
    let max_act = enc_acts
        .iter()
        .chain(&dec_acts)
        .map(Vec::len)
        .max()
        .unwrap();
    let (mut grad, mut grad_next) = (vec![0.5; max_act], vec![0.0; max_act]);

    let mut step = || {
        for (i, spec) in encoder.iter().enumerate() {
            let (before, after) = enc_acts.split_at_mut(i + 1);
            let bias = &bias[..spec.out_c];
            conv2d_forward(
                spec,
                &before[i],
                n,
                &enc_w[i],
                bias,
                &mut after[0],
                &mut scratch,
            )
            .unwrap();
        }
        for (i, spec) in decoder.iter().enumerate() {
            let (before, after) = dec_acts.split_at_mut(i + 1);
            let bias = &bias[..spec.out_c];
            let (x, y) = (&before[i], &mut after[0]);
            conv_transpose2d_forward(spec, x, n, &dec_w[i], bias, y, &mut scratch).unwrap();
        }
        grad.fill(0.5);
        for (i, spec) in decoder.iter().enumerate().rev() {
            let dy = &grad[..n * spec.out_len()];
            let dx = (i > 0).then(|| &mut grad_next[..n * spec.in_len()]);
            let (dw, dbias) = (&mut dec_dw[i], &mut db[..spec.out_c]);
            conv_transpose2d_backward(
                spec,
                &dec_acts[i],
                n,
                &dec_w[i],
                dy,
                dw,
                dbias,
                dx,
                &mut scratch,
            )
            .unwrap();
            std::mem::swap(&mut grad, &mut grad_next);
        }
        for (i, spec) in encoder.iter().enumerate().rev() {
            let dy = &grad[..n * spec.out_len()];
            let dx = (i > 0).then(|| &mut grad_next[..n * spec.in_len()]);
            let (dw, dbias) = (&mut enc_dw[i], &mut db[..spec.out_c]);
            conv2d_backward(
                spec,
                &enc_acts[i],
                n,
                &enc_w[i],
                dy,
                dw,
                dbias,
                dx,
                &mut scratch,
            )
            .unwrap();
            std::mem::swap(&mut grad, &mut grad_next);
        }
    };
    step();
    let repeats = 10;
    let start = std::time::Instant::now();
    for _ in 0..repeats {
        step();
    }
    let per_step = start.elapsed() / repeats;
    eprintln!("28x28 conv stack, batch {n}: forward + backward {per_step:?} per step");
}
