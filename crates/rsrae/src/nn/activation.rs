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
        match self {
            Activation::Identity => {}
            Activation::LeakyRelu { slope } => {
                for v in values {
                    if *v < 0.0 {
                        *v *= slope;
                    }
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

    /// Multiplies `grad` by the derivative at the points whose activated values are `output`.
    ///
    /// Every activation here is monotone, so the output alone fixes the derivative
    /// (for leaky ReLU the sign of the output is the sign of the input because `slope > 0`).
    pub fn backward(self, output: &[f32], grad: &mut [f32]) {
        match self {
            Activation::Identity => {}
            Activation::LeakyRelu { slope } => {
                for (g, &y) in grad.iter_mut().zip(output) {
                    if y < 0.0 {
                        *g *= slope;
                    }
                }
            }
            Activation::Relu => {
                for (g, &y) in grad.iter_mut().zip(output) {
                    if y <= 0.0 {
                        *g = 0.0;
                    }
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
