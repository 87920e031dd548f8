//! Elementwise activations, applied in place, with derivatives taken from the output.

use serde::{Deserialize, Serialize};

/// An elementwise activation function.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Activation {
    /// `f(x) = x`.
    Identity,
    /// `f(x) = x` for `x ≥ 0`, `slope · x` otherwise (`slope > 0`).
    LeakyRelu {
        /// The slope for negative inputs; PyTorch's default is 0.01.
        slope: f32,
    },
    /// `f(x) = max(x, 0)`.
    Relu,
    /// `f(x) = tanh(x)`.
    Tanh,
    /// `f(x) = 1 / (1 + e^(−x))`.
    Sigmoid,
}

impl Activation {
    /// Applies the activation to every value in place.
    pub fn apply(self, values: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            unsafe { self.apply_avx2(values) };
            return;
        }
        self.apply_loop(values);
    }

    /// [`Activation::apply`] compiled for 8-lane AVX vectors. The operations are the same,
    /// so the results equal the baseline loop's bit for bit.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn apply_avx2(self, values: &mut [f32]) {
        self.apply_loop(values);
    }

    /// Multiplies `grad` by the derivative at the points whose activated values are `output`.
    ///
    /// Every activation here is monotone, so the output alone fixes the derivative
    /// (for leaky ReLU the sign of the output is the sign of the input because `slope > 0`).
    pub fn backward(self, output: &[f32], grad: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            unsafe { self.backward_avx2(output, grad) };
            return;
        }
        self.backward_loop(output, grad);
    }

    /// [`Activation::backward`] compiled for 8-lane AVX vectors, with the same results.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn backward_avx2(self, output: &[f32], grad: &mut [f32]) {
        self.backward_loop(output, grad);
    }

    /// The loops of [`Activation::apply`]. Each branch is written as a select, which
    /// compiles to vector blends instead of per-element jumps.
    #[inline(always)]
    fn apply_loop(self, values: &mut [f32]) {
        match self {
            Activation::Identity => {}
            Activation::LeakyRelu { slope } => {
                for v in values {
                    *v = if *v < 0.0 { *v * slope } else { *v };
                }
            }
            Activation::Relu => {
                for v in values {
                    *v = v.max(0.0);
                }
            }
            Activation::Tanh => {
                for v in values {
                    *v = v.tanh();
                }
            }
            Activation::Sigmoid => {
                for v in values {
                    *v = sigmoid(*v);
                }
            }
        }
    }

    /// The loops of [`Activation::backward`], with branches written as selects.
    #[inline(always)]
    fn backward_loop(self, output: &[f32], grad: &mut [f32]) {
        match self {
            Activation::Identity => {}
            Activation::LeakyRelu { slope } => {
                for (g, &y) in grad.iter_mut().zip(output) {
                    *g = if y < 0.0 { *g * slope } else { *g };
                }
            }
            Activation::Relu => {
                for (g, &y) in grad.iter_mut().zip(output) {
                    *g = if y <= 0.0 { 0.0 } else { *g };
                }
            }
            Activation::Tanh => {
                for (g, &y) in grad.iter_mut().zip(output) {
                    *g *= 1.0 - y * y;
                }
            }
            Activation::Sigmoid => {
                for (g, &y) in grad.iter_mut().zip(output) {
                    *g *= y * (1.0 - y);
                }
            }
        }
    }
}

fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

impl Activation {
    /// The official RSRAE code's rule, applied to the preprocessed data: ReLU when every
    /// value is at least 0, else tanh when the largest value is at most 1 in absolute
    /// value, else leaky ReLU with slope 0.2.
    pub fn official_rule(values: &[f32]) -> Activation {
        let min = values.iter().copied().fold(f32::INFINITY, f32::min);
        let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        if min >= 0.0 {
            Activation::Relu
        } else if max.abs() <= 1.0 {
            Activation::Tanh
        } else {
            Activation::LeakyRelu { slope: 0.2 }
        }
    }
}
