//! Kernel benchmarks: the matrix products of the dense layers at the MNIST model's shapes,
//! a large `sgemm` for the machine's attainable peak, AdamW, one training step and the
//! convolution layers of the official RSRAE code's model (Lai, Zou and Lerman, ICLR 2020).
//!
//! Run with `MATMUL_NUM_THREADS=1 cargo bench -p rsrae --bench kernels`. The products
//! count floating-point operations (2 per multiply-add) as divan's items, so the
//! items-per-second column reads as FLOP/s.

use std::ops::ControlFlow;

use divan::counter::ItemsCount;
use divan::Bencher;
use rsrae::data::{DataKind, Dataset};
use rsrae::nn::conv::{self, Conv2dSpec, ConvTranspose2dSpec, Padding};
use rsrae::nn::Network;
use rsrae::optim::AdamW;
use rsrae::{Recipe, RsraeParams};

// The crate keeps its matrix products private; compiling the module into this benchmark
// measures exactly the code that training runs.
#[allow(dead_code, unused_imports)]
#[path = "../src/linalg.rs"]
mod linalg;

use linalg::{matmul_nn, matmul_nt, matmul_tn_acc, MatRef};

fn main() {
    divan::main();
}

/// Rows per mini-batch of the blog recipe.
const BATCH: usize = 64;

/// `(in, out)` of every dense product in a training step of the 784-input blog model,
/// the RSR layer `A` (128 → 16) included.
const LAYERS: [(usize, usize); 7] = [
    (784, 392),
    (392, 196),
    (196, 128),
    (128, 16),
    (16, 128),
    (128, 392),
    (392, 784),
];

/// Deterministic values in [-0.5, 0.5].
fn values(len: usize, seed: usize) -> Vec<f32> {
    (0..len)
        .map(|i| ((i * 7919 + seed * 104_729) % 1009) as f32 / 1009.0 - 0.5)
        .collect()
}

fn flops(m: usize, k: usize, n: usize) -> ItemsCount {
    ItemsCount::new(2 * m * k * n)
}

/// Forward product `Y = X·Wᵀ` of a dense layer on a batch of 64 rows.
#[divan::bench(args = LAYERS)]
fn dense_forward(bencher: Bencher, (input, output): (usize, usize)) {
    let x = values(BATCH * input, 1);
    let w = values(output * input, 2);
    let mut y = vec![0.0; BATCH * output];
    bencher
        .counter(flops(BATCH, input, output))
        .bench_local(|| {
            matmul_nt(
                MatRef::new(&x, BATCH, input),
                MatRef::new(&w, output, input),
                &mut y,
            );
        });
}

/// Backward products of a dense layer: `dW += dYᵀ·X` and `dX = dY·W`.
#[divan::bench(args = LAYERS)]
fn dense_backward(bencher: Bencher, (input, output): (usize, usize)) {
    let x = values(BATCH * input, 1);
    let w = values(output * input, 2);
    let dy = values(BATCH * output, 3);
    let mut dw = vec![0.0; output * input];
    let mut dx = vec![0.0; BATCH * input];
    bencher
        .counter(flops(2 * BATCH, input, output))
        .bench_local(|| {
            let dy = MatRef::new(&dy, BATCH, output);
            matmul_tn_acc(dy, MatRef::new(&x, BATCH, input), 1.0, &mut dw);
            matmul_nn(dy, MatRef::new(&w, output, input), 1.0, false, &mut dx);
        });
}

/// Times the same forward product through `matrixmultiply::sgemm`, which packs both
/// operands.
#[divan::bench(args = LAYERS)]
fn dense_forward_matrixmultiply(bencher: Bencher, (input, output): (usize, usize)) {
    let x = values(BATCH * input, 1);
    let w = values(output * input, 2);
    let mut y = vec![0.0; BATCH * output];
    bencher
        .counter(flops(BATCH, input, output))
        .bench_local(|| {
            // SAFETY: `x` is 64 × in, `w` is out × in read transposed, `y` is 64 × out.
            unsafe {
                matrixmultiply::sgemm(
                    BATCH,
                    input,
                    output,
                    1.0,
                    x.as_ptr(),
                    input as isize,
                    1,
                    w.as_ptr(),
                    1,
                    input as isize,
                    0.0,
                    y.as_mut_ptr(),
                    output as isize,
                    1,
                );
            }
        });
}

/// Times a square `matrixmultiply::sgemm`, large enough that packing costs little: the
/// attainable peak of one core, to check the estimate from the clock against.
#[divan::bench(args = [512, 1024, 2048])]
fn sgemm_square(bencher: Bencher, size: usize) {
    let a = values(size * size, 1);
    let b = values(size * size, 2);
    let mut c = vec![0.0; size * size];
    let stride = size as isize;
    bencher.counter(flops(size, size, size)).bench_local(|| {
        // SAFETY: all three matrices are `size × size`, row-major.
        unsafe {
            matrixmultiply::sgemm(
                size,
                size,
                size,
                1.0,
                a.as_ptr(),
                stride,
                1,
                b.as_ptr(),
                stride,
                1,
                0.0,
                c.as_mut_ptr(),
                stride,
                1,
            );
        }
    });
}

/// Times one AdamW update of every parameter of the blog model.
#[divan::bench]
fn adamw_step(bencher: Bencher) {
    let network = blog_network();
    let mut params = vec![0.1; network.n_params()];
    let grad = values(network.n_params(), 4);
    let mut adam = AdamW::new(params.len(), 0.999, 1e-8, 0.01);
    bencher
        .counter(ItemsCount::new(params.len()))
        .bench_local(|| adam.step(&mut params, &grad, 1e-3, 0.9));
}

