//! AdamW and the one-cycle learning-rate schedule, as PyTorch defines them.
//!
//! AdamW (decoupled weight decay, `torch.optim.AdamW`): `θ ← θ(1 − lr·wd)`, then Adam's
//! update with bias corrections `1 − β₁ᵗ` and `1 − β₂ᵗ`. The one-cycle schedule
//! (`torch.optim.lr_scheduler.OneCycleLR`, two phases, cosine annealing) rises from
//! `max_lr / div_factor` to `max_lr` over the first `pct_start` of the steps, then falls to
//! `max_lr / (div_factor · final_div_factor)`, while β₁ moves the opposite way between
//! `max_momentum` and `base_momentum`.

use serde::{Deserialize, Serialize};

/// Where Adam adds ε, which changes the step slightly early in training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdamStyle {
    /// PyTorch: `θ −= lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)`.
    PyTorch,
    /// TensorFlow 1.x `AdamOptimizer`: `θ −= lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε)`.
    TensorFlow,
}

/// Adam with decoupled weight decay over one parameter range.
#[derive(Debug, Clone)]
pub struct AdamW {
    style: AdamStyle,
    beta2: f32,
    eps: f32,
    weight_decay: f32,
    step: i32,
    m: Vec<f32>,
    v: Vec<f32>,
}

impl AdamW {
    /// Creates the optimizer state for `n_params` values.
    pub fn new(n_params: usize, beta2: f32, eps: f32, weight_decay: f32) -> Self {
        AdamW {
            style: AdamStyle::PyTorch,
            beta2,
            eps,
            weight_decay,
            step: 0,
            m: vec![0.0; n_params],
            v: vec![0.0; n_params],
        }
    }

    /// Sets where ε is added.
    pub fn with_style(mut self, style: AdamStyle) -> Self {
        self.style = style;
        self
    }

    /// Applies one update with learning rate `lr` and first-moment decay `beta1`.
    pub fn step(&mut self, params: &mut [f32], grad: &[f32], lr: f32, beta1: f32) {
        self.step += 1;
        let decay = 1.0 - lr * self.weight_decay;
        let bias1 = 1.0 - beta1.powi(self.step);
        let bias2_sqrt = (1.0 - self.beta2.powi(self.step)).sqrt();
        let (step_size, eps) = match self.style {
            AdamStyle::PyTorch => (lr / bias1, self.eps),
            // Scaling the ε of the TensorFlow form by the bias correction lets one loop
            // serve both: √v/c + ε' = (√v + ε)/c with ε' = ε/c, c = √(1 − β₂ᵗ).
            AdamStyle::TensorFlow => (lr / bias1, self.eps / bias2_sqrt),
        };
        let update = Update {
            decay,
            beta1,
            beta2: self.beta2,
            bias2_sqrt,
            step_size,
            eps,
        };
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            unsafe { update.apply_avx2(params, grad, &mut self.m, &mut self.v) };
            return;
        }
        update.apply(params, grad, &mut self.m, &mut self.v);
    }
}

/// The scalars of one AdamW step.
#[derive(Clone, Copy)]
struct Update {
    decay: f32,
    beta1: f32,
    beta2: f32,
    bias2_sqrt: f32,
    step_size: f32,
    eps: f32,
}

impl Update {
    #[inline(always)]
    fn apply(self, params: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32]) {
        let b2 = self.beta2;
        let state = m.iter_mut().zip(v.iter_mut());
        for ((p, &g), (m, v)) in params.iter_mut().zip(grad).zip(state) {
            *p *= self.decay;
            *m += (g - *m) * (1.0 - self.beta1);
            *v = *v * b2 + (1.0 - b2) * g * g;
            let denom = v.sqrt() / self.bias2_sqrt + self.eps;
            *p -= self.step_size * *m / denom;
        }
    }

    /// [`Update::apply`] compiled for 8-lane AVX vectors, twice the width of the baseline
    /// x86-64 target. Rust never fuses `a·b + c` into one rounding, and `sqrt` and `/` are
    /// exact in every lane, so the results equal the baseline loop's bit for bit.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn apply_avx2(self, params: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32]) {
        self.apply(params, grad, m, v);
    }
}

/// The learning-rate schedule over the optimizer steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Schedule {
    /// PyTorch's `OneCycleLR` with its defaults; the learning rate given is the peak.
    OneCycle,
    /// A constant learning rate and β₁.
    Constant {
        /// β₁ used at every step.
        beta1: f32,
    },
}

/// PyTorch's `OneCycleLR` default fraction of steps spent warming up.
const PCT_START: f64 = 0.3;
const DIV_FACTOR: f64 = 25.0;
const FINAL_DIV_FACTOR: f64 = 1e4;
const BASE_MOMENTUM: f64 = 0.85;
const MAX_MOMENTUM: f64 = 0.95;

impl Schedule {
    /// The learning rate and β₁ for step `step` (from 0) of `total_steps`.
    pub fn at(self, step: usize, total_steps: usize, lr: f32) -> (f32, f32) {
        match self {
            Schedule::Constant { beta1 } => (lr, beta1),
            Schedule::OneCycle => one_cycle(step, total_steps, f64::from(lr)),
        }
    }
}

fn one_cycle(step: usize, total_steps: usize, max_lr: f64) -> (f32, f32) {
    let initial_lr = max_lr / DIV_FACTOR;
    let min_lr = initial_lr / FINAL_DIV_FACTOR;
    let warm_end = PCT_START * total_steps as f64 - 1.0;
    let last = total_steps as f64 - 1.0;
    let step = step as f64;
    let cos = |start: f64, end: f64, pct: f64| {
        end + (start - end) / 2.0 * ((std::f64::consts::PI * pct).cos() + 1.0)
    };
    let (lr, momentum) = if step <= warm_end {
        let pct = if warm_end > 0.0 { step / warm_end } else { 1.0 };
        (
            cos(initial_lr, max_lr, pct),
            cos(MAX_MOMENTUM, BASE_MOMENTUM, pct),
        )
    } else {
        let pct = (step - warm_end) / (last - warm_end);
        (
            cos(max_lr, min_lr, pct),
            cos(BASE_MOMENTUM, MAX_MOMENTUM, pct),
        )
    };
    (lr as f32, momentum as f32)
}
