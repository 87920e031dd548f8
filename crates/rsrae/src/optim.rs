//! AdamW and the one-cycle learning-rate schedule, as PyTorch defines them.
//!
//! AdamW (decoupled weight decay, `torch.optim.AdamW`): `θ ← θ(1 − lr·wd)`, then Adam's
//! update with bias corrections `1 − β₁ᵗ` and `1 − β₂ᵗ`. The one-cycle schedule
//! (`torch.optim.lr_scheduler.OneCycleLR`, two phases, cosine annealing) rises from
//! `max_lr / div_factor` to `max_lr` over the first `pct_start` of the steps, then falls to
//! `max_lr / (div_factor · final_div_factor)`, while β₁ moves the opposite way between
//! `max_momentum` and `base_momentum`.

use serde::{Deserialize, Serialize};

/// Adam with decoupled weight decay over one parameter range.
#[derive(Debug, Clone)]
pub struct AdamW {
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
            beta2,
            eps,
            weight_decay,
            step: 0,
            m: vec![0.0; n_params],
            v: vec![0.0; n_params],
        }
    }

    /// Applies one update with learning rate `lr` and first-moment decay `beta1`.
    pub fn step(&mut self, params: &mut [f32], grad: &[f32], lr: f32, beta1: f32) {
        self.step += 1;
        let decay = 1.0 - lr * self.weight_decay;
        let bias1 = 1.0 - beta1.powi(self.step);
        let bias2_sqrt = (1.0 - self.beta2.powi(self.step)).sqrt();
        let step_size = lr / bias1;
        let (b2, eps) = (self.beta2, self.eps);
        let state = self.m.iter_mut().zip(self.v.iter_mut());
        for ((p, &g), (m, v)) in params.iter_mut().zip(grad).zip(state) {
            *p *= decay;
            *m += (g - *m) * (1.0 - beta1);
            *v = *v * b2 + (1.0 - b2) * g * g;
            let denom = v.sqrt() / bias2_sqrt + eps;
            *p -= step_size * *m / denom;
        }
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