/// Ten training steps (batches of 64) of the blog recipe through `rsrae::train::train`,
/// including its per-call setup: the workspace, the gradient and AdamW's moments.
#[divan::bench(sample_count = 20)]
fn train_ten_steps(bencher: Bencher) {
    let data = tiny_mnist_like(10 * BATCH);
    let fitted = RsraeParams::new(Recipe::Blog)
        .with_epochs(1)
        .fit(&data, &mut |_| ControlFlow::Continue(()))
        .expect("the blog recipe fits 640 rows");
    let config = fitted.model.config().clone();
    let network = Network::new(&config.model);
    let x = config.preprocessing.apply(&data.features, data.n_features);
    bencher.counter(ItemsCount::new(10usize)).bench_local(|| {
        let mut params = fitted.model.params().to_vec();
        rsrae::train::train(&network, &mut params, &x, &config.train, 0, &mut |_| {
            ControlFlow::Continue(())
        })
        .expect("training on finite data succeeds")
    });
}

fn blog_network() -> Network {
    let config = rsrae::nn::ModelConfig::default_for(784, rsrae::nn::Activation::Sigmoid);
    Network::new(&config)
}

/// `rows` images of 28 × 28 pixels with values in 0..=255.
fn tiny_mnist_like(rows: usize) -> Dataset {
    let features = (0..rows * 784).map(|i| ((i * 7919) % 256) as f32).collect();
    Dataset {
        features,
        n_samples: rows,
        n_features: 784,
        feature_names: (0..784).map(|j| format!("f{j}")).collect(),
        labels: None,
        kind: DataKind::Image {
            height: 28,
            width: 28,
            max_value: 255.0,
        },
    }
}

/// Rows per mini-batch of the recipes that follow the official RSRAE code.
const CONV_BATCH: usize = 128;

/// Returns the encoder convolutions of the official RSRAE code's model on 28 × 28 × 1
/// images.
fn encoder_convs() -> [Conv2dSpec; 3] {
    let spec = |in_h, in_c, out_c, kernel, padding| Conv2dSpec {
        in_h,
        in_w: in_h,
        in_c,
        out_c,
        kernel,
        stride: 2,
        padding,
    };
    [
        spec(28, 1, 32, 5, Padding::Same),
        spec(14, 32, 64, 5, Padding::Same),
        spec(7, 64, 128, 3, Padding::Valid),
    ]
}

/// Returns the decoder's transposed convolutions, from 3 × 3 × 128 back to 28 × 28 × 1.
fn decoder_convs() -> [ConvTranspose2dSpec; 3] {
    let spec = |in_h, in_c, out_c, kernel, padding| ConvTranspose2dSpec {
        in_h,
        in_w: in_h,
        in_c,
        out_c,
        kernel,
        stride: 2,
        padding,
    };
    [
        spec(3, 128, 64, 3, Padding::Valid),
        spec(7, 64, 32, 5, Padding::Same),
        spec(14, 32, 1, 5, Padding::Same),
    ]
}

/// Forward and backward pass of one encoder convolution on a batch of 128.
#[divan::bench(args = [0, 1, 2])]
fn conv2d_forward_backward(bencher: Bencher, layer: usize) {
    let spec = encoder_convs()[layer];
    let n = CONV_BATCH;
    let x = values(n * spec.in_len(), 1);
    let w = values(spec.weight_len(), 2);
    let bias = vec![0.0; spec.out_c];
    let dy = values(n * spec.out_len(), 3);

    let mut y = vec![0.0; n * spec.out_len()];
    let mut dw = vec![0.0; spec.weight_len()];
    let mut db = vec![0.0; spec.out_c];
    let mut dx = vec![0.0; n * spec.in_len()];
    let mut scratch = vec![0.0; spec.scratch_len(n)];

    let macs = spec.out_len() * spec.kernel * spec.kernel * spec.in_c;
    bencher
        .counter(ItemsCount::new(6 * n * macs))
        .bench_local(|| {
            conv::conv2d_forward(&spec, &x, n, &w, &bias, &mut y, &mut scratch).unwrap();
            let dx = Some(dx.as_mut_slice());
            conv::conv2d_backward(&spec, &x, n, &w, &dy, &mut dw, &mut db, dx, &mut scratch)
                .unwrap();
        });
}

/// Forward and backward pass of one decoder transposed convolution on a batch of 128.
#[divan::bench(args = [0, 1, 2])]
fn conv_transpose2d_forward_backward(bencher: Bencher, layer: usize) {
    let spec = decoder_convs()[layer];
    let n = CONV_BATCH;
    let x = values(n * spec.in_len(), 1);
    let w = values(spec.weight_len(), 2);
    let bias = vec![0.0; spec.out_c];
    let dy = values(n * spec.out_len(), 3);

    let mut y = vec![0.0; n * spec.out_len()];
    let mut dw = vec![0.0; spec.weight_len()];
    let mut db = vec![0.0; spec.out_c];
    let mut dx = vec![0.0; n * spec.in_len()];
    let mut scratch = vec![0.0; spec.scratch_len(n)];

    let macs = spec.in_len() * spec.kernel * spec.kernel * spec.out_c;
    bencher
        .counter(ItemsCount::new(6 * n * macs))
        .bench_local(|| {
            conv::conv_transpose2d_forward(&spec, &x, n, &w, &bias, &mut y, &mut scratch).unwrap();
            let dx = Some(dx.as_mut_slice());
            conv::conv_transpose2d_backward(
                &spec,
                &x,
                n,
                &w,
                &dy,
                &mut dw,
                &mut db,
                dx,
                &mut scratch,
            )
            .unwrap();
        });
}
